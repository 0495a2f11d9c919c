/*
 * One client API request, from the parsed head to the last byte: auth,
 * policy chain, upstream choice and failover, response relay (buffered
 * JSON, SSE event by event, or raw bytes) and its record in storage,
 * committed before the client gets the last byte.
 */
#ifndef GATEWAY_REQUEST_H
#define GATEWAY_REQUEST_H

#include "gateway/conn.h"

struct gateway;

/* The server_ops of the client listener; the server arg is the gateway. */
extern const struct server_ops request_server_ops;

#endif
