/* A request's answer: relay, restoration, lists, its end. */
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

void
req_arm_timer(struct req *r, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
		(suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(r->timer, &tv);
}

/*
 * Writes streamed answer bytes to the client, hashing what it gets. The
 * first bytes of each piece of the upstream's answer go out at once (the
 * time to the first event is not the time to the last one of a piece),
 * the rest together when the piece ends (up_on_data).
 */
void
req_stream_out(struct req *r, const char *data, size_t len)
{
	if (r->resp_md != NULL)
		EVP_DigestUpdate(r->resp_md, data, len);
	conn_stream_write(r->conn, data, len);
	if (!r->piece_flushed) {
		r->piece_flushed = 1;
		conn_stream_flush(r->conn);
	}
}

static int walk_page(struct req *r);

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
	    r->pr.caller.team, r->pr.policy->shared_objects);
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
/*
 * Whether the answer's whole tree is read: to restore pseudonyms (the
 * request was given some and the answer may name one), to filter a
 * list, or to learn of the objects it makes or shows. Else only its
 * usage is built (usage_from_json reads no other member), from a parse
 * as strict.
 */
static int
answer_tree_needed(const struct req *r, const char *text, size_t len)
{
	const struct policy_conf *p = r->pr.policy;

	if (p == NULL || r->ep->lists != EP_OBJ_NONE ||
	    r->ep->creates != EP_OBJ_NONE ||
	    (r->pr.n_params > 0 && r->ep->method == HTTP_GET))
		return 1;
	/* Tokens to restore: only when some were given and the answer
	 * may name one. */
	return policy_pii_restores(&r->pr, text, len);
}

