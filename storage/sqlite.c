/* The SQLite backend: connections, its parts and kinds tables, open, close. */
#include <stdlib.h>

#include "common/log.h"
#include "common/util.h"
#include "storage/admins.h"
#include "storage/audit_export.h"
#include "storage/audit_verify.h"
#include "storage/audit_write.h"
#include "storage/chain.h"
#include "storage/front.h"
#include "storage/intent.h"
#include "storage/journal.h"
#include "storage/ledger.h"
#include "storage/objects.h"
#include "storage/schema.h"
#include "storage/sql.h"
#include "storage/sqlite.h"
#include "storage/teams.h"
#include "storage/writer.h"

/*
 * The parts, in the order they open and recover: the chain first, so
 * that its recovery records the requests whose ledger entries the
 * ledger's recovery then settles as charged.
 */
const struct sqlite_part sqlite_parts[] = {
	{ "audit chain", audit_open, audit_close, audit_recover,
	    audit_load_head },
	{ "ledger", ledger_open, ledger_close, ledger_recover, NULL },
	{ "intents", intents_open, intents_close, NULL, NULL },
};
const size_t sqlite_n_parts = sizeof(sqlite_parts) / sizeof(sqlite_parts[0]);

/* A request's record, its settlement and the objects it made or
 * deleted upstream: one op, so that they commit together. */
static enum gw_err
op_audit_append(struct sqlite_store *st, struct store_op *op)
{
	enum gw_err err = audit_append(st, &op->rec);

	if (err == GW_OK && op->spend != NULL && op->spend->settle)
		err = ledger_settle(st, op->spend, op->rec.upstream,
		    op->rec.ts_ms);
	if (err == GW_OK && op->n_objs > 0)
		err = objects_write(st, &op->rec, op->objs, op->n_objs);
	return err;
}

static enum gw_err
op_objects_forget(struct sqlite_store *st, struct store_op *op)
{
	return objects_write(st, &op->rec, op->objs, op->n_objs);
}

/* A reservation is decided on the loop (storage/front.c) and reaches
 * the database through the journal, never as an op. */
static enum gw_err
op_reserve(struct sqlite_store *st, struct store_op *op)
{
	log_error("storage: a reservation reached the writer's queue");
	return GW_ERR_INVAL;
}

const struct sqlite_op_kind sqlite_op_budget_load = {
	"budget_load", 1, ledger_used
};

static enum gw_err
op_audit_checkpoint(struct sqlite_store *st, struct store_op *op)
{
	return audit_checkpoint(st, op->to_ms);
}

/* Every kind of enum store_op_type: its name, connection and handler. */
const struct sqlite_op_kind sqlite_op_kinds[STORE_OP_KINDS] = {
	[STORE_TEAM_CREATE] = { "team_create", 1, teams_create },
	[STORE_TEAM_LIST] = { "team_list", 0, teams_list },
	[STORE_KEY_CREATE] = { "key_create", 1, teams_key_create },
	[STORE_KEY_LIST] = { "key_list", 0, teams_key_list },
	[STORE_KEY_REVOKE] = { "key_revoke", 1, teams_key_revoke },
	[STORE_KEYS_LOAD] = { "keys_load", 0, teams_keys_load },
	[STORE_AUDIT_APPEND] = { "audit_append", 1, op_audit_append },
	[STORE_OBJECTS_LOAD] = { "objects_load", 0, objects_load },
	[STORE_OBJECTS_LIST] = { "objects_list", 0, objects_list },
	[STORE_OBJECTS_FORGET] = { "objects_forget", 1, op_objects_forget },
	[STORE_TEAM_DELETE] = { "team_delete", 1, teams_delete },
	[STORE_REQUEST_LIST] = { "request_list", 0, audit_request_list },
	[STORE_RESERVE] = { "reserve", 1, op_reserve },
	[STORE_LIMITS_SET] = { "limits_set", 1, teams_limits_set },
	/* Sums with the ledger's sat_sum(), on the writer's connection. */
	[STORE_SPEND_REPORT] = { "spend_report", 1, ledger_report },
	[STORE_AUDIT_CHECKPOINT] = { "audit_checkpoint", 1,
	    op_audit_checkpoint },
	[STORE_AUDIT_PURGE] = { "audit_purge", 1, audit_purge },
	[STORE_SUBJECT_ERASE] = { "subject_erase", 1, audit_subject_erase },
	[STORE_AUDIT_VERIFY] = { "audit_verify", 0, audit_verify },
	[STORE_AUDIT_PAGE] = { "audit_page", 0, audit_page },
	[STORE_AUDIT_CHECKPOINTS] = { "audit_checkpoints", 0,
	    audit_checkpoints },
	[STORE_PROCESSING_REPORT] = { "processing_report", 0,
	    audit_processing_report },
	[STORE_KEY_GET] = { "key_get", 0, teams_key_get },
	[STORE_KEY_ROTATE] = { "key_rotate", 1, teams_key_rotate },
	[STORE_KEYS_TOUCH] = { "keys_touch", 1, teams_keys_touch },
	[STORE_ADMIN_CREATE] = { "admin_create", 1, admins_create },
	[STORE_ADMIN_LIST] = { "admin_list", 0, admins_list },
	[STORE_ADMIN_REVOKE] = { "admin_revoke", 1, admins_revoke },
	[STORE_ADMIN_ROTATE] = { "admin_rotate", 1, admins_rotate },
	[STORE_ADMINS_LOAD] = { "admins_load", 0, admins_load },
};

