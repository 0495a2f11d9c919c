/*
 * The audit log, verification: walks the chain against its stored and
 * external signed checkpoints and names the first bad record; lists the
 * checkpoints. Runs on the reader connection, so that a long walk never
 * holds up the writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/util.h"
#include "storage/audit_verify.h"
#include "storage/chain.h"
#include "storage/schema.h"
#include "storage/sql.h"
#include "storage/verify.h"

/* A hash column: absent when NULL; any other length is kept (and then
 * fails verification) rather than mistaken for absent. */
static int
column_hash(sqlite3_stmt *s, int i, unsigned char out[32])
{
	int n = sqlite3_column_bytes(s, i);
	const void *b = sqlite3_column_blob(s, i);

	memset(out, 0, 32);
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return 0;
	if (b != NULL)
		memcpy(out, b, n < 32 ? (size_t)n : 32);
	if (n != 32)
		out[0] ^= 0xff;	/* never equal to a real hash by chance */
	return 1;
}

/* Fills r (and seq, prev, hash) from a row of AUDIT_COLUMNS. */
static void
audit_row(sqlite3_stmt *s, struct store_request *r, int64_t *seq,
    unsigned char prev[32], unsigned char hash[32])
{
	memset(r, 0, sizeof(*r));
	*seq = sqlite3_column_int64(s, 0);
	r->ts_ms = sqlite3_column_int64(s, 1);
	sql_column_text(s, 2, r->kind, sizeof(r->kind));
	sql_column_text(s, 3, r->request_id, sizeof(r->request_id));
	sql_column_text(s, 4, r->key_id, sizeof(r->key_id));
	sql_column_text(s, 5, r->team, sizeof(r->team));
	sql_column_text(s, 6, r->client, sizeof(r->client));
	sql_column_text(s, 7, r->method, sizeof(r->method));
	sql_column_text(s, 8, r->path, sizeof(r->path));
	sql_column_text(s, 9, r->model, sizeof(r->model));
	sql_column_text(s, 10, r->upstream, sizeof(r->upstream));
	sql_column_text(s, 11, r->region, sizeof(r->region));
	sql_column_text(s, 12, r->policy, sizeof(r->policy));
	sql_column_text(s, 13, r->verdicts, sizeof(r->verdicts));
	sql_column_text(s, 14, r->route, sizeof(r->route));
	sql_column_text(s, 15, r->pii, sizeof(r->pii));
	r->zdr = sqlite3_column_int(s, 16);
	r->streamed = sqlite3_column_int(s, 17);
	r->status = sqlite3_column_int(s, 18);
	sql_column_text(s, 19, r->error, sizeof(r->error));
	r->prompt_tokens = sql_column_num(s, 20);
	r->completion_tokens = sql_column_num(s, 21);
	r->cost[0] = sql_column_num(s, 22);
	r->cost[1] = sql_column_num(s, 23);
	r->latency_us = sqlite3_column_int64(s, 24);
	r->has_req_hash = column_hash(s, 25, r->req_hash);
	r->has_resp_hash = column_hash(s, 26, r->resp_hash);
	column_hash(s, 27, prev);
	column_hash(s, 28, hash);
	r->has_subject = column_hash(s, 29, r->subject);
}

static enum gw_err
load_checkpoints(struct sqlite_store *st, struct verify *v)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT seq, head, ts, sig FROM "
	    "audit_checkpoints ORDER BY seq", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		unsigned char head[32], sig[64] = { 0 };

		column_hash(s, 1, head);
		if (sqlite3_column_bytes(s, 3) == 64)
			memcpy(sig, sqlite3_column_blob(s, 3), 64);
		if (verify_stored(v, sqlite3_column_int64(s, 0), head,
		    sqlite3_column_int64(s, 2), sig) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? GW_OK : GW_ERR_STORAGE;
}

/*
 * Walks the chain (storage/verify.c) against its stored checkpoints and
 * those kept elsewhere (op->json, consumed); the first failure names
 * the record.
 */
enum gw_err
audit_verify(struct sqlite_store *st, struct store_op *op)
{
	struct verify *v = verify_new(st->pub, st->has_key);
	sqlite3_stmt *s = NULL;
	enum gw_err err;
	int rc = SQLITE_DONE;

	err = v != NULL ? load_checkpoints(st, v) : GW_ERR_NOMEM;
	if (err == GW_OK && op->json != NULL)
		err = verify_external(v, op->json, NULL, 1);
	json_decref(op->json);	/* the input is consumed */
	op->json = NULL;
	if (err != GW_OK)
		goto out;
	err = GW_ERR_STORAGE;
	if (sqlite3_prepare_v2(st->db, "SELECT " AUDIT_COLUMNS " FROM audit "
	    "ORDER BY seq", -1, &s, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_request r;
		unsigned char prev[32], hash[32];
		int64_t seq;

		audit_row(s, &r, &seq, prev, hash);
		if (verify_record(v, &r, seq, prev, hash) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto out;
	op->json = verify_report(v);
	err = op->json != NULL ? GW_OK : GW_ERR_NOMEM;
out:
	sqlite3_finalize(s);
	verify_free(v);
	return err;
}

enum gw_err
audit_checkpoints(struct sqlite_store *st, struct store_op *op)
{
	sqlite3_stmt *s;
	json_t *arr = json_array();
	char head[65], sig[129], pub[65];
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT seq, head, ts, sig FROM "
	    "audit_checkpoints ORDER BY seq", -1, &s, NULL) != SQLITE_OK) {
		json_decref(arr);
		return GW_ERR_STORAGE;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int hn = sqlite3_column_bytes(s, 1);
		int sn = sqlite3_column_bytes(s, 3);

		util_hex(sqlite3_column_blob(s, 1), hn > 32 ? 32 : (size_t)hn,
		    head);
		util_hex(sqlite3_column_blob(s, 3), sn > 64 ? 64 : (size_t)sn,
		    sig);
		json_array_append_new(arr, json_pack("{s:I, s:s, s:I, s:s}",
		    "seq", (json_int_t)sqlite3_column_int64(s, 0), "head", head,
		    "ts", (json_int_t)sqlite3_column_int64(s, 2), "sig", sig));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return GW_ERR_STORAGE;
	}
	util_hex(st->pub, 32, pub);
	op->json = json_pack("{s:s, s:s, s:s, s:o}", "object",
	    "audit_checkpoints", "algorithm", "ed25519", "public_key",
	    st->has_key ? pub : "", "checkpoints", arr);
	return op->json ? GW_OK : GW_ERR_NOMEM;
}
