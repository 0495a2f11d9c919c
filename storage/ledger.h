/*
 * The spend ledger of the SQLite backend: reservations, settlement,
 * crash recovery, reports. A part of the writer's store (storage/sqlite.h):
 * it keeps what each budget has used in memory. Not for use outside
 * storage/.
 */
#ifndef STORAGE_LEDGER_H
#define STORAGE_LEDGER_H

#include "storage/sqlite.h"

/* The part's hooks (struct sqlite_part). */
enum gw_err ledger_open(struct sqlite_store *st,
    const struct store_conf *conf) GW_WUR;
void ledger_close(struct sqlite_store *st);
/* Settles reservations left open by a crash as charged. */
enum gw_err ledger_recover(struct sqlite_store *st, int64_t now_ms) GW_WUR;
/* Forgets the used amounts: they load again from the ledger. */
enum gw_err ledger_reload(struct sqlite_store *st);

/* Decides and records sp's reservation (STORE_RESERVE). */
enum gw_err ledger_reserve(struct sqlite_store *st, struct store_spend *sp)
    GW_WUR;
/* Settles sp once (sp->settled says whether this call did). */
enum gw_err ledger_settle(struct sqlite_store *st, struct store_spend *sp,
    const char *upstream, int64_t now_ms) GW_WUR;
/* STORE_SPEND_REPORT. */
enum gw_err ledger_report(struct sqlite_store *st, struct store_op *op)
    GW_WUR;

#endif
