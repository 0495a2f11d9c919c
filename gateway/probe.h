/*
 * Upstream health on the gateway's side: the table of circuit breakers
 * (policy/health.h), kept across reloads, and the optional active checks
 * (health_path): a GET every health_interval whose outcome feeds the
 * breaker like a request's would.
 */
#ifndef GATEWAY_PROBE_H
#define GATEWAY_PROBE_H

#include "common/err.h"

struct gateway;
struct config;

/* Gives every upstream of cfg its slot in the gateway's health table. */
enum gw_err probe_adopt(struct gateway *gw, struct config *cfg) GW_WUR;
/* Starts the active checks of the current configuration. */
enum gw_err probe_start(struct gateway *gw) GW_WUR;
/* Stops them (before a reload, at exit). */
void probe_stop(struct gateway *gw);

#endif
