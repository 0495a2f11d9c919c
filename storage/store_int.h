/*
 * Storage internals shared by the files of storage/: the store object and
 * small SQLite helpers. Not for use outside storage/.
 */
#ifndef STORAGE_STORE_INT_H
#define STORAGE_STORE_INT_H

#include <pthread.h>

#include <openssl/evp.h>
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
	struct store_stats stats;	/* under lock */
	struct event *notify;	/* activated by the writer, runs on the loop */
	/* Group commit: what the loop submits while handling one batch of
	 * ready events goes to the writer as one transaction. The writer is
	 * woken once, after those events, not at the first submission. */
	struct event *kick;
	int kicked;		/* kick is active (loop thread only) */
	/* WAL checkpoints run on their own connection and thread, off the
	 * commit path: one (with its fsync) inside a commit would stall
	 * every request waiting for that commit. The writer's WAL hook asks
	 * for one when the WAL holds wal_every more pages than at the
	 * last request. The WAL starts over (instead of growing) only when
	 * a transaction begins with every frame copied; frames committed
	 * while the checkpointer copied are copied by the writer itself,
	 * before its next transaction (cp_catchup): a few pages. */
	sqlite3 *cp_db;
	pthread_t cp_thread;
	pthread_cond_t cp_wake;
	int cp_want, cp_running, cp_catchup;
	int wal_every;		/* WAL pages between checkpoints */
	int wal_next;		/* WAL pages that ask for the next checkpoint */
	int wal_size;		/* WAL pages after the last commit (writer) */
	/* Another process (a second instance on the same data_dir) wrote
	 * when PRAGMA data_version changes: cached state is reloaded. */
	sqlite3_stmt *st_dv;
	int64_t data_version;
	sqlite3_stmt *st_begin, *st_commit;	/* prepared once */
	/* Ledger: the writer thread's view of budgets, and its statements. */
	struct used_slot *used;
	size_t n_used;
	sqlite3_stmt *st_used[LEDGER_STMTS];
	sqlite3_stmt *st_reserve, *st_settle;
	/* Audit chain (storage/audit_write.c): the head, kept by the writer. */
	int readonly;
	sqlite3_stmt *st_audit, *st_cp;
	int64_t audit_seq;		/* the last record's seq; 0: none */
	unsigned char audit_head[32];	/* its hash (zeros before the first) */
	int64_t cp_seq;			/* the last checkpoint's seq */
	int64_t cp_every;
	EVP_PKEY *sign_key;		/* NULL: no checkpoints */
	unsigned char pub[32];		/* its public half */
	int has_key;
};

enum gw_err store_exec(sqlite3 *db, const char *sql);
/* Binds "" as NULL. */
void store_bind_text(sqlite3_stmt *s, int i, const char *v);
/* Binds a negative number (unknown, not priced) as NULL. */
void store_bind_num(sqlite3_stmt *s, int i, int64_t v);
/* Column i as text ("" for NULL), truncated to len. */
void store_column_text(sqlite3_stmt *s, int i, char *out, size_t len);
/* Column i as a number (-1 for NULL). */
int64_t store_column_num(sqlite3_stmt *s, int i);
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

/* storage/audit_write.c: the writer's side of the audit chain. */
enum gw_err audit_open(struct store *st, const struct store_conf *conf);
void audit_close(struct store *st);
/* Reloads the head from the database (after a failed batch). */
enum gw_err audit_load_head(struct store *st);
/* Appends rec to the chain (and a checkpoint when one is due). */
enum gw_err audit_append(struct store *st, const struct store_request *rec);
/* Signs a checkpoint of the head unless the last one covers it. */
enum gw_err audit_checkpoint(struct store *st, int64_t now_ms);
/* Records the requests a crash interrupted (open ledger entries). */
enum gw_err audit_recover(struct store *st, int64_t now_ms, int *n);
enum gw_err audit_purge(struct store *st, struct store_op *op);
enum gw_err audit_subject_erase(struct store *st, struct store_op *op);

/* storage/audit_verify.c: chain verification, the checkpoints' list. */
enum gw_err audit_verify(struct store *st, struct store_op *op);
enum gw_err audit_checkpoints(struct store *st, struct store_op *op);
/* Fills rec (and seq, prev, hash) from a row of AUDIT_COLUMNS. */
void audit_row(sqlite3_stmt *s, struct store_request *rec, int64_t *seq,
    unsigned char prev[32], unsigned char hash[32]);

/* storage/audit_export.c: export pages, the processing report. */
enum gw_err audit_page(struct store *st, struct store_op *op);
enum gw_err audit_processing_report(struct store *st, struct store_op *op);

/* storage/objects.c: who owns what upstream. */
enum gw_err objects_write(struct store *st, const struct store_request *rec,
    const struct store_obj *objs, size_t n);
enum gw_err objects_load(struct store *st, struct store_op *op);
enum gw_err objects_list(struct store *st, struct store_op *op);
enum gw_err objects_team_delete(struct store *st, struct store_op *op);

#define AUDIT_COLUMNS "seq, ts, kind, request_id, key_id, team, client, " \
	"method, path, model, upstream, region, policy, verdicts, route, pii, " \
	"zdr, streamed, status, error, prompt_tokens, completion_tokens, " \
	"cost_eur, cost_usd, latency_us, request_hash, response_hash, prev, " \
	"hash, subject"

#endif
