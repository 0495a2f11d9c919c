/* The spend ledger: reservations, settlement, crash recovery, reports. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "storage/ledger.h"
#include "storage/sql.h"

/*
 * What a budget has used in a period is the sum of its ledger entries:
 * the reservation of an open entry, the cost of a settled or charged one.
 * The loop keeps these sums (storage/book.c), decides reservations from
 * them and has them read from here once per budget and period
 * (ledger_used); the entries themselves are written here from the
 * journal's records (storage/intent.c).
 */
/* The used-amount queries: 3 scopes x 2 currencies. */
#define LEDGER_STMTS 6

struct ledger {
	sqlite3_stmt *st_used[LEDGER_STMTS];
	sqlite3_stmt *st_reserve, *st_settled, *st_settle;
};

/*
 * Sums of ledger values are sat_sum(): exact, and saturated at the int64
 * bounds instead of failing. SQLite's sum() raises "integer overflow",
 * and one absurd value stored (by this or an older version) would then
 * fail every budget check and report that reads it.
 */
static const char *const used_sql[LEDGER_STMTS] = {
	"SELECT coalesce(sat_sum(CASE state WHEN 'reserved' THEN reserved_eur "
	"ELSE cost_eur END), 0) FROM ledger WHERE ts >= ?2 AND ts < ?3 "
	"AND ?1 = ''",
	"SELECT coalesce(sat_sum(CASE state WHEN 'reserved' THEN reserved_usd "
	"ELSE cost_usd END), 0) FROM ledger WHERE ts >= ?2 AND ts < ?3 "
	"AND ?1 = ''",
	"SELECT coalesce(sat_sum(CASE state WHEN 'reserved' THEN reserved_eur "
	"ELSE cost_eur END), 0) FROM ledger WHERE team = ?1 AND ts >= ?2 "
	"AND ts < ?3",
	"SELECT coalesce(sat_sum(CASE state WHEN 'reserved' THEN reserved_usd "
	"ELSE cost_usd END), 0) FROM ledger WHERE team = ?1 AND ts >= ?2 "
	"AND ts < ?3",
	"SELECT coalesce(sat_sum(CASE state WHEN 'reserved' THEN reserved_eur "
	"ELSE cost_eur END), 0) FROM ledger WHERE key_id = ?1 AND ts >= ?2 "
	"AND ts < ?3",
	"SELECT coalesce(sat_sum(CASE state WHEN 'reserved' THEN reserved_usd "
	"ELSE cost_usd END), 0) FROM ledger WHERE key_id = ?1 AND ts >= ?2 "
	"AND ts < ?3",
};

/*
 * The state of sat_sum(): a 128-bit sum cannot overflow on int64 rows. It
 * is kept as bytes: SQLite's aggregate context is only 8-byte aligned.
 */
struct sat_acc {
	unsigned char sum[sizeof(__int128)];
	int any;
};

static void
sat_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct sat_acc *a = sqlite3_aggregate_context(ctx, sizeof(*a));
	__int128 sum;

	if (a == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	/* Reals and text are read as SQLite converts them (saturated). */
	memcpy(&sum, a->sum, sizeof(sum));
	sum += sqlite3_value_int64(argv[0]);
	memcpy(a->sum, &sum, sizeof(sum));
	a->any = 1;
}

static void
sat_final(sqlite3_context *ctx)
{
	struct sat_acc *a = sqlite3_aggregate_context(ctx, 0);
	__int128 sum;

	if (a == NULL || !a->any) {
		sqlite3_result_null(ctx);	/* like sum() of no row */
		return;
	}
	memcpy(&sum, a->sum, sizeof(sum));
	sqlite3_result_int64(ctx, sum > INT64_MAX ? INT64_MAX :
	    sum < INT64_MIN ? INT64_MIN : (int64_t)sum);
}

