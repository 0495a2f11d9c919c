/*
 * The audit log, writer side: records appended to a hash chain, signed
 * checkpoints, crash recovery, retention and subject erasure. Runs on
 * the writer thread only, which keeps the chain head in memory.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "storage/chain.h"
#include "storage/store_int.h"

/* Most records one retention op removes (one transaction). */
#define PURGE_CHUNK 50000

static enum gw_err
prepare(struct store *st, const char *sql, sqlite3_stmt **out)
{
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
	    NULL) != SQLITE_OK) {
		log_error("storage: %s", log_q(sqlite3_errmsg(st->db)));
		return GW_ERR_STORAGE;
	}
	return GW_OK;
}

/* Runs a query with one int64 parameter returning one int64 (NULL: -1). */
static enum gw_err
query_i64(struct store *st, const char *sql, int64_t arg, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	*out = -1;
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	if (sqlite3_bind_parameter_count(s) > 0)
		sqlite3_bind_int64(s, 1, arg);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? GW_OK : GW_ERR_STORAGE;
}

enum gw_err
audit_load_head(struct store *st)
{
	sqlite3_stmt *s;
	int rc, found = 0;

	st->audit_seq = 0;
	memset(st->audit_head, 0, sizeof(st->audit_head));
	/* The last record, else (everything purged) the last checkpoint. */
	if (sqlite3_prepare_v2(st->db, "SELECT seq, hash FROM audit ORDER BY "
	    "seq DESC LIMIT 1", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 1) == 32) {
		st->audit_seq = sqlite3_column_int64(s, 0);
		memcpy(st->audit_head, sqlite3_column_blob(s, 1), 32);
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
			st->audit_seq = sqlite3_column_int64(s, 0);
			memcpy(st->audit_head, sqlite3_column_blob(s, 1), 32);
		}
		sqlite3_finalize(s);
	}
	if (query_i64(st, "SELECT max(seq) FROM audit_checkpoints", 0,
	    &st->cp_seq) != GW_OK)
		return GW_ERR_STORAGE;
	if (st->cp_seq < 0)
		st->cp_seq = 0;
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
audit_append(struct store *st, const struct store_request *r)
{
	sqlite3_stmt *s = st->st_audit;
	unsigned char hash[32];
	int64_t seq = st->audit_seq + 1;
	const char *const text[] = { r->request_id, r->key_id, r->team,
		r->client, r->method, r->path, r->model, r->upstream, r->region,
		r->policy, r->verdicts, r->route, r->pii };
	int rc;

	chain_hash(r, seq, st->audit_head, hash);
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, seq);
	sqlite3_bind_int64(s, 2, r->ts_ms);
	sqlite3_bind_text(s, 3, r->kind, -1, SQLITE_STATIC);
	for (int i = 0; i < 13; i++)
		store_bind_text(s, 4 + i, text[i]);
	sqlite3_bind_int(s, 17, r->zdr);
	sqlite3_bind_int(s, 18, r->streamed);
	sqlite3_bind_int(s, 19, r->status);
	store_bind_text(s, 20, r->error);
	store_bind_num(s, 21, r->prompt_tokens);
	store_bind_num(s, 22, r->completion_tokens);
	store_bind_num(s, 23, r->cost[0]);
	store_bind_num(s, 24, r->cost[1]);
	sqlite3_bind_int64(s, 25, r->latency_us);
	bind_hash(s, 26, r->req_hash, r->has_req_hash);
	bind_hash(s, 27, r->resp_hash, r->has_resp_hash);
	bind_hash(s, 28, st->audit_head, 1);
	bind_hash(s, 29, hash, 1);
	bind_hash(s, 30, r->subject, r->has_subject);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return store_map_rc(rc);
	st->audit_seq = seq;
	memcpy(st->audit_head, hash, 32);
	if (st->cp_every > 0 && seq - st->cp_seq >= st->cp_every)
		return audit_checkpoint(st, r->ts_ms);
	return GW_OK;
}

