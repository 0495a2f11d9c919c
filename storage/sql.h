/*
 * Small SQLite helpers for the files of the SQLite backend: statements,
 * bindings and columns with eugate's conventions ("" and negative
 * numbers are NULL), result codes mapped to enum gw_err, rows as JSON,
 * and the migrations runner. Not for use outside storage/.
 */
#ifndef STORAGE_SQL_H
#define STORAGE_SQL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sqlite3.h>

#include "common/err.h"

/* Runs one or more statements; logs the error (a ROLLBACK's result
 * may be ignored). */
enum gw_err sql_exec(sqlite3 *db, const char *sql);
/* Prepares a statement kept for the connection's life; logs the error. */
enum gw_err sql_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out)
    GW_WUR;
/* Binds "" (and NULL) as NULL; the text is copied. */
void sql_bind_text(sqlite3_stmt *s, int i, const char *v);
/* The same, not copied: v stays as it is until the statement is stepped
 * and reset (the writer's hot statements: a copy is a malloc and a
 * memcpy per column). */
void sql_bind_text_static(sqlite3_stmt *s, int i, const char *v);
/* Binds a negative number (unknown, not priced) as NULL. */
void sql_bind_num(sqlite3_stmt *s, int i, int64_t v);
/* Column i as text ("" for NULL), truncated to len. */
void sql_column_text(sqlite3_stmt *s, int i, char *out, size_t len);
/* Column i as a number (-1 for NULL). */
int64_t sql_column_num(sqlite3_stmt *s, int i);
/* SQLITE_OK, _DONE, _ROW: GW_OK; a constraint: GW_ERR_EXISTS. */
enum gw_err sql_map_rc(int rc);
/* Steps a prepared, bound statement; its rows become a JSON array of
 * objects (*out, owned by the caller). */
enum gw_err sql_rows_json(sqlite3_stmt *s, json_t **out) GW_WUR;
/* Runs sql with an optional text parameter (?1) and a row limit (the
 * next parameter, when limit > 0); its rows as sql_rows_json. */
enum gw_err sql_query_json(sqlite3 *db, const char *sql, const char *arg,
    int limit, json_t **out) GW_WUR;
/* Runs sql with one int64 parameter (when it has one) returning one
 * int64 (*out; -1 for NULL or no row). */
enum gw_err sql_query_i64(sqlite3 *db, const char *sql, int64_t arg,
    int64_t *out) GW_WUR;
/* Moves user_version from where it is to n, one step (steps[v] moves v
 * to v + 1) per transaction; a database newer than n is refused. */
enum gw_err sql_migrate(sqlite3 *db, const char *const *steps, size_t n)
    GW_WUR;

#endif
