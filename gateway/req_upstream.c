/* A request's upstream attempts: headers, keys, failover, timers. */
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

/* Feeds the attempt's outcome to its upstream's circuit breaker, once:
 * ok 1 answered, 0 failed, -1 no verdict (the client left first). */
void
req_report_health(struct req *r, int ok)
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
	if (r->cur + 1 >= r->pr.route.n)
		return 0;
	route_note(&r->pr.route, r->up->name, why);
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

	req_obs_first_byte(r, status);
	req_report_health(r, health_status_ok(status));
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
	req_clear_out_headers(r);
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(h[i].name, "content-type") == 0)
			ctype = h[i].value;
		/* The gateway's own limits replace the upstream's figures. */
		if (r->pr.n_rl > 0 &&
		    strncasecmp(h[i].name, "x-ratelimit-", 12) == 0)
			continue;
		if (pass_header(h[i].name))
			req_out_header(r, h[i].name, h[i].value, 1);
	}
	req_arm_timer(r, r->cfg->upstream_idle_timeout_ms);
	if (strncasecmp(ctype, "text/event-stream", 17) == 0) {
		r->mode = MODE_SSE;
		sse_init(&r->sse, (size_t)r->cfg->max_event_bytes);
		req_out_header(r, "Cache-Control", "no-cache", 0);
		req_out_header(r, "X-Accel-Buffering", "no", 0);
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
		    EVP_DigestInit_ex(r->resp_md, digest_sha256_md(),
		    NULL) != 1) {
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
	req_arm_timer(r, r->cfg->upstream_idle_timeout_ms);
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
	r->piece_flushed = 0;
	if (r->mode == MODE_RAW) {
		req_stream_out(r, data, len);
		return 0;
	}
	if (sse_feed(&r->sse, data, len) != 0) {
		snprintf(r->error, sizeof(r->error), "out_of_memory");
		return -1;
	}
	while ((n = sse_next(&r->sse)) > 0) {
		req_relay_event(r, r->sse.buf, n);
		sse_consume(&r->sse, n);
	}
	if (r->conn != NULL)
		conn_stream_flush(r->conn);	/* the rest of this piece */
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
	req_obs_failover(r);
	r->cur++;
	r->retry = 0;
	return req_start_attempt(r);
}

static void
up_on_done(void *arg, int result, const char *errmsg)
{
	struct req *r = arg;

	r->xfer = NULL;
	req_obs_attempt_end(r, result);
	if (r->state == REQ_ST_FORWARDING || r->retry) {
		int timed_out = result == CURLE_OPERATION_TIMEDOUT;

		r->timed_out |= timed_out;
		if (!r->retry) {
			log_warn("req=%s upstream %s failed: %s", log_q(r->id),
			    log_q(r->up->name), log_q(errmsg));
			req_report_health(r, 0);
		}
		if ((r->retry || (retryable(result) && can_fail_over(r,
		    timed_out ? "timeout" : "unreachable"))) &&
		    fail_over(r) == 0)
			return;
		if (r->state != REQ_ST_FORWARDING)
			return;	/* fail_over already answered */
		if (timed_out)
			req_fail(r, "upstream_timeout",
			    "upstream timed out");
		else if (result == CURLE_BAD_CONTENT_ENCODING)
			req_fail(r,
			    "upstream_bad_encoding", "upstream answered in a "
			    "content coding the gateway can not decode");
		else
			req_fail(r, "upstream_error",
			    "upstream unavailable");
		return;
	}
	req_finish_relay(r, result, errmsg);
}

static const struct uxfer_ops up_ops = {
	.on_head = up_on_head,
	.on_data = up_on_data,
	.on_done = up_on_done,
};

void
req_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct req *r = arg;

	uxfer_abort(r->xfer);
	r->xfer = NULL;
	if (r->state == REQ_ST_FORWARDING) {
		r->timed_out = 1;
		log_warn("req=%s upstream %s: no response in time",
		    log_q(r->id), log_q(r->up->name));
		req_report_health(r, 0);
		if (can_fail_over(r, "timeout") && fail_over(r) == 0)
			return;
		if (r->state == REQ_ST_FORWARDING)
			req_fail(r, "upstream_timeout",
			    "upstream timed out");
		return;
	}
	if (r->state == REQ_ST_RELAYING)
		req_finish_relay(r, CURLE_OPERATION_TIMEDOUT, "idle timeout");
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

