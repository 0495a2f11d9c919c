/*
 * The spend ledger of the SQLite backend: reservations, settlement,
 * crash recovery, reports, the sums that budgets have used. A part of
 * the writer's store (storage/sqlite.h). Not for use outside storage/.
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

/* What each budget of op->spend has used in its period (its used), for
 * the loop's budget book (storage/book.c). */
enum gw_err ledger_used(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
/* Opens sp's entry: reserved (sp->reserved), what the request is known
 * by. GW_ERR_EXISTS when the id is taken. */
enum gw_err ledger_open_entry(struct sqlite_store *st,
    const struct store_spend *sp) GW_WUR;
/* Writes the entry of reservation res settled by set in one row (both
 * in one batch); GW_ERR_EXISTS when the id is taken. */
enum gw_err ledger_write_settled(struct sqlite_store *st,
    const struct store_spend *res, const struct store_spend *set,
    const char *upstream, int64_t now_ms) GW_WUR;
/* Settles the open entry sp->ledger_id (cost, tokens, charged); an entry
 * settled already is left as it is. */
enum gw_err ledger_settle(struct sqlite_store *st,
    const struct store_spend *sp, const char *upstream, int64_t now_ms)
    GW_WUR;
/* STORE_SPEND_REPORT. */
enum gw_err ledger_report(struct sqlite_store *st, struct store_op *op)
    GW_WUR;

#endif
