/* The storage interface: each call goes to the store's backend. */
#include <stdlib.h>
#include <string.h>

#include "storage/backend.h"
#include "storage/store.h"

/*
 * A PostgreSQL connection URI picks that backend, anything else is a
 * SQLite file: store_open is the only place that names a backend.
 */
enum gw_err
store_open(const char *path, const struct store_conf *conf,
    struct event_base *base, struct store **out)
{
	const struct store_backend *be = &store_backend_sqlite;

	if (strncmp(path, "postgres://", 11) == 0 ||
	    strncmp(path, "postgresql://", 13) == 0)
		be = &store_backend_pg;
	return be->open(path, conf, base, out);
}

void
store_close(struct store *st)
{
	if (st != NULL)
		st->be->close(st);
}

void
store_submit(struct store *st, struct store_op *op)
{
	st->be->submit(st, op);
}

void
store_flush(struct store *st)
{
	st->be->flush(st);
}

void
store_get_stats(struct store *st, struct store_stats *out)
{
	st->be->get_stats(st, out);
}

void
store_op_cleanup(struct store_op *op)
{
	if (op->json != NULL)
		json_decref(op->json);
	op->json = NULL;
	free(op->rows);
	op->rows = NULL;
	op->n_rows = 0;
	free(op->text);
	op->text = NULL;
	op->text_len = 0;
}
