/*
 * Teams, keys and their limits on PostgreSQL, and the key snapshot:
 * every change moves keys_version, which every instance polls (each
 * key_refresh) to reload its cache. Not for use outside storage/.
 */
#ifndef STORAGE_PG_TEAMS_H
#define STORAGE_PG_TEAMS_H

#include "storage/pg.h"

/* The handlers of STORE_TEAM_CREATE, _LIST, _DELETE, STORE_KEY_CREATE,
 * _LIST, _REVOKE, _GET, _ROTATE, STORE_KEYS_LOAD, _TOUCH and
 * STORE_LIMITS_SET. */
enum gw_err pg_teams_create(struct pg_store *st, struct store_op *op) GW_WUR;
enum gw_err pg_teams_list(struct pg_store *st, struct store_op *op) GW_WUR;
enum gw_err pg_teams_delete(struct pg_store *st, struct store_op *op) GW_WUR;
enum gw_err pg_teams_key_create(struct pg_store *st, struct store_op *op)
    GW_WUR;
enum gw_err pg_teams_key_list(struct pg_store *st, struct store_op *op)
    GW_WUR;
enum gw_err pg_teams_key_revoke(struct pg_store *st, struct store_op *op)
    GW_WUR;
enum gw_err pg_teams_keys_load(struct pg_store *st, struct store_op *op)
    GW_WUR;
enum gw_err pg_teams_limits_set(struct pg_store *st, struct store_op *op)
    GW_WUR;
enum gw_err pg_teams_key_get(struct pg_store *st, struct store_op *op)
    GW_WUR;
enum gw_err pg_teams_key_rotate(struct pg_store *st, struct store_op *op)
    GW_WUR;
enum gw_err pg_teams_keys_touch(struct pg_store *st, struct store_op *op)
    GW_WUR;

#endif