/* traceparent and tracestate: the gateway sends its own when tracing. */
static int
trace_header(const struct http1_header *h)
{
	return (h->name_len == 11 && strncasecmp(h->name, "traceparent",
	    11) == 0) || (h->name_len == 10 && strncasecmp(h->name,
	    "tracestate", 10) == 0);
}

/* The key for the upstream being tried: the policy's own for it
 * (upstream_key_env), else the upstream's. */
static const char *
upstream_key(const struct req *r)
{
	const struct policy_conf *p = r->pr.policy;
	size_t u = r->pr.route.cand[r->cur];

	if (p != NULL && p->up_keys != NULL && p->up_keys[u] != NULL)
		return p->up_keys[u];
	return r->up->api_key;
}

int
req_start_attempt(struct req *r)
{
	const struct http1_request *hr = conn_request(r->conn);
	const char *lines[MAX_UP_HEADERS + 8];
	char store[16384], tpbuf[TRACEPARENT_SIZE], *url, *wq = NULL;
	const char *q, *tp;
	size_t n_lines = 0, used = 0, ul, ql;
	int full = 0;
	struct uxfer_req ur;
	struct policy_block blk;
	const struct http1_header *ct;
	uint64_t now = util_now_us();

	/* A breaker may have opened since routing (a failed attempt of
	 * another request): skip it like routing would have. */
	for (; r->cur < r->pr.route.n; r->cur++) {
		r->up = &r->cfg->upstreams[r->pr.route.cand[r->cur]];
		if (health_usable(&r->gw->health.v[r->up->health_slot], now))
			break;
		route_note(&r->pr.route, r->up->name, "breaker");
	}
	if (r->cur >= r->pr.route.n) {
		req_fail(r, "upstream_unavailable",
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
		/* The ATTEMPT phase: the body in this backend's dialect. */
		r->pr.up_kind = r->up->kind;
		changed |= policy_run_phase(&r->pr, POLICY_ATTEMPT, &blk) ==
		    POLICY_MODIFIED;
		r->fold_usage = r->pr.fold_usage;
		if (changed && r->fwd_owned)
			free(r->fwd);
		if (changed) {
			r->fwd = jsontext_dump(r->body, 15, &r->fwd_len);
			r->fwd_owned = 1;
		}
		if (r->fwd == NULL) {
			req_fail(r, "internal_error",
			    "cannot serialize request");
			return -1;
		}
	}
	/* The URL is the upstream's and exactly the path that was checked
	 * (libcurl is told not to touch it), then the query. */
	/* A walked list asks for its own pages. */
	q = r->query;
	ql = r->query_len;
	if (r->walk.on && (wq = req_walk_query(r, &ql)) != NULL)
		q = wq;
	ul = strlen(r->up->url);
	url = r->walk.on && wq == NULL ? NULL : malloc(ul + r->path_len + ql +
	    2);
	if (url == NULL) {
		free(wq);
		req_fail(r, "out_of_memory", "out of memory");
		return -1;
	}
	memcpy(url, r->up->url, ul);
	memcpy(url + ul, r->path, r->path_len);
	ul += r->path_len;
	if (q != NULL) {
		url[ul++] = '?';
		memcpy(url + ul, q, ql);
		ul += ql;
	}
	url[ul] = '\0';
	free(wq);
	tp = req_obs_attempt(r, tpbuf);

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
	if (tp != NULL) {
		ADD_LINE("traceparent: %s", tp);
		if (r->obs.tc.state != NULL)
			ADD_LINE("tracestate: %s", r->obs.tc.state);
	}
	ADD_LINE("Expect:");
	ct = http1_find(hr, "content-type");
	if (r->body != NULL)
		ADD_LINE("Content-Type: application/json");
	else if (ct != NULL)
		ADD_LINE("Content-Type: %.*s", (int)ct->value_len, ct->value);
	if (full) {
		OPENSSL_cleanse(store, used);
		free(url);
		req_fail(r, "headers_too_large",
		    "request headers too large to forward");
		return -1;
	}
	for (size_t i = 0; i < hr->n_headers; i++) {
		const struct http1_header *h = &hr->headers[i];

		if (forward_client_header(r->cfg, hr, i) &&
		    !(tp != NULL && trace_header(h)))
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
		req_fail(r, "internal_error",
		    "cannot start upstream transfer");
		return -1;
	}
	req_set_state(r, REQ_ST_FORWARDING);
	req_arm_timer(r, r->cfg->upstream_first_byte_timeout_ms);
	return 0;
}
