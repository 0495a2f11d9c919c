/* Shared rate limits: token buckets in the database, locked per batch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/pg_rates.h"
#include "storage/pg_sql.h"

/* As policy/ratelimit.c: levels in units x 60,000,000; every
 * microsecond adds `limit` (a full minute adds limit units). */
#define PER_UNIT 60000000LL

/* A bucket's row, locked for the batch. */
struct rkey {
	char subject[80];
	char kind;		/* 'r' requests, 't' tokens */
	int64_t limit;
	int64_t level;
	int64_t t_us;
	int dirty;
};

struct pg_rates {
	struct rkey *k;
	size_t n, cap;
	int64_t now_us;		/* the database's clock, read at lock time */
};

static struct pg_rates *
rates_of(struct pg_store *st)
{
	return st->rates;
}

enum gw_err
pg_rates_open(struct pg_store *st, const struct store_conf *conf)
{
	st->rates = calloc(1, sizeof(struct pg_rates));
	return st->rates != NULL ? GW_OK : GW_ERR_NOMEM;
}

void
pg_rates_close(struct pg_store *st)
{
	if (st->rates == NULL)
		return;
	free(rates_of(st)->k);
	free(st->rates);
	st->rates = NULL;
}

enum gw_err
pg_rates_reload(struct pg_store *st)
{
	rates_of(st)->n = 0;
	return GW_OK;
}

static int
rkey_cmp(const void *a, const void *b)
{
	const struct rkey *x = a, *y = b;
	int c = strcmp(x->subject, y->subject);

	if (c != 0)
		return c;
	return x->kind < y->kind ? -1 : x->kind > y->kind;
}

static struct rkey *
rkey_find(struct pg_rates *r, const char *subject, char kind)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->k[i].kind == kind && strcmp(r->k[i].subject, subject) ==
		    0)
			return &r->k[i];
	return NULL;
}

static int
rkey_add(struct pg_rates *r, const char *subject, char kind, int64_t limit)
{
	struct rkey *k;

	if (limit <= 0 || rkey_find(r, subject, kind) != NULL)
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;

		k = realloc(r->k, cap * sizeof(*k));
		if (k == NULL)
			return -1;
		r->k = k;
		r->cap = cap;
	}
	k = &r->k[r->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->subject, sizeof(k->subject), "%s", subject);
	k->kind = kind;
	k->limit = limit;
	return 0;
}

/* Brings a bucket to now under its current limit (ratelimit.c's
 * refill). */
static void
refill(struct rkey *k, int64_t limit, int64_t lim_stored, int64_t now_us)
{
	int64_t cap = limit * PER_UNIT, dt;

	if (lim_stored != limit) {	/* the limit changed */
		if (k->level > cap)
			k->level = cap;
		k->t_us = now_us;
		k->dirty = 1;
		return;
	}
	dt = now_us > k->t_us ? now_us - k->t_us : 0;
	if (dt > PER_UNIT)
		dt = PER_UNIT;
	k->level += dt * limit;
	if (k->level > cap)
		k->level = cap;
	k->t_us = now_us;
	k->dirty = 1;
}

/* Locks k's row (a full bucket when it has none) and brings it to the
 * database's now. */
static enum gw_err
rkey_lock(struct pg_store *st, struct pg_rates *r, struct rkey *k)
{
	static const char *const lock_sql = "SELECT lim, level, t_us, "
	    "(extract(epoch from clock_timestamp()) * 1000000)::bigint FROM "
	    "rate_buckets WHERE subject = $1 AND kind = $2 FOR UPDATE";
	char kind[2] = { k->kind, '\0' };
	struct pg_args a;
	PGresult *res;

	pga_init(&a);
	pga_str(&a, k->subject);
	pga_short(&a, kind);
	res = pg_query(st, lock_sql, &a);
	if (res != NULL && PQntuples(res) == 0) {
		PQclear(res);
		pga_i64(&a, k->limit);
		pga_i64(&a, k->limit * PER_UNIT);
		if (pg_run(st, "INSERT INTO rate_buckets(subject, kind, lim, "
		    "level, t_us) VALUES($1, $2, $3, $4, (extract(epoch from "
		    "clock_timestamp()) * 1000000)::bigint) ON CONFLICT DO "
		    "NOTHING", &a, NULL) != GW_OK)
			return GW_ERR_STORAGE;
		a.n = 2;
		res = pg_query(st, lock_sql, &a);
	}
	if (res == NULL || PQntuples(res) != 1) {
		PQclear(res);
		return GW_ERR_STORAGE;
	}
	k->level = pg_num(res, 0, 1);
	k->t_us = pg_num(res, 0, 2);
	if (pg_num(res, 0, 3) > r->now_us)
		r->now_us = pg_num(res, 0, 3);
	refill(k, k->limit, pg_num(res, 0, 0), r->now_us);
	PQclear(res);
	return GW_OK;
}

