/* One client request: its life from head to record, and its failure
 * funnel. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/digest.h"
#include "common/errors.h"
#include "common/jsontext.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/request.h"
#include "gateway/request_int.h"

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
	/* A list walked page by page asks the upstream again. */
	[REQ_ST_RELAYING] = { [REQ_ST_FORWARDING] = 1,
	    [REQ_ST_COMMITTING] = 1 },
};

void
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

void
req_out_header(struct req *r, const char *name, const char *value, int copy)
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

void
req_clear_out_headers(struct req *r)
{
	for (size_t i = 0; i < r->n_store; i++)
		free(r->out_store[i]);
	r->n_store = 0;
	r->n_out = 0;
	req_out_header(r, "X-Request-Id", r->id, 0);
	if (r->charge.remaining[0] != '\0') {
		req_out_header(r, "x-eugate-spend-remaining",
		    r->charge.remaining, 0);
		req_out_header(r, "x-eugate-spend", r->charge.spent, 0);
	}
	if (r->charge.max_tokens[0] != '\0')
		req_out_header(r, "x-eugate-max-tokens", r->charge.max_tokens,
		    0);
	if (r->pr.rls.limit_req >= 0) {
		req_out_header(r, "x-ratelimit-limit-req-minute", r->rl_hdr[0],
		    0);
		req_out_header(r, "x-ratelimit-remaining-req-minute",
		    r->rl_hdr[1], 0);
	}
	if (r->pr.rls.limit_tok >= 0) {
		req_out_header(r, "x-ratelimit-limit-tokens-minute",
		    r->rl_hdr[2], 0);
		req_out_header(r, "x-ratelimit-remaining-tokens-minute",
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
	req_walk_cleanup(r);
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
void
req_set_error_body(struct req *r, const char *code, const char *msg)
{
	const struct api_error *ae = api_error(code);
	json_t *e = json_pack("{s:s, s:s, s:s, s:n, s:s}", "object", "error",
	    "message", msg, "type", ae->type, "param", "code", ae->code);
	char *js = e ? json_dumps(e, JSON_COMPACT) : NULL;

	json_decref(e);
	r->status = ae->status;
	snprintf(r->error, sizeof(r->error), "%s", ae->code);
	evbuffer_drain(r->resp, evbuffer_get_length(r->resp));
	if (js != NULL)
		evbuffer_add(r->resp, js, strlen(js));
	free(js);
	r->mode = MODE_JSON;
	req_clear_out_headers(r);
	req_out_header(r, "Content-Type", "application/json", 0);
}

/* The one funnel for failures before any response byte was sent: the
 * code's status and type come from the table (common/errors.c). */
void
req_fail(struct req *r, const char *code, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	req_set_error_body(r, code, msg);
	if (r->retry_after_s > 0) {
		char v[24];

		snprintf(v, sizeof(v), "%lld", (long long)r->retry_after_s);
		req_out_header(r, "Retry-After", v, 1);
	} else if (r->retry_after_s == 0 && (r->status == 429 ||
	    r->status == 503)) {
		req_out_header(r, "Retry-After", "1", 0);
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
	r->obs.done_us = util_now_us();
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
	char num[24];

	out[0] = '\0';
	for (int t = 0; t < PII__COUNT && n + 1 < len; t++) {
		if (r->pr.pii_counts[t] == 0)
			continue;
		if (n > 0)
			n += util_copy(out + n, len - n, ",");
		n += util_copy(out + n, len - n, pii_type_name(t));
		n += util_copy(out + n, len - n, ":");
		util_fmt_u64(num, r->pr.pii_counts[t]);
		n += util_copy(out + n, len - n, num);
	}
}

static void
log_request(struct req *r)
{
	const struct store_request *rec = &r->op.rec;
	char trace[40] = "";

	if (r->obs.tc.on) {
		memcpy(trace, " trace=", 7);
		trace_format_id(r->obs.tc.trace_id, trace + 7);
	}
	log_info("req=%s%s key=%s team=%s %s %s route=%s model=%s upstream=%s "
	    "status=%d prompt_tokens=%lld completion_tokens=%lld us=%lld"
	    "%s%s%s%s",
	    log_q(r->id), trace, rec->key_id[0] ? log_q(rec->key_id) : "-",
	    rec->team[0] ? log_q(rec->team) : "-", log_q(rec->method),
	    log_q(rec->path), r->ep != NULL ? r->ep->path : "-",
	    rec->model[0] ? log_q(rec->model) : "-",
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
			req_set_error_body(r,
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
			    strlen(ch->id), ch->removed ? NULL :
			    r->pr.caller.team) != 0)
				log_error("req=%s: out of memory caching an "
				    "object's owner", log_q(r->id));
		}
	}
	deliver(r);
	req_obs_end(r, op->err != GW_OK);
	req_free(r);
}

/* Tokens a request counts against tokens-per-minute limits. */
static int64_t
tokens_used(const struct req *r)
{
	if (r->usage.total_tokens >= 0)
		return r->usage.total_tokens;
	if (r->usage.prompt_tokens >= 0)
		return r->usage.prompt_tokens +
		    (r->usage.completion_tokens > 0 ?
		    r->usage.completion_tokens : 0);
	if (r->charge.open)	/* unknown: the reservation's worst case */
		return r->charge.e.plan.est.prompt +
		    r->charge.e.plan.est.completion;
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

		digest_sha256(len ? evbuffer_pullup(r->resp, -1) :
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
		objects_from_answer(r->gw->objects, r->ep, r->pr.params,
		    r->pr.n_params, NULL, r->pr.caller.team, &r->changes);
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
		util_copy(r->objs[i].parent, sizeof(r->objs[i].parent),
		    r->changes.v[i].parent);
		r->objs[i].removed = r->changes.v[i].removed;
	}
	r->op.objs = r->objs;
	r->op.n_objs = r->changes.n;
}

/* Records the request; the client's last bytes wait for the commit. */
void
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
		req_report_health(r, -1);
	policy_run_finish(&r->pr, r->status, &r->usage);
	memset(&r->op, 0, sizeof(r->op));
	r->op.type = STORE_AUDIT_APPEND;
	r->op.done = committed;
	r->op.arg = r;
	charge_settle(&r->charge, r->cfg, r->answered ? r->up : NULL, &r->usage,
	    r->status, r->answered, r->timed_out);
	if (r->charge.sp.settle)
		r->op.spend = &r->charge.sp;
	if (r->pr.n_rl > 0) {
		r->charge.sp.tokens = tokens_used(r);
		ratelimit_charge(gw->rl, r->pr.rl, r->pr.n_rl,
		    r->charge.sp.tokens, util_now_us());
	}
	util_copy(rec->kind, sizeof(rec->kind), "request");
	util_copy(rec->request_id, sizeof(rec->request_id), r->id);
	rec->ts_ms = util_wall_s() * 1000;
	util_copy(rec->client, sizeof(rec->client), r->client);
	/* The key, when its secret was right (an expired key, one used
	 * from an address its allowlist refuses, too). */
	if (r->pr.caller.id[0] != '\0') {
		util_copy(rec->key_id, sizeof(rec->key_id), r->pr.caller.id);
		util_copy(rec->team, sizeof(rec->team), r->pr.caller.team);
		util_copy(rec->policy, sizeof(rec->policy),
		    r->pr.caller.policy);
	}
	if (r->pr.policy != NULL)
		rec->zdr = r->pr.policy->zdr;
	util_copy(rec->verdicts, sizeof(rec->verdicts), r->pr.verdicts);
	if (charge_verdict(&r->charge) != NULL) {
		size_t vl = strlen(rec->verdicts);

		if (vl > 0)
			vl += util_copy(rec->verdicts + vl,
			    sizeof(rec->verdicts) - vl, " ");
		util_copy(rec->verdicts + vl, sizeof(rec->verdicts) - vl,
		    charge_verdict(&r->charge));
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
	memcpy(rec->route, r->pr.route.decision, sizeof(rec->route));
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

/* The request's ledger id: the instance's prefix, then seq in 16 hex
 * digits (what "%s%016llx" wrote). */
static void
ledger_id(char out[40], const char *prefix, uint64_t seq)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = util_copy(out, 40 - 17, prefix);

	for (int i = 15; i >= 0; i--, seq >>= 4)
		out[n + (size_t)i] = hex[seq & 15];
	out[n + 16] = '\0';
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
		static const char body[] = "{\"object\":\"error\","
		    "\"message\":\"out of memory\",\"type\":\"server_error\","
		    "\"param\":null,"
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
	util_copy(r->client, sizeof(r->client), conn_peer(c));
	r->resp = evbuffer_new();
	r->timer = evtimer_new(gw->base, req_timer_cb, r);
	usage_init(&r->usage);
	req_obs_begin(r, hr);
	conn_set_ctx(c, r);
	ledger_id(r->ledger_id, gw->req_prefix, ++gw->req_seq);
	if (rid != NULL && req_valid_request_id(rid->value, rid->value_len))
		snprintf(r->id, sizeof(r->id), "%.*s", (int)rid->value_len,
		    rid->value);
	else
		util_copy(r->id, sizeof(r->id), r->ledger_id);
	req_clear_out_headers(r);
	r->pr.env = &gw->env;
	r->pr.method = hr->method;
	if (r->resp == NULL || r->timer == NULL) {
		req_record_path(r, hr->target, hr->target_len);
		req_fail(r, "out_of_memory", "out of memory");
		return -1;
	}
	if (req_parse_target(r, hr) != 0 || req_head_checks(r, c) != 0 ||
	    req_walk_begin(r) != 0 || req_subject_tag(r, c) != 0)
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

	(void)status;
	req_fail(r, code, "%s", why);
}

/* After req_prepare(): req_route, req_reserve, forward; or refuse. */
static void
prepared(struct req *r, int rc, const struct policy_block *blk)
{
	r->pr.env = &r->gw->env;
	if (r->conn == NULL) {		/* the client left meanwhile */
		req_finish(r);
		return;
	}
	if (rc != 0) {
		req_fail(r, blk->code, "%s",
		    blk->message);
		return;
	}
	if (req_route(r) != 0)
		return;
	if (r->body != NULL && r->pr.route.n > 1) {
		for (size_t i = 1; i < r->pr.route.n; i++)
			if (r->cfg->upstreams[r->pr.route.cand[i]].kind !=
			    r->cfg->upstreams[r->pr.route.cand[0]].kind &&
			    r->orig == NULL)
				r->orig = json_deep_copy(r->body);
	}
	req_reserve(r);
}

static void
work_run(struct work_item *it, const struct policy_env *env)
{
	struct req *r = (struct req *)((char *)it - offsetof(struct req, work));

	r->work_rc = req_prepare(r, env, &r->work_blk);
}

static void
work_done(struct work_item *it)
{
	struct req *r = (struct req *)((char *)it - offsetof(struct req, work));

	r->in_work = 0;
	prepared(r, r->work_rc, &r->work_blk);
}

/* The body arrived: req_prepare it (on a worker when it is large), then
 * req_route, req_reserve, forward. */
static void
on_request(struct conn *c, void *arg)
{
	struct req *r = conn_ctx(c);
	struct policy_block blk;
	int rc;

	(void)arg;
	if (req_take_body(r, c) != 0)
		return;
	if (r->gw->work != NULL && r->raw_len >= r->cfg->worker_min_bytes) {
		r->in_work = 1;
		r->work.run = work_run;
		r->work.done = work_done;
		work_submit(r->gw->work, &r->work);
		return;
	}
	rc = req_prepare(r, &r->gw->env, &blk);
	prepared(r, rc, &blk);
}

static void
on_drain(struct conn *c, void *ctx)
{
	struct req *r = ctx;

	if (r->paused && r->xfer != NULL && !conn_out_full(c)) {
		r->paused = 0;
		req_arm_timer(r, r->cfg->upstream_idle_timeout_ms);
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
