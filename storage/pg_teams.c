/* Teams, keys and their limits on PostgreSQL; the key snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/pg_admins.h"
#include "storage/pg_sql.h"
#include "storage/pg_teams.h"

#define NOW_S "extract(epoch from now())::bigint"

/* Every instance's key cache reloads when this number moves. */
static enum gw_err
bump_keys_version(struct pg_store *st)
{
	return pg_run(st, "UPDATE meta SET value = value + 1 WHERE name = "
	    "'keys_version'", NULL, NULL);
}

/* Adds budget, currency, period, rpm, tpm (and for keys models,
 * models_deny): the fields in mask; the others, and "none" values, are
 * NULL. */
static void
args_limits(struct pg_args *a, const struct store_limits *l, int mask,
    int keys)
{
	int budget = (mask & STORE_SET_BUDGET) && l->budget >= 0;

	if (budget) {
		pga_i64(a, l->budget);
		pga_i64(a, l->currency);
		pga_i64(a, l->period);
	} else {
		pga_null(a);
		pga_null(a);
		pga_null(a);
	}
	if ((mask & STORE_SET_RPM) && l->rpm > 0)
		pga_i64(a, l->rpm);
	else
		pga_null(a);
	if ((mask & STORE_SET_TPM) && l->tpm > 0)
		pga_i64(a, l->tpm);
	else
		pga_null(a);
	if (!keys)
		return;
	pga_text(a, mask & STORE_SET_MODELS ? l->models : NULL);
	pga_text(a, mask & STORE_SET_MODELS_DENY ? l->models_deny : NULL);
}

enum gw_err
pg_teams_create(struct pg_store *st, struct store_op *op)
{
	struct pg_args a;
	int64_t n;

	pga_init(&a);
	args_limits(&a, &op->limits, op->set_mask, 0);
	pga_str(&a, op->name);
	pga_str(&a, op->policy);
	if (pg_run(st, "INSERT INTO teams(budget, budget_currency, "
	    "budget_period, rpm, tpm, name, policy, created_at) VALUES($1, "
	    "$2, $3, $4, $5, $6, $7, " NOW_S ") ON CONFLICT (name) DO NOTHING",
	    &a, &n) != GW_OK)
		return GW_ERR_STORAGE;
	return n == 1 ? GW_OK : GW_ERR_EXISTS;
}

enum gw_err
pg_teams_list(struct pg_store *st, struct store_op *op)
{
	return pg_rows_json(st, "SELECT t.name, t.policy, t.created_at, "
	    "(SELECT count(*) FROM keys k WHERE k.team_id = t.id AND "
	    "k.revoked_at IS NULL) AS keys, t.budget, t.budget_currency, "
	    "t.budget_period, t.rpm, t.tpm FROM teams t WHERE "
	    "t.deleted_at IS NULL ORDER BY t.name COLLATE \"C\"", NULL,
	    &op->json);
}

/* As storage/teams.c: keys revoked, the row renamed out of the way, its
 * objects upstream left to the renamed team. */
enum gw_err
pg_teams_delete(struct pg_store *st, struct store_op *op)
{
	struct pg_args a;
	json_t *left = NULL;
	enum gw_err err = GW_ERR_STORAGE;
	int64_t id, revoked;

	pga_init(&a);
	pga_str(&a, op->name);
	if (pg_i64(st, "SELECT id FROM teams WHERE name = $1 AND deleted_at "
	    "IS NULL FOR UPDATE", &a, &id) != GW_OK)
		return GW_ERR_STORAGE;
	if (id < 0)
		return GW_ERR_NOTFOUND;
	if (pg_rows_json(st, "SELECT kind, id, parent, upstream, created FROM "
	    "objects WHERE team = $1 ORDER BY created, kind COLLATE \"C\", "
	    "id COLLATE \"C\"", &a, &left) != GW_OK)
		return GW_ERR_STORAGE;
	pga_init(&a);
	pga_i64(&a, id);
	if (pg_run(st, "UPDATE keys SET revoked_at = " NOW_S " WHERE team_id = "
	    "$1 AND revoked_at IS NULL", &a, &revoked) != GW_OK)
		goto out;
	pga_str(&a, op->name);
	if (pg_run(st, "UPDATE objects SET team = $2::text || '~deleted~' || "
	    "$1::bigint WHERE team = $2::text", &a, NULL) != GW_OK ||
	    pg_run(st, "UPDATE meta SET value = value + 1 WHERE name = "
	    "'objects_version'", NULL, NULL) != GW_OK)
		goto out;
	pga_init(&a);
	pga_i64(&a, id);
	if (pg_run(st, "UPDATE teams SET name = name || '~deleted~' || id, "
	    "deleted_at = " NOW_S " WHERE id = $1", &a, NULL) != GW_OK ||
	    bump_keys_version(st) != GW_OK ||
	    pg_admins_unbind_team(st, id) != GW_OK)
		goto out;
	op->json = json_pack("{s:i, s:O}", "keys_revoked", (int)revoked,
	    "objects_left", left);
	err = op->json != NULL ? GW_OK : GW_ERR_NOMEM;
out:
	json_decref(left);
	return err;
}