enum gw_err
ledger_open(struct sqlite_store *st, const struct store_conf *conf)
{
	struct ledger *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return GW_ERR_NOMEM;
	st->ledger = l;
	if (sqlite3_create_function_v2(st->db, "sat_sum", 1, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, NULL, NULL, sat_step, sat_final, NULL) !=
	    SQLITE_OK) {
		log_error("storage: %s", log_q(sqlite3_errmsg(st->db)));
		return GW_ERR_STORAGE;
	}
	for (int i = 0; i < LEDGER_STMTS; i++)
		if (sql_prepare(st->db, used_sql[i], &l->st_used[i]) != GW_OK)
			return GW_ERR_STORAGE;
	if (sql_prepare(st->db, "INSERT INTO ledger(id, request_id, ts, "
	    "team, key_id, model, state, reserved_eur, reserved_usd, method, "
	    "path, client) VALUES(?, ?, ?, ?, ?, ?, 'reserved', ?, ?, ?, ?, ?)",
	    &l->st_reserve) != GW_OK ||
	    sql_prepare(st->db, "INSERT INTO ledger(id, request_id, ts, "
	    "team, key_id, model, state, reserved_eur, reserved_usd, method, "
	    "path, client, cost_eur, cost_usd, prompt_tokens, "
	    "completion_tokens, upstream, settled_at) VALUES(?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &l->st_settled) !=
	    GW_OK ||
	    sql_prepare(st->db, "UPDATE ledger SET state = ?, "
	    "cost_eur = ?, cost_usd = ?, prompt_tokens = ?, "
	    "completion_tokens = ?, upstream = ?, settled_at = ? "
	    "WHERE id = ? AND state = 'reserved'", &l->st_settle) != GW_OK)
		return GW_ERR_STORAGE;
	return GW_OK;
}

void
ledger_close(struct sqlite_store *st)
{
	struct ledger *l = st->ledger;

	if (l == NULL)
		return;
	for (int i = 0; i < LEDGER_STMTS; i++)
		sqlite3_finalize(l->st_used[i]);
	sqlite3_finalize(l->st_reserve);
	sqlite3_finalize(l->st_settled);
	sqlite3_finalize(l->st_settle);
	free(l);
	st->ledger = NULL;
}

static int
scope_index(char scope)
{
	return scope == 'g' ? 0 : scope == 't' ? 1 : 2;
}

enum gw_err
ledger_used(struct sqlite_store *st, struct store_op *op)
{
	struct ledger *l = st->ledger;
	struct store_spend *sp = op->spend;

	for (int i = 0; i < sp->n_budgets; i++) {
		struct store_budget *b = &sp->budgets[i];
		sqlite3_stmt *q = l->st_used[scope_index(b->scope) * 2 +
		    (b->currency ? 1 : 0)];
		int rc;

		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, b->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, b->start_ms);
		sqlite3_bind_int64(q, 3, b->end_ms);
		rc = sqlite3_step(q);
		if (rc == SQLITE_ROW)
			b->used = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		if (rc != SQLITE_ROW)
			return GW_ERR_STORAGE;
	}
	return GW_OK;
}

/* Binds the entry's id, request, time, team, key and model (1-6),
 * its reservation and what the request is known by (from 'at'). */
static void
bind_entry(sqlite3_stmt *s, const struct store_spend *sp, int at)
{
	sqlite3_bind_text(s, 1, sp->ledger_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sp->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, sp->ts_ms);
	sql_bind_text_static(s, 4, sp->team);
	sql_bind_text_static(s, 5, sp->key_id);
	sql_bind_text_static(s, 6, sp->model);
	sql_bind_num(s, at, sp->reserved[0]);
	sql_bind_num(s, at + 1, sp->reserved[1]);
	sql_bind_text_static(s, at + 2, sp->method);
	sql_bind_text_static(s, at + 3, sp->path);
	sql_bind_text_static(s, at + 4, sp->client);
}

static enum gw_err
step_entry(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	/* Each statement's every parameter is bound again before its next
	 * step: no sqlite3_clear_bindings (it costs as much as the
	 * binds). */
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? GW_OK : sql_map_rc(rc);
}

enum gw_err
ledger_open_entry(struct sqlite_store *st, const struct store_spend *sp)
{
	sqlite3_stmt *s = st->ledger->st_reserve;

	sqlite3_reset(s);
	bind_entry(s, sp, 7);
	return step_entry(s);
}

