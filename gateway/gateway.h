/*
 * The daemon as one object: main() builds a struct gateway and passes it
 * down; there are no other mutable globals. It owns the event base, the
 * listeners, the upstream pool, the store, the key cache and the current
 * configuration snapshot, and handles signals (SIGTERM drains, SIGHUP
 * reloads).
 */
#ifndef GATEWAY_GATEWAY_H
#define GATEWAY_GATEWAY_H

#include <stdint.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "common/err.h"
#include "gateway/config.h"
#include "policy/health.h"
#include "policy/policy.h"

struct server;
struct upool;
struct store;
struct keycache;
struct keys_hmac;
struct admin;
struct console;
struct probes;
struct audit_jobs;
struct work;
struct metrics;
struct tracer;

struct gateway_stats {
	uint64_t requests;
	uint64_t responses[6];	/* by status class: 1xx..5xx, other */
	uint64_t stream_cuts;
	uint64_t client_aborts;
	uint64_t rate_limited;		/* 429 rate_limited */
	uint64_t budget_refused;	/* 429 budget_exceeded */
	uint64_t spend_excess;		/* usage cost more than reserved */
	uint64_t usage_invalid;		/* usage out of bounds: reservation
					 * charged */
};

struct gateway {
	struct event_base *base;
	struct config *cfg;		/* current snapshot (one reference) */
	const char *config_path;	/* NULL: built-in defaults */
	struct server *client;
	struct server *admin_srv;
	struct admin *admin;
	struct console *console;	/* the web console, /ui/ */
	struct upool *upool;
	struct store *store;
	struct store *reader;		/* read-only: exports, verification */
	struct audit_jobs *audit_jobs;	/* checkpoints, retention */
	struct keycache *keys;		/* replaced whole on refresh */
	int64_t keys_version;
	int keys_loading;
	/* Several instances on one database: the owners of objects that
	 * the others made come with the key refresh (gateway/owners.c). */
	int64_t objects_version;
	int objects_polling;
	struct keys_hmac *hmac;
	struct ratelimit *rl;		/* requests and tokens per minute */
	int local_periods;		/* budget_timezone is not UTC */
	struct health_table health;	/* circuit breakers, by upstream name */
	struct probes *probes;		/* active health checks */
	uint64_t route_seed;		/* randomness of weighted balancing */
	struct policy_env env;		/* what policy modules share */
	struct objects *objects;	/* who owns what upstream */
	struct work *work;		/* threads for large bodies, or NULL */
	struct policy_env *work_env;	/* one environment per thread */
	size_t n_work;
	SSL_CTX *tls;
	struct event *sig_term, *sig_int, *sig_hup;
	struct event *key_timer;
	uint64_t uses_flushed_ms;	/* keys' last use last written */
	struct event *drain_timer;
	int draining;
	uint64_t drain_deadline_ms;
	int64_t started_at;
	unsigned n_reqs;		/* requests in flight */
	uint64_t req_seq;
	char req_prefix[17];
	int port, admin_port;
	struct gateway_stats stats;
	struct metrics *metrics;	/* Prometheus families */
	struct tracer *tracer;		/* spans; NULL: tracing is off */
};

/* Builds everything from cfg (reference taken). */
enum gw_err gateway_init(struct gateway *gw, struct config *cfg,
    const char *config_path) GW_WUR;
/* Runs the loop until drained or stopped. */
int gateway_run(struct gateway *gw);
void gateway_cleanup(struct gateway *gw);

/* Asks the store for a fresh key snapshot now (after key changes). */
void gateway_refresh_keys(struct gateway *gw);
/* Submits the keys' last uses noted since the last call (in batches);
 * an op submitted later sees them. */
void gateway_flush_key_uses(struct gateway *gw);

/* Called by the request module when a request ends (drain bookkeeping). */
void gateway_request_done(struct gateway *gw);

#endif
