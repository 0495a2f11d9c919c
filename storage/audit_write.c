/*
 * The audit log, writer side: records appended to a hash chain, signed
 * checkpoints, crash recovery, retention and subject erasure. Runs on
 * the writer thread only, which keeps the chain head in memory.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "storage/audit_write.h"
#include "storage/chain.h"
#include "storage/schema.h"
#include "storage/sql.h"

/* Most records one retention op removes (one transaction). */
#define PURGE_CHUNK 50000

/* The chain's head and its statements, kept by the writer thread. */
struct audit_chain {
	sqlite3_stmt *st_audit, *st_cp;
	int64_t seq;			/* the last record's seq; 0: none */
	unsigned char head[32];		/* its hash (zeros before the first) */
	int64_t cp_seq;			/* the last checkpoint's seq */
	int64_t cp_every;		/* records between checkpoints */
};

enum gw_err
audit_load_head(struct sqlite_store *st)
{
	struct audit_chain *c = st->chain;
	sqlite3_stmt *s;
	int rc, found = 0;

	c->seq = 0;
	memset(c->head, 0, sizeof(c->head));
	/* The last record, else (everything purged) the last checkpoint. */
	if (sqlite3_prepare_v2(st->db, "SELECT seq, hash FROM audit ORDER BY "
	    "seq DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == 32) {
		c->seq = sqlite3_column_int64(s, 0);
		memcpy(c->head, sqlite3_column_blob(s, 1), 32);
		found = 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return GW_ERR_STORAGE;
	if (!found) {
		if (sqlite3_prepare_v2(st->db, "SELECT seq, head FROM "
		    "audit_checkpoints ORDER BY seq DESC LIMIT 1", -1, &s,
		    NULL) != SQLITE_OK)
			return GW_ERR_STORAGE;
		if (sqlite3_step(s) == SQLITE_ROW &&
		    sqlite3_column_bytes(s, 1) == 32) {
			c->seq = sqlite3_column_int64(s, 0);
			memcpy(c->head, sqlite3_column_blob(s, 1), 32);
		}
		sqlite3_finalize(s);
	}
	if (sql_query_i64(st->db, "SELECT max(seq) FROM audit_checkpoints", 0,
	    &c->cp_seq) != GW_OK)
		return GW_ERR_STORAGE;
	if (c->cp_seq < 0)
		c->cp_seq = 0;
	return GW_OK;
}

static void
bind_hash(sqlite3_stmt *s, int i, const unsigned char *h, int has)
{
	if (has)
		sqlite3_bind_blob(s, i, h, 32, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

enum gw_err
audit_append(struct sqlite_store *st, const struct store_request *r)
{
	struct audit_chain *c = st->chain;
	sqlite3_stmt *s = c->st_audit;
	unsigned char hash[32];
	int64_t seq = c->seq + 1;
	const char *const text[] = { r->request_id, r->key_id, r->team,
		r->client, r->method, r->path, r->model, r->upstream, r->region,
		r->policy, r->verdicts, r->route, r->pii };
	int rc;

	chain_hash(r, seq, c->head, hash);
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, r->ts_ms);
	sqlite3_bind_text(s, 3, r->kind, -1, SQLITE_STATIC);
	for (int i = 0; i < 13; i++)
		sql_bind_text_static(s, 4 + i, text[i]);
	sqlite3_bind_int(s, 17, r->zdr);
	sqlite3_bind_int(s, 18, r->streamed);
	sqlite3_bind_int(s, 19, r->status);
	sql_bind_text_static(s, 20, r->error);
	sql_bind_num(s, 21, r->prompt_tokens);
	sql_bind_num(s, 22, r->completion_tokens);
	sql_bind_num(s, 23, r->cost[0]);
	sql_bind_num(s, 24, r->cost[1]);
	sqlite3_bind_int64(s, 25, r->latency_us);
	bind_hash(s, 26, r->req_hash, r->has_req_hash);
	bind_hash(s, 27, r->resp_hash, r->has_resp_hash);
	bind_hash(s, 28, c->head, 1);
	bind_hash(s, 29, hash, 1);
	bind_hash(s, 30, r->subject, r->has_subject);
	rc = sqlite3_step(s);
	/* Every parameter is bound again before the next step: no
	 * sqlite3_clear_bindings (it costs as much as the binds). */
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return sql_map_rc(rc);
	c->seq = seq;
	memcpy(c->head, hash, 32);
	if (c->cp_every > 0 && seq - c->cp_seq >= c->cp_every)
		return audit_checkpoint(st, r->ts_ms);
	return GW_OK;
}

enum gw_err
audit_checkpoint(struct sqlite_store *st, int64_t now_ms)
{
	struct audit_chain *c = st->chain;
	sqlite3_stmt *s = c->st_cp;
	unsigned char sig[CHAIN_SIG_LEN];
	char msg[160];
	size_t n;
	int rc;

	if (st->sign_key == NULL || c->seq <= c->cp_seq)
		return GW_OK;
	n = chain_checkpoint_msg(c->seq, c->head, now_ms, msg, sizeof(msg));
	if (n == 0 || chain_sign(st->sign_key, msg, n, sig) != 0)
		return GW_ERR_CRYPTO;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, c->seq);
	sqlite3_bind_blob(s, 2, c->head, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now_ms);
	sqlite3_bind_blob(s, 4, sig, sizeof(sig), SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return sql_map_rc(rc);
	c->cp_seq = c->seq;
	return GW_OK;
}

enum gw_err
audit_recover(struct sqlite_store *st, int64_t now_ms)
{
	sqlite3_stmt *s;
	enum gw_err err = GW_OK;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT request_id, ts, team, key_id, "
	    "model, method, path, client, reserved_eur, reserved_usd FROM "
	    "ledger WHERE state = 'reserved' ORDER BY ts", -1, &s, NULL) !=
	    SQLITE_OK)
		return GW_ERR_STORAGE;
	while (err == GW_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_request r;

		memset(&r, 0, sizeof(r));
		snprintf(r.kind, sizeof(r.kind), "request");
		sql_column_text(s, 0, r.request_id, sizeof(r.request_id));
		r.ts_ms = sqlite3_column_int64(s, 1);
		sql_column_text(s, 2, r.team, sizeof(r.team));
		sql_column_text(s, 3, r.key_id, sizeof(r.key_id));
		sql_column_text(s, 4, r.model, sizeof(r.model));
		sql_column_text(s, 5, r.method, sizeof(r.method));
		sql_column_text(s, 6, r.path, sizeof(r.path));
		sql_column_text(s, 7, r.client, sizeof(r.client));
		r.cost[0] = sql_column_num(s, 8);
		r.cost[1] = sql_column_num(s, 9);
		r.prompt_tokens = r.completion_tokens = -1;
		r.latency_us = now_ms > r.ts_ms ? (now_ms - r.ts_ms) * 1000 : 0;
		snprintf(r.error, sizeof(r.error), "interrupted");
		err = audit_append(st, &r);
	}
	sqlite3_finalize(s);
	return err;
}

/* Imports the requests table of schema 4 and older into the chain. */
static enum gw_err
import_legacy(struct sqlite_store *st)
{
	sqlite3_stmt *s;
	enum gw_err err = GW_OK;
	int64_t exists, n = 0;
	int rc;

	if (sql_query_i64(st->db, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name = 'requests'", 0, &exists) != GW_OK)
		return GW_ERR_STORAGE;
	if (exists <= 0)
		return GW_OK;
	if (sql_exec(st->db, "BEGIN IMMEDIATE") != GW_OK)
		return GW_ERR_STORAGE;
	if (sqlite3_prepare_v2(st->db, "SELECT request_id, ts, key_id, team, "
	    "method, path, model, upstream, status, prompt_tokens, "
	    "completion_tokens, latency_us, error, streamed, pii, region, "
	    "route FROM requests ORDER BY id", -1, &s, NULL) != SQLITE_OK) {
		sql_exec(st->db, "ROLLBACK");
		return GW_ERR_STORAGE;
	}
	while (err == GW_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_request r;

		memset(&r, 0, sizeof(r));
		snprintf(r.kind, sizeof(r.kind), "request");
		sql_column_text(s, 0, r.request_id, sizeof(r.request_id));
		r.ts_ms = sqlite3_column_int64(s, 1);
		sql_column_text(s, 2, r.key_id, sizeof(r.key_id));
		sql_column_text(s, 3, r.team, sizeof(r.team));
		sql_column_text(s, 4, r.method, sizeof(r.method));
		sql_column_text(s, 5, r.path, sizeof(r.path));
		sql_column_text(s, 6, r.model, sizeof(r.model));
		sql_column_text(s, 7, r.upstream, sizeof(r.upstream));
		r.status = sqlite3_column_int(s, 8);
		r.prompt_tokens = sql_column_num(s, 9);
		r.completion_tokens = sql_column_num(s, 10);
		r.latency_us = sqlite3_column_int64(s, 11);
		sql_column_text(s, 12, r.error, sizeof(r.error));
		r.streamed = sqlite3_column_int(s, 13);
		sql_column_text(s, 14, r.pii, sizeof(r.pii));
		sql_column_text(s, 15, r.region, sizeof(r.region));
		sql_column_text(s, 16, r.route, sizeof(r.route));
		r.cost[0] = r.cost[1] = -1;
		err = audit_append(st, &r);
		n++;
	}
	sqlite3_finalize(s);
	if (err == GW_OK)
		err = sql_exec(st->db, "DROP TABLE requests");
	if (err == GW_OK)
		err = sql_exec(st->db, "COMMIT");
	if (err != GW_OK) {
		sql_exec(st->db, "ROLLBACK");
		return audit_load_head(st) == GW_OK ? err : GW_ERR_STORAGE;
	}
	if (n > 0)
		log_info("storage: %lld request records moved into the audit "
		    "chain", (long long)n);
	return GW_OK;
}

enum gw_err
audit_open(struct sqlite_store *st, const struct store_conf *conf)
{
	struct audit_chain *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return GW_ERR_NOMEM;
	st->chain = c;
	c->cp_every = conf->checkpoint_every;
	if (sql_prepare(st->db, "INSERT INTO audit(" AUDIT_COLUMNS ") "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, "
	    "?27, ?28, ?29, ?30)", &c->st_audit) != GW_OK ||
	    sql_prepare(st->db, "INSERT INTO audit_checkpoints(seq, head, ts, "
	    "sig) VALUES(?, ?, ?, ?)", &c->st_cp) != GW_OK ||
	    audit_load_head(st) != GW_OK)
		return GW_ERR_STORAGE;
	return import_legacy(st);
}

void
audit_close(struct sqlite_store *st)
{
	struct audit_chain *c = st->chain;

	if (c == NULL)
		return;
	sqlite3_finalize(c->st_audit);
	sqlite3_finalize(c->st_cp);
	free(c);
	st->chain = NULL;
}

/*
 * Removes the records older than op->to_ms up to a checkpoint, so that
 * the chain still starts at a signed head, at most PURGE_CHUNK records
 * per op (op->more asks for another), and records the purge itself.
 */
enum gw_err
audit_purge(struct sqlite_store *st, struct store_op *op)
{
	int64_t last, first, end;
	struct store_request r;
	enum gw_err err;

	op->count = 0;
	op->more = 0;
	if (sql_query_i64(st->db, "SELECT max(c.seq) FROM audit_checkpoints c "
	    "JOIN audit a ON a.seq = c.seq WHERE a.ts < ?", op->to_ms, &last) !=
	    GW_OK || sql_query_i64(st->db, "SELECT min(seq) FROM audit", 0,
	    &first) != GW_OK)
		return GW_ERR_STORAGE;
	if (last < 0 || first < 0 || last < first)
		return GW_OK;
	end = last;
	if (last - first >= PURGE_CHUNK) {
		/* The furthest checkpoint within a chunk, else the next. */
		if (sql_query_i64(st->db, "SELECT max(seq) FROM "
		    "audit_checkpoints WHERE seq < ?", first + PURGE_CHUNK,
		    &end) != GW_OK)
			return GW_ERR_STORAGE;
		if (end < first && sql_query_i64(st->db, "SELECT min(seq) FROM "
		    "audit_checkpoints WHERE seq >= ?", first, &end) != GW_OK)
			return GW_ERR_STORAGE;
		op->more = end < last;
	}
	{
		sqlite3_stmt *s;
		int rc;

		if (sqlite3_prepare_v2(st->db, "DELETE FROM audit WHERE "
		    "seq <= ?", -1, &s, NULL) != SQLITE_OK)
			return GW_ERR_STORAGE;
		sqlite3_bind_int64(s, 1, end);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return GW_ERR_STORAGE;
		op->count = sqlite3_changes(st->db);
		if (sqlite3_prepare_v2(st->db, "DELETE FROM audit_checkpoints "
		    "WHERE seq < ?", -1, &s, NULL) != SQLITE_OK)
			return GW_ERR_STORAGE;
		sqlite3_bind_int64(s, 1, end);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return GW_ERR_STORAGE;
	}
	memset(&r, 0, sizeof(r));
	snprintf(r.kind, sizeof(r.kind), "system");
	snprintf(r.path, sizeof(r.path), "retention");
	snprintf(r.verdicts, sizeof(r.verdicts), "purged=%lld..%lld",
	    (long long)first, (long long)end);
	r.ts_ms = op->from_ms;	/* now */
	r.status = 200;
	r.prompt_tokens = r.completion_tokens = r.cost[0] = r.cost[1] = -1;
	err = audit_append(st, &r);
	if (err == GW_OK)
		log_info("audit: retention removed records %lld..%lld",
		    (long long)first, (long long)end);
	return err;
}

enum gw_err
audit_subject_erase(struct sqlite_store *st, struct store_op *op)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "UPDATE audit SET subject = NULL WHERE "
	    "subject = ?", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	sqlite3_bind_blob(s, 1, op->aq.subject, 32, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	op->count = sqlite3_changes(st->db);
	return sql_map_rc(rc);
}
