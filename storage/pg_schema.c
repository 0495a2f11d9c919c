/* The PostgreSQL schema: the migrations, one per version, in order. */
#include <stdio.h>

#include "common/log.h"
#include "storage/pg_schema.h"
#include "storage/pg_sql.h"

/*
 * Each migration moves eugate_schema.version from its index to index + 1.
 * The tables are SQLite's (storage/schema.c: its version 6, then its 7
 * as our 2) with what several instances add: the instance that wrote
 * each audit record (one chain per instance) and that holds each
 * reservation, the instances themselves, what each budget has used (a
 * row that reservations lock), and the shared rate-limit buckets. Money
 * in micro-units, times in Unix ms (created_at, revoked_at and keys'
 * and admins' times: seconds, as SQLite's).
 */
static const char *const migrations[] = {
	"CREATE TABLE meta(name TEXT PRIMARY KEY, value BIGINT NOT NULL);"
	"INSERT INTO meta VALUES('keys_version', 1);"
	"INSERT INTO meta VALUES('objects_version', 1);"
	"CREATE TABLE teams("
	" id BIGSERIAL PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" policy TEXT NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" budget BIGINT, budget_currency INTEGER, budget_period INTEGER,"
	" rpm BIGINT, tpm BIGINT,"
	" deleted_at BIGINT);"
	"CREATE TABLE keys("
	" id TEXT PRIMARY KEY,"
	" team_id BIGINT NOT NULL REFERENCES teams(id),"
	" name TEXT NOT NULL,"
	" hmac BYTEA NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" revoked_at BIGINT,"
	" budget BIGINT, budget_currency INTEGER, budget_period INTEGER,"
	" rpm BIGINT, tpm BIGINT,"
	" models TEXT, models_deny TEXT);"
	"CREATE TABLE ledger("
	" id TEXT PRIMARY KEY,"
	" request_id TEXT NOT NULL,"
	" ts BIGINT NOT NULL,"
	" team TEXT, key_id TEXT, model TEXT, upstream TEXT,"
	" state TEXT NOT NULL CHECK(state IN ('reserved','settled','charged')),"
	" reserved_eur BIGINT, reserved_usd BIGINT,"
	" cost_eur BIGINT, cost_usd BIGINT,"
	" prompt_tokens BIGINT, completion_tokens BIGINT,"
	" settled_at BIGINT,"
	" method TEXT, path TEXT, client TEXT,"
	" instance TEXT NOT NULL);"
	"CREATE INDEX ledger_team ON ledger(team, ts);"
	"CREATE INDEX ledger_key ON ledger(key_id, ts);"
	"CREATE INDEX ledger_open ON ledger(instance) WHERE state = 'reserved';"
	/* What a budget has used in a period: the sum of its ledger
	 * entries (reservations of open ones, costs of the others), kept
	 * by every reservation and settlement under the row's lock. */
	"CREATE TABLE budget_used("
	" scope TEXT NOT NULL, id TEXT NOT NULL, currency INTEGER NOT NULL,"
	" start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL,"
	" used BIGINT NOT NULL,"
	" PRIMARY KEY(scope, id, currency, start_ms, end_ms));"
	/* Shared token buckets: level in units x 60,000,000 as
	 * policy/ratelimit.c keeps them. */
	"CREATE TABLE rate_buckets("
	" subject TEXT NOT NULL, kind TEXT NOT NULL,"
	" lim BIGINT NOT NULL, level BIGINT NOT NULL, t_us BIGINT NOT NULL,"
	" PRIMARY KEY(subject, kind));"
	"CREATE TABLE audit("
	" id BIGSERIAL PRIMARY KEY,"
	" instance TEXT NOT NULL,"
	" seq BIGINT NOT NULL,"
	" ts BIGINT NOT NULL,"
	" kind TEXT NOT NULL,"
	" request_id TEXT, key_id TEXT, team TEXT, client TEXT, method TEXT,"
	" path TEXT, model TEXT, upstream TEXT, region TEXT, policy TEXT,"
	" verdicts TEXT, route TEXT, pii TEXT,"
	" zdr INTEGER NOT NULL, streamed INTEGER NOT NULL,"
	" status INTEGER NOT NULL, error TEXT,"
	" prompt_tokens BIGINT, completion_tokens BIGINT,"
	" cost_eur BIGINT, cost_usd BIGINT,"
	" latency_us BIGINT NOT NULL,"
	" request_hash BYTEA, response_hash BYTEA,"
	" prev BYTEA NOT NULL, hash BYTEA NOT NULL,"
	" subject BYTEA,"
	" UNIQUE(instance, seq));"
	"CREATE INDEX audit_ts ON audit(ts, id);"
	"CREATE INDEX audit_subject ON audit(subject) WHERE subject IS NOT "
	"NULL;"
	"CREATE TABLE audit_checkpoints("
	" instance TEXT NOT NULL,"
	" seq BIGINT NOT NULL,"
	" head BYTEA NOT NULL,"
	" ts BIGINT NOT NULL,"
	" sig BYTEA NOT NULL,"
	" PRIMARY KEY(instance, seq));"
	"CREATE TABLE objects("
	" kind TEXT NOT NULL,"
	" id TEXT NOT NULL,"
	" parent TEXT,"
	" team TEXT NOT NULL,"
	" upstream TEXT,"
	" request_id TEXT,"
	" created BIGINT NOT NULL,"
	" subject BYTEA,"
	" PRIMARY KEY(kind, id));"
	"CREATE INDEX objects_team ON objects(team);"
	"CREATE INDEX objects_subject ON objects(subject) WHERE subject IS NOT "
	"NULL;"
	/* The instances that used the database: when each started and was
	 * last seen, and a fingerprint of its key-hashing secret. */
	/* Sums saturate at the int64 bounds, as sat_sum() in SQLite: one
	 * absurd stored value never fails a budget check or a report. */
	"CREATE FUNCTION eugate_sat(v numeric) RETURNS bigint LANGUAGE sql "
	"IMMUTABLE AS $$ SELECT CASE WHEN v > 9223372036854775807 THEN "
	"9223372036854775807 WHEN v < -9223372036854775808 THEN "
	"-9223372036854775808 ELSE v::bigint END $$;"
	"CREATE TABLE instances("
	" name TEXT PRIMARY KEY,"
	" started_at BIGINT NOT NULL,"
	" seen_at BIGINT NOT NULL,"
	" secret_check BYTEA,"
	" version TEXT);",
	/* 2: SQLite's 7: keys' lives (who made them, expiry, last use, IP
	 * allowlist, the secret a rotation replaced and until when it
	 * works) and admin principals (storage/pg_admins.c), whose changes
	 * move admins_version, which every instance polls. */
	"ALTER TABLE keys ADD COLUMN created_by TEXT,"
	" ADD COLUMN expires_at BIGINT,"
	" ADD COLUMN last_used_at BIGINT,"
	" ADD COLUMN allow_ips TEXT,"
	" ADD COLUMN prev_hmac BYTEA,"
	" ADD COLUMN prev_until BIGINT;"
	"CREATE TABLE admins("
	" id BIGSERIAL PRIMARY KEY,"
	" name TEXT NOT NULL,"
	" role TEXT NOT NULL CHECK(role IN ('owner','admin','team-admin',"
	"'auditor')),"
	" hmac BYTEA NOT NULL,"
	" created_at BIGINT NOT NULL,"
	" created_by TEXT NOT NULL,"
	" rotated_at BIGINT,"
	" revoked_at BIGINT);"
	"CREATE UNIQUE INDEX admins_active ON admins(name) WHERE revoked_at IS "
	"NULL;"
	"CREATE TABLE admin_teams("
	" admin_id BIGINT NOT NULL REFERENCES admins(id),"
	" team_id BIGINT NOT NULL REFERENCES teams(id),"
	" PRIMARY KEY(admin_id, team_id));"
	"INSERT INTO meta VALUES('admins_version', 1);",
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

int
pg_schema_version(void)
{
	return (int)N_MIGRATIONS;
}

/* The version in the database: 0 before the first migration. */
static enum gw_err
read_version(struct pg_store *st, int64_t *v)
{
	int64_t exists;

	if (pg_i64(st, "SELECT count(*) FROM pg_catalog.pg_tables WHERE "
	    "schemaname = current_schema() AND tablename = 'eugate_schema'",
	    NULL, &exists) != GW_OK)
		return GW_ERR_STORAGE;
	if (exists <= 0) {
		*v = 0;
		return GW_OK;
	}
	if (pg_i64(st, "SELECT max(version) FROM eugate_schema", NULL, v) !=
	    GW_OK)
		return GW_ERR_STORAGE;
	if (*v < 0)
		*v = 0;
	return GW_OK;
}

static enum gw_err
migrate_locked(struct pg_store *st)
{
	struct pg_args a;
	int64_t v;

	if (read_version(st, &v) != GW_OK)
		return GW_ERR_STORAGE;
	if (v > (int64_t)N_MIGRATIONS) {
		log_error("storage: the PostgreSQL schema at %s is version "
		    "%lld, newer than this eugate's (%zu): upgrade eugate",
		    st->where, (long long)v, N_MIGRATIONS);
		return GW_ERR_STORAGE;
	}
	for (; v < (int64_t)N_MIGRATIONS; v++) {
		if (pg_exec(st, "BEGIN") != GW_OK)
			return GW_ERR_STORAGE;
		pga_init(&a);
		pga_i64(&a, v + 1);
		if ((v == 0 && pg_exec(st, "CREATE TABLE eugate_schema("
		    "version INTEGER NOT NULL, applied_at TIMESTAMPTZ NOT NULL "
		    "DEFAULT now())") != GW_OK) ||
		    pg_exec(st, migrations[v]) != GW_OK ||
		    pg_run(st, "INSERT INTO eugate_schema(version) VALUES($1)",
		    &a, NULL) != GW_OK) {
			(void)pg_exec(st, "ROLLBACK");
			return GW_ERR_STORAGE;
		}
		if (pg_exec(st, "COMMIT") != GW_OK)
			return GW_ERR_STORAGE;
		log_info("storage: migrated the PostgreSQL schema to version "
		    "%lld", (long long)(v + 1));
	}
	return GW_OK;
}

enum gw_err
pg_schema_migrate(struct pg_store *st)
{
	struct pg_args a;
	enum gw_err err;

	pga_init(&a);
	pga_i64(&a, PG_LOCK_MIGRATE);
	/* Another instance's migration, and a migration's own steps, take
	 * what they take: no timeouts meanwhile. */
	if (pg_exec(st, "SET lock_timeout = 0; SET statement_timeout = 0") !=
	    GW_OK || pg_run(st, "SELECT pg_advisory_lock($1::bigint)", &a,
	    NULL) != GW_OK)
		return GW_ERR_STORAGE;
	err = migrate_locked(st);
	if (pg_run(st, "SELECT pg_advisory_unlock($1::bigint)", &a, NULL) !=
	    GW_OK || pg_exec(st, "SET lock_timeout = '10s'; SET "
	    "statement_timeout = '60s'") != GW_OK)
		err = GW_ERR_STORAGE;
	return err;
}
