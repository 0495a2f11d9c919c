/* Upstream selection: what serves the request, what the policy allows,
 * what is healthy; in failover order. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "policy/pii_vault.h"
#include "policy/policy.h"
#include "policy/route.h"
#include "policy/translate.h"

static const char *const skip_names[] = {
	"", "disabled", "model", "endpoint", "region", "sensitive", "zdr",
	"training", "breaker", "stateful"
};

const char *
route_skip_name(int skip)
{
	return skip >= 0 && skip <= ROUTE_SKIP_STATEFUL ? skip_names[skip] :
	    "?";
}

int
route_sensitive(const struct policy_conf *p, const unsigned counts[PII__COUNT],
    unsigned unscannable)
{
	if (p->sensitive_raw && unscannable > 0)
		return 1;
	for (int t = 0; t < PII__COUNT; t++) {
		if (counts[t] == 0)
			continue;
		if (p->sensitive_types[t])
			return 1;
		/* Raw: found, and forwarded as it is. */
		if (p->sensitive_raw && p->pii_actions[t] == PII_ACT_DETECT)
			return 1;
	}
	return 0;
}

static int
in_list(const struct strlist *l, const char *v)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], "*") == 0 || strcmp(l->v[i], v) == 0)
			return 1;
	return 0;
}

/* The first check an upstream fails, or ROUTE_SKIP_NONE. */
static int
check(const struct route_query *q, const struct upstream_conf *u)
{
	const struct policy_conf *p = q->policy;

	if (!u->enabled)
		return ROUTE_SKIP_DISABLED;
	if (q->model != NULL && !strlist_glob(&u->models, q->model))
		return ROUTE_SKIP_MODEL;
	if (!translate_supported(u->kind, q->ep) ||
	    (u->endpoints == ENDPOINTS_INFERENCE &&
	    !(q->ep->flags & EP_STATELESS)))
		return ROUTE_SKIP_ENDPOINT;
	return route_policy_check(p, u, q->sensitive);
}

int
route_policy_check(const struct policy_conf *p, const struct upstream_conf *u,
    int sensitive)
{
	if (!in_list(&p->regions, u->region))
		return ROUTE_SKIP_REGION;
	if (sensitive && !in_list(&p->sensitive_regions, u->region))
		return ROUTE_SKIP_SENSITIVE;
	if (p->zdr && !u->zdr)
		return ROUTE_SKIP_ZDR;
	if (u->training > p->training)
		return ROUTE_SKIP_TRAINING;
	return ROUTE_SKIP_NONE;
}

