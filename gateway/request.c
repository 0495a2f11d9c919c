/* One client request: auth, policy, upstream, relay, record, answer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/buffer.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "common/jsontext.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/charge.h"
#include "gateway/gateway.h"
#include "gateway/request.h"
#include "gateway/upstream.h"
#include "gateway/work.h"
#include "policy/endpoint.h"
#include "policy/keys.h"
#include "policy/objects.h"
#include "policy/pii.h"
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

static const char *const req_state_names[REQ_ST__COUNT] = {
	"new", "reserving", "forwarding", "relaying", "committing"
};

/* Allowed transitions: [from][to]. */
static const unsigned char req_transitions[REQ_ST__COUNT][REQ_ST__COUNT] = {
	[REQ_ST_NEW] = { [REQ_ST_RESERVING] = 1, [REQ_ST_COMMITTING] = 1 },
	[REQ_ST_RESERVING] = { [REQ_ST_FORWARDING] = 1,
	    [REQ_ST_COMMITTING] = 1 },
	[REQ_ST_FORWARDING] = { [REQ_ST_FORWARDING] = 1,
	    [REQ_ST_RELAYING] = 1, [REQ_ST_COMMITTING] = 1 },
	[REQ_ST_RELAYING] = { [REQ_ST_COMMITTING] = 1 },
};

enum resp_mode { MODE_JSON, MODE_SSE, MODE_RAW };

#define MAX_OUT_HEADERS 32
#define MAX_UP_HEADERS 32

struct req {
	struct gateway *gw;
	struct conn *conn;		/* NULL once the client is gone */
	struct config *cfg;		/* the snapshot this request keeps */
	int state;
	char id[65];
	uint64_t t0_us;
	int authed;
	struct key_entry key;		/* a copy: the cache may be swapped */
	struct policy_req pr;
	struct evbuffer *raw;		/* the body as received (moved from the
					 * connection), until it is forwarded */
	const char *raw_data;		/* raw, pulled up; raw_len bytes */
	size_t raw_len;
	int multipart;			/* a multipart/form-data body */
	char boundary[72];		/* its boundary (RFC 2046: 1-70) */
	struct work_item work;		/* body work on a worker thread */
	int in_work;			/* a worker has the request */
	int work_rc;			/* prepare()'s result, and its refusal */
	struct policy_block work_blk;
	json_t *body;			/* parsed JSON body, or NULL */
	json_t *orig;			/* untranslated copy, for failover */
	char *fwd;			/* body sent upstream */
	size_t fwd_len;
	int fwd_owned;			/* fwd was allocated by json_dumps */
	const char *method;
	const struct endpoint *ep;	/* the operation (policy/endpoint.h) */
	char *path;			/* the checked path, NUL-terminated, then
					 * the query (one malloc'ed block) */
	size_t path_len;
	const char *query;		/* after path in its block; NULL: none */
	size_t query_len;
	char rec_path[256];		/* the path as recorded */
	char model[128];
	struct route_result route;	/* candidates and the decision */
	size_t cur;			/* the candidate being tried */
	const struct upstream_conf *up;
	int health_open;		/* the attempt's health is unreported */
	struct uxfer *xfer;
	int retry;			/* the attempt is being failed over */
	int mode;			/* enum resp_mode */
	int fold_usage;
	int paused;
	int stream_failed;
	int delivered;
	struct sse_fold fold;
	struct sse sse;
	struct evbuffer *resp;		/* buffered body */
	char *held;			/* the [DONE] event, sent last */
	size_t held_len;
	struct event *timer;
	struct usage usage;
	int status;
	char error[48];
	struct hdr out[MAX_OUT_HEADERS];
	size_t n_out;
	char *out_store[MAX_OUT_HEADERS * 2];
	size_t n_store;
	struct store_op op;		/* the record (and settlement) */
	struct charge charge;		/* budgets, reservation, ledger */
	struct charge_scan scan;	/* what the body references */
	struct ep_param params[4];	/* the objects the path names */
	size_t n_params;
	struct obj_changes changes;	/* objects the answer made or deleted */
	int changes_seen;		/* the answer was read for them */
	struct store_obj *objs;		/* changes, for the record */
	char ledger_id[40];		/* unique, never chosen by the client */
	int answered;			/* an upstream sent a response head */
	int timed_out;			/* an upstream timed out */
	int64_t retry_after_s;		/* for req_fail: 0 default, -1 none */
	struct rl_subject rl[2];	/* key and team rate limits */
	char rl_id[2][80];
	int n_rl;
	struct rl_status rls;
	char rl_hdr[4][24];		/* x-ratelimit-* values */
	/* For the audit record. */
	char client[48];		/* the client's address */
	unsigned char req_hash[32];	/* SHA-256 of the body received */
	int has_req_hash;
	EVP_MD_CTX *resp_md;		/* SHA-256 of a streamed answer */
	unsigned char answer_hash[32];	/* ... of a whole one, by answer_json */
	int has_answer_hash;
	unsigned char subject[32];	/* keyed hash of X-Eugate-Subject */
	int has_subject;
};

static int start_attempt(struct req *r);
static void report_health(struct req *r, int ok);
static void req_finish(struct req *r);

static void
req_set_state(struct req *r, int st)
{
	if (!req_transitions[r->state][st]) {
		log_error("req=%s bad transition %s -> %s", log_q(r->id),
		    req_state_names[r->state], req_state_names[st]);
		abort();
	}
	log_debug("req=%s %s -> %s", log_q(r->id), req_state_names[r->state],
	    req_state_names[st]);
	r->state = st;
}

static void
out_header(struct req *r, const char *name, const char *value, int copy)
{
	if (r->n_out == MAX_OUT_HEADERS)
		return;
	if (copy) {
		char *n = strdup(name), *v = strdup(value);

		if (n == NULL || v == NULL) {
			free(n);
			free(v);
			return;
		}
		r->out_store[r->n_store++] = n;
		r->out_store[r->n_store++] = v;
		name = n;
		value = v;
	}
	r->out[r->n_out].name = name;
	r->out[r->n_out].value = value;
	r->n_out++;
}

static void
clear_out_headers(struct req *r)
{
	for (size_t i = 0; i < r->n_store; i++)
		free(r->out_store[i]);
	r->n_store = 0;
	r->n_out = 0;
	out_header(r, "X-Request-Id", r->id, 0);
	if (r->charge.remaining[0] != '\0') {
		out_header(r, "x-eugate-spend-remaining", r->charge.remaining, 0);
		out_header(r, "x-eugate-spend", r->charge.spent, 0);
	}
	if (r->charge.max_tokens[0] != '\0')
		out_header(r, "x-eugate-max-tokens", r->charge.max_tokens, 0);
	if (r->rls.limit_req >= 0) {
		out_header(r, "x-ratelimit-limit-req-minute", r->rl_hdr[0], 0);
		out_header(r, "x-ratelimit-remaining-req-minute", r->rl_hdr[1],
		    0);
	}
	if (r->rls.limit_tok >= 0) {
		out_header(r, "x-ratelimit-limit-tokens-minute", r->rl_hdr[2], 0);
		out_header(r, "x-ratelimit-remaining-tokens-minute",
		    r->rl_hdr[3], 0);
	}
}

static void
req_free(struct req *r)
{
	struct gateway *gw = r->gw;

	if (r->conn != NULL)
		conn_set_ctx(r->conn, NULL);
	if (r->xfer != NULL)
		uxfer_abort(r->xfer);
	policy_cleanup(&r->pr);
	for (size_t i = 0; i < r->n_store; i++)
		free(r->out_store[i]);
	json_decref(r->body);
	json_decref(r->orig);
	free(r->path);
	if (r->raw != NULL)
		evbuffer_free(r->raw);
	obj_changes_free(&r->changes);
	free(r->objs);
	if (r->fwd_owned)
		free(r->fwd);
	sse_fold_cleanup(&r->fold);
	sse_cleanup(&r->sse);
	if (r->resp != NULL)
		evbuffer_free(r->resp);
	free(r->held);
	EVP_MD_CTX_free(r->resp_md);
	if (r->timer != NULL)
		event_free(r->timer);
	config_unref(r->cfg);
	free(r);
	gateway_request_done(gw);
}