enum gw_err
ledger_write_settled(struct sqlite_store *st, const struct store_spend *res,
    const struct store_spend *set, const char *upstream, int64_t now_ms)
{
	sqlite3_stmt *s = st->ledger->st_settled;

	sqlite3_reset(s);
	sqlite3_bind_text(s, 7, set->charged ? "charged" : "settled", -1,
	    SQLITE_STATIC);
	bind_entry(s, res, 8);
	sql_bind_num(s, 13, set->cost[0]);
	sql_bind_num(s, 14, set->cost[1]);
	sql_bind_num(s, 15, set->prompt_tokens);
	sql_bind_num(s, 16, set->completion_tokens);
	sql_bind_text_static(s, 17, upstream);
	sqlite3_bind_int64(s, 18, now_ms);
	return step_entry(s);
}

enum gw_err
ledger_settle(struct sqlite_store *st, const struct store_spend *sp,
    const char *upstream, int64_t now_ms)
{
	sqlite3_stmt *s = st->ledger->st_settle;

	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, sp->charged ? "charged" : "settled", -1,
	    SQLITE_STATIC);
	sql_bind_num(s, 2, sp->cost[0]);
	sql_bind_num(s, 3, sp->cost[1]);
	sql_bind_num(s, 4, sp->prompt_tokens);
	sql_bind_num(s, 5, sp->completion_tokens);
	sql_bind_text_static(s, 6, upstream);
	sqlite3_bind_int64(s, 7, now_ms);
	sqlite3_bind_text(s, 8, sp->ledger_id, -1, SQLITE_STATIC);
	/* Settling twice changes nothing (the state is no longer
	 * reserved). */
	return step_entry(s);
}

enum gw_err
ledger_recover(struct sqlite_store *st, int64_t now_ms)
{
	sqlite3_stmt *s;
	int rc, n;

	if (sqlite3_prepare_v2(st->db, "UPDATE ledger SET state = 'charged', "
	    "cost_eur = reserved_eur, cost_usd = reserved_usd, settled_at = ? "
	    "WHERE state = 'reserved'", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	sqlite3_bind_int64(s, 1, now_ms);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	n = sqlite3_changes(st->db);
	if (rc == SQLITE_DONE && n > 0)
		log_warn("storage: %d requests interrupted by a crash "
		    "recorded; their reservations settled as charged", n);
	return sql_map_rc(rc);
}

enum gw_err
ledger_report(struct sqlite_store *st, struct store_op *op)
{
	static const char *const groups[] = {
		"''", "coalesce(model, '')",
		"strftime('%Y-%m-%d', ts / 1000, 'unixepoch')",
		"coalesce(team, '')", "coalesce(key_id, '')",
	};
	sqlite3_stmt *s;
	char sql[1024];
	enum gw_err err;

	if (op->group < 0 || op->group > STORE_GROUP_KEY || op->group2 < 0 ||
	    op->group2 > STORE_GROUP_KEY)
		return GW_ERR_INVAL;
	snprintf(sql, sizeof(sql), "SELECT %s AS grp, %s AS grp2, "
	    "count(*) AS requests, "
	    "coalesce(sat_sum(prompt_tokens), 0) AS prompt_tokens, "
	    "coalesce(sat_sum(completion_tokens), 0) AS completion_tokens, "
	    "sat_sum(CASE WHEN state <> 'reserved' THEN cost_eur END) "
	    "AS cost_eur, "
	    "sat_sum(CASE WHEN state <> 'reserved' THEN cost_usd END) "
	    "AS cost_usd, "
	    "sat_sum(CASE WHEN state = 'reserved' THEN reserved_eur END) "
	    "AS reserved_eur, "
	    "sat_sum(CASE WHEN state = 'reserved' THEN reserved_usd END) "
	    "AS reserved_usd, "
	    "sum(state = 'reserved') AS open, "
	    "sum(state = 'charged') AS charged "
	    "FROM ledger WHERE (?1 = '' OR team = ?1) AND "
	    "(?2 = '' OR key_id = ?2) AND ts >= ?3 AND ts < ?4 "
	    "GROUP BY grp, grp2 ORDER BY grp, grp2", groups[op->group],
	    groups[op->group2]);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	sqlite3_bind_text(s, 1, op->team, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, op->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, op->from_ms);
	sqlite3_bind_int64(s, 4, op->to_ms);
	err = sql_rows_json(s, &op->json);
	sqlite3_finalize(s);
	return err;
}
