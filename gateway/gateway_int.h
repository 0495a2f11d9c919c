/*
 * What gateway.c shares with keysync.c (the key cache's refresh) and
 * admin_glue.c (the admin listener). Not for use outside gateway/.
 */
#ifndef GATEWAY_GATEWAY_INT_H
#define GATEWAY_GATEWAY_INT_H

#include <event2/event.h>

#include "admin/admin.h"
#include "gateway/conn.h"
#include "gateway/gateway.h"

#define EUGATE_VERSION "0.1.0"

/* Reads a key snapshot when storage has a newer one (or always, with
 * force), then calls then(arg) once the cache has it (then may be NULL). */
void gateway_keys_load(struct gateway *gw, int force, void (*then)(void *),
    void *arg);
/* Every key_refresh: keys, admin principals, keys' last use, objects. */
void gateway_key_timer_cb(evutil_socket_t fd, short what, void *arg);

/* The admin listener's server callbacks and the admin API's hooks. */
extern const struct server_ops gateway_admin_ops;
extern const struct admin_hooks gateway_admin_hooks;
/* The console's settings from the current configuration. */
void gateway_console_conf(struct gateway *gw);

#endif
