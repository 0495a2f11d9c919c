/* The shared spend ledger: locked budget rows, reservations, settlement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "storage/pg_ledger.h"
#include "storage/pg_sql.h"

/* A budget's row, locked for the batch, and what it has used. */
struct bkey {
	char scope;
	char id[65];
	int currency;
	int64_t start_ms, end_ms;
	int64_t used;
	int dirty;		/* moved: written back before COMMIT */
};

struct pg_ledger {
	struct bkey *k;		/* the batch's locked rows */
	size_t n, cap;
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

enum gw_err
pg_ledger_open(struct pg_store *st, const struct store_conf *conf)
{
	st->ledger = calloc(1, sizeof(*st->ledger));
	return st->ledger != NULL ? GW_OK : GW_ERR_NOMEM;
}

void
pg_ledger_close(struct pg_store *st)
{
	if (st->ledger == NULL)
		return;
	free(st->ledger->k);
	free(st->ledger);
	st->ledger = NULL;
}

enum gw_err
pg_ledger_reload(struct pg_store *st)
{
	st->ledger->n = 0;
	return GW_OK;
}

static int
key_cmp(const void *a, const void *b)
{
	const struct bkey *x = a, *y = b;
	int c;

	if (x->scope != y->scope)
		return x->scope < y->scope ? -1 : 1;
	c = strcmp(x->id, y->id);
	if (c != 0)
		return c;
	if (x->currency != y->currency)
		return x->currency < y->currency ? -1 : 1;
	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	if (x->end_ms != y->end_ms)
		return x->end_ms < y->end_ms ? -1 : 1;
	return 0;
}

static int
key_is(const struct bkey *k, const struct store_budget *b)
{
	return k->scope == b->scope && k->currency == b->currency &&
	    k->start_ms == b->start_ms && k->end_ms == b->end_ms &&
	    strcmp(k->id, b->id) == 0;
}

static struct bkey *
key_find(struct pg_ledger *l, const struct store_budget *b)
{
	for (size_t i = 0; i < l->n; i++)
		if (key_is(&l->k[i], b))
			return &l->k[i];
	return NULL;
}

/* Adds b's key (not locked yet); NULL when out of memory. */
static struct bkey *
key_add(struct pg_ledger *l, const struct store_budget *b)
{
	struct bkey *k;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;

		k = realloc(l->k, cap * sizeof(*k));
		if (k == NULL)
			return NULL;
		l->k = k;
		l->cap = cap;
	}
	k = &l->k[l->n++];
	memset(k, 0, sizeof(*k));
	k->scope = b->scope;
	snprintf(k->id, sizeof(k->id), "%s", b->id);
	k->currency = b->currency;
	k->start_ms = b->start_ms;
	k->end_ms = b->end_ms;
	return k;
}

/* What the ledger holds for a budget that has no row yet, by scope:
 * the reservations of open entries and the costs of the others. */
#define USED_SUM "SELECT $1::text, $2::text, $3::integer, $4::bigint, " \
	"$5::bigint, coalesce(eugate_sat(sum(CASE WHEN state = 'reserved' " \
	"THEN (CASE WHEN $3::integer = 0 THEN reserved_eur ELSE " \
	"reserved_usd END) ELSE (CASE WHEN $3::integer = 0 THEN cost_eur " \
	"ELSE cost_usd END) END)), 0) FROM ledger WHERE ts >= $4::bigint " \
	"AND ts < $5::bigint"
static const char *const init_sql[3] = {
	"INSERT INTO budget_used(scope, id, currency, start_ms, end_ms, used) "
	USED_SUM " ON CONFLICT DO NOTHING",
	"INSERT INTO budget_used(scope, id, currency, start_ms, end_ms, used) "
	USED_SUM " AND team = $2::text ON CONFLICT DO NOTHING",
	"INSERT INTO budget_used(scope, id, currency, start_ms, end_ms, used) "
	USED_SUM " AND key_id = $2::text ON CONFLICT DO NOTHING",
};

static void
key_args(struct pg_args *a, const struct bkey *k)
{
	char s[2] = { k->scope, '\0' };

	pga_init(a);
	pga_short(a, s);
	pga_str(a, k->id);
	pga_i64(a, k->currency);
	pga_i64(a, k->start_ms);
	pga_i64(a, k->end_ms);
}

/* Locks k's row (made from the ledger when it has none) and reads it. */
static enum gw_err
key_lock(struct pg_store *st, struct bkey *k)
{
	static const char *const lock_sql = "SELECT used FROM budget_used "
	    "WHERE scope = $1 AND id = $2 AND currency = $3 AND start_ms = $4 "
	    "AND end_ms = $5 FOR UPDATE";
	struct pg_args a;
	int64_t used;

	key_args(&a, k);
	if (pg_i64(st, lock_sql, &a, &used) != GW_OK)
		return GW_ERR_STORAGE;
	if (used == -1) {
		int64_t rows;
		int si = k->scope == 'g' ? 0 : k->scope == 't' ? 1 : 2;

		/* -1 is also a value a row may hold: look again. */
		if (pg_run(st, init_sql[si], &a, &rows) != GW_OK ||
		    pg_i64(st, lock_sql, &a, &used) != GW_OK)
			return GW_ERR_STORAGE;
	}
	k->used = used;
	return GW_OK;
}

