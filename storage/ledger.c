/* The spend ledger: reservations, settlement, crash recovery, reports. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "storage/ledger.h"
#include "storage/sql.h"

/*
 * What a budget has used in a period is the sum of its ledger entries:
 * the reservation of an open entry, the cost of a settled or charged one.
 * The writer thread (the only writer) keeps these sums in a small hash
 * table, loads a sum on first use, and updates it with every reservation
 * and settlement; a failed batch drops the table.
 */
#define USED_SLOTS 4096
/* The used-amount queries: 3 scopes x 2 currencies. */
#define LEDGER_STMTS 6

/* What a budget has used in its period. */
struct used_slot {
	char scope;
	char id[65];
	int currency;
	int64_t start_ms, end_ms;
	int64_t used;
	int in_use;
};

struct ledger {
	struct used_slot used[USED_SLOTS];
	size_t n_used;
	sqlite3_stmt *st_used[LEDGER_STMTS];
	sqlite3_stmt *st_reserve, *st_settle;
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

static int64_t
sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

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
	sqlite3_finalize(l->st_settle);
	free(l);
	st->ledger = NULL;
}

/* Forgets the used amounts (the table is full, or they are stale). */
static void
used_forget(struct ledger *l)
{
	memset(l->used, 0, sizeof(l->used));
	l->n_used = 0;
}

enum gw_err
ledger_reload(struct sqlite_store *st)
{
	used_forget(st->ledger);
	return GW_OK;
}

static size_t
slot_hash(const struct store_budget *b)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p = (const unsigned char *)b->id;

	h = (h ^ (unsigned char)b->scope) * 1099511628211ULL;
	for (; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ (uint64_t)b->currency) * 1099511628211ULL;
	h = (h ^ (uint64_t)b->start_ms) * 1099511628211ULL;
	h = (h ^ (uint64_t)b->end_ms) * 1099511628211ULL;
	return (size_t)(h % USED_SLOTS);
}

static int
slot_is(const struct used_slot *s, const struct store_budget *b)
{
	return s->scope == b->scope && s->currency == b->currency &&
	    s->start_ms == b->start_ms && s->end_ms == b->end_ms &&
	    strcmp(s->id, b->id) == 0;
}

/* The slot of b, or the free slot where it goes (open addressing). */
static struct used_slot *
slot_find(struct ledger *l, const struct store_budget *b)
{
	size_t i = slot_hash(b);

	for (size_t n = 0; n < USED_SLOTS; n++, i = (i + 1) % USED_SLOTS)
		if (!l->used[i].in_use || slot_is(&l->used[i], b))
			return &l->used[i];
	return NULL;
}

static int
scope_index(char scope)
{
	return scope == 'g' ? 0 : scope == 't' ? 1 : 2;
}

/* What b has used in its period: from the table, else from the ledger. */
static enum gw_err
used_get(struct ledger *l, const struct store_budget *b,
    struct used_slot **out)
{
	struct used_slot *s = slot_find(l, b);
	sqlite3_stmt *q;
	int rc;

	if (s != NULL && s->in_use) {
		*out = s;
		return GW_OK;
	}
	if (s == NULL || l->n_used >= USED_SLOTS * 3 / 4) {
		used_forget(l);	/* full: start over, sums reload */
		s = slot_find(l, b);
	}
	q = l->st_used[scope_index(b->scope) * 2 + (b->currency ? 1 : 0)];
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, b->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, b->start_ms);
	sqlite3_bind_int64(q, 3, b->end_ms);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(q);
		return GW_ERR_STORAGE;
	}
	memset(s, 0, sizeof(*s));
	s->scope = b->scope;
	snprintf(s->id, sizeof(s->id), "%s", b->id);
	s->currency = b->currency;
	s->start_ms = b->start_ms;
	s->end_ms = b->end_ms;
	s->used = sqlite3_column_int64(q, 0);
	s->in_use = 1;
	l->n_used++;
	sqlite3_reset(q);
	*out = s;
	return GW_OK;
}

enum gw_err
ledger_reserve(struct sqlite_store *st, struct store_spend *sp)
{
	struct ledger *l = st->ledger;
	struct used_slot *slots[STORE_MAX_BUDGETS];
	int64_t avail[STORE_MAX_BUDGETS];
	int cur[STORE_MAX_BUDGETS];
	sqlite3_stmt *s = l->st_reserve;
	enum gw_err err;
	int rc;

	for (int i = 0; i < sp->n_budgets; i++) {
		err = used_get(l, &sp->budgets[i], &slots[i]);
		if (err != GW_OK)
			return err;
		avail[i] = sp->budgets[i].limit - slots[i]->used;
		cur[i] = sp->budgets[i].currency;
		sp->budgets[i].used = slots[i]->used;
	}
	sp->reserved[0] = sp->reserved[1] = -1;
	sp->refused = sp->decide(sp->decide_arg, avail, cur, sp->n_budgets,
	    sp->reserved);
	if (sp->refused >= 0)
		return GW_OK;
	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, sp->ledger_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, sp->request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, sp->ts_ms);
	sql_bind_text(s, 4, sp->team);
	sql_bind_text(s, 5, sp->key_id);
	sql_bind_text(s, 6, sp->model);
	sql_bind_num(s, 7, sp->reserved[0]);
	sql_bind_num(s, 8, sp->reserved[1]);
	sql_bind_text(s, 9, sp->method);
	sql_bind_text(s, 10, sp->path);
	sql_bind_text(s, 11, sp->client);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return sql_map_rc(rc);
	for (int i = 0; i < sp->n_budgets; i++) {
		int64_t r = sp->reserved[cur[i]];

		slots[i]->used = sat_add(slots[i]->used, r > 0 ? r : 0);
		sp->budgets[i].used = slots[i]->used;
	}
	return GW_OK;
}

enum gw_err
ledger_settle(struct sqlite_store *st, struct store_spend *sp,
    const char *upstream, int64_t now_ms)
{
	struct ledger *l = st->ledger;
	sqlite3_stmt *s = l->st_settle;
	int rc;

	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, sp->charged ? "charged" : "settled", -1,
	    SQLITE_STATIC);
	sql_bind_num(s, 2, sp->cost[0]);
	sql_bind_num(s, 3, sp->cost[1]);
	sql_bind_num(s, 4, sp->prompt_tokens);
	sql_bind_num(s, 5, sp->completion_tokens);
	sql_bind_text(s, 6, upstream);
	sqlite3_bind_int64(s, 7, now_ms);
	sqlite3_bind_text(s, 8, sp->ledger_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return sql_map_rc(rc);
	/* Settling twice changes nothing. */
	sp->settled = sqlite3_changes(st->db) == 1;
	for (int i = 0; i < sp->n_budgets; i++) {
		struct store_budget *b = &sp->budgets[i];
		struct used_slot *slot = slot_find(l, b);
		int64_t c = sp->cost[b->currency];
		int64_t r = sp->reserved[b->currency];

		if (slot != NULL && slot->in_use) {
			if (sp->settled)
				slot->used = sat_add(sat_add(slot->used,
				    c > 0 ? c : 0), r > 0 ? -r : 0);
		} else if (used_get(l, b, &slot) != GW_OK) {
			continue;
		}
		b->used = slot->used;
	}
	return GW_OK;
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
