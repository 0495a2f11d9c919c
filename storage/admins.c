/* Admin principals: create, list, revoke, rotate; the cache's snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "storage/admins.h"
#include "storage/sql.h"

static enum gw_err
bump_version(sqlite3 *db)
{
	return sql_exec(db, "UPDATE meta SET value = value + 1 "
	    "WHERE name = 'admins_version'");
}

/* Team names, comma-separated in a column, as a JSON array. */
static json_t *
teams_array(const char *v)
{
	json_t *a = json_array();

	while (v != NULL && *v != '\0') {
		const char *c = strchr(v, ',');
		size_t len = c ? (size_t)(c - v) : strlen(v);

		json_array_append_new(a, json_stringn(v, len));
		v = c ? c + 1 : NULL;
	}
	return a;
}

/* Rewrites each row's "teams" text into an array. */
static void
rows_teams(json_t *rows)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row)
		json_object_set_new(row, "teams", teams_array(json_string_value(
		    json_object_get(row, "teams"))));
}

/* The team names of an admin (?1), sorted: team names have no commas. */
#define TEAMS_OF(id) "(SELECT group_concat(name, ',') FROM (SELECT t.name " \
	"FROM admin_teams x JOIN teams t ON t.id = x.team_id WHERE " \
	"x.admin_id = " id " AND t.deleted_at IS NULL ORDER BY t.name))"

/* Binds each team of op->teams to an admin; NOTFOUND names the team. */
static enum gw_err
bind_teams(sqlite3 *db, int64_t admin_id, struct store_op *op)
{
	sqlite3_stmt *s;
	const char *v = op->teams;
	enum gw_err err = GW_OK;

	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO admin_teams("
	    "admin_id, team_id) SELECT ?1, id FROM teams WHERE name = ?2 AND "
	    "deleted_at IS NULL", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	while (err == GW_OK && *v != '\0') {
		const char *c = strchr(v, ',');
		size_t len = c ? (size_t)(c - v) : strlen(v);
		int existed;

		sqlite3_bind_int64(s, 1, admin_id);
		sqlite3_bind_text(s, 2, v, (int)len, SQLITE_TRANSIENT);
		existed = sqlite3_total_changes(db);
		err = sql_map_rc(sqlite3_step(s));
		sqlite3_reset(s);
		if (err == GW_OK && sqlite3_total_changes(db) == existed) {
			/* No such team, or named twice: look which. */
			sqlite3_stmt *q;
			int rc;

			if (sqlite3_prepare_v2(db, "SELECT 1 FROM teams WHERE "
			    "name = ? AND deleted_at IS NULL", -1, &q, NULL) !=
			    SQLITE_OK) {
				err = GW_ERR_STORAGE;
				break;
			}
			sqlite3_bind_text(q, 1, v, (int)len, SQLITE_TRANSIENT);
			rc = sqlite3_step(q);
			sqlite3_finalize(q);
			if (rc == SQLITE_DONE) {
				snprintf(op->team, sizeof(op->team), "%.*s",
				    (int)len, v);
				err = GW_ERR_NOTFOUND;
			} else if (rc != SQLITE_ROW) {
				err = GW_ERR_STORAGE;
			}
		}
		v = c ? c + 1 : v + len;
	}
	sqlite3_finalize(s);
	return err;
}

/* One op's writes, all or none: a savepoint inside the batch. */
static enum gw_err
savepoint_end(sqlite3 *db, enum gw_err err)
{
	if (err != GW_OK)
		sql_exec(db, "ROLLBACK TO admin_op");
	if (sql_exec(db, "RELEASE admin_op") != GW_OK && err == GW_OK)
		err = GW_ERR_STORAGE;
	return err;
}

enum gw_err
admins_create(struct sqlite_store *st, struct store_op *op)
{
	sqlite3 *db = st->db;
	sqlite3_stmt *s;
	enum gw_err err;

	if (sql_exec(db, "SAVEPOINT admin_op") != GW_OK)
		return GW_ERR_STORAGE;
	if (sqlite3_prepare_v2(db, "INSERT INTO admins(name, role, hmac, "
	    "created_at, created_by) VALUES(?, ?, ?, strftime('%s','now'), ?)",
	    -1, &s, NULL) != SQLITE_OK)
		return savepoint_end(db, GW_ERR_STORAGE);
	sqlite3_bind_text(s, 1, op->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, op->role, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, op->hmac, 32, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, op->principal, -1, SQLITE_STATIC);
	err = sql_map_rc(sqlite3_step(s));
	sqlite3_finalize(s);
	if (err == GW_OK)
		err = bind_teams(db, sqlite3_last_insert_rowid(db), op);
	if (err == GW_OK)
		err = bump_version(db);
	return savepoint_end(db, err);
}

enum gw_err
admins_list(struct sqlite_store *st, struct store_op *op)
{
	enum gw_err err = sql_query_json(st->db, "SELECT a.name, a.role, "
	    TEAMS_OF("a.id") " AS teams, a.created_at, a.created_by, "
	    "a.revoked_at FROM admins a ORDER BY a.id", NULL, 0, &op->json);

	if (err == GW_OK)
		rows_teams(op->json);
	return err;
}

/* The active admin named op->name: its id and whether it is an owner. */
static enum gw_err
find_active(sqlite3 *db, const char *name, int64_t *id, int *owner)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT id, role = 'owner' FROM admins "
	    "WHERE name = ? AND revoked_at IS NULL", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*owner = sqlite3_column_int(s, 1);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? GW_OK : rc == SQLITE_DONE ? GW_ERR_NOTFOUND :
	    GW_ERR_STORAGE;
}

