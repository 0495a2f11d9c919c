/*
 * The audit log, reader side: chain verification, export pages,
 * checkpoints and the processing report. Runs on the reader connection,
 * so that long reads never hold up the writer.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/csv.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/chain.h"
#include "storage/store_int.h"

/* A page of an export: at most this many records or bytes. */
#define PAGE_RECORDS 1000
#define PAGE_BYTES (256 * 1024)

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

void
audit_row(sqlite3_stmt *s, struct store_request *r, int64_t *seq,
    unsigned char prev[32], unsigned char hash[32])
{
	memset(r, 0, sizeof(*r));
	*seq = sqlite3_column_int64(s, 0);
	r->ts_ms = sqlite3_column_int64(s, 1);
	store_column_text(s, 2, r->kind, sizeof(r->kind));
	store_column_text(s, 3, r->request_id, sizeof(r->request_id));
	store_column_text(s, 4, r->key_id, sizeof(r->key_id));
	store_column_text(s, 5, r->team, sizeof(r->team));
	store_column_text(s, 6, r->client, sizeof(r->client));
	store_column_text(s, 7, r->method, sizeof(r->method));
	store_column_text(s, 8, r->path, sizeof(r->path));
	store_column_text(s, 9, r->model, sizeof(r->model));
	store_column_text(s, 10, r->upstream, sizeof(r->upstream));
	store_column_text(s, 11, r->region, sizeof(r->region));
	store_column_text(s, 12, r->policy, sizeof(r->policy));
	store_column_text(s, 13, r->verdicts, sizeof(r->verdicts));
	store_column_text(s, 14, r->route, sizeof(r->route));
	store_column_text(s, 15, r->pii, sizeof(r->pii));
	r->zdr = sqlite3_column_int(s, 16);
	r->streamed = sqlite3_column_int(s, 17);
	r->status = sqlite3_column_int(s, 18);
	store_column_text(s, 19, r->error, sizeof(r->error));
	r->prompt_tokens = store_column_num(s, 20);
	r->completion_tokens = store_column_num(s, 21);
	r->cost[0] = store_column_num(s, 22);
	r->cost[1] = store_column_num(s, 23);
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
load_checkpoints(struct store *st, struct verify *v)
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
			problem(v, seq, "no signing key to check checkpoint %lld",
			    (long long)seq);
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
load_external(struct store *st, json_t *ext, struct verify *v)
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
audit_verify(struct store *st, struct store_op *op)
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
			if (seq > 1 && (ci == v.n || v.cps[ci].seq != seq - 1)) {
				problem(&v, seq - 1, "record %lld is missing: the "
				    "chain starts at %lld and no checkpoint "
				    "covers what is before it", (long long)(seq - 1),
				    (long long)seq);
				break;
			}
			if (seq > 1) {
				memcpy(last, v.cps[ci].head, 32);
				signed_through = seq - 1;
				for (; ci < v.n && v.cps[ci].seq == seq - 1; ci++)
					;
			}
		}
		n++;
		if (seq != expect) {
			problem(&v, expect, "record %lld is missing (the next "
			    "record is %lld)", (long long)expect, (long long)seq);
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
		problem(&v, first - 1, "records up to %lld were removed without "
		    "a retention record", (long long)(first - 1));
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

/* A growing text; oom is set (and sticks) when memory ran out. */
struct text {
	char *p;
	size_t len, cap;
	int oom;
};

static void
text_cat(struct text *t, const char *s, size_t n)
{
	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t c = t->cap ? t->cap : 4096;
		char *b;

		while (c < t->len + n + 1)
			c *= 2;
		b = realloc(t->p, c);
		if (b == NULL) {
			t->oom = 1;
			return;
		}
		t->p = b;
		t->cap = c;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static const char *const export_cols[] = { "seq", "ts", "kind", "request_id",
	"key_id", "team", "client", "method", "path", "model", "upstream",
	"region", "policy", "verdicts", "route", "pii", "zdr", "streamed",
	"status", "error", "prompt_tokens", "completion_tokens",
	"cost_eur_micros", "cost_usd_micros", "latency_us", "request_hash",
	"response_hash", "prev", "hash" };
#define EXPORT_COLS (sizeof(export_cols) / sizeof(export_cols[0]))

/* Column i of an audit row as text ("" when NULL, blobs in hex). */
static const char *
col_text(sqlite3_stmt *s, int i, char *tmp)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return "";
	if (sqlite3_column_type(s, i) == SQLITE_BLOB) {
		int n = sqlite3_column_bytes(s, i);

		util_hex(sqlite3_column_blob(s, i), (size_t)(n > 32 ? 32 : n),
		    tmp);
		return tmp;
	}
	return (const char *)sqlite3_column_text(s, i);
}

/* One cell, through the one CSV cell writer (common/csv.h). */
static void
csv_field(struct text *t, const char *v)
{
	char buf[2048], *big;
	size_t n = csv_cell(buf, sizeof(buf), v);

	if (n < sizeof(buf)) {
		text_cat(t, buf, n);
		return;
	}
	big = malloc(n + 1);
	if (big == NULL) {
		t->oom = 1;
		return;
	}
	csv_cell(big, n + 1, v);
	text_cat(t, big, n);
	free(big);
}

static json_t *
row_json(sqlite3_stmt *s)
{
	json_t *o = json_object();
	char tmp[65];

	for (size_t i = 0; i < EXPORT_COLS; i++) {
		int t = sqlite3_column_type(s, (int)i);

		if (t == SQLITE_INTEGER)
			json_object_set_new(o, export_cols[i], json_integer(
			    sqlite3_column_int64(s, (int)i)));
		else if (t == SQLITE_NULL)
			json_object_set_new(o, export_cols[i], json_null());
		else
			json_object_set_new(o, export_cols[i], json_string(
			    col_text(s, (int)i, tmp)));
	}
	return o;
}

/*
 * One page of the records selected by op->aq, after op->aq.after, as
 * JSON lines or CSV (the header on the first page) in op->text.
 */
enum gw_err
audit_page(struct store *st, struct store_op *op)
{
	struct store_audit_query *q = &op->aq;
	sqlite3_stmt *s;
	struct text t = { NULL, 0, 0, 0 };
	char tmp[65];
	int rc = SQLITE_DONE, n = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT " AUDIT_COLUMNS " FROM audit "
	    "WHERE seq > ?1 AND ts >= ?2 AND ts < ?3 AND (?4 = '' OR team = ?4) "
	    "AND (?5 IS NULL OR subject = ?5) ORDER BY seq LIMIT ?6", -1, &s,
	    NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	sqlite3_bind_int64(s, 1, q->after);
	sqlite3_bind_int64(s, 2, q->from_ms);
	sqlite3_bind_int64(s, 3, q->to_ms);
	sqlite3_bind_text(s, 4, q->team, -1, SQLITE_STATIC);
	if (q->has_subject)
		sqlite3_bind_blob(s, 5, q->subject, 32, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, PAGE_RECORDS);
	if (q->format == STORE_FMT_CSV && q->after == 0) {
		for (size_t i = 0; i < EXPORT_COLS; i++) {
			text_cat(&t, ",", i ? 1 : 0);
			csv_field(&t, export_cols[i]);
		}
		text_cat(&t, "\r\n", 2);
	}
	q->done = 1;
	while (t.len < PAGE_BYTES && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		q->after = sqlite3_column_int64(s, 0);
		if (q->format == STORE_FMT_CSV) {
			for (size_t i = 0; i < EXPORT_COLS; i++) {
				text_cat(&t, ",", i ? 1 : 0);
				csv_field(&t, col_text(s, (int)i, tmp));
			}
			text_cat(&t, "\r\n", 2);
		} else {
			json_t *o = row_json(s);
			char *line = o ? json_dumps(o, JSON_COMPACT |
			    JSON_PRESERVE_ORDER) : NULL;

			json_decref(o);
			if (line == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			text_cat(&t, line, strlen(line));
			text_cat(&t, "\n", 1);
			free(line);
		}
	}
	/* Stopped by the page's size or count: more may follow. */
	if (rc == SQLITE_ROW || (rc == SQLITE_DONE && n == PAGE_RECORDS)) {
		q->done = 0;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE || t.oom) {
		free(t.p);
		return t.oom ? GW_ERR_NOMEM : GW_ERR_STORAGE;
	}
	op->text = t.p;
	op->text_len = t.len;
	return GW_OK;
}

enum gw_err
audit_checkpoints(struct store *st, struct store_op *op)
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
		int hn = sqlite3_column_bytes(s, 1), sn = sqlite3_column_bytes(s, 3);

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

/* The team's object in the report's array, created on first use. */
static json_t *
team_obj(json_t *teams, const char *name)
{
	size_t i;
	json_t *t;

	json_array_foreach(teams, i, t)
		if (strcmp(json_string_value(json_object_get(t, "team")),
		    name) == 0)
			return t;
	t = json_pack("{s:s, s:I, s:I, s:[], s:{}, s:[]}", "team", name,
	    "requests", (json_int_t)0, "zdr_requests", (json_int_t)0,
	    "policies", "personal_data", "recipients");
	json_array_append_new(teams, t);
	return t;
}

/* a + b x c for counts (>= 0), saturated: stored text may say anything. */
static json_int_t
count_add(json_int_t a, unsigned long long b, int64_t c)
{
	__int128 v = (__int128)a + (__int128)(b > INT64_MAX ? INT64_MAX : b) *
	    (c > 0 ? c : 0);

	return v > INT64_MAX ? INT64_MAX : (json_int_t)v;
}

/* Adds "EMAIL:2,IBAN:1" to {"EMAIL": {"values": n, "requests": m}}. */
static void
add_pii(json_t *pd, const char *pii, int64_t requests)
{
	char type[64];
	unsigned long long count;
	int used;

	while (*pii != '\0' && sscanf(pii, "%63[^:]:%llu%n", type, &count,
	    &used) == 2) {
		json_t *e = json_object_get(pd, type);

		if (e == NULL) {
			e = json_pack("{s:I, s:I}", "values", (json_int_t)0,
			    "requests", (json_int_t)0);
			json_object_set_new(pd, type, e);
		}
		json_object_set_new(e, "values", json_integer(count_add(
		    json_integer_value(json_object_get(e, "values")), count,
		    requests)));
		json_object_set_new(e, "requests", json_integer(count_add(
		    json_integer_value(json_object_get(e, "requests")), 1,
		    requests)));
		pii += used;
		if (*pii == ',')
			pii++;
	}
}

/*
 * What an Art. 30 record needs, per team, from the request records in
 * [from, to): requests, policies, personal data categories with counts,
 * recipients (upstream and region) and how many went under ZDR.
 */
enum gw_err
audit_processing_report(struct store *st, struct store_op *op)
{
	static const char *const sql[] = {
		"SELECT coalesce(team, ''), count(*), sum(zdr <> 0), "
		"group_concat(DISTINCT policy) FROM audit WHERE kind = 'request' "
		"AND ts >= ?1 AND ts < ?2 AND (?3 = '' OR team = ?3) "
		"GROUP BY 1 ORDER BY 1",
		"SELECT coalesce(team, ''), pii, count(*) FROM audit WHERE "
		"kind = 'request' AND pii IS NOT NULL AND ts >= ?1 AND ts < ?2 "
		"AND (?3 = '' OR team = ?3) GROUP BY 1, 2",
		"SELECT coalesce(team, ''), upstream, coalesce(region, ''), "
		"count(*), sum(zdr <> 0) FROM audit WHERE kind = 'request' AND "
		"upstream IS NOT NULL AND ts >= ?1 AND ts < ?2 AND "
		"(?3 = '' OR team = ?3) GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC",
	};
	json_t *teams = json_array();
	int rc = SQLITE_DONE;

	for (size_t q = 0; q < 3 && rc == SQLITE_DONE; q++) {
		sqlite3_stmt *s;

		if (sqlite3_prepare_v2(st->db, sql[q], -1, &s, NULL) !=
		    SQLITE_OK) {
			rc = SQLITE_ERROR;
			break;
		}
		sqlite3_bind_int64(s, 1, op->from_ms);
		sqlite3_bind_int64(s, 2, op->to_ms);
		sqlite3_bind_text(s, 3, op->team, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			json_t *t = team_obj(teams,
			    (const char *)sqlite3_column_text(s, 0));
			const char *pol;

			switch (q) {
			case 0:
				json_object_set_new(t, "requests", json_integer(
				    sqlite3_column_int64(s, 1)));
				json_object_set_new(t, "zdr_requests",
				    json_integer(sqlite3_column_int64(s, 2)));
				pol = (const char *)sqlite3_column_text(s, 3);
				for (const char *p = pol; p && *p;) {
					size_t l = strcspn(p, ",");

					json_array_append_new(json_object_get(t,
					    "policies"), json_stringn(p, l));
					p += l + (p[l] == ',');
				}
				break;
			case 1:
				add_pii(json_object_get(t, "personal_data"),
				    (const char *)sqlite3_column_text(s, 1),
				    sqlite3_column_int64(s, 2));
				break;
			default:
				json_array_append_new(json_object_get(t,
				    "recipients"), json_pack("{s:s, s:s, s:I, "
				    "s:I}", "upstream", sqlite3_column_text(s, 1),
				    "region", sqlite3_column_text(s, 2),
				    "requests", (json_int_t)
				    sqlite3_column_int64(s, 3), "zdr_requests",
				    (json_int_t)sqlite3_column_int64(s, 4)));
			}
		}
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_DONE) {
		json_decref(teams);
		return GW_ERR_STORAGE;
	}
	op->json = teams;
	return GW_OK;
}
