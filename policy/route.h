/*
 * Where a request may go. route_select filters the configured upstreams
 * by what they serve (model, endpoint), by what the caller's policy
 * allows (regions, data classification, zero data retention, training)
 * and by health (open circuit breakers), then orders the rest for
 * failover: lower priority first, equal priorities shuffled by weight.
 * It also writes the decision in words, for the request's record.
 */
#ifndef POLICY_ROUTE_H
#define POLICY_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/conf.h"
#include "policy/endpoint.h"
#include "policy/health.h"
#include "policy/pii.h"

#define ROUTE_MAX 8		/* failover candidates per request */

/* Why an upstream was left out, in the order the checks run. */
enum route_skip {
	ROUTE_SKIP_NONE, ROUTE_SKIP_DISABLED, ROUTE_SKIP_MODEL,
	ROUTE_SKIP_ENDPOINT, ROUTE_SKIP_REGION, ROUTE_SKIP_SENSITIVE,
	ROUTE_SKIP_ZDR, ROUTE_SKIP_TRAINING, ROUTE_SKIP_BREAKER,
	ROUTE_SKIP_STATEFUL
};

enum route_error {
	ROUTE_FOUND,
	ROUTE_NO_MODEL,		/* 404 model_not_found: nobody serves it */
	ROUTE_NO_ENDPOINT,	/* 404 endpoint_not_supported */
	ROUTE_NO_REGION,	/* 403 region_unavailable: policy
				 * excludes all */
	ROUTE_SENSITIVE_BLOCKED, /* 403: sensitive data may go nowhere */
	ROUTE_ALL_DOWN		/* 503 upstream_unavailable: breakers open */
};

struct route_query {
	const struct upstream_conf *ups;
	size_t n;
	const struct policy_conf *policy;
	const struct endpoint *ep;	/* the operation */
	const char *model;		/* the model its body names, or NULL */
	int sensitive;			/* route_sensitive() said so */
	const struct up_health *health;	/* by health_slot; NULL: healthy */
	uint64_t now_us;
	uint64_t seed;			/* randomness for the weighted order */
};

struct route_result {
	size_t cand[ROUTE_MAX];		/* indexes into ups, in order */
	size_t n;
	int error;			/* enum route_error */
	uint64_t retry_after_us;	/* ALL_DOWN: until a breaker
					 * half-opens */
	char decision[512];		/* "regions=eu us:region ..." */
};

/* 1 when the PII findings make the request sensitive under policy p;
 * for "raw", parts that could not be scanned count as raw data. */
int route_sensitive(const struct policy_conf *p,
    const unsigned counts[PII__COUNT], unsigned unscannable);

/*
 * What policy p says of upstream u, whatever the request: the first of
 * its checks u fails (ROUTE_SKIP_REGION, _SENSITIVE for sensitive data,
 * _ZDR, _TRAINING), or ROUTE_SKIP_NONE. route_select applies it to every
 * request; the posture report asks it where a team's data may go.
 */
int route_policy_check(const struct policy_conf *p,
    const struct upstream_conf *u, int sensitive);

/* Fills res; returns res->error. */
int route_select(const struct route_query *q, struct route_result *res);

/* Appends " name:why" to the decision (failover), truncating with "...". */
void route_note(struct route_result *res, const char *name, const char *why);

const char *route_skip_name(int skip);

#endif
