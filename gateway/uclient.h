/*
 * The own HTTP/1.1 upstream engine: plain http:// upstreams at a numeric
 * address (IPv4, or IPv6 in brackets), the latency-sensitive case of a
 * self-hosted model server on the LAN. Behind upstream.h's interface:
 * upstream.c hands it the transfers it serves (uclient_serves) and keeps
 * libcurl for the rest. Only upstream.c includes this.
 */
#ifndef GATEWAY_UCLIENT_H
#define GATEWAY_UCLIENT_H

#include <event2/event.h>

#include "gateway/upstream.h"

struct ucpool;
struct ucx;

/* 1 when the URL is http:// with a numeric host this engine serves. */
int uclient_serves(const char *url);

struct ucpool *ucpool_new(struct event_base *base);
/* Aborts every transfer (without callbacks), closes idle connections. */
void ucpool_free(struct ucpool *pool);
unsigned ucpool_active(const struct ucpool *pool);

/* As uxfer_start, uxfer_resume and uxfer_abort. The struct ucx starts
 * with an int that is 1 (upstream.c's struct uxfer: 0). */
struct ucx *ucx_start(struct ucpool *pool, const struct uxfer_req *r,
    const struct uxfer_ops *ops, void *arg);
void ucx_resume(struct ucx *x);
void ucx_abort(struct ucx *x);

#endif
