/*
 * libpq helpers for the PostgreSQL backend, with eugate's conventions
 * as storage/sql.h has them for SQLite: parameters ("" and negative
 * numbers as NULL), statements prepared once per connection, columns,
 * rows as JSON, errors logged (never the connection string) and mapped
 * to enum gw_err. Not for use outside storage/.
 */
#ifndef STORAGE_PG_SQL_H
#define STORAGE_PG_SQL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "common/err.h"
#include "storage/pg.h"

#define PG_MAX_ARGS 40

/* The parameters of one statement, in text (bytes in binary). */
struct pg_args {
	int n;
	const char *v[PG_MAX_ARGS];
	int len[PG_MAX_ARGS];
	int fmt[PG_MAX_ARGS];
	char num[PG_MAX_ARGS][24];	/* numbers' text */
};

void pga_init(struct pg_args *a);
/* A text; "" and NULL are NULL. Not copied: it must outlive the call. */
void pga_text(struct pg_args *a, const char *s);
/* A text as it is ("" stays ""). */
void pga_str(struct pg_args *a, const char *s);
/* A short text (under 24 bytes), copied. */
void pga_short(struct pg_args *a, const char *s);
/* A number; negative (unknown, not priced) is NULL. */
void pga_num(struct pg_args *a, int64_t v);
/* A number, whatever its sign. */
void pga_i64(struct pg_args *a, int64_t v);
/* Bytes (bytea), not copied; NULL p is NULL. */
void pga_bytes(struct pg_args *a, const void *p, size_t n);
void pga_null(struct pg_args *a);

/*
 * Runs sql, a statement of the code (a string constant: it is prepared
 * once per connection and named by its address), with a's parameters
 * (a may be NULL). Returns its result (PQclear it), or NULL when it
 * failed (logged).
 */
PGresult *pg_query(struct pg_store *st, const char *sql,
    const struct pg_args *a);
/* The same for a statement built at run time: not prepared. */
PGresult *pg_query_once(struct pg_store *st, const char *sql,
    const struct pg_args *a);
/* Runs a statement for its effect; *rows (when not NULL): rows it
 * changed. */
enum gw_err pg_run(struct pg_store *st, const char *sql,
    const struct pg_args *a, int64_t *rows) GW_WUR;
/* The same for a statement built at run time. */
enum gw_err pg_run_once(struct pg_store *st, const char *sql,
    const struct pg_args *a, int64_t *rows) GW_WUR;
/* Runs statements without parameters (several, ';'-separated). */
enum gw_err pg_exec(struct pg_store *st, const char *sql);
/* One number: column 0 of row 0 (-1 when NULL or no row). */
enum gw_err pg_i64(struct pg_store *st, const char *sql,
    const struct pg_args *a, int64_t *out) GW_WUR;
/* The rows as a JSON array of objects (integers stay integers). */
enum gw_err pg_rows_json(struct pg_store *st, const char *sql,
    const struct pg_args *a, json_t **out) GW_WUR;
/* res's rows as pg_rows_json makes them. */
json_t *pg_result_json(const PGresult *res);

/* Column c of row r as text ("" when NULL), truncated to len. */
void pg_text(const PGresult *res, int r, int c, char *out, size_t len);
/* As a number (-1 when NULL). */
int64_t pg_num(const PGresult *res, int r, int c);
/* A bytea column (text format) into out: its length, -1 when NULL;
 * bytes past cap are dropped, a malformed value is length 0. */
int pg_bytes(const PGresult *res, int r, int c, unsigned char *out,
    size_t cap);

/* Forgets the statements prepared on the connection (it is new). */
void pg_prepared_reset(struct pg_store *st);
void pg_prepared_free(struct pg_store *st);

/* The connection is lost (or was never made). */
int pg_conn_bad(const struct pg_store *st);

#endif
