/* Objects stored upstream and their owning teams, on PostgreSQL. */
#include <string.h>

#include "storage/pg_objects.h"
#include "storage/pg_sql.h"

enum gw_err
pg_objects_write(struct pg_store *st, const struct store_request *rec,
    const struct store_obj *objs, size_t n)
{
	struct pg_args a;

	if (n > 0 && pg_run(st, "UPDATE meta SET value = value + 1 WHERE "
	    "name = 'objects_version'", NULL, NULL) != GW_OK)
		return GW_ERR_STORAGE;
	for (size_t i = 0; i < n; i++) {
		enum gw_err err;

		pga_init(&a);
		pga_str(&a, objs[i].kind);
		pga_str(&a, objs[i].id);
		if (objs[i].removed) {
			err = pg_run(st, "DELETE FROM objects WHERE kind = $1 "
			    "AND id = $2", &a, NULL);
		} else {
			pga_str(&a, rec->team);
			pga_text(&a, rec->upstream);
			pga_text(&a, rec->request_id);
			pga_i64(&a, rec->ts_ms / 1000);
			pga_bytes(&a, rec->has_subject ? rec->subject : NULL,
			    sizeof(rec->subject));
			pga_text(&a, objs[i].parent);
			err = pg_run(st, "INSERT INTO objects(kind, id, team, "
			    "upstream, request_id, created, subject, parent) "
			    "VALUES($1, $2, $3, $4, $5, $6, $7, $8) "
			    "ON CONFLICT (kind, id) DO UPDATE SET "
			    "team = EXCLUDED.team, upstream = "
			    "EXCLUDED.upstream, request_id = "
			    "EXCLUDED.request_id, created = EXCLUDED.created, "
			    "subject = EXCLUDED.subject, parent = "
			    "EXCLUDED.parent", &a, NULL);
		}
		if (err != GW_OK)
			return err;
	}
	return GW_OK;
}

enum gw_err
pg_objects_load(struct pg_store *st, struct store_op *op)
{
	PGresult *res;
	json_t *all;
	int64_t version;

	if (pg_i64(st, "SELECT value FROM meta WHERE name = "
	    "'objects_version'", NULL, &version) != GW_OK)
		return GW_ERR_STORAGE;
	if (op->version > 0 && op->version == version) {
		op->changed = 0;
		return GW_OK;
	}
	op->version = version;
	op->changed = 1;
	res = pg_query(st, "SELECT kind, id, team FROM objects", NULL);
	all = json_array();

	if (res == NULL || all == NULL) {
		PQclear(res);
		json_decref(all);
		return GW_ERR_STORAGE;
	}
	for (int i = 0; i < PQntuples(res); i++)
		json_array_append_new(all, json_pack("[s, s, s]",
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2)));
	PQclear(res);
	op->json = all;
	return GW_OK;
}

enum gw_err
pg_objects_list(struct pg_store *st, struct store_op *op)
{
	struct pg_args a;

	pga_init(&a);
	pga_str(&a, op->team);
	pga_bytes(&a, op->aq.has_subject ? op->aq.subject : NULL,
	    sizeof(op->aq.subject));
	return pg_rows_json(st, "SELECT kind, id, parent, team, upstream, "
	    "request_id, created FROM objects WHERE ($1::text = '' OR team = "
	    "$1::text) AND ($2::bytea IS NULL OR subject = $2::bytea) ORDER BY "
	    "created, kind COLLATE \"C\", id COLLATE \"C\"", &a, &op->json);
}
