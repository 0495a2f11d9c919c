/*
 * What gateway/conn.c (one connection) and gateway/server.c (the listener,
 * admission, per-address counts) share. Not for use outside them.
 */
#ifndef GATEWAY_CONN_INT_H
#define GATEWAY_CONN_INT_H

#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "gateway/conn.h"
#include "gateway/http1.h"

enum conn_state {
	CS_HEAD,	/* waiting for (the rest of) a request head */
	CS_WAIT,	/* the body waits for room under max_bodies_bytes */
	CS_BODY,	/* reading the body */
	CS_HANDLING,	/* the handler has the request */
	CS_CLOSING,	/* flushing the last response, then close */
	CS_LINGER	/* sent all; draining input before the close */
};

/* Buckets of the per-address connection counts. */
#define IP_BUCKETS 1024

/* Connections from one client address. */
struct ipcount {
	unsigned char addr[16];
	unsigned char len;	/* 4 or 16 */
	unsigned n;
	struct ipcount *next;
};

struct conn {
	struct server *srv;
	struct bufferevent *bev;
	struct event *timer;
	int state;
	int started;		/* bytes of the current request arrived */
	int keep_alive;		/* decided when the response starts */
	int streaming;		/* a streamed response is open */
	int stream_chunked;
	int responded;		/* the response head was sent */
	int body_unread;	/* a body follows that will not be read */
	uint64_t body_held;	/* bytes of max_bodies_bytes taken */
	struct ipcount *ip;
	struct conn *wait_next;	/* in the server's queue (CS_WAIT) */
	struct http1_request req;
	void *head;		/* the request's headers and head bytes, which
				 * req points into; freed with the response */
	struct evbuffer *body;
	struct http1_chunked chunked;
	uint64_t body_left;
	void *ctx;
	char peer[64];
	unsigned char peer_addr[16];	/* its address bytes, */
	int peer_family;		/* 4 or 6 (0: other) */
	struct conn *prev, *next;
};

struct server {
	struct event_base *base;
	struct evconnlistener *lis;
	SSL_CTX *tls;
	const struct server_ops *ops;
	void *arg;
	struct server_limits lim;
	unsigned n;
	struct conn *all;
	struct http1_header *scratch;	/* max_headers, for parsing heads */
	int draining;
	uint64_t bodies_held;	/* body bytes taken by connections */
	struct conn *wait_head, *wait_tail;	/* bodies waiting for room */
	uint64_t n_waiting;
	struct ipcount *ips[IP_BUCKETS];
	uint64_t refused_per_ip, refused_overloaded;
	uint64_t refusals_unlogged, last_refusal_log_ms;
};

/* gateway/conn.c */
/* A connection accepted on s (fd and ip are its own from now on; on
 * failure they are closed and released). */
void conn_new(struct server *s, evutil_socket_t fd, const struct sockaddr *sa,
    struct ipcount *ip);
void conn_free(struct conn *c);
void set_write_limits(struct conn *c);
/* Lets waiting bodies in, in arrival order, while they fit. */
void admit_waiting(struct server *s);

/* gateway/server.c */
void format_peer(const struct sockaddr *sa, char *out, size_t len);
/* The address bytes of a peer (4 or 16), for the per-address count. */
size_t addr_key(const struct sockaddr *sa, unsigned char *out);
void ip_release(struct server *s, struct ipcount *e);

#endif
