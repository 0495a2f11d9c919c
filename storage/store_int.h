/*
 * Storage internals shared by the files of storage/: the store object and
 * small SQLite helpers. Not for use outside storage/.
 */
#ifndef STORAGE_STORE_INT_H
#define STORAGE_STORE_INT_H

#include <pthread.h>

#include <sqlite3.h>

#include "storage/store.h"

#define LEDGER_STMTS 6		/* used-amount queries: 3 scopes x 2 currencies */

/* What each budget has used in its period, kept by the writer thread. */
struct used_slot {
	char scope;
	char id[65];
	int currency;
	int64_t start_ms, end_ms;
	int64_t used;
	int in_use;
};

struct store {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work;	/* the writer waits here for work */
	pthread_cond_t drained;	/* store_flush waits here for a batch's end */
	struct store_op *queue, *queue_tail;
	struct store_op *done, *done_tail;
	unsigned pending;	/* submitted, done callback not yet run */
	int busy;		/* the writer is running a batch */
	int idle;		/* the writer waits on cond for work */
	int stop;
	struct event *notify;	/* activated by the writer, runs on the loop */
	sqlite3_stmt *st_log;	/* prepared once: the hot statement */
	/* Ledger: the writer thread's view of budgets, and its statements. */
	struct used_slot *used;
	size_t n_used;
	sqlite3_stmt *st_used[LEDGER_STMTS];
	sqlite3_stmt *st_reserve, *st_settle;
};

enum gw_err store_exec(sqlite3 *db, const char *sql);
void store_bind_text(sqlite3_stmt *s, int i, const char *v);
enum gw_err store_map_rc(int rc);
enum gw_err store_rows_json(sqlite3_stmt *s, json_t **out);

/* storage/ledger.c: reservations, settlement, recovery, reports. */
enum gw_err ledger_open(struct store *st);
void ledger_close(struct store *st);
/* Forgets the used amounts (after a failed batch). */
void ledger_forget(struct store *st);
enum gw_err ledger_reserve(struct store *st, struct store_spend *sp);
enum gw_err ledger_settle(struct store *st, struct store_spend *sp,
    const char *upstream, int64_t now_ms);
enum gw_err ledger_report(struct store *st, struct store_op *op);
/* Settles reservations left open by a crash as charged. */
enum gw_err ledger_recover(struct store *st, int64_t now_ms, int *n);

#endif