enum gw_err
audit_checkpoint(struct store *st, int64_t now_ms)
{
	sqlite3_stmt *s = st->st_cp;
	unsigned char sig[CHAIN_SIG_LEN];
	char msg[160];
	size_t n;
	int rc;

	if (st->sign_key == NULL || st->audit_seq <= st->cp_seq)
		return GW_OK;
	n = chain_checkpoint_msg(st->audit_seq, st->audit_head, now_ms, msg,
	    sizeof(msg));
	if (n == 0 || chain_sign(st->sign_key, msg, n, sig) != 0)
		return GW_ERR_CRYPTO;
	sqlite3_reset(s);
	sqlite3_bind_int64(s, 1, st->audit_seq);
	sqlite3_bind_blob(s, 2, st->audit_head, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, now_ms);
	sqlite3_bind_blob(s, 4, sig, sizeof(sig), SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return store_map_rc(rc);
	st->cp_seq = st->audit_seq;
	return GW_OK;
}

enum gw_err
audit_recover(struct store *st, int64_t now_ms, int *n)
{
	sqlite3_stmt *s;
	enum gw_err err = GW_OK;
	int rc;

	*n = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT request_id, ts, team, key_id, "
	    "model, method, path, client, reserved_eur, reserved_usd FROM "
	    "ledger WHERE state = 'reserved' ORDER BY ts", -1, &s, NULL) !=
	    SQLITE_OK)
		return GW_ERR_STORAGE;
	while (err == GW_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_request r;

		memset(&r, 0, sizeof(r));
		snprintf(r.kind, sizeof(r.kind), "request");
		store_column_text(s, 0, r.request_id, sizeof(r.request_id));
		r.ts_ms = sqlite3_column_int64(s, 1);
		store_column_text(s, 2, r.team, sizeof(r.team));
		store_column_text(s, 3, r.key_id, sizeof(r.key_id));
		store_column_text(s, 4, r.model, sizeof(r.model));
		store_column_text(s, 5, r.method, sizeof(r.method));
		store_column_text(s, 6, r.path, sizeof(r.path));
		store_column_text(s, 7, r.client, sizeof(r.client));
		r.cost[0] = store_column_num(s, 8);
		r.cost[1] = store_column_num(s, 9);
		r.prompt_tokens = r.completion_tokens = -1;
		r.latency_us = now_ms > r.ts_ms ? (now_ms - r.ts_ms) * 1000 : 0;
		snprintf(r.error, sizeof(r.error), "interrupted");
		err = audit_append(st, &r);
		(*n)++;
	}
	sqlite3_finalize(s);
	return err;
}

/* Imports the requests table of schema 4 and older into the chain. */
static enum gw_err
import_legacy(struct store *st)
{
	sqlite3_stmt *s;
	enum gw_err err = GW_OK;
	int64_t exists, n = 0;
	int rc;

	if (query_i64(st, "SELECT count(*) FROM sqlite_master WHERE "
	    "type = 'table' AND name = 'requests'", 0, &exists) != GW_OK)
		return GW_ERR_STORAGE;
	if (exists <= 0)
		return GW_OK;
	if (store_exec(st->db, "BEGIN IMMEDIATE") != GW_OK)
		return GW_ERR_STORAGE;
	if (sqlite3_prepare_v2(st->db, "SELECT request_id, ts, key_id, team, "
	    "method, path, model, upstream, status, prompt_tokens, "
	    "completion_tokens, latency_us, error, streamed, pii, region, "
	    "route FROM requests ORDER BY id", -1, &s, NULL) != SQLITE_OK) {
		store_exec(st->db, "ROLLBACK");
		return GW_ERR_STORAGE;
	}
	while (err == GW_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_request r;

		memset(&r, 0, sizeof(r));
		snprintf(r.kind, sizeof(r.kind), "request");
		store_column_text(s, 0, r.request_id, sizeof(r.request_id));
		r.ts_ms = sqlite3_column_int64(s, 1);
		store_column_text(s, 2, r.key_id, sizeof(r.key_id));
		store_column_text(s, 3, r.team, sizeof(r.team));
		store_column_text(s, 4, r.method, sizeof(r.method));
		store_column_text(s, 5, r.path, sizeof(r.path));
		store_column_text(s, 6, r.model, sizeof(r.model));
		store_column_text(s, 7, r.upstream, sizeof(r.upstream));
		r.status = sqlite3_column_int(s, 8);
		r.prompt_tokens = store_column_num(s, 9);
		r.completion_tokens = store_column_num(s, 10);
		r.latency_us = sqlite3_column_int64(s, 11);
		store_column_text(s, 12, r.error, sizeof(r.error));
		r.streamed = sqlite3_column_int(s, 13);
		store_column_text(s, 14, r.pii, sizeof(r.pii));
		store_column_text(s, 15, r.region, sizeof(r.region));
		store_column_text(s, 16, r.route, sizeof(r.route));
		r.cost[0] = r.cost[1] = -1;
		err = audit_append(st, &r);
		n++;
	}
	sqlite3_finalize(s);
	if (err == GW_OK)
		err = store_exec(st->db, "DROP TABLE requests");
	if (err == GW_OK)
		err = store_exec(st->db, "COMMIT");
	if (err != GW_OK) {
		store_exec(st->db, "ROLLBACK");
		return audit_load_head(st) == GW_OK ? err : GW_ERR_STORAGE;
	}
	if (n > 0)
		log_info("storage: %lld request records moved into the audit "
		    "chain", (long long)n);
	return GW_OK;
}

