/*
 * Admin routes of the compliance reports, as JSON or as HTML documents
 * (admin/reports_html.c): the GDPR review checklist per team (posture)
 * and the record of processing activities (GDPR Art. 30). Both read the
 * audit log on the reader store, verify its chain first and add what the
 * configuration in force says (the evidence hook).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/admin_int.h"
#include "common/log.h"
#include "common/util.h"
#include "policy/money.h"
#include "policy/pii.h"
#include "policy/pii_vault.h"
#include "policy/posture.h"
#include "policy/transfer.h"

static void
iso_time(int64_t ms, char *out, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == INT64_MAX || gmtime_r(&t, &tm) == NULL)
		snprintf(out, len, "now");
	else
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
stated(const char *s)
{
	return s != NULL && *s != '\0';
}

/* A string, or null when not stated. */
static json_t *
str_or_null(const char *s)
{
	return stated(s) ? json_string(s) : json_null();
}

static json_t *
strlist_json(const struct strlist *l)
{
	json_t *a = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

/* team=, from=, to= and format=json|html; replies 400 and returns -1. */
static int
report_query(struct call *c, const char *query)
{
	char v[16];

	/* The route's scope read team= (a team admin's: one of its teams). */
	if (admin_need_team(c) != 0)
		return -1;
	snprintf(c->op.team, sizeof(c->op.team), "%s", c->qteam);
	if (admin_query_period(c, query, &c->op.from_ms, &c->op.to_ms) != 0)
		return -1;
	if (admin_query_param(query, "format", v, sizeof(v)) == 1) {
		if (strcmp(v, "html") == 0)
			c->html = 1;
		else if (strcmp(v, "json") != 0) {
			admin_reply_error(c, "invalid_query", "format: json or "
			    "html");
			return -1;
		}
	}
	c->result = json_object();
	if (c->result == NULL) {
		admin_reply_error(c, "out_of_memory", "out of memory");
		return -1;
	}
	return 0;
}

/* Keeps a read's answer in c->result under key; on failure replies and
 * returns -1. */
static int
took(struct store_op *op, const char *key)
{
	struct call *c = op->arg;

	if (op->err != GW_OK) {
		json_decref(op->json);
		op->json = NULL;
		json_decref(c->result);
		c->result = NULL;
		admin_reply_error(c, "storage_unavailable", "storage: %s",
		    gw_strerror(op->err));
		return -1;
	}
	json_object_set_new(c->result, key, op->json ? op->json :
	    json_null());
	op->json = NULL;
	return 0;
}

/*
 * The verified records only: up to the last good one (-1: none). With
 * one chain per instance (PostgreSQL: "instances"), each chain up to
 * its own last record: the bounds go with the op (op.json, consumed by
 * the store).
 */
static void
bound_to_verified(struct call *c)
{
	json_t *v = json_object_get(c->result, "verify");
	json_t *chains = json_object_get(v, "instances"), *one, *b;
	json_int_t last = json_integer_value(json_object_get(v, "last_seq"));
	size_t i;

	if (!json_is_true(json_object_get(v, "ok"))) {
		c->op.upto_seq = 0;
		return;
	}
	c->op.upto_seq = last > 0 ? last : -1;
	if (!json_is_array(chains))
		return;
	b = json_object();
	json_array_foreach(chains, i, one)
		json_object_set_new(b, json_string_value(json_object_get(one,
		    "instance")), json_integer(json_integer_value(
		    json_object_get(one, "last_seq"))));
	c->op.json = b;
}

/* Answers rep (taken) as JSON or as its HTML document. */
static void
answer(struct call *c, json_t *rep, char *(*html)(json_t *, size_t *))
{
	char *doc;
	size_t len = 0;

	json_decref(c->result);
	c->result = NULL;
	if (rep == NULL) {
		admin_reply_error(c, "out_of_memory", "out of memory");
		return;
	}
	if (!c->html) {
		admin_reply_json(c, 200, rep);
		return;
	}
	doc = html(rep, &len);
	json_decref(rep);
	if (doc == NULL) {
		admin_reply_error(c, "out_of_memory", "out of memory");
		return;
	}
	admin_reply_text(c, 200, doc, len, "text/html; charset=utf-8");
}

/* The report's period and time, and who is responsible. */
static json_t *
report_head(struct call *c, const char *object,
    const struct posture_conf *pc)
{
	char from[32], to[32], now[32];
	int64_t now_ms = util_wall_s() * 1000;

	iso_time(c->op.from_ms, from, sizeof(from));
	iso_time(c->op.to_ms == INT64_MAX ? now_ms : c->op.to_ms, to,
	    sizeof(to));
	iso_time(now_ms, now, sizeof(now));
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:[]}", "object",
	    object, "generated_at", now, "from", from, "to", to, "controller",
	    str_or_null(pc->controller), "dpo", str_or_null(pc->dpo),
	    "warnings");
}