static void append(struct route_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends to the decision; what does not fit ends in "...". */
static void
append(struct route_result *res, const char *fmt, ...)
{
	size_t len = strlen(res->decision), cap = sizeof(res->decision);
	va_list ap;
	int n;

	if (len + 4 >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(res->decision + len, cap - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - len)
		memcpy(res->decision + cap - 4, "...", 4);
}

void
route_note(struct route_result *res, const char *name, const char *why)
{
	append(res, " %s:%s", name, why);
}

static void
append_list(struct route_result *res, const char *key,
    const struct strlist *l)
{
	append(res, "%s=", key);
	for (size_t i = 0; i < l->n; i++)
		append(res, "%s%s", i ? "," : "", l->v[i]);
}

static uint64_t
next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Orders eligible upstreams: by priority, then each group of equal
 * priority by a weighted draw without replacement (weight 0 last, in file
 * order: a standby).
 */
static void
order(const struct route_query *q, size_t *v, size_t n, uint64_t seed)
{
	const struct upstream_conf *ups = q->ups;

	/* Insertion sort by priority keeps file order among equals. */
	for (size_t i = 1; i < n; i++) {
		size_t x = v[i], j = i;

		for (; j > 0 && ups[v[j - 1]].priority > ups[x].priority; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	for (size_t g = 0; g < n;) {
		size_t end = g;
		uint64_t total = 0;

		while (end < n && ups[v[end]].priority == ups[v[g]].priority)
			total += ups[v[end++]].weight;
		for (size_t i = g; i < end && total > 0; i++) {
			uint64_t r = next_rand(&seed) % total, acc = 0;
			size_t k = i;

			for (; k < end; k++) {
				acc += ups[v[k]].weight;
				if (r < acc)
					break;
			}
			total -= ups[v[k]].weight;
			/* Move the pick to position i, keeping the rest in
			 * order (weight-0 ones stay at the end). */
			for (size_t x = v[k]; k > i; k--)
				v[k] = v[k - 1], v[k - 1] = x;
		}
		g = end;
	}
}

/* Notes an open breaker; the earliest half-open time is Retry-After. */
static void
skip_breaker(const struct route_query *q, struct route_result *res,
    const struct upstream_conf *u)
{
	uint64_t until = q->health[u->health_slot].open_until_us;
	uint64_t left = until > q->now_us ? until - q->now_us : 1;

	if (res->retry_after_us == 0 || left < res->retry_after_us)
		res->retry_after_us = left;
}

static int
usable(const struct route_query *q, const struct upstream_conf *u)
{
	return q->health == NULL ||
	    health_usable(&q->health[u->health_slot], q->now_us);
}

/* Files, batches, ...: one upstream holds them, the first by priority
 * (then file order), whatever the weights and health. */
static int
select_stateful(const struct route_query *q, struct route_result *res,
    const size_t *elig, size_t n_elig)
{
	size_t first = 0;

	for (size_t i = 1; i < n_elig; i++)
		if (q->ups[elig[i]].priority < q->ups[elig[first]].priority)
			first = i;
	for (size_t i = 0; i < n_elig; i++)
		if (i != first)
			route_note(res, q->ups[elig[i]].name,
			    route_skip_name(ROUTE_SKIP_STATEFUL));
	if (!usable(q, &q->ups[elig[first]])) {
		route_note(res, q->ups[elig[first]].name,
		    route_skip_name(ROUTE_SKIP_BREAKER));
		skip_breaker(q, res, &q->ups[elig[first]]);
		return res->error = ROUTE_ALL_DOWN;
	}
	res->cand[res->n++] = elig[first];
	return ROUTE_FOUND;
}

int
route_select(const struct route_query *q, struct route_result *res)
{
	const struct policy_conf *p = q->policy;
	size_t elig[64], n_elig = 0;
	int furthest = ROUTE_SKIP_DISABLED;
	/* Objects (files, batches, ...) live on one upstream: the first by
	 * priority holds them. Model calls may fail over. */
	int stateful = q->model == NULL || !(q->ep->flags & EP_MODEL);

	memset(res, 0, sizeof(*res));
	append_list(res, "regions", &p->regions);
	if (q->sensitive)
		append_list(res, " sensitive", &p->sensitive_regions);
	if (p->zdr)
		append(res, " zdr=on");
	if (q->sensitive && p->sensitive_block)
		return res->error = ROUTE_SENSITIVE_BLOCKED;
	for (size_t i = 0; i < q->n; i++) {
		const struct upstream_conf *u = &q->ups[i];
		int why = check(q, u);

		if (why == ROUTE_SKIP_NONE && !stateful && !usable(q, u))
			why = ROUTE_SKIP_BREAKER;
		if (why == ROUTE_SKIP_NONE || why > furthest)
			furthest = why == ROUTE_SKIP_NONE ? ROUTE_SKIP_BREAKER :
			    why;
		if (why == ROUTE_SKIP_BREAKER)
			skip_breaker(q, res, u);
		if (why != ROUTE_SKIP_NONE)
			route_note(res, u->name, route_skip_name(why));
		else if (n_elig < sizeof(elig) / sizeof(elig[0]))
			elig[n_elig++] = i;
	}
	if (n_elig == 0)
		return res->error = furthest <= ROUTE_SKIP_MODEL ?
		    ROUTE_NO_MODEL : furthest == ROUTE_SKIP_ENDPOINT ?
		    ROUTE_NO_ENDPOINT : furthest < ROUTE_SKIP_BREAKER ?
		    ROUTE_NO_REGION : ROUTE_ALL_DOWN;
	if (stateful)
		return select_stateful(q, res, elig, n_elig);
	order(q, elig, n_elig, q->seed);
	for (size_t i = 0; i < n_elig && i < ROUTE_MAX; i++)
		res->cand[res->n++] = elig[i];
	return ROUTE_FOUND;
}

/*
 * The routing module (ROUTE): the upstreams the request may go to, in
 * failover order, or why none: 404 model_not_found or
 * endpoint_not_supported, 403 region_unavailable or pii_blocked, 503
 * upstream_unavailable while every allowed one is failing.
 */
static int
routing_on_request(struct policy_req *r, struct policy_block *b)
{
	const struct policy_conf *p = r->policy;
	struct route_query q;

	memset(&q, 0, sizeof(q));
	q.ups = r->ups;
	q.n = r->n_ups;
	q.policy = p;
	q.model = r->model;
	q.ep = r->ep;
	q.sensitive = route_sensitive(p, r->pii_counts, r->unscannable);
	q.health = r->env->health;
	q.now_us = r->now_us;
	q.seed = r->seed;
	switch (route_select(&q, &r->route)) {
	case ROUTE_FOUND:
		return POLICY_PASS;
	case ROUTE_NO_MODEL:
		return policy_refuse(b, "model_not_found", "no upstream serves "
		    "this model");
	case ROUTE_NO_ENDPOINT:
		return policy_refuse(b, "endpoint_not_supported", "no upstream "
		    "for this model offers this endpoint");
	case ROUTE_NO_REGION:
		return policy_refuse(b, "region_unavailable",
		    "no upstream that policy '%s' allows serves this %s "
		    "(regions, %szero data retention, training)", p->name,
		    q.model ? "model" : "endpoint",
		    q.sensitive ? "regions for sensitive data, " : "");
	case ROUTE_SENSITIVE_BLOCKED:
		return policy_refuse(b, "pii_blocked",
		    "policy '%s' does not let this kind of personal data "
		    "leave (sensitive_regions = block)", p->name);
	default:
		b->retry_after_s = (int64_t)((r->route.retry_after_us +
		    999999) / 1000000);
		return policy_refuse(b, "upstream_unavailable",
		    "every upstream allowed for this request is failing; "
		    "retry later");
	}
}

const struct policy_module policy_routing = {
	.name = "routing",
	.phase = POLICY_ROUTE,
	.on_request = routing_on_request,
};