/* Sets the error body in Mistral's envelope; the message holds no content. */
static void
set_error_body(struct req *r, int status, const char *type, const char *code,
    const char *msg)
{
	json_t *e = json_pack("{s:s, s:s, s:s, s:n, s:s}", "object", "error",
	    "message", msg, "type", type, "param", "code", code);
	char *js = e ? json_dumps(e, JSON_COMPACT) : NULL;

	json_decref(e);
	r->status = status;
	snprintf(r->error, sizeof(r->error), "%s", code);
	evbuffer_drain(r->resp, evbuffer_get_length(r->resp));
	if (js != NULL)
		evbuffer_add(r->resp, js, strlen(js));
	free(js);
	r->mode = MODE_JSON;
	clear_out_headers(r);
	out_header(r, "Content-Type", "application/json", 0);
}

static void req_fail(struct req *r, int status, const char *type,
    const char *code, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The one funnel for failures before any response byte was sent. */
static void
req_fail(struct req *r, int status, const char *type, const char *code,
    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	set_error_body(r, status, type, code, msg);
	if (r->retry_after_s > 0) {
		char v[24];

		snprintf(v, sizeof(v), "%lld", (long long)r->retry_after_s);
		out_header(r, "Retry-After", v, 1);
	} else if (r->retry_after_s == 0 && (status == 429 || status == 503)) {
		out_header(r, "Retry-After", "1", 0);
	}
	req_finish(r);
}

/* Sends the held-back end of the response to the client. */
static void
deliver(struct req *r)
{
	struct conn *c = r->conn;

	if (c == NULL || r->delivered)
		return;
	r->delivered = 1;
	r->conn = NULL;
	if (r->mode == MODE_JSON) {
		struct evbuffer *b = r->resp;
		size_t len = evbuffer_get_length(b);

		conn_respond(c, r->status, r->out, r->n_out,
		    (const char *)evbuffer_pullup(b, -1), len);
		return;
	}
	if (r->held != NULL)
		conn_stream_write(c, r->held, r->held_len);
	conn_stream_end(c, !(r->stream_failed && r->mode == MODE_RAW));
}

/* Entity types and counts, never values: "EMAIL:2,IBAN:1". */
static void
pii_summary(const struct req *r, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (int t = 0; t < PII__COUNT && n < len; t++)
		if (r->pr.pii_counts[t] > 0)
			n += (size_t)snprintf(out + n, len - n, "%s%s:%u",
			    n ? "," : "", pii_type_name(t), r->pr.pii_counts[t]);
}

static void
log_request(struct req *r)
{
	const struct store_request *rec = &r->op.rec;
	log_info("req=%s key=%s team=%s %s %s model=%s upstream=%s status=%d "
	    "prompt_tokens=%lld completion_tokens=%lld us=%lld%s%s%s%s",
	    log_q(r->id), rec->key_id[0] ? log_q(rec->key_id) : "-",
	    rec->team[0] ? log_q(rec->team) : "-", log_q(rec->method),
	    log_q(rec->path), rec->model[0] ? log_q(rec->model) : "-",
	    rec->upstream[0] ? log_q(rec->upstream) : "-", rec->status,
	    (long long)rec->prompt_tokens, (long long)rec->completion_tokens,
	    (long long)rec->latency_us, rec->pii[0] ? " pii=" : "", rec->pii,
	    r->error[0] ? " error=" : "", r->error[0] ? log_q(r->error) : "");
}

static void
committed(struct store_op *op)
{
	struct req *r = op->arg;

	if (op->err != GW_OK) {
		log_error("req=%s record not stored: %s", log_q(r->id),
		    gw_strerror(op->err));
		/* Fail closed: an unrecorded answer is not delivered whole. */
		if (r->mode == MODE_JSON && r->conn != NULL && !r->delivered)
			set_error_body(r, 503, "server_error",
			    "storage_unavailable", "storage unavailable");
		else
			r->stream_failed = 1, r->mode = MODE_RAW;
	} else {
		if (r->charge.sp.settle) {
			/* A held answer carries the spend after its
			 * settlement. */
			charge_headers(&r->charge);
		}
		for (size_t i = 0; i < r->changes.n; i++) {
			const struct obj_change *ch = &r->changes.v[i];

			if (objects_set(r->gw->objects, ch->kind, ch->id,
			    strlen(ch->id), ch->removed ? NULL : r->key.team) !=
			    0)
				log_error("req=%s: out of memory caching an "
				    "object's owner", log_q(r->id));
		}
	}
	deliver(r);
	req_free(r);
}

/* Tokens a request counts against tokens-per-minute limits. */
static int64_t
tokens_used(const struct req *r)
{
	if (r->usage.total_tokens >= 0)
		return r->usage.total_tokens;
	if (r->usage.prompt_tokens >= 0)
		return r->usage.prompt_tokens + (r->usage.completion_tokens > 0 ?
		    r->usage.completion_tokens : 0);
	if (r->charge.open)	/* unknown: the reservation's worst case */
		return r->charge.plan.est.prompt + r->charge.plan.est.completion;
	return 0;
}

/* The hash of the answer as the client gets it, held-back end included. */
static void
response_hash(struct req *r, struct store_request *rec)
{
	unsigned int n = 0;

	if (r->mode == MODE_JSON && r->has_answer_hash) {
		memcpy(rec->resp_hash, r->answer_hash, sizeof(rec->resp_hash));
		rec->has_resp_hash = 1;
		return;
	}
	if (r->mode == MODE_JSON) {
		size_t len = evbuffer_get_length(r->resp);

		SHA256(len ? evbuffer_pullup(r->resp, -1) :
		    (const unsigned char *)"", len, rec->resp_hash);
		rec->has_resp_hash = 1;
		return;
	}
	if (r->resp_md == NULL)
		return;
	if (r->held != NULL)
		EVP_DigestUpdate(r->resp_md, r->held, r->held_len);
	rec->has_resp_hash = EVP_DigestFinal_ex(r->resp_md, rec->resp_hash,
	    &n) == 1 && n == 32;
}

/* What the answer made or deleted upstream goes into the request's
 * record, in the same transaction; the cache follows once committed. */
static void
record_objects(struct req *r)
{
	if (r->answered && r->status >= 200 && r->status < 300 &&
	    !r->changes_seen)
		objects_from_answer(r->gw->objects, r->ep, r->params,
		    r->n_params, NULL, r->key.team, &r->changes);
	if (r->changes.n == 0)
		return;
	r->objs = calloc(r->changes.n, sizeof(*r->objs));
	if (r->objs == NULL) {
		log_error("req=%s: out of memory recording %zu objects",
		    log_q(r->id), r->changes.n);
		return;
	}
	for (size_t i = 0; i < r->changes.n; i++) {
		util_copy(r->objs[i].kind, sizeof(r->objs[i].kind),
		    endpoint_obj_name(r->changes.v[i].kind));
		util_copy(r->objs[i].id, sizeof(r->objs[i].id),
		    r->changes.v[i].id);
		r->objs[i].removed = r->changes.v[i].removed;
	}
	r->op.objs = r->objs;
	r->op.n_objs = r->changes.n;
}

/* Records the request; the client's last bytes wait for the commit. */
static void
req_finish(struct req *r)
{
	struct store_request *rec = &r->op.rec;
	struct gateway *gw = r->gw;

	if (r->timer != NULL)
		evtimer_del(r->timer);
	if (r->conn == NULL && r->status == 0)
		r->status = 499;
	req_set_state(r, REQ_ST_COMMITTING);
	if (r->up != NULL)
		report_health(r, -1);
	policy_run_finish(&r->pr, r->status, &r->usage);
	memset(&r->op, 0, sizeof(r->op));
	r->op.type = STORE_AUDIT_APPEND;
	r->op.done = committed;
	r->op.arg = r;
	charge_settle(&r->charge, r->cfg, r->answered ? r->up : NULL, &r->usage,
	    r->status, r->answered, r->timed_out);
	if (r->charge.sp.settle)
		r->op.spend = &r->charge.sp;
	if (r->n_rl > 0)
		ratelimit_charge(gw->rl, r->rl, r->n_rl, tokens_used(r),
		    util_now_us());
	snprintf(rec->kind, sizeof(rec->kind), "request");
	util_copy(rec->request_id, sizeof(rec->request_id), r->id);
	rec->ts_ms = util_wall_s() * 1000;
	util_copy(rec->client, sizeof(rec->client), r->client);
	if (r->authed) {
		util_copy(rec->key_id, sizeof(rec->key_id), r->key.id);
		util_copy(rec->team, sizeof(rec->team), r->key.team);
		util_copy(rec->policy, sizeof(rec->policy), r->key.policy);
	}
	if (r->pr.policy != NULL)
		rec->zdr = r->pr.policy->zdr;
	memcpy(rec->verdicts, r->pr.verdicts, sizeof(rec->verdicts));
	if (charge_verdict(&r->charge) != NULL) {
		size_t vl = strlen(rec->verdicts);

		snprintf(rec->verdicts + vl, sizeof(rec->verdicts) - vl, "%s%s",
		    vl ? " " : "", charge_verdict(&r->charge));
		gw->stats.spend_excess += r->charge.excess;
		gw->stats.usage_invalid += r->charge.usage_invalid;
	}
	rec->cost[0] = rec->cost[1] = -1;
	if (r->charge.sp.settle)
		memcpy(rec->cost, r->charge.sp.cost, sizeof(rec->cost));
	memcpy(rec->req_hash, r->req_hash, sizeof(rec->req_hash));
	rec->has_req_hash = r->has_req_hash;
	memcpy(rec->subject, r->subject, sizeof(rec->subject));
	rec->has_subject = r->has_subject;
	util_copy(rec->method, sizeof(rec->method), r->method);
	util_copy(rec->path, sizeof(rec->path), r->rec_path);
	util_copy(rec->model, sizeof(rec->model), r->model);
	if (r->up != NULL) {
		util_copy(rec->upstream, sizeof(rec->upstream), r->up->name);
		util_copy(rec->region, sizeof(rec->region), r->up->region);
	}
	memcpy(rec->route, r->route.decision, sizeof(rec->route));
	rec->status = r->status;
	rec->prompt_tokens = r->usage.prompt_tokens;
	rec->completion_tokens = r->usage.completion_tokens;
	rec->latency_us = (int64_t)(util_now_us() - r->t0_us);
	util_copy(rec->error, sizeof(rec->error), r->error);
	rec->streamed = r->mode == MODE_SSE;
	pii_summary(r, rec->pii, sizeof(rec->pii));
	response_hash(r, rec);
	record_objects(r);
	gw->stats.responses[r->status >= 100 && r->status < 600 ?
	    r->status / 100 - 1 : 5]++;
	log_request(r);
	/* Unauthenticated answers are not held for the commit. */
	if (!r->authed)
		deliver(r);
	store_submit(gw->store, &r->op);
}

static void
arm_timer(struct req *r, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(r->timer, &tv);
}

/* Writes streamed answer bytes to the client, hashing what it gets. */
static void
stream_out(struct req *r, const char *data, size_t len)
{
	if (r->resp_md != NULL)
		EVP_DigestUpdate(r->resp_md, data, len);
	conn_stream_write(r->conn, data, len);
}

/* Writes one SSE event to the client; [DONE] waits for the commit. */
static void
emit_event(void *arg, const char *ev, size_t len)
{
	struct req *r = arg;

	if (r->conn == NULL)
		return;
	if (len >= 12 && memcmp(ev, "data: [DONE]", 12) == 0) {
		char *h = realloc(r->held, r->held_len + len);

		if (h != NULL) {
			memcpy(h + r->held_len, ev, len);
			r->held = h;
			r->held_len += len;
			return;
		}
	}
	stream_out(r, ev, len);
}

/* An event in Mistral's shape passes the policy modules' hooks. */
static void
policy_event(void *arg, const char *ev, size_t len)
{
	struct req *r = arg;

	policy_run_event(&r->pr, ev, len, emit_event, r);
}

static void
relay_event(struct req *r, const char *ev, size_t len)
{
	usage_from_event(ev, len, &r->usage);
	if (r->ep->creates == EP_OBJ_CONVERSATION && r->changes.n == 0 &&
	    memmem(ev, len, "conversation_id", 15) != NULL) {
		char *data = NULL;
		long dl = sse_event_data(ev, len, &data);

		if (dl > 0 && r->status < 300)
			objects_from_event(r->ep, data, (size_t)dl,
			    &r->changes);
		free(data);
	}
	if (r->fold_usage)
		sse_fold_event(&r->fold, ev, len, policy_event, r);
	else
		policy_event(r, ev, len);
}

/* The stream ended: what translation and policies hold goes out. */
static void
relay_flush(struct req *r)
{
	if (r->fold_usage)
		sse_fold_flush(&r->fold, policy_event, r);
	policy_run_stream_end(&r->pr, emit_event, r);
}

/* Ends an SSE stream that the upstream cut, in a shape clients parse. */
static void
sse_fail(struct req *r, const char *code, const char *msg)
{
	char ev[256];
	int n;

	r->stream_failed = 1;
	if (code != r->error)	/* overlapping copies are undefined */
		snprintf(r->error, sizeof(r->error), "%s", code);
	if (r->mode != MODE_SSE || r->conn == NULL)
		return;
	relay_flush(r);
	n = snprintf(ev, sizeof(ev), "data: {\"object\":\"error\",\"message\":"
	    "\"%s\",\"type\":\"server_error\",\"param\":null,\"code\":\"%s\"}"
	    "\n\n", msg, code);
	stream_out(r, ev, (size_t)n);
}

/* Feeds the attempt's outcome to its upstream's circuit breaker, once:
 * ok 1 answered, 0 failed, -1 no verdict (the client left first). */
static void
report_health(struct req *r, int ok)
{
	const struct upstream_conf *u = r->up;

	if (!r->health_open)
		return;
	r->health_open = 0;
	health_result(&r->gw->health.v[u->health_slot], ok, util_now_us(),
	    (unsigned)u->fail_threshold, u->cooldown_ms * 1000);
}

/* Whether another candidate remains; notes why this one is left. */
static int
can_fail_over(struct req *r, const char *why)
{
	if (r->cur + 1 >= r->route.n)
		return 0;
	route_note(&r->route, r->up->name, why);
	return 1;
}

static int
pass_header(const char *name)
{
	static const char *const exact[] = {
		"content-type", "content-disposition", "retry-after",
		"x-model-deprecation-timestamp", NULL
	};
	static const char *const prefix[] = {
		"x-ratelimit-", "ratelimitbysize-", "x-ratelimitbysize-", NULL
	};

	for (int i = 0; exact[i] != NULL; i++)
		if (strcasecmp(name, exact[i]) == 0)
			return 1;
	for (int i = 0; prefix[i] != NULL; i++)
		if (strncasecmp(name, prefix[i], strlen(prefix[i])) == 0)
			return 1;
	return 0;
}

static int
up_on_head(void *arg, int status, const struct uheader *h, size_t n)
{
	struct req *r = arg;
	const char *ctype = "";

	report_health(r, health_status_ok(status));
	if ((status == 502 || status == 503) &&
	    can_fail_over(r, status == 502 ? "502" : "503")) {
		log_info("req=%s upstream %s answered %d: failing over",
		    log_q(r->id), log_q(r->up->name), status);
		r->retry = 1;
		return -1;
	}
	if (r->conn == NULL)
		return -1;
	req_set_state(r, REQ_ST_RELAYING);
	r->status = status;
	r->answered = 1;
	clear_out_headers(r);
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(h[i].name, "content-type") == 0)
			ctype = h[i].value;
		/* The gateway's own limits replace the upstream's figures. */
		if (r->n_rl > 0 &&
		    strncasecmp(h[i].name, "x-ratelimit-", 12) == 0)
			continue;
		if (pass_header(h[i].name))
			out_header(r, h[i].name, h[i].value, 1);
	}
	arm_timer(r, r->cfg->upstream_idle_timeout_ms);
	if (strncasecmp(ctype, "text/event-stream", 17) == 0) {
		r->mode = MODE_SSE;
		sse_init(&r->sse, (size_t)r->cfg->max_event_bytes);
		out_header(r, "Cache-Control", "no-cache", 0);
		out_header(r, "X-Accel-Buffering", "no", 0);
	} else if (strncasecmp(ctype, "application/json", 16) == 0 ||
	    status >= 400 || ctype[0] == '\0') {
		r->mode = MODE_JSON;
		return 0;
	} else {
		r->mode = MODE_RAW;
	}
	if (r->resp_md == NULL) {
		r->resp_md = EVP_MD_CTX_new();
		if (r->resp_md == NULL ||
		    EVP_DigestInit_ex(r->resp_md, EVP_sha256(), NULL) != 1) {
			snprintf(r->error, sizeof(r->error), "out_of_memory");
			return -1;
		}
	}
	conn_stream_begin(r->conn, status, r->out, r->n_out);
	return 0;
}