/* The locked key of b, locking it now when the batch did not. */
static enum gw_err
key_get(struct pg_store *st, const struct store_budget *b, struct bkey **out)
{
	struct pg_ledger *l = st->ledger;
	struct bkey *k = key_find(l, b);

	if (k == NULL) {
		k = key_add(l, b);
		if (k == NULL)
			return GW_ERR_NOMEM;
		if (key_lock(st, k) != GW_OK) {
			l->n--;
			return GW_ERR_STORAGE;
		}
	}
	*out = k;
	return GW_OK;
}

enum gw_err
pg_ledger_begin(struct pg_store *st, const struct store_op *batch)
{
	struct pg_ledger *l = st->ledger;
	size_t w = 0;

	l->n = 0;
	for (const struct store_op *op = batch; op != NULL; op = op->next) {
		const struct store_spend *sp = op->spend;

		if (sp == NULL || !(op->type == STORE_RESERVE ||
		    (op->type == STORE_AUDIT_APPEND && sp->settle)))
			continue;
		for (int i = 0; i < sp->n_budgets && i < STORE_MAX_BUDGETS; i++)
			if (key_find(l, &sp->budgets[i]) == NULL &&
			    key_add(l, &sp->budgets[i]) == NULL)
				return GW_ERR_NOMEM;
	}
	/* One order for every instance: no two batches wait on each
	 * other's rows. */
	if (l->n > 1)
		qsort(l->k, l->n, sizeof(*l->k), key_cmp);
	for (size_t i = 0; i < l->n; i++) {
		if (w > 0 && key_cmp(&l->k[w - 1], &l->k[i]) == 0)
			continue;
		l->k[w++] = l->k[i];
	}
	l->n = w;
	for (size_t i = 0; i < l->n; i++)
		if (key_lock(st, &l->k[i]) != GW_OK)
			return GW_ERR_STORAGE;
	return GW_OK;
}

enum gw_err
pg_ledger_end(struct pg_store *st)
{
	struct pg_ledger *l = st->ledger;
	struct pg_args a;

	for (size_t i = 0; i < l->n; i++) {
		if (!l->k[i].dirty)
			continue;
		key_args(&a, &l->k[i]);
		pga_i64(&a, l->k[i].used);
		if (pg_run(st, "UPDATE budget_used SET used = $6 WHERE scope = "
		    "$1 AND id = $2 AND currency = $3 AND start_ms = $4 AND "
		    "end_ms = $5", &a, NULL) != GW_OK)
			return GW_ERR_STORAGE;
	}
	l->n = 0;
	return GW_OK;
}

enum gw_err
pg_ledger_reserve(struct pg_store *st, struct store_op *op)
{
	struct store_spend *sp = op->spend;
	struct bkey *keys[STORE_MAX_BUDGETS];
	int64_t avail[STORE_MAX_BUDGETS];
	int cur[STORE_MAX_BUDGETS];
	struct pg_args a;
	enum gw_err err;

	for (int i = 0; i < sp->n_budgets; i++) {
		err = key_get(st, &sp->budgets[i], &keys[i]);
		if (err != GW_OK)
			return err;
		avail[i] = sp->budgets[i].limit - keys[i]->used;
		cur[i] = sp->budgets[i].currency;
		sp->budgets[i].used = keys[i]->used;
	}
	sp->reserved[0] = sp->reserved[1] = -1;
	sp->refused = sp->decide(sp->decide_arg, avail, cur, sp->n_budgets,
	    sp->reserved);
	if (sp->refused >= 0)
		return GW_OK;
	pga_init(&a);
	pga_str(&a, sp->ledger_id);
	pga_str(&a, sp->request_id);
	pga_i64(&a, sp->ts_ms);
	pga_text(&a, sp->team);
	pga_text(&a, sp->key_id);
	pga_text(&a, sp->model);
	pga_num(&a, sp->reserved[0]);
	pga_num(&a, sp->reserved[1]);
	pga_text(&a, sp->method);
	pga_text(&a, sp->path);
	pga_text(&a, sp->client);
	pga_str(&a, st->instance);
	if (pg_run(st, "INSERT INTO ledger(id, request_id, ts, team, key_id, "
	    "model, state, reserved_eur, reserved_usd, method, path, client, "
	    "instance) VALUES($1, $2, $3, $4, $5, $6, 'reserved', $7, $8, $9, "
	    "$10, $11, $12)", &a, NULL) != GW_OK)
		return GW_ERR_STORAGE;
	for (int i = 0; i < sp->n_budgets; i++) {
		int64_t r = sp->reserved[cur[i]];

		keys[i]->used = sat_add(keys[i]->used, r > 0 ? r : 0);
		keys[i]->dirty = 1;
		sp->budgets[i].used = keys[i]->used;
	}
	return GW_OK;
}

