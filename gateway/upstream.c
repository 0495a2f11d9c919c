/* libcurl multi inside the libevent loop: sockets, timers, transfers. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event_struct.h>

#include "common/log.h"
#include "gateway/uclient.h"
#include "gateway/udecode.h"
#include "gateway/upstream.h"

#define MAX_RESP_HEADERS 64
#define MAX_RESP_HEADER_BYTES 16384
/* Easy handles kept for the next transfers: curl_easy_reset() is
 * cheaper than curl_easy_cleanup() and curl_easy_init(). */
#define SPARE_EASY 64

struct upool {
	struct event_base *base;
	CURLM *multi;
	struct ucpool *own;	/* the own engine: http:// at an address */
	struct event *timer;
	unsigned active;
	struct uxfer *all;	/* every live transfer, for upool_free */
	CURL *spare[SPARE_EASY];	/* reset handles, not in the multi */
	unsigned n_spare;
};

/* One upstream socket's event; reassigned, not reallocated, when
 * libcurl changes what it waits for. */
struct usock {
	struct event ev;
	struct upool *pool;
};

struct uxfer {
	int own;		/* 0: libcurl's (uclient.h) */
	struct upool *pool;
	CURL *easy;
	struct curl_slist *hdrs;
	const struct uxfer_ops *ops;
	void *arg;
	struct uheader head[MAX_RESP_HEADERS];
	size_t n_head;
	size_t head_bytes;
	int status;
	int head_done;		/* final head delivered */
	int paused;
	int failed;		/* a callback asked to abort */
	/* A gzip or deflate answer is decoded here, a piece at a time. */
	struct udecode dec;
	int in_callback;
	char errbuf[CURL_ERROR_SIZE];
	struct uxfer *prev, *next;
};

static void check_done(struct upool *pool);

/* An easy handle with every option at its default: a spare one, or a
 * new one. */
static CURL *
easy_get(struct upool *pool)
{
	if (pool->n_spare > 0)
		return pool->spare[--pool->n_spare];
	return curl_easy_init();
}

/* Gives back e, out of the multi: reset (its options, private pointer,
 * error buffer and callbacks forgotten; libcurl keeps no connection in
 * it, they belong to the multi) and kept, or cleaned up. */
static void
easy_put(struct upool *pool, CURL *e)
{
	if (pool->n_spare < SPARE_EASY) {
		curl_easy_reset(e);
		pool->spare[pool->n_spare++] = e;
	} else {
		curl_easy_cleanup(e);
	}
}

static void
free_head(struct uxfer *x)
{
	for (size_t i = 0; i < x->n_head; i++) {
		free(x->head[i].name);
		free(x->head[i].value);
	}
	x->n_head = 0;
	x->head_bytes = 0;
}

static void
xfer_free(struct uxfer *x)
{
	struct upool *pool = x->pool;

	curl_multi_remove_handle(pool->multi, x->easy);
	easy_put(pool, x->easy);
	curl_slist_free_all(x->hdrs);
	free_head(x);
	udecode_free(&x->dec);
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		pool->all = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	pool->active--;
	free(x);
}

static void
event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upool *pool = arg;
	int action = 0, running;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(pool->multi, fd, action, &running);
	check_done(pool);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct upool *pool = arg;
	int running;

	curl_multi_socket_action(pool->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(pool);
}

static int
multi_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct upool *pool = userp;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(pool->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(pool->timer, &tv);
	return 0;
}

static int
multi_sock_cb(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct upool *pool = userp;
	struct usock *us = socketp;
	short kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (us != NULL) {
			event_del(&us->ev);
			free(us);
			curl_multi_assign(pool->multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (us == NULL) {
		us = calloc(1, sizeof(*us));
		if (us == NULL)
			return -1;
		us->pool = pool;
		curl_multi_assign(pool->multi, s, us);
	} else {
		event_del(&us->ev);
	}
	event_assign(&us->ev, pool->base, s, kind, event_cb, pool);
	event_add(&us->ev, NULL);
	return 0;
}

static void
check_done(struct upool *pool)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(pool->multi, &left)) != NULL) {
		struct uxfer *x;
		int result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		result = (int)msg->data.result;
		curl_multi_remove_handle(pool->multi, x->easy);
		/* A coded answer that stops short of its end is cut. */
		if (result == 0 && udecode_cut(&x->dec))
			x->dec.bad = 1;
		if (x->dec.bad) {
			result = CURLE_BAD_CONTENT_ENCODING;
			snprintf(x->errbuf, sizeof(x->errbuf), "the answer's "
			    "content or transfer coding can not be decoded");
		}
		x->ops->on_done(x->arg, result,
		    result == 0 ? "" : (x->errbuf[0] ? x->errbuf :
		    curl_easy_strerror(msg->data.result)));
		xfer_free(x);
	}
}

