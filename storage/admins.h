/*
 * Admin principals (SQLite backend): tokens kept as HMACs, a role each,
 * team admins bound to teams; every change moves the admins version,
 * which tells the admin API's cache to reload. Not for use outside
 * storage/.
 */
#ifndef STORAGE_ADMINS_H
#define STORAGE_ADMINS_H

#include "storage/sqlite.h"

/* The handlers of STORE_ADMIN_CREATE, _LIST, _REVOKE, _ROTATE and
 * STORE_ADMINS_LOAD. */
enum gw_err admins_create(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err admins_list(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err admins_revoke(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err admins_rotate(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
enum gw_err admins_load(struct sqlite_store *st, struct store_op *op)
    GW_WUR;

/* A team is deleted (storage/teams.c, in its transaction): its team
 * admins lose it. */
enum gw_err admins_unbind_team(struct sqlite_store *st, int64_t team_id)
    GW_WUR;

#endif
