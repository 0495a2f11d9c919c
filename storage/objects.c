/* Objects stored upstream and their owning teams: written with the
 * record of the request that made or deleted them, loaded at start. */
#include <string.h>

#include "storage/store_int.h"

enum gw_err
objects_write(struct store *st, const struct store_request *rec,
    const struct store_obj *objs, size_t n)
{
	sqlite3_stmt *ins = NULL, *del = NULL;
	enum gw_err err = GW_OK;

	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO objects(kind, "
	    "id, team, upstream, request_id, created, subject, parent) "
	    "VALUES(?, ?, ?, ?, ?, ?, ?, ?)", -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "DELETE FROM objects WHERE kind = ? AND "
	    "id = ?", -1, &del, NULL) != SQLITE_OK) {
		err = GW_ERR_STORAGE;
		goto out;
	}
	for (size_t i = 0; i < n && err == GW_OK; i++) {
		sqlite3_stmt *s = objs[i].removed ? del : ins;

		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, objs[i].kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, objs[i].id, -1, SQLITE_STATIC);
		if (!objs[i].removed) {
			sqlite3_bind_text(s, 3, rec->team, -1, SQLITE_STATIC);
			store_bind_text(s, 4, rec->upstream);
			store_bind_text(s, 5, rec->request_id);
			sqlite3_bind_int64(s, 6, rec->ts_ms / 1000);
			if (rec->has_subject)
				sqlite3_bind_blob(s, 7, rec->subject,
				    sizeof(rec->subject), SQLITE_STATIC);
			else
				sqlite3_bind_null(s, 7);
			store_bind_text(s, 8, objs[i].parent);
		}
		err = store_map_rc(sqlite3_step(s));
	}
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	return err;
}

enum gw_err
objects_load(struct store *st, struct store_op *op)
{
	sqlite3_stmt *s;
	json_t *all = json_array();
	int rc;

	if (all == NULL || sqlite3_prepare_v2(st->db, "SELECT kind, id, team "
	    "FROM objects", -1, &s, NULL) != SQLITE_OK) {
		json_decref(all);
		return GW_ERR_STORAGE;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(all, json_pack("[s, s, s]",
		    (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1),
		    (const char *)sqlite3_column_text(s, 2)));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		json_decref(all);
		return GW_ERR_STORAGE;
	}
	op->json = all;
	return GW_OK;
}

enum gw_err
objects_list(struct store *st, struct store_op *op)
{
	sqlite3_stmt *s;
	enum gw_err err;

	if (sqlite3_prepare_v2(st->db, "SELECT kind, id, parent, team, "
	    "upstream, request_id, created FROM objects WHERE (?1 = '' OR "
	    "team = ?1) "
	    "AND (?2 IS NULL OR subject = ?2) ORDER BY created, kind, id", -1,
	    &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	sqlite3_bind_text(s, 1, op->team, -1, SQLITE_STATIC);
	if (op->aq.has_subject)
		sqlite3_bind_blob(s, 2, op->aq.subject, sizeof(op->aq.subject),
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 2);
	err = store_rows_json(s, &op->json);
	sqlite3_finalize(s);
	return err;
}

/*
 * Deletes a team: its keys are revoked, its row renamed out of the way
 * (the keys keep their history), and the objects it owns upstream stay
 * owned by that renamed team, so that no team made later under its name
 * reaches them. Answers what it left upstream.
 */
enum gw_err
objects_team_delete(struct store *st, struct store_op *op)
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
	err = store_rows_json(s, &left);
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
	op->json = json_pack("{s:i, s:O}", "keys_revoked", revoked,
	    "objects_left", left);
	err = op->json != NULL ? GW_OK : GW_ERR_NOMEM;
out:
	sqlite3_finalize(s);
	json_decref(left);
	return err;
}
