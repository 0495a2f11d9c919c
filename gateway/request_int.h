/*
 * A client request's state, shared by the files that run it: request.c
 * (its life: head, body, upstream, answer, record, one failure funnel),
 * req_head.c (target, key, route and rate checks on the head), req_body.c
 * (parsing, the policy chain, routing, the reservation), req_upstream.c
 * (the upstream attempt, failover, timers) and req_answer.c (relay,
 * restoration, lists, the answer's end). Not for use outside gateway/.
 */
#ifndef GATEWAY_REQUEST_INT_H
#define GATEWAY_REQUEST_INT_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "gateway/charge.h"
#include "gateway/conn.h"
#include "gateway/gateway.h"
#include "gateway/trace.h"
#include "gateway/upstream.h"
#include "gateway/work.h"
#include "policy/endpoint.h"
#include "policy/keys.h"
#include "policy/objects.h"
#include "policy/policy.h"
#include "policy/ratelimit.h"
#include "policy/route.h"
#include "policy/translate.h"
#include "policy/usage.h"
#include "storage/store.h"

enum req_state {
	REQ_ST_NEW,		/* parsed; auth and policy run */
	REQ_ST_RESERVING,	/* waiting for the spend reservation commit */
	REQ_ST_FORWARDING,	/* upstream transfer started, no head yet */
	REQ_ST_RELAYING,	/* upstream head received, body flowing */
	REQ_ST_COMMITTING,	/* record submitted; last bytes held back */
	REQ_ST__COUNT
};

enum resp_mode { MODE_JSON, MODE_SSE, MODE_RAW };

/* What the request's metrics and spans need (gateway/req_obs.c). */
struct req_obs {
	struct trace_ctx tc;	/* tc.on: tracing is configured */
	uint64_t t0_ns;		/* wall clock at the head, when sampled */
	const struct upstream_conf *att_up;	/* the attempt's upstream;
					 * NULL: no attempt open */
	uint8_t att_span[8];	/* the attempt's span id */
	uint64_t att_t0_us;	/* its start */
	uint64_t att_end_us;	/* its end; 0: not seen */
	int att_status;		/* its answer's status; 0: no head yet */
	int att_result;		/* its end: a CURLcode; -1: not seen */
	uint64_t done_us;	/* the client got the last byte */
};

#define MAX_OUT_HEADERS 32
#define MAX_UP_HEADERS 32

struct req {
	/* Its life: where it belongs and where it is. */
	struct gateway *gw;
	struct conn *conn;		/* NULL once the client is gone */
	struct config *cfg;		/* the snapshot this request keeps */
	int state;
	char id[65];
	uint64_t t0_us;
	struct policy_req pr;		/* what the policy chain decides on */
	struct event *timer;

	/* The head (req_head.c): target, operation, key. */
	const char *method;
	const struct endpoint *ep;	/* the operation (policy/endpoint.h) */
	/* The checked path, NUL-terminated, then the query (one malloc'ed
	 * block). */
	char *path;
	size_t path_len;
	const char *query;	/* after path in its block; NULL: none */
	size_t query_len;
	int authed;
	char rl_hdr[4][24];		/* x-ratelimit-* values */

	/* The body (req_body.c, work.c): as received, parsed, forwarded. */
	struct evbuffer *raw;		/* the body as received (moved from the
					 * connection), until it is forwarded */
	const char *raw_data;		/* raw, pulled up; raw_len bytes */
	size_t raw_len;
	int multipart;			/* a multipart/form-data body */
	char boundary[72];		/* its boundary (RFC 2046: 1-70) */
	struct work_item work;		/* body work on a worker thread */
	int in_work;			/* a worker has the request */
	int work_rc;		/* req_prepare()'s result, its refusal */
	struct policy_block work_blk;
	json_t *body;			/* parsed JSON body, or NULL */
	json_t *orig;			/* untranslated copy, for failover */
	char *fwd;			/* body sent upstream */
	size_t fwd_len;
	int fwd_owned;			/* fwd was allocated by json_dumps */
	char model[128];

	/* Route and money (req_body.c, charge.c). */
	struct charge charge;		/* budgets, reservation, ledger */
	char ledger_id[40];		/* unique, never chosen by the client */

	/* The upstream attempt (req_upstream.c). */
	size_t cur;			/* the candidate being tried */
	const struct upstream_conf *up;
	int health_open;		/* the attempt's health is unreported */
	struct uxfer *xfer;
	int retry;			/* the attempt is being failed over */
	int answered;			/* an upstream sent a response head */
	int timed_out;			/* an upstream timed out */

