/*
 * The own HTTP/1.1 client: one non-blocking socket per transfer, taken
 * from (and given back to) a pool of idle keep-alive connections; the
 * request written with one sendmsg; the answer framed by
 * http1_parse_response and http1_chunked_feed and decoded by udecode.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event_struct.h>

#include "common/log.h"
#include "common/util.h"
#include "gateway/http1.h"
#include "gateway/uclient.h"
#include "gateway/udecode.h"
#include "gateway/ureq.h"

#define MAX_RESP_HEADERS 64
#define MAX_RESP_HEAD 16384
/* The read buffer: a head (MAX_RESP_HEAD at most) and body bytes. While
 * a transfer is paused nothing more is read: this is all it holds. */
#define READ_BUF 32768
/* Idle connections kept (libcurl's CURLMOPT_MAXCONNECTS was 256), and
 * for how long (libcurl's default CURLOPT_MAXAGE_CONN). */
#define MAX_IDLE 256
#define IDLE_SECS 118
/* libcurl's default connect timeout, when none is given. */
#define DEFAULT_CONNECT_MS 300000
/* Reads in a row before the loop gets a turn. */
#define READS_PER_EVENT 16
/* Ended transfers kept, with their read buffer, for the next ones: a
 * 32 KB malloc and free per request cost more than the request's own
 * work in glibc's allocator (each large request first consolidates the
 * small free chunks). */
#define SPARE_XFERS 16

/*
 * A connection. Its event stays registered for reading from one request
 * to the next (no epoll_ctl per request): while idle, readable means the
 * server closed it (or sent what nobody asked for) and it is closed.
 */
struct ucconn {
	struct ucpool *pool;
	int fd;
	struct sockaddr_storage sa;
	socklen_t salen;
	struct event ev;
	short what;		/* what ev waits for; 0: not added */
	struct ucx *x;		/* the transfer using it; NULL: idle */
	uint64_t idle_since_ms;
	struct ucconn *prev, *next;	/* idle list, newest first */
};

struct ucpool {
	struct event_base *base;
	struct ucconn *idle, *idle_tail;
	unsigned n_idle;
	struct event sweep;	/* closes connections idle too long */
	struct ucx *all;
	unsigned active;
	struct ucx *spare[SPARE_XFERS];	/* freed, buf kept */
	unsigned n_spare;
};

enum { ST_CONNECT, ST_SEND, ST_HEAD, ST_BODY };
enum { BODY_NONE, BODY_LEN, BODY_CHUNKED, BODY_CLOSE };

struct ucx {
	int own;		/* 1: see uclient.h */
	struct ucpool *pool;
	const struct uxfer_ops *ops;
	void *arg;
	struct sockaddr_storage sa;
	socklen_t salen;
	struct ucconn *c;	/* NULL: none (yet, or any more) */
	int state;
	int reused;		/* the connection came from the pool */
	int retried;		/* once, on a fresh connection */
	int head_req;		/* HEAD: no body in the answer */
	int got_bytes;		/* of the answer, on this connection */
	int paused;
	int in_callback;
	int starting;		/* inside ucx_start: no callbacks yet */
	int early;		/* a failure in ucx_start, reported by kick */
	int early_result;
	char *req;		/* the request head */
	size_t req_len;
	const char *body;	/* borrowed */
	size_t body_len;
	size_t sent;
	uint64_t t0_ms;
	uint64_t connect_ms, total_ms;
	struct event tmo;	/* connect, then total timeout */
	struct event kick;	/* deferred: an early failure, a resume */
	char *buf;		/* READ_BUF; [off, len) not parsed yet */
	size_t off, len;
	int mode;
	uint64_t remaining;	/* BODY_LEN */
	struct http1_chunked ch;
	int keep_alive;
	/* A span of body refused by a pause: given again on resume. */
	int pend;
	size_t pend_off, pend_len, pend_used;
	struct udecode dec;
	struct uheader head[MAX_RESP_HEADERS];
	char *head_store;
	char errmsg[160];
	struct ucx *prev, *next;
};

static void io_cb(struct ucx *x, short what);
static void conn_close(struct ucconn *c);
static void pump(struct ucx *x);

int
uclient_serves(const char *url)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	const char *t;

	return ureq_parse_url(url, &sa, &salen, NULL, 0, &t) == 0;
}

