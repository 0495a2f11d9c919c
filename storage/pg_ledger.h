/*
 * The spend ledger on PostgreSQL, shared by every instance: what a
 * budget has used in a period is a row of budget_used that each
 * reservation and settlement locks and moves in the transaction that
 * writes the ledger entry, so a reservation is decided against what
 * every instance has spent and reserved (no overshoot). A batch locks
 * the rows its ops need before they run, in one order for every
 * instance, so that two batches never deadlock. A part of the writer's
 * store (storage/pg.h). Not for use outside storage/.
 */
#ifndef STORAGE_PG_LEDGER_H
#define STORAGE_PG_LEDGER_H

#include "storage/pg.h"

/* The part's hooks (struct pg_part). */
enum gw_err pg_ledger_open(struct pg_store *st,
    const struct store_conf *conf) GW_WUR;
void pg_ledger_close(struct pg_store *st);
/* Settles the open reservations of instance as charged. */
enum gw_err pg_ledger_recover(struct pg_store *st, const char *instance,
    int64_t now_ms) GW_WUR;
enum gw_err pg_ledger_reload(struct pg_store *st);
enum gw_err pg_ledger_begin(struct pg_store *st, const struct store_op *batch)
    GW_WUR;
enum gw_err pg_ledger_end(struct pg_store *st) GW_WUR;

/* STORE_RESERVE: decides and records sp's reservation. */
enum gw_err pg_ledger_reserve(struct pg_store *st, struct store_op *op)
    GW_WUR;
/* Settles sp once (sp->settled says whether this call did). */
enum gw_err pg_ledger_settle(struct pg_store *st, struct store_spend *sp,
    const char *upstream, int64_t now_ms) GW_WUR;
/* STORE_SPEND_REPORT. */
enum gw_err pg_ledger_report(struct pg_store *st, struct store_op *op)
    GW_WUR;

#endif
