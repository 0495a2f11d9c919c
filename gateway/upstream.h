/*
 * The upstream client: one interface, two engines, chosen by the URL at
 * uxfer_start.
 *
 * - http:// at a numeric address (IPv4, or IPv6 in brackets): the own
 *   HTTP/1.1 client (uclient.c). This is the latency-sensitive case, a
 *   self-hosted model server on the LAN, where libcurl cost ~85k
 *   instructions a request (headers built byte by byte, the URL parsed
 *   and the status line scanned each time, polls before each reuse, a
 *   0 ms timer per start, epoll_ctl churn). It keeps idle keep-alive
 *   connections per address (watched for EOF, 256 at most, 118 s), writes
 *   head and body with one sendmsg, frames answers strictly
 *   (http1_parse_response, http1_chunked_feed) and retries once on a
 *   fresh connection a request lost on a reused one.
 * - everything else (https://, and names, so that DNS never blocks the
 *   loop: libcurl resolves in its own thread): libcurl's multi interface
 *   driven by the libevent loop (upstream.c, the hiperfifo pattern), with
 *   TLS and HTTP/2 where offered.
 *
 * Both deliver answers decoded (udecode.c): gzip and deflate are asked
 * for and decoded a piece at a time; an answer in any other coding is
 * refused. Both report the same CURLcode results.
 */
#ifndef GATEWAY_UPSTREAM_H
#define GATEWAY_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "common/err.h"

struct upool;
struct uxfer;

/* A response header; both strings owned by the transfer. */
struct uheader {
	char *name;
	char *value;
};

/*
 * Callbacks of one transfer, called on the loop thread from inside the
 * engine: they must not call uxfer_abort() (return an error instead).
 */
struct uxfer_ops {
	/* The final response head arrived. Return 0 to go on, -1 to abort. */
	int (*on_head)(void *arg, int status, const struct uheader *h,
	    size_t n);
	/* Body bytes. Return 0 to take them, 1 to pause (the same bytes come
	 * again after uxfer_resume), -1 to abort. */
	int (*on_data)(void *arg, const char *data, size_t len);
	/* The transfer ended: result is a CURLcode (0 = complete;
	 * CURLE_BAD_CONTENT_ENCODING: the answer's coding can not be
	 * decoded, refused before on_head, or broken midway;
	 * CURLE_PARTIAL_FILE: the body was cut short;
	 * CURLE_WEIRD_SERVER_REPLY: bad framing). The transfer is freed
	 * right after this returns. */
	void (*on_done)(void *arg, int result, const char *errmsg);
};

struct uxfer_req {
	const char *url;		/* full URL */
	const char *method;		/* "GET", "POST", ... */
	const char *const *headers;	/* "Name: value" lines, NULL-ended */
	const char *body;		/* borrowed until on_done */
	size_t body_len;
	int has_body;
	uint64_t connect_timeout_ms;
	uint64_t total_timeout_ms;
};

struct upool *upool_new(struct event_base *base);
/* Aborts every transfer (without callbacks) and frees the pool. */
void upool_free(struct upool *pool);

/*
 * Starts a transfer; ops and arg must outlive it (until on_done, or
 * uxfer_abort). Returns NULL on failure.
 */
struct uxfer *uxfer_start(struct upool *pool, const struct uxfer_req *r,
    const struct uxfer_ops *ops, void *arg);
/* Resumes a transfer paused by on_data returning 1. Not from callbacks. */
void uxfer_resume(struct uxfer *x);
/* Stops and frees the transfer; on_done is not called. Not from callbacks. */
void uxfer_abort(struct uxfer *x);

/* Counts of the pool, for metrics. */
unsigned upool_active(const struct upool *pool);

#endif