static int
up_on_data(void *arg, const char *data, size_t len)
{
	struct req *r = arg;
	size_t n;

	if (r->conn == NULL)
		return -1;
	arm_timer(r, r->cfg->upstream_idle_timeout_ms);
	if (r->mode == MODE_JSON) {
		if (evbuffer_get_length(r->resp) + len >
		    r->cfg->max_response_bytes) {
			snprintf(r->error, sizeof(r->error),
			    "response_too_large");
			return -1;
		}
		evbuffer_add(r->resp, data, len);
		return 0;
	}
	if (conn_out_full(r->conn)) {
		/* The client is slow, not the upstream: no idle timeout while
		 * paused; the client's send timeout bounds the wait. */
		r->paused = 1;
		evtimer_del(r->timer);
		return 1;
	}
	if (r->mode == MODE_RAW) {
		stream_out(r, data, len);
		return 0;
	}
	if (sse_feed(&r->sse, data, len) != 0) {
		snprintf(r->error, sizeof(r->error), "out_of_memory");
		return -1;
	}
	while ((n = sse_next(&r->sse)) > 0) {
		relay_event(r, r->sse.buf, n);
		sse_consume(&r->sse, n);
	}
	if (sse_overflow(&r->sse)) {
		snprintf(r->error, sizeof(r->error), "event_too_large");
		return -1;
	}
	return 0;
}

