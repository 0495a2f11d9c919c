/*
 * Rate limits: requests and tokens per minute per key and per team, as
 * token buckets that refill continuously (a full bucket holds one
 * minute's allowance). Pure: the caller passes the clock. Tokens are
 * charged after the answer, when the usage is known, so a bucket may go
 * below zero (by at most one minute's allowance); the next request then
 * waits until it holds one token again.
 */
#ifndef POLICY_RATELIMIT_H
#define POLICY_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* Whose limits: "k:KEYID" or "t:TEAM"; rpm/tpm 0 means no limit. */
struct rl_subject {
	const char *id;		/* copied when first seen */
	int64_t rpm, tpm;
};

/* The tightest figures over the subjects, for x-ratelimit-* headers. */
struct rl_status {
	int64_t limit_req, remaining_req;	/* -1: no such limit */
	int64_t limit_tok, remaining_tok;
	int64_t retry_after_s;			/* when refused */
	int refused_tokens;			/* refused for tokens */
};

struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *rl);

/*
 * Admits one request for every subject at once, or none: returns 0, or -1
 * when a bucket is empty (st->retry_after_s says for how long).
 */
int ratelimit_take(struct ratelimit *rl, const struct rl_subject *subs,
    int n, uint64_t now_us, struct rl_status *st);
/* Charges tokens used (after the answer) to every subject. */
void ratelimit_charge(struct ratelimit *rl, const struct rl_subject *subs,
    int n, int64_t tokens, uint64_t now_us);

#endif