	/* The answer (req_answer.c): relay, restoration, objects. */
	int mode;			/* enum resp_mode */
	int fold_usage;
	int paused;
	int piece_flushed;		/* this piece's first bytes went out */
	int stream_failed;
	int delivered;
	struct sse_fold fold;
	struct sse sse;
	struct evbuffer *resp;		/* buffered body */
	char *held;			/* the [DONE] event, sent last */
	size_t held_len;
	struct usage usage;
	int status;
	char error[48];
	int64_t retry_after_s;		/* for req_fail: 0 default, -1 none */
	struct hdr out[MAX_OUT_HEADERS];
	size_t n_out;
	char *out_store[MAX_OUT_HEADERS * 2];
	size_t n_store;
	struct obj_changes changes;	/* objects the answer made or deleted */
	int changes_seen;		/* the answer was read for them */

	/* Its audit record (request.c), written before the last byte. */
	struct store_op op;		/* the record (and settlement) */
	struct store_obj *objs;		/* changes, for the record */
	char rec_path[256];		/* the path as recorded */
	char client[48];		/* the client's address */
	unsigned char req_hash[32];	/* SHA-256 of the body received */
	int has_req_hash;
	EVP_MD_CTX *resp_md;		/* SHA-256 of a streamed answer */
	unsigned char answer_hash[32];	/* ... of a whole one, by answer_json */
	int has_answer_hash;
	unsigned char subject[32];	/* keyed hash of X-Eugate-Subject */
	int has_subject;
	struct req_obs obs;		/* metrics and spans */

	/* A list of objects walked upstream page by page and sliced for the
	 * team (req_answer.c), so that pages and totals are the team's. */
	struct {
		int on;
		int64_t start, size;	/* the items the client asked for */
		int64_t page;		/* the upstream page being fetched */
		int64_t seen;		/* items the team may see, so far */
		json_t *items;		/* the client's slice of them */
		json_t *last;		/* the last upstream page */
		char *query;		/* the client's query but its paging */
		size_t query_len;
	} walk;
};

/* gateway/request.c: the request's life, its failure funnel and its record. */
void
req_set_state(struct req *r, int st);
void
req_out_header(struct req *r, const char *name, const char *value, int copy);
void
req_clear_out_headers(struct req *r);
void
req_set_error_body(struct req *r, const char *code, const char *msg);
void
req_fail(struct req *r, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void
req_finish(struct req *r);

/* gateway/req_head.c: the checks on the request's head. */
int
req_valid_request_id(const char *s, size_t len);
int
req_head_checks(struct req *r, struct conn *c);
int
req_subject_tag(struct req *r, struct conn *c);
void
req_record_path(struct req *r, const char *target, size_t len);
int
req_parse_target(struct req *r, const struct http1_request *hr);

/* gateway/req_body.c: the body (parse, policy chain, serialize), routing,
 * reservation. */
int
req_take_body(struct req *r, struct conn *c);
int
req_prepare(struct req *r, const struct policy_env *env,
    struct policy_block *blk);
void
req_reserve(struct req *r);
int
req_route(struct req *r);

/* gateway/req_upstream.c: the upstream attempt, failover, timers. */
void
req_report_health(struct req *r, int ok);
void
req_timer_cb(evutil_socket_t fd, short what, void *arg);
int
req_start_attempt(struct req *r);

/*
 * gateway/req_obs.c: metrics and spans, at the request's known points:
 * its head, each upstream attempt's start, response head and end, and
 * its end (after the record's commit).
 */
void req_obs_begin(struct req *r, const struct http1_request *hr);
/* A new upstream attempt (r->up); the last one, if open, ends. Returns
 * the traceparent for the upstream (in tp), or NULL without tracing. */
const char *req_obs_attempt(struct req *r, char tp[TRACEPARENT_SIZE]);
void req_obs_first_byte(struct req *r, int status);
void req_obs_attempt_end(struct req *r, int result);
/* The request leaves r->up for another upstream. */
void req_obs_failover(struct req *r);
/* The request ended; record_failed: its record was not committed. */
void req_obs_end(struct req *r, int record_failed);

/* gateway/req_answer.c: the answer (relay, restore, lists, settle). */
/* Sets up the walk of a list operation from the client's paging (400
 * invalid_query for a bad one); -1 when it answered. */
int req_walk_begin(struct req *r);
/* The query of the walk's current upstream page (malloc'ed), or NULL. */
char *req_walk_query(const struct req *r, size_t *len);
void req_walk_cleanup(struct req *r);
void
req_arm_timer(struct req *r, uint64_t ms);
void
req_stream_out(struct req *r, const char *data, size_t len);
void
req_relay_event(struct req *r, const char *ev, size_t len);
void
req_finish_relay(struct req *r, int result, const char *errmsg);

#endif
