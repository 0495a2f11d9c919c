/*
 * The SQLite writer: a thread that runs the queued ops of a store, as
 * many as have queued in one transaction (group commit; on a reader,
 * one snapshot), and hands them back to the loop thread for their done
 * callbacks. On the writer's store it applies the intent journal's new
 * records (storage/intent.h) first in each transaction, and with
 * storage_sync = full syncs the journal for the loop's ops that wait for
 * it; a reader's batch waits until the journal's records submitted
 * before it are applied. A writer's store also has a checkpointer
 * thread that copies the WAL into the database off the commit path.
 * The writer runs an op through the kinds table (storage/sqlite.h) and
 * reloads the parts through the parts table; it calls no part directly.
 * Not for use outside storage/.
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
/* Loop thread: the writer applies the journal's new records soon (once
 * the loop's ready events have run). */
void writer_kick(struct sqlite_store *st);
/* Loop thread: op (journaled, storage_sync = full) is done once the
 * writer has synced the journal; its done runs as a queued op's. */
void writer_submit_synced(struct sqlite_store *st, struct store_op *op);
/* Loop thread, before any op: fn(arg, op) runs on the loop for each such
 * op whose sync failed (op->err set), before its done. */
void writer_on_unkept(struct sqlite_store *st, void (*fn)(void *arg,
    struct store_op *op), void *arg);
/* How many times the writer saw another process write to the database
 * (any thread): what the loop caches is stale when it moved. */
unsigned writer_others(struct sqlite_store *st);
void writer_flush(struct sqlite_store *st);
void writer_get_stats(struct sqlite_store *st, struct store_stats *out);

#endif