enum gw_err
audit_open(struct store *st, const struct store_conf *conf)
{
	enum gw_err err;

	if (conf->audit_key != NULL) {
		err = chain_key_load(conf->audit_key, &st->sign_key);
		if (err != GW_OK)
			return err;
		chain_public_key(st->sign_key, st->pub);
		st->has_key = 1;
	}
	st->cp_every = conf->checkpoint_every;
	if (st->readonly)
		return GW_OK;
	if (prepare(st, "INSERT INTO audit(" AUDIT_COLUMNS ") VALUES(?1, ?2, "
	    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
	    "?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
	    &st->st_audit) != GW_OK ||
	    prepare(st, "INSERT INTO audit_checkpoints(seq, head, ts, sig) "
	    "VALUES(?, ?, ?, ?)", &st->st_cp) != GW_OK ||
	    audit_load_head(st) != GW_OK)
		return GW_ERR_STORAGE;
	return import_legacy(st);
}

void
audit_close(struct store *st)
{
	sqlite3_finalize(st->st_audit);
	sqlite3_finalize(st->st_cp);
	EVP_PKEY_free(st->sign_key);
	st->st_audit = st->st_cp = NULL;
	st->sign_key = NULL;
}

/*
 * Removes the records older than op->to_ms up to a checkpoint, so that
 * the chain still starts at a signed head, at most PURGE_CHUNK records
 * per op (op->more asks for another), and records the purge itself.
 */
enum gw_err
audit_purge(struct store *st, struct store_op *op)
{
	int64_t last, first, end;
	struct store_request r;
	enum gw_err err;

	op->count = 0;
	op->more = 0;
	if (query_i64(st, "SELECT max(c.seq) FROM audit_checkpoints c JOIN "
	    "audit a ON a.seq = c.seq WHERE a.ts < ?", op->to_ms, &last) !=
	    GW_OK || query_i64(st, "SELECT min(seq) FROM audit", 0, &first) !=
	    GW_OK)
		return GW_ERR_STORAGE;
	if (last < 0 || first < 0 || last < first)
		return GW_OK;
	end = last;
	if (last - first >= PURGE_CHUNK) {
		/* The furthest checkpoint within a chunk, else the next. */
		if (query_i64(st, "SELECT max(seq) FROM audit_checkpoints WHERE "
		    "seq < ?", first + PURGE_CHUNK, &end) != GW_OK)
			return GW_ERR_STORAGE;
		if (end < first && query_i64(st, "SELECT min(seq) FROM "
		    "audit_checkpoints WHERE seq >= ?", first, &end) != GW_OK)
			return GW_ERR_STORAGE;
		op->more = end < last;
	}
	{
		sqlite3_stmt *s;
		int rc;

		if (sqlite3_prepare_v2(st->db, "DELETE FROM audit WHERE seq <= ?",
		    -1, &s, NULL) != SQLITE_OK)
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
audit_subject_erase(struct store *st, struct store_op *op)
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
	return store_map_rc(rc);
}