static void
warn(json_t *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Adds a warning: something the configuration does not state. */
static void
warn(json_t *rep, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(json_object_get(rep, "warnings"),
	    json_string(msg));
}

static void
warn_people(json_t *rep, const struct posture_conf *pc)
{
	if (!stated(pc->controller))
		warn(rep, "[gateway] controller is not set: the record names "
		    "no controller");
	if (!stated(pc->dpo))
		warn(rep, "[gateway] dpo is not set: the record names no data "
		    "protection officer");
}

/* What a policy leaves out of its Art. 30 entry, once per policy (seen:
 * the names warned about). */
static void
warn_policy(json_t *rep, json_t *seen, const struct policy_conf *p)
{
	const char *miss[3];
	int n = 0;

	if (json_object_get(seen, p->name) != NULL)
		return;
	json_object_set_new(seen, p->name, json_true());
	if (!stated(p->purpose))
		miss[n++] = "purpose";
	if (!stated(p->legal_basis))
		miss[n++] = "legal_basis";
	if (p->data_subjects.n == 0)
		miss[n++] = "data_subjects";
	if (n > 0)
		warn(rep, "[policy %s]: %s%s%s%s%s not set", p->name, miss[0],
		    n > 1 ? ", " : "", n > 1 ? miss[1] : "", n > 2 ? ", " : "",
		    n > 2 ? miss[2] : "");
}

/* ---- The posture ---------------------------------------------------- */

/* A team's budget in words ("100.00 EUR monthly"), or "" for none. */
static void
budget_words(json_t *row, char *out, size_t len)
{
	json_t *b = json_object_get(row, "budget");
	char amount[32];

	out[0] = '\0';
	if (!json_is_integer(b))
		return;
	money_format(json_integer_value(b), amount, sizeof(amount));
	snprintf(out, len, "%s %s %s", amount, currency_name((int)
	    json_integer_value(json_object_get(row, "budget_currency"))),
	    period_name((int)json_integer_value(json_object_get(row,
	    "budget_period"))));
}

/* The team's keys: usable ones, those that expire, those with budgets. */
static void
team_keys(json_t *keys, const char *team, struct posture_team *t)
{
	int64_t now = util_wall_s();
	json_t *k;
	size_t i;

	json_array_foreach(keys, i, k) {
		json_t *exp = json_object_get(k, "expires_at");

		if (strcmp(json_string_value(json_object_get(k, "team")) ?
		    json_string_value(json_object_get(k, "team")) : "", team) !=
		    0 || !json_is_null(json_object_get(k, "revoked_at")))
			continue;
		if (json_is_integer(exp) && json_integer_value(exp) <= now)
			continue;	/* expired (keys that can expire) */
		t->keys++;
		t->keys_expiring += json_is_integer(exp);
		t->keys_budget += json_is_integer(json_object_get(k, "budget"));
	}
}

/* The team's entry of the usage report, or NULL. */
static json_t *
team_usage(json_t *usage, const char *team)
{
	json_t *t;
	size_t i;

	json_array_foreach(usage, i, t)
		if (strcmp(json_string_value(json_object_get(t, "team")),
		    team) == 0)
			return t;
	return NULL;
}

/* The audit log's recipients of a team, one entry per upstream. */
static size_t
team_uses(json_t *usage, struct posture_use *uses, size_t cap)
{
	json_t *r;
	size_t i, n = 0;

	json_array_foreach(json_object_get(usage, "recipients"), i, r) {
		const char *name = json_string_value(json_object_get(r,
		    "upstream"));
		size_t k;

		for (k = 0; k < n && strcmp(uses[k].upstream, name) != 0; k++)
			;
		if (k == n) {
			if (n == cap)
				continue;
			memset(&uses[n], 0, sizeof(uses[n]));
			uses[n++].upstream = name;
		}
		uses[k].requests += json_integer_value(json_object_get(r,
		    "requests"));
		uses[k].zdr_requests += json_integer_value(json_object_get(r,
		    "zdr_requests"));
		uses[k].sensitive += json_integer_value(json_object_get(r,
		    "sensitive_requests"));
	}
	return n;
}

static json_t *
posture_team_json(const struct posture_conf *pc, json_t *row, json_t *keys,
    json_t *usage, const struct posture_chain *chain)
{
	struct posture_result res[POSTURE__COUNT];
	struct posture_use uses[64];
	struct posture_team t;
	char budget[64];
	const char *name = json_string_value(json_object_get(row, "name"));
	json_t *checks = json_array(), *team;
	int count[3] = { 0, 0, 0 };

	memset(&t, 0, sizeof(t));
	t.name = name;
	t.policy = json_string_value(json_object_get(row, "policy"));
	budget_words(row, budget, sizeof(budget));
	t.budget = budget;
	team_keys(keys, name, &t);
	t.use = uses;
	t.n_use = team_uses(team_usage(usage, name), uses,
	    sizeof(uses) / sizeof(uses[0]));
	posture_evaluate(pc, &t, chain, res);
	for (int k = 0; k < POSTURE__COUNT; k++) {
		count[res[k].status]++;
		json_array_append_new(checks, json_pack("{s:s, s:s, s:s}",
		    "check", posture_check_name(k), "status",
		    posture_status_name(res[k].status), "reason",
		    res[k].reason));
	}
	team = json_pack("{s:s, s:s, s:{s:i, s:i, s:i}, s:o}", "team", name,
	    "policy", t.policy, "summary", "ok", count[POSTURE_OK], "warn",
	    count[POSTURE_WARN], "fail", count[POSTURE_FAIL], "checks",
	    checks);
	return team;
}

static void
posture_answer(struct call *c)
{
	struct posture_conf pc;
	struct posture_chain chain;
	json_t *v = json_object_get(c->result, "verify");
	json_t *bad = json_object_get(v, "first_bad");
	json_t *rep, *teams, *row, *seen = json_object();
	size_t i, n = 0;

	c->a->hooks.evidence(c->a->hooks.arg, &pc);
	memset(&chain, 0, sizeof(chain));
	chain.ok = json_is_true(json_object_get(v, "ok"));
	chain.last_seq = json_integer_value(json_object_get(v, "last_seq"));
	chain.signed_through = json_integer_value(json_object_get(v,
	    "signed_through"));
	chain.bad_seq = json_integer_value(json_object_get(bad, "seq"));
	chain.reason = json_string_value(json_object_get(bad, "reason"));
	rep = report_head(c, "posture", &pc);
	teams = json_array();
	warn_people(rep, &pc);
	json_array_foreach(json_object_get(c->result, "teams"), i, row) {
		const char *name = json_string_value(json_object_get(row,
		    "name"));
		const struct policy_conf *p = posture_policy(&pc,
		    json_string_value(json_object_get(row, "policy")));

		if (c->op.team[0] != '\0' && strcmp(name, c->op.team) != 0)
			continue;
		n++;
		json_array_append_new(teams, posture_team_json(&pc, row,
		    json_object_get(c->result, "keys"), json_object_get(
		    c->result, "usage"), &chain));
		if (p != NULL && rep != NULL)
			warn_policy(rep, seen, p);
	}
	json_decref(seen);
	if (c->op.team[0] != '\0' && n == 0) {
		json_decref(teams);
		json_decref(rep);
		json_decref(c->result);
		c->result = NULL;
		admin_reply_error(c, "team_not_found", "no team %s",
		    c->op.team);
		return;
	}
	if (rep != NULL)
		json_object_set_new(rep, "teams", teams);
	else
		json_decref(teams);
	answer(c, rep, admin_html_posture);
}

static void
posture_usage(struct store_op *op)
{
	if (took(op, "usage") == 0)
		posture_answer(op->arg);
}

static void
posture_keys(struct store_op *op)
{
	struct call *c = op->arg;

	if (took(op, "keys") != 0)
		return;
	bound_to_verified(c);
	admin_submit_read(c, STORE_PROCESSING_REPORT, posture_usage);
}

static void
posture_teams(struct store_op *op)
{
	if (took(op, "teams") == 0)
		admin_submit_read(op->arg, STORE_KEY_LIST, posture_keys);
}

static void
posture_verified(struct store_op *op)
{
	if (took(op, "verify") == 0)
		admin_submit_read(op->arg, STORE_TEAM_LIST, posture_teams);
}

/*
 * GET /admin/v1/reports/posture?team=&from=&to=&format=json|html: the
 * ten checks per team; the audit log's figures from [from, to) (default:
 * all of it).
 */
void
admin_report_posture(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	if (report_query(c, query) != 0)
		return;
	admin_submit_read(c, STORE_AUDIT_VERIFY, posture_verified);
}

/* ---- The Art. 30 record --------------------------------------------- */

/* One upstream as a recipient: who, where, on what basis, how long. */
static json_t *
recipient_json(const struct upstream_conf *u, json_int_t requests)
{
	static const char *const training[] = { "none", "opt-out",
		"allowed" };
	char where[256];
	int self = posture_self_hosted(u);
	int v = self && u->location.n == 0 ? TRANSFER_OK :
	    transfer_upstream(u, where, sizeof(where));

	if (self && u->location.n == 0)
		snprintf(where, sizeof(where), "on premises");
	return json_pack("{s:s, s:o, s:b, s:s, s:o, s:s, s:s, s:o, s:o, s:o, "
	    "s:b, s:s, s:b, s:I}", "upstream", u->name, "provider",
	    str_or_null(u->provider), "self_hosted", self, "region", u->region,
	    "location", strlist_json(&u->location), "transfer", where,
	    "transfer_status", v == TRANSFER_OK ? "ok" : v ==
	    TRANSFER_MISSING ? "not stated" : "no basis", "dpa",
	    str_or_null(u->dpa), "subprocessors", str_or_null(u->subprocessors),
	    "provider_retention", str_or_null(u->provider_retention), "zdr",
	    u->zdr, "training", training[u->training], "enabled", u->enabled,
	    "requests", requests);
}

/* The third-country locations of the recipients, with their basis. */
static json_t *
transfers_json(const struct posture_conf *pc, json_t *recipients,
    json_t *rep)
{
	json_t *out = json_array(), *r;
	size_t i;

	json_array_foreach(recipients, i, r) {
		const struct upstream_conf *u = posture_upstream(pc,
		    json_string_value(json_object_get(r, "upstream")));

		for (size_t k = 0; u != NULL && k < u->location.n; k++) {
			const char *code = u->location.v[k], *basis, *why;
			const struct country *cn = transfer_country(code);
			int v = transfer_assess(code, u->transfer, &basis,
			    &why);

			if (cn != NULL && cn->status == COUNTRY_EEA)
				continue;
			json_array_append_new(out, json_pack("{s:s, s:o, s:s, "
			    "s:s, s:s, s:o, s:b}", "upstream", u->name,
			    "provider", str_or_null(u->provider), "country",
			    code, "country_name", cn ? cn->name : code,
			    "safeguard", v == TRANSFER_OK ? basis : "none",
			    "decision", cn && cn->decision && strcmp(basis,
			    "adequacy") == 0 ? json_string(cn->decision) :
			    json_null(), "ok", v == TRANSFER_OK));
			if (v != TRANSFER_OK)
				warn(rep, "[upstream %s]: %s: %s", u->name,
				    code, why);
		}
	}
	return out;
}

/* The requests that went to upstream name in the period. */
static json_int_t
upstream_requests(json_t *usage, const char *name)
{
	json_int_t n = 0;
	json_t *t, *r;
	size_t i, k;

	json_array_foreach(usage, i, t)
		json_array_foreach(json_object_get(t, "recipients"), k, r)
			if (strcmp(json_string_value(json_object_get(r,
			    "upstream")), name) == 0)
				n += json_integer_value(json_object_get(r,
				    "requests"));
	return n;
}

/*
 * Every recipient: the enabled upstreams, and the others that requests
 * of the period reached (those no longer configured named as such).
 */
static json_t *
recipients_json(const struct posture_conf *pc, json_t *usage, json_t *rep)
{
	json_t *out = json_array(), *t, *r;
	size_t i, k;

	for (size_t u = 0; u < pc->n_ups; u++) {
		const struct upstream_conf *up = &pc->ups[u];
		json_int_t n = upstream_requests(usage, up->name);

		if (!up->enabled && n == 0)
			continue;
		json_array_append_new(out, recipient_json(up, n));
		if (!posture_self_hosted(up) && !stated(up->provider))
			warn(rep, "[upstream %s]: provider is not set: the "
			    "record can not name the recipient", up->name);
	}
	json_array_foreach(usage, i, t)
		json_array_foreach(json_object_get(t, "recipients"), k, r) {
			const char *name = json_string_value(json_object_get(r,
			    "upstream"));
			json_t *e;
			size_t j;
			int dup = 0;

			if (posture_upstream(pc, name) != NULL)
				continue;
			json_array_foreach(out, j, e)
				dup |= strcmp(json_string_value(json_object_get(
				    e, "upstream")), name) == 0;
			if (!dup)
				json_array_append_new(out, json_pack("{s:s, "
				    "s:n, s:s, s:I}", "upstream", name,
				    "provider", "transfer", "no longer "
				    "configured", "requests",
				    upstream_requests(usage, name)));
		}
	return out;
}

/* Per team: the policies applied with their purposes, and the provider
 * behind each recipient. */
static void
teams_json(const struct posture_conf *pc, json_t *teams, json_t *rep)
{
	json_t *t, *r, *n, *seen = json_object();
	const char *pol;
	size_t i, k;

	json_array_foreach(teams, i, t) {
		json_t *proc = json_array();

		json_object_foreach(json_object_get(t, "policy_requests"), pol,
		    n) {
			const struct policy_conf *p = posture_policy(pc, pol);

			json_array_append_new(proc, p == NULL ? json_pack(
			    "{s:s, s:O, s:b}", "policy", pol, "requests", n,
			    "configured", 0) : json_pack("{s:s, s:O, s:o, s:o, "
			    "s:o, s:b}", "policy", pol, "requests", n,
			    "purpose", str_or_null(p->purpose), "legal_basis",
			    str_or_null(p->legal_basis), "data_subjects",
			    strlist_json(&p->data_subjects), "configured", 1));
			if (p != NULL)
				warn_policy(rep, seen, p);
		}
		json_object_set_new(t, "processing", proc);
		json_array_foreach(json_object_get(t, "recipients"), k, r) {
			const struct upstream_conf *u = posture_upstream(pc,
			    json_string_value(json_object_get(r, "upstream")));

			json_object_set_new(r, "provider", u != NULL ?
			    str_or_null(u->provider) : json_null());
			json_object_set_new(r, "self_hosted", json_boolean(u !=
			    NULL && posture_self_hosted(u)));
		}
	}
	json_decref(seen);
}

/* How long data is kept: by eugate (metadata only) and by each
 * provider. */
static json_t *
retention_json(const struct posture_conf *pc, json_t *recipients)
{
	json_t *prov = json_array(), *r;
	char text[160];
	size_t i;

	if (pc->audit_retention_ms == 0)
		snprintf(text, sizeof(text), "eugate stores no prompt or "
		    "answer content; its audit records (metadata) are kept "
		    "until removed (audit_retention_days = 0)");
	else
		snprintf(text, sizeof(text), "eugate stores no prompt or "
		    "answer content; its audit records (metadata) are removed "
		    "after %.6g days",
		    (double)pc->audit_retention_ms / 86400000.0);
	json_array_foreach(recipients, i, r) {
		const struct upstream_conf *u = posture_upstream(pc,
		    json_string_value(json_object_get(r, "upstream")));
		char what[96];

		if (u == NULL)
			continue;
		if (posture_self_hosted(u))
			snprintf(what, sizeof(what), "self-hosted: the "
			    "company's own retention applies");
		else if (u->provider_retention_days >= 0)
			snprintf(what, sizeof(what), "inputs and outputs kept "
			    "%lld days", (long long)u->provider_retention_days);
		else if (u->zdr)
			snprintf(what, sizeof(what), "zero data retention");
		else
			snprintf(what, sizeof(what), "not stated");
		json_array_append_new(prov, json_pack("{s:s, s:o, s:s}",
		    "upstream", u->name, "provider", str_or_null(u->provider),
		    "retention", what));
	}
	return json_pack("{s:o, s:s, s:o}", "days", pc->audit_retention_ms ?
	    json_real((double)pc->audit_retention_ms / 86400000.0) :
	    json_null(), "text", text, "providers", prov);
}

/* Names the policies whose pii action for most types is a; "" none. */
static void
policies_with(const struct posture_conf *pc, int (*pick)(
    const struct policy_conf *), char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < pc->n_pols; i++)
		if (pick(&pc->pols[i])) {
			int w = snprintf(out + n, len > n ? len - n : 0, "%s%s",
			    n ? ", " : "", pc->pols[i].name);

			n += w > 0 ? (size_t)w : 0;
		}
	if (n >= len && len > 4)
		memcpy(out + len - 4, "...", 4);
}