/* A kind added to store.h without a row above is caught at open. */
static enum gw_err
kinds_check(void)
{
	for (int i = 0; i < STORE_OP_KINDS; i++)
		if (sqlite_op_kinds[i].run == NULL) {
			log_error("storage: operation %d has no handler", i);
			return GW_ERR_INVAL;
		}
	return GW_OK;
}

static enum gw_err
open_db(struct sqlite_store *st, const char *path,
    const struct store_conf *conf)
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
		return sql_exec(st->db, "PRAGMA query_only=ON");
	if (sql_exec(st->db, "PRAGMA journal_mode=WAL") != GW_OK ||
	    sql_exec(st->db, conf->full_sync ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL") != GW_OK ||
	    sql_exec(st->db, "PRAGMA foreign_keys=ON") != GW_OK ||
	    schema_migrate(st->db) != GW_OK)
		return GW_ERR_STORAGE;
	return GW_OK;
}

/* Crash recovery: every part's, in one transaction. */
static enum gw_err
recover(struct sqlite_store *st)
{
	int64_t now_ms = (int64_t)util_wall_s() * 1000;
	enum gw_err err;

	if (sql_exec(st->db, "BEGIN IMMEDIATE") != GW_OK)
		return GW_ERR_STORAGE;
	err = GW_OK;
	for (size_t i = 0; i < sqlite_n_parts && err == GW_OK; i++)
		if (sqlite_parts[i].recover != NULL)
			err = sqlite_parts[i].recover(st, now_ms);
	if (err == GW_OK)
		err = sql_exec(st->db, "COMMIT");
	if (err != GW_OK) {
		sql_exec(st->db, "ROLLBACK");
		return GW_ERR_STORAGE;
	}
	return GW_OK;
}

/* Replay: the lane's last sequence the database holds. */
static enum gw_err
replay_applied(void *arg, int lane, uint64_t *seq)
{
	return intent_applied(arg, lane, seq);
}

/* Replay: one file's records the database lacks, in one transaction. */
static enum gw_err
replay_records(void *arg, int lane, const unsigned char *p, size_t n)
{
	struct sqlite_store *st = arg;
	uint64_t last = 0;
	enum gw_err err;

	if (sql_exec(st->db, "BEGIN IMMEDIATE") != GW_OK)
		return GW_ERR_STORAGE;
	err = intent_apply(st, lane, p, n, &last);
	if (err == GW_OK)
		err = sql_exec(st->db, "COMMIT");
	if (err != GW_OK) {
		sql_exec(st->db, "ROLLBACK");
		return GW_ERR_STORAGE;
	}
	return GW_OK;
}

/* Frees the store (its writer stopped). */
static void
store_free(struct sqlite_store *st)
{
	front_free(st->front);
	journal_close(st->journal);
	for (size_t i = sqlite_n_parts; i-- > 0;)
		sqlite_parts[i].close(st);
	EVP_PKEY_free(st->sign_key);
	sqlite3_close(st->db);
	free(st);
}

static enum gw_err
backend_open(const char *path, const struct store_conf *conf,
    struct event_base *base, struct store **out)
{
	struct sqlite_store *st;
	enum gw_err err = kinds_check();

	if (err != GW_OK)
		return err;
	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return GW_ERR_NOMEM;
	st->base.be = &store_backend_sqlite;
	st->readonly = conf->readonly;
	err = open_db(st, path, conf);
	if (err == GW_OK && conf->audit_key != NULL) {
		err = chain_key_load(conf->audit_key, &st->sign_key);
		if (err == GW_OK) {
			chain_public_key(st->sign_key, st->pub);
			st->has_key = 1;
		}
	}
	for (size_t i = 0; i < sqlite_n_parts && err == GW_OK &&
	    !st->readonly; i++)
		err = sqlite_parts[i].open(st, conf);
	if (err == GW_OK && !st->readonly) {
		/* What a crash left in the journal goes in first: the
		 * recovery then sees every reservation. */
		struct journal_replay cb = { replay_applied, replay_records,
			st };

		err = journal_open(path, conf->full_sync, &cb, &st->journal);
	}
	if (err == GW_OK && !st->readonly)
		err = recover(st);
	if (err == GW_OK)
		err = writer_start(st, path, conf, base);
	if (err == GW_OK && !st->readonly)
		err = front_new(st, base, conf->full_sync, &st->front);
	if (err != GW_OK) {
		store_free(st);
		return err;
	}
	*out = &st->base;
	return GW_OK;
}

static void
backend_submit(struct store *base, struct store_op *op)
{
	struct sqlite_store *st = (struct sqlite_store *)base;

	if (st->front == NULL || !front_submit(st->front, op))
		writer_submit(st, op);
}

static void
backend_flush(struct store *base)
{
	struct sqlite_store *st = (struct sqlite_store *)base;

	/* The journal's ops and the budgets' loads feed each other. */
	do {
		if (st->front != NULL)
			front_flush(st->front);
		writer_flush(st);
	} while (st->front != NULL && front_pending(st->front) > 0);
}

static void
backend_close(struct store *base)
{
	struct sqlite_store *st = (struct sqlite_store *)base;

	backend_flush(base);
	writer_stop(st);
	store_free(st);
}

static void
backend_get_stats(struct store *base, struct store_stats *out)
{
	writer_get_stats((struct sqlite_store *)base, out);
}

const struct store_backend store_backend_sqlite = {
	.name = "sqlite",
	.open = backend_open,
	.close = backend_close,
	.submit = backend_submit,
	.flush = backend_flush,
	.get_stats = backend_get_stats,
};