/* Revokes (hmac NULL) or gives a new token to the active admin. */
static enum gw_err
admin_change(struct sqlite_store *st, struct store_op *op, int revoke)
{
	sqlite3_stmt *s;
	int64_t id = -1;
	int owner = 0;
	enum gw_err err = find_active(st->db, op->name, &id, &owner);

	if (err != GW_OK)
		return err;
	if (owner && op->not_owner)
		return GW_ERR_PERM;
	if (sqlite3_prepare_v2(st->db, revoke ? "UPDATE admins SET revoked_at "
	    "= strftime('%s','now') WHERE id = ?1" : "UPDATE admins SET hmac = "
	    "?2, rotated_at = strftime('%s','now') WHERE id = ?1", -1, &s,
	    NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	sqlite3_bind_int64(s, 1, id);
	if (!revoke)
		sqlite3_bind_blob(s, 2, op->hmac, 32, SQLITE_STATIC);
	err = sql_map_rc(sqlite3_step(s));
	sqlite3_finalize(s);
	if (err == GW_OK)
		err = bump_version(st->db);
	return err;
}

enum gw_err
admins_revoke(struct sqlite_store *st, struct store_op *op)
{
	return admin_change(st, op, 1);
}

enum gw_err
admins_rotate(struct sqlite_store *st, struct store_op *op)
{
	return admin_change(st, op, 0);
}

enum gw_err
admins_load(struct sqlite_store *st, struct store_op *op)
{
	sqlite3 *db = st->db;
	sqlite3_stmt *s;
	json_t *rows;
	int64_t version = 0;
	int rc;

	if (sql_query_i64(db, "SELECT value FROM meta WHERE name = "
	    "'admins_version'", 0, &version) != GW_OK)
		return GW_ERR_STORAGE;
	if (version == op->version) {
		op->changed = 0;
		return GW_OK;
	}
	if (sqlite3_prepare_v2(db, "SELECT a.name, a.role, a.hmac, "
	    TEAMS_OF("a.id") " FROM admins a WHERE a.revoked_at IS NULL", -1,
	    &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	rows = json_array();
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char hex[65];

		if (sqlite3_column_bytes(s, 2) != 32)
			continue;
		util_hex(sqlite3_column_blob(s, 2), 32, hex);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:o}",
		    "name", (const char *)sqlite3_column_text(s, 0), "role",
		    (const char *)sqlite3_column_text(s, 1), "hmac", hex,
		    "teams", teams_array((const char *)sqlite3_column_text(s,
		    3))));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(rows);
		return GW_ERR_STORAGE;
	}
	op->json = rows;
	op->version = version;
	op->changed = 1;
	return GW_OK;
}

enum gw_err
admins_unbind_team(struct sqlite_store *st, int64_t team_id)
{
	sqlite3_stmt *s;
	enum gw_err err;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM admin_teams WHERE team_id "
	    "= ?", -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	sqlite3_bind_int64(s, 1, team_id);
	err = sql_map_rc(sqlite3_step(s));
	sqlite3_finalize(s);
	return err == GW_OK ? bump_version(st->db) : err;
}
