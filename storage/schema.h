/*
 * The SQLite schema: one migration per version, applied at open. Not
 * for use outside storage/.
 */
#ifndef STORAGE_SCHEMA_H
#define STORAGE_SCHEMA_H

#include <sqlite3.h>

#include "common/err.h"
#include "storage/chain.h"	/* AUDIT_COLUMNS */

/* Creates or upgrades the schema of the writer's connection. */
enum gw_err schema_migrate(sqlite3 *db) GW_WUR;

#endif