static void
answer_json(struct req *r)
{
	static const char *const usage_keys[] = { "usage", "usage_info",
	    "model", NULL };
	size_t len = evbuffer_get_length(r->resp);
	const char *text = (const char *)evbuffer_pullup(r->resp, -1);
	json_t *root = answer_tree_needed(r, text, len) ?
	    jsontext_parse(text, len, 0, NULL) :
	    jsontext_parse_keys(text, len, usage_keys, NULL);

	if (root != NULL) {
		int filtered = 0;

		usage_from_json(root, &r->usage);
		if (r->ep->lists != EP_OBJ_NONE)
			filtered = list_filter(r, root);
		objects_from_answer(r->gw->objects, r->ep, r->pr.params,
		    r->pr.n_params, root, r->pr.caller.team, &r->changes);
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
	digest_sha256(len ? (const void *)evbuffer_pullup(r->resp, -1) : "",
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
				req_set_error_body(r, "response_too_large",
				    "upstream response over "
				    "max_response_bytes");
			else if (result == CURLE_BAD_CONTENT_ENCODING)
				req_set_error_body(r,
				    "upstream_bad_encoding",
				    "upstream answer could not be decoded");
			else
				req_set_error_body(r,
				    "upstream_error",
				    "upstream connection lost");
		} else if (result == CURLE_OPERATION_TIMEDOUT) {
			sse_fail(r, "upstream_timeout", "upstream timed out");
		} else if (result == CURLE_BAD_CONTENT_ENCODING) {
			sse_fail(r, "upstream_bad_encoding",
			    "upstream answer could not be decoded");
		} else if (r->error[0] == '\0') {
			sse_fail(r, "upstream_error",
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
	} else if (r->mode == MODE_JSON && r->status < 300 && r->walk.on) {
		int rc = walk_page(r);

		if (rc > 0)
			return;
		if (rc < 0)		/* not a list after all */
			answer_json(r);
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

/* ---- lists walked for the team ---- */

#define WALK_PAGE 100		/* items asked of the upstream a page */
#define WALK_MAX_SIZE 1000	/* the largest page a client may ask */

/* The value of name in a query string, or NULL (vlen: its length). */
static const char *
query_value(const char *q, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);

	for (const char *p = q, *end = q + len; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp != NULL ? amp : end;

		if ((size_t)(e - p) > nl && memcmp(p, name, nl) == 0 &&
		    p[nl] == '=') {
			*vlen = (size_t)(e - p - nl - 1);
			return p + nl + 1;
		}
		p = e + 1;
	}
	return NULL;
}

/* A paging parameter: absent (the default), or a whole number <= max. */
static int
paging_value(const struct req *r, const char *name, int64_t def, int64_t min,
    int64_t max, int64_t *out)
{
	size_t vl = 0;
	const char *v = r->query ? query_value(r->query, r->query_len, name,
	    &vl) : NULL;
	uint64_t n;

	*out = def;
	if (v == NULL)
		return 0;
	if (vl == 0 || vl > 12 || util_parse_u64(v, vl, &n) != 0 ||
	    (int64_t)n < min || (int64_t)n > max)
		return -1;
	*out = (int64_t)n;
	return 0;
}

int
req_walk_begin(struct req *r)
{
	const struct endpoint *ep = r->ep;
	int offsets = ep->pager == EP_PAGER_OFFSET;
	const char *pn = offsets ? "offset" : "page";
	const char *sn = offsets ? "limit" : "page_size";
	int64_t def = ep->lists == EP_OBJ_AGENT ? 20 :
	    ep->lists == EP_OBJ_VOICE ? 10 : 100, pos, size;

	if (ep->lists == EP_OBJ_NONE || (ep->pager != EP_PAGER_PAGE &&
	    ep->pager != EP_PAGER_OFFSET))
		return 0;
	if (paging_value(r, pn, 0, 0, INT32_MAX, &pos) != 0 ||
	    paging_value(r, sn, def, 1, WALK_MAX_SIZE, &size) != 0) {
		req_fail(r, "invalid_query",
		    "%s and %s: whole numbers (%s from 1 to %d)", pn, sn, sn,
		    WALK_MAX_SIZE);
		return -1;
	}
	r->walk.start = offsets ? pos : pos * size;
	r->walk.size = size;
	r->walk.items = json_array();
	r->walk.query = malloc(r->query_len + 1);
	if (r->walk.items == NULL || r->walk.query == NULL) {
		req_fail(r, "out_of_memory", "out of memory");
		return -1;
	}
	/* The client's other parameters (filters) go as they came. */
	for (const char *p = r->query, *end = p + r->query_len; p != NULL &&
	    p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp != NULL ? amp : end;
		size_t n = (size_t)(e - p);

		if (!((n > strlen(pn) && memcmp(p, pn, strlen(pn)) == 0 &&
		    p[strlen(pn)] == '=') || (n > strlen(sn) &&
		    memcmp(p, sn, strlen(sn)) == 0 && p[strlen(sn)] == '=')) &&
		    n > 0) {
			if (r->walk.query_len > 0)
				r->walk.query[r->walk.query_len++] = '&';
			memcpy(r->walk.query + r->walk.query_len, p, n);
			r->walk.query_len += n;
		}
		p = e + 1;
	}
	r->walk.on = 1;
	return 0;
}

char *
req_walk_query(const struct req *r, size_t *len)
{
	char *q = malloc(r->walk.query_len + 64);
	int n;

	if (q == NULL)
		return NULL;
	memcpy(q, r->walk.query, r->walk.query_len);
	n = snprintf(q + r->walk.query_len, 64, "%s%s=%lld&%s=%d",
	    r->walk.query_len ? "&" : "", r->ep->pager == EP_PAGER_OFFSET ?
	    "offset" : "page", (long long)(r->ep->pager == EP_PAGER_OFFSET ?
	    r->walk.page * WALK_PAGE : r->walk.page),
	    r->ep->pager == EP_PAGER_OFFSET ? "limit" : "page_size", WALK_PAGE);
	*len = r->walk.query_len + (size_t)n;
	return q;
}

void
req_walk_cleanup(struct req *r)
{
	json_decref(r->walk.items);
	json_decref(r->walk.last);
	free(r->walk.query);
	memset(&r->walk, 0, sizeof(r->walk));
}

/* The team's page: the last upstream answer's shape with the slice and
 * the team's counts. */
static json_t *
walk_answer(struct req *r)
{
	json_t *root = r->walk.last, *pg;
	int64_t seen = r->walk.seen, size = r->walk.size;
	int64_t pages = (seen + size - 1) / size;

	if (json_is_array(root) || root == NULL)
		return json_incref(r->walk.items);
	root = json_deep_copy(root);
	if (root == NULL)
		return NULL;
	json_object_set(root, json_is_array(json_object_get(root, "items")) ?
	    "items" : "data", r->walk.items);
	if (json_object_get(root, "total") != NULL)
		json_object_set_new(root, "total", json_integer(seen));
	if (json_object_get(root, "total_pages") != NULL)
		json_object_set_new(root, "total_pages", json_integer(pages));
	if (json_object_get(root, "page") != NULL)
		json_object_set_new(root, "page", json_integer(
		    r->walk.start / size));
	if (json_object_get(root, "page_size") != NULL)
		json_object_set_new(root, "page_size", json_integer(size));
	pg = json_object_get(root, "pagination");
	if (json_is_object(pg)) {
		json_object_set_new(pg, "total_items", json_integer(seen));
		json_object_set_new(pg, "total_pages", json_integer(pages));
		json_object_set_new(pg, "current_page", json_integer(
		    r->walk.start / size));
		json_object_set_new(pg, "page_size", json_integer(size));
		json_object_set_new(pg, "has_more", json_boolean(
		    r->walk.start + size < seen));
	}
	return root;
}

/*
 * One upstream page of a walked list: what the team may see of it counts,
 * what falls in the client's page is kept. Returns 1 when the next page
 * was asked for (or the request failed meanwhile), 0 when the answer is
 * ready in r->resp, -1 when the upstream did not answer a list.
 */
static int
walk_page(struct req *r)
{
	size_t len = evbuffer_get_length(r->resp), i, n_up;
	json_t *root = jsontext_parse((const char *)evbuffer_pullup(r->resp,
	    -1), len, 0, NULL), *items, *it, *out;
	int need_total;
	char *js;

	items = objects_list_items(root);
	if (items == NULL) {
		/* Not a list: the answer is read as any other. */
		json_decref(root);
		r->walk.on = 0;
		return -1;
	}
	n_up = json_array_size(items);
	objects_filter(r->gw->objects, r->ep->lists, items, r->pr.caller.team,
	    r->pr.policy->shared_objects);
	objects_from_answer(r->gw->objects, r->ep, r->pr.params, r->pr.n_params,
	    root, r->pr.caller.team, &r->changes);
	json_array_foreach(items, i, it) {
		if (r->walk.seen >= r->walk.start &&
		    r->walk.seen < r->walk.start + r->walk.size)
			json_array_append(r->walk.items, it);
		r->walk.seen++;
	}
	json_decref(r->walk.last);
	r->walk.last = root;
	need_total = !json_is_array(root);
	if (n_up >= WALK_PAGE && r->walk.page + 1 <
	    (int64_t)r->cfg->max_list_pages && (need_total ||
	    r->walk.seen < r->walk.start + r->walk.size)) {
		r->walk.page++;
		evbuffer_drain(r->resp, len);
		req_start_attempt(r);
		return 1;
	}
	if (n_up >= WALK_PAGE)
		log_warn("req=%s: list walk stopped after %lld pages "
		    "(max_list_pages): totals count what was read",
		    log_q(r->id), (long long)r->walk.page + 1);
	out = walk_answer(r);
	js = out ? jsontext_dump(out, 0, &len) : NULL;
	json_decref(out);
	if (js == NULL)
		return 0;
	evbuffer_drain(r->resp, evbuffer_get_length(r->resp));
	evbuffer_add(r->resp, js, len);
	free(js);
	r->changes_seen = 1;
	r->walk.on = 0;
	return 0;
}
