/*
 * The gateway's side of object ownership: the owner cache loaded from
 * storage at start and reloaded after admin changes (a deleted team, an
 * erased data subject), and the deletion of objects upstream that a data
 * subject's erasure asks for.
 */
#ifndef GATEWAY_OWNERS_H
#define GATEWAY_OWNERS_H

#include <jansson.h>

#include "common/err.h"

struct gateway;

/* Creates the cache and fills it from storage, before serving. */
enum gw_err owners_load(struct gateway *gw) GW_WUR;
/* Reads storage again and swaps the cache whole; then then(arg). */
void owners_reload(struct gateway *gw, void (*then)(void *), void *arg);
/* Several instances on one database (each key_refresh): reads storage
 * again when another instance changed the owners since the last look. */
void owners_poll(struct gateway *gw);

/*
 * Deletes the objects (a JSON array of {"kind", "id", "parent",
 * "upstream"}, copied) on their upstreams, with each
 * upstream's key, one DELETE each. then(arg, report) gets a new array:
 * each object with "result": "deleted" (2xx, or 404: already gone),
 * "failed" (and "status") or "not_deletable" (no DELETE in the API, or
 * its upstream is no longer configured).
 */
void owners_delete_upstream(struct gateway *gw, json_t *objects,
    void (*then)(void *arg, json_t *report), void *arg);

#endif
