/*
 * The PostgreSQL backend: connections and the instance's lock, its
 * parts and kinds tables, open, close, and the writer's maintenance
 * (heartbeat, recovery of instances that died).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "storage/chain.h"
#include "storage/pg_admins.h"
#include "storage/pg_audit.h"
#include "storage/pg_audit_read.h"
#include "storage/pg_ledger.h"
#include "storage/pg_objects.h"
#include "storage/pg_rates.h"
#include "storage/pg_schema.h"
#include "storage/pg_sql.h"
#include "storage/pg_teams.h"
#include "storage/pg_writer.h"

/* As sqlite_parts: the chain first, so that its recovery records the
 * requests whose entries the ledger's then charges. */
const struct pg_part pg_parts[] = {
	{ "audit chain", pg_audit_open, pg_audit_close, pg_audit_recover,
	    pg_audit_load_head, NULL, NULL },
	{ "ledger", pg_ledger_open, pg_ledger_close, pg_ledger_recover,
	    pg_ledger_reload, pg_ledger_begin, pg_ledger_end },
	/* After the ledger: its rows are locked after the budgets'. */
	{ "rate limits", pg_rates_open, pg_rates_close, NULL,
	    pg_rates_reload, pg_rates_begin, pg_rates_end },
};
const size_t pg_n_parts = sizeof(pg_parts) / sizeof(pg_parts[0]);

/* A request's record, its settlement and its objects: one op. */
static enum gw_err
op_audit_append(struct pg_store *st, struct store_op *op)
{
	enum gw_err err = pg_audit_append(st, &op->rec);

	if (err == GW_OK && op->spend != NULL && op->spend->settle)
		err = pg_ledger_settle(st, op->spend, op->rec.upstream,
		    op->rec.ts_ms);
	if (err == GW_OK && op->spend != NULL && op->spend->settle &&
	    op->spend->settled)
		err = pg_rates_charge(st, op->spend);
	if (err == GW_OK && op->n_objs > 0)
		err = pg_objects_write(st, &op->rec, op->objs, op->n_objs);
	return err;
}

/* Rate limits first (they take nothing until the budgets agree), then
 * the budgets, then the request leaves the requests buckets. */
static enum gw_err
op_reserve(struct pg_store *st, struct store_op *op)
{
	struct store_spend *sp = op->spend;
	enum gw_err err = pg_rates_check(st, sp);

	if (err != GW_OK || sp->rate_refused != 0) {
		sp->refused = -1;
		return err;
	}
	err = pg_ledger_reserve(st, op);
	if (err == GW_OK && sp->refused < 0)
		pg_rates_take(st, sp);
	return err;
}

static enum gw_err
op_objects_forget(struct pg_store *st, struct store_op *op)
{
	return pg_objects_write(st, &op->rec, op->objs, op->n_objs);
}

