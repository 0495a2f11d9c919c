/*
 * The SQLite writer: a thread that runs the queued ops of a store, as
 * many as have queued in one transaction (group commit; on a reader,
 * one snapshot), and hands them back to the loop thread for their done
 * callbacks. A writer's store also has a checkpointer thread that copies
 * the WAL into the database off the commit path. The writer runs an op
 * through the kinds table (storage/sqlite.h) and reloads the parts
 * through the parts table; it calls no part directly. Not for use
 * outside storage/.
 */
#ifndef STORAGE_WRITER_H
#define STORAGE_WRITER_H

#include <event2/event.h>

#include "storage/sqlite.h"

/* Starts st->writer on st->db (opened, migrated, its parts open); path
 * opens the checkpointer's connection. */
enum gw_err writer_start(struct sqlite_store *st, const char *path,
    const struct store_conf *conf, struct event_base *base) GW_WUR;
/* Runs every queued op, stops the threads and frees st->writer (NULL:
 * nothing to do). */
void writer_stop(struct sqlite_store *st);
void writer_submit(struct sqlite_store *st, struct store_op *op);
void writer_flush(struct sqlite_store *st);
void writer_get_stats(struct sqlite_store *st, struct store_stats *out);

#endif
