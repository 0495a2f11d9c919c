/* HTTP/1.1 server connections: read, frame, answer, keep alive, close
 * (the listener and admission: gateway/server.c). */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "common/errors.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/config.h"
#include "gateway/conn.h"
#include "gateway/conn_int.h"

/* How long unread input is drained after the last response. */
#define LINGER_MS 2000

static void conn_process(struct conn *c);

/*
 * Plain connections write a whole response at once, in one writev,
 * instead of waiting for the socket to be reported writable: the write
 * event (two epoll_ctl calls and a loop turn per response) is armed only
 * when the kernel took less than everything, and for the last response
 * before a close, whose end the write callback sees. Streamed bytes are
 * written the same way when their writer calls conn_stream_flush (after
 * each piece of the upstream's answer, and after its first event). TLS
 * connections always go through the bufferevent.
 */
/* Writes what the kernel takes of out, now. */
static void
write_out(struct evbuffer *out, evutil_socket_t fd)
{
	/* The bufferevent keeps its output's start frozen against drains
	 * from outside; it is not writing now. */
	evbuffer_unfreeze(out, 1);
	while (evbuffer_get_length(out) > 0 && evbuffer_write(out, fd) > 0)
		;
	evbuffer_freeze(out, 1);
}

static void
flush_out(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (c->srv->tls != NULL || evbuffer_get_length(out) == 0 ||
	    (bufferevent_get_enabled(c->bev) & EV_WRITE))
		return;
	if (c->state != CS_CLOSING)
		write_out(out, fd);
	/* What is left (or an error) goes the bufferevent's way. */
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(c->bev, EV_WRITE);
}

