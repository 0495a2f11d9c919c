/*
 * Strict HTTP/1.1 framing: request and response heads, chunked bodies.
 * Pure code on byte buffers (no I/O), so that it can be unit tested and
 * fuzzed. It rejects everything that two parsers could read differently:
 * bare LF or CR, obs-fold, space before a colon, duplicate Content-Length,
 * Content-Length with Transfer-Encoding, any coding but "chunked".
 */
#ifndef GATEWAY_HTTP1_H
#define GATEWAY_HTTP1_H

#include <stddef.h>
#include <stdint.h>

#include "common/http.h"

struct http1_header {
	const char *name;	/* points into the parsed buffer */
	size_t name_len;
	const char *value;	/* trimmed of surrounding SP/HTAB */
	size_t value_len;
};

struct http1_request {
	int method;		/* enum http_method */
	const char *target;	/* points into the parsed buffer */
	size_t target_len;
	int minor;		/* HTTP/1.minor: 0 or 1 */
	struct http1_header *headers; /* caller's array of max_headers */
	size_t n_headers;
	int64_t content_length;	/* -1 when absent */
	int chunked;
	int keep_alive;
	int expect_continue;
	size_t head_len;	/* bytes of the head, final CRLFCRLF included */
};

enum http1_status {
	HTTP1_NEED_MORE = 0,
	HTTP1_DONE = 1,
	HTTP1_ERROR = -1
};

/*
 * Parses the request head at the start of buf. req->headers must point to
 * an array of max_headers entries. Returns HTTP1_DONE with req filled
 * (pointers into buf), HTTP1_NEED_MORE, or HTTP1_ERROR with *status set to
 * the HTTP status to answer (400, 414, 431, 501, 505, 417) and *why to a
 * constant reason.
 */
int http1_parse_head(const char *buf, size_t len, size_t max_head,
    size_t max_headers, struct http1_request *req, int *status,
    const char **why);

/* Finds a header (case-insensitive); returns NULL when absent. */
const struct http1_header *http1_find(const struct http1_request *req,
    const char *name);

/* Decoder of a chunked request body, fed in pieces. */
struct http1_chunked {
	int state;
	uint64_t remaining;	/* bytes left in the current chunk */
	unsigned digits;
	size_t line_len;	/* bytes of the current size/trailer line */
	unsigned trailers;
};

/*
 * Feeds len bytes. Returns HTTP1_NEED_MORE when every byte was used and
 * more are needed, HTTP1_DONE when the body ended (*used tells how many
 * bytes belonged to it), HTTP1_ERROR on bad framing. Each call reports at
 * most one span of decoded data in (*data, *data_len) and may stop early
 * (*used < len) to do so; the caller calls again with the rest.
 */
int http1_chunked_feed(struct http1_chunked *st, const char *in, size_t len,
    size_t *used, const char **data, size_t *data_len);

/* A response head (the upstream's), parsed as strictly as requests. */
struct http1_response {
	int status;		/* 100..999 */
	int minor;		/* HTTP/1.minor: 0 or 1 */
	struct http1_header *headers; /* caller's array of max_headers */
	size_t n_headers;	/* kept: at most max_headers, more are
				 * checked for framing and dropped */
	int64_t content_length;	/* -1 when absent */
	int chunked;		/* Transfer-Encoding: chunked */
	int te_other;		/* Transfer-Encoding other than chunked */
	int coding_dropped;	/* a Content-Encoding past the kept ones */
	int keep_alive;
	size_t head_len;	/* bytes of the head, final CRLFCRLF included */
};

/*
 * Parses the response head at the start of buf. Returns HTTP1_DONE,
 * HTTP1_NEED_MORE, or HTTP1_ERROR with *why set to a constant reason:
 * bare LF or CR, NUL, obs-fold, a malformed status line or header, a
 * duplicate Content-Length or Transfer-Encoding, both of them, a head of
 * max_head bytes or more. Whether a body follows (HEAD, 1xx, 204, 304)
 * is the caller's to decide.
 */
int http1_parse_response(const char *buf, size_t len, size_t max_head,
    size_t max_headers, struct http1_response *resp, const char **why);

/* Returns the constant reason phrase of an HTTP status. */
const char *http_reason(int status);

/* Returns 1 when the header is hop-by-hop (RFC 9110 7.6.1). */
int http_is_hop_by_hop(const char *name, size_t len);

#endif
