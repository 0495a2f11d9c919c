/* SQLite to PostgreSQL: every table copied in one transaction, verified. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/log.h"
#include "storage/chain.h"
#include "storage/migrate.h"
#include "storage/pg_sql.h"
#include "storage/store.h"

/* What is copied: the same columns on both sides; with_instance adds
 * the instance the rows belong to (its chain, its reservations). What a
 * budget has used is not copied: the first reservation sums it from
 * the ledger. */
struct table {
	const char *name;
	const char *cols;
	const char *order;
	int with_instance;
};

static const struct table tables[] = {
	{ "teams", "id, name, policy, created_at, budget, budget_currency, "
	    "budget_period, rpm, tpm, deleted_at", "id", 0 },
	{ "keys", "id, team_id, name, hmac, created_at, revoked_at, budget, "
	    "budget_currency, budget_period, rpm, tpm, models, models_deny, "
	    "created_by, expires_at, last_used_at, allow_ips, prev_hmac, "
	    "prev_until", "created_at, id", 0 },
	{ "ledger", "id, request_id, ts, team, key_id, model, upstream, "
	    "state, reserved_eur, reserved_usd, cost_eur, cost_usd, "
	    "prompt_tokens, completion_tokens, settled_at, method, path, "
	    "client", "ts, id", 1 },
	{ "audit", AUDIT_COLUMNS, "seq", 1 },
	{ "audit_checkpoints", "seq, head, ts, sig", "seq", 1 },
	{ "objects", "kind, id, parent, team, upstream, request_id, created, "
	    "subject", "kind, id", 0 },
	{ "admins", "id, name, role, hmac, created_at, created_by, "
	    "rotated_at, revoked_at", "id", 0 },
	{ "admin_teams", "admin_id, team_id", "admin_id, team_id", 0 },
};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

static int
count_cols(const char *cols)
{
	int n = 1;

	for (; *cols != '\0'; cols++)
		n += *cols == ',';
	return n;
}

/* Brings the SQLite database up to date (schema, crash recovery) and
 * checks its chain first: a chain that does not verify is not moved. */
static enum gw_err
source_ready(const char *path, const char *audit_key)
{
	struct store_conf conf = { .audit_key = audit_key };
	struct store *st;
	struct store_op op;
	enum gw_err err = store_open(path, &conf, NULL, &st);

	if (err != GW_OK)
		return err;
	memset(&op, 0, sizeof(op));
	op.type = STORE_AUDIT_VERIFY;
	store_submit(st, &op);
	store_flush(st);
	store_close(st);
	err = op.err;
	if (err == GW_OK && !json_is_true(json_object_get(op.json, "ok"))) {
		log_error("migrate: the SQLite audit chain does not verify "
		    "(%s): nothing was copied", log_q(json_string_value(
		    json_object_get(json_object_get(op.json, "first_bad"),
		    "reason"))));
		err = GW_ERR_CRYPTO;
	}
	store_op_cleanup(&op);
	return err;
}

/* One table's rows, as they are: numbers as text, blobs as bytes. */
static enum gw_err
copy_table(sqlite3 *db, struct pg_store *pg, const struct table *t,
    int64_t *n)
{
	char sel[600], ins[1200];
	int ncols = count_cols(t->cols);
	size_t len;
	sqlite3_stmt *s;
	int rc;
	enum gw_err err = GW_OK;

	*n = 0;
	snprintf(sel, sizeof(sel), "SELECT %s FROM %s ORDER BY %s", t->cols,
	    t->name, t->order);
	len = (size_t)snprintf(ins, sizeof(ins), "INSERT INTO %s(%s%s) VALUES(",
	    t->name, t->cols, t->with_instance ? ", instance" : "");
	for (int i = 1; i <= ncols + t->with_instance; i++)
		len += (size_t)snprintf(ins + len, sizeof(ins) - len, "%s$%d",
		    i > 1 ? ", " : "", i);
	snprintf(ins + len, sizeof(ins) - len, ")");
	if (sqlite3_prepare_v2(db, sel, -1, &s, NULL) != SQLITE_OK) {
		log_error("migrate: %s: %s", t->name,
		    log_q(sqlite3_errmsg(db)));
		return GW_ERR_STORAGE;
	}
	while (err == GW_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct pg_args a;
		PGresult *res;

		pga_init(&a);
		for (int i = 0; i < ncols; i++) {
			switch (sqlite3_column_type(s, i)) {
			case SQLITE_NULL:
				pga_null(&a);
				break;
			case SQLITE_BLOB:
				pga_bytes(&a, sqlite3_column_blob(s, i),
				    (size_t)sqlite3_column_bytes(s, i));
				break;
			case SQLITE_INTEGER:
				pga_i64(&a, sqlite3_column_int64(s, i));
				break;
			default:
				pga_str(&a, (const char *)sqlite3_column_text(s,
				    i));
			}
		}
		if (t->with_instance)
			pga_str(&a, pg->instance);
		res = pg_query_once(pg, ins, &a);
		if (res == NULL)
			err = GW_ERR_STORAGE;
		PQclear(res);
		(*n)++;
	}
	if (err == GW_OK && rc != SQLITE_DONE) {
		log_error("migrate: %s: %s", t->name,
		    log_q(sqlite3_errmsg(db)));
		err = GW_ERR_STORAGE;
	}
	sqlite3_finalize(s);
	return err;
}

/* Rows of a table on the PostgreSQL side (the instance's, when the table
 * has instances). */
static int64_t
pg_count(struct pg_store *pg, const struct table *t)
{
	char sql[200];
	struct pg_args a;
	PGresult *res;
	int64_t n = -1;

	pga_init(&a);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s%s", t->name,
	    t->with_instance ? " WHERE instance = $1" : "");
	if (t->with_instance)
		pga_str(&a, pg->instance);
	res = pg_query_once(pg, sql, &a);
	if (res != NULL && PQntuples(res) == 1)
		n = pg_num(res, 0, 0);
	PQclear(res);
	return n;
}