/* Header lines of the response: status lines reset, the blank line ends. */
static size_t
header_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct uxfer *x = arg;
	size_t len = size * n, nl, vl;
	char *colon;
	int rc;

	if (x->head_done)
		return len;	/* trailers are dropped */
	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		free_head(x);
		x->status = 0;
		udecode_reset(&x->dec);
		return len;
	}
	if (len > 17 && strncasecmp(buf, "content-encoding:", 17) == 0)
		udecode_check(&x->dec, buf + 17, len - 17, 0);
	else if (len > 18 && strncasecmp(buf, "transfer-encoding:", 18) == 0)
		udecode_check(&x->dec, buf + 18, len - 18, 1);
	if (len <= 2 && (buf[0] == '\r' || buf[0] == '\n')) {
		long code = 0;

		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code < 200)
			return len;	/* 1xx: the final head follows */
		/* A bad coding is refused before anything is relayed. */
		if (udecode_begin(&x->dec) != 0)
			return 0;
		x->status = (int)code;
		x->head_done = 1;
		x->in_callback = 1;
		rc = x->ops->on_head(x->arg, x->status, x->head, x->n_head);
		x->in_callback = 0;
		if (rc != 0) {
			x->failed = 1;
			return 0;
		}
		return len;
	}
	x->head_bytes += len;
	if (x->n_head == MAX_RESP_HEADERS ||
	    x->head_bytes > MAX_RESP_HEADER_BYTES)
		return len;	/* excess headers are dropped, not relayed */
	colon = memchr(buf, ':', len);
	if (colon == NULL)
		return len;
	nl = (size_t)(colon - buf);
	colon++;
	vl = len - nl - 1;
	while (vl > 0 && (*colon == ' ' || *colon == '\t'))
		colon++, vl--;
	while (vl > 0 && (colon[vl - 1] == '\r' || colon[vl - 1] == '\n' ||
	    colon[vl - 1] == ' ' || colon[vl - 1] == '\t'))
		vl--;
	/* Values are relayed to clients: no control bytes in them. */
	for (size_t i = 0; i < vl; i++)
		if ((unsigned char)colon[i] < 0x20 && colon[i] != '\t')
			return len;
	x->head[x->n_head].name = strndup(buf, nl);
	x->head[x->n_head].value = strndup(colon, vl);
	if (x->head[x->n_head].name == NULL ||
	    x->head[x->n_head].value == NULL) {
		free(x->head[x->n_head].name);
		free(x->head[x->n_head].value);
		return 0;
	}
	x->n_head++;
	return len;
}

/* Hands bytes to the request: 0 taken, 1 paused, -1 failed. */
static int
deliver(struct uxfer *x, const char *data, size_t len)
{
	int rc;

	x->in_callback = 1;
	rc = x->ops->on_data(x->arg, data, len);
	x->in_callback = 0;
	if (rc == 1)
		x->paused = 1;
	else if (rc != 0)
		x->failed = 1;
	return rc == 1 ? 1 : rc != 0 ? -1 : 0;
}

/* deliver() for the decoder. */
static int
deliver_decoded(void *arg, const char *data, size_t len)
{
	return deliver(arg, data, len);
}

static size_t
write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct uxfer *x = arg;
	size_t len = size * n;
	int rc;

	if (!x->head_done || x->failed)
		return 0;
	if (x->dec.zlive) {
		/* libcurl keeps the chunk on a pause and gives it again. */
		rc = udecode_write(&x->dec, data, len, deliver_decoded, x);
		if (rc == UDECODE_PAUSED)
			return CURL_WRITEFUNC_PAUSE;
		if (rc == UDECODE_TAKEN)
			return len;
		x->paused = 0;
		x->failed = 1;
		return 0;
	}
	rc = deliver(x, data, len);
	if (rc == 1)
		return CURL_WRITEFUNC_PAUSE;
	return rc == 0 ? len : 0;
}

