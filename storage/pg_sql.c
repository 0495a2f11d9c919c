/* libpq helpers: parameters, prepared statements, columns, rows as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "storage/pg_sql.h"

/* PostgreSQL's type oids that are numbers in JSON (pg_type.h). */
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_BOOL 16

/* The statements prepared on the connection, by their SQL's address. */
struct pg_prepared {
	const char **sql;	/* open addressing; NULL: free */
	unsigned *id;
	size_t cap, n;
	unsigned next;
};

void
pga_init(struct pg_args *a)
{
	a->n = 0;
}

static void
put(struct pg_args *a, const char *v, int len, int fmt)
{
	if (a->n >= PG_MAX_ARGS)
		return;	/* cannot happen: statements have fewer */
	a->v[a->n] = v;
	a->len[a->n] = len;
	a->fmt[a->n++] = fmt;
}

void
pga_text(struct pg_args *a, const char *s)
{
	put(a, s != NULL && *s != '\0' ? s : NULL, 0, 0);
}

void
pga_str(struct pg_args *a, const char *s)
{
	put(a, s != NULL ? s : "", 0, 0);
}

void
pga_i64(struct pg_args *a, int64_t v)
{
	if (a->n >= PG_MAX_ARGS)
		return;
	snprintf(a->num[a->n], sizeof(a->num[a->n]), "%lld", (long long)v);
	put(a, a->num[a->n], 0, 0);
}

void
pga_short(struct pg_args *a, const char *s)
{
	if (a->n >= PG_MAX_ARGS)
		return;
	snprintf(a->num[a->n], sizeof(a->num[a->n]), "%s", s);
	put(a, a->num[a->n], 0, 0);
}

void
pga_num(struct pg_args *a, int64_t v)
{
	if (v < 0)
		put(a, NULL, 0, 0);
	else
		pga_i64(a, v);
}

void
pga_bytes(struct pg_args *a, const void *p, size_t n)
{
	put(a, p, (int)n, 1);
}

void
pga_null(struct pg_args *a)
{
	put(a, NULL, 0, 0);
}

int
pg_conn_bad(const struct pg_store *st)
{
	return st->conn == NULL || PQstatus(st->conn) != CONNECTION_OK;
}

/* Logs a failed result: SQLSTATE and the primary message only (the
 * detail may quote values). Quiet once the connection is lost: the
 * writer says so once. */
static void
log_result(struct pg_store *st, const PGresult *res)
{
	const char *state, *msg;

	if (pg_conn_bad(st))
		return;
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (msg == NULL)
		msg = PQerrorMessage(st->conn);
	log_error("storage: PostgreSQL: %s%s%s", state ? state : "",
	    state ? " " : "", log_q(msg));
}

static int
result_ok(const PGresult *res)
{
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

void
pg_prepared_reset(struct pg_store *st)
{
	struct pg_prepared *p = st->prep;

	if (p == NULL)
		return;
	memset(p->sql, 0, p->cap * sizeof(*p->sql));
	p->n = 0;
}

void
pg_prepared_free(struct pg_store *st)
{
	if (st->prep == NULL)
		return;
	free(st->prep->sql);
	free(st->prep->id);
	free(st->prep);
	st->prep = NULL;
}

static size_t
slot_of(const struct pg_prepared *p, const char *sql)
{
	uintptr_t h = (uintptr_t)sql;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 7) & (p->cap - 1);
}

static int
grow(struct pg_prepared *p)
{
	size_t cap = p->cap ? p->cap * 2 : 128, oc = p->cap;
	const char **sql = calloc(cap, sizeof(*sql)), **os = p->sql;
	unsigned *id = calloc(cap, sizeof(*id)), *oi = p->id;

	if (sql == NULL || id == NULL) {
		free(sql);
		free(id);
		return -1;
	}
	p->sql = sql;
	p->id = id;
	p->cap = cap;
	for (size_t i = 0; i < oc; i++) {
		size_t j;

		if (os[i] == NULL)
			continue;
		for (j = slot_of(p, os[i]); sql[j] != NULL; j = (j + 1) &
		    (cap - 1))
			;
		sql[j] = os[i];
		id[j] = oi[i];
	}
	free(os);
	free(oi);
	return 0;
}

/* The name of sql's statement on this connection, prepared on first
 * use; NULL when it could not be. */
static const char *
prepared(struct pg_store *st, const char *sql, const struct pg_args *a,
    char name[24])
{
	struct pg_prepared *p = st->prep;
	PGresult *res;
	size_t j;

	if (p == NULL) {
		p = st->prep = calloc(1, sizeof(*p));
		if (p == NULL)
			return NULL;
	}
	if ((p->n + 1) * 2 > p->cap && grow(p) != 0)
		return NULL;
	for (j = slot_of(p, sql); p->sql[j] != NULL; j = (j + 1) &
	    (p->cap - 1))
		if (p->sql[j] == sql) {
			snprintf(name, 24, "eg%u", p->id[j]);
			return name;
		}
	snprintf(name, 24, "eg%u", p->next);
	res = PQprepare(st->conn, name, sql, a ? a->n : 0, NULL);
	if (!result_ok(res)) {
		log_result(st, res);
		PQclear(res);
		return NULL;
	}
	PQclear(res);
	p->sql[j] = sql;
	p->id[j] = p->next++;
	p->n++;
	return name;
}

