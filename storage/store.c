/* SQLite storage: schema migrations, the writer thread, group commit. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/log.h"
#include "common/util.h"
#include "storage/store.h"
#include "storage/store_int.h"

/* Each migration moves user_version from its index to index + 1. */
static const char *const migrations[] = {
	"CREATE TABLE meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"INSERT INTO meta VALUES('keys_version', 1);"
	"CREATE TABLE teams("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" policy TEXT NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE keys("
	" id TEXT PRIMARY KEY,"
	" team_id INTEGER NOT NULL REFERENCES teams(id),"
	" name TEXT NOT NULL,"
	" hmac BLOB NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" revoked_at INTEGER);"
	"CREATE TABLE requests("
	" id INTEGER PRIMARY KEY,"
	" request_id TEXT NOT NULL,"
	" ts INTEGER NOT NULL,"
	" key_id TEXT,"
	" team TEXT,"
	" method TEXT NOT NULL,"
	" path TEXT NOT NULL,"
	" model TEXT,"
	" upstream TEXT,"
	" status INTEGER NOT NULL,"
	" prompt_tokens INTEGER,"
	" completion_tokens INTEGER,"
	" latency_us INTEGER NOT NULL,"
	" error TEXT,"
	" streamed INTEGER NOT NULL);"
	"CREATE INDEX requests_ts ON requests(ts);",
	/* 2: personal data found, as types and counts ("EMAIL:2,IBAN:1"). */
	"ALTER TABLE requests ADD COLUMN pii TEXT;",
	/* 3: budgets and rate limits; the spend ledger. Money is in
	 * micro-units (10^-6 EUR or USD); currency 0 EUR, 1 USD; period 0
	 * daily, 1 monthly, 2 total (calendar periods in UTC). */
	"ALTER TABLE teams ADD COLUMN budget INTEGER;"
	"ALTER TABLE teams ADD COLUMN budget_currency INTEGER;"
	"ALTER TABLE teams ADD COLUMN budget_period INTEGER;"
	"ALTER TABLE teams ADD COLUMN rpm INTEGER;"
	"ALTER TABLE teams ADD COLUMN tpm INTEGER;"
	"ALTER TABLE keys ADD COLUMN budget INTEGER;"
	"ALTER TABLE keys ADD COLUMN budget_currency INTEGER;"
	"ALTER TABLE keys ADD COLUMN budget_period INTEGER;"
	"ALTER TABLE keys ADD COLUMN rpm INTEGER;"
	"ALTER TABLE keys ADD COLUMN tpm INTEGER;"
	"CREATE TABLE ledger("
	" id TEXT PRIMARY KEY,"
	" request_id TEXT NOT NULL,"
	" ts INTEGER NOT NULL,"
	" team TEXT,"
	" key_id TEXT,"
	" model TEXT,"
	" upstream TEXT,"
	" state TEXT NOT NULL CHECK(state IN ('reserved','settled','charged')),"
	" reserved_eur INTEGER,"
	" reserved_usd INTEGER,"
	" cost_eur INTEGER,"
	" cost_usd INTEGER,"
	" prompt_tokens INTEGER,"
	" completion_tokens INTEGER,"
	" settled_at INTEGER) WITHOUT ROWID;"
	/* Two indexes only: every index is pages written per request. The
	 * global budget's sum and the crash recovery scan the table, once
	 * per period and once per start. */
	"CREATE INDEX ledger_team ON ledger(team, ts);"
	"CREATE INDEX ledger_key ON ledger(key_id, ts);",
	/* 4: model globs per key (comma-separated); where each request went
	 * (the upstream's region) and why (the routing decision). */
	"ALTER TABLE keys ADD COLUMN models TEXT;"
	"ALTER TABLE keys ADD COLUMN models_deny TEXT;"
	"ALTER TABLE requests ADD COLUMN region TEXT;"
	"ALTER TABLE requests ADD COLUMN route TEXT;",
	/* 5: the audit log, a hash chain (storage/chain.h) with signed
	 * checkpoints; it replaces the requests table, whose rows
	 * audit_open() moves into the chain. What a request is known by
	 * before it is forwarded is on its ledger entry, so that a crash
	 * leaves enough for its "interrupted" record. */
	"CREATE TABLE audit("
	" seq INTEGER PRIMARY KEY,"
	" ts INTEGER NOT NULL,"
	" kind TEXT NOT NULL,"
	" request_id TEXT,"
	" key_id TEXT,"
	" team TEXT,"
	" client TEXT,"
	" method TEXT,"
	" path TEXT,"
	" model TEXT,"
	" upstream TEXT,"
	" region TEXT,"
	" policy TEXT,"
	" verdicts TEXT,"
	" route TEXT,"
	" pii TEXT,"
	" zdr INTEGER NOT NULL,"
	" streamed INTEGER NOT NULL,"
	" status INTEGER NOT NULL,"
	" error TEXT,"
	" prompt_tokens INTEGER,"
	" completion_tokens INTEGER,"
	" cost_eur INTEGER,"
	" cost_usd INTEGER,"
	" latency_us INTEGER NOT NULL,"
	" request_hash BLOB,"
	" response_hash BLOB,"
	" prev BLOB NOT NULL,"
	" hash BLOB NOT NULL,"
	" subject BLOB);"	/* not chained: erasable */
	"CREATE INDEX audit_ts ON audit(ts);"
	"CREATE INDEX audit_subject ON audit(subject) WHERE subject IS NOT NULL;"
	"CREATE TABLE audit_checkpoints("
	" seq INTEGER PRIMARY KEY,"
	" head BLOB NOT NULL,"
	" ts INTEGER NOT NULL,"
	" sig BLOB NOT NULL);"
	"ALTER TABLE ledger ADD COLUMN method TEXT;"
	"ALTER TABLE ledger ADD COLUMN path TEXT;"
	"ALTER TABLE ledger ADD COLUMN client TEXT;",
	/* 6: objects stored upstream and the team that created them through
	 * eugate (storage/objects.c). */
	"CREATE TABLE objects("
	" kind TEXT NOT NULL,"
	" id TEXT NOT NULL,"
	" parent TEXT,"		/* a document's library */
	" team TEXT NOT NULL,"
	" upstream TEXT,"
	" request_id TEXT,"
	" created INTEGER NOT NULL,"
	" subject BLOB,"
	" PRIMARY KEY(kind, id)) WITHOUT ROWID;"
	"CREATE INDEX objects_team ON objects(team);"
	"CREATE INDEX objects_subject ON objects(subject) WHERE subject IS NOT "
	"NULL;"
	/* A deleted team keeps its row (its keys' history), renamed out of
	 * the way: "NAME~deleted~ID". */
	"ALTER TABLE teams ADD COLUMN deleted_at INTEGER;",
};

