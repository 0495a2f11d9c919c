/* SQLite helpers: statements, bindings, columns, rows as JSON, migrations. */
#include <stdio.h>

#include "common/log.h"
#include "storage/sql.h"

enum gw_err
sql_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("storage: %s", log_q(msg ? msg : sqlite3_errmsg(db)));
		sqlite3_free(msg);
		return GW_ERR_STORAGE;
	}
	return GW_OK;
}

enum gw_err
sql_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
	    NULL) != SQLITE_OK) {
		log_error("storage: %s", log_q(sqlite3_errmsg(db)));
		return GW_ERR_STORAGE;
	}
	return GW_OK;
}

void
sql_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL || *v == '\0')
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

void
sql_bind_text_static(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL || *v == '\0')
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

void
sql_bind_num(sqlite3_stmt *s, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

void
sql_column_text(sqlite3_stmt *s, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

int64_t
sql_column_num(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(s, i);
}

enum gw_err
sql_map_rc(int rc)
{
	if (rc == SQLITE_DONE || rc == SQLITE_OK || rc == SQLITE_ROW)
		return GW_OK;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return GW_ERR_EXISTS;
	return GW_ERR_STORAGE;
}

enum gw_err
sql_rows_json(sqlite3_stmt *s, json_t **out)
{
	json_t *arr = json_array();
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *row = json_object();

		for (int i = 0; i < sqlite3_column_count(s); i++) {
			const char *name = sqlite3_column_name(s, i);

			switch (sqlite3_column_type(s, i)) {
			case SQLITE_INTEGER:
				json_object_set_new(row, name, json_integer(
				    sqlite3_column_int64(s, i)));
				break;
			case SQLITE_NULL:
				json_object_set_new(row, name, json_null());
				break;
			default:
				json_object_set_new(row, name, json_string(
				    (const char *)sqlite3_column_text(s, i)));
			}
		}
		json_array_append_new(arr, row);
	}
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		return GW_ERR_STORAGE;
	}
	*out = arr;
	return GW_OK;
}

enum gw_err
sql_query_json(sqlite3 *db, const char *sql, const char *arg, int limit,
    json_t **out)
{
	sqlite3_stmt *s;
	enum gw_err err;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	if (arg != NULL)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
	if (limit > 0)
		sqlite3_bind_int(s, arg != NULL ? 2 : 1, limit);
	err = sql_rows_json(s, out);
	sqlite3_finalize(s);
	return err;
}

enum gw_err
sql_query_i64(sqlite3 *db, const char *sql, int64_t arg, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	*out = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return GW_ERR_STORAGE;
	if (sqlite3_bind_parameter_count(s) > 0)
		sqlite3_bind_int64(s, 1, arg);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? GW_OK : GW_ERR_STORAGE;
}

enum gw_err
sql_migrate(sqlite3 *db, const char *const *steps, size_t n)
{
	sqlite3_stmt *s;
	int version = 0;
	char sql[64];

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return GW_ERR_STORAGE;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (version > (int)n) {
		log_error("storage: database schema %d is newer than this "
		    "eugate (%zu)", version, n);
		return GW_ERR_STORAGE;
	}
	for (; version < (int)n; version++) {
		if (sql_exec(db, "BEGIN IMMEDIATE") != GW_OK)
			return GW_ERR_STORAGE;
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d",
		    version + 1);
		if (sql_exec(db, steps[version]) != GW_OK ||
		    sql_exec(db, sql) != GW_OK) {
			sql_exec(db, "ROLLBACK");
			return GW_ERR_STORAGE;
		}
		if (sql_exec(db, "COMMIT") != GW_OK)
			return GW_ERR_STORAGE;
		log_info("storage: migrated schema to version %d", version + 1);
	}
	return GW_OK;
}