/* The connections. */

static void
conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ucconn *c = arg;

	if (c->x != NULL)
		io_cb(c->x, what);
	else
		conn_close(c);	/* idle: EOF, an error, or junk */
}

/* Makes the connection's event wait for what (0: nothing). */
static void
conn_want(struct ucconn *c, short what)
{
	if (c->what == what)
		return;
	if (c->what != 0)
		event_del(&c->ev);
	c->what = what;
	if (what == 0)
		return;
	event_assign(&c->ev, c->pool->base, c->fd, what | EV_PERSIST, conn_cb,
	    c);
	event_add(&c->ev, NULL);
}

static void
idle_unlink(struct ucconn *c)
{
	struct ucpool *pool = c->pool;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		pool->idle = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		pool->idle_tail = c->prev;
	c->prev = c->next = NULL;
	pool->n_idle--;
}

/* Closes a connection, idle or not. */
static void
conn_close(struct ucconn *c)
{
	conn_want(c, 0);
	close(c->fd);
	if (c->x == NULL)
		idle_unlink(c);
	else
		c->x->c = NULL;
	free(c);
}

static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ucpool *pool = arg;
	struct timeval tv = { IDLE_SECS / 4 + 1, 0 };
	uint64_t now = util_now_ms();

	/* Oldest last. */
	while (pool->idle_tail != NULL && now - pool->idle_tail->idle_since_ms
	    >= IDLE_SECS * 1000ULL)
		conn_close(pool->idle_tail);
	if (pool->idle != NULL)
		evtimer_add(&pool->sweep, &tv);
}

/* The transfer is done with its connection: kept for the next one to the
 * same address, still registered for reading. */
static void
conn_put(struct ucconn *c)
{
	struct ucpool *pool = c->pool;
	struct timeval tv = { IDLE_SECS / 4 + 1, 0 };

	c->x = NULL;
	conn_want(c, EV_READ);
	if (pool->n_idle >= MAX_IDLE)
		conn_close(pool->idle_tail);
	c->idle_since_ms = util_now_ms();
	c->prev = NULL;
	c->next = pool->idle;
	if (pool->idle != NULL)
		pool->idle->prev = c;
	else
		pool->idle_tail = c;
	pool->idle = c;
	pool->n_idle++;
	if (!evtimer_pending(&pool->sweep, NULL))
		evtimer_add(&pool->sweep, &tv);
}

/* An idle connection to the transfer's address (the newest), or NULL. */
static struct ucconn *
conn_take(struct ucx *x)
{
	for (struct ucconn *c = x->pool->idle; c != NULL; c = c->next) {
		if (c->salen != x->salen || memcmp(&c->sa, &x->sa,
		    x->salen) != 0)
			continue;
		idle_unlink(c);
		c->x = x;
		return c;
	}
	return NULL;
}

/* The transfers. */

static void
want(struct ucx *x, short what)
{
	if (x->c != NULL)
		conn_want(x->c, what);
}

/* Arms the timeout: the connect timeout while connecting (within the
 * total), then what is left of the total. */