PGresult *
pg_query(struct pg_store *st, const char *sql, const struct pg_args *a)
{
	char name[24];
	PGresult *res;

	if (pg_conn_bad(st))
		return NULL;
	if (prepared(st, sql, a, name) == NULL)
		return NULL;
	res = PQexecPrepared(st->conn, name, a ? a->n : 0, a ? a->v : NULL,
	    a ? a->len : NULL, a ? a->fmt : NULL, 0);
	if (!result_ok(res)) {
		log_result(st, res);
		PQclear(res);
		return NULL;
	}
	return res;
}

PGresult *
pg_query_once(struct pg_store *st, const char *sql, const struct pg_args *a)
{
	PGresult *res;

	if (pg_conn_bad(st))
		return NULL;
	res = PQexecParams(st->conn, sql, a ? a->n : 0, NULL, a ? a->v : NULL,
	    a ? a->len : NULL, a ? a->fmt : NULL, 0);
	if (!result_ok(res)) {
		log_result(st, res);
		PQclear(res);
		return NULL;
	}
	return res;
}

static enum gw_err
command_rows(PGresult *res, int64_t *rows)
{
	if (res == NULL)
		return GW_ERR_STORAGE;
	if (rows != NULL) {
		const char *t = PQcmdTuples(res);

		*rows = t != NULL && *t != '\0' ? strtoll(t, NULL, 10) : 0;
	}
	PQclear(res);
	return GW_OK;
}

enum gw_err
pg_run(struct pg_store *st, const char *sql, const struct pg_args *a,
    int64_t *rows)
{
	return command_rows(pg_query(st, sql, a), rows);
}

enum gw_err
pg_run_once(struct pg_store *st, const char *sql, const struct pg_args *a,
    int64_t *rows)
{
	return command_rows(pg_query_once(st, sql, a), rows);
}

enum gw_err
pg_exec(struct pg_store *st, const char *sql)
{
	PGresult *res;

	if (pg_conn_bad(st))
		return GW_ERR_STORAGE;
	res = PQexec(st->conn, sql);
	if (!result_ok(res)) {
		log_result(st, res);
		PQclear(res);
		return GW_ERR_STORAGE;
	}
	PQclear(res);
	return GW_OK;
}

enum gw_err
pg_i64(struct pg_store *st, const char *sql, const struct pg_args *a,
    int64_t *out)
{
	PGresult *res = pg_query(st, sql, a);

	*out = -1;
	if (res == NULL)
		return GW_ERR_STORAGE;
	if (PQntuples(res) > 0 && PQnfields(res) > 0)
		*out = pg_num(res, 0, 0);
	PQclear(res);
	return GW_OK;
}

json_t *
pg_result_json(const PGresult *res)
{
	json_t *arr = json_array();

	for (int r = 0; arr != NULL && r < PQntuples(res); r++) {
		json_t *row = json_object();

		for (int c = 0; row != NULL && c < PQnfields(res); c++) {
			const char *name = PQfname(res, c);
			const char *v = PQgetvalue(res, r, c);
			Oid t = PQftype(res, c);

			if (PQgetisnull(res, r, c))
				json_object_set_new(row, name, json_null());
			else if (t == OID_INT8 || t == OID_INT4 ||
			    t == OID_INT2)
				json_object_set_new(row, name, json_integer(
				    strtoll(v, NULL, 10)));
			else if (t == OID_BOOL)
				json_object_set_new(row, name, json_integer(
				    v[0] == 't'));
			else
				json_object_set_new(row, name, json_string(v));
		}
		if (row == NULL || json_array_append_new(arr, row) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

enum gw_err
pg_rows_json(struct pg_store *st, const char *sql, const struct pg_args *a,
    json_t **out)
{
	PGresult *res = pg_query(st, sql, a);

	if (res == NULL)
		return GW_ERR_STORAGE;
	*out = pg_result_json(res);
	PQclear(res);
	return *out != NULL ? GW_OK : GW_ERR_NOMEM;
}

void
pg_text(const PGresult *res, int r, int c, char *out, size_t len)
{
	snprintf(out, len, "%s", PQgetisnull(res, r, c) ? "" :
	    PQgetvalue(res, r, c));
}

int64_t
pg_num(const PGresult *res, int r, int c)
{
	if (PQgetisnull(res, r, c))
		return -1;
	return strtoll(PQgetvalue(res, r, c), NULL, 10);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
pg_bytes(const PGresult *res, int r, int c, unsigned char *out, size_t cap)
{
	const char *v;
	size_t n = 0;

	if (PQgetisnull(res, r, c))
		return -1;
	v = PQgetvalue(res, r, c);
	if (v[0] != '\\' || v[1] != 'x')
		return 0;	/* bytea_output = escape: not ours */
	for (v += 2; v[0] != '\0' && v[1] != '\0'; v += 2, n++) {
		int hi = hexval((unsigned char)v[0]),
		    lo = hexval((unsigned char)v[1]);

		if (hi < 0 || lo < 0)
			return 0;
		if (n < cap)
			out[n] = (unsigned char)(hi << 4 | lo);
	}
	return n > (size_t)INT32_MAX ? INT32_MAX : (int)n;
}
