/*
 * The PostgreSQL writer: a thread that runs the queued ops of a store
 * on its connection, as many as have queued in one transaction (group
 * commit), and hands them back to the loop thread for their done
 * callbacks; it reconnects with backoff when the connection is lost and
 * fails what is queued meanwhile. Not for use outside storage/.
 */
#ifndef STORAGE_PG_WRITER_H
#define STORAGE_PG_WRITER_H

#include <event2/event.h>

#include "storage/pg.h"

/* Starts st->writer on st->conn (connected, migrated, parts open). */
enum gw_err pg_writer_start(struct pg_store *st, struct event_base *base)
    GW_WUR;
/* Runs every queued op, stops the thread and frees st->writer. */
void pg_writer_stop(struct pg_store *st);
void pg_writer_submit(struct pg_store *st, struct store_op *op);
void pg_writer_flush(struct pg_store *st);
void pg_writer_get_stats(struct pg_store *st, struct store_stats *out);

#endif