/* Every kind of enum store_op_type, as sqlite_op_kinds has them. */
const struct pg_op_kind pg_op_kinds[STORE_OP_KINDS] = {
	[STORE_TEAM_CREATE] = { "team_create", 1, pg_teams_create },
	[STORE_TEAM_LIST] = { "team_list", 0, pg_teams_list },
	[STORE_KEY_CREATE] = { "key_create", 1, pg_teams_key_create },
	[STORE_KEY_LIST] = { "key_list", 0, pg_teams_key_list },
	[STORE_KEY_REVOKE] = { "key_revoke", 1, pg_teams_key_revoke },
	[STORE_KEYS_LOAD] = { "keys_load", 0, pg_teams_keys_load },
	[STORE_AUDIT_APPEND] = { "audit_append", 1, op_audit_append },
	[STORE_OBJECTS_LOAD] = { "objects_load", 0, pg_objects_load },
	[STORE_OBJECTS_LIST] = { "objects_list", 0, pg_objects_list },
	[STORE_OBJECTS_FORGET] = { "objects_forget", 1, op_objects_forget },
	[STORE_TEAM_DELETE] = { "team_delete", 1, pg_teams_delete },
	[STORE_REQUEST_LIST] = { "request_list", 0, pg_audit_request_list },
	[STORE_RESERVE] = { "reserve", 1, op_reserve },
	[STORE_LIMITS_SET] = { "limits_set", 1, pg_teams_limits_set },
	[STORE_SPEND_REPORT] = { "spend_report", 1, pg_ledger_report },
	[STORE_AUDIT_CHECKPOINT] = { "audit_checkpoint", 1,
	    pg_audit_checkpoint },
	[STORE_AUDIT_PURGE] = { "audit_purge", 1, pg_audit_purge },
	[STORE_SUBJECT_ERASE] = { "subject_erase", 1,
	    pg_audit_subject_erase },
	[STORE_AUDIT_VERIFY] = { "audit_verify", 0, pg_audit_verify },
	[STORE_AUDIT_PAGE] = { "audit_page", 0, pg_audit_page },
	[STORE_AUDIT_CHECKPOINTS] = { "audit_checkpoints", 0,
	    pg_audit_checkpoints },
	[STORE_PROCESSING_REPORT] = { "processing_report", 0,
	    pg_audit_processing_report },
	[STORE_KEY_GET] = { "key_get", 0, pg_teams_key_get },
	[STORE_KEY_ROTATE] = { "key_rotate", 1, pg_teams_key_rotate },
	[STORE_KEYS_TOUCH] = { "keys_touch", 1, pg_teams_keys_touch },
	[STORE_ADMIN_CREATE] = { "admin_create", 1, pg_admins_create },
	[STORE_ADMIN_LIST] = { "admin_list", 0, pg_admins_list },
	[STORE_ADMIN_REVOKE] = { "admin_revoke", 1, pg_admins_revoke },
	[STORE_ADMIN_ROTATE] = { "admin_rotate", 1, pg_admins_rotate },
	[STORE_ADMINS_LOAD] = { "admins_load", 0, pg_admins_load },
};

static enum gw_err
kinds_check(void)
{
	for (int i = 0; i < STORE_OP_KINDS; i++)
		if (pg_op_kinds[i].run == NULL) {
			log_error("storage: operation %d has no PostgreSQL "
			    "handler", i);
			return GW_ERR_INVAL;
		}
	return GW_OK;
}

/* "host:port/db as user" from the URL, for logs; -1 when the URL is not
 * one libpq reads. The password is never part of it. */
static int
describe(const char *url, char *out, size_t len, char *pw, size_t pwlen)
{
	PQconninfoOption *opts = PQconninfoParse(url, NULL);
	const char *host = NULL, *port = NULL, *db = NULL, *user = NULL;

	pw[0] = '\0';
	if (opts == NULL)
		return -1;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0 && host == NULL)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "user") == 0)
			user = o->val;
		else if (strcmp(o->keyword, "password") == 0)
			snprintf(pw, pwlen, "%s", o->val);
	}
	snprintf(out, len, "%s:%s/%s%s%s", host ? host : "localhost",
	    port ? port : "5432", db ? db : "(default)", user ? " as " : "",
	    user ? user : "");
	PQconninfoFree(opts);
	return 0;
}

/* libpq's message, first line, with the password (if it showed) out. */
static void
conn_message(const char *msg, const char *pw, char *out, size_t len)
{
	char *p;

	snprintf(out, len, "%s", msg != NULL ? msg : "");
	out[strcspn(out, "\n")] = '\0';
	if (pw[0] != '\0')
		while ((p = strstr(out, pw)) != NULL)
			memset(p, '*', strlen(pw));
}

/* Takes the instance's session lock: no two running instances write one
 * chain or own one set of reservations. */
