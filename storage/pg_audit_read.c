/*
 * The audit log on PostgreSQL, reads: each instance's chain verified
 * (storage/verify.c), the checkpoints, export pages in time order over
 * every chain, the processing report, the newest requests. On the
 * reader connection, each in one snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "storage/chain.h"
#include "storage/pg_audit_read.h"
#include "storage/pg_sql.h"
#include "storage/report.h"
#include "storage/verify.h"

#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT4 23
/* Records read per query while verifying. */
#define VERIFY_CHUNK 2000

/* A hash column: absent when NULL; any other length than 32 is kept
 * (and then fails verification) rather than mistaken for absent. */
static int
column_hash(const PGresult *res, int r, int c, unsigned char out[32])
{
	int n;

	memset(out, 0, 32);
	n = pg_bytes(res, r, c, out, 32);
	if (n < 0) {
		memset(out, 0, 32);
		return 0;
	}
	if (n != 32)
		out[0] ^= 0xff;	/* never equal to a real hash by chance */
	return 1;
}

/* Fills rec (and seq, prev, hash) from row r, AUDIT_COLUMNS from c0. */
static void
audit_row(const PGresult *res, int r, int c0, struct store_request *rec,
    int64_t *seq, unsigned char prev[32], unsigned char hash[32])
{
	struct {
		char *p;
		size_t n;
	} text[] = {
		{ rec->kind, sizeof(rec->kind) },
		{ rec->request_id, sizeof(rec->request_id) },
		{ rec->key_id, sizeof(rec->key_id) },
		{ rec->team, sizeof(rec->team) },
		{ rec->client, sizeof(rec->client) },
		{ rec->method, sizeof(rec->method) },
		{ rec->path, sizeof(rec->path) },
		{ rec->model, sizeof(rec->model) },
		{ rec->upstream, sizeof(rec->upstream) },
		{ rec->region, sizeof(rec->region) },
		{ rec->policy, sizeof(rec->policy) },
		{ rec->verdicts, sizeof(rec->verdicts) },
		{ rec->route, sizeof(rec->route) },
		{ rec->pii, sizeof(rec->pii) },
	};

	memset(rec, 0, sizeof(*rec));
	*seq = pg_num(res, r, c0);
	rec->ts_ms = pg_num(res, r, c0 + 1);
	for (int i = 0; i < 14; i++)
		pg_text(res, r, c0 + 2 + i, text[i].p, text[i].n);
	rec->zdr = (int)pg_num(res, r, c0 + 16);
	rec->streamed = (int)pg_num(res, r, c0 + 17);
	rec->status = (int)pg_num(res, r, c0 + 18);
	pg_text(res, r, c0 + 19, rec->error, sizeof(rec->error));
	rec->prompt_tokens = pg_num(res, r, c0 + 20);
	rec->completion_tokens = pg_num(res, r, c0 + 21);
	rec->cost[0] = pg_num(res, r, c0 + 22);
	rec->cost[1] = pg_num(res, r, c0 + 23);
	rec->latency_us = pg_num(res, r, c0 + 24);
	rec->has_req_hash = column_hash(res, r, c0 + 25, rec->req_hash);
	rec->has_resp_hash = column_hash(res, r, c0 + 26, rec->resp_hash);
	column_hash(res, r, c0 + 27, prev);
	column_hash(res, r, c0 + 28, hash);
	rec->has_subject = column_hash(res, r, c0 + 29, rec->subject);
}

/* The instance names: of the chains and checkpoints stored, and of the
 * external checkpoints (a chain they sign must be there). */
