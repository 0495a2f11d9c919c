/*
 * The GDPR review checklist of a team: the ten questions a review of an
 * AI provider asks (DPA, region, subprocessors, retention, training,
 * zero data retention, logging, access controls, spend limits, self
 * deployment), each answered ok, warn or fail with one sentence that
 * names the evidence. Pure: the answers follow from the configuration
 * and from what storage and the audit log say of the team, nothing
 * else, so the same facts give the same answers.
 *
 * The rule of thumb: a gap in what the configuration states is a warn; a
 * configuration that lets data go where it must not, or an audit log
 * that shows it went, is a fail. Which upstreams count: those the team's
 * policy reaches now (enabled, and allowed by regions, zdr and training:
 * route_policy_check) and those its requests reached in the audit log.
 * An upstream whose region is "onprem" is run by the company itself: no
 * processor, so no DPA, no subprocessors and no transfer.
 */
#ifndef POLICY_POSTURE_H
#define POLICY_POSTURE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/conf.h"

enum posture_check {
	POSTURE_DPA, POSTURE_REGION, POSTURE_SUBPROCESSORS, POSTURE_RETENTION,
	POSTURE_TRAINING, POSTURE_ZDR, POSTURE_LOGGING, POSTURE_ACCESS,
	POSTURE_SPEND, POSTURE_SELF_DEPLOYMENT,
	POSTURE__COUNT
};

enum posture_status { POSTURE_OK, POSTURE_WARN, POSTURE_FAIL };

#define POSTURE_REASON_MAX 640

/* The configuration in force; every pointer is borrowed. */
struct posture_conf {
	const char *controller;		/* NULL: not stated */
	const char *dpo;
	uint64_t audit_retention_ms;	/* 0: audit records are kept */
	const char *global_budget;	/* [gateway] budget, or NULL */
	int client_tls;			/* HTTPS on the client listener */
	uint64_t checkpoint_records;	/* records between checkpoints */
	uint64_t checkpoint_interval_ms;
	const struct upstream_conf *ups;
	size_t n_ups;
	const struct policy_conf *pols;
	size_t n_pols;
};

/* What the audit log holds of a team's requests to one upstream. */
struct posture_use {
	const char *upstream;	/* its name in the records */
	int64_t requests;
	int64_t zdr_requests;	/* under a policy with zdr = on */
	int64_t sensitive;	/* routed as sensitive data */
};

/* What storage holds of a team; pointers borrowed. */
struct posture_team {
	const char *name;
	const char *policy;	/* the policy's name */
	const char *budget;	/* the team's budget in words, or NULL */
	int64_t keys;		/* usable (not revoked) keys */
	int64_t keys_expiring;	/* ... of which have an expiry date */
	int64_t keys_budget;	/* ... of which have a budget of their own */
	const struct posture_use *use;	/* from the audit log */
	size_t n_use;
};

/* What verifying the whole audit chain found. */
struct posture_chain {
	int ok;
	int64_t last_seq;
	int64_t signed_through;	/* the newest checkpoint it held to */
	int64_t bad_seq;	/* the first bad record, when not ok */
	const char *reason;	/* ... and why (borrowed) */
};

struct posture_result {
	int status;		/* enum posture_status */
	char reason[POSTURE_REASON_MAX];	/* one sentence */
};

/* "dpa", "region", ..., "self_deployment". */
const char *posture_check_name(int check);
/* "ok", "warn", "fail". */
const char *posture_status_name(int status);

/* 1 when the company runs u itself (region onprem). */
int posture_self_hosted(const struct upstream_conf *u);
/* [upstream NAME] and [policy NAME] of c, or NULL. */
const struct upstream_conf *posture_upstream(const struct posture_conf *c,
    const char *name);
const struct policy_conf *posture_policy(const struct posture_conf *c,
    const char *name);

/* Answers the ten checks for team t; out has POSTURE__COUNT entries. */
void posture_evaluate(const struct posture_conf *c,
    const struct posture_team *t, const struct posture_chain *chain,
    struct posture_result *out);

#endif
