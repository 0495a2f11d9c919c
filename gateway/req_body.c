/* A request's body: parse, the policy chain, routing, the reservation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/digest.h"
#include "common/jsontext.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/request.h"
#include "gateway/request_int.h"
#include "policy/spend_estimate.h"

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
int
req_take_body(struct req *r, struct conn *c)
{
	const struct http1_header *ct = http1_find(conn_request(c),
	    "content-type");

	r->raw = evbuffer_new();
	if (r->raw == NULL || evbuffer_add_buffer(r->raw, conn_body(c)) != 0) {
		req_fail(r, "out_of_memory", "out of memory");
		return -1;
	}
	r->raw_len = evbuffer_get_length(r->raw);
	r->multipart = ct != NULL && ct->value_len >= 19 &&
	    strncasecmp(ct->value, "multipart/form-data", 19) == 0;
	if (r->multipart && r->ep->body != EP_BODY_FORM) {
		req_fail(r,
		    "unsupported_media_type", "this endpoint takes JSON, not "
		    "a multipart form");
		return -1;
	}
	if (r->multipart) {
		const char *bd = memmem(ct->value, ct->value_len,
		    "boundary=", 9);
		size_t bl;

		if (bd == NULL) {
			req_fail(r,
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
			req_fail(r,
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
int
req_prepare(struct req *r, const struct policy_env *env,
    struct policy_block *blk)
{
	const char *data;
	json_error_t jerr;
	int rc;

	data = r->raw_len ? (const char *)evbuffer_pullup(r->raw, -1) : "";
	r->raw_data = data;
	digest_sha256((const unsigned char *)data, r->raw_len, r->req_hash);
	r->has_req_hash = 1;
	spend_scan(data, r->raw_len, &r->pr.images, &r->pr.documents);
	r->pr.body_bytes = r->raw_len;
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
	rc = policy_run_phase(&r->pr, POLICY_BODY, blk);
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
		/* NULL: req_start_attempt tries again */
		r->fwd_owned = 1;
	}
	return 0;
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
		req_fail(r, "storage_unavailable",
		    "storage unavailable");
		return;
	}
	if (r->charge.sp.rate_refused != 0) {
		/* The limits the instances share (on one instance, the
		 * rates module refused before). */
		r->retry_after_s = r->charge.sp.rate_retry_s;
		r->gw->stats.rate_limited++;
		r->pr.n_rl = 0;	/* a refused request charges no tokens */
		req_fail(r, "rate_limited", "%s per minute limit of this key "
		    "or team reached", r->charge.sp.rate_refused == 2 ?
		    "tokens" : "requests");
		return;
	}
	if (r->charge.sp.refused >= 0) {
		const struct store_budget *b =
		    &r->charge.sp.budgets[r->charge.sp.refused];

		charge_headers(&r->charge);
		r->retry_after_s = charge_retry_after(&r->charge, now_ms);
		r->gw->stats.budget_refused++;
		req_fail(r, "budget_exceeded",
		    "the %s budget is spent for this period", b->scope == 'g' ?
		    "gateway" : b->scope == 't' ? "team" : "key");
		return;
	}
	charge_reserved(&r->charge, r->body, r->orig);
	req_clear_out_headers(r);
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
	req_start_attempt(r);
}

/* Opens the request's ledger entry, reserving its worst-case cost, before
 * it is forwarded. */
void
req_reserve(struct req *r)
{
	struct charge_req q;
	char msg[256];
	int rc;

	memset(&q, 0, sizeof(q));
	q.cfg = r->cfg;
	q.key = &r->pr.caller;
	q.method = r->method;
	q.path = r->rec_path;
	q.client = r->client;
	q.model = r->pr.model;
	q.est = &r->pr.spend;
	q.ledger_id = r->ledger_id;
	q.request_id = r->id;
	q.now_ms = util_wall_s() * 1000;
	q.local_time = r->gw->local_periods;
	q.rl = r->pr.rl;
	q.n_rl = r->pr.n_rl;
	rc = charge_begin(&r->charge, &q, msg, sizeof(msg));
	if (rc < 0) {
		req_fail(r, r->charge.code, "%s", msg);
		return;
	}
	req_set_state(r, REQ_ST_RESERVING);
	r->charge.op.done = reserved;
	r->charge.op.arg = r;
	store_submit(r->gw->store, &r->charge.op);
}

/*
 * The policy chain's ROUTE phase: the upstreams the request may go to, in
 * failover order (routing), and what it may cost there at worst (spend).
 */
int
req_route(struct req *r)
{
	struct policy_block blk;

	r->pr.ups = r->cfg->upstreams;
	r->pr.n_ups = r->cfg->n_upstreams;
	r->pr.prices = r->cfg->prices;
	r->pr.spend_limits.reserve_pages = r->cfg->reserve_pages;
	r->pr.spend_limits.reserve_audio_ms = r->cfg->reserve_audio_ms;
	r->pr.spend_limits.max_choices = r->cfg->max_choices;
	r->pr.seed = r->gw->route_seed++;
	r->pr.now_us = util_now_us();
	/* The health table may have grown with a reload: the current one. */
	r->gw->env.health = r->gw->health.v;
	if (policy_run_phase(&r->pr, POLICY_ROUTE, &blk) != POLICY_BLOCK)
		return 0;
	r->retry_after_s = blk.retry_after_s;
	req_fail(r, blk.code, "%s", blk.message);
	return -1;
}
