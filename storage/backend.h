/*
 * What a storage backend implements behind the interface of
 * storage/store.h. A backend's store begins with struct store; store.c
 * forwards each call of the interface to the store's backend. Not for
 * use outside storage/.
 *
 * A backend runs every kind of enum store_op_type with the payloads
 * that store.h documents, and keeps these promises:
 * - the event loop never waits: submit only queues, and each op's done
 *   callback runs later on the loop thread (event_base given to open);
 *   with no event_base, only flush runs them;
 * - done with GW_OK means committed: it survives a crash of the
 *   process (and power loss as storage_sync says); what is not
 *   committed is never reported as stored;
 * - the ops one caller submits run in the order submitted; a reserve
 *   decides and records the reservation atomically against what every
 *   other writer has spent;
 * - a store opened readonly runs only the kinds that do not write and
 *   fails the others with GW_ERR_INVAL;
 * - open repairs what a crash left: open reservations are settled as
 *   charged and their requests recorded as interrupted.
 */
#ifndef STORAGE_BACKEND_H
#define STORAGE_BACKEND_H

#include "storage/store.h"

struct store_backend {
	const char *name;
	/* Opens (creating and migrating, unless conf->readonly) the
	 * database at where; on success *out is the backend's store. */
	enum gw_err (*open)(const char *where, const struct store_conf *conf,
	    struct event_base *base, struct store **out);
	/* Runs every queued op, then frees the store. */
	void (*close)(struct store *st);
	void (*submit)(struct store *st, struct store_op *op);
	void (*flush)(struct store *st);
	void (*get_stats)(struct store *st, struct store_stats *out);
};

/* The head of every backend's store. */
struct store {
	const struct store_backend *be;
};

/* storage/sqlite.c: SQLite in WAL mode, the default. */
extern const struct store_backend store_backend_sqlite;
/* storage/pg.c: PostgreSQL, shared by several instances. */
extern const struct store_backend store_backend_pg;

#endif
