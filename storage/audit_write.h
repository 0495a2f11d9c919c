/*
 * The audit log, writer side: records appended to the hash chain
 * (storage/chain.h), signed checkpoints, crash recovery, retention and
 * subject erasure. A part of the writer's store (storage/sqlite.h): it
 * keeps the chain's head in memory. Not for use outside storage/.
 */
#ifndef STORAGE_AUDIT_WRITE_H
#define STORAGE_AUDIT_WRITE_H

#include "storage/sqlite.h"

/* The part's hooks (struct sqlite_part). Open moves the requests table
 * of schema 4 and older into the chain. */
enum gw_err audit_open(struct sqlite_store *st,
    const struct store_conf *conf) GW_WUR;
void audit_close(struct sqlite_store *st);
/* Records the requests a crash interrupted (open ledger entries). */
enum gw_err audit_recover(struct sqlite_store *st, int64_t now_ms) GW_WUR;
/* Reads the head again from the database. */
enum gw_err audit_load_head(struct sqlite_store *st) GW_WUR;

/* Appends rec to the chain (and a checkpoint when one is due). */
enum gw_err audit_append(struct sqlite_store *st,
    const struct store_request *rec) GW_WUR;
/* Signs a checkpoint of the head unless the last one covers it. */
enum gw_err audit_checkpoint(struct sqlite_store *st, int64_t now_ms)
    GW_WUR;
/* STORE_AUDIT_PURGE: retention, up to a checkpoint. */
enum gw_err audit_purge(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
/* STORE_SUBJECT_ERASE: the subject's links to its records go. */
enum gw_err audit_subject_erase(struct sqlite_store *st,
    struct store_op *op) GW_WUR;

#endif