enum gw_err
pg_rates_begin(struct pg_store *st, const struct store_op *batch)
{
	struct pg_rates *r = rates_of(st);

	r->n = 0;
	r->now_us = 0;
	for (const struct store_op *op = batch; op != NULL; op = op->next) {
		const struct store_spend *sp = op->spend;
		int reserve = op->type == STORE_RESERVE;

		if (sp == NULL || !(reserve ||
		    (op->type == STORE_AUDIT_APPEND && sp->settle &&
		    sp->tokens > 0)))
			continue;
		for (int i = 0; i < sp->n_rates && i < STORE_MAX_RATES; i++) {
			const struct store_rate *q = &sp->rates[i];

			if ((reserve && rkey_add(r, q->subject, 'r', q->rpm) !=
			    0) || rkey_add(r, q->subject, 't', q->tpm) != 0)
				return GW_ERR_NOMEM;
		}
	}
	/* One order for every instance (after the budgets' rows). */
	if (r->n > 1)
		qsort(r->k, r->n, sizeof(*r->k), rkey_cmp);
	for (size_t i = 0; i < r->n; i++)
		if (rkey_lock(st, r, &r->k[i]) != GW_OK)
			return GW_ERR_STORAGE;
	return GW_OK;
}

enum gw_err
pg_rates_end(struct pg_store *st)
{
	struct pg_rates *r = rates_of(st);
	struct pg_args a;

	for (size_t i = 0; i < r->n; i++) {
		char kind[2] = { r->k[i].kind, '\0' };

		if (!r->k[i].dirty)
			continue;
		pga_init(&a);
		pga_str(&a, r->k[i].subject);
		pga_short(&a, kind);
		pga_i64(&a, r->k[i].limit);
		pga_i64(&a, r->k[i].level);
		pga_i64(&a, r->k[i].t_us);
		if (pg_run(st, "UPDATE rate_buckets SET lim = $3, level = $4, "
		    "t_us = $5 WHERE subject = $1 AND kind = $2", &a, NULL) !=
		    GW_OK)
			return GW_ERR_STORAGE;
	}
	r->n = 0;
	return GW_OK;
}

/* Seconds until k holds one unit again, at least 1. */
static int64_t
wait_s(const struct rkey *k)
{
	int64_t us = (PER_UNIT - k->level + k->limit - 1) / k->limit;

	return us / 1000000 + 1;
}

enum gw_err
pg_rates_check(struct pg_store *st, struct store_spend *sp)
{
	struct pg_rates *r = rates_of(st);

	sp->rate_refused = 0;
	sp->rate_retry_s = 0;
	for (int i = 0; i < sp->n_rates && i < STORE_MAX_RATES; i++) {
		const struct store_rate *q = &sp->rates[i];
		const char kinds[2] = { 'r', 't' };
		const int64_t lims[2] = { q->rpm, q->tpm };

		for (int j = 0; j < 2; j++) {
			struct rkey *k;

			if (lims[j] <= 0)
				continue;
			k = rkey_find(r, q->subject, kinds[j]);
			if (k == NULL)
				return GW_ERR_STORAGE;	/* not locked */
			if (k->level >= PER_UNIT)
				continue;
			if (sp->rate_refused == 0 || j == 1)
				sp->rate_refused = j + 1;
			if (wait_s(k) > sp->rate_retry_s)
				sp->rate_retry_s = wait_s(k);
		}
	}
	return GW_OK;
}

void
pg_rates_take(struct pg_store *st, const struct store_spend *sp)
{
	struct pg_rates *r = rates_of(st);

	for (int i = 0; i < sp->n_rates && i < STORE_MAX_RATES; i++) {
		struct rkey *k = rkey_find(r, sp->rates[i].subject, 'r');

		if (k != NULL) {
			k->level -= PER_UNIT;
			k->dirty = 1;
		}
	}
}

enum gw_err
pg_rates_charge(struct pg_store *st, const struct store_spend *sp)
{
	struct pg_rates *r = rates_of(st);

	for (int i = 0; i < sp->n_rates && i < STORE_MAX_RATES; i++) {
		const struct store_rate *q = &sp->rates[i];
		int64_t tokens = sp->tokens;
		struct rkey *k;

		if (q->tpm <= 0 || tokens <= 0)
			continue;
		k = rkey_find(r, q->subject, 't');
		if (k == NULL)
			return GW_ERR_STORAGE;
		/* At most a minute of debt, as on one instance. */
		if (tokens > 2 * q->tpm)
			tokens = 2 * q->tpm;
		k->level -= tokens * PER_UNIT;
		if (k->level < -q->tpm * PER_UNIT)
			k->level = -q->tpm * PER_UNIT;
		k->dirty = 1;
	}
	return GW_OK;
}
