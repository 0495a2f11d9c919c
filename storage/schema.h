/*
 * The SQLite schema: one migration per version, applied at open. Not
 * for use outside storage/.
 */
#ifndef STORAGE_SCHEMA_H
#define STORAGE_SCHEMA_H

#include <sqlite3.h>

#include "common/err.h"

/* The audit table's columns in the order the chain's files bind and
 * read them (storage/audit_write.c, audit_verify.c, audit_export.c). */
#define AUDIT_COLUMNS "seq, ts, kind, request_id, key_id, team, client, " \
	"method, path, model, upstream, region, policy, verdicts, route, " \
	"pii, zdr, streamed, status, error, prompt_tokens, " \
	"completion_tokens, cost_eur, cost_usd, latency_us, request_hash, " \
	"response_hash, prev, hash, subject"

/* Creates or upgrades the schema of the writer's connection. */
enum gw_err schema_migrate(sqlite3 *db) GW_WUR;

#endif