static int
pick_masks(const struct policy_conf *p)
{
	return p->pii == PII_ACT_PSEUDONYMIZE || p->pii == PII_ACT_REDACT ||
	    p->pii == PII_ACT_BLOCK;
}

static int
pick_zdr(const struct policy_conf *p)
{
	return p->zdr;
}

/* The technical and organisational measures, from the configuration. */
static json_t *
measures_json(const struct posture_conf *pc, json_t *verify)
{
	char masks[256], zdr[256], ups[512], text[1024];
	size_t n = 0;
	json_t *m = json_array();

	policies_with(pc, pick_masks, masks, sizeof(masks));
	policies_with(pc, pick_zdr, zdr, sizeof(zdr));
	snprintf(text, sizeof(text), "Personal data in every text field of a "
	    "request is detected before it is forwarded and, per policy, "
	    "pseudonymized (restored in the answer), redacted or blocked "
	    "(policies that do so for every type not listed otherwise: %s); "
	    "eugate stores no prompt or answer content, and its audit log "
	    "only the types and counts found.", masks[0] ? masks : "none");
	json_array_append_new(m, json_pack("{s:s, s:s}", "measure",
	    "Pseudonymisation and minimisation", "description", text));
	snprintf(text, sizeof(text), "Policies with zdr = on (%s) send only to "
	    "upstreams whose contract has zero data retention and refuse the "
	    "endpoints it does not cover.", zdr[0] ? zdr : "none");
	json_array_append_new(m, json_pack("{s:s, s:s}", "measure",
	    "Zero data retention", "description", text));
	ups[0] = '\0';
	for (size_t i = 0; i < pc->n_ups; i++) {
		int w = snprintf(ups + n, n < sizeof(ups) ? sizeof(ups) - n : 0,
		    "%s%s %s", n ? ", " : "", pc->ups[i].name,
		    strncmp(pc->ups[i].url, "https://", 8) == 0 ? "over HTTPS" :
		    "over plain HTTP");

		n += w > 0 ? (size_t)w : 0;
	}
	snprintf(text, sizeof(text), "Clients reach eugate over %s; upstreams: "
	    "%s.", pc->client_tls ? "HTTPS (tls_cert)" : "plain HTTP: TLS "
	    "must come from the network in front of it", ups);
	json_array_append_new(m, json_pack("{s:s, s:s}", "measure",
	    "Encryption in transit", "description", text));
	json_array_append_new(m, json_pack("{s:s, s:s}", "measure",
	    "Access control", "description", "Each team calls with keys of "
	    "its own, stored only as HMAC-SHA256 and shown once; its policy "
	    "limits models, endpoint groups, regions and spend; the admin API "
	    "has a listener of its own and needs the admin token; every admin "
	    "call is recorded."));
	snprintf(text, sizeof(text), "Every request and admin call leaves an "
	    "audit record holding the hash of the one before; the chain's "
	    "head is signed with Ed25519 every %llu records and at least "
	    "every %.3g s while records arrive. This record's figures were "
	    "verified: %s through record %lld, ",
	    (unsigned long long)pc->checkpoint_records,
	    (double)pc->checkpoint_interval_ms / 1000.0,
	    json_is_true(json_object_get(verify, "ok")) ?
	    "the chain is intact" : "the chain FAILED",
	    (long long)json_integer_value(json_object_get(verify,
	    "last_seq")));
	n = strlen(text);
	if (json_integer_value(json_object_get(verify, "signed_through")) > 0)
		snprintf(text + n, sizeof(text) - n, "signed through %lld.",
		    (long long)json_integer_value(json_object_get(verify,
		    "signed_through")));
	else
		snprintf(text + n, sizeof(text) - n, "no checkpoint signed "
		    "yet.");
	json_array_append_new(m, json_pack("{s:s, s:s}", "measure",
	    "Audit trail", "description", text));
	json_array_append_new(m, json_pack("{s:s, s:s}", "measure",
	    "Data subject rights", "description", "Requests may name a data "
	    "subject (X-Eugate-Subject, kept only as a keyed hash): the "
	    "subject's records can be exported, and the objects its requests "
	    "left upstream deleted and the link to it removed."));
	return m;
}

