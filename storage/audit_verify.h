/*
 * The audit log, verification (SQLite backend): the chain walked against
 * its stored and external signed checkpoints; the checkpoints' list.
 * Reads only, for the reader connection. Not for use outside storage/.
 */
#ifndef STORAGE_AUDIT_VERIFY_H
#define STORAGE_AUDIT_VERIFY_H

#include "storage/sqlite.h"

/* STORE_AUDIT_VERIFY. */
enum gw_err audit_verify(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
/* STORE_AUDIT_CHECKPOINTS. */
enum gw_err audit_checkpoints(struct sqlite_store *st, struct store_op *op)
    GW_WUR;

#endif
