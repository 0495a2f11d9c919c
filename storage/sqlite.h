/*
 * The SQLite backend: its store and its two tables, shared by the files
 * that implement it. The parts (the audit chain, the ledger) keep state
 * next to the database on the writer's connection: opened, recovered and
 * reloaded through the parts table. Each kind of operation has its
 * handler in the kinds table, which is how the writer runs an op. Not
 * for use outside storage/.
 */
#ifndef STORAGE_SQLITE_H
#define STORAGE_SQLITE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "storage/backend.h"
#include "storage/store.h"

struct writer;		/* storage/writer.c */
struct ledger;		/* storage/ledger.c */
struct audit_chain;	/* storage/audit_write.c */
struct journal;		/* storage/journal.c */
struct intents;		/* storage/intent.c */
struct front;		/* storage/front.c */

struct sqlite_store {
	struct store base;	/* first: the interface's handle */
	sqlite3 *db;		/* owned; used by the writer thread only */
	int readonly;		/* a reader: read kinds only, no parts */
	struct writer *writer;	/* the thread that runs the ops */
	struct ledger *ledger;	/* NULL on a reader */
	struct audit_chain *chain;	/* NULL on a reader */
	struct intents *intents;	/* NULL on a reader */
	struct journal *journal;	/* the intent journal; NULL on a
					 * reader */
	struct front *front;	/* the loop's side of it; NULL on a reader */
	/* The audit signing key, on both connections: the writer signs
	 * checkpoints with it, the reader checks them. */
	EVP_PKEY *sign_key;	/* NULL: no checkpoints are signed */
	unsigned char pub[32];	/* its public half */
	int has_key;
};

/*
 * A part of the writer's store that keeps state next to the database.
 * Parts open in the table's order (after the schema is migrated) and
 * close in reverse; a reader opens none.
 */
struct sqlite_part {
	const char *name;
	enum gw_err (*open)(struct sqlite_store *st,
	    const struct store_conf *conf);
	/* Also after a failed or partial open. */
	void (*close)(struct sqlite_store *st);
	/* At open, in one transaction with the other parts' recovery, in
	 * the table's order: repairs what a crash left half done. */
	enum gw_err (*recover)(struct sqlite_store *st, int64_t now_ms);
	/* On the writer thread, after a failed batch or when another
	 * process wrote: what the part keeps in memory is read again. */
	enum gw_err (*reload)(struct sqlite_store *st);
};

extern const struct sqlite_part sqlite_parts[];
extern const size_t sqlite_n_parts;

/* How the writer runs one kind of operation (enum store_op_type). */
struct sqlite_op_kind {
	const char *name;
	/* Runs on the writer's connection only: it writes, or needs a
	 * part's state. The others read, on either connection. */
	int writer_only;
	/* Runs inside the batch's transaction; the op's err is its
	 * result. */
	enum gw_err (*run)(struct sqlite_store *st, struct store_op *op);
};

extern const struct sqlite_op_kind sqlite_op_kinds[STORE_OP_KINDS];

/* The backend's own kind, never submitted through store.h: what each
 * budget of op->spend has used (storage/front.c asks it for the book). */
#define SQLITE_OP_BUDGET_LOAD (STORE_OP_KINDS + 1)
extern const struct sqlite_op_kind sqlite_op_budget_load;

#endif