/* The verification, with the checkpoint the figures were held to. */
static json_t *
verification_json(json_t *verify, json_t *checkpoints)
{
	json_t *v = json_deep_copy(verify), *cp, *found = json_null();
	json_int_t st = json_integer_value(json_object_get(verify,
	    "signed_through"));
	size_t i;

	if (v == NULL)
		return json_null();
	json_object_del(v, "object");
	json_array_foreach(json_object_get(checkpoints, "checkpoints"), i, cp) {
		char when[32];

		if (json_integer_value(json_object_get(cp, "seq")) != st)
			continue;
		json_decref(found);
		iso_time(json_integer_value(json_object_get(cp, "ts")), when,
		    sizeof(when));
		found = json_pack("{s:I, s:s, s:O, s:O}", "seq", st, "time",
		    when, "head", json_object_get(cp, "head"), "sig",
		    json_object_get(cp, "sig"));
	}
	json_object_set_new(v, "checkpoint", found ? found : json_null());
	return v;
}

static void
art30_answer(struct call *c)
{
	struct posture_conf pc;
	json_t *verify = json_object_get(c->result, "verify");
	json_t *usage = json_object_get(c->result, "usage");
	json_t *rep, *recipients, *bad;

	c->a->hooks.evidence(c->a->hooks.arg, &pc);
	rep = report_head(c, "art30_record", &pc);
	if (rep == NULL) {
		answer(c, NULL, admin_html_art30);
		return;
	}
	warn_people(rep, &pc);
	bad = json_object_get(verify, "first_bad");
	if (bad != NULL)
		warn(rep, "the audit chain does not verify: record %lld: %s",
		    (long long)json_integer_value(json_object_get(bad, "seq")),
		    json_string_value(json_object_get(bad, "reason")));
	json_object_set_new(rep, "verification", verification_json(verify,
	    json_object_get(c->result, "checkpoints")));
	teams_json(&pc, usage, rep);
	json_object_set(rep, "teams", usage);
	recipients = recipients_json(&pc, usage, rep);
	json_object_set_new(rep, "transfers", transfers_json(&pc, recipients,
	    rep));
	json_object_set_new(rep, "retention", retention_json(&pc, recipients));
	json_object_set_new(rep, "recipients", recipients);
	json_object_set_new(rep, "measures", measures_json(&pc, verify));
	json_object_set_new(rep, "transfer_table", json_pack("{s:s, s:s}",
	    "source", transfer_table_source, "date", transfer_table_date));
	answer(c, rep, admin_html_art30);
}

static void
art30_usage(struct store_op *op)
{
	if (took(op, "usage") == 0)
		art30_answer(op->arg);
}

static void
art30_checkpoints(struct store_op *op)
{
	struct call *c = op->arg;

	if (took(op, "checkpoints") != 0)
		return;
	bound_to_verified(c);
	admin_submit_read(c, STORE_PROCESSING_REPORT, art30_usage);
}

static void
art30_verified(struct store_op *op)
{
	if (took(op, "verify") == 0)
		admin_submit_read(op->arg, STORE_AUDIT_CHECKPOINTS,
		    art30_checkpoints);
}

/*
 * GET /admin/v1/reports/art30?team=&from=&to=&format=json|html (also
 * under its former name, /admin/v1/reports/processing): the record of
 * processing activities, its figures from the audit records that the
 * chain verification covered.
 */
void
admin_report_art30(struct call *c, const char *arg, const char *query,
    json_t *body)
{
	if (report_query(c, query) != 0)
		return;
	admin_submit_read(c, STORE_AUDIT_VERIFY, art30_verified);
}
