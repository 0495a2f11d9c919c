/*
 * Admin principals on PostgreSQL, as storage/admins.c has them for
 * SQLite: tokens kept as HMACs, a role each, team admins bound to
 * teams; every change moves admins_version, which every instance polls
 * (each key_refresh), so that a token revoked on one instance stops on
 * the others. Not for use outside storage/.
 */
#ifndef STORAGE_PG_ADMINS_H
#define STORAGE_PG_ADMINS_H

#include <stdint.h>

#include "storage/pg.h"

/* The handlers of STORE_ADMIN_CREATE, _LIST, _REVOKE, _ROTATE and
 * STORE_ADMINS_LOAD. */
enum gw_err pg_admins_create(struct pg_store *st, struct store_op *op)
    GW_WUR;
enum gw_err pg_admins_list(struct pg_store *st, struct store_op *op) GW_WUR;
enum gw_err pg_admins_revoke(struct pg_store *st, struct store_op *op)
    GW_WUR;
enum gw_err pg_admins_rotate(struct pg_store *st, struct store_op *op)
    GW_WUR;
enum gw_err pg_admins_load(struct pg_store *st, struct store_op *op) GW_WUR;

/* A team is deleted (storage/pg_teams.c, in its transaction): its team
 * admins lose it. */
enum gw_err pg_admins_unbind_team(struct pg_store *st, int64_t team_id)
    GW_WUR;

#endif