static enum gw_err
lock_instance(struct pg_store *st, int wait)
{
	struct pg_args a;
	int64_t got = 0;

	pga_init(&a);
	pga_str(&a, st->instance);
	for (int i = 0; i <= wait * 5; i++) {
		if (i > 0)
			usleep(200000);
		if (pg_i64(st, "SELECT pg_try_advisory_lock(hashtextextended("
		    "'eugate-instance:' || $1::text, 0))::int", &a, &got) !=
		    GW_OK)
			return GW_ERR_STORAGE;
		if (got == 1)
			return GW_OK;
	}
	log_error("storage: another running eugate uses the instance name %s "
	    "on %s: give each instance its own instance_name",
	    log_q(st->instance), st->where);
	return GW_ERR_STORAGE;
}

enum gw_err
pg_connect(struct pg_store *st, int wait)
{
	/* Defaults first: the URL's own settings override them. */
	static const char *const keys[] = { "connect_timeout", "keepalives",
		"keepalives_idle", "keepalives_interval", "keepalives_count",
		"tcp_user_timeout", "fallback_application_name", "dbname",
		NULL };
	const char *vals[] = { "5", "1", "10", "5", "3", "15000", "eugate",
		st->url, NULL };
	char where[200], pw[256], msg[300];

	if (st->conn != NULL)
		PQfinish(st->conn);
	pg_prepared_reset(st);
	st->conn = PQconnectdbParams(keys, vals, 1);
	if (st->conn == NULL || PQstatus(st->conn) != CONNECTION_OK) {
		describe(st->url, where, sizeof(where), pw, sizeof(pw));
		conn_message(st->conn ? PQerrorMessage(st->conn) :
		    "out of memory", pw, msg, sizeof(msg));
		OPENSSL_cleanse(pw, sizeof(pw));
		log_error("storage: cannot connect to PostgreSQL at %s: %s",
		    st->where, log_q(msg));
		PQfinish(st->conn);
		st->conn = NULL;
		return GW_ERR_STORAGE;
	}
	/* A server that hangs (or a row lock that another instance keeps)
	 * fails the statement, and with it the batch: requests get
	 * storage_unavailable instead of waiting for ever. */
	if (pg_exec(st, "SET bytea_output = 'hex'; SET timezone = 'UTC'; "
	    "SET client_min_messages = warning; SET lock_timeout = '10s'; "
	    "SET statement_timeout = '60s'") != GW_OK)
		return GW_ERR_STORAGE;
	if (!st->readonly && lock_instance(st, wait) != GW_OK) {
		/* Never a writer without its name's lock. */
		PQfinish(st->conn);
		st->conn = NULL;
		return GW_ERR_STORAGE;
	}
	return GW_OK;
}

/* The instance is registered; one that hashes keys with another secret
 * is said in the log: its keys would fail here, and ours there. */
static enum gw_err
register_instance(struct pg_store *st, int64_t now_ms)
{
	struct pg_args a;
	PGresult *res;

	pga_init(&a);
	pga_str(&a, st->instance);
	pga_i64(&a, now_ms);
	pga_bytes(&a, st->has_secret_check ? st->secret_check : NULL, 32);
	pga_str(&a, PACKAGE_VERSION);
	if (pg_run(st, "INSERT INTO instances(name, started_at, seen_at, "
	    "secret_check, version) VALUES($1, $2, $2, $3, $4) ON CONFLICT "
	    "(name) DO UPDATE SET started_at = $2, seen_at = $2, secret_check "
	    "= $3, version = $4", &a, NULL) != GW_OK)
		return GW_ERR_STORAGE;
	if (!st->has_secret_check)
		return GW_OK;
	pga_init(&a);
	pga_str(&a, st->instance);
	pga_bytes(&a, st->secret_check, 32);
	res = pg_query(st, "SELECT name FROM instances WHERE name <> $1 AND "
	    "secret_check IS NOT NULL AND secret_check <> $2 ORDER BY name",
	    &a);
	if (res == NULL)
		return GW_ERR_STORAGE;
	for (int i = 0; i < PQntuples(res); i++)
		log_warn("storage: instance %s hashes keys with another secret "
		    "than this one: keys issued on one fail on the other; give "
		    "every instance the same secret.key (or %s)",
		    log_q(PQgetvalue(res, i, 0)), "secret_env");
	PQclear(res);
	return GW_OK;
}