enum gw_err
pg_ledger_settle(struct pg_store *st, struct store_spend *sp,
    const char *upstream, int64_t now_ms)
{
	struct bkey *keys[STORE_MAX_BUDGETS];
	struct pg_args a;
	int64_t rows;
	enum gw_err err;

	/* Locked before the entry moves: a row made now from the ledger
	 * must not count the settlement twice. */
	for (int i = 0; i < sp->n_budgets; i++) {
		err = key_get(st, &sp->budgets[i], &keys[i]);
		if (err != GW_OK)
			return err;
	}
	pga_init(&a);
	pga_str(&a, sp->charged ? "charged" : "settled");
	pga_num(&a, sp->cost[0]);
	pga_num(&a, sp->cost[1]);
	pga_num(&a, sp->prompt_tokens);
	pga_num(&a, sp->completion_tokens);
	pga_text(&a, upstream);
	pga_i64(&a, now_ms);
	pga_str(&a, sp->ledger_id);
	if (pg_run(st, "UPDATE ledger SET state = $1, cost_eur = $2, "
	    "cost_usd = $3, prompt_tokens = $4, completion_tokens = $5, "
	    "upstream = $6, settled_at = $7 WHERE id = $8 AND state = "
	    "'reserved'", &a, &rows) != GW_OK)
		return GW_ERR_STORAGE;
	/* Settling twice changes nothing. */
	sp->settled = rows == 1;
	for (int i = 0; i < sp->n_budgets; i++) {
		struct store_budget *b = &sp->budgets[i];
		int64_t c = sp->cost[b->currency];
		int64_t r = sp->reserved[b->currency];

		if (sp->settled) {
			keys[i]->used = sat_add(sat_add(keys[i]->used, c > 0 ?
			    c : 0), r > 0 ? -r : 0);
			keys[i]->dirty = 1;
		}
		b->used = keys[i]->used;
	}
	return GW_OK;
}

enum gw_err
pg_ledger_recover(struct pg_store *st, const char *instance, int64_t now_ms)
{
	struct pg_args a;
	int64_t n;

	pga_init(&a);
	pga_i64(&a, now_ms);
	pga_str(&a, instance);
	if (pg_run(st, "UPDATE ledger SET state = 'charged', cost_eur = "
	    "reserved_eur, cost_usd = reserved_usd, settled_at = $1 WHERE "
	    "state = 'reserved' AND instance = $2", &a, &n) != GW_OK)
		return GW_ERR_STORAGE;
	if (n > 0)
		log_warn("storage: %lld requests of instance %s interrupted "
		    "by a crash recorded; their reservations settled as "
		    "charged", (long long)n, log_q(instance));
	return GW_OK;
}

enum gw_err
pg_ledger_report(struct pg_store *st, struct store_op *op)
{
	static const char *const groups[] = {
		"''", "coalesce(model, '')",
		"to_char(to_timestamp(floor(ts / 1000.0)) AT TIME ZONE 'UTC', "
		"'YYYY-MM-DD')",
		"coalesce(team, '')", "coalesce(key_id, '')",
	};
	struct pg_args a;
	char sql[1400];
	PGresult *res;

	if (op->group < 0 || op->group > STORE_GROUP_KEY || op->group2 < 0 ||
	    op->group2 > STORE_GROUP_KEY)
		return GW_ERR_INVAL;
	snprintf(sql, sizeof(sql), "SELECT %s COLLATE \"C\" AS grp, "
	    "%s COLLATE \"C\" AS grp2, count(*) AS requests, "
	    "coalesce(eugate_sat(sum(prompt_tokens)), 0) AS prompt_tokens, "
	    "coalesce(eugate_sat(sum(completion_tokens)), 0) AS "
	    "completion_tokens, "
	    "eugate_sat(sum(CASE WHEN state <> 'reserved' THEN cost_eur END)) "
	    "AS cost_eur, "
	    "eugate_sat(sum(CASE WHEN state <> 'reserved' THEN cost_usd END)) "
	    "AS cost_usd, "
	    "eugate_sat(sum(CASE WHEN state = 'reserved' THEN reserved_eur "
	    "END)) AS reserved_eur, "
	    "eugate_sat(sum(CASE WHEN state = 'reserved' THEN reserved_usd "
	    "END)) AS reserved_usd, "
	    "count(*) FILTER (WHERE state = 'reserved') AS open, "
	    "count(*) FILTER (WHERE state = 'charged') AS charged "
	    "FROM ledger WHERE ($1::text = '' OR team = $1::text) AND "
	    "($2::text = '' OR key_id = $2::text) AND ts >= $3::bigint AND "
	    "ts < $4::bigint GROUP BY 1, 2 ORDER BY 1, 2", groups[op->group],
	    groups[op->group2]);
	pga_init(&a);
	pga_str(&a, op->team);
	pga_str(&a, op->key_id);
	pga_i64(&a, op->from_ms);
	pga_i64(&a, op->to_ms);
	res = pg_query_once(st, sql, &a);
	if (res == NULL)
		return GW_ERR_STORAGE;
	op->json = pg_result_json(res);
	PQclear(res);
	return op->json != NULL ? GW_OK : GW_ERR_NOMEM;
}
