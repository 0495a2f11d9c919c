/* Teams, keys and their limits; the key snapshot the gateway caches. */
#include <stdlib.h>
#include <string.h>

#include "storage/admins.h"
#include "storage/sql.h"
#include "storage/teams.h"

/* The gateway's key cache reloads when this number moves. */
static enum gw_err
bump_keys_version(sqlite3 *db)
{
	return sql_exec(db, "UPDATE meta SET value = value + 1 "
	    "WHERE name = 'keys_version'");
}

/* Reads budget, currency, period, rpm, tpm from columns i..i+4. */
static void
column_limits(sqlite3_stmt *s, int i, struct store_limits *l)
{
	l->budget = sqlite3_column_type(s, i) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(s, i);
	l->currency = sqlite3_column_int(s, i + 1);
	l->period = sqlite3_column_int(s, i + 2);
	l->rpm = sqlite3_column_int64(s, i + 3);
	l->tpm = sqlite3_column_int64(s, i + 4);
}

/* Binds budget, currency, period, rpm, tpm (and for keys models,
 * models_deny) from parameter i on: the fields in mask; the others, and
 * "none" values, stay NULL. */
static void
bind_limits(sqlite3_stmt *s, int i, const struct store_limits *l, int mask)
{
	if (mask & STORE_SET_MODELS)
		sql_bind_text(s, i + 5, l->models);
	if (mask & STORE_SET_MODELS_DENY)
		sql_bind_text(s, i + 6, l->models_deny);
	if ((mask & STORE_SET_BUDGET) && l->budget >= 0) {
		sqlite3_bind_int64(s, i, l->budget);
		sqlite3_bind_int(s, i + 1, l->currency);
		sqlite3_bind_int(s, i + 2, l->period);
	}
	if ((mask & STORE_SET_RPM) && l->rpm > 0)
		sqlite3_bind_int64(s, i + 3, l->rpm);
	if ((mask & STORE_SET_TPM) && l->tpm > 0)
		sqlite3_bind_int64(s, i + 4, l->tpm);
}

