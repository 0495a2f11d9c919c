/* Teams, keys and their limits on PostgreSQL; the key snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	    bump_keys_version(st) != GW_OK)
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
	if (pg_i64(st, "SELECT id FROM teams WHERE name = $1", &a, &team) !=
	    GW_OK)
		return GW_ERR_STORAGE;
	if (team < 0)
		return GW_ERR_NOTFOUND;
	pga_init(&a);
	args_limits(&a, &op->limits, op->set_mask, 1);
	pga_str(&a, op->key_id);
	pga_i64(&a, team);
	pga_str(&a, op->name);
	pga_bytes(&a, op->hmac, 32);
	if (pg_run(st, "INSERT INTO keys(budget, budget_currency, "
	    "budget_period, rpm, tpm, models, models_deny, id, team_id, name, "
	    "hmac, created_at) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
	    "$11, " NOW_S ") ON CONFLICT (id) DO NOTHING", &a, &n) != GW_OK)
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
	    "k.created_at, k.revoked_at, k.budget, k.budget_currency, "
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

enum gw_err
pg_teams_limits_set(struct pg_store *st, struct store_op *op)
{
	static const char *const cols[] = { "rpm", "tpm", "models",
		"models_deny" };
	struct pg_args all, a;
	char sql[400];
	size_t n;
	int first = 1, p = 1, keys = op->key_id[0] != '\0';
	int64_t rows;

	pga_init(&all);
	args_limits(&all, &op->limits, op->set_mask, 1);
	pga_init(&a);
	n = (size_t)snprintf(sql, sizeof(sql), "UPDATE %s SET ",
	    keys ? "keys" : "teams");
	for (int i = 0; i < 5; i++) {
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
	snprintf(sql + n, sizeof(sql) - n, " WHERE %s = $%d", keys ? "id" :
	    "name", p);
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
	    "k.models, k.models_deny FROM keys k JOIN teams t ON "
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
	}
	op->n_rows = (size_t)n;
	PQclear(res);
	op->version = version;
	op->changed = 1;
	return GW_OK;
}
