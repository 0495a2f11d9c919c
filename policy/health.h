/*
 * Upstream health: a circuit breaker per upstream, fed by the outcome of
 * every attempt (passive) and of optional active checks. After
 * fail_threshold consecutive failures the breaker opens and the upstream
 * is skipped for cooldown; then one request (or check) may try it
 * (half-open): success closes the breaker, failure opens it again. Pure
 * state with an injected clock; the gateway owns the table and keeps it
 * across configuration reloads (upstreams are matched by name).
 */
#ifndef POLICY_HEALTH_H
#define POLICY_HEALTH_H

#include <stddef.h>
#include <stdint.h>

enum health_state { HEALTH_CLOSED, HEALTH_OPEN, HEALTH_HALF_OPEN };

struct up_health {
	char name[65];
	unsigned fails;		/* consecutive failures */
	uint64_t open_until_us;	/* open while now is before this */
	int open;		/* the breaker tripped and did not close */
	int probing;		/* half-open: one attempt is in flight */
	uint64_t failures, successes, opened;	/* totals, for metrics */
};

struct health_table {
	struct up_health *v;
	size_t n;
};

/* The slot of name, added closed if new; (size_t)-1 when out of memory. */
size_t health_slot(struct health_table *t, const char *name);
void health_table_free(struct health_table *t);

int health_state(const struct up_health *h, uint64_t now_us);
/* 1 when a request may go there now: closed, or half-open with no probe
 * in flight (the caller then calls health_begin). */
int health_usable(const struct up_health *h, uint64_t now_us);
/* An attempt starts: in half-open state it becomes the probe. */
void health_begin(struct up_health *h, uint64_t now_us);
/*
 * The outcome of an attempt or check: ok 1 (answered), 0 (failed: no
 * connection, timeout, 5xx), -1 (no verdict: the client left first).
 * threshold 0 disables the breaker.
 */
void health_result(struct up_health *h, int ok, uint64_t now_us,
    unsigned threshold, uint64_t cooldown_us);
/* 1 when an answer with this status shows a working upstream: all but
 * 500, 502, 503 and 504 (a 429 or a 404 is a healthy answer). */
int health_status_ok(int status);

#endif
