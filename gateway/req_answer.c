/* A request's answer: relay, restoration, lists, its end. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/jsontext.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/request.h"
#include "gateway/request_int.h"

void
req_arm_timer(struct req *r, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(r->timer, &tv);
}

/* Writes streamed answer bytes to the client, hashing what it gets. */
void
req_stream_out(struct req *r, const char *data, size_t len)
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
	req_stream_out(r, ev, len);
}

/* An event in Mistral's shape passes the policy modules' hooks. */
static void
policy_event(void *arg, const char *ev, size_t len)
{
	struct req *r = arg;

	policy_run_event(&r->pr, ev, len, emit_event, r);
}

void
req_relay_event(struct req *r, const char *ev, size_t len)
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
	req_stream_out(r, ev, (size_t)n);
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

void
req_finish_relay(struct req *r, int result, const char *errmsg)
{
	if (result != 0) {
		log_warn("req=%s upstream %s cut the response: %s",
		    log_q(r->id), log_q(r->up->name), log_q(errmsg));
		r->gw->stats.stream_cuts++;
		if (r->mode == MODE_JSON) {
			if (r->error[0] != '\0' &&
			    strcmp(r->error, "response_too_large") == 0)
				req_set_error_body(r, 502, "server_error",
				    "response_too_large",
				    "upstream response over max_response_bytes");
			else if (result == CURLE_BAD_CONTENT_ENCODING)
				req_set_error_body(r, 502, "server_error",
				    "upstream_bad_encoding",
				    "upstream answer could not be decoded");
			else
				req_set_error_body(r, 502, "server_error",
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
			req_relay_event(r, r->sse.buf, r->sse.len);
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