enum gw_err
store_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("storage: %s", log_q(msg ? msg : sqlite3_errmsg(db)));
		sqlite3_free(msg);
		return GW_ERR_STORAGE;
	}
	return GW_OK;
}

static enum gw_err
migrate(sqlite3 *db)
{
	sqlite3_stmt *s;
	int version = 0;
	size_t n = sizeof(migrations) / sizeof(migrations[0]);
	char sql[64];

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return GW_ERR_STORAGE;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > (int)n) {
		log_error("storage: database schema %d is newer than this "
		    "eugate (%zu)", version, n);
		return GW_ERR_STORAGE;
	}
	for (; version < (int)n; version++) {
		if (store_exec(db, "BEGIN IMMEDIATE") != GW_OK)
			return GW_ERR_STORAGE;
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", version + 1);
		if (store_exec(db, migrations[version]) != GW_OK ||
		    store_exec(db, sql) != GW_OK) {
			store_exec(db, "ROLLBACK");
			return GW_ERR_STORAGE;
		}
		if (store_exec(db, "COMMIT") != GW_OK)
			return GW_ERR_STORAGE;
		log_info("storage: migrated schema to version %d", version + 1);
	}
	return GW_OK;
}

void
store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL || *v == '\0')
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

void
store_bind_num(sqlite3_stmt *s, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

void
store_column_text(sqlite3_stmt *s, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

int64_t
store_column_num(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(s, i);
}

enum gw_err
store_map_rc(int rc)
{
	if (rc == SQLITE_DONE || rc == SQLITE_OK || rc == SQLITE_ROW)
		return GW_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return GW_ERR_EXISTS;
	return GW_ERR_STORAGE;
}

static enum gw_err
run_simple(sqlite3 *db, const char *sql, const char *a, const char *b,
    int *changes)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	store_bind_text(s, 1, a);
	if (b != NULL)
		store_bind_text(s, 2, b);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (changes != NULL)
		*changes = sqlite3_changes(db);
	return store_map_rc(rc);
}

static enum gw_err
bump_keys_version(sqlite3 *db)
{
	return store_exec(db, "UPDATE meta SET value = value + 1 "
	    "WHERE name = 'keys_version'");
}

/* Steps a prepared, bound statement; its rows become a JSON array. */
enum gw_err
store_rows_json(sqlite3_stmt *s, json_t **out)
{
	json_t *arr = json_array();
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *row = json_object();

		for (int i = 0; i < sqlite3_column_count(s); i++) {
			const char *name = sqlite3_column_name(s, i);

			switch (sqlite3_column_type(s, i)) {
			case SQLITE_INTEGER:
				json_object_set_new(row, name, json_integer(
				    sqlite3_column_int64(s, i)));
				break;
			case SQLITE_NULL:
				json_object_set_new(row, name, json_null());
				break;
			default:
				json_object_set_new(row, name, json_string(
				    (const char *)sqlite3_column_text(s, i)));
			}
		}
		json_array_append_new(arr, row);
	}
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return GW_ERR_STORAGE;
	}
	*out = arr;
	return GW_OK;
}

