/*
 * HTTP/1.1 server connections on bufferevents (plain or TLS), with the
 * strict parser of gateway/http1.h: keep-alive, pipelining (one request at
 * a time), capped heads and bodies, timeouts, and responses either whole
 * (Content-Length) or streamed (chunked) with back-pressure. Used by the
 * client listener and the admin listener.
 */
#ifndef GATEWAY_CONN_H
#define GATEWAY_CONN_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "gateway/http1.h"

struct server;
struct conn;

struct hdr {
	const char *name;
	const char *value;
};

struct server_ops {
	/* Optional: a request head arrived, its body not yet. Returns 0 to
	 * read the body (a client that expects 100-continue gets it only
	 * now), or -1 when it answers (now or later) without the body: the
	 * body is never read and the connection closes after the answer.
	 * The handler may attach its state with conn_set_ctx() for the
	 * calls below. */
	int (*on_head)(struct conn *c, void *srv_arg);
	/* A whole request (head and body) arrived; answer now or later
	 * with conn_respond() or conn_stream_*(). */
	void (*on_request)(struct conn *c, void *srv_arg);
	/* Optional, with on_head: the body could not be read (too large,
	 * malformed, too slow, no room to hold it); the handler answers
	 * with this status, now or later. Called with the context that
	 * on_head attached. */
	void (*on_body_error)(struct conn *c, void *ctx, int status,
	    const char *code, const char *why);
	/* The output buffer drained below half the cap (streaming). */
	void (*on_drain)(struct conn *c, void *ctx);
	/* The connection is closing while a request is unanswered: the
	 * handler must forget c before returning. */
	void (*on_abort)(struct conn *c, void *ctx);
};

struct server_limits {
	uint64_t max_header_bytes;
	uint64_t max_headers;
	uint64_t max_body_bytes;
	uint64_t client_buffer_bytes;
	uint64_t header_timeout_ms;
	uint64_t idle_timeout_ms;
	uint64_t send_timeout_ms;
	uint64_t max_connections;
	uint64_t max_connections_per_ip;
	uint64_t max_bodies_bytes;	/* request bodies held at once; a body
					 * that does not fit waits */
};

/*
 * Listens on addr ("host:port"; port 0 picks one, written to *port).
 * tls may be NULL; it is referenced, not owned. Returns NULL on error.
 */
struct server *server_new(struct event_base *base, const char *addr,
    SSL_CTX *tls, const struct server_ops *ops, void *arg,
    const struct server_limits *lim, int *port);
void server_set_limits(struct server *s, const struct server_limits *lim);
/* Stops accepting; open connections finish their current request and
 * close instead of waiting for another one. */
void server_drain(struct server *s);
unsigned server_conns(const struct server *s);
/* Closes every connection (aborting requests) and the listener. */
void server_free(struct server *s);

/* The current request; valid until the response is finished. */
const struct http1_request *conn_request(const struct conn *c);
/* The request body (owned by the connection). */
struct evbuffer *conn_body(struct conn *c);
const char *conn_peer(const struct conn *c);
/* The peer's address bytes into addr (4 or 16 used); returns the family,
 * 4 or 6 (0: neither). */
int conn_peer_addr(const struct conn *c, unsigned char addr[16]);
/* Attaches the handler's state for on_drain/on_abort/on_body_error. */
void conn_set_ctx(struct conn *c, void *ctx);
void *conn_ctx(const struct conn *c);
/* Frees the request body's bytes early (the handler has what it needs
 * of them); they count against max_bodies_bytes until the response. */
void conn_body_drop(struct conn *c);

/* What a server holds and has refused, for metrics. */
struct server_stats {
	uint64_t bodies_bytes;		/* request body bytes held now */
	uint64_t bodies_waiting;	/* connections waiting to read one */
	uint64_t refused_per_ip;	/* over max_connections_per_ip */
	uint64_t refused_overloaded;	/* a body waited too long: 503 */
};
void server_get_stats(const struct server *s, struct server_stats *out);

/* Answers the request whole. headers: n entries; body is copied. */
void conn_respond(struct conn *c, int status, const struct hdr *headers,
    size_t n, const char *body, size_t len);
/* Starts a streamed answer (chunked for HTTP/1.1); its head is written
 * at once. */
void conn_stream_begin(struct conn *c, int status, const struct hdr *headers,
    size_t n);
/* Adds bytes to a streamed answer; data is copied. They are written by
 * conn_stream_flush or conn_stream_end: the writer flushes when it wants
 * the client to see them (after a piece of input, not after each event:
 * one writev carries what a piece produced). */
void conn_stream_write(struct conn *c, const char *data, size_t len);
/* Writes what conn_stream_write added: now if the socket takes it, else
 * when it is writable (then on_drain follows). */
void conn_stream_flush(struct conn *c);
/* Ends a streamed answer. clean = 0 closes the connection without the
 * final chunk, so that the client sees a truncated body. */
void conn_stream_end(struct conn *c, int clean);
/* Bytes waiting to be written to the client. */
size_t conn_out_pending(const struct conn *c);
/* 1 when more output should wait for on_drain. */
int conn_out_full(const struct conn *c);

#endif
