/*
 * A request's money: which budgets apply, the worst-case reservation that
 * is committed before the request is forwarded, the settlement that is
 * committed with the request's record, and the spend headers. The
 * arithmetic is policy/spend.c; this is the glue to the request.
 */
#ifndef GATEWAY_CHARGE_H
#define GATEWAY_CHARGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/config.h"
#include "policy/keys.h"
#include "policy/policy.h"
#include "policy/ratelimit.h"
#include "policy/spend.h"
#include "storage/store.h"

struct charge {
	struct spend_estimate e;	/* the worst case (the spend module) */
	int open;		/* a ledger entry was reserved */
	int excess;		/* out of charge_settle: the usage cost more
				 * than was reserved (the cost is charged) */
	int usage_invalid;	/* out of charge_settle: the upstream's usage
				 * was out of bounds (the reservation is
				 * charged) */
	const char *code;	/* and the error code */
	struct store_spend sp;
	struct store_op op;	/* the reservation */
	char remaining[48];	/* header values; "" when no budget */
	char spent[48];
	char max_tokens[24];	/* the lowered max_tokens, or "" */
};

/* What charge_begin needs to know about the request. */
struct charge_req {
	const struct config *cfg;
	const struct key_entry *key;
	const char *method;
	const char *path;	/* as recorded (storage: 255 bytes at most) */
	const char *client;	/* the client's address */
	const char *model;	/* NULL when the body names none */
	const struct spend_estimate *est;	/* the worst case */
	const char *ledger_id;
	const char *request_id;
	int64_t now_ms;
	int local_time;		/* periods in TZ (budget_timezone), not UTC */
	/* The key's and team's rate limits: a store that several instances
	 * share takes the request from them with the reservation. */
	const struct rl_subject *rl;
	int n_rl;
};

/*
 * Plans the reservation. Every forwarded request gets a ledger entry
 * before it leaves (unpriced ones reserve nothing): it is what a crash
 * leaves for the request's "interrupted" audit record. The numbers the
 * worst case depends on (n, max_tokens, pages, a batch job's lines) are
 * read here, strictly. Returns 1 when c->op is ready to submit
 * (STORE_RESERVE; the caller sets done and arg), -1 when it must be
 * refused: c->code (static; common/errors.h) says how, msg says why.
 */
int charge_begin(struct charge *c, const struct charge_req *q, char *msg,
    size_t msglen);
/* The reservation committed and fits: lowers max_tokens in body (and orig,
 * the failover copy) when the plan was clamped; fills the headers. */
void charge_reserved(struct charge *c, json_t *body, json_t *orig);
/* Seconds until the period of the refusing budget ends; -1: never. */
int64_t charge_retry_after(const struct charge *c, int64_t now_ms);

/*
 * Fills the settlement for the request's record: the cost of the usage at
 * the upstream that answered, even above the reservation (c->excess,
 * logged); the reservation when the usage is unknown and the upstream
 * may have worked (cut stream, timeout), or when the usage is out of
 * bounds (c->usage_invalid: its token counts are not kept); zero when it
 * answered an error or was never reached. A batch job is charged its
 * reservation when accepted (its lines run later); speech its characters.
 */
void charge_settle(struct charge *c, const struct config *cfg,
    const struct upstream_conf *up, const struct usage *u, int status,
    int answered, int timed_out);
/* Rewrites the header values from the budgets after the settlement. */
void charge_headers(struct charge *c);
/* The verdict of the settlement for the audit record ("spend=excess",
 * "spend=usage_invalid"), or NULL when there is none. Static. */
const char *charge_verdict(const struct charge *c);

#endif