static int
retryable(int result)
{
	switch (result) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* Tries the next candidate; returns 0 if one started. */
static int
fail_over(struct req *r)
{
	r->gw->stats.upstream_failovers++;
	r->cur++;
	r->retry = 0;
	return start_attempt(r);
}

/*
 * A list answer shows only what the team may reach: its own objects, and
 * under shared_objects those nobody is known to own. Its counts follow.
 * Returns 1 when root changed.
 */
static int
list_filter(struct req *r, json_t *root)
{
	json_t *items = objects_list_items(root), *pg;
	size_t before, after;

	if (items == NULL)
		return 0;
	before = json_array_size(items);
	after = objects_filter(r->gw->objects, r->ep->lists, items,
	    r->key.team, r->pr.policy->shared_objects);
	if (before == after)
		return 0;
	if (json_is_integer(json_object_get(root, "total")))
		json_object_set_new(root, "total", json_integer(
		    json_integer_value(json_object_get(root, "total")) -
		    (json_int_t)(before - after)));
	pg = json_object_get(root, "pagination");
	if (json_is_integer(json_object_get(pg, "total_items")))
		json_object_set_new(pg, "total_items", json_integer(
		    json_integer_value(json_object_get(pg, "total_items")) -
		    (json_int_t)(before - after)));
	return 1;
}

/*
 * A whole JSON answer: its usage, the policies' restoration, and the hash
 * of what the client gets. On a worker thread for large answers (the
 * request is the worker's alone meanwhile), else on the loop.
 */
static void
answer_json(struct req *r)
{
	size_t len = evbuffer_get_length(r->resp);
	json_t *root = jsontext_parse((const char *)evbuffer_pullup(r->resp,
	    -1), len, 0, NULL);

	if (root != NULL) {
		int filtered = 0;

		usage_from_json(root, &r->usage);
		if (r->ep->lists != EP_OBJ_NONE)
			filtered = list_filter(r, root);
		objects_from_answer(r->gw->objects, r->ep, r->params,
		    r->n_params, root, r->key.team, &r->changes);
		r->changes_seen = 1;
		if (policy_run_response_json(&r->pr, root) | filtered) {
			size_t jl;
			char *js = jsontext_dump(root, 0, &jl);

			if (js != NULL) {
				evbuffer_drain(r->resp, len);
				evbuffer_add(r->resp, js, jl);
				OPENSSL_cleanse(js, jl);
				free(js);
			}
		}
	}
	json_decref(root);
	len = evbuffer_get_length(r->resp);
	SHA256(len ? evbuffer_pullup(r->resp, -1) : (const unsigned char *)"",
	    len, r->answer_hash);
	r->has_answer_hash = 1;
}

static void
answer_run(struct work_item *it, const struct policy_env *env)
{
	struct req *r = (struct req *)((char *)it - offsetof(struct req, work));

	(void)env;
	answer_json(r);
}

static void
answer_done(struct work_item *it)
{
	struct req *r = (struct req *)((char *)it - offsetof(struct req, work));

	r->in_work = 0;
	req_finish(r);
}

static void
finish_relay(struct req *r, int result, const char *errmsg)
{
	if (result != 0) {
		log_warn("req=%s upstream %s cut the response: %s",
		    log_q(r->id), log_q(r->up->name), log_q(errmsg));
		r->gw->stats.stream_cuts++;
		if (r->mode == MODE_JSON) {
			if (r->error[0] != '\0' &&
			    strcmp(r->error, "response_too_large") == 0)
				set_error_body(r, 502, "server_error",
				    "response_too_large",
				    "upstream response over max_response_bytes");
			else if (result == CURLE_BAD_CONTENT_ENCODING)
				set_error_body(r, 502, "server_error",
				    "upstream_bad_encoding",
				    "upstream answer could not be decoded");
			else
				set_error_body(r, 502, "server_error",
				    "upstream_unavailable",
				    "upstream connection lost");
		} else if (result == CURLE_OPERATION_TIMEDOUT) {
			sse_fail(r, "upstream_timeout", "upstream timed out");
		} else if (result == CURLE_BAD_CONTENT_ENCODING) {
			sse_fail(r, "upstream_bad_encoding",
			    "upstream answer could not be decoded");
		} else if (r->error[0] == '\0') {
			sse_fail(r, "upstream_unavailable",
			    "upstream connection lost");
		} else {
			sse_fail(r, r->error, "upstream stream error");
		}
		req_finish(r);
		return;
	}
	if (r->mode == MODE_SSE) {
		if (r->sse.len > 0)	/* a last event without blank line */
			relay_event(r, r->sse.buf, r->sse.len);
		relay_flush(r);
	} else if (r->mode == MODE_JSON && r->status < 300) {
		if (r->gw->work != NULL && evbuffer_get_length(r->resp) >=
		    r->cfg->worker_min_bytes) {
			evtimer_del(r->timer);
			r->in_work = 1;
			r->work.run = answer_run;
			r->work.done = answer_done;
			work_submit(r->gw->work, &r->work);
			return;
		}
		answer_json(r);
	}
	req_finish(r);
}

static void
up_on_done(void *arg, int result, const char *errmsg)
{
	struct req *r = arg;

	r->xfer = NULL;
	if (r->state == REQ_ST_FORWARDING || r->retry) {
		int timed_out = result == CURLE_OPERATION_TIMEDOUT;

		r->timed_out |= timed_out;
		if (!r->retry) {
			log_warn("req=%s upstream %s failed: %s", log_q(r->id),
			    log_q(r->up->name), log_q(errmsg));
			report_health(r, 0);
		}
		if ((r->retry || (retryable(result) && can_fail_over(r,
		    timed_out ? "timeout" : "unreachable"))) &&
		    fail_over(r) == 0)
			return;
		if (r->state != REQ_ST_FORWARDING)
			return;	/* fail_over already answered */
		if (timed_out)
			req_fail(r, 504, "server_error", "upstream_timeout",
			    "upstream timed out");
		else if (result == CURLE_BAD_CONTENT_ENCODING)
			req_fail(r, 502, "server_error",
			    "upstream_bad_encoding", "upstream answered in a "
			    "content coding the gateway can not decode");
		else
			req_fail(r, 502, "server_error", "upstream_unavailable",
			    "upstream unavailable");
		return;
	}
	finish_relay(r, result, errmsg);
}

static const struct uxfer_ops up_ops = {
	.on_head = up_on_head,
	.on_data = up_on_data,
	.on_done = up_on_done,
};

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct req *r = arg;

	uxfer_abort(r->xfer);
	r->xfer = NULL;
	if (r->state == REQ_ST_FORWARDING) {
		r->timed_out = 1;
		log_warn("req=%s upstream %s: no response in time",
		    log_q(r->id), log_q(r->up->name));
		report_health(r, 0);
		if (can_fail_over(r, "timeout") && fail_over(r) == 0)
			return;
		if (r->state == REQ_ST_FORWARDING)
			req_fail(r, 504, "server_error", "upstream_timeout",
			    "upstream timed out");
		return;
	}
	if (r->state == REQ_ST_RELAYING)
		finish_relay(r, CURLE_OPERATION_TIMEDOUT, "idle timeout");
}