enum gw_err
pg_teams_key_create(struct pg_store *st, struct store_op *op)
{
	struct pg_args a;
	int64_t n, team;

	pga_init(&a);
	pga_str(&a, op->team);
	if (pg_i64(st, "SELECT id FROM teams WHERE name = $1 AND deleted_at "
	    "IS NULL", &a, &team) != GW_OK)
		return GW_ERR_STORAGE;
	if (team < 0)
		return GW_ERR_NOTFOUND;
	pga_init(&a);
	args_limits(&a, &op->limits, op->set_mask, 1);
	pga_str(&a, op->key_id);
	pga_i64(&a, team);
	pga_str(&a, op->name);
	pga_bytes(&a, op->hmac, 32);
	pga_text(&a, op->principal);
	pga_num(&a, op->key.expires_at > 0 ? op->key.expires_at : -1);
	pga_text(&a, op->key.allow_ips);
	if (pg_run(st, "INSERT INTO keys(budget, budget_currency, "
	    "budget_period, rpm, tpm, models, models_deny, id, team_id, name, "
	    "hmac, created_by, expires_at, allow_ips, created_at) VALUES($1, "
	    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, " NOW_S
	    ") ON CONFLICT (id) DO NOTHING", &a, &n) != GW_OK)
		return GW_ERR_STORAGE;
	if (n != 1)
		return GW_ERR_EXISTS;
	return bump_keys_version(st);
}

enum gw_err
pg_teams_key_list(struct pg_store *st, struct store_op *op)
{
	struct pg_args a;

	pga_init(&a);
	pga_str(&a, op->team);
	return pg_rows_json(st, "SELECT k.id, t.name AS team, k.name, "
	    "k.created_at, k.created_by, k.expires_at, k.last_used_at, "
	    "k.revoked_at, CASE WHEN k.prev_until > " NOW_S " THEN "
	    "k.prev_until END AS rotating_until, k.allow_ips, "
	    "k.budget, k.budget_currency, "
	    "k.budget_period, k.rpm, k.tpm, k.models, k.models_deny "
	    "FROM keys k JOIN teams t ON t.id = k.team_id "
	    "WHERE $1::text = '' OR t.name = $1::text "
	    "ORDER BY k.created_at, k.id COLLATE \"C\"", &a, &op->json);
}

enum gw_err
pg_teams_key_revoke(struct pg_store *st, struct store_op *op)
{
	struct pg_args a;
	int64_t n;

	pga_init(&a);
	pga_text(&a, op->key_id);
	if (pg_run(st, "UPDATE keys SET revoked_at = " NOW_S " WHERE id = $1 "
	    "AND revoked_at IS NULL", &a, &n) != GW_OK)
		return GW_ERR_STORAGE;
	if (n == 0)
		return GW_ERR_NOTFOUND;
	return bump_keys_version(st);
}

/* As storage/teams.c: the fields in set_mask; name, expiry and
 * allowlist are keys' only. */
