/*
 * The SQLite backend's loop side: the ops that the intent journal keeps
 * (storage/journal.h) instead of a commit round trip. A reservation is
 * decided on the loop against the budget book (storage/book.h) and
 * appended to the journal as a record; a request's record (audit,
 * settlement, objects) is appended as another. Either is kept once its
 * write returned (storage_sync = full: once the writer synced the
 * journal), and its done callback then runs on the loop, without
 * waiting for the database; the writer applies the records in its next
 * group commit. Every other kind goes to the writer's queue. Not for
 * use outside storage/.
 */
#ifndef STORAGE_FRONT_H
#define STORAGE_FRONT_H

#include <event2/event.h>

#include "storage/sqlite.h"

struct front;

/* On the writer's store, its journal open and its writer started; base
 * NULL: done callbacks run in front_flush only. */
enum gw_err front_new(struct sqlite_store *st, struct event_base *base,
    int full_sync, struct front **out) GW_WUR;
/* Runs the done callbacks still due, then frees f (NULL: nothing). */
void front_free(struct front *f);
/* Loop thread: takes op when the journal keeps its kind (1), else 0. */
int front_submit(struct front *f, struct store_op *op);
/* Loop thread: runs the done callbacks that are due. */
void front_flush(struct front *f);
/* Loop thread: ops submitted whose done has not run yet. */
unsigned front_pending(const struct front *f);

#endif