/* 1 when the Connection header names the header (hop-by-hop). */
static int
connection_lists(const struct http1_request *hr, const char *name,
    size_t len)
{
	const struct http1_header *conn = http1_find(hr, "connection");
	const char *v, *end;

	if (conn == NULL)
		return 0;
	v = conn->value;
	end = v + conn->value_len;
	while (v < end) {
		const char *t;

		while (v < end && (*v == ' ' || *v == ',' || *v == '\t'))
			v++;
		t = v;
		while (v < end && *v != ',' && *v != ' ' && *v != '\t')
			v++;
		if (v > t && (size_t)(v - t) == len &&
		    strncasecmp(t, name, len) == 0)
			return 1;
	}
	return 0;
}

/*
 * Client headers that go upstream: forward_headers (an allow-list of
 * names or globs), each name once (the first). Credentials, hop-by-hop
 * and framing headers and the gateway's own can not be listed.
 */
static int
forward_client_header(const struct config *cfg,
    const struct http1_request *hr, size_t i)
{
	const struct http1_header *h = &hr->headers[i];
	char name[64];

	if (h->name_len >= sizeof(name))
		return 0;
	for (size_t k = 0; k < h->name_len; k++)
		name[k] = (char)(h->name[k] >= 'A' && h->name[k] <= 'Z' ?
		    h->name[k] - 'A' + 'a' : h->name[k]);
	name[h->name_len] = '\0';
	if (!strlist_glob(&cfg->forward_headers, name))
		return 0;
	for (size_t j = 0; j < i; j++)
		if (hr->headers[j].name_len == h->name_len &&
		    strncasecmp(hr->headers[j].name, name, h->name_len) == 0)
			return 0;	/* a duplicate */
	return !connection_lists(hr, name, h->name_len);
}

/* The key for the upstream being tried: the policy's own for it
 * (upstream_key_env), else the upstream's. */
static const char *
upstream_key(const struct req *r)
{
	const struct policy_conf *p = r->pr.policy;
	size_t u = r->route.cand[r->cur];

	if (p != NULL && p->up_keys != NULL && p->up_keys[u] != NULL)
		return p->up_keys[u];
	return r->up->api_key;
}

static int
start_attempt(struct req *r)
{
	const struct http1_request *hr = conn_request(r->conn);
	const char *lines[MAX_UP_HEADERS + 8];
	char store[16384], *url;
	size_t n_lines = 0, used = 0, ul;
	int full = 0;
	struct uxfer_req ur;
	const struct http1_header *ct;

	uint64_t now = util_now_us();

	/* A breaker may have opened since routing (a failed attempt of
	 * another request): skip it like routing would have. */
	for (; r->cur < r->route.n; r->cur++) {
		r->up = &r->cfg->upstreams[r->route.cand[r->cur]];
		if (health_usable(&r->gw->health.v[r->up->health_slot], now))
			break;
		route_note(&r->route, r->up->name, "breaker");
	}
	if (r->cur >= r->route.n) {
		req_fail(r, 503, "server_error", "upstream_unavailable",
		    "every upstream allowed for this request is failing");
		return -1;
	}
	health_begin(&r->gw->health.v[r->up->health_slot], now);
	r->health_open = 1;
	if (r->body != NULL) {
		/* The body was serialized once after the policy chain; only a
		 * change since (a failover copy, translation, a lowered
		 * max_tokens) serializes it again. */
		int changed = r->fwd == NULL || r->charge.max_tokens[0] != '\0';

		if (r->orig != NULL) {
			json_decref(r->body);
			r->body = json_deep_copy(r->orig);
			r->pr.body = r->body;
			changed = 1;
		}
		changed |= translate_request(r->up->kind, r->ep, r->body,
		    &r->fold_usage);
		if (changed && r->fwd_owned)
			free(r->fwd);
		if (changed) {
			r->fwd = jsontext_dump(r->body, 15, &r->fwd_len);
			r->fwd_owned = 1;
		}
		if (r->fwd == NULL) {
			req_fail(r, 500, "server_error", "internal_error",
			    "cannot serialize request");
			return -1;
		}
	}
	/* The URL is the upstream's and exactly the path that was checked
	 * (libcurl is told not to touch it), then the query. */
	ul = strlen(r->up->url);
	url = malloc(ul + r->path_len + r->query_len + 2);
	if (url == NULL) {
		req_fail(r, 503, "server_error", "internal_error",
		    "out of memory");
		return -1;
	}
	memcpy(url, r->up->url, ul);
	memcpy(url + ul, r->path, r->path_len);
	ul += r->path_len;
	if (r->query != NULL) {
		url[ul++] = '?';
		memcpy(url + ul, r->query, r->query_len);
		ul += r->query_len;
	}
	url[ul] = '\0';

#define ADD_LINE(...)                                                     \
	do {                                                              \
		int n_ = snprintf(store + used, sizeof(store) - used,     \
		    __VA_ARGS__);                                         \
		if (n_ < 0 || (size_t)n_ >= sizeof(store) - used ||       \
		    n_lines == MAX_UP_HEADERS) {                          \
			full = 1;                                         \
			break;                                            \
		}                                                         \
		lines[n_lines++] = store + used;                          \
		used += (size_t)n_ + 1;                                   \
	} while (0)

	/* The gateway's own headers first: nothing a client sends can push
	 * them out or stand in for them. */
	if (upstream_key(r) != NULL)
		ADD_LINE("Authorization: Bearer %s", upstream_key(r));
	ADD_LINE("X-Request-Id: %s", r->id);
	ADD_LINE("Expect:");
	ct = http1_find(hr, "content-type");
	if (r->body != NULL)
		ADD_LINE("Content-Type: application/json");
	else if (ct != NULL)
		ADD_LINE("Content-Type: %.*s", (int)ct->value_len, ct->value);
	if (full) {
		OPENSSL_cleanse(store, used);
		free(url);
		req_fail(r, 431, "invalid_request_error", "headers_too_large",
		    "request headers too large to forward");
		return -1;
	}
	for (size_t i = 0; i < hr->n_headers; i++) {
		const struct http1_header *h = &hr->headers[i];

		if (forward_client_header(r->cfg, hr, i))
			ADD_LINE("%.*s: %.*s", (int)h->name_len, h->name,
			    (int)h->value_len, h->value);
	}
#undef ADD_LINE
	lines[n_lines] = NULL;

	memset(&ur, 0, sizeof(ur));
	ur.url = url;
	ur.method = r->method;
	ur.headers = lines;
	ur.body = r->fwd;
	ur.body_len = r->fwd_len;
	ur.has_body = r->fwd != NULL;
	ur.connect_timeout_ms = r->cfg->upstream_connect_timeout_ms;
	ur.total_timeout_ms = r->cfg->upstream_total_timeout_ms;
	r->xfer = uxfer_start(r->gw->upool, &ur, &up_ops, r);
	OPENSSL_cleanse(store, used);
	free(url);
	if (r->xfer == NULL) {
		req_fail(r, 500, "server_error", "internal_error",
		    "cannot start upstream transfer");
		return -1;
	}
	req_set_state(r, REQ_ST_FORWARDING);
	arm_timer(r, r->cfg->upstream_first_byte_timeout_ms);
	return 0;
}

