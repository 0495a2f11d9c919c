/*
 * The audit log, verification: walks the chain against its stored and
 * external signed checkpoints and names the first bad record; lists the
 * checkpoints. Runs on the reader connection, so that a long walk never
 * holds up the writer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/util.h"
#include "storage/audit_verify.h"
#include "storage/chain.h"
#include "storage/schema.h"
#include "storage/sql.h"

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

/* One checkpoint to hold the chain against (internal or external). */
struct cp {
	int64_t seq;
	unsigned char head[32];
	int external;
};

static int
cp_cmp(const void *a, const void *b)
{
	const struct cp *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
hex_decode(const char *hex, unsigned char *out, size_t n)
{
	if (hex == NULL || strlen(hex) != n * 2)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

struct verify {
	struct cp *cps;
	size_t n, cap;
	int64_t bad_seq;	/* the first bad record, 0: none yet */
	char reason[200];
	int64_t internal;	/* checkpoints in the database */
	int64_t external;
};

static void
problem(struct verify *v, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct verify *v, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (v->bad_seq != 0)
		return;
	v->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

static int
cp_add(struct verify *v, int64_t seq, const unsigned char head[32],
    int external)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct cp *c = realloc(v->cps, cap * sizeof(*c));

		if (c == NULL)
			return -1;
		v->cps = c;
		v->cap = cap;
	}
	v->cps[v->n].seq = seq;
	memcpy(v->cps[v->n].head, head, 32);
	v->cps[v->n++].external = external;
	return 0;
}

/* Checks a checkpoint's signature; a good one joins the list. */
static int
cp_check(struct verify *v, const unsigned char pub[32], int64_t seq,
    const unsigned char head[32], int64_t ts, const unsigned char sig[64],
    int external)
{
	char msg[160];
	size_t n = chain_checkpoint_msg(seq, head, ts, msg, sizeof(msg));

	if (n == 0 || !chain_verify(pub, msg, n, sig)) {
		problem(v, seq, "%s checkpoint %lld: bad signature",
		    external ? "external" : "stored", (long long)seq);
		return 0;
	}
	return cp_add(v, seq, head, external);
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
		int64_t seq = sqlite3_column_int64(s, 0);

		column_hash(s, 1, head);
		if (sqlite3_column_bytes(s, 3) == 64)
			memcpy(sig, sqlite3_column_blob(s, 3), 64);
		v->internal++;
		if (!st->has_key) {
			problem(v, seq, "no signing key to check checkpoint "
			    "%lld", (long long)seq);
			continue;
		}
		if (cp_check(v, st->pub, seq, head, sqlite3_column_int64(s, 2),
		    sig, 0) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? GW_OK : GW_ERR_STORAGE;
}

/* {"public_key": hex, "checkpoints": [{seq, head, ts, sig}]}: a copy kept
 * elsewhere; checked against its own public key, else the gateway's. */
static enum gw_err
load_external(struct sqlite_store *st, json_t *ext, struct verify *v)
{
	unsigned char pub[32];
	json_t *arr = json_object_get(ext, "checkpoints"), *c;
	const char *pk = json_string_value(json_object_get(ext, "public_key"));
	size_t i;

	if (pk != NULL) {
		if (hex_decode(pk, pub, 32) != 0)
			return GW_ERR_INVAL;
	} else if (st->has_key) {
		memcpy(pub, st->pub, 32);
	} else {
		return GW_ERR_INVAL;
	}
	if (!json_is_array(arr))
		return GW_ERR_INVAL;
	json_array_foreach(arr, i, c) {
		unsigned char head[32], sig[64];
		json_t *seq = json_object_get(c, "seq"),
		    *ts = json_object_get(c, "ts");

		if (!json_is_integer(seq) || !json_is_integer(ts) ||
		    hex_decode(json_string_value(json_object_get(c, "head")),
		    head, 32) != 0 ||
		    hex_decode(json_string_value(json_object_get(c, "sig")),
		    sig, 64) != 0)
			return GW_ERR_INVAL;
		v->external++;
		if (cp_check(v, pub, json_integer_value(seq), head,
		    json_integer_value(ts), sig, 1) < 0)
			return GW_ERR_NOMEM;
	}
	return GW_OK;
}

/*
 * Walks the chain: every record's seq follows the last, its prev is the
 * last hash, its content gives its hash, and every checkpoint's head is
 * the hash at its seq. The first failure names the record.
 */
enum gw_err
audit_verify(struct sqlite_store *st, struct store_op *op)
{
	struct verify v;
	sqlite3_stmt *s;
	unsigned char last[32] = { 0 };
	int64_t n = 0, first = 0, expect = 0, signed_through = 0;
	long long purged_to = 0, a, b;
	size_t ci = 0;
	enum gw_err err;
	char pubhex[65];
	int rc;

	memset(&v, 0, sizeof(v));
	err = load_checkpoints(st, &v);
	if (err == GW_OK && op->json != NULL)
		err = load_external(st, op->json, &v);
	json_decref(op->json);	/* the input is consumed */
	op->json = NULL;
	if (err != GW_OK) {
		free(v.cps);
		return err;
	}
	if (v.n > 0)
		qsort(v.cps, v.n, sizeof(*v.cps), cp_cmp);
	if (sqlite3_prepare_v2(st->db, "SELECT " AUDIT_COLUMNS " FROM audit "
	    "ORDER BY seq", -1, &s, NULL) != SQLITE_OK) {
		free(v.cps);
		return GW_ERR_STORAGE;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && v.bad_seq == 0) {
		struct store_request r;
		unsigned char prev[32], hash[32], calc[32];
		int64_t seq;

		audit_row(s, &r, &seq, prev, hash);
		if (n == 0) {
			/* The chain starts at 1, or just after a checkpoint
			 * (retention removed what was before it). */
			first = expect = seq;
			while (ci < v.n && v.cps[ci].seq < seq - 1)
				ci++;
			if (seq > 1 && (ci == v.n ||
			    v.cps[ci].seq != seq - 1)) {
				problem(&v, seq - 1, "record %lld is missing: "
				    "the chain starts at %lld and no "
				    "checkpoint covers what is before it",
				    (long long)(seq - 1), (long long)seq);
				break;
			}
			if (seq > 1) {
				memcpy(last, v.cps[ci].head, 32);
				signed_through = seq - 1;
				while (ci < v.n && v.cps[ci].seq == seq - 1)
					ci++;
			}
		}
		n++;
		if (seq != expect) {
			problem(&v, expect, "record %lld is missing (the "
			    "next record is %lld)", (long long)expect,
			    (long long)seq);
			break;
		}
		if (CRYPTO_memcmp(prev, last, 32) != 0) {
			problem(&v, seq, "record %lld does not follow record "
			    "%lld (its previous hash differs: replaced, "
			    "reordered or inserted)", (long long)seq,
			    (long long)(seq - 1));
			break;
		}
		chain_hash(&r, seq, prev, calc);
		if (CRYPTO_memcmp(calc, hash, 32) != 0) {
			problem(&v, seq, "record %lld was changed (its content "
			    "does not give its hash)", (long long)seq);
			break;
		}
		for (; ci < v.n && v.cps[ci].seq == seq; ci++) {
			if (CRYPTO_memcmp(v.cps[ci].head, hash, 32) != 0) {
				problem(&v, signed_through + 1, "records %lld.."
				    "%lld were rewritten: the %s checkpoint "
				    "%lld signed another chain",
				    (long long)(signed_through + 1),
				    (long long)seq, v.cps[ci].external ?
				    "external" : "stored", (long long)seq);
				break;
			}
			signed_through = seq;
		}
		if (strcmp(r.kind, "system") == 0 &&
		    strcmp(r.path, "retention") == 0 &&
		    sscanf(r.verdicts, "purged=%lld..%lld", &a, &b) == 2 &&
		    b > purged_to)
			purged_to = b;
		memcpy(last, hash, 32);
		expect = seq + 1;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		free(v.cps);
		return GW_ERR_STORAGE;
	}
	/* What is missing before the first record must have been purged:
	 * by a (chained, signed) retention record. */
	if (v.bad_seq == 0 && first > 1 && purged_to < first - 1)
		problem(&v, first - 1, "records up to %lld were removed "
		    "without a retention record", (long long)(first - 1));
	if (v.bad_seq == 0 && ci < v.n) {
		int64_t from = n ? expect : 1;

		problem(&v, from, "records %lld..%lld are missing: the %s "
		    "checkpoint %lld signed them", (long long)from,
		    (long long)v.cps[v.n - 1].seq, v.cps[v.n - 1].external ?
		    "external" : "stored", (long long)v.cps[v.n - 1].seq);
	}
	free(v.cps);
	util_hex(st->pub, 32, pubhex);
	op->json = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:s}", "object", "audit_verification", "ok", v.bad_seq == 0,
	    "records", (json_int_t)n, "first_seq", (json_int_t)first,
	    "last_seq", (json_int_t)(n ? expect - 1 : 0), "checkpoints",
	    (json_int_t)v.internal, "external_checkpoints",
	    (json_int_t)v.external, "signed_through",
	    (json_int_t)signed_through, "unsigned_records",
	    (json_int_t)(n ? expect - 1 - signed_through : 0), "public_key",
	    st->has_key ? pubhex : "");
	if (op->json != NULL && v.bad_seq != 0)
		json_object_set_new(op->json, "first_bad", json_pack("{s:I, "
		    "s:s}", "seq", (json_int_t)v.bad_seq, "reason", v.reason));
	return op->json != NULL ? GW_OK : GW_ERR_NOMEM;
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
