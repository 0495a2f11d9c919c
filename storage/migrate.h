/*
 * Moving a gateway from SQLite to PostgreSQL (eugate --migrate-to): the
 * one module that reads one backend and writes the other. The SQLite
 * database is opened as a store first (its schema brought up to date,
 * what a crash left open settled), then copied table by table in one
 * transaction, its audit chain becoming the chain of one instance, and
 * the copy is verified: row counts, and the chain walked again on
 * PostgreSQL against the same signed checkpoints.
 */
#ifndef STORAGE_MIGRATE_H
#define STORAGE_MIGRATE_H

#include <stdint.h>

#include "common/err.h"

/* What a migration copied. */
struct migrate_counts {
	int64_t teams, keys, ledger, audit, checkpoints, objects, admins;
};

/*
 * Copies the SQLite database at path into the PostgreSQL database at url
 * (which must hold no eugate data yet; its schema is made), the audit
 * chain as instance's; audit_key is the signing key (data_dir's). Logs
 * what failed; GW_ERR_EXISTS when the target holds data already,
 * GW_ERR_CRYPTO when the copied chain does not verify.
 */
enum gw_err migrate_sqlite_to_pg(const char *path, const char *url,
    const char *instance, const char *audit_key, struct migrate_counts *out)
    GW_WUR;

#endif