static int
valid_request_id(const char *s, size_t len)
{
	if (len == 0 || len > 64)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* The model of a multipart form (audio transcriptions), if any. */
static void
multipart_model(struct req *r, const char *body, size_t len)
{
	static const char key[] = "name=\"model\"";
	const char *p = memmem(body, len, key, sizeof(key) - 1);
	const char *v, *e;

	if (p == NULL)
		return;
	v = memmem(p, len - (size_t)(p - body), "\r\n\r\n", 4);
	if (v == NULL)
		return;
	v += 4;
	e = memmem(v, len - (size_t)(v - body), "\r\n", 2);
	if (e == NULL || e - v >= (long)sizeof(r->model))
		return;
	memcpy(r->model, v, (size_t)(e - v));
	r->model[e - v] = '\0';
}

/*
 * Takes the body from the connection (so that the request owns it
 * whatever happens to the connection) and what its head says of it.
 * Multipart forms only where the operation takes them.
 */
static int
take_body(struct req *r, struct conn *c)
{
	const struct http1_header *ct = http1_find(conn_request(c),
	    "content-type");

	r->raw = evbuffer_new();
	if (r->raw == NULL || evbuffer_add_buffer(r->raw, conn_body(c)) != 0) {
		req_fail(r, 503, "server_error", "internal_error",
		    "out of memory");
		return -1;
	}
	r->raw_len = evbuffer_get_length(r->raw);
	r->multipart = ct != NULL && ct->value_len >= 19 &&
	    strncasecmp(ct->value, "multipart/form-data", 19) == 0;
	if (r->multipart && r->ep->body != EP_BODY_FORM) {
		req_fail(r, 415, "invalid_request_error",
		    "unsupported_media_type", "this endpoint takes JSON, not "
		    "a multipart form");
		return -1;
	}
	if (r->multipart) {
		const char *bd = memmem(ct->value, ct->value_len, "boundary=", 9);
		size_t bl;

		if (bd == NULL) {
			req_fail(r, 400, "invalid_request_error",
			    "invalid_multipart", "multipart form without a "
			    "boundary");
			return -1;
		}
		bd += 9;
		bl = ct->value_len - (size_t)(bd - ct->value);
		if (bl > 1 && bd[0] == '"' && bd[bl - 1] == '"') {
			bd++;
			bl -= 2;
		}
		if (bl == 0 || bl >= sizeof(r->boundary)) {
			req_fail(r, 400, "invalid_request_error",
			    "invalid_multipart", "multipart boundary of 1 to "
			    "70 bytes expected");
			return -1;
		}
		memcpy(r->boundary, bd, bl);
		r->boundary[bl] = '\0';
	}
	return 0;
}

/*
 * Parses the body, runs the policy chain over it and serializes what
 * will be forwarded: on a worker thread for large bodies (env is that
 * thread's), else on the loop. Multipart forms pass as bytes (the PII
 * module reads their text parts); anything else must be one JSON object
 * (or array, where the operation takes one), duplicate keys refused, so
 * that no body reaches the upstream unread. Returns -1 with blk filled
 * when the request is refused. Touches nothing but the request.
 */
static int
prepare(struct req *r, const struct policy_env *env, struct policy_block *blk)
{
	const char *data;
	json_error_t jerr;
	int rc;

	data = r->raw_len ? (const char *)evbuffer_pullup(r->raw, -1) : "";
	r->raw_data = data;
	SHA256((const unsigned char *)data, r->raw_len, r->req_hash);
	r->has_req_hash = 1;
	charge_scan(data, r->raw_len, &r->scan);
	if (r->raw_len == 0) {
		/* No body: a POST such as a batch cancel still sends an
		 * empty one; GET and DELETE send none. */
		if (r->pr.method != HTTP_GET && r->pr.method != HTTP_DELETE) {
			r->fwd = (char *)"";
			r->fwd_len = 0;
			r->fwd_owned = 0;
		}
	} else if (r->multipart) {
		r->fwd = (char *)data;
		r->fwd_len = r->raw_len;
		r->fwd_owned = 0;
		r->pr.raw_body = 1;
		r->pr.raw = data;
		r->pr.raw_len = r->raw_len;
		r->pr.boundary = r->boundary;
		r->pr.boundary_len = strlen(r->boundary);
		multipart_model(r, data, r->raw_len);
	} else {
		r->body = jsontext_parse(data, r->raw_len,
		    JSON_REJECT_DUPLICATES, &jerr);
		if (r->body == NULL || !(json_is_object(r->body) ||
		    (json_is_array(r->body) && r->ep->body == EP_BODY_ARRAY))) {
			blk->status = 400;
			blk->type = "invalid_request_error";
			blk->code = "invalid_json";
			snprintf(blk->message, sizeof(blk->message), "request "
			    "body is not a JSON object: %s", r->body == NULL ?
			    jerr.text : "wrong type");
			return -1;
		}
		if (json_is_string(json_object_get(r->body, "model")))
			snprintf(r->model, sizeof(r->model), "%s",
			    json_string_value(json_object_get(r->body,
			    "model")));
		r->pr.stream = json_is_true(json_object_get(r->body,
		    "stream"));
	}
	r->pr.body = r->body;
	r->pr.model = r->model[0] ? r->model : NULL;
	r->pr.env = env;
	rc = policy_run_request(&r->pr, blk);
	if (rc == POLICY_BLOCK)
		return -1;
	if (r->pr.raw_out != NULL) {
		/* A policy rewrote the form: forward that. */
		r->fwd = r->pr.raw_out;
		r->fwd_len = r->pr.raw_out_len;
		r->fwd_owned = 1;
		r->pr.raw_out = NULL;
	}
	if (r->body != NULL && rc == POLICY_PASS) {
		/* Nothing changed it: the bytes received are what goes (they
		 * parsed strictly, so they mean what the policies saw). */
		r->fwd = (char *)data;
		r->fwd_len = r->raw_len;
		r->fwd_owned = 0;
	} else if (r->body != NULL) {
		r->fwd = jsontext_dump(r->body, 15, &r->fwd_len);
		r->fwd_owned = 1;	/* NULL: start_attempt tries again */
	}
	return 0;
}

/*
 * The gateway key: "Authorization: Bearer KEY", or "x-api-key: KEY" (what
 * Mistral's API takes for some operations). Exactly one credential
 * header: two (of either name) are ambiguous and refused. Neither ever
 * goes upstream (forward_headers can not list them).
 */
static int
authenticate(struct req *r, struct conn *c)
{
	const struct http1_request *hr = conn_request(c);
	const struct http1_header *h = NULL;
	const struct key_entry *k;
	const char *tok = NULL;
	size_t n = 0, len = 0;

	for (size_t i = 0; i < hr->n_headers; i++) {
		const struct http1_header *x = &hr->headers[i];

		if (util_ascii_ieq(x->name, x->name_len, "authorization") ||
		    util_ascii_ieq(x->name, x->name_len, "x-api-key")) {
			h = x;
			n++;
		}
	}
	if (n > 1) {
		req_fail(r, 401, "authentication_error", "invalid_api_key",
		    "more than one credential header (Authorization, "
		    "x-api-key)");
		return -1;
	}
	if (h != NULL && h->name_len == 9) {	/* x-api-key */
		tok = h->value;
		len = h->value_len;
	} else if (h != NULL && h->value_len > 7 &&
	    strncasecmp(h->value, "Bearer ", 7) == 0) {
		tok = h->value + 7;
		len = h->value_len - 7;
	}
	if (tok == NULL) {
		req_fail(r, 401, "authentication_error", "invalid_api_key",
		    "missing or malformed Authorization header");
		return -1;
	}
	k = keycache_check(r->gw->keys, r->gw->hmac, tok, len);
	if (k == NULL) {
		req_fail(r, 401, "authentication_error", "invalid_api_key",
		    "invalid API key");
		return -1;
	}
	r->key = *k;
	r->authed = 1;
	return 0;
}

/* The team's policy, and what it allows of the operation and of the
 * objects its path names: checked before the body is read. */
static int
check_route(struct req *r)
{
	struct policy_block blk;

	r->pr.key = &r->key;
	r->pr.policy = config_policy(r->cfg, r->key.policy);
	if (r->pr.policy == NULL) {
		req_fail(r, 403, "invalid_request_error", "policy_blocked",
		    "team policy '%s' is not configured", r->key.policy);
		return -1;
	}
	r->n_params = endpoint_params(r->ep, r->path, r->path_len, r->params,
	    sizeof(r->params) / sizeof(r->params[0]));
	if (access_check_route(r->pr.policy, r->ep, r->params, r->n_params,
	    r->gw->objects, r->key.team, &blk) == POLICY_BLOCK) {
		snprintf(r->pr.verdicts, sizeof(r->pr.verdicts),
		    "access=block");
		req_fail(r, blk.status, blk.type, blk.code, "%s", blk.message);
		return -1;
	}
	return 0;
}

/* X-Eugate-Subject names the data subject a request is about; only its
 * keyed hash is kept, so that the subject's records can be found and
 * unlinked (storage: STORE_SUBJECT_ERASE). Never forwarded. */
static int
subject_tag(struct req *r, struct conn *c)
{
	const struct http1_header *h = http1_find(conn_request(c),
	    "x-eugate-subject");

	if (h == NULL)
		return 0;
	if (keys_subject_hash(r->gw->hmac, h->value, h->value_len,
	    r->subject) != GW_OK) {
		req_fail(r, 400, "invalid_request_error", "invalid_subject",
		    "X-Eugate-Subject: 1 to %d bytes", KEYS_SUBJECT_MAX);
		return -1;
	}
	r->has_subject = 1;
	return 0;
}

/* Requests and tokens per minute of the key and its team. */
static int
rate_limit(struct req *r)
{
	const struct key_limits *lim[2] = { &r->key.key_limits,
	    &r->key.team_limits };
	int rc;

	for (int i = 0; i < 2; i++) {
		if (lim[i]->rpm <= 0 && lim[i]->tpm <= 0)
			continue;
		snprintf(r->rl_id[r->n_rl], sizeof(r->rl_id[0]), "%c:%s",
		    i == 0 ? 'k' : 't', i == 0 ? r->key.id : r->key.team);
		r->rl[r->n_rl].id = r->rl_id[r->n_rl];
		r->rl[r->n_rl].rpm = lim[i]->rpm;
		r->rl[r->n_rl].tpm = lim[i]->tpm;
		r->n_rl++;
	}
	r->rls.limit_req = r->rls.limit_tok = -1;
	if (r->n_rl == 0)
		return 0;
	rc = ratelimit_take(r->gw->rl, r->rl, r->n_rl, util_now_us(), &r->rls);
	for (int i = 0; i < 4; i++)
		snprintf(r->rl_hdr[i], sizeof(r->rl_hdr[i]), "%lld",
		    (long long)(i == 0 ? r->rls.limit_req : i == 1 ?
		    r->rls.remaining_req : i == 2 ? r->rls.limit_tok :
		    r->rls.remaining_tok));
	clear_out_headers(r);
	if (rc == 0)
		return 0;
	r->n_rl = 0;	/* a refused request charges no tokens */
	r->retry_after_s = r->rls.retry_after_s;
	r->gw->stats.rate_limited++;
	req_fail(r, 429, "rate_limited", "rate_limited", "%s per minute limit "
	    "of this %s reached", r->rls.refused_tokens ? "tokens" :
	    "requests", r->key.key_limits.rpm > 0 ||
	    r->key.key_limits.tpm > 0 ? "key or team" : "team");
	return -1;
}

/* The reservation committed (or not): forward, or refuse. */
static void
reserved(struct store_op *op)
{
	struct req *r = op->arg;
	int64_t now_ms = util_wall_s() * 1000;

	if (op->err != GW_OK) {
		log_error("req=%s reservation not stored: %s", log_q(r->id),
		    gw_strerror(op->err));
		req_fail(r, 503, "server_error", "storage_unavailable",
		    "storage unavailable");
		return;
	}
	if (r->charge.sp.refused >= 0) {
		const struct store_budget *b =
		    &r->charge.sp.budgets[r->charge.sp.refused];

		charge_headers(&r->charge);
		r->retry_after_s = charge_retry_after(&r->charge, now_ms);
		r->gw->stats.budget_refused++;
		req_fail(r, 429, "budget_exceeded", "budget_exceeded",
		    "the %s budget is spent for this period", b->scope == 'g' ?
		    "gateway" : b->scope == 't' ? "team" : "key");
		return;
	}
	charge_reserved(&r->charge, r->body, r->orig);
	clear_out_headers(r);
	if (r->raw != NULL && r->fwd != r->raw_data) {
		/* What is forwarded was serialized apart: the received bytes
		 * are no longer needed. */
		evbuffer_free(r->raw);
		r->raw = NULL;
		r->raw_data = NULL;
	}
	if (r->conn == NULL) {	/* the client left while we waited */
		req_finish(r);
		return;
	}
	start_attempt(r);
}

/* Opens the request's ledger entry, reserving its worst-case cost, before
 * it is forwarded. */
static void
reserve(struct req *r)
{
	struct charge_req q;
	char msg[256];
	int rc;

	memset(&q, 0, sizeof(q));
	q.cfg = r->cfg;
	q.key = &r->key;
	q.method = r->method;
	q.path = r->rec_path;
	q.ep = r->ep;
	q.client = r->client;
	q.model = r->pr.model;
	q.body = r->body;
	q.raw_len = r->raw_len;
	q.scan = r->scan;
	for (int t = 0; t < PII__COUNT; t++)
		q.pii_found += r->pr.pii_counts[t];
	q.cand = r->route.cand;
	q.n_cand = r->route.n;
	q.ledger_id = r->ledger_id;
	q.request_id = r->id;
	q.now_ms = util_wall_s() * 1000;
	q.local_time = r->gw->local_periods;
	rc = charge_begin(&r->charge, &q, msg, sizeof(msg));
	if (rc < 0) {
		req_fail(r, r->charge.status, "invalid_request_error",
		    r->charge.code, "%s", msg);
		return;
	}
	req_set_state(r, REQ_ST_RESERVING);
	r->charge.op.done = reserved;
	r->charge.op.arg = r;
	store_submit(r->gw->store, &r->charge.op);
}

/* Chooses the upstreams the request may go to, in failover order. */
static int
route(struct req *r)
{
	struct route_query q;
	const struct policy_conf *p = r->pr.policy;
	uint64_t retry_us;

	memset(&q, 0, sizeof(q));
	q.ups = r->cfg->upstreams;
	q.n = r->cfg->n_upstreams;
	q.policy = p;
	q.model = r->pr.model;
	q.ep = r->ep;
	q.sensitive = route_sensitive(p, r->pr.pii_counts, r->pr.unscannable);
	q.health = r->gw->health.v;
	q.now_us = util_now_us();
	q.seed = r->gw->route_seed++;
	switch (route_select(&q, &r->route)) {
	case ROUTE_FOUND:
		return 0;
	case ROUTE_NO_MODEL:
		req_fail(r, 404, "invalid_request_error", "model_not_found",
		    "no upstream serves this model");
		return -1;
	case ROUTE_NO_ENDPOINT:
		req_fail(r, 404, "invalid_request_error",
		    "endpoint_not_supported",
		    "no upstream for this model offers this endpoint");
		return -1;
	case ROUTE_NO_REGION:
		req_fail(r, 403, "invalid_request_error", "region_unavailable",
		    "no upstream that policy '%s' allows serves this %s "
		    "(regions, %szero data retention, training)", p->name,
		    q.model ? "model" : "endpoint", q.sensitive ?
		    "regions for sensitive data, " : "");
		return -1;
	case ROUTE_SENSITIVE_BLOCKED:
		req_fail(r, 403, "invalid_request_error", "pii_blocked",
		    "policy '%s' does not let this kind of personal data "
		    "leave (sensitive_regions = block)", p->name);
		return -1;
	default:
		retry_us = r->route.retry_after_us;
		r->retry_after_s = (int64_t)((retry_us + 999999) / 1000000);
		req_fail(r, 503, "server_error", "upstream_unavailable",
		    "every upstream allowed for this request is failing; "
		    "retry later");
		return -1;
	}
}

/*
 * The path as the audit record and the ledger keep it (255 bytes): whole
 * when it fits and is printable, else its first bytes (others as '?')
 * and "#sha256:" with the hash of all of it; '#' is never in a path.
 */
static void
record_path(struct req *r, const char *target, size_t len)
{
	static const char mark[] = "#sha256:";
	const char *q = memchr(target, '?', len);
	size_t n = q != NULL ? (size_t)(q - target) : len, keep = n;
	unsigned char h[32];
	int plain = n < sizeof(r->rec_path);

	for (size_t i = 0; i < n && plain; i++)
		plain = target[i] > 0x20 && target[i] < 0x7f;
	if (!plain)
		keep = sizeof(r->rec_path) - 1 - (sizeof(mark) - 1) - 64;
	if (keep > n)
		keep = n;
	for (size_t i = 0; i < keep; i++)
		r->rec_path[i] = target[i] > 0x20 && target[i] < 0x7f ?
		    target[i] : '?';
	r->rec_path[keep] = '\0';
	if (plain)
		return;
	SHA256((const unsigned char *)target, n, h);
	memcpy(r->rec_path + keep, mark, sizeof(mark) - 1);
	util_hex(h, sizeof(h), r->rec_path + keep + sizeof(mark) - 1);
}

/*
 * Checks the request target and finds its operation, before anything
 * else: what is forwarded is exactly the path checked here (no
 * normalization anywhere), and only operations of the endpoint table.
 */
static int
parse_target(struct req *r, const struct http1_request *hr)
{
	struct ep_target t;
	int rc;

	record_path(r, hr->target, hr->target_len);
	rc = endpoint_target(hr->target, hr->target_len,
	    (size_t)r->cfg->max_target_bytes, &t);
	if (rc == EP_TARGET_TOO_LONG) {
		req_fail(r, 414, "invalid_request_error", "uri_too_long",
		    "request target over %llu bytes (max_target_bytes)",
		    (unsigned long long)r->cfg->max_target_bytes);
		return -1;
	}
	if (rc != EP_TARGET_OK) {
		req_fail(r, 400, "invalid_request_error", "invalid_path",
		    "request target not accepted: dot-segments, empty "
		    "segments, percent-encoding, backslashes and control "
		    "bytes are refused in paths");
		return -1;
	}
	rc = endpoint_find(hr->method, t.path, t.path_len, &r->ep);
	if (rc == EP_NO_PATH) {
		req_fail(r, 404, "invalid_request_error", "not_found",
		    "no such endpoint of the Mistral API");
		return -1;
	}
	if (rc == EP_NO_METHOD) {
		req_fail(r, 405, "invalid_request_error", "method_not_allowed",
		    "method not allowed on this endpoint");
		return -1;
	}
	r->path = malloc(t.path_len + t.query_len + 2);
	if (r->path == NULL) {
		req_fail(r, 503, "server_error", "internal_error",
		    "out of memory");
		return -1;
	}
	memcpy(r->path, t.path, t.path_len);
	r->path[t.path_len] = '\0';
	r->path_len = t.path_len;
	if (t.query != NULL) {
		memcpy(r->path + t.path_len + 1, t.query, t.query_len);
		r->path[t.path_len + 1 + t.query_len] = '\0';
		r->query = r->path + t.path_len + 1;
		r->query_len = t.query_len;
	}
	r->pr.path = r->path;
	r->pr.ep = r->ep;
	return 0;
}

/*
 * A request head arrived: the checks that need no body run now (target,
 * key, subject tag, rate limits), so that a refused request's body is
 * never read.
 */
static int
on_head(struct conn *c, void *arg)
{
	struct gateway *gw = arg;
	const struct http1_request *hr = conn_request(c);
	const struct http1_header *rid = http1_find(hr, "x-request-id");
	struct req *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		struct hdr h = { "Content-Type", "application/json" };
		static const char body[] = "{\"object\":\"error\",\"message\":"
		    "\"out of memory\",\"type\":\"server_error\",\"param\":null,"
		    "\"code\":\"internal_error\"}";

		conn_respond(c, 503, &h, 1, body, sizeof(body) - 1);
		return -1;
	}
	gw->n_reqs++;
	gw->stats.requests++;
	r->gw = gw;
	r->conn = c;
	r->cfg = config_ref(gw->cfg);
	r->t0_us = util_now_us();
	r->method = http_method_name(hr->method);
	snprintf(r->client, sizeof(r->client), "%s", conn_peer(c));
	r->resp = evbuffer_new();
	r->timer = evtimer_new(gw->base, timer_cb, r);
	usage_init(&r->usage);
	conn_set_ctx(c, r);
	snprintf(r->ledger_id, sizeof(r->ledger_id), "%s%016llx",
	    gw->req_prefix, (unsigned long long)++gw->req_seq);
	if (rid != NULL && valid_request_id(rid->value, rid->value_len))
		snprintf(r->id, sizeof(r->id), "%.*s", (int)rid->value_len,
		    rid->value);
	else
		snprintf(r->id, sizeof(r->id), "%s", r->ledger_id);
	clear_out_headers(r);
	r->pr.env = &gw->env;
	r->pr.method = hr->method;
	if (r->resp == NULL || r->timer == NULL) {
		record_path(r, hr->target, hr->target_len);
		req_fail(r, 503, "server_error", "internal_error",
		    "out of memory");
		return -1;
	}
	if (parse_target(r, hr) != 0 || authenticate(r, c) != 0 ||
	    check_route(r) != 0 || subject_tag(r, c) != 0 ||
	    rate_limit(r) != 0)
		return -1;
	return 0;
}