/* Every part's recovery of instance, in one transaction. */
static enum gw_err
recover(struct pg_store *st, const char *instance)
{
	int64_t now_ms = util_wall_s() * 1000;
	enum gw_err err = pg_exec(st, "BEGIN");

	for (size_t i = 0; i < pg_n_parts && err == GW_OK; i++)
		if (pg_parts[i].recover != NULL)
			err = pg_parts[i].recover(st, instance, now_ms);
	if (err == GW_OK)
		err = pg_exec(st, "COMMIT");
	if (err != GW_OK) {
		(void)pg_exec(st, "ROLLBACK");
		for (size_t i = 0; i < pg_n_parts; i++)
			if (pg_parts[i].reload != NULL)
				(void)pg_parts[i].reload(st);
		return GW_ERR_STORAGE;
	}
	return GW_OK;
}

/*
 * Between batches: the heartbeat, and the instances that died with
 * reservations open: their lock is free (a crashed process's session
 * ended) and they were last seen instance_timeout ago (a live one whose
 * connection dropped reconnects sooner). Their reservations are charged
 * and their requests recorded as interrupted, in this instance's chain,
 * while this instance holds their lock (a restart of one waits for it).
 */
enum gw_err
pg_maintain(struct pg_store *st, int64_t now_ms)
{
	struct pg_args a;
	PGresult *res;
	enum gw_err err = GW_OK;

	pga_init(&a);
	pga_str(&a, st->instance);
	pga_i64(&a, now_ms);
	if (pg_run(st, "UPDATE instances SET seen_at = $2 WHERE name = $1",
	    &a, NULL) != GW_OK)
		return GW_ERR_STORAGE;
	pga_init(&a);
	pga_str(&a, st->instance);
	pga_i64(&a, now_ms - st->instance_timeout_ms);
	res = pg_query(st, "SELECT l.instance FROM ledger l LEFT JOIN "
	    "instances i ON i.name = l.instance WHERE l.state = 'reserved' "
	    "AND l.instance <> $1 AND (i.seen_at IS NULL OR i.seen_at < $2) "
	    "GROUP BY l.instance", &a);
	if (res == NULL)
		return GW_ERR_STORAGE;
	for (int i = 0; i < PQntuples(res) && err == GW_OK; i++) {
		const char *name = PQgetvalue(res, i, 0);
		int64_t got;

		pga_init(&a);
		pga_str(&a, name);
		if (pg_i64(st, "SELECT pg_try_advisory_lock(hashtextextended("
		    "'eugate-instance:' || $1::text, 0))::int", &a, &got) !=
		    GW_OK) {
			err = GW_ERR_STORAGE;
			break;
		}
		if (got != 1)
			continue;	/* alive */
		log_warn("storage: instance %s stopped with reservations "
		    "open: recovering them", log_q(name));
		err = recover(st, name);
		if (pg_run(st, "SELECT pg_advisory_unlock(hashtextextended("
		    "'eugate-instance:' || $1::text, 0))", &a, NULL) != GW_OK)
			err = GW_ERR_STORAGE;
	}
	PQclear(res);
	return err;
}

static void
store_free(struct pg_store *st)
{
	for (size_t i = pg_n_parts; i-- > 0;)
		pg_parts[i].close(st);
	EVP_PKEY_free(st->sign_key);
	if (st->conn != NULL)
		PQfinish(st->conn);
	pg_prepared_free(st);
	if (st->url != NULL) {
		OPENSSL_cleanse(st->url, strlen(st->url));
		free(st->url);
	}
	free(st);
}