static void
arm_timer(struct conn *c, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
	    (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(c->timer, &tv);
}

void
set_write_limits(struct conn *c)
{
	struct timeval wt = {
		(time_t)(c->srv->lim.send_timeout_ms / 1000),
		(suseconds_t)(c->srv->lim.send_timeout_ms % 1000) * 1000
	};

	bufferevent_set_timeouts(c->bev, NULL, &wt);
	bufferevent_setwatermark(c->bev, EV_WRITE,
	    (size_t)c->srv->lim.client_buffer_bytes / 2, 0);
}

static const char *
error_code(int status)
{
	switch (status) {
	case 408: return "request_timeout";
	case 413: return "request_too_large";
	case 414: return "uri_too_long";
	case 417: return "expectation_failed";
	case 431: return "headers_too_large";
	case 501: return "not_implemented";
	case 505: return "http_version_not_supported";
	case 503: return "overloaded";
	default: return "bad_request";
	}
}

/* Answers a framing error in Mistral's envelope and closes. A handler
 * that took the request at its head answers itself (and records it). */
static void
conn_fail(struct conn *c, int status, const char *why)
{
	char body[256];
	int n;
	struct hdr h[] = { { "Content-Type", "application/json" } };

	c->req.keep_alive = 0;
	if (c->ctx != NULL && c->srv->ops->on_body_error != NULL) {
		/* It answers now or once its record is stored; nothing more
		 * is read meanwhile. */
		c->state = CS_HANDLING;
		bufferevent_disable(c->bev, EV_READ);
		c->srv->ops->on_body_error(c, c->ctx, status,
		    error_code(status), why);
		return;
	}
	log_info("client %s: %d %s", c->peer, status, why);
	n = snprintf(body, sizeof(body), "{\"object\":\"error\",\"message\":"
	    "\"%s\",\"type\":\"%s\",\"param\":null,\"code\":\"%s\"}", why,
	    api_error(error_code(status))->type, error_code(status));
	c->req.keep_alive = 0;
	c->req.method = HTTP_GET;
	c->ctx = NULL;
	conn_respond(c, status, h, 1, body, (size_t)n);
}

static void
wait_remove(struct conn *c)
{
	struct server *s = c->srv;
	struct conn **pp = &s->wait_head, *prev = NULL;

	for (; *pp != NULL; prev = *pp, pp = &(*pp)->wait_next) {
		if (*pp != c)
			continue;
		*pp = c->wait_next;
		if (s->wait_tail == c)
			s->wait_tail = prev;
		c->wait_next = NULL;
		s->n_waiting--;
		return;
	}
}

/* The body of the request is read from here on. */
static void
start_body(struct conn *c)
{
	if (c->req.expect_continue &&
	    (c->req.content_length > 0 || c->req.chunked)) {
		bufferevent_write(c->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
		flush_out(c);
	}
	c->state = CS_BODY;
}

/* Takes n bytes of max_bodies_bytes; 0 when they do not fit. Nothing
 * held means anything fits, so that one body is always read. */
static int
take_body_room(struct conn *c, uint64_t n)
{
	struct server *s = c->srv;

	if (s->bodies_held > 0 && s->bodies_held + n >
	    s->lim.max_bodies_bytes)
		return 0;
	s->bodies_held += n;
	c->body_held += n;
	return 1;
}

/* Lets waiting bodies in, in arrival order, while they fit. */
void
admit_waiting(struct server *s)
{
	while (s->wait_head != NULL) {
		struct conn *c = s->wait_head;

		if (!take_body_room(c, (uint64_t)c->req.content_length))
			return;
		s->wait_head = c->wait_next;
		if (s->wait_head == NULL)
			s->wait_tail = NULL;
		c->wait_next = NULL;
		s->n_waiting--;
		start_body(c);
		arm_timer(c, s->lim.header_timeout_ms);
		bufferevent_enable(c->bev, EV_READ);
		bufferevent_trigger(c->bev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	}
}

static void
release_body_room(struct conn *c)
{
	struct server *s = c->srv;

	if (c->body_held == 0)
		return;
	s->bodies_held -= c->body_held;
	c->body_held = 0;
	admit_waiting(s);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (c->state == CS_HEAD && !c->started) {
		conn_free(c);	/* idle keep-alive connection */
		return;
	}
	if (c->state == CS_WAIT) {
		/* No room for the body in time: the gateway is overloaded. */
		wait_remove(c);
		c->srv->refused_overloaded++;
		conn_fail(c, 503, "too many request bodies in flight; retry");
		return;
	}
	if (c->state == CS_HEAD || c->state == CS_BODY) {
		bufferevent_disable(c->bev, EV_READ);
		conn_fail(c, 408, "request not received in time");
		return;
	}
	if (c->state == CS_CLOSING || c->state == CS_LINGER)
		conn_free(c);
}

/*
 * The last response is out. Closing a socket with unread input makes the
 * kernel send a reset that can destroy that response in flight (a
 * pipelined or refused request), so the write side is shut first and
 * input is read and dropped for a while, as nginx's lingering close does.
 */
static void
linger(struct conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (c->srv->tls != NULL || fd < 0 || shutdown(fd, SHUT_WR) != 0) {
		conn_free(c);
		return;
	}
	c->state = CS_LINGER;
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	bufferevent_enable(c->bev, EV_READ);
	arm_timer(c, LINGER_MS);
}

/*
 * Moves the parsed head (its headers, parsed into the server's scratch
 * array, and its bytes) into one block of the connection's own, sized to
 * this request, and rebases the pointers. An idle connection holds none.
 */
static int
keep_head(struct conn *c, const char *pulled)
{
	size_t n = c->req.n_headers, hlen = n * sizeof(struct http1_header);
	struct http1_header *h;
	char *text;

	free(c->head);
	c->head = malloc(hlen + c->req.head_len);
	if (c->head == NULL)
		return -1;
	h = c->head;
	text = (char *)c->head + hlen;
	memcpy(text, pulled, c->req.head_len);
	c->req.target = text + (c->req.target - pulled);
	for (size_t i = 0; i < n; i++) {
		h[i] = c->req.headers[i];
		h[i].name = text + (h[i].name - pulled);
		h[i].value = text + (h[i].value - pulled);
	}
	c->req.headers = h;
	return 0;
}

static void
drop_head(struct conn *c)
{
	free(c->head);
	c->head = NULL;
	c->req.headers = NULL;
	c->req.n_headers = 0;
}

static int
read_head(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(in), n;
	const struct server_limits *lim = &c->srv->lim;
	const char *why = NULL;
	char *p;
	int status = 400, rc;

	if (len == 0)
		return 0;
	if (!c->started) {
		c->started = 1;
		arm_timer(c, lim->header_timeout_ms);
	}
	n = len < lim->max_header_bytes ? len : (size_t)lim->max_header_bytes;
	p = (char *)evbuffer_pullup(in, (ssize_t)n);
	c->req.headers = c->srv->scratch;
	rc = http1_parse_head(p, n, (size_t)lim->max_header_bytes,
	    (size_t)lim->max_headers, &c->req, &status, &why);
	if (rc == HTTP1_NEED_MORE)
		return 0;
	if (rc == HTTP1_ERROR) {
		bufferevent_disable(c->bev, EV_READ);
		conn_fail(c, status, why);
		return -1;
	}
	if (keep_head(c, p) != 0) {
		conn_fail(c, 503, "out of memory");
		return -1;
	}
	evbuffer_drain(in, c->req.head_len);
	if (c->req.content_length > 0 &&
	    (uint64_t)c->req.content_length > lim->max_body_bytes) {
		bufferevent_disable(c->bev, EV_READ);
		conn_fail(c, 413, "request body too large");
		return -1;
	}
	memset(&c->chunked, 0, sizeof(c->chunked));
	c->body_left = c->req.content_length > 0 ?
	    (uint64_t)c->req.content_length : 0;
	if (c->srv->ops->on_head != NULL) {
		/* The checks that need no body run first: a refused request's
		 * body is never read (nor 100-continue sent for it). */
		c->body_unread = c->req.content_length > 0 || c->req.chunked;
		c->state = CS_HANDLING;
		if (c->srv->ops->on_head(c, c->srv->arg) != 0)
			return -1;
		c->body_unread = 0;
	}
	if (c->req.content_length > 0 &&
	    !take_body_room(c, (uint64_t)c->req.content_length)) {
		c->state = CS_WAIT;
		bufferevent_disable(c->bev, EV_READ);
		if (c->srv->wait_tail != NULL)
			c->srv->wait_tail->wait_next = c;
		else
			c->srv->wait_head = c;
		c->srv->wait_tail = c;
		c->srv->n_waiting++;
		return 0;
	}
	start_body(c);
	return 1;
}

/* Returns 1 when the body is complete, 0 for more, -1 after a failure. */
static int
read_body(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	uint64_t max = c->srv->lim.max_body_bytes;

	if (!c->req.chunked) {
		size_t avail = evbuffer_get_length(in);
		size_t n = avail < c->body_left ? avail : (size_t)c->body_left;
		struct evbuffer_iovec v;

		/* Into one block sized to the whole body, so that it never
		 * needs a second, contiguous copy (a 10 MB body would be
		 * held twice while it is pulled up). */
		if (n > 0 && evbuffer_reserve_space(c->body,
		    (ev_ssize_t)c->body_left, &v, 1) == 1 &&
		    v.iov_len >= c->body_left) {
			evbuffer_remove(in, v.iov_base, n);
			v.iov_len = n;
			evbuffer_commit_space(c->body, &v, 1);
		} else if (n > 0) {
			evbuffer_remove_buffer(in, c->body, n);
		}
		c->body_left -= n;
		return c->body_left == 0;
	}
	while (evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		const char *data;
		size_t used = 0, dlen;
		int rc;

		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		rc = http1_chunked_feed(&c->chunked, v.iov_base, v.iov_len,
		    &used, &data, &dlen);
		if (rc == HTTP1_ERROR) {
			bufferevent_disable(c->bev, EV_READ);
			conn_fail(c, 400, "malformed chunked body");
			return -1;
		}
		if (dlen > 0) {
			if (evbuffer_get_length(c->body) + dlen > max) {
				bufferevent_disable(c->bev, EV_READ);
				conn_fail(c, 413, "request body too large");
				return -1;
			}
			/* A chunked body cannot wait half read: no room is
			 * a refusal. */
			if (!take_body_room(c, dlen)) {
				bufferevent_disable(c->bev, EV_READ);
				c->srv->refused_overloaded++;
				conn_fail(c, 503, "too many request bodies in "
				    "flight; retry");
				return -1;
			}
			evbuffer_add(c->body, data, dlen);
		}
		evbuffer_drain(in, used);
		if (rc == HTTP1_DONE)
			return 1;
	}
	return 0;
}

static void
conn_process(struct conn *c)
{
	int rc;

	if (c->state == CS_HEAD) {
		rc = read_head(c);
		if (rc <= 0)
			return;
	}
	if (c->state == CS_WAIT)
		return;
	if (c->state == CS_BODY) {
		rc = read_body(c);
		if (rc < 0)
			return;
		if (rc == 0) {
			arm_timer(c, c->srv->lim.header_timeout_ms);
			return;
		}
		evtimer_del(c->timer);
		c->state = CS_HANDLING;
		c->responded = 0;
		c->srv->ops->on_request(c, c->srv->arg);
		return;
	}
	/* Handling or closing: pipelined bytes wait, up to a cap. */
	if (c->state == CS_CLOSING)
		return;
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) >
	    c->srv->lim.max_header_bytes)
		bufferevent_disable(c->bev, EV_READ);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state == CS_LINGER) {
		evbuffer_drain(bufferevent_get_input(bev),
		    evbuffer_get_length(bufferevent_get_input(bev)));
		return;
	}
	conn_process(c);
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->state == CS_CLOSING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			linger(c);
		return;
	}
	if (c->srv->tls == NULL &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		bufferevent_disable(bev, EV_WRITE);	/* back to flush_out */
	if (c->ctx != NULL && c->streaming && c->srv->ops->on_drain != NULL)
		c->srv->ops->on_drain(c, c->ctx);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if ((what & BEV_EVENT_TIMEOUT) != 0)
		log_info("client %s: send timeout", c->peer);
	conn_free(c);
}

