/*
 * The PostgreSQL schema: one migration per version, applied at open
 * under an advisory lock (instances that start together do not race);
 * a database newer than the binary is refused. Not for use outside
 * storage/.
 */
#ifndef STORAGE_PG_SCHEMA_H
#define STORAGE_PG_SCHEMA_H

#include "storage/pg.h"

/* The schema version this binary writes. */
int pg_schema_version(void);
/* Creates or upgrades the schema on st->conn. */
enum gw_err pg_schema_migrate(struct pg_store *st) GW_WUR;

#endif
