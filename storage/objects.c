/* Objects stored upstream and their owning teams: written with the
 * record of the request that made or deleted them, loaded at start. */
#include <string.h>

#include "storage/objects.h"
#include "storage/sql.h"

enum gw_err
objects_write(struct sqlite_store *st, const struct store_request *rec,
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
			sql_bind_text(s, 4, rec->upstream);
			sql_bind_text(s, 5, rec->request_id);
			sqlite3_bind_int64(s, 6, rec->ts_ms / 1000);
			if (rec->has_subject)
				sqlite3_bind_blob(s, 7, rec->subject,
				    sizeof(rec->subject), SQLITE_STATIC);
			else
				sqlite3_bind_null(s, 7);
			sql_bind_text(s, 8, objs[i].parent);
		}
		err = sql_map_rc(sqlite3_step(s));
	}
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(del);
	return err;
}

enum gw_err
objects_load(struct sqlite_store *st, struct store_op *op)
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
objects_list(struct sqlite_store *st, struct store_op *op)
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
	err = sql_rows_json(s, &op->json);
	sqlite3_finalize(s);
	return err;
}