enum gw_err
pg_teams_limits_set(struct pg_store *st, struct store_op *op)
{
	static const char *const cols[] = { "rpm", "tpm", "models",
		"models_deny", "name", "expires_at", "allow_ips" };
	struct pg_args all, a;
	char sql[480];
	size_t n;
	int first = 1, p = 1, keys = op->key_id[0] != '\0';
	int64_t rows;

	if (!keys && (op->set_mask & (STORE_SET_NAME | STORE_SET_EXPIRES |
	    STORE_SET_ALLOW_IPS)))
		return GW_ERR_INVAL;
	/* Every value in bit order: budget (3), rpm, tpm, models,
	 * models_deny, name, expires_at, allow_ips. */
	pga_init(&all);
	args_limits(&all, &op->limits, op->set_mask, 1);
	pga_str(&all, op->name);
	pga_num(&all, op->key.expires_at > 0 ? op->key.expires_at : -1);
	pga_text(&all, op->key.allow_ips);
	pga_init(&a);
	n = (size_t)snprintf(sql, sizeof(sql), "UPDATE %s SET ",
	    keys ? "keys" : "teams");
	for (int i = 0; i < 8; i++) {
		int from = i == 0 ? 0 : i + 2, cnt = i == 0 ? 3 : 1;

		if (!(op->set_mask & (1 << i)))
			continue;
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s",
		    first ? "" : ", ");
		if (i == 0)
			n += (size_t)snprintf(sql + n, sizeof(sql) - n,
			    "budget = $%d, budget_currency = $%d, "
			    "budget_period = $%d", p, p + 1, p + 2);
		else
			n += (size_t)snprintf(sql + n, sizeof(sql) - n,
			    "%s = $%d", cols[i - 1], p);
		for (int k = 0; k < cnt; k++) {
			a.v[a.n] = all.v[from + k];
			a.len[a.n] = 0;
			a.fmt[a.n++] = 0;
		}
		p += cnt;
		first = 0;
	}
	if (first)
		return GW_ERR_INVAL;
	snprintf(sql + n, sizeof(sql) - n, " WHERE %s = $%d AND %s IS NULL",
	    keys ? "id" : "name", p, keys ? "revoked_at" : "deleted_at");
	pga_str(&a, keys ? op->key_id : op->team);
	if (pg_run_once(st, sql, &a, &rows) != GW_OK)
		return GW_ERR_STORAGE;
	if (rows == 0)
		return GW_ERR_NOTFOUND;
	return bump_keys_version(st);
}

enum gw_err
pg_teams_keys_load(struct pg_store *st, struct store_op *op)
{
	PGresult *res;
	int64_t version;
	int n;

	if (pg_i64(st, "SELECT value FROM meta WHERE name = 'keys_version'",
	    NULL, &version) != GW_OK)
		return GW_ERR_STORAGE;
	if (version == op->version) {
		op->changed = 0;
		return GW_OK;
	}
	res = pg_query(st, "SELECT k.id, t.name, t.policy, k.hmac, "
	    "t.budget, t.budget_currency, t.budget_period, t.rpm, t.tpm, "
	    "k.budget, k.budget_currency, k.budget_period, k.rpm, k.tpm, "
	    "k.models, k.models_deny, k.expires_at, k.allow_ips, "
	    "k.prev_hmac, k.prev_until FROM keys k JOIN teams t ON "
	    "t.id = k.team_id WHERE k.revoked_at IS NULL", NULL);
	if (res == NULL)
		return GW_ERR_STORAGE;
	n = PQntuples(res);
	op->rows = calloc(n > 0 ? (size_t)n : 1, sizeof(*op->rows));
	if (op->rows == NULL) {
		PQclear(res);
		return GW_ERR_NOMEM;
	}
	for (int i = 0; i < n; i++) {
		struct store_key_row *r = &op->rows[i];
		struct store_limits *l[2] = { &r->team_limits, &r->key_limits };

		pg_text(res, i, 0, r->id, sizeof(r->id));
		pg_text(res, i, 1, r->team, sizeof(r->team));
		pg_text(res, i, 2, r->policy, sizeof(r->policy));
		if (pg_bytes(res, i, 3, r->hmac, 32) != 32)
			memset(r->hmac, 0, 32);
		for (int k = 0; k < 2; k++) {
			int c = 4 + 5 * k;

			l[k]->budget = pg_num(res, i, c);
			l[k]->currency = (int)(pg_num(res, i, c + 1) > 0);
			l[k]->period = PQgetisnull(res, i, c + 2) ? 0 :
			    (int)pg_num(res, i, c + 2);
			l[k]->rpm = PQgetisnull(res, i, c + 3) ? 0 :
			    pg_num(res, i, c + 3);
			l[k]->tpm = PQgetisnull(res, i, c + 4) ? 0 :
			    pg_num(res, i, c + 4);
		}
		pg_text(res, i, 14, r->key_limits.models,
		    sizeof(r->key_limits.models));
		pg_text(res, i, 15, r->key_limits.models_deny,
		    sizeof(r->key_limits.models_deny));
		r->expires_at = PQgetisnull(res, i, 16) ? 0 :
		    pg_num(res, i, 16);
		pg_text(res, i, 17, r->allow_ips, sizeof(r->allow_ips));
		if (pg_num(res, i, 19) > 0 &&
		    pg_bytes(res, i, 18, r->prev_hmac, 32) == 32)
			r->prev_until = pg_num(res, i, 19);
		else
			memset(r->prev_hmac, 0, 32);
	}
	op->n_rows = (size_t)n;
	PQclear(res);
	op->version = version;
	op->changed = 1;
	return GW_OK;
}