/* The store's name, URL and description; GW_ERR_CONFIG when the URL is
 * not one libpq reads. */
static enum gw_err
store_new(const char *url, const char *instance, int readonly,
    struct pg_store **out)
{
	struct pg_store *st = calloc(1, sizeof(*st));
	enum gw_err err = GW_OK;
	char pw[256];

	if (st == NULL)
		return GW_ERR_NOMEM;
	st->base.be = &store_backend_pg;
	st->readonly = readonly;
	snprintf(st->instance, sizeof(st->instance), "%s",
	    instance != NULL && *instance ? instance : "default");
	st->url = strdup(url);
	if (st->url == NULL) {
		free(st);
		return GW_ERR_NOMEM;
	}
	if (describe(url, st->where, sizeof(st->where), pw, sizeof(pw)) != 0) {
		log_error("storage: the database URL is not a PostgreSQL "
		    "connection URI (postgresql://user:password@host:port/db)");
		err = GW_ERR_CONFIG;
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	*out = st;
	return err;
}

enum gw_err
pg_bare_open(const char *url, const char *instance, struct pg_store **out)
{
	enum gw_err err = store_new(url, instance, 0, out);

	if (err == GW_OK)
		err = pg_connect(*out, 3);
	if (err == GW_OK)
		err = pg_schema_migrate(*out);
	return err;
}

void
pg_bare_close(struct pg_store *st)
{
	if (st != NULL)
		store_free(st);
}

static enum gw_err
backend_open(const char *url, const struct store_conf *conf,
    struct event_base *base, struct store **out)
{
	struct pg_store *st = NULL;
	enum gw_err err = kinds_check();

	if (err == GW_OK)
		err = store_new(url, conf->instance, conf->readonly, &st);
	if (st == NULL)
		return err;
	if (conf->secret_check != NULL) {
		memcpy(st->secret_check, conf->secret_check, 32);
		st->has_secret_check = 1;
	}
	st->instance_timeout_ms = conf->instance_timeout_ms > 0 ?
	    conf->instance_timeout_ms : 10000;
	if (err == GW_OK)
		err = pg_connect(st, 3);
	if (err == GW_OK && !st->readonly)
		err = pg_schema_migrate(st);
	if (err == GW_OK && conf->audit_key != NULL) {
		err = chain_key_load(conf->audit_key, &st->sign_key);
		if (err == GW_OK) {
			chain_public_key(st->sign_key, st->pub);
			st->has_key = 1;
		}
	}
	for (size_t i = 0; i < pg_n_parts && err == GW_OK && !st->readonly;
	    i++)
		err = pg_parts[i].open(st, conf);
	if (err == GW_OK && !st->readonly)
		err = recover(st, st->instance);
	if (err == GW_OK && !st->readonly)
		err = register_instance(st, util_wall_s() * 1000);
	if (err == GW_OK)
		err = pg_writer_start(st, base);
	if (err != GW_OK) {
		store_free(st);
		return err;
	}
	if (!st->readonly)
		log_info("storage: PostgreSQL at %s, instance %s", st->where,
		    log_q(st->instance));
	*out = &st->base;
	return GW_OK;
}

static void
backend_close(struct store *base)
{
	struct pg_store *st = (struct pg_store *)base;

	pg_writer_stop(st);
	store_free(st);
}

static void
backend_submit(struct store *base, struct store_op *op)
{
	pg_writer_submit((struct pg_store *)base, op);
}

static void
backend_flush(struct store *base)
{
	pg_writer_flush((struct pg_store *)base);
}

static void
backend_get_stats(struct store *base, struct store_stats *out)
{
	pg_writer_get_stats((struct pg_store *)base, out);
}

const struct store_backend store_backend_pg = {
	.name = "postgresql",
	.open = backend_open,
	.close = backend_close,
	.submit = backend_submit,
	.flush = backend_flush,
	.get_stats = backend_get_stats,
};
