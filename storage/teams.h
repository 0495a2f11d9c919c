/*
 * Teams, keys and their limits (SQLite backend), and the snapshot of
 * usable keys that the gateway caches: every change moves the keys
 * version, which tells the cache to reload. Not for use outside
 * storage/.
 */
#ifndef STORAGE_TEAMS_H
#define STORAGE_TEAMS_H

#include "storage/sqlite.h"

/* The handlers of STORE_TEAM_CREATE, _LIST, _DELETE, STORE_KEY_CREATE,
 * _LIST, _REVOKE, _GET, _ROTATE, STORE_KEYS_LOAD, _TOUCH and
 * STORE_LIMITS_SET. */
enum gw_err teams_create(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err teams_list(struct sqlite_store *st, struct store_op *op) GW_WUR;
/* Revokes the team's keys and renames it out of the way; its objects
 * upstream stay owned by the renamed team. */
enum gw_err teams_delete(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err teams_key_create(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err teams_key_list(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err teams_key_revoke(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err teams_keys_load(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err teams_limits_set(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err teams_key_get(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err teams_key_rotate(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err teams_keys_touch(struct sqlite_store *st, struct store_op *op)
    GW_WUR;

#endif
