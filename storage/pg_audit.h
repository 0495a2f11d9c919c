/*
 * The audit log on PostgreSQL, writer side: one hash chain per instance
 * (storage/chain.h), each record naming its instance, each instance's
 * checkpoints signed; crash recovery, retention of the instance's own
 * chain, subject erasure across all of them. A part of the writer's
 * store (storage/pg.h): it keeps its chain's head in memory. Not for use
 * outside storage/.
 */
#ifndef STORAGE_PG_AUDIT_H
#define STORAGE_PG_AUDIT_H

#include "storage/pg.h"

/* The part's hooks (struct pg_part). */
enum gw_err pg_audit_open(struct pg_store *st,
    const struct store_conf *conf) GW_WUR;
void pg_audit_close(struct pg_store *st);
/* Records the requests of instance that a crash interrupted (its open
 * ledger entries), into this instance's chain. */
enum gw_err pg_audit_recover(struct pg_store *st, const char *instance,
    int64_t now_ms) GW_WUR;
enum gw_err pg_audit_load_head(struct pg_store *st) GW_WUR;

/* Appends rec to the instance's chain (and a checkpoint when due). */
enum gw_err pg_audit_append(struct pg_store *st,
    const struct store_request *rec) GW_WUR;
/* STORE_AUDIT_CHECKPOINT. */
enum gw_err pg_audit_checkpoint(struct pg_store *st, struct store_op *op)
    GW_WUR;
/* STORE_AUDIT_PURGE: the instance's own chain, up to a checkpoint. */
enum gw_err pg_audit_purge(struct pg_store *st, struct store_op *op) GW_WUR;
/* STORE_SUBJECT_ERASE: in every chain. */
enum gw_err pg_audit_subject_erase(struct pg_store *st, struct store_op *op)
    GW_WUR;

#endif