void
conn_free(struct conn *c)
{
	struct server *s = c->srv;

	if (c->ctx != NULL && s->ops->on_abort != NULL) {
		void *ctx = c->ctx;

		c->ctx = NULL;
		s->ops->on_abort(c, ctx);
	}
	if (c->state == CS_WAIT)
		wait_remove(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->all = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->n--;
	ip_release(s, c->ip);
	bufferevent_free(c->bev);
	event_free(c->timer);
	evbuffer_free(c->body);
	free(c->head);
	if (c->body_held > 0) {
		s->bodies_held -= c->body_held;
		c->body_held = 0;
		free(c);
		admit_waiting(s);
		return;
	}
	free(c);
}

/* The response is complete: close, or wait for the next request. */
static void
finish_response(struct conn *c)
{
	c->ctx = NULL;
	c->streaming = 0;
	c->responded = 0;
	evbuffer_drain(c->body, evbuffer_get_length(c->body));
	drop_head(c);
	release_body_room(c);
	if (!c->keep_alive || c->srv->draining) {
		c->state = CS_CLOSING;
		bufferevent_disable(c->bev, EV_READ);
		arm_timer(c, c->srv->lim.send_timeout_ms);
		return;
	}
	c->state = CS_HEAD;
	c->started = 0;
	arm_timer(c, c->srv->lim.idle_timeout_ms);
	bufferevent_enable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		bufferevent_trigger(c->bev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

/* Appends len bytes to the head being built in h (its cap bytes), or
 * to out directly once they would not fit. */
static void
head_put(struct evbuffer *out, char *h, size_t cap, size_t *n,
    const char *s, size_t len)
{
	if (*n + len > cap) {
		evbuffer_add(out, h, *n);
		*n = 0;
		if (len > cap) {
			evbuffer_add(out, s, len);
			return;
		}
	}
	memcpy(h + *n, s, len);
	*n += len;
}

/* The head is built on the stack and added to the output at once (one
 * evbuffer_add instead of four per header line). */
static void
write_head(struct conn *c, int status, const struct hdr *h, size_t n,
    int64_t content_length)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char head[2048], num[24];
	const char *reason = http_reason(status);
	size_t hn = 0;

	c->keep_alive = c->req.keep_alive && !c->srv->draining &&
	    !c->body_unread;
	if (content_length < 0 && c->req.minor == 0)
		c->keep_alive = 0;	/* HTTP/1.0: the close ends the body */
	head_put(out, head, sizeof(head), &hn, "HTTP/1.1 ", 9);
	head_put(out, head, sizeof(head), &hn, num,
	    util_fmt_u64(num, (uint64_t)(status > 0 ? status : 0)));
	head_put(out, head, sizeof(head), &hn, " ", 1);
	head_put(out, head, sizeof(head), &hn, reason, strlen(reason));
	head_put(out, head, sizeof(head), &hn, "\r\n", 2);
	for (size_t i = 0; i < n; i++) {
		head_put(out, head, sizeof(head), &hn, h[i].name,
		    strlen(h[i].name));
		head_put(out, head, sizeof(head), &hn, ": ", 2);
		head_put(out, head, sizeof(head), &hn, h[i].value,
		    strlen(h[i].value));
		head_put(out, head, sizeof(head), &hn, "\r\n", 2);
	}
	/* A 204 or 304 has no body and no Content-Length (RFC 9110 8.6). */
	if (status == 204 || status == 304) {
		/* nothing */
	} else if (content_length >= 0) {
		head_put(out, head, sizeof(head), &hn, "Content-Length: ", 16);
		head_put(out, head, sizeof(head), &hn, num,
		    util_fmt_u64(num, (uint64_t)content_length));
		head_put(out, head, sizeof(head), &hn, "\r\n", 2);
	} else if (c->req.minor == 1) {
		head_put(out, head, sizeof(head), &hn,
		    "Transfer-Encoding: chunked\r\n", 28);
	}
	if (!c->keep_alive)
		head_put(out, head, sizeof(head), &hn,
		    "Connection: close\r\n", 19);
	else if (c->req.minor == 0)
		head_put(out, head, sizeof(head), &hn,
		    "Connection: keep-alive\r\n", 24);
	head_put(out, head, sizeof(head), &hn, "\r\n", 2);
	evbuffer_add(out, head, hn);
	c->responded = 1;
}

void
conn_respond(struct conn *c, int status, const struct hdr *headers, size_t n,
    const char *body, size_t len)
{
	if (c->responded)
		return;
	write_head(c, status, headers, n, (int64_t)len);
	if (len > 0 && c->req.method != HTTP_HEAD)
		bufferevent_write(c->bev, body, len);
	finish_response(c);
	flush_out(c);
}

void
conn_stream_begin(struct conn *c, int status, const struct hdr *headers,
    size_t n)
{
	if (c->responded)
		return;
	write_head(c, status, headers, n, -1);
	c->streaming = 1;
	c->stream_chunked = c->req.minor == 1;
	conn_stream_flush(c);
}

void
conn_stream_write(struct conn *c, const char *data, size_t len)
{
	char line[32];
	int n;

	if (!c->streaming || len == 0)
		return;
	if (c->stream_chunked) {
		n = snprintf(line, sizeof(line), "%zx\r\n", len);
		bufferevent_write(c->bev, line, (size_t)n);
		bufferevent_write(c->bev, data, len);
		bufferevent_write(c->bev, "\r\n", 2);
	} else {
		bufferevent_write(c->bev, data, len);
	}
}

void
conn_stream_flush(struct conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (!c->streaming || evbuffer_get_length(out) == 0)
		return;
	/* TLS, or a write the kernel did not take whole: the bufferevent
	 * writes when the socket is writable (and its callback resumes a
	 * paused upstream once the client has read). */
	if (c->srv->tls == NULL &&
	    !(bufferevent_get_enabled(c->bev) & EV_WRITE))
		write_out(out, bufferevent_getfd(c->bev));
	if (evbuffer_get_length(out) > 0)
		bufferevent_enable(c->bev, EV_WRITE);
}

void
conn_stream_end(struct conn *c, int clean)
{
	if (!c->streaming)
		return;
	if (clean && c->stream_chunked)
		bufferevent_write(c->bev, "0\r\n\r\n", 5);
	if (!clean)
		c->keep_alive = 0;
	finish_response(c);
	flush_out(c);
}

size_t
conn_out_pending(const struct conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

int
conn_out_full(const struct conn *c)
{
	return conn_out_pending(c) >= c->srv->lim.client_buffer_bytes;
}

const struct http1_request *
conn_request(const struct conn *c)
{
	return &c->req;
}

struct evbuffer *
conn_body(struct conn *c)
{
	return c->body;
}

const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

int
conn_peer_addr(const struct conn *c, unsigned char addr[16])
{
	memcpy(addr, c->peer_addr, 16);
	return c->peer_family;
}

void
conn_set_ctx(struct conn *c, void *ctx)
{
	c->ctx = ctx;
}

void *
conn_ctx(const struct conn *c)
{
	return c->ctx;
}

void
conn_body_drop(struct conn *c)
{
	evbuffer_drain(c->body, evbuffer_get_length(c->body));
}

void
conn_new(struct server *s, evutil_socket_t fd, const struct sockaddr *sa,
    struct ipcount *ip)
{
	struct conn *c;
	int one = 1;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ip_release(s, ip);
		evutil_closesocket(fd);
		return;
	}
	c->srv = s;
	c->ip = ip;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (s->tls != NULL) {
		SSL *ssl = SSL_new(s->tls);

		c->bev = ssl ? bufferevent_openssl_socket_new(s->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE) : NULL;
		if (c->bev == NULL && ssl != NULL)
			SSL_free(ssl);
		if (c->bev != NULL)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else {
		c->bev = bufferevent_socket_new(s->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	}
	c->timer = evtimer_new(s->base, timer_cb, c);
	c->body = evbuffer_new();
	if (c->bev == NULL || c->timer == NULL || c->body == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->timer != NULL)
			event_free(c->timer);
		if (c->body != NULL)
			evbuffer_free(c->body);
		ip_release(s, ip);
		free(c);
		return;
	}
	format_peer(sa, c->peer, sizeof(c->peer));
	switch (addr_key(sa, c->peer_addr)) {
	case 4:
		c->peer_family = 4;
		break;
	case 16:
		c->peer_family = 6;
		break;
	}
	c->next = s->all;
	if (s->all != NULL)
		s->all->prev = c;
	s->all = c;
	s->n++;
	bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
	set_write_limits(c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (s->tls == NULL)
		bufferevent_disable(c->bev, EV_WRITE);	/* see flush_out */
	arm_timer(c, s->lim.header_timeout_ms);
}

