/*
 * Worker threads for what is too large for the event loop: parsing,
 * scanning and serializing big request and response bodies. Each thread
 * has its own policy environment (PII engine, HMAC context), since those
 * serve one thread each. An item runs on some worker, then its done
 * callback runs on the loop thread; while it runs, nothing on the loop
 * may touch what the item works on.
 */
#ifndef GATEWAY_WORK_H
#define GATEWAY_WORK_H

#include <stddef.h>

#include <event2/event.h>

#include "common/err.h"
#include "policy/policy.h"

struct work;

struct work_item {
	/* On a worker thread, with that thread's environment. */
	void (*run)(struct work_item *it, const struct policy_env *env);
	/* On the loop thread, after run. */
	void (*done)(struct work_item *it);
	struct work_item *next;	/* the pool's, while queued */
};

/*
 * Starts n threads; env[i] is thread i's environment (owned by the
 * caller, alive until work_free). The event_base must be thread-aware
 * (evthread). NULL on failure.
 */
struct work *work_new(struct event_base *base, size_t n,
    const struct policy_env *env);
/* Queues it; it->done runs on the loop thread later. */
void work_submit(struct work *w, struct work_item *it);
/* Items queued or running now. */
size_t work_pending(const struct work *w);
/* Stops and joins the threads; items still queued are dropped (call
 * when no request is in flight). work_free(NULL) is a no-op. */
void work_free(struct work *w);

#endif