static void
arm_timeout(struct ucx *x)
{
	uint64_t now = util_now_ms(), left = UINT64_MAX, ms;
	struct timeval tv;

	if (x->total_ms > 0)
		left = x->t0_ms + x->total_ms > now ? x->t0_ms + x->total_ms -
		    now : 0;
	ms = left;
	if (x->state == ST_CONNECT && x->connect_ms < ms)
		ms = x->connect_ms;
	if (ms == UINT64_MAX) {
		evtimer_del(&x->tmo);
		return;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
	evtimer_add(&x->tmo, &tv);
}

static void
close_fd(struct ucx *x)
{
	if (x->c != NULL)
		conn_close(x->c);
}

static void
xfer_free(struct ucx *x)
{
	struct ucpool *pool = x->pool;

	close_fd(x);
	evtimer_del(&x->tmo);
	event_del(&x->kick);
	udecode_free(&x->dec);
	free(x->head_store);
	free(x->req);
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		pool->all = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	pool->active--;
	if (pool->n_spare < SPARE_XFERS && x->buf != NULL) {
		pool->spare[pool->n_spare++] = x;
		return;
	}
	free(x->buf);
	free(x);
}

/* A zeroed transfer with its read buffer: a spare one, or a new one. */
static struct ucx *
xfer_new(struct ucpool *pool)
{
	struct ucx *x;
	char *buf;

	if (pool->n_spare > 0) {
		x = pool->spare[--pool->n_spare];
		buf = x->buf;
		memset(x, 0, sizeof(*x));
		x->buf = buf;
		return x;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	if ((x->buf = malloc(READ_BUF)) == NULL) {
		free(x);
		return NULL;
	}
	return x;
}

/* Ends the transfer: on_done once, then freed. A complete answer on a
 * connection that stays open gives the connection back to the pool. */
static void
finish(struct ucx *x, int result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
finish(struct ucx *x, int result, const char *fmt, ...)
{
	va_list ap;

	if (x->starting) {
		/* Reported from the loop: ucx_start returns first. */
		if (fmt != NULL) {
			va_start(ap, fmt);
			vsnprintf(x->errmsg, sizeof(x->errmsg), fmt, ap);
			va_end(ap);
		}
		close_fd(x);
		x->early = 1;
		x->early_result = result;
		event_active(&x->kick, 0, 0);
		return;
	}
	if (result == 0 && udecode_cut(&x->dec)) {
		result = CURLE_BAD_CONTENT_ENCODING;
		fmt = NULL;
	}
	if (result == CURLE_BAD_CONTENT_ENCODING)
		snprintf(x->errmsg, sizeof(x->errmsg), "the answer's content "
		    "or transfer coding can not be decoded");
	else if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(x->errmsg, sizeof(x->errmsg), fmt, ap);
		va_end(ap);
	}
	if (result == 0 && x->keep_alive && x->mode != BODY_CLOSE &&
	    x->off == x->len && x->c != NULL) {
		conn_put(x->c);
		x->c = NULL;
	}
	close_fd(x);
	x->in_callback = 1;
	x->ops->on_done(x->arg, result, result == 0 ? "" : x->errmsg);
	xfer_free(x);
}

/* Opens a fresh connection (non-blocking connect); -1 with errmsg. */
static int
connect_fresh(struct ucx *x)
{
	int one = 1, fd;

	fd = socket(x->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(x->errmsg, sizeof(x->errmsg), "socket: %s",
		    strerror(errno));
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if ((x->c = calloc(1, sizeof(*x->c))) == NULL) {
		close(fd);
		snprintf(x->errmsg, sizeof(x->errmsg), "out of memory");
		return -1;
	}
	x->c->pool = x->pool;
	x->c->fd = fd;
	x->c->sa = x->sa;
	x->c->salen = x->salen;
	x->c->x = x;
	x->reused = 0;
	x->state = ST_CONNECT;
	if (connect(fd, (struct sockaddr *)&x->sa, x->salen) != 0 &&
	    errno != EINPROGRESS) {
		snprintf(x->errmsg, sizeof(x->errmsg), "connect: %s",
		    strerror(errno));
		close_fd(x);
		return -1;
	}
	want(x, EV_WRITE);
	arm_timeout(x);
	return 0;
}

/*
 * A reused connection failed before any byte of the answer (the server
 * closed it while it was idle): the request goes once more on a fresh
 * connection, as libcurl does. Returns 0 when it did.
 */
static int
retry(struct ucx *x)
{
	if (!x->reused || x->retried || x->got_bytes || x->state == ST_BODY)
		return -1;
	x->retried = 1;
	close_fd(x);
	x->sent = 0;
	x->off = x->len = 0;
	x->state = ST_CONNECT;
	if (connect_fresh(x) != 0) {
		finish(x, CURLE_COULDNT_CONNECT, NULL);
		return 0;
	}
	return 0;
}

/* Writes what is left of the request; moves on to the answer. */
static void
send_more(struct ucx *x)
{
	while (x->sent < x->req_len + x->body_len) {
		struct iovec iov[2];
		struct msghdr mh;
		int n = 0;
		ssize_t w;

		if (x->sent < x->req_len) {
			iov[n].iov_base = x->req + x->sent;
			iov[n++].iov_len = x->req_len - x->sent;
			if (x->body_len > 0) {
				iov[n].iov_base = (void *)(uintptr_t)x->body;
				iov[n++].iov_len = x->body_len;
			}
		} else {
			iov[n].iov_base = (void *)(uintptr_t)(x->body +
			    (x->sent - x->req_len));
			iov[n++].iov_len = x->req_len + x->body_len - x->sent;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n;
		w = sendmsg(x->c->fd, &mh, MSG_NOSIGNAL);
		if (w >= 0) {
			x->sent += (size_t)w;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			want(x, EV_WRITE);
			return;
		}
		if (retry(x) == 0)
			return;
		finish(x, CURLE_SEND_ERROR, "send: %s", strerror(errno));
		return;
	}
	x->state = ST_HEAD;
	want(x, EV_READ);
}

/* Hands body bytes to the request: 0 taken, 1 paused, -1 failed. */
static int
deliver(void *arg, const char *data, size_t len)
{
	struct ucx *x = arg;
	int rc;

	x->in_callback = 1;
	rc = x->ops->on_data(x->arg, data, len);
	x->in_callback = 0;
	return rc == 1 ? 1 : rc != 0 ? -1 : 0;
}

/* A span of the body, decoded if coded: 0 taken, 1 paused, -1 ended
 * (the transfer is freed). */
static int
give(struct ucx *x, size_t data_off, size_t data_len, size_t used)
{
	int rc;

	if (data_len == 0)
		rc = 0;
	else if (x->dec.zlive)
		rc = udecode_write(&x->dec, x->buf + data_off, data_len,
		    deliver, x);
	else
		rc = deliver(x, x->buf + data_off, data_len);
	if (rc == 1) {
		x->paused = 1;
		x->pend = 1;
		x->pend_off = data_off;
		x->pend_len = data_len;
		x->pend_used = used;
		want(x, 0);
		return 1;
	}
	if (rc != 0) {
		if (x->dec.bad)
			finish(x, CURLE_BAD_CONTENT_ENCODING, NULL);
		else
			finish(x, CURLE_WRITE_ERROR, "the request stopped "
			    "the transfer");
		return -1;
	}
	x->pend = 0;
	x->off += used;
	if (x->mode == BODY_LEN)
		x->remaining -= data_len;
	return 0;
}

/* The final head: codings checked, headers copied, on_head called.
 * Returns 0 to go on, -1 when the transfer ended. */
static int
got_head(struct ucx *x, const struct http1_response *resp)
{
	size_t need = 0, n = resp->n_headers;
	char *p;
	int rc;

	udecode_reset(&x->dec);
	for (size_t i = 0; i < n; i++) {
		const struct http1_header *h = &resp->headers[i];

		if (util_ascii_ieq(h->name, h->name_len, "content-encoding"))
			udecode_check(&x->dec, h->value, h->value_len, 0);
		else if (util_ascii_ieq(h->name, h->name_len,
		    "transfer-encoding"))
			udecode_check(&x->dec, h->value, h->value_len, 1);
		need += h->name_len + h->value_len + 2;
	}
	/* A coding the kept headers do not show can not be decoded. */
	if (resp->te_other || resp->coding_dropped)
		x->dec.bad = 1;
	if (udecode_begin(&x->dec) != 0) {
		finish(x, x->dec.bad ? CURLE_BAD_CONTENT_ENCODING :
		    CURLE_OUT_OF_MEMORY, "out of memory");
		return -1;
	}
	p = x->head_store = malloc(need + 1);
	if (p == NULL) {
		finish(x, CURLE_OUT_OF_MEMORY, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct http1_header *h = &resp->headers[i];

		x->head[i].name = p;
		memcpy(p, h->name, h->name_len);
		p += h->name_len;
		*p++ = '\0';
		x->head[i].value = p;
		memcpy(p, h->value, h->value_len);
		p += h->value_len;
		*p++ = '\0';
	}
	x->keep_alive = resp->keep_alive;
	if (x->head_req || resp->status == 204 || resp->status == 304)
		x->mode = BODY_NONE;
	else if (resp->chunked)
		x->mode = BODY_CHUNKED;
	else if (resp->content_length >= 0) {
		x->mode = BODY_LEN;
		x->remaining = (uint64_t)resp->content_length;
	} else
		x->mode = BODY_CLOSE;
	x->state = ST_BODY;
	x->in_callback = 1;
	rc = x->ops->on_head(x->arg, resp->status, x->head, n);
	x->in_callback = 0;
	if (rc != 0) {
		finish(x, CURLE_WRITE_ERROR, "the request refused the head");
		return -1;
	}
	return 0;
}

/* Parses what is buffered. Returns 0 when more bytes are needed, 1 when
 * paused, -1 when the transfer ended. */
static int
parse(struct ucx *x)
{
	for (;;) {
		struct http1_header hdrs[MAX_RESP_HEADERS];
		struct http1_response resp;
		const char *why, *data;
		size_t used, dlen;
		int rc;

		if (x->state == ST_HEAD) {
			if (x->off == x->len)
				return 0;
			resp.headers = hdrs;
			rc = http1_parse_response(x->buf + x->off,
			    x->len - x->off, MAX_RESP_HEAD, MAX_RESP_HEADERS,
			    &resp, &why);
			if (rc == HTTP1_NEED_MORE)
				return 0;
			if (rc == HTTP1_ERROR) {
				finish(x, CURLE_WEIRD_SERVER_REPLY,
				    "bad response head: %s", why);
				return -1;
			}
			x->off += resp.head_len;
			if (resp.status < 200)
				continue;	/* 1xx: the final head next */
			if (got_head(x, &resp) != 0)
				return -1;
			continue;
		}
		if (x->pend) {
			rc = give(x, x->pend_off, x->pend_len, x->pend_used);
			if (rc != 0)
				return rc;
			continue;
		}
		switch (x->mode) {
		case BODY_NONE:
			finish(x, 0, NULL);
			return -1;
		case BODY_LEN:
			if (x->remaining == 0) {
				finish(x, 0, NULL);
				return -1;
			}
			dlen = x->len - x->off;
			if (dlen > x->remaining)
				dlen = (size_t)x->remaining;
			if (dlen == 0)
				return 0;
			rc = give(x, x->off, dlen, dlen);
			break;
		case BODY_CHUNKED:
			if (x->off == x->len)
				return 0;
			rc = http1_chunked_feed(&x->ch, x->buf + x->off,
			    x->len - x->off, &used, &data, &dlen);
			if (rc == HTTP1_ERROR) {
				finish(x, CURLE_WEIRD_SERVER_REPLY,
				    "bad chunked framing");
				return -1;
			}
			if (dlen > 0) {
				rc = give(x, (size_t)(data - x->buf), dlen,
				    used);
				break;
			}
			x->off += used;
			if (rc == HTTP1_DONE) {
				finish(x, 0, NULL);
				return -1;
			}
			rc = 0;
			break;
		default:	/* BODY_CLOSE */
			if (x->off == x->len)
				return 0;
			rc = give(x, x->off, x->len - x->off,
			    x->len - x->off);
			break;
		}
		if (rc != 0)
			return rc;
	}
}

/* The server closed the connection. */
static void
got_eof(struct ucx *x)
{
	if (x->state == ST_HEAD && !x->got_bytes) {
		if (retry(x) == 0)
			return;
		finish(x, CURLE_GOT_NOTHING, "Empty reply from server");
	} else if (x->state == ST_HEAD) {
		finish(x, CURLE_RECV_ERROR, "connection closed inside the "
		    "response head");
	} else if (x->mode == BODY_CLOSE) {
		finish(x, 0, NULL);
	} else {
		finish(x, CURLE_PARTIAL_FILE, "transfer closed with the "
		    "answer incomplete");
	}
}

/* Parses and reads until more bytes must wait, a pause, or the end. */
static void
pump(struct ucx *x)
{
	for (int i = 0; i < READS_PER_EVENT; i++) {
		ssize_t n;

		if (parse(x) != 0)
			return;
		if (x->off == x->len) {
			x->off = x->len = 0;
		} else if (x->len == READ_BUF) {
			memmove(x->buf, x->buf + x->off, x->len - x->off);
			x->len -= x->off;
			x->off = 0;
		}
		if (x->len == READ_BUF) {
			finish(x, CURLE_WEIRD_SERVER_REPLY, "read buffer "
			    "full");
			return;
		}
		n = recv(x->c->fd, x->buf + x->len, READ_BUF - x->len, 0);
		if (n > 0) {
			x->len += (size_t)n;
			x->got_bytes = 1;
			continue;
		}
		if (n == 0) {
			got_eof(x);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (x->state == ST_HEAD && retry(x) == 0)
			return;
		finish(x, CURLE_RECV_ERROR, "recv: %s", strerror(errno));
		return;
	}
	want(x, EV_READ);
}

static void
io_cb(struct ucx *x, short what)
{
	if (x->state == ST_CONNECT) {
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(x->c->fd, SOL_SOCKET, SO_ERROR, &err, &el) !=
		    0)
			err = errno;
		if (err != 0) {
			finish(x, CURLE_COULDNT_CONNECT, "connect: %s",
			    strerror(err));
			return;
		}
		x->state = ST_SEND;
		arm_timeout(x);
	}
	if (x->state == ST_SEND) {
		send_more(x);
		return;
	}
	pump(x);
}

static void
tmo_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ucx *x = arg;

	finish(x, CURLE_OPERATION_TIMEDOUT, x->state == ST_CONNECT ?
	    "Connection timed out after %llu ms" : "Operation timed out "
	    "after %llu ms", (unsigned long long)(util_now_ms() - x->t0_ms));
}

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ucx *x = arg;

	if (x->early) {
		x->early = 0;
		finish(x, x->early_result, NULL);
		return;
	}
	if (!x->paused && x->state == ST_BODY)
		pump(x);
}

struct ucx *
ucx_start(struct ucpool *pool, const struct uxfer_req *r,
    const struct uxfer_ops *ops, void *arg)
{
	struct ucx *x = xfer_new(pool);
	char host[80];
	const char *target;

	if (x == NULL)
		return NULL;
	x->own = 1;
	x->pool = pool;
	x->ops = ops;
	x->arg = arg;
	if (ureq_parse_url(r->url, &x->sa, &x->salen, host, sizeof(host),
	    &target) != 0 || (x->req = ureq_build(r, host, target,
	    &x->req_len)) == NULL) {
		free(x->buf);
		free(x);
		return NULL;
	}
	x->body = r->has_body ? r->body : NULL;
	x->body_len = r->has_body ? r->body_len : 0;
	x->head_req = strcmp(r->method, "HEAD") == 0;
	x->t0_ms = util_now_ms();
	x->connect_ms = r->connect_timeout_ms > 0 ? r->connect_timeout_ms :
	    DEFAULT_CONNECT_MS;
	x->total_ms = r->total_timeout_ms;
	evtimer_assign(&x->tmo, pool->base, tmo_cb, x);
	event_assign(&x->kick, pool->base, -1, 0, kick_cb, x);
	x->next = pool->all;
	if (pool->all != NULL)
		pool->all->prev = x;
	pool->all = x;
	pool->active++;
	x->starting = 1;
	x->c = conn_take(x);
	if (x->c != NULL) {
		/* Written right away; a failure is reported from the loop. */
		x->reused = 1;
		x->state = ST_SEND;
		arm_timeout(x);
		send_more(x);
	} else if (connect_fresh(x) != 0) {
		finish(x, CURLE_COULDNT_CONNECT, NULL);
	}
	x->starting = 0;
	return x;
}

void
ucx_resume(struct ucx *x)
{
	if (!x->paused)
		return;
	x->paused = 0;
	/* From the loop, not from inside the caller. */
	event_active(&x->kick, 0, 0);
}

void
ucx_abort(struct ucx *x)
{
	if (x->in_callback) {
		log_error("uxfer_abort called from an upstream callback");
		abort();
	}
	xfer_free(x);
}

struct ucpool *
ucpool_new(struct event_base *base)
{
	struct ucpool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		return NULL;
	pool->base = base;
	evtimer_assign(&pool->sweep, base, sweep_cb, pool);
	return pool;
}

void
ucpool_free(struct ucpool *pool)
{
	if (pool == NULL)
		return;
	while (pool->all != NULL)
		xfer_free(pool->all);
	while (pool->idle != NULL)
		conn_close(pool->idle);
	while (pool->n_spare > 0) {
		struct ucx *x = pool->spare[--pool->n_spare];

		free(x->buf);
		free(x);
	}
	evtimer_del(&pool->sweep);
	free(pool);
}

unsigned
ucpool_active(const struct ucpool *pool)
{
	return pool->active;
}