/* The body could not be read: too large, malformed, too slow, or no
 * room for it under max_bodies_bytes. */
static void
on_body_error(struct conn *c, void *ctx, int status, const char *code,
    const char *why)
{
	struct req *r = ctx;

	req_fail(r, status, status >= 500 ? "server_error" :
	    "invalid_request_error", code, "%s", why);
}

/* After prepare(): route, reserve, forward; or refuse. */
static void
prepared(struct req *r, int rc, const struct policy_block *blk)
{
	r->pr.env = &r->gw->env;
	if (r->conn == NULL) {		/* the client left meanwhile */
		req_finish(r);
		return;
	}
	if (rc != 0) {
		req_fail(r, blk->status, blk->type, blk->code, "%s",
		    blk->message);
		return;
	}
	if (route(r) != 0)
		return;
	if (r->body != NULL && r->route.n > 1) {
		for (size_t i = 1; i < r->route.n; i++)
			if (r->cfg->upstreams[r->route.cand[i]].kind !=
			    r->cfg->upstreams[r->route.cand[0]].kind &&
			    r->orig == NULL)
				r->orig = json_deep_copy(r->body);
	}
	reserve(r);
}

static void
work_run(struct work_item *it, const struct policy_env *env)
{
	struct req *r = (struct req *)((char *)it - offsetof(struct req, work));

	r->work_rc = prepare(r, env, &r->work_blk);
}

