/* The GDPR review checklist of a team: ten checks from the configuration,
 * storage and the audit log. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "policy/endpoint.h"
#include "policy/pii_vault.h"
#include "policy/posture.h"
#include "policy/route.h"
#include "policy/transfer.h"

static const char *const check_names[POSTURE__COUNT] = {
	"dpa", "region", "subprocessors", "retention", "training", "zdr",
	"logging", "access_controls", "spend_limits", "self_deployment"
};

static const char *const status_names[] = { "ok", "warn", "fail" };

const char *
posture_check_name(int check)
{
	return check >= 0 && check < POSTURE__COUNT ? check_names[check] : "?";
}

const char *
posture_status_name(int status)
{
	return status >= POSTURE_OK && status <= POSTURE_FAIL ?
	    status_names[status] : "?";
}

int
posture_self_hosted(const struct upstream_conf *u)
{
	return strcmp(u->region, REGION_ONPREM) == 0;
}

const struct upstream_conf *
posture_upstream(const struct posture_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_ups; i++)
		if (strcmp(c->ups[i].name, name) == 0)
			return &c->ups[i];
	return NULL;
}

const struct policy_conf *
posture_policy(const struct posture_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_pols; i++)
		if (strcmp(c->pols[i].name, name) == 0)
			return &c->pols[i];
	return NULL;
}

static void say(struct posture_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends to the reason; what does not fit ends in "...". */
static void
say(struct posture_result *r, const char *fmt, ...)
{
	size_t len = strlen(r->reason), cap = sizeof(r->reason);
	va_list ap;
	int n;

	if (len + 4 >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(r->reason + len, cap - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - len)
		memcpy(r->reason + cap - 4, "...", 4);
}

static int
stated(const char *s)
{
	return s != NULL && *s != '\0';
}

/* One team's evaluation: its policy and the upstreams in question. */
struct ctx {
	const struct posture_conf *c;
	const struct posture_team *t;
	const struct policy_conf *p;
	unsigned char *reach;		/* by upstream: the policy reaches it */
	const struct posture_use **use;	/* by upstream: its audit use */
};

static int
used(const struct ctx *x, size_t i)
{
	return x->use[i] != NULL && x->use[i]->requests > 0;
}

static int
considered(const struct ctx *x, size_t i)
{
	return x->reach[i] || used(x, i);
}

/* Requests of the team to an upstream the configuration no longer has. */
static int
gone(const struct ctx *x, const struct posture_use *u)
{
	return u->requests > 0 && posture_upstream(x->c, u->upstream) == NULL;
}

/*
 * A check that judges each upstream in question on its own: judge gives
 * its status and a note; the reason is the lead of the worst status and
 * the upstreams at it ("name (note); ..."), or every upstream when all
 * are ok. Requests to upstreams no longer configured count as gone_status.
 */
struct judge_spec {
	int (*judge)(const struct ctx *x, size_t i, char *note, size_t len);
	const char *lead[3];	/* by status */
	int gone_status;
	const char *none;	/* when no upstream is in question */
};

static int
judge_all(const struct ctx *x, struct posture_result *r,
    const struct judge_spec *js)
{
	const struct posture_conf *c = x->c;
	char note[200];
	int worst = POSTURE_OK, any = 0, sep = 0;

	for (size_t i = 0; i < c->n_ups; i++) {
		int s;

		if (!considered(x, i))
			continue;
		any = 1;
		s = js->judge(x, i, note, sizeof(note));
		if (s > worst)
			worst = s;
	}
	for (size_t k = 0; k < x->t->n_use; k++)
		if (gone(x, &x->t->use[k])) {
			any = 1;
			if (js->gone_status > worst)
				worst = js->gone_status;
		}
	if (!any) {
		say(r, "%s", js->none != NULL ? js->none : "The team's policy "
		    "reaches no enabled upstream and the audit log shows none "
		    "of its requests reaching one.");
		return POSTURE_OK;
	}
	say(r, "%s", js->lead[worst]);
	for (size_t i = 0; i < c->n_ups; i++) {
		if (!considered(x, i) ||
		    js->judge(x, i, note, sizeof(note)) != worst)
			continue;
		say(r, "%s%s (%s)", sep++ ? "; " : "", c->ups[i].name, note);
	}
	for (size_t k = 0; k < x->t->n_use; k++) {
		const struct posture_use *u = &x->t->use[k];

		if (gone(x, u) && js->gone_status == worst)
			say(r, "%s%s (no longer configured, %lld requests)",
			    sep++ ? "; " : "", u->upstream,
			    (long long)u->requests);
	}
	say(r, ".");
	return worst;
}

/* dpa and subprocessors: a document on file for each processor. */
static int
judge_document(const struct ctx *x, size_t i, char *note, size_t len,
    const char *doc, const char *key)
{
	const struct upstream_conf *u = &x->c->ups[i];

	if (posture_self_hosted(u)) {
		snprintf(note, len, "self-hosted, no processor");
		return POSTURE_OK;
	}
	if (!stated(doc)) {
		if (used(x, i)) {
			snprintf(note, len, "no %s =, %lld requests", key,
			    (long long)x->use[i]->requests);
			return POSTURE_FAIL;
		}
		snprintf(note, len, "no %s =", key);
		return POSTURE_WARN;
	}
	if (!stated(u->provider) && strcmp(key, "dpa") == 0) {
		snprintf(note, len, "%s; no provider =", doc);
		return POSTURE_WARN;
	}
	snprintf(note, len, "%s: %s", stated(u->provider) ? u->provider :
	    u->name, doc);
	return POSTURE_OK;
}

static int
judge_dpa(const struct ctx *x, size_t i, char *note, size_t len)
{
	return judge_document(x, i, note, len, x->c->ups[i].dpa, "dpa");
}

static int
judge_subprocessors(const struct ctx *x, size_t i, char *note, size_t len)
{
	return judge_document(x, i, note, len, x->c->ups[i].subprocessors,
	    "subprocessors");
}

static int
judge_region(const struct ctx *x, size_t i, char *note, size_t len)
{
	const struct upstream_conf *u = &x->c->ups[i];
	int v;

	if (posture_self_hosted(u) && u->location.n == 0) {
		snprintf(note, len, "self-hosted");
		return POSTURE_OK;
	}
	v = transfer_upstream(u, note, len);
	return v == TRANSFER_BAD ? POSTURE_FAIL : v == TRANSFER_MISSING ?
	    POSTURE_WARN : POSTURE_OK;
}

static int
judge_retention(const struct ctx *x, size_t i, char *note, size_t len)
{
	const struct upstream_conf *u = &x->c->ups[i];
	long long days = (long long)u->provider_retention_days;

	if (posture_self_hosted(u)) {
		snprintf(note, len, "self-hosted");
		return POSTURE_OK;
	}
	if (u->zdr && days > 0) {
		snprintf(note, len, "zdr = on, yet provider_retention = %lldd",
		    days);
		return POSTURE_FAIL;
	}
	if (days >= 0) {
		snprintf(note, len, "keeps inputs and outputs %lld days", days);
		return POSTURE_OK;
	}
	if (u->zdr) {
		snprintf(note, len, "zero data retention");
		return POSTURE_OK;
	}
	snprintf(note, len, "provider_retention not stated");
	return POSTURE_WARN;
}

static int
judge_training(const struct ctx *x, size_t i, char *note, size_t len)
{
	const struct upstream_conf *u = &x->c->ups[i];
	static const char *const names[] = { "none", "opt-out", "allowed" };

	if (posture_self_hosted(u)) {
		snprintf(note, len, "self-hosted");
		return POSTURE_OK;
	}
	snprintf(note, len, "training = %s", names[u->training]);
	return u->training == TRAINING_NONE ? POSTURE_OK :
	    u->training == TRAINING_OPT_OUT ? POSTURE_WARN : POSTURE_FAIL;
}

static const struct judge_spec dpa_spec = { judge_dpa, {
	"A DPA is on file for every processor the team's data reaches: ",
	"Upstreams the team's policy reaches lack a DPA reference or the "
	"provider's name: ",
	"The team's requests went to processors without a DPA reference: " },
	POSTURE_FAIL, NULL };

static const struct judge_spec subprocessors_spec = { judge_subprocessors, {
	"The subprocessor list of every processor the team's data reaches "
	"is on file: ",
	"Upstreams the team's policy reaches have no subprocessor list on "
	"file: ",
	"The team's requests went to processors whose subprocessors are not "
	"on file: " },
	POSTURE_FAIL, NULL };

static const struct judge_spec region_spec = { judge_region, {
	"Every upstream the team's data reaches processes in the EEA or "
	"under a transfer basis: ",
	"Where some upstreams the team's data reaches process is not stated "
	"(location =): ",
	"The team's data may go to a third country without a transfer "
	"basis: " },
	POSTURE_WARN, NULL };

static const struct judge_spec retention_spec = { judge_retention, {
	"every provider's retention is known: ",
	"some providers' retention is not known: ",
	"an upstream's retention contradicts its zero data retention: " },
	POSTURE_WARN, "no provider receives the team's data." };

static const struct judge_spec training_spec = { judge_training, {
	"No upstream the team's data reaches may train on it: ",
	"The team's data reaches upstreams that may train on it unless the "
	"provider account's opt-out holds: ",
	"The team's data reaches upstreams whose contract allows training "
	"on it: " },
	POSTURE_WARN, NULL };

static int
check_retention(const struct ctx *x, struct posture_result *r)
{
	uint64_t ms = x->c->audit_retention_ms;
	int s;

	if (ms == 0)
		say(r, "eugate keeps no content, its audit records without a "
		    "time limit (audit_retention_days = 0); ");
	else
		say(r, "eugate keeps no content, its audit records %.6g days; ",
		    (double)ms / 86400000.0);
	s = judge_all(x, r, &retention_spec);
	return ms == 0 && s == POSTURE_OK ? POSTURE_WARN : s;
}

/* "a, b, c": the names of the upstreams that pick() selects. */
static void
say_names(const struct ctx *x, struct posture_result *r,
    int (*pick)(const struct ctx *x, size_t i))
{
	int sep = 0;

	for (size_t i = 0; i < x->c->n_ups; i++)
		if (pick(x, i))
			say(r, "%s%s", sep++ ? ", " : "", x->c->ups[i].name);
	if (sep == 0)
		say(r, "none");
}

static int
pick_reach(const struct ctx *x, size_t i)
{
	return x->reach[i];
}

static int
pick_reach_zdr(const struct ctx *x, size_t i)
{
	return x->reach[i] && x->c->ups[i].zdr;
}

static int
pick_onprem(const struct ctx *x, size_t i)
{
	return x->c->ups[i].enabled && posture_self_hosted(&x->c->ups[i]);
}

/* Reaches only self-hosted upstreams (and at least one). */
static int
all_in_house(const struct ctx *x)
{
	int n = 0;

	for (size_t i = 0; i < x->c->n_ups; i++) {
		if (!x->reach[i])
			continue;
		if (!posture_self_hosted(&x->c->ups[i]))
			return 0;
		n++;
	}
	return n > 0;
}

static int
check_zdr(const struct ctx *x, struct posture_result *r)
{
	int64_t total = 0, without = 0;
	size_t n = 0, nz = 0;

	for (size_t k = 0; k < x->t->n_use; k++) {
		total += x->t->use[k].requests;
		without += x->t->use[k].requests - x->t->use[k].zdr_requests;
	}
	for (size_t i = 0; i < x->c->n_ups; i++) {
		n += x->reach[i];
		nz += x->reach[i] && x->c->ups[i].zdr;
	}
	if (x->p->zdr && without > 0) {
		say(r, "Policy %s requires zero data retention, yet the audit "
		    "log holds %lld of the team's %lld requests sent without "
		    "it.", x->p->name, (long long)without, (long long)total);
		return POSTURE_FAIL;
	}
	if (x->p->zdr && n == 0) {
		say(r, "Policy %s requires zero data retention, but no enabled "
		    "upstream has zdr = on: the team's requests are refused.",
		    x->p->name);
		return POSTURE_WARN;
	}
	if (x->p->zdr) {
		say(r, "Policy %s requires zero data retention and every "
		    "upstream it reaches has zdr = on (", x->p->name);
		say_names(x, r, pick_reach);
		say(r, "); %lld of %lld requests in the audit log went under "
		    "it.", (long long)(total - without), (long long)total);
		return POSTURE_OK;
	}
	if (all_in_house(x)) {
		say(r, "Every upstream the team reaches is self-hosted (");
		say_names(x, r, pick_reach);
		say(r, "): no provider keeps its data.");
		return POSTURE_OK;
	}
	say(r, "Policy %s does not require zero data retention (zdr = off): "
	    "%zu of the %zu upstreams it reaches have it", x->p->name, nz, n);
	if (nz > 0) {
		say(r, " (");
		say_names(x, r, pick_reach_zdr);
		say(r, ")");
	}
	say(r, ".");
	return POSTURE_WARN;
}

static int
check_logging(const struct ctx *x, const struct posture_chain *chain,
    struct posture_result *r)
{
	int64_t total = 0;
	int scans = 0;

	for (size_t k = 0; k < x->t->n_use; k++)
		total += x->t->use[k].requests;
	for (int t = 0; t < PII__COUNT; t++)
		scans |= x->p->pii_actions[t] != PII_ACT_OFF;
	if (chain != NULL && !chain->ok) {
		say(r, "The audit chain does not verify: record %lld: %s.",
		    (long long)chain->bad_seq, chain->reason ? chain->reason :
		    "?");
		return POSTURE_FAIL;
	}
	if (!scans) {
		say(r, "Policy %s does not scan for personal data (pii = off): "
		    "the audit log can not tell which categories of personal "
		    "data the team's requests carried.", x->p->name);
		return POSTURE_WARN;
	}
	say(r, "Every request leaves an audit record of metadata with the "
	    "types and counts of personal data found, never content: %lld "
	    "of the team's requests reached an upstream", (long long)total);
	if (chain != NULL && chain->signed_through > 0)
		say(r, "; the chain verifies through record %lld, signed "
		    "through %lld", (long long)chain->last_seq,
		    (long long)chain->signed_through);
	else if (chain != NULL)
		say(r, "; the chain verifies through record %lld, no "
		    "checkpoint is signed yet", (long long)chain->last_seq);
	say(r, ".");
	return POSTURE_OK;
}

static int
check_access(const struct ctx *x, struct posture_result *r)
{
	const unsigned admin = 1u << EP_G_USERS | 1u << EP_G_ADMIN;
	long long keys = (long long)x->t->keys;
	int sep = 0;

	if (x->p->groups & admin) {
		say(r, "Policy %s lets the team's keys reach the provider "
		    "account's administration (endpoints includes users and "
		    "admin%s).", x->p->name, x->p->groups == ~0u ?
		    ", as all" : "");
		return POSTURE_FAIL;
	}
	if (keys == 0) {
		say(r, "The team has no usable key, so it can send no "
		    "request.");
		return POSTURE_OK;
	}
	if (x->t->keys_expiring < x->t->keys)
		say(r, "%lld of the team's %lld keys never expire; ",
		    keys - (long long)x->t->keys_expiring, keys);
	else
		say(r, "All of the team's %lld keys expire; ", keys);
	say(r, "keys are kept as HMACs and limited to policy %s's endpoint "
	    "groups (", x->p->name);
	for (int g = 0; g < EP_G__COUNT; g++)
		if (x->p->groups & (1u << g))
			say(r, "%s%s", sep++ ? ", " : "",
			    endpoint_group_name(g));
	say(r, ").");
	return x->t->keys_expiring < x->t->keys ? POSTURE_WARN : POSTURE_OK;
}

static int
check_spend(const struct ctx *x, struct posture_result *r)
{
	const struct posture_team *t = x->t;

	if (stated(t->budget)) {
		say(r, "The team's budget is %s; each request's worst-case "
		    "cost is reserved against it before the request is "
		    "forwarded.", t->budget);
		return POSTURE_OK;
	}
	if (stated(x->c->global_budget)) {
		say(r, "The team has no budget of its own: only the gateway's "
		    "budget (%s) caps its spend.", x->c->global_budget);
		return POSTURE_WARN;
	}
	if (t->keys > 0 && t->keys_budget == t->keys) {
		say(r, "The team has no budget, but each of its %lld keys has "
		    "one.", (long long)t->keys);
		return POSTURE_WARN;
	}
	say(r, "No budget caps the team's spend: neither the team, its keys "
	    "nor the gateway has one.");
	return POSTURE_FAIL;
}

/* The sensitive types of a policy, as configured: "raw, NATIONAL_ID". */
static void
say_sensitive(const struct policy_conf *p, struct posture_result *r)
{
	for (size_t i = 0; i < p->sensitive.n; i++)
		say(r, "%s%s", i ? ", " : "", p->sensitive.v[i]);
}

static int
check_self_deployment(const struct ctx *x, struct posture_result *r)
{
	const struct policy_conf *p = x->p;
	const struct posture_conf *c = x->c;
	int64_t leaked = 0;
	int third = 0, inside = 0, sep = 0;

	if (all_in_house(x)) {
		say(r, "All of the team's requests stay on premises: every "
		    "upstream it reaches is self-hosted (");
		say_names(x, r, pick_reach);
		say(r, ").");
		return POSTURE_OK;
	}
	if (p->sensitive.n == 0) {
		say(r, "Policy %s keeps no kind of data in-house (sensitive is "
		    "not set); on-premises upstreams: ", p->name);
		say_names(x, r, pick_onprem);
		say(r, ".");
		return POSTURE_WARN;
	}
	if (p->sensitive_block) {
		say(r, "Policy %s refuses requests with sensitive data (",
		    p->name);
		say_sensitive(p, r);
		say(r, "; sensitive_regions = block): it never leaves.");
		return POSTURE_OK;
	}
	for (size_t k = 0; k < x->t->n_use; k++) {
		const struct posture_use *u = &x->t->use[k];
		const struct upstream_conf *uc = posture_upstream(c,
		    u->upstream);

		if (u->sensitive > 0 && (uc == NULL ||
		    !posture_self_hosted(uc)))
			leaked += u->sensitive;
	}
	for (size_t i = 0; i < c->n_ups; i++) {
		const struct upstream_conf *u = &c->ups[i];

		if (!u->enabled || route_policy_check(p, u, 1) !=
		    ROUTE_SKIP_NONE)
			continue;
		if (posture_self_hosted(u))
			inside++;
		else
			third++;
	}
	if (leaked > 0 || third > 0) {
		if (leaked > 0)
			say(r, "The audit log shows %lld requests of the team "
			    "with sensitive data (", (long long)leaked);
		else
			say(r, "Policy %s lets sensitive data (", p->name);
		say_sensitive(p, r);
		say(r, ") %s third-party upstreams: ", leaked > 0 ?
		    "that went to" : "go to");
		for (size_t k = 0; leaked > 0 && k < x->t->n_use; k++) {
			const struct posture_use *u = &x->t->use[k];
			const struct upstream_conf *uc = posture_upstream(c,
			    u->upstream);

			if (u->sensitive > 0 && (uc == NULL ||
			    !posture_self_hosted(uc)))
				say(r, "%s%s (%lld)", sep++ ? ", " : "",
				    u->upstream, (long long)u->sensitive);
		}
		for (size_t i = 0; leaked == 0 && i < c->n_ups; i++) {
			const struct upstream_conf *u = &c->ups[i];

			if (u->enabled && !posture_self_hosted(u) &&
			    route_policy_check(p, u, 1) == ROUTE_SKIP_NONE)
				say(r, "%s%s", sep++ ? ", " : "", u->name);
		}
		say(r, ".");
		return POSTURE_FAIL;
	}
	say(r, "Sensitive data (");
	say_sensitive(p, r);
	if (inside == 0) {
		say(r, ") may only go to on-premises upstreams, but none is "
		    "enabled in policy %s's sensitive_regions: such requests "
		    "are refused.", p->name);
		return POSTURE_WARN;
	}
	say(r, ") goes only to on-premises upstreams: ");
	for (size_t i = 0; i < c->n_ups; i++) {
		const struct upstream_conf *u = &c->ups[i];

		if (u->enabled && route_policy_check(p, u, 1) ==
		    ROUTE_SKIP_NONE)
			say(r, "%s%s", sep++ ? ", " : "", u->name);
	}
	say(r, ".");
	return POSTURE_OK;
}

void
posture_evaluate(const struct posture_conf *c, const struct posture_team *t,
    const struct posture_chain *chain, struct posture_result *out)
{
	struct ctx x;

	memset(out, 0, POSTURE__COUNT * sizeof(*out));
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.t = t;
	x.p = posture_policy(c, t->policy);
	if (x.p == NULL) {
		for (int k = 0; k < POSTURE__COUNT; k++) {
			out[k].status = POSTURE_FAIL;
			say(&out[k], "The team's policy %s is not configured: "
			    "its requests are refused (policy_blocked).",
			    t->policy);
		}
		return;
	}
	x.reach = xcalloc(c->n_ups + 1, sizeof(*x.reach));
	x.use = xcalloc(c->n_ups + 1, sizeof(*x.use));
	for (size_t i = 0; i < c->n_ups; i++) {
		x.reach[i] = c->ups[i].enabled &&
		    route_policy_check(x.p, &c->ups[i], 0) == ROUTE_SKIP_NONE;
		for (size_t k = 0; k < t->n_use; k++)
			if (strcmp(t->use[k].upstream, c->ups[i].name) == 0)
				x.use[i] = &t->use[k];
	}
	out[POSTURE_DPA].status = judge_all(&x, &out[POSTURE_DPA], &dpa_spec);
	out[POSTURE_REGION].status = judge_all(&x, &out[POSTURE_REGION],
	    &region_spec);
	out[POSTURE_SUBPROCESSORS].status = judge_all(&x,
	    &out[POSTURE_SUBPROCESSORS], &subprocessors_spec);
	out[POSTURE_RETENTION].status = check_retention(&x,
	    &out[POSTURE_RETENTION]);
	out[POSTURE_TRAINING].status = judge_all(&x, &out[POSTURE_TRAINING],
	    &training_spec);
	out[POSTURE_ZDR].status = check_zdr(&x, &out[POSTURE_ZDR]);
	out[POSTURE_LOGGING].status = check_logging(&x, chain,
	    &out[POSTURE_LOGGING]);
	out[POSTURE_ACCESS].status = check_access(&x, &out[POSTURE_ACCESS]);
	out[POSTURE_SPEND].status = check_spend(&x, &out[POSTURE_SPEND]);
	out[POSTURE_SELF_DEPLOYMENT].status = check_self_deployment(&x,
	    &out[POSTURE_SELF_DEPLOYMENT]);
	free(x.reach);
	free(x.use);
}