/* Runs a query and returns its rows as a JSON array of objects. */
static enum gw_err
query_json(sqlite3 *db, const char *sql, const char *arg, int limit,
    json_t **out)
{
	sqlite3_stmt *s;
	enum gw_err err;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	if (arg != NULL)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	if (limit > 0)
		sqlite3_bind_int(s, arg != NULL ? 2 : 1, limit);
	err = store_rows_json(s, out);
	sqlite3_finalize(s);
	return err;
}

/* Reads budget, currency, period, rpm, tpm from columns i..i+4. */
static void
column_limits(sqlite3_stmt *s, int i, struct store_limits *l)
{
	l->budget = sqlite3_column_type(s, i) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(s, i);
	l->currency = sqlite3_column_int(s, i + 1);
	l->period = sqlite3_column_int(s, i + 2);
	l->rpm = sqlite3_column_int64(s, i + 3);
	l->tpm = sqlite3_column_int64(s, i + 4);
}

/* Binds budget, currency, period, rpm, tpm (and for keys models,
 * models_deny) from parameter i on: the fields in mask; the others, and
 * "none" values, stay NULL. */
static void
bind_limits(sqlite3_stmt *s, int i, const struct store_limits *l, int mask)
{
	if (mask & STORE_SET_MODELS)
		store_bind_text(s, i + 5, l->models);
	if (mask & STORE_SET_MODELS_DENY)
		store_bind_text(s, i + 6, l->models_deny);
	if ((mask & STORE_SET_BUDGET) && l->budget >= 0) {
		sqlite3_bind_int64(s, i, l->budget);
		sqlite3_bind_int(s, i + 1, l->currency);
		sqlite3_bind_int(s, i + 2, l->period);
	}
	if ((mask & STORE_SET_RPM) && l->rpm > 0)
		sqlite3_bind_int64(s, i + 3, l->rpm);
	if ((mask & STORE_SET_TPM) && l->tpm > 0)
		sqlite3_bind_int64(s, i + 4, l->tpm);
}

/* Sets some of the limits of a team or a key. */
static enum gw_err
limits_set(sqlite3 *db, struct store_op *op)
{
	static const char *const cols[] = { "budget = ?1, budget_currency = ?2, "
	    "budget_period = ?3", "rpm = ?4", "tpm = ?5", "models = ?6",
	    "models_deny = ?7" };
	sqlite3_stmt *s;
	char sql[320];
	size_t n;
	int rc, first = 1;

	n = (size_t)snprintf(sql, sizeof(sql), "UPDATE %s SET ",
	    op->key_id[0] ? "keys" : "teams");
	for (int i = 0; i < 5; i++) {
		if (!(op->set_mask & (1 << i)))
			continue;
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s%s",
		    first ? "" : ", ", cols[i]);
		first = 0;
	}
	if (first)
		return GW_ERR_INVAL;
	snprintf(sql + n, sizeof(sql) - n, " WHERE %s = ?8",
	    op->key_id[0] ? "id" : "name");
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	bind_limits(s, 1, &op->limits, op->set_mask);
	sqlite3_bind_text(s, 8, op->key_id[0] ? op->key_id : op->team, -1,
	    SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return GW_ERR_STORAGE;
	if (sqlite3_changes(db) == 0)
		return GW_ERR_NOTFOUND;
	return bump_keys_version(db);
}