static enum gw_err
chain_names(struct pg_store *st, const json_t *ext, json_t **out,
    int *unnamed)
{
	json_t *names, *c;
	size_t i;

	*unnamed = 0;
	if (pg_rows_json(st, "SELECT instance FROM audit GROUP BY instance "
	    "UNION SELECT instance FROM audit_checkpoints GROUP BY instance",
	    NULL, out) != GW_OK)
		return GW_ERR_STORAGE;
	names = *out;
	if (ext == NULL)
		return GW_OK;
	json_array_foreach(json_object_get(ext, "checkpoints"), i, c) {
		const char *in = json_string_value(json_object_get(c,
		    "instance"));
		json_t *o;
		size_t k;
		int found = 0;

		if (in == NULL) {
			*unnamed = 1;
			continue;
		}
		json_array_foreach(names, k, o)
			if (strcmp(json_string_value(json_object_get(o,
			    "instance")), in) == 0)
				found = 1;
		if (!found)
			json_array_append_new(names, json_pack("{s:s}",
			    "instance", in));
	}
	return GW_OK;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One chain: its stored and external checkpoints, then its records. */
static enum gw_err
verify_chain(struct pg_store *st, const char *name, const json_t *ext,
    int any_unnamed, json_t **out)
{
	struct verify *v = verify_new(st->pub, st->has_key);
	struct pg_args a;
	PGresult *res;
	enum gw_err err = GW_ERR_STORAGE;
	int64_t after = 0;
	int stop = 0;

	if (v == NULL)
		return GW_ERR_NOMEM;
	pga_init(&a);
	pga_str(&a, name);
	res = pg_query(st, "SELECT seq, head, ts, sig FROM audit_checkpoints "
	    "WHERE instance = $1 ORDER BY seq", &a);
	if (res == NULL)
		goto out;
	for (int i = 0; i < PQntuples(res); i++) {
		unsigned char head[32], sig[64] = { 0 };

		column_hash(res, i, 1, head);
		if (pg_bytes(res, i, 3, sig, 64) != 64)
			memset(sig, 0, 64);
		if (verify_stored(v, pg_num(res, i, 0), head, pg_num(res, i,
		    2), sig) < 0) {
			PQclear(res);
			err = GW_ERR_NOMEM;
			goto out;
		}
	}
	PQclear(res);
	if (ext != NULL) {
		err = verify_external(v, ext, name, any_unnamed);
		if (err != GW_OK)
			goto out;
		err = GW_ERR_STORAGE;
	}
	while (!stop) {
		int n;

		pga_init(&a);
		pga_str(&a, name);
		pga_i64(&a, after);
		pga_i64(&a, VERIFY_CHUNK);
		res = pg_query(st, "SELECT " AUDIT_COLUMNS " FROM audit WHERE "
		    "instance = $1 AND seq > $2 ORDER BY seq LIMIT $3", &a);
		if (res == NULL)
			goto out;
		n = PQntuples(res);
		for (int i = 0; i < n && !stop; i++) {
			struct store_request r;
			unsigned char prev[32], hash[32];
			int64_t seq;

			audit_row(res, i, 0, &r, &seq, prev, hash);
			after = seq;
			stop = verify_record(v, &r, seq, prev, hash) != 0;
		}
		PQclear(res);
		if (n < VERIFY_CHUNK)
			break;
	}
	*out = verify_report(v);
	err = *out != NULL ? GW_OK : GW_ERR_NOMEM;
	if (err == GW_OK)
		json_object_set_new(*out, "instance", json_string(name));
out:
	verify_free(v);
	return err;
}

static json_int_t
num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/*
 * Every chain, one report each in "instances", and the sums: ok when
 * all are; first_bad is the first failing chain's, with its instance.
 * With one chain the report also has that chain's fields as SQLite's
 * has them.
 */
enum gw_err
pg_audit_verify(struct pg_store *st, struct store_op *op)
{
	json_t *ext = op->json, *names = NULL, *reports = NULL, *bad = NULL;
	json_t *rep = NULL, *o;
	const char **list = NULL;
	enum gw_err err;
	size_t i, n = 0;
	int unnamed;
	json_int_t recs = 0, cps = 0, ecps = 0, unsig = 0;

	op->json = NULL;	/* the input is consumed */
	if (ext != NULL && !json_is_array(json_object_get(ext,
	    "checkpoints"))) {
		err = GW_ERR_INVAL;
		goto out;
	}
	err = chain_names(st, ext, &names, &unnamed);
	if (err != GW_OK)
		goto out;
	n = json_array_size(names);
	if (unnamed && n > 1) {
		err = GW_ERR_INVAL;	/* which chain would they sign? */
		goto out;
	}
	list = calloc(n ? n : 1, sizeof(*list));
	reports = json_array();
	if (list == NULL || reports == NULL) {
		err = GW_ERR_NOMEM;
		goto out;
	}
	json_array_foreach(names, i, o)
		list[i] = json_string_value(json_object_get(o, "instance"));
	qsort(list, n, sizeof(*list), name_cmp);
	for (i = 0; i < n; i++) {
		err = verify_chain(st, list[i], ext, n == 1, &rep);
		if (err != GW_OK)
			goto out;
		json_array_append_new(reports, rep);
		recs += num(rep, "records");
		cps += num(rep, "checkpoints");
		ecps += num(rep, "external_checkpoints");
		unsig += num(rep, "unsigned_records");
		if (bad == NULL && json_object_get(rep, "first_bad") != NULL) {
			bad = json_deep_copy(json_object_get(rep,
			    "first_bad"));
			json_object_set_new(bad, "instance",
			    json_string(list[i]));
		}
	}
	if (n == 1) {
		rep = json_deep_copy(json_array_get(reports, 0));
		json_object_del(rep, "instance");
	} else {
		struct verify *v = verify_new(st->pub, st->has_key);

		rep = v != NULL ? verify_report(v) : NULL;
		verify_free(v);
		if (rep != NULL) {
			json_object_set_new(rep, "ok", json_boolean(bad ==
			    NULL));
			json_object_set_new(rep, "records", json_integer(recs));
			json_object_set_new(rep, "checkpoints",
			    json_integer(cps));
			json_object_set_new(rep, "external_checkpoints",
			    json_integer(ecps));
			json_object_set_new(rep, "unsigned_records",
			    json_integer(unsig));
		}
	}
	if (rep == NULL) {
		err = GW_ERR_NOMEM;
		goto out;
	}
	if (bad != NULL)
		json_object_set(rep, "first_bad", bad);
	json_object_set(rep, "instances", reports);
	op->json = rep;
out:
	free(list);
	json_decref(bad);
	json_decref(reports);
	json_decref(names);
	json_decref(ext);
	return err;
}

enum gw_err
pg_audit_checkpoints(struct pg_store *st, struct store_op *op)
{
	json_t *arr = json_array();
	PGresult *res;
	char head[65], sig[129], pub[65];

	res = pg_query(st, "SELECT instance, seq, head, ts, sig FROM "
	    "audit_checkpoints ORDER BY instance COLLATE \"C\", seq", NULL);
	if (res == NULL || arr == NULL) {
		PQclear(res);
		json_decref(arr);
		return GW_ERR_STORAGE;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		unsigned char h[32], s[64];
		int hn = pg_bytes(res, i, 2, h, 32), sn = pg_bytes(res, i, 4, s,
		    64);

		util_hex(h, hn > 32 ? 32 : hn < 0 ? 0 : (size_t)hn, head);
		util_hex(s, sn > 64 ? 64 : sn < 0 ? 0 : (size_t)sn, sig);
		json_array_append_new(arr, json_pack("{s:s, s:I, s:s, s:I, "
		    "s:s}", "instance", PQgetvalue(res, i, 0), "seq",
		    (json_int_t)pg_num(res, i, 1), "head", head, "ts",
		    (json_int_t)pg_num(res, i, 3), "sig", sig));
	}
	PQclear(res);
	util_hex(st->pub, 32, pub);
	op->json = json_pack("{s:s, s:s, s:s, s:o}", "object",
	    "audit_checkpoints", "algorithm", "ed25519", "public_key",
	    st->has_key ? pub : "", "checkpoints", arr);
	return op->json ? GW_OK : GW_ERR_NOMEM;
}

/* Column c of row r as an export's text ("" when NULL, bytes in hex). */
static const char *
cell_text(const PGresult *res, int r, int c, char tmp[65])
{
	if (PQgetisnull(res, r, c))
		return "";
	if (PQftype(res, c) == OID_BYTEA) {
		unsigned char b[32];
		int n = pg_bytes(res, r, c, b, 32);

		util_hex(b, n > 32 ? 32 : n < 0 ? 0 : (size_t)n, tmp);
		return tmp;
	}
	return PQgetvalue(res, r, c);
}

static json_t *
row_json(const PGresult *res, int r, int c0, size_t ncols)
{
	json_t *o = json_object();
	char tmp[65];

	for (size_t i = 0; o != NULL && i < ncols; i++) {
		int c = c0 + (int)i;
		const char *name = i < report_n_export_cols ?
		    report_export_cols[i] : "instance";
		Oid t = PQftype(res, c);

		if (PQgetisnull(res, r, c))
			json_object_set_new(o, name, json_null());
		else if (t == OID_INT8 || t == OID_INT4)
			json_object_set_new(o, name, json_integer(pg_num(res, r,
			    c)));
		else
			json_object_set_new(o, name, json_string(cell_text(res,
			    r, c, tmp)));
	}
	return o;
}

/*
 * One page of the records selected by op->aq, every chain merged in time
 * order: (ts, id), id being the order they were written. The keyset
 * moves aq.from_ms to the last ts read and aq.after to its id.
 */
enum gw_err
pg_audit_page(struct pg_store *st, struct store_op *op)
{
	struct store_audit_query *q = &op->aq;
	struct report_text t = { NULL, 0, 0, 0 };
	/* The export's columns, then the instance: AUDIT_COLUMNS without
	 * subject. */
	size_t ncols = report_n_export_cols + 1;
	struct pg_args a;
	PGresult *res;
	char tmp[65];
	int n;

	pga_init(&a);
	pga_i64(&a, q->after);
	pga_i64(&a, q->from_ms);
	pga_i64(&a, q->to_ms);
	pga_str(&a, q->team);
	pga_bytes(&a, q->has_subject ? q->subject : NULL, 32);
	pga_i64(&a, REPORT_PAGE_RECORDS);
	res = pg_query(st, "SELECT id, " AUDIT_COLUMNS ", instance FROM audit "
	    "WHERE ts >= $2 AND (ts > $2 OR id > $1) AND ts < $3 AND "
	    "($4::text = '' OR team = $4::text) AND ($5::bytea IS NULL OR "
	    "subject = $5::bytea) ORDER BY ts, id LIMIT $6", &a);
	if (res == NULL)
		return GW_ERR_STORAGE;
	if (q->format == STORE_FMT_CSV && q->after == 0) {
		for (size_t i = 0; i < ncols; i++) {
			report_text_cat(&t, ",", i ? 1 : 0);
			report_csv_field(&t, i < report_n_export_cols ?
			    report_export_cols[i] : "instance");
		}
		report_text_cat(&t, "\r\n", 2);
	}
	n = PQntuples(res);
	q->done = n < REPORT_PAGE_RECORDS;
	for (int r = 0; r < n; r++) {
		if (t.len >= REPORT_PAGE_BYTES) {
			q->done = 0;
			break;
		}
		q->after = pg_num(res, r, 0);
		q->from_ms = pg_num(res, r, 2);
		if (q->format == STORE_FMT_CSV) {
			for (size_t i = 0; i < ncols; i++) {
				/* the subject (30) is not exported */
				int c = 1 + (int)i + (i >= 29 ? 1 : 0);

				report_text_cat(&t, ",", i ? 1 : 0);
				report_csv_field(&t, cell_text(res, r, c, tmp));
			}
			report_text_cat(&t, "\r\n", 2);
		} else {
			json_t *o = row_json(res, r, 1, report_n_export_cols);
			char *line;

			if (o != NULL)
				json_object_set_new(o, "instance", json_string(
				    PQgetvalue(res, r, 31)));
			line = o ? json_dumps(o, JSON_COMPACT |
			    JSON_PRESERVE_ORDER) : NULL;
			json_decref(o);
			if (line == NULL) {
				t.oom = 1;
				break;
			}
			report_text_cat(&t, line, strlen(line));
			report_text_cat(&t, "\n", 1);
			free(line);
		}
	}
	PQclear(res);
	if (t.oom) {
		free(t.p);
		return GW_ERR_NOMEM;
	}
	op->text = t.p;
	op->text_len = t.len;
	return GW_OK;
}

/* The chains' bounds of a processing report (store.h), as JSON text
 * for the query: {"instance": last seq verified}, integers only; NULL
 * when none were given. */
static char *
report_bounds(json_t *in)
{
	json_t *b;
	const char *k;
	json_t *v;
	char *text;

	if (!json_is_object(in))
		return NULL;
	b = json_object();
	json_object_foreach(in, k, v)
		if (json_is_integer(v))
			json_object_set(b, k, v);
	text = b != NULL ? json_dumps(b, JSON_COMPACT) : NULL;
	json_decref(b);
	return text;
}

/*
 * As storage/audit_export.c, over every instance's records: per team,
 * from the request records in [from, to), each chain up to the last
 * record verified (the bounds of op->json; without them, every chain up
 * to upto_seq).
 */
enum gw_err
pg_audit_processing_report(struct pg_store *st, struct store_op *op)
{
#define SEL " FROM audit WHERE kind = 'request' AND ts >= $1 AND ts < $2 " \
	"AND ($3::text = '' OR team = $3::text) AND CASE WHEN $4::jsonb IS " \
	"NULL THEN $5::bigint = 0 OR seq <= $5::bigint ELSE seq <= " \
	"($4::jsonb ->> instance)::bigint END "
	static const char *const sql[] = {
		"SELECT coalesce(team, '') COLLATE \"C\", coalesce(policy, '') "
		"COLLATE \"C\", count(*), count(*) FILTER (WHERE zdr <> 0)" SEL
		"GROUP BY 1, 2 ORDER BY 1, 2",
		"SELECT coalesce(team, '') COLLATE \"C\", pii, count(*)" SEL
		"AND pii IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
		"SELECT coalesce(team, '') COLLATE \"C\", upstream, "
		"coalesce(region, ''), count(*), count(*) FILTER (WHERE zdr <> "
		"0), count(*) FILTER (WHERE strpos(route, ' sensitive=') > 0)"
		SEL "AND upstream IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 4 "
		"DESC, 2",
	};
#undef SEL
	json_t *in = op->json;
	char *bounds = report_bounds(in);
	json_t *teams = json_array();
	enum gw_err err = GW_OK;
	struct pg_args a;

	op->json = NULL;
	pga_init(&a);
	pga_i64(&a, op->from_ms);
	pga_i64(&a, op->to_ms);
	pga_str(&a, op->team);
	pga_text(&a, bounds);
	pga_i64(&a, op->upto_seq);
	for (size_t q = 0; q < 3 && teams != NULL && err == GW_OK; q++) {
		PGresult *res = pg_query(st, sql[q], &a);

		if (res == NULL) {
			err = GW_ERR_STORAGE;
			break;
		}
		for (int r = 0; r < PQntuples(res); r++) {
			json_t *t = report_team(teams, PQgetvalue(res, r, 0));

			switch (q) {
			case 0:
				report_add_count(t, "requests",
				    pg_num(res, r, 2));
				report_add_count(t, "zdr_requests",
				    pg_num(res, r, 3));
				report_add_policy(t, PQgetvalue(res, r, 1),
				    pg_num(res, r, 2));
				break;
			case 1:
				report_add_pii(json_object_get(t,
				    "personal_data"), PQgetvalue(res, r, 1),
				    pg_num(res, r, 2));
				break;
			default:
				json_array_append_new(json_object_get(t,
				    "recipients"), json_pack("{s:s, s:s, s:I, "
				    "s:I, s:I}", "upstream", PQgetvalue(res, r,
				    1), "region", PQgetvalue(res, r, 2),
				    "requests", (json_int_t)pg_num(res, r, 3),
				    "zdr_requests", (json_int_t)pg_num(res, r,
				    4), "sensitive_requests",
				    (json_int_t)pg_num(res, r, 5)));
			}
		}
		PQclear(res);
	}
	free(bounds);
	if (err == GW_OK && teams == NULL)
		err = GW_ERR_NOMEM;
	if (err != GW_OK) {
		json_decref(teams);
		op->json = in;	/* for a run again; else the submitter's */
		return err;
	}
	json_decref(in);
	op->json = teams;
	return GW_OK;
}

/* As storage/audit_export.c, over every instance's records (newest
 * first by their ids), with the instance of each. */
enum gw_err
pg_audit_request_list(struct pg_store *st, struct store_op *op)
{
	struct pg_args a;

	pga_init(&a);
	pga_str(&a, op->team);
	pga_i64(&a, op->limit > 0 ? op->limit : 100);
	return pg_rows_json(st, "SELECT request_id, ts, key_id, team, method, "
	    "path, model, upstream, status, prompt_tokens, completion_tokens, "
	    "cost_eur, cost_usd, latency_us, error, streamed, pii, region, "
	    "route, instance FROM audit WHERE kind = 'request' AND "
	    "($1::text = '' OR team = $1::text) ORDER BY id DESC LIMIT $2",
	    &a, &op->json);
}
