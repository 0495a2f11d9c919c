/*
 * The audit log, exports: pages of records as JSON lines or CSV, the
 * processing report (GDPR Art. 30) and the newest requests. Pages and
 * reports run on the reader connection, so that long reads never hold
 * up the writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "storage/audit_export.h"
#include "storage/report.h"
#include "storage/schema.h"
#include "storage/sql.h"

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

static json_t *
row_json(sqlite3_stmt *s)
{
	json_t *o = json_object();
	char tmp[65];

	for (size_t i = 0; i < report_n_export_cols; i++) {
		const char *name = report_export_cols[i];
		int t = sqlite3_column_type(s, (int)i);

		if (t == SQLITE_INTEGER)
			json_object_set_new(o, name, json_integer(
			    sqlite3_column_int64(s, (int)i)));
		else if (t == SQLITE_NULL)
			json_object_set_new(o, name, json_null());
		else
			json_object_set_new(o, name, json_string(
			    col_text(s, (int)i, tmp)));
	}
	return o;
}

/*
 * One page of the records selected by op->aq, after op->aq.after, as
 * JSON lines or CSV (the header on the first page) in op->text.
 */
enum gw_err
audit_page(struct sqlite_store *st, struct store_op *op)
{
	struct store_audit_query *q = &op->aq;
	sqlite3_stmt *s;
	struct report_text t = { NULL, 0, 0, 0 };
	char tmp[65];
	int rc = SQLITE_DONE, n = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT " AUDIT_COLUMNS " FROM audit "
	    "WHERE seq > ?1 AND ts >= ?2 AND ts < ?3 AND "
	    "(?4 = '' OR team = ?4) AND (?5 IS NULL OR subject = ?5) "
	    "ORDER BY seq LIMIT ?6", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	sqlite3_bind_int64(s, 1, q->after);
	sqlite3_bind_int64(s, 2, q->from_ms);
	sqlite3_bind_int64(s, 3, q->to_ms);
	sqlite3_bind_text(s, 4, q->team, -1, SQLITE_STATIC);
	if (q->has_subject)
		sqlite3_bind_blob(s, 5, q->subject, 32, SQLITE_STATIC);
	sqlite3_bind_int(s, 6, REPORT_PAGE_RECORDS);
	if (q->format == STORE_FMT_CSV && q->after == 0) {
		for (size_t i = 0; i < report_n_export_cols; i++) {
			report_text_cat(&t, ",", i ? 1 : 0);
			report_csv_field(&t, report_export_cols[i]);
		}
		report_text_cat(&t, "\r\n", 2);
	}
	q->done = 1;
	while (t.len < REPORT_PAGE_BYTES &&
	    (rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		q->after = sqlite3_column_int64(s, 0);
		if (q->format == STORE_FMT_CSV) {
			for (size_t i = 0; i < report_n_export_cols; i++) {
				report_text_cat(&t, ",", i ? 1 : 0);
				report_csv_field(&t, col_text(s, (int)i, tmp));
			}
			report_text_cat(&t, "\r\n", 2);
		} else {
			json_t *o = row_json(s);
			char *line = o ? json_dumps(o, JSON_COMPACT |
			    JSON_PRESERVE_ORDER) : NULL;

			json_decref(o);
			if (line == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			report_text_cat(&t, line, strlen(line));
			report_text_cat(&t, "\n", 1);
			free(line);
		}
	}
	/* Stopped by the page's size or count: more may follow. */
	if (rc == SQLITE_ROW ||
	    (rc == SQLITE_DONE && n == REPORT_PAGE_RECORDS)) {
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

/*
 * What an Art. 30 record and the posture need, per team, from the
 * request records in [from, to) (and up to upto_seq): requests, the
 * policies applied with their requests, personal data categories with
 * counts, recipients (upstream and region) with how many went under ZDR
 * and how many were routed as sensitive data.
 */
enum gw_err
audit_processing_report(struct sqlite_store *st, struct store_op *op)
{
#define SEL " FROM audit WHERE kind = 'request' AND ts >= ?1 AND ts < ?2 " \
	"AND (?3 = '' OR team = ?3) AND (?4 = 0 OR seq <= ?4) "
	static const char *const sql[] = {
		"SELECT coalesce(team, ''), coalesce(policy, ''), count(*), "
		"sum(zdr <> 0)" SEL "GROUP BY 1, 2 ORDER BY 1, 2",
		"SELECT coalesce(team, ''), pii, count(*)" SEL "AND pii IS NOT "
		"NULL GROUP BY 1, 2",
		"SELECT coalesce(team, ''), upstream, coalesce(region, ''), "
		"count(*), sum(zdr <> 0), sum(instr(route, ' sensitive=') > 0)"
		SEL "AND upstream IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 4 "
		"DESC",
	};
#undef SEL
	json_t *teams;
	int rc = SQLITE_DONE;

	/* Bounds per chain (store.h) are PostgreSQL's: one chain here. */
	json_decref(op->json);
	op->json = NULL;
	teams = json_array();

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
		sqlite3_bind_int64(s, 4, op->upto_seq);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			json_t *t = report_team(teams,
			    (const char *)sqlite3_column_text(s, 0));

			switch (q) {
			case 0:
				report_add_count(t, "requests",
				    sqlite3_column_int64(s, 2));
				report_add_count(t, "zdr_requests",
				    sqlite3_column_int64(s, 3));
				report_add_policy(t, (const char *)
				    sqlite3_column_text(s, 1),
				    sqlite3_column_int64(s, 2));
				break;
			case 1:
				report_add_pii(json_object_get(t,
				    "personal_data"),
				    (const char *)sqlite3_column_text(s, 1),
				    sqlite3_column_int64(s, 2));
				break;
			default:
				json_array_append_new(json_object_get(t,
				    "recipients"), json_pack("{s:s, s:s, s:I, "
				    "s:I, s:I}", "upstream",
				    sqlite3_column_text(s, 1), "region",
				    sqlite3_column_text(s, 2), "requests",
				    (json_int_t)sqlite3_column_int64(s, 3),
				    "zdr_requests",
				    (json_int_t)sqlite3_column_int64(s, 4),
				    "sensitive_requests",
				    (json_int_t)sqlite3_column_int64(s, 5)));
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

enum gw_err
audit_request_list(struct sqlite_store *st, struct store_op *op)
{
	return sql_query_json(st->db, "SELECT request_id, ts, key_id, team, "
	    "method, path, model, upstream, status, prompt_tokens, "
	    "completion_tokens, cost_eur, cost_usd, latency_us, error, "
	    "streamed, pii, region, route FROM audit WHERE kind = 'request' "
	    "AND (?1 = '' OR team = ?1) ORDER BY seq DESC LIMIT ?2", op->team,
	    op->limit > 0 ? op->limit : 100, &op->json);
}