/* A change counter of meta (keys_version, admins_version) carried
 * over, moved on by one so that no cache takes the copy for what it
 * had. */
static enum gw_err
copy_version(sqlite3 *db, struct pg_store *pg, const char *name)
{
	int64_t version = -1;
	sqlite3_stmt *s;
	struct pg_args a;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = ?",
	    -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			version = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	pga_init(&a);
	pga_i64(&a, version > 0 ? version + 1 : 2);
	pga_str(&a, name);
	return pg_run(pg, "UPDATE meta SET value = $1 WHERE name = $2", &a,
	    NULL);
}

/* The copy, in one transaction on an empty database. */
static enum gw_err
copy_all(sqlite3 *db, struct pg_store *pg, int64_t counts[N_TABLES])
{
	int64_t used;
	enum gw_err err;

	if (pg_i64(pg, "SELECT (SELECT count(*) FROM teams) + (SELECT count(*) "
	    "FROM audit) + (SELECT count(*) FROM ledger)", NULL, &used) !=
	    GW_OK)
		return GW_ERR_STORAGE;
	if (used > 0) {
		log_error("migrate: the PostgreSQL database at %s holds eugate "
		    "data already: nothing was copied", pg->where);
		return GW_ERR_EXISTS;
	}
	err = pg_exec(pg, "BEGIN");
	for (size_t i = 0; i < N_TABLES && err == GW_OK; i++) {
		err = copy_table(db, pg, &tables[i], &counts[i]);
		if (err == GW_OK)
			log_info("migrate: %s: %lld rows", tables[i].name,
			    (long long)counts[i]);
	}
	if (err == GW_OK)
		err = copy_version(db, pg, "keys_version");
	if (err == GW_OK)
		err = copy_version(db, pg, "admins_version");
	if (err == GW_OK)
		err = pg_exec(pg, "SELECT setval(pg_get_serial_sequence("
		    "'teams', 'id'), greatest(coalesce(max(id), 0), 1), "
		    "max(id) IS NOT NULL) FROM teams");
	if (err == GW_OK)
		err = pg_exec(pg, "SELECT setval(pg_get_serial_sequence("
		    "'admins', 'id'), greatest(coalesce(max(id), 0), 1), "
		    "max(id) IS NOT NULL) FROM admins");
	if (err == GW_OK)
		err = pg_exec(pg, "COMMIT");
	if (err != GW_OK)
		(void)pg_exec(pg, "ROLLBACK");
	return err;
}

/* Walks the copied chain on PostgreSQL against its copied checkpoints. */
static enum gw_err
verify_copy(const char *url, const char *instance, const char *audit_key,
    int64_t records)
{
	struct store_conf conf = { .readonly = 1, .audit_key = audit_key,
		.instance = instance };
	struct store *rd;
	struct store_op op;
	json_t *inst, *one = NULL;
	size_t i;
	enum gw_err err = store_open(url, &conf, NULL, &rd);

	if (err != GW_OK)
		return err;
	memset(&op, 0, sizeof(op));
	op.type = STORE_AUDIT_VERIFY;
	store_submit(rd, &op);
	store_flush(rd);
	store_close(rd);
	if (op.err != GW_OK)
		return op.err;
	inst = json_object_get(op.json, "instances");
	json_array_foreach(inst, i, one)
		if (strcmp(json_string_value(json_object_get(one, "instance")),
		    instance) == 0)
			break;
	if (i == json_array_size(inst))
		one = NULL;
	if (records > 0 && (one == NULL || !json_is_true(json_object_get(one,
	    "ok")) || json_integer_value(json_object_get(one, "records")) !=
	    records)) {
		log_error("migrate: the copied audit chain does not verify: %s",
		    log_q(one != NULL ? json_string_value(json_object_get(
		    json_object_get(one, "first_bad"), "reason")) :
		    "it is missing"));
		err = GW_ERR_CRYPTO;
	}
	store_op_cleanup(&op);
	return err;
}

enum gw_err
migrate_sqlite_to_pg(const char *path, const char *url, const char *instance,
    const char *audit_key, struct migrate_counts *out)
{
	int64_t counts[N_TABLES] = { 0 };
	struct pg_store *pg = NULL;
	sqlite3 *db = NULL;
	enum gw_err err;

	memset(out, 0, sizeof(*out));
	err = source_ready(path, audit_key);
	if (err != GW_OK)
		return err;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		log_error("migrate: cannot open %s", log_q(path));
		sqlite3_close(db);
		return GW_ERR_STORAGE;
	}
	err = pg_bare_open(url, instance, &pg);
	if (err == GW_OK)
		err = copy_all(db, pg, counts);
	for (size_t i = 0; i < N_TABLES && err == GW_OK; i++) {
		int64_t n = pg_count(pg, &tables[i]);

		if (n != counts[i]) {
			log_error("migrate: %s: %lld rows in PostgreSQL, "
			    "%lld in SQLite", tables[i].name, (long long)n,
			    (long long)counts[i]);
			err = GW_ERR_STORAGE;
		}
	}
	pg_bare_close(pg);	/* the instance's lock goes with it */
	sqlite3_close(db);
	if (err == GW_OK)
		err = verify_copy(url, instance, audit_key, counts[3]);
	if (err == GW_OK) {
		out->teams = counts[0];
		out->keys = counts[1];
		out->ledger = counts[2];
		out->audit = counts[3];
		out->checkpoints = counts[4];
		out->objects = counts[5];
		out->admins = counts[6];
	}
	return err;
}
