/*
 * The PostgreSQL backend: its store and its two tables, shared by the
 * files that implement it (storage/pg*.c), as storage/sqlite.h is for
 * SQLite. Several eugate instances share one database: each names
 * itself (store_conf.instance), holds a session advisory lock on that
 * name while it runs, writes its own audit chain and owns the ledger
 * entries it reserved. Not for use outside storage/.
 */
#ifndef STORAGE_PG_H
#define STORAGE_PG_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "storage/backend.h"
#include "storage/store.h"

struct pg_writer;	/* storage/pg_writer.c */
struct pg_ledger;	/* storage/pg_ledger.c */
struct pg_chain;	/* storage/pg_audit.c */
struct pg_rates;	/* storage/pg_rates.c */
struct pg_prepared;	/* storage/pg_sql.c */

struct pg_store {
	struct store base;	/* first: the interface's handle */
	PGconn *conn;		/* owned; the writer thread's once it runs */
	char *url;		/* owned, wiped at free: to reconnect */
	char where[200];	/* "host:port/db as user", for logs: never the
				 * password */
	int readonly;		/* a reader: read kinds only, no parts */
	char instance[65];	/* this instance's name (its chain) */
	struct pg_writer *writer;
	struct pg_ledger *ledger;	/* NULL on a reader */
	struct pg_chain *chain;		/* NULL on a reader */
	struct pg_rates *rates;		/* NULL on a reader */
	struct pg_prepared *prep;	/* statements prepared on conn */
	EVP_PKEY *sign_key;	/* NULL: no checkpoints are signed */
	unsigned char pub[32];
	int has_key;
	unsigned char secret_check[32];	/* store_conf.secret_check */
	int has_secret_check;
	int64_t instance_timeout_ms;	/* store_conf's */
};

/*
 * A part of the writer's store that keeps state next to the database
 * (as struct sqlite_part), with two more hooks around each batch.
 */
struct pg_part {
	const char *name;
	enum gw_err (*open)(struct pg_store *st, const struct store_conf *conf);
	void (*close)(struct pg_store *st);
	/* Inside one transaction with the other parts' recovery: repairs
	 * what the instance named left half done (its own at open; a dead
	 * one's later, into this instance's chain). */
	enum gw_err (*recover)(struct pg_store *st, const char *instance,
	    int64_t now_ms);
	/* After a failed batch or a new connection: what the part keeps in
	 * memory is read again. */
	enum gw_err (*reload)(struct pg_store *st);
	/* Inside a batch's transaction, before its ops run (batch: the op
	 * list): takes the row locks the ops will need, in one order for
	 * every instance. */
	enum gw_err (*begin)(struct pg_store *st, const struct store_op *batch);
	/* Inside the transaction, after the ops ran, before COMMIT. */
	enum gw_err (*end)(struct pg_store *st);
};

extern const struct pg_part pg_parts[];
extern const size_t pg_n_parts;

/* How the writer runs one kind of operation (enum store_op_type). */
struct pg_op_kind {
	const char *name;
	int writer_only;	/* writes, or needs a part: the writer's */
	/* Inside the batch's transaction (on the reader, its own
	 * read-only one); the op's err is its result. */
	enum gw_err (*run)(struct pg_store *st, struct store_op *op);
};

extern const struct pg_op_kind pg_op_kinds[STORE_OP_KINDS];

/* Connects st->conn to st->url, and for the writer takes the instance's
 * lock; logs what failed, naming st->where. Used by open and by the
 * writer when the connection was lost (wait: how long to wait for the
 * instance's lock, in seconds). */
enum gw_err pg_connect(struct pg_store *st, int wait) GW_WUR;

/* A store without parts or writer thread: connected (as instance, with
 * its lock), its schema made; for storage/migrate.c. */
enum gw_err pg_bare_open(const char *url, const char *instance,
    struct pg_store **out) GW_WUR;
void pg_bare_close(struct pg_store *st);

/* The writer's periodic work between batches: the instance's heartbeat
 * and the recovery of instances that died (their locks are free). */
enum gw_err pg_maintain(struct pg_store *st, int64_t now_ms);

/* The advisory lock that serializes migrations: a constant. */
#define PG_LOCK_MIGRATE 0x6575676174650001LL

#endif