enum gw_err
teams_create(struct sqlite_store *st, struct store_op *op)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO teams(budget, "
	    "budget_currency, budget_period, rpm, tpm, name, policy, "
	    "created_at) VALUES(?, ?, ?, ?, ?, ?, ?, "
	    "strftime('%s','now'))", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	bind_limits(s, 1, &op->limits, op->set_mask);
	sqlite3_bind_text(s, 6, op->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, op->policy, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return sql_map_rc(rc);
}

enum gw_err
teams_list(struct sqlite_store *st, struct store_op *op)
{
	return sql_query_json(st->db, "SELECT t.name, t.policy, t.created_at,"
	    " (SELECT count(*) FROM keys k WHERE k.team_id = t.id AND "
	    "k.revoked_at IS NULL) AS keys, t.budget, t.budget_currency, "
	    "t.budget_period, t.rpm, t.tpm FROM teams t WHERE "
	    "t.deleted_at IS NULL ORDER BY t.name", NULL, 0, &op->json);
}

/*
 * Deletes a team: its keys are revoked, its row renamed out of the way
 * (the keys keep their history), and the objects it owns upstream stay
 * owned by that renamed team, so that no team made later under its name
 * reaches them. Answers what it left upstream.
 */
enum gw_err
teams_delete(struct sqlite_store *st, struct store_op *op)
{
	sqlite3_stmt *s = NULL;
	json_t *left = NULL;
	enum gw_err err = GW_ERR_STORAGE;
	int64_t id = -1;
	int revoked;

	if (sqlite3_prepare_v2(st->db, "SELECT id FROM teams WHERE name = ? "
	    "AND deleted_at IS NULL", -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(s, 1, op->name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	s = NULL;
	if (id < 0) {
		err = GW_ERR_NOTFOUND;
		goto out;
	}
	if (sqlite3_prepare_v2(st->db, "SELECT kind, id, parent, upstream, "
	    "created FROM objects WHERE team = ? ORDER BY created, kind, id",
	    -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(s, 1, op->name, -1, SQLITE_STATIC);
	err = sql_rows_json(s, &left);
	sqlite3_finalize(s);
	s = NULL;
	if (err != GW_OK)
		goto out;
	err = GW_ERR_STORAGE;
	if (sqlite3_prepare_v2(st->db, "UPDATE keys SET revoked_at = "
	    "strftime('%s','now') WHERE team_id = ? AND revoked_at IS NULL",
	    -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto out;
	revoked = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(st->db, "UPDATE objects SET team = ?1 || "
	    "'~deleted~' || ?2 WHERE team = ?1", -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(s, 1, op->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto out;
	sqlite3_finalize(s);
	s = NULL;
	if (sqlite3_prepare_v2(st->db, "UPDATE teams SET name = name || "
	    "'~deleted~' || id, deleted_at = strftime('%s','now') WHERE id = ?",
	    -1, &s, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(s, 1, id);
	if (sqlite3_step(s) != SQLITE_DONE)
		goto out;
	if (bump_keys_version(st->db) != GW_OK ||
	    admins_unbind_team(st, id) != GW_OK)
		goto out;
	op->json = json_pack("{s:i, s:O}", "keys_revoked", revoked,
	    "objects_left", left);
	err = op->json != NULL ? GW_OK : GW_ERR_NOMEM;
out:
	sqlite3_finalize(s);
	json_decref(left);
	return err;
}


enum gw_err
teams_key_create(struct sqlite_store *st, struct store_op *op)
{
	sqlite3_stmt *s;
	enum gw_err err;

	if (sqlite3_prepare_v2(st->db, "INSERT INTO keys(budget, "
	    "budget_currency, budget_period, rpm, tpm, models, "
	    "models_deny, id, team_id, name, hmac, created_by, expires_at, "
	    "allow_ips, created_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, id, ?, ?, "
	    "?, ?, ?, strftime('%s','now') FROM teams WHERE name = ? AND "
	    "deleted_at IS NULL", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	bind_limits(s, 1, &op->limits, op->set_mask);
	sqlite3_bind_text(s, 8, op->key_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 9, op->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 10, op->hmac, 32, SQLITE_STATIC);
	sql_bind_text(s, 11, op->principal);
	if (op->key.expires_at > 0)
		sqlite3_bind_int64(s, 12, op->key.expires_at);
	sql_bind_text(s, 13, op->key.allow_ips);
	sqlite3_bind_text(s, 14, op->team, -1, SQLITE_STATIC);
	err = sql_map_rc(sqlite3_step(s));
	sqlite3_finalize(s);
	if (err == GW_OK && sqlite3_changes(st->db) == 0)
		err = GW_ERR_NOTFOUND;
	if (err == GW_OK)
		err = bump_keys_version(st->db);
	return err;
}

enum gw_err
teams_key_list(struct sqlite_store *st, struct store_op *op)
{
	return sql_query_json(st->db, "SELECT k.id, t.name AS team, k.name, "
	    "k.created_at, k.created_by, k.expires_at, k.last_used_at, "
	    "k.revoked_at, CASE WHEN k.prev_until > strftime('%s','now') "
	    "THEN k.prev_until END AS rotating_until, k.allow_ips, "
	    "k.budget, k.budget_currency, "
	    "k.budget_period, k.rpm, k.tpm, k.models, k.models_deny "
	    "FROM keys k JOIN teams t ON "
	    "t.id = k.team_id WHERE ?1 = '' OR t.name = ?1 "
	    "ORDER BY k.created_at, k.id", op->team, 0, &op->json);
}

enum gw_err
teams_key_revoke(struct sqlite_store *st, struct store_op *op)
{
	sqlite3_stmt *s;
	enum gw_err err;

	if (sqlite3_prepare_v2(st->db, "UPDATE keys SET revoked_at = "
	    "strftime('%s','now') WHERE id = ? AND revoked_at IS NULL", -1, &s,
	    NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	sql_bind_text(s, 1, op->key_id);
	err = sql_map_rc(sqlite3_step(s));
	sqlite3_finalize(s);
	if (err == GW_OK && sqlite3_changes(st->db) == 0)
		err = GW_ERR_NOTFOUND;
	if (err == GW_OK)
		err = bump_keys_version(st->db);
	return err;
}

enum gw_err
teams_limits_set(struct sqlite_store *st, struct store_op *op)
{
	sqlite3 *db = st->db;
	static const char *const cols[] = {
		"budget = ?1, budget_currency = ?2, budget_period = ?3",
		"rpm = ?4", "tpm = ?5", "models = ?6", "models_deny = ?7",
		"name = ?9", "expires_at = ?10", "allow_ips = ?11",
	};
	sqlite3_stmt *s;
	char sql[480];
	size_t n;
	int rc, first = 1;

	/* The name, expiry and allowlist are keys' only. */
	if (op->key_id[0] == '\0' && (op->set_mask & (STORE_SET_NAME |
	    STORE_SET_EXPIRES | STORE_SET_ALLOW_IPS)))
		return GW_ERR_INVAL;
	n = (size_t)snprintf(sql, sizeof(sql), "UPDATE %s SET ",
	    op->key_id[0] ? "keys" : "teams");
	for (int i = 0; i < 8; i++) {
		if (!(op->set_mask & (1 << i)))
			continue;
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s%s",
		    first ? "" : ", ", cols[i]);
		first = 0;
	}
	if (first)
		return GW_ERR_INVAL;
	snprintf(sql + n, sizeof(sql) - n, " WHERE %s", op->key_id[0] ?
	    "id = ?8 AND revoked_at IS NULL" : "name = ?8 AND deleted_at IS "
	    "NULL");
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	bind_limits(s, 1, &op->limits, op->set_mask);
	sqlite3_bind_text(s, 8, op->key_id[0] ? op->key_id : op->team, -1,
	    SQLITE_STATIC);
	if (op->set_mask & STORE_SET_NAME)
		sqlite3_bind_text(s, 9, op->name, -1, SQLITE_STATIC);
	if ((op->set_mask & STORE_SET_EXPIRES) && op->key.expires_at > 0)
		sqlite3_bind_int64(s, 10, op->key.expires_at);
	if (op->set_mask & STORE_SET_ALLOW_IPS)
		sql_bind_text(s, 11, op->key.allow_ips);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return GW_ERR_STORAGE;
	if (sqlite3_changes(db) == 0)
		return GW_ERR_NOTFOUND;
	return bump_keys_version(db);
}

enum gw_err
teams_keys_load(struct sqlite_store *st, struct store_op *op)
{
	sqlite3 *db = st->db;
	sqlite3_stmt *s;
	int64_t version = 0;
	size_t cap = 0;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = "
	    "'keys_version'", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (version == op->version) {
		op->changed = 0;
		return GW_OK;
	}
	if (sqlite3_prepare_v2(db, "SELECT k.id, t.name, t.policy, k.hmac, "
	    "t.budget, t.budget_currency, t.budget_period, t.rpm, t.tpm, "
	    "k.budget, k.budget_currency, k.budget_period, k.rpm, k.tpm, "
	    "k.models, k.models_deny, k.expires_at, k.allow_ips, "
	    "k.prev_hmac, k.prev_until FROM keys k JOIN teams t ON "
	    "t.id = k.team_id "
	    "WHERE k.revoked_at IS NULL", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_key_row *r;

		if (op->n_rows == cap) {
			cap = cap ? cap * 2 : 64;
			r = realloc(op->rows, cap * sizeof(*r));
			if (r == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			op->rows = r;
		}
		r = &op->rows[op->n_rows++];
		memset(r, 0, sizeof(*r));
		snprintf(r->id, sizeof(r->id), "%s", sqlite3_column_text(s, 0));
		snprintf(r->team, sizeof(r->team), "%s",
		    sqlite3_column_text(s, 1));
		snprintf(r->policy, sizeof(r->policy), "%s",
		    sqlite3_column_text(s, 2));
		if (sqlite3_column_bytes(s, 3) == 32)
			memcpy(r->hmac, sqlite3_column_blob(s, 3), 32);
		column_limits(s, 4, &r->team_limits);
		column_limits(s, 9, &r->key_limits);
		if (sqlite3_column_text(s, 14) != NULL)
			snprintf(r->key_limits.models,
			    sizeof(r->key_limits.models), "%s",
			    sqlite3_column_text(s, 14));
		if (sqlite3_column_text(s, 15) != NULL)
			snprintf(r->key_limits.models_deny,
			    sizeof(r->key_limits.models_deny), "%s",
			    sqlite3_column_text(s, 15));
		r->expires_at = sqlite3_column_int64(s, 16);
		sql_column_text(s, 17, r->allow_ips, sizeof(r->allow_ips));
		if (sqlite3_column_bytes(s, 18) == 32 &&
		    sqlite3_column_int64(s, 19) > 0) {
			memcpy(r->prev_hmac, sqlite3_column_blob(s, 18), 32);
			r->prev_until = sqlite3_column_int64(s, 19);
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return GW_ERR_STORAGE;
	op->version = version;
	op->changed = 1;
	return GW_OK;
}

enum gw_err
teams_key_get(struct sqlite_store *st, struct store_op *op)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT t.name FROM keys k JOIN teams t "
	    "ON t.id = k.team_id WHERE k.id = ?", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	sql_bind_text(s, 1, op->key_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		sql_column_text(s, 0, op->team, sizeof(op->team));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? GW_OK : rc == SQLITE_DONE ? GW_ERR_NOTFOUND :
	    GW_ERR_STORAGE;
}

/*
 * A new secret for the same key id: the current secret becomes the
 * previous one, which works until grace_until; a previous secret an
 * earlier rotation kept is dropped, so that rotating again ends its
 * grace.
 */
enum gw_err
teams_key_rotate(struct sqlite_store *st, struct store_op *op)
{
	sqlite3_stmt *s;
	enum gw_err err;

	if (sqlite3_prepare_v2(st->db, "UPDATE keys SET prev_hmac = CASE WHEN "
	    "?2 > 0 THEN hmac END, prev_until = CASE WHEN ?2 > 0 THEN ?2 END, "
	    "hmac = ?3 WHERE id = ?1 AND revoked_at IS NULL", -1, &s, NULL) !=
	    SQLITE_OK)
		return GW_ERR_STORAGE;
	sql_bind_text(s, 1, op->key_id);
	sqlite3_bind_int64(s, 2, op->key.grace_until);
	sqlite3_bind_blob(s, 3, op->hmac, 32, SQLITE_STATIC);
	err = sql_map_rc(sqlite3_step(s));
	sqlite3_finalize(s);
	if (err == GW_OK && sqlite3_changes(st->db) == 0)
		err = GW_ERR_NOTFOUND;
	if (err == GW_OK)
		err = bump_keys_version(st->db);
	return err;
}

enum gw_err
teams_keys_touch(struct sqlite_store *st, struct store_op *op)
{
	sqlite3_stmt *s;
	enum gw_err err = GW_OK;

	if (op->n_uses == 0)
		return GW_OK;
	if (sqlite3_prepare_v2(st->db, "UPDATE keys SET last_used_at = ?2 "
	    "WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
	    -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	for (size_t i = 0; i < op->n_uses && err == GW_OK; i++) {
		sql_bind_text(s, 1, op->uses[i].id);
		sqlite3_bind_int64(s, 2, op->uses[i].at);
		err = sql_map_rc(sqlite3_step(s));
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return err;
}