static enum gw_err
keys_load(sqlite3 *db, struct store_op *op)
{
	sqlite3_stmt *s;
	int64_t version = 0;
	size_t cap = 0;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = "
	    "'keys_version'", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (version == op->version) {
		op->changed = 0;
		return GW_OK;
	}
	if (sqlite3_prepare_v2(db, "SELECT k.id, t.name, t.policy, k.hmac, "
	    "t.budget, t.budget_currency, t.budget_period, t.rpm, t.tpm, "
	    "k.budget, k.budget_currency, k.budget_period, k.rpm, k.tpm, "
	    "k.models, k.models_deny FROM keys k JOIN teams t ON "
	    "t.id = k.team_id "
	    "WHERE k.revoked_at IS NULL", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_key_row *r;

		if (op->n_rows == cap) {
			cap = cap ? cap * 2 : 64;
			r = realloc(op->rows, cap * sizeof(*r));
			if (r == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			op->rows = r;
		}
		r = &op->rows[op->n_rows++];
		memset(r, 0, sizeof(*r));
		snprintf(r->id, sizeof(r->id), "%s", sqlite3_column_text(s, 0));
		snprintf(r->team, sizeof(r->team), "%s",
		    sqlite3_column_text(s, 1));
		snprintf(r->policy, sizeof(r->policy), "%s",
		    sqlite3_column_text(s, 2));
		if (sqlite3_column_bytes(s, 3) == 32)
			memcpy(r->hmac, sqlite3_column_blob(s, 3), 32);
		column_limits(s, 4, &r->team_limits);
		column_limits(s, 9, &r->key_limits);
		if (sqlite3_column_text(s, 14) != NULL)
			snprintf(r->key_limits.models,
			    sizeof(r->key_limits.models), "%s",
			    sqlite3_column_text(s, 14));
		if (sqlite3_column_text(s, 15) != NULL)
			snprintf(r->key_limits.models_deny,
			    sizeof(r->key_limits.models_deny), "%s",
			    sqlite3_column_text(s, 15));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return GW_ERR_STORAGE;
	op->version = version;
	op->changed = 1;
	return GW_OK;
}

static void
run_op(struct store *st, struct store_op *op)
{
	sqlite3 *db = st->db;
	sqlite3_stmt *s;
	int changes = 0, rc;

	switch (op->type) {
	case STORE_TEAM_CREATE:
		if (sqlite3_prepare_v2(db, "INSERT INTO teams(budget, "
		    "budget_currency, budget_period, rpm, tpm, name, policy, "
		    "created_at) VALUES(?, ?, ?, ?, ?, ?, ?, "
		    "strftime('%s','now'))", -1, &s, NULL) != SQLITE_OK) {
			op->err = GW_ERR_STORAGE;
			break;
		}
		bind_limits(s, 1, &op->limits, op->set_mask);
		sqlite3_bind_text(s, 6, op->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, op->policy, -1, SQLITE_STATIC);
		op->err = store_map_rc(sqlite3_step(s));
		sqlite3_finalize(s);
		break;
	case STORE_TEAM_LIST:
		op->err = query_json(db, "SELECT t.name, t.policy, t.created_at,"
		    " (SELECT count(*) FROM keys k WHERE k.team_id = t.id AND "
		    "k.revoked_at IS NULL) AS keys, t.budget, t.budget_currency, "
		    "t.budget_period, t.rpm, t.tpm FROM teams t WHERE "
		    "t.deleted_at IS NULL ORDER BY t.name",
		    NULL, 0, &op->json);
		break;
	case STORE_KEY_CREATE:
		if (sqlite3_prepare_v2(db, "INSERT INTO keys(budget, "
		    "budget_currency, budget_period, rpm, tpm, models, "
		    "models_deny, id, team_id, name, hmac, created_at) SELECT "
		    "?, ?, ?, ?, ?, ?, ?, ?, id, ?, ?, strftime('%s','now') "
		    "FROM teams WHERE name = ?", -1, &s, NULL) != SQLITE_OK) {
			op->err = GW_ERR_STORAGE;
			break;
		}
		bind_limits(s, 1, &op->limits, op->set_mask);
		sqlite3_bind_text(s, 8, op->key_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 9, op->name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 10, op->hmac, 32, SQLITE_STATIC);
		sqlite3_bind_text(s, 11, op->team, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		op->err = store_map_rc(rc);
		if (op->err == GW_OK && sqlite3_changes(db) == 0)
			op->err = GW_ERR_NOTFOUND;
		if (op->err == GW_OK)
			op->err = bump_keys_version(db);
		break;
	case STORE_KEY_LIST:
		op->err = query_json(db, "SELECT k.id, t.name AS team, k.name, "
		    "k.created_at, k.revoked_at, k.budget, k.budget_currency, "
		    "k.budget_period, k.rpm, k.tpm, k.models, k.models_deny "
		    "FROM keys k JOIN teams t ON "
		    "t.id = k.team_id WHERE ?1 = '' OR t.name = ?1 "
		    "ORDER BY k.created_at, k.id", op->team, 0, &op->json);
		break;
	case STORE_KEY_REVOKE:
		op->err = run_simple(db, "UPDATE keys SET revoked_at = "
		    "strftime('%s','now') WHERE id = ? AND revoked_at IS NULL",
		    op->key_id, NULL, &changes);
		if (op->err == GW_OK && changes == 0)
			op->err = GW_ERR_NOTFOUND;
		if (op->err == GW_OK)
			op->err = bump_keys_version(db);
		break;
	case STORE_KEYS_LOAD:
		op->err = keys_load(db, op);
		break;
	case STORE_AUDIT_APPEND:
		op->err = audit_append(st, &op->rec);
		if (op->err == GW_OK && op->spend != NULL && op->spend->settle)
			op->err = ledger_settle(st, op->spend, op->rec.upstream,
			    op->rec.ts_ms);
		if (op->err == GW_OK && op->n_objs > 0)
			op->err = objects_write(st, &op->rec, op->objs,
			    op->n_objs);
		break;
	case STORE_OBJECTS_LOAD:
		op->err = objects_load(st, op);
		break;
	case STORE_OBJECTS_LIST:
		op->err = objects_list(st, op);
		break;
	case STORE_OBJECTS_FORGET:
		op->err = objects_write(st, &op->rec, op->objs, op->n_objs);
		break;
	case STORE_TEAM_DELETE:
		op->err = objects_team_delete(st, op);
		if (op->err == GW_OK)
			op->err = bump_keys_version(db);
		break;
	case STORE_RESERVE:
		op->err = ledger_reserve(st, op->spend);
		break;
	case STORE_LIMITS_SET:
		op->err = limits_set(db, op);
		break;
	case STORE_SPEND_REPORT:
		op->err = ledger_report(st, op);
		break;
	case STORE_REQUEST_LIST:
		op->err = query_json(db, "SELECT request_id, ts, key_id, team, "
		    "method, path, model, upstream, status, prompt_tokens, "
		    "completion_tokens, latency_us, error, streamed, pii, region, "
		    "route FROM audit WHERE kind = 'request' ORDER BY seq DESC "
		    "LIMIT ?", NULL, op->limit > 0 ? op->limit : 100, &op->json);
		break;
	case STORE_AUDIT_CHECKPOINT:
		op->err = audit_checkpoint(st, op->to_ms);
		break;
	case STORE_AUDIT_PURGE:
		op->err = audit_purge(st, op);
		break;
	case STORE_SUBJECT_ERASE:
		op->err = audit_subject_erase(st, op);
		break;
	case STORE_AUDIT_VERIFY:
		op->err = audit_verify(st, op);
		break;
	case STORE_AUDIT_PAGE:
		op->err = audit_page(st, op);
		break;
	case STORE_AUDIT_CHECKPOINTS:
		op->err = audit_checkpoints(st, op);
		break;
	case STORE_PROCESSING_REPORT:
		op->err = audit_processing_report(st, op);
		break;
	default:
		op->err = GW_ERR_INVAL;
	}
}

/* Inside the write transaction: when another process committed since
 * our last batch, what the writer caches (budget sums, the chain head)
 * is read again. */
static enum gw_err
sync_others(struct store *st)
{
	int64_t v;

	sqlite3_reset(st->st_dv);
	if (sqlite3_step(st->st_dv) != SQLITE_ROW) {
		sqlite3_reset(st->st_dv);
		return GW_ERR_STORAGE;
	}
	v = sqlite3_column_int64(st->st_dv, 0);
	sqlite3_reset(st->st_dv);
	if (v == st->data_version)
		return GW_OK;
	st->data_version = v;
	ledger_forget(st);
	return audit_load_head(st);
}

/* Runs one batch in one transaction (on the reader, one snapshot); a
 * failed commit fails every op. */
/* Steps BEGIN or COMMIT, prepared once. */
static enum gw_err
step_once(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("storage: %s", log_q(sqlite3_errmsg(st->db)));
		return GW_ERR_STORAGE;
	}
	return GW_OK;
}

static unsigned
run_batch(struct store *st, struct store_op *batch)
{
	struct store_op *op;
	enum gw_err err = step_once(st, st->st_begin);
	unsigned n = 0;

	if (err == GW_OK && !st->readonly)
		err = sync_others(st);

	for (op = batch; op != NULL; op = op->next, n++) {
		if (err != GW_OK)
			op->err = err;
		else
			run_op(st, op);
	}
	if (err == GW_OK && step_once(st, st->st_commit) != GW_OK) {
		store_exec(st->db, "ROLLBACK");
		err = GW_ERR_STORAGE;
	}
	if (err != GW_OK) {
		for (op = batch; op != NULL; op = op->next)
			op->err = err;
		ledger_forget(st);
		if (!st->readonly && audit_load_head(st) != GW_OK)
			log_error("storage: cannot reload the audit chain head");
	}
	return n;
}

static void checkpoint_catchup(struct store *st);

static void *
writer_main(void *arg)
{
	struct store *st = arg;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		struct store_op *batch, *tail;
		unsigned n;

		int copy;

		while (st->queue == NULL && !st->stop) {
			if (st->cp_catchup) {
				/* Idle: the copy delays no request. */
				st->cp_catchup = 0;
				pthread_mutex_unlock(&st->lock);
				checkpoint_catchup(st);
				pthread_mutex_lock(&st->lock);
				continue;
			}
			st->idle = 1;
			pthread_cond_wait(&st->work, &st->lock);
			st->idle = 0;
		}
		if (st->queue == NULL)
			break;
		batch = st->queue;
		tail = st->queue_tail;
		st->queue = st->queue_tail = NULL;
		st->busy = 1;
		/* Never idle (a steady load): copy before this batch once the
		 * WAL has grown by another checkpoint's worth. */
		copy = st->cp_catchup && st->wal_size >= 2 * st->wal_every;
		if (copy)
			st->cp_catchup = 0;
		pthread_mutex_unlock(&st->lock);

		if (copy)
			checkpoint_catchup(st);
		n = run_batch(st, batch);

		pthread_mutex_lock(&st->lock);
		st->stats.transactions++;
		st->stats.ops += n;
		st->busy = 0;
		if (st->done_tail != NULL)
			st->done_tail->next = batch;
		else
			st->done = batch;
		st->done_tail = tail;
		pthread_cond_broadcast(&st->drained);
		if (st->notify != NULL)
			event_active(st->notify, EV_READ, 0);
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* On the loop thread: run the done callbacks of finished operations. */
static void
run_done(struct store *st)
{
	struct store_op *op;
	unsigned n = 0;

	pthread_mutex_lock(&st->lock);
	op = st->done;
	st->done = st->done_tail = NULL;
	pthread_mutex_unlock(&st->lock);
	while (op != NULL) {
		struct store_op *next = op->next;

		op->next = NULL;
		n++;
		if (op->done != NULL)
			op->done(op);
		op = next;
	}
	if (n > 0) {
		pthread_mutex_lock(&st->lock);
		st->pending -= n;
		pthread_mutex_unlock(&st->lock);
	}
}

static void
notify_cb(evutil_socket_t fd, short what, void *arg)
{
	run_done(arg);
}

/* On the loop, after the events that were ready with the submission. */
static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;

	int wake;

	st->kicked = 0;
	pthread_mutex_lock(&st->lock);
	wake = st->idle && st->queue != NULL;
	pthread_mutex_unlock(&st->lock);
	/* Signalled after the unlock, the writer does not wake up only to
	 * wait for the mutex. */
	if (wake)
		pthread_cond_signal(&st->work);
}

/* Crash recovery: open reservations are recorded as interrupted and
 * settled as charged, in one transaction. */
static enum gw_err
recover(struct store *st)
{
	int64_t now_ms = (int64_t)util_wall_s() * 1000;
	int n_audit = 0, n_open = 0;

	if (store_exec(st->db, "BEGIN IMMEDIATE") != GW_OK)
		return GW_ERR_STORAGE;
	if (audit_recover(st, now_ms, &n_audit) != GW_OK ||
	    ledger_recover(st, now_ms, &n_open) != GW_OK ||
	    store_exec(st->db, "COMMIT") != GW_OK) {
		store_exec(st->db, "ROLLBACK");
		return GW_ERR_STORAGE;
	}
	if (n_open > 0)
		log_warn("storage: %d requests interrupted by a crash recorded; "
		    "their reservations settled as charged", n_open);
	return GW_OK;
}

#define STORE_WAL_PAGES 1000	/* SQLite's auto-checkpoint size: 4 MB */

/* On the writer thread, after each commit: pages is the WAL's size. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store *st = arg;

	if (pages < st->wal_size)	/* the WAL started over */
		st->wal_next = st->wal_every;
	st->wal_size = pages;
	if (pages >= st->wal_next) {
		/* Again only after as many more pages: a reader that keeps
		 * the WAL from starting over does not make checkpoints run
		 * back to back. */
		st->wal_next = pages + st->wal_every;
		pthread_mutex_lock(&st->lock);
		st->cp_want = 1;
		pthread_cond_signal(&st->cp_wake);
		pthread_mutex_unlock(&st->lock);
	}
	return SQLITE_OK;
}

/* On the writer, between transactions (idle when it can be): copies
 * what was committed while the checkpointer ran, so that the next
 * transaction starts the WAL over. */
static void
checkpoint_catchup(struct store *st)
{
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_warn("storage: WAL checkpoint failed: %s",
		    log_q(sqlite3_errmsg(st->db)));
}

static void *
checkpointer_main(void *arg)
{
	struct store *st = arg;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		int rc;

		while (!st->cp_want && !st->stop)
			pthread_cond_wait(&st->cp_wake, &st->lock);
		if (st->stop)
			break;
		st->cp_want = 0;
		pthread_mutex_unlock(&st->lock);
		/* PASSIVE: copies what no reader still needs, never waits
		 * for the writer, which keeps appending meanwhile. */
		rc = sqlite3_wal_checkpoint_v2(st->cp_db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("storage: WAL checkpoint failed: %s",
			    log_q(sqlite3_errmsg(st->cp_db)));
		pthread_mutex_lock(&st->lock);
		st->stats.wal_checkpoints++;
		st->cp_catchup = 1;
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

/* The checkpointer's connection and thread (writer stores only). */
static enum gw_err
checkpointer_start(struct store *st, const char *path,
    const struct store_conf *conf)
{
	if (sqlite3_open_v2(path, &st->cp_db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    store_exec(st->cp_db, conf->full_sync ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL") != GW_OK) {
		log_error("storage: cannot open the checkpoint connection");
		return GW_ERR_STORAGE;
	}
	sqlite3_busy_timeout(st->cp_db, 5000);
	sqlite3_wal_hook(st->db, wal_hook, st);	/* replaces auto-checkpoints */
	if (pthread_create(&st->cp_thread, NULL, checkpointer_main, st) != 0) {
		sqlite3_wal_autocheckpoint(st->db, st->wal_every);
		return GW_ERR_STORAGE;
	}
	st->cp_running = 1;
	return GW_OK;
}

static void
checkpointer_stop(struct store *st)
{
	if (st->cp_running) {
		pthread_mutex_lock(&st->lock);
		st->stop = 1;
		pthread_cond_broadcast(&st->cp_wake);
		pthread_mutex_unlock(&st->lock);
		pthread_join(st->cp_thread, NULL);
		st->cp_running = 0;
	}
	sqlite3_close(st->cp_db);	/* the writer's close checkpoints last */
	st->cp_db = NULL;
}

static enum gw_err
open_db(struct store *st, const char *path, const struct store_conf *conf)
{
	int flags = conf->readonly ? SQLITE_OPEN_READONLY :
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	if (sqlite3_open_v2(path, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		log_error("storage: cannot open %s: %s", log_q(path),
		    log_q(st->db ? sqlite3_errmsg(st->db) : "out of memory"));
		return GW_ERR_STORAGE;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (conf->readonly)
		return store_exec(st->db, "PRAGMA query_only=ON");
	if (store_exec(st->db, "PRAGMA journal_mode=WAL") != GW_OK ||
	    store_exec(st->db, conf->full_sync ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL") != GW_OK ||
	    store_exec(st->db, "PRAGMA foreign_keys=ON") != GW_OK ||
	    migrate(st->db) != GW_OK)
		return GW_ERR_STORAGE;
	return GW_OK;
}

enum gw_err
store_open(const char *path, const struct store_conf *conf,
    struct event_base *base, struct store **out)
{
	struct store *st = calloc(1, sizeof(*st));
	enum gw_err err = GW_ERR_STORAGE;

	if (st == NULL)
		return GW_ERR_NOMEM;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->work, NULL);
	pthread_cond_init(&st->drained, NULL);
	pthread_cond_init(&st->cp_wake, NULL);
	st->readonly = conf->readonly;
	if (open_db(st, path, conf) != GW_OK)
		goto out;
	if ((err = audit_open(st, conf)) != GW_OK)
		goto out;
	err = GW_ERR_STORAGE;
	if (!st->readonly && (ledger_open(st) != GW_OK || recover(st) != GW_OK ||
	    sqlite3_prepare_v3(st->db, "PRAGMA data_version", -1,
	    SQLITE_PREPARE_PERSISTENT, &st->st_dv, NULL) != SQLITE_OK))
		goto out;
	if (sqlite3_prepare_v3(st->db, st->readonly ? "BEGIN" :
	    "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT, &st->st_begin,
	    NULL) != SQLITE_OK || sqlite3_prepare_v3(st->db, "COMMIT", -1,
	    SQLITE_PREPARE_PERSISTENT, &st->st_commit, NULL) != SQLITE_OK)
		goto out;
	st->data_version = -1;	/* the first batch loads it */
	st->wal_every = conf->wal_pages > 0 ? conf->wal_pages : STORE_WAL_PAGES;
	st->wal_next = st->wal_every;
	if (base != NULL) {
		st->notify = event_new(base, -1, 0, notify_cb, st);
		st->kick = event_new(base, -1, 0, kick_cb, st);
		if (st->notify == NULL || st->kick == NULL)
			goto out;
	}
	if (!st->readonly && checkpointer_start(st, path, conf) != GW_OK)
		goto out;
	if (pthread_create(&st->thread, NULL, writer_main, st) != 0)
		goto out;
	*out = st;
	return GW_OK;
out:
	checkpointer_stop(st);
	if (st->notify != NULL)
		event_free(st->notify);
	if (st->kick != NULL)
		event_free(st->kick);
	ledger_close(st);
	audit_close(st);
	sqlite3_finalize(st->st_dv);
	sqlite3_finalize(st->st_begin);
	sqlite3_finalize(st->st_commit);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->work);
	pthread_cond_destroy(&st->drained);
	pthread_cond_destroy(&st->cp_wake);
	free(st);
	return err;
}

void
store_submit(struct store *st, struct store_op *op)
{
	op->next = NULL;
	op->err = GW_OK;
	pthread_mutex_lock(&st->lock);
	if (st->queue_tail != NULL)
		st->queue_tail->next = op;
	else
		st->queue = op;
	st->queue_tail = op;
	st->pending++;
	/* A busy writer takes the whole queue after its commit anyway; an
	 * idle one is woken after the loop's other ready events. */
	if (st->idle && st->kick == NULL)
		pthread_cond_signal(&st->work);
	pthread_mutex_unlock(&st->lock);
	if (st->kick != NULL && !st->kicked) {
		st->kicked = 1;
		event_active(st->kick, 0, 0);
	}
}

void
store_get_stats(struct store *st, struct store_stats *out)
{
	pthread_mutex_lock(&st->lock);
	*out = st->stats;
	pthread_mutex_unlock(&st->lock);
}

void
store_flush(struct store *st)
{
	for (;;) {
		pthread_mutex_lock(&st->lock);
		if (st->idle && st->queue != NULL)
			pthread_cond_signal(&st->work);	/* a pending kick */
		while (st->queue != NULL || st->busy)
			pthread_cond_wait(&st->drained, &st->lock);
		if (st->pending == 0) {
			pthread_mutex_unlock(&st->lock);
			return;
		}
		pthread_mutex_unlock(&st->lock);
		run_done(st);
	}
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	store_flush(st);
	pthread_mutex_lock(&st->lock);
	st->stop = 1;
	pthread_cond_broadcast(&st->work);
	pthread_mutex_unlock(&st->lock);
	pthread_join(st->thread, NULL);
	checkpointer_stop(st);
	run_done(st);
	if (st->notify != NULL)
		event_free(st->notify);
	if (st->kick != NULL)
		event_free(st->kick);
	ledger_close(st);
	audit_close(st);
	sqlite3_finalize(st->st_dv);
	sqlite3_finalize(st->st_begin);
	sqlite3_finalize(st->st_commit);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->work);
	pthread_cond_destroy(&st->drained);
	pthread_cond_destroy(&st->cp_wake);
	free(st);
}

void
store_op_cleanup(struct store_op *op)
{
	if (op->json != NULL)
		json_decref(op->json);
	op->json = NULL;
	free(op->rows);
	op->rows = NULL;
	op->n_rows = 0;
	free(op->text);
	op->text = NULL;
	op->text_len = 0;
}