enum gw_err
pg_teams_key_get(struct pg_store *st, struct store_op *op)
{
	struct pg_args a;
	PGresult *res;
	int n;

	pga_init(&a);
	pga_str(&a, op->key_id);
	res = pg_query(st, "SELECT t.name FROM keys k JOIN teams t ON "
	    "t.id = k.team_id WHERE k.id = $1", &a);
	if (res == NULL)
		return GW_ERR_STORAGE;
	n = PQntuples(res);
	if (n > 0)
		pg_text(res, 0, 0, op->team, sizeof(op->team));
	PQclear(res);
	return n > 0 ? GW_OK : GW_ERR_NOTFOUND;
}

/* As storage/teams.c: the current secret becomes the previous one until
 * grace_until (none when 0); one an earlier rotation kept is dropped. */
enum gw_err
pg_teams_key_rotate(struct pg_store *st, struct store_op *op)
{
	struct pg_args a;
	int64_t n;

	pga_init(&a);
	pga_str(&a, op->key_id);
	pga_i64(&a, op->key.grace_until);
	pga_bytes(&a, op->hmac, 32);
	if (pg_run(st, "UPDATE keys SET prev_hmac = CASE WHEN $2::bigint > 0 "
	    "THEN hmac END, prev_until = CASE WHEN $2::bigint > 0 THEN "
	    "$2::bigint END, hmac = $3 WHERE id = $1 AND revoked_at IS NULL",
	    &a, &n) != GW_OK)
		return GW_ERR_STORAGE;
	if (n == 0)
		return GW_ERR_NOTFOUND;
	return bump_keys_version(st);
}

static int
use_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct store_key_use *const *)a)->id,
	    (*(const struct store_key_use *const *)b)->id);
}

/*
 * Keys' last use; the keys version stays. Rows are updated in the
 * order of their ids, so that two instances writing the same keys'
 * uses take the row locks in one order (no deadlock between them).
 */
enum gw_err
pg_teams_keys_touch(struct pg_store *st, struct store_op *op)
{
	const struct store_key_use **v;
	struct pg_args a;
	enum gw_err err = GW_OK;

	if (op->n_uses == 0)
		return GW_OK;
	v = calloc(op->n_uses, sizeof(*v));
	if (v == NULL)
		return GW_ERR_NOMEM;
	for (size_t i = 0; i < op->n_uses; i++)
		v[i] = &op->uses[i];
	qsort(v, op->n_uses, sizeof(*v), use_cmp);
	for (size_t i = 0; i < op->n_uses && err == GW_OK; i++) {
		pga_init(&a);
		pga_str(&a, v[i]->id);
		pga_i64(&a, v[i]->at);
		err = pg_run(st, "UPDATE keys SET last_used_at = $2 WHERE id = "
		    "$1 AND (last_used_at IS NULL OR last_used_at < $2)", &a,
		    NULL);
	}
	free(v);
	return err;
}