static void
work_done(struct work_item *it)
{
	struct req *r = (struct req *)((char *)it - offsetof(struct req, work));

	r->in_work = 0;
	prepared(r, r->work_rc, &r->work_blk);
}

/* The body arrived: prepare it (on a worker when it is large), then
 * route, reserve, forward. */
static void
on_request(struct conn *c, void *arg)
{
	struct req *r = conn_ctx(c);
	struct policy_block blk;
	int rc;

	(void)arg;
	if (take_body(r, c) != 0)
		return;
	if (r->gw->work != NULL && r->raw_len >= r->cfg->worker_min_bytes) {
		r->in_work = 1;
		r->work.run = work_run;
		r->work.done = work_done;
		work_submit(r->gw->work, &r->work);
		return;
	}
	rc = prepare(r, &r->gw->env, &blk);
	prepared(r, rc, &blk);
}

static void
on_drain(struct conn *c, void *ctx)
{
	struct req *r = ctx;

	if (r->paused && r->xfer != NULL && !conn_out_full(c)) {
		r->paused = 0;
		arm_timer(r, r->cfg->upstream_idle_timeout_ms);
		uxfer_resume(r->xfer);
	}
}

static void
on_abort(struct conn *c, void *ctx)
{
	struct req *r = ctx;

	r->conn = NULL;
	if (r->state == REQ_ST_COMMITTING)
		return;
	r->gw->stats.client_aborts++;
	if (r->state == REQ_ST_RESERVING || r->in_work) {
		/* The reservation's or the worker's callback finishes the
		 * request. */
		r->status = 499;
		snprintf(r->error, sizeof(r->error), "client_closed");
		return;
	}
	uxfer_abort(r->xfer);
	r->xfer = NULL;
	r->status = 499;
	snprintf(r->error, sizeof(r->error), "client_closed");
	req_finish(r);
}

const struct server_ops request_server_ops = {
	.on_head = on_head,
	.on_request = on_request,
	.on_body_error = on_body_error,
	.on_drain = on_drain,
	.on_abort = on_abort,
};