struct upool *
upool_new(struct event_base *base)
{
	struct upool *pool = calloc(1, sizeof(*pool));

	if (pool == NULL)
		return NULL;
	pool->base = base;
	pool->multi = curl_multi_init();
	pool->timer = evtimer_new(base, timer_cb, pool);
	pool->own = ucpool_new(base);
	if (pool->multi == NULL || pool->timer == NULL || pool->own == NULL) {
		upool_free(pool);
		return NULL;
	}
	curl_multi_setopt(pool->multi, CURLMOPT_SOCKETFUNCTION, multi_sock_cb);
	curl_multi_setopt(pool->multi, CURLMOPT_SOCKETDATA, pool);
	curl_multi_setopt(pool->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
	curl_multi_setopt(pool->multi, CURLMOPT_TIMERDATA, pool);
	curl_multi_setopt(pool->multi, CURLMOPT_MAXCONNECTS, 256L);
	curl_multi_setopt(pool->multi, CURLMOPT_PIPELINING,
	    (long)CURLPIPE_MULTIPLEX);
	return pool;
}

void
upool_free(struct upool *pool)
{
	if (pool == NULL)
		return;
	while (pool->all != NULL)
		xfer_free(pool->all);
	ucpool_free(pool->own);
	while (pool->n_spare > 0)
		curl_easy_cleanup(pool->spare[--pool->n_spare]);
	if (pool->multi != NULL)
		curl_multi_cleanup(pool->multi);
	if (pool->timer != NULL)
		event_free(pool->timer);
	free(pool);
}

struct uxfer *
uxfer_start(struct upool *pool, const struct uxfer_req *r,
    const struct uxfer_ops *ops, void *arg)
{
	struct uxfer *x;
	struct curl_slist *l;
	CURL *e;

	if (uclient_serves(r->url))
		return (struct uxfer *)ucx_start(pool->own, r, ops, arg);
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	e = easy_get(pool);
	if (e == NULL) {
		free(x);
		return NULL;
	}
	x->pool = pool;
	x->easy = e;
	x->ops = ops;
	x->arg = arg;
	for (size_t i = 0; r->headers[i] != NULL; i++) {
		if ((l = curl_slist_append(x->hdrs, r->headers[i])) == NULL)
			goto fail;
		x->hdrs = l;
	}
	/* What write_coded decodes; the client's own wish never goes up. */
	l = curl_slist_append(x->hdrs, "Accept-Encoding: gzip, deflate");
	if (l == NULL)
		goto fail;
	x->hdrs = l;
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	/* The path was checked as it is: nothing may normalize it after. */
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	/* Answers are decoded here (write_coded), not by libcurl. */
	curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* Waiting for a connection's protocol is worth it only where HTTP/2
	 * can multiplex (https); over http, transfers would queue behind
	 * each connection being set up. */
	curl_easy_setopt(e, CURLOPT_PIPEWAIT,
	    strncmp(r->url, "https:", 6) == 0 ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)r->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)r->total_timeout_ms);
	if (r->has_body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
	}
	if (strcmp(r->method, "GET") == 0 && !r->has_body)
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	else if (strcmp(r->method, "POST") != 0 || !r->has_body)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	if (strcmp(r->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	x->next = pool->all;
	if (pool->all != NULL)
		pool->all->prev = x;
	pool->all = x;
	pool->active++;
	if (curl_multi_add_handle(pool->multi, e) != CURLM_OK) {
		xfer_free(x);
		return NULL;
	}
	return x;
fail:
	curl_slist_free_all(x->hdrs);
	easy_put(pool, e);
	free(x);
	return NULL;
}

void
uxfer_resume(struct uxfer *x)
{
	if (x->own) {
		ucx_resume((struct ucx *)x);
		return;
	}
	if (!x->paused)
		return;
	x->paused = 0;
	/* May deliver held data through write_cb right away. */
	curl_easy_pause(x->easy, CURLPAUSE_CONT);
}

void
uxfer_abort(struct uxfer *x)
{
	if (x == NULL)
		return;
	if (!x->own && x->in_callback) {
		log_error("uxfer_abort called from a libcurl callback");
		abort();
	}
	if (x->own)
		ucx_abort((struct ucx *)x);
	else
		xfer_free(x);
}

unsigned
upool_active(const struct upool *pool)
{
	return pool->active + ucpool_active(pool->own);
}
