/* The SQLite writer: op queue, journal, group commit, done callbacks,
 * checkpoints. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "storage/intent.h"
#include "storage/journal.h"
#include "storage/sql.h"
#include "storage/writer.h"

#define STORE_WAL_PAGES 1000	/* SQLite's auto-checkpoint size: 4 MB */
/* Journal bytes one transaction applies when no op waits for them all. */
#define JOURNAL_BATCH (256 * 1024)
/* After a failed transaction, the journal is applied again this late
 * (doubling up to the most), unless an op comes first. */
#define RETRY_MIN_MS 50
#define RETRY_MAX_MS 2000
/* Records alone (no op waits) are gathered this long before the writer
 * applies them: more per transaction, fewer pages per request, and
 * more requests whose reservation and record meet in one batch (one
 * ledger INSERT instead of an INSERT and an UPDATE). No one waits for
 * it: a record is kept once in the journal, ops and reads end the wait. */
#define GATHER_MS 10
/* A reader's op waits at most this long for the journal records before
 * it to be applied (a writer that fails does not stop reads). */
#define READ_WAIT_MS 5000

struct writer {
	struct sqlite_store *st;
	pthread_t thread;
	int running;		/* thread started */
	pthread_mutex_t lock;
	pthread_cond_t work;	/* the writer waits here for work */
	pthread_cond_t drained;	/* writer_flush waits here for a batch's end */
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
	 * when PRAGMA data_version changes: the parts reload. */
	sqlite3_stmt *st_dv;
	int64_t data_version;
	sqlite3_stmt *st_begin, *st_commit;	/* prepared once */
	/* Journaled ops that wait for the journal's fdatasync
	 * (storage_sync = full), under lock. */
	struct store_op *synced, *synced_tail;
	/* Those whose fdatasync failed, for the loop, under lock; what
	 * on_unkept does there before their done callbacks. */
	struct store_op *unkept, *unkept_tail;
	void (*on_unkept)(void *arg, struct store_op *op);
	void *unkept_arg;
	int jfailed;		/* the journal's last transaction failed */
	int gathering;		/* waits for more records (GATHER_MS) */
	int hurry;		/* apply every record now (flush, a read) */
	int retry_ms;		/* its next retry's delay */
	atomic_uint others;	/* times another process was seen writing */
	/* A reader: the writer's store, whose journal records up to need
	 * (under lock) its reads wait for. */
	struct sqlite_store *primary;
	uint64_t need;
};

static void writer_hurry(struct sqlite_store *st);

/* Runs one op through the kinds table. */
static void
run_op(struct sqlite_store *st, struct store_op *op)
{
	const struct sqlite_op_kind *k;

	if (op->type == SQLITE_OP_BUDGET_LOAD && !st->readonly) {
		op->err = sqlite_op_budget_load.run(st, op);
		return;
	}
	if (op->type < 0 || op->type >= STORE_OP_KINDS) {
		log_error("storage: unknown operation %d", op->type);
		op->err = GW_ERR_INVAL;
		return;
	}
	k = &sqlite_op_kinds[op->type];
	if (k->writer_only && st->readonly) {
		log_error("storage: %s submitted to the reader", k->name);
		op->err = GW_ERR_INVAL;
		return;
	}
	op->err = k->run(st, op);
}

/* What the parts keep in memory is read again; the first error. */
static enum gw_err
reload_parts(struct sqlite_store *st)
{
	enum gw_err err = GW_OK, e;

	if (st->readonly)
		return GW_OK;
	for (size_t i = 0; i < sqlite_n_parts; i++) {
		if (sqlite_parts[i].reload == NULL)
			continue;
		e = sqlite_parts[i].reload(st);
		if (e != GW_OK) {
			log_error("storage: cannot reload the %s",
			    sqlite_parts[i].name);
			if (err == GW_OK)
				err = e;
		}
	}
	return err;
}

/* Inside the write transaction: when another process committed since
 * our last batch, what the parts cache (budget sums, the chain head) is
 * read again. */
static enum gw_err
sync_others(struct writer *w)
{
	int64_t v;

	sqlite3_reset(w->st_dv);
	if (sqlite3_step(w->st_dv) != SQLITE_ROW) {
		sqlite3_reset(w->st_dv);
		return GW_ERR_STORAGE;
	}
	v = sqlite3_column_int64(w->st_dv, 0);
	sqlite3_reset(w->st_dv);
	if (v == w->data_version)
		return GW_OK;
	if (w->data_version >= 0)
		atomic_fetch_add(&w->others, 1);
	w->data_version = v;
	return reload_parts(w->st);
}

/* Steps BEGIN or COMMIT, prepared once. */
static enum gw_err
step_once(struct writer *w, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		log_error("storage: %s", log_q(sqlite3_errmsg(w->st->db)));
		return GW_ERR_STORAGE;
	}
	return GW_OK;
}

/* Applies the journal's records inside the batch's transaction: all
 * those appended before the batch's ops when there are ops (they see
 * them), else about JOURNAL_BATCH bytes. *last: the last applied;
 * *recs: how many (each counts as an op in the stats). */
static enum gw_err
apply_journal(struct writer *w, int all, uint64_t *last, unsigned *recs)
{
	struct journal *j = w->st->journal;
	struct journal_rec rec;
	size_t total = 0;

	for (;;) {
		const unsigned char *buf;
		size_t n;
		enum gw_err err = journal_read(j, JOURNAL_BATCH, &buf, &n);

		if (err != GW_OK)
			return err;
		if (n == 0)
			return GW_OK;
		err = intent_apply(w->st, journal_lane(j), buf, n, last);
		if (err != GW_OK)
			return err;
		for (size_t off = 0; journal_next(buf, n, &off, 0, &rec) == 1;)
			(*recs)++;
		total += n;
		if (!all && total >= JOURNAL_BATCH)
			return GW_OK;
	}
}

/* Runs one batch in one transaction (on the reader, one snapshot), the
 * journal's new records first; a failed commit fails every op and
 * leaves the records to the next batch. Returns the ops run and the
 * records applied. */
static unsigned
run_batch(struct writer *w, struct store_op *batch, int all)
{
	struct sqlite_store *st = w->st;
	struct journal *j = st->journal;
	struct store_op *op;
	enum gw_err err = step_once(w, w->st_begin);
	uint64_t last = 0;
	unsigned n = 0, recs = 0;

	if (err == GW_OK && !st->readonly)
		err = sync_others(w);
	if (err == GW_OK && j != NULL)
		err = apply_journal(w, all || batch != NULL, &last, &recs);

	for (op = batch; op != NULL; op = op->next, n++) {
		if (err != GW_OK)
			op->err = err;
		else
			run_op(st, op);
	}
	if (err == GW_OK && step_once(w, w->st_commit) != GW_OK)
		err = GW_ERR_STORAGE;
	if (err != GW_OK) {
		if (!sqlite3_get_autocommit(st->db))
			sql_exec(st->db, "ROLLBACK");
		for (op = batch; op != NULL; op = op->next)
			op->err = err;
		reload_parts(st);	/* it logs */
		if (j != NULL)
			journal_rewind(j);
		w->jfailed = j != NULL && journal_pending(j);
		return n;
	}
	if (j != NULL && last > 0)
		journal_commit(j, last);
	w->jfailed = 0;
	return n + recs;
}

/* Full sync: the journal reaches the disk, then the ops that waited for
 * it are done (their done callbacks run on the loop). */
static void
sync_journal(struct writer *w, struct store_op *ops, struct store_op *tail)
{
	enum gw_err err;
	uint64_t seq;

	if (ops == NULL)
		return;
	err = journal_sync(w->st->journal, &seq);
	for (struct store_op *op = ops; op != NULL; op = op->next)
		if (err != GW_OK)
			op->err = GW_ERR_STORAGE;
	pthread_mutex_lock(&w->lock);
	if (err != GW_OK) {
		if (w->unkept_tail != NULL)
			w->unkept_tail->next = ops;
		else
			w->unkept = ops;
		w->unkept_tail = tail;
	} else {
		if (w->done_tail != NULL)
			w->done_tail->next = ops;
		else
			w->done = ops;
		w->done_tail = tail;
	}
	if (w->notify != NULL)
		event_active(w->notify, EV_READ, 0);
	pthread_mutex_unlock(&w->lock);
}

/* Under lock: whether the writer has work (ops, synced ops, records). */
static int
has_work(struct writer *w)
{
	return w->queue != NULL || w->synced != NULL ||
	    (w->st->journal != NULL && !w->jfailed &&
	    journal_pending(w->st->journal));
}

/* Under lock: the writer was woken for records alone; it waits
 * GATHER_MS for more unless an op comes (or a flush, a read, stop). */
static void
gather(struct writer *w)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += GATHER_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	w->gathering = w->idle = 1;
	while (w->queue == NULL && w->synced == NULL && !w->hurry &&
	    !w->stop)
		if (pthread_cond_timedwait(&w->work, &w->lock, &until) ==
		    ETIMEDOUT)
			break;
	w->gathering = w->idle = 0;
}

/* Under lock: waits for work; after a failed transaction, at most the
 * retry delay (then the journal is tried again). */
static void
wait_work(struct writer *w)
{
	struct timespec until;

	w->idle = 1;
	if (!w->jfailed) {
		pthread_cond_wait(&w->work, &w->lock);
		w->idle = 0;
		return;
	}
	w->retry_ms = w->retry_ms == 0 ? RETRY_MIN_MS : w->retry_ms * 2;
	if (w->retry_ms > RETRY_MAX_MS)
		w->retry_ms = RETRY_MAX_MS;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += w->retry_ms / 1000;
	until.tv_nsec += (long)(w->retry_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	if (pthread_cond_timedwait(&w->work, &w->lock, &until) == ETIMEDOUT)
		w->jfailed = 0;	/* try the journal again */
	w->idle = 0;
}

/* On the writer, between transactions (idle when it can be): copies
 * what was committed while the checkpointer ran, so that the next
 * transaction starts the WAL over. */
static void
checkpoint_catchup(struct writer *w)
{
	int rc = sqlite3_wal_checkpoint_v2(w->st->db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_warn("storage: WAL checkpoint failed: %s",
		    log_q(sqlite3_errmsg(w->st->db)));
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct store_op *batch, *tail, *synced, *synced_tail;
		uint64_t need;
		unsigned n;
		int copy, hurry;

		while (!has_work(w) && !w->stop) {
			if (w->cp_catchup) {
				/* Idle: the copy delays no request. */
				w->cp_catchup = 0;
				pthread_mutex_unlock(&w->lock);
				checkpoint_catchup(w);
				pthread_mutex_lock(&w->lock);
				continue;
			}
			wait_work(w);
		}
		if (!has_work(w))
			break;
		if (w->queue == NULL && w->synced == NULL && !w->hurry &&
		    !w->stop)
			gather(w);
		hurry = w->hurry;
		w->hurry = 0;
		batch = w->queue;
		tail = w->queue_tail;
		w->queue = w->queue_tail = NULL;
		synced = w->synced;
		synced_tail = w->synced_tail;
		w->synced = w->synced_tail = NULL;
		need = w->need;
		if (batch != NULL)
			w->retry_ms = 0;
		w->busy = 1;
		/* Never idle (a steady load): copy before this batch once the
		 * WAL has grown by another checkpoint's worth. */
		copy = w->cp_catchup && w->wal_size >= 2 * w->wal_every;
		if (copy)
			w->cp_catchup = 0;
		pthread_mutex_unlock(&w->lock);

		sync_journal(w, synced, synced_tail);
		if (copy)
			checkpoint_catchup(w);
		if (w->primary != NULL && batch != NULL &&
		    journal_wait(w->primary->journal, need, READ_WAIT_MS) != 0)
			log_warn("storage: a read runs before the journal's "
			    "last records are in the database");
		n = run_batch(w, batch, hurry);

		pthread_mutex_lock(&w->lock);
		w->stats.transactions++;
		w->stats.ops += n;
		w->busy = 0;
		if (batch != NULL) {
			if (w->done_tail != NULL)
				w->done_tail->next = batch;
			else
				w->done = batch;
			w->done_tail = tail;
		}
		pthread_cond_broadcast(&w->drained);
		if (w->notify != NULL && batch != NULL)
			event_active(w->notify, EV_READ, 0);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* On the loop thread: run the done callbacks of finished operations. */
static void
run_done(struct writer *w)
{
	struct store_op *op, *un;
	unsigned n = 0;

	pthread_mutex_lock(&w->lock);
	op = w->done;
	w->done = w->done_tail = NULL;
	un = w->unkept;
	w->unkept = w->unkept_tail = NULL;
	pthread_mutex_unlock(&w->lock);
	while (un != NULL) {
		struct store_op *next = un->next;

		un->next = NULL;
		n++;
		if (w->on_unkept != NULL)
			w->on_unkept(w->unkept_arg, un);
		if (un->done != NULL)
			un->done(un);
		un = next;
	}
	while (op != NULL) {
		struct store_op *next = op->next;

		op->next = NULL;
		n++;
		if (op->done != NULL)
			op->done(op);
		op = next;
	}
	if (n > 0) {
		pthread_mutex_lock(&w->lock);
		w->pending -= n;
		pthread_mutex_unlock(&w->lock);
	}
}

static void
notify_cb(evutil_socket_t fd, short what, void *arg)
{
	run_done(arg);
}

/* On the loop, after the events that were ready with the submission. */
static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct writer *w = arg;
	int wake;

	w->kicked = 0;
	pthread_mutex_lock(&w->lock);
	/* Records alone do not end a gathering writer's wait. */
	wake = w->idle && (w->gathering ? w->queue != NULL ||
	    w->synced != NULL : has_work(w));
	pthread_mutex_unlock(&w->lock);
	/* Signalled after the unlock, the writer does not wake up only to
	 * wait for the mutex. */
	if (wake)
		pthread_cond_signal(&w->work);
}

/* On the writer thread, after each commit: pages is the WAL's size. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct writer *w = arg;

	if (pages < w->wal_size)	/* the WAL started over */
		w->wal_next = w->wal_every;
	w->wal_size = pages;
	if (pages >= w->wal_next) {
		/* Again only after as many more pages: a reader that keeps
		 * the WAL from starting over does not make checkpoints run
		 * back to back. */
		w->wal_next = pages + w->wal_every;
		pthread_mutex_lock(&w->lock);
		w->cp_want = 1;
		pthread_cond_signal(&w->cp_wake);
		pthread_mutex_unlock(&w->lock);
	}
	return SQLITE_OK;
}

static void *
checkpointer_main(void *arg)
{
	struct writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		int rc;

		while (!w->cp_want && !w->stop)
			pthread_cond_wait(&w->cp_wake, &w->lock);
		if (w->stop)
			break;
		w->cp_want = 0;
		pthread_mutex_unlock(&w->lock);
		/* PASSIVE: copies what no reader still needs, never waits
		 * for the writer, which keeps appending meanwhile. */
		rc = sqlite3_wal_checkpoint_v2(w->cp_db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("storage: WAL checkpoint failed: %s",
			    log_q(sqlite3_errmsg(w->cp_db)));
		pthread_mutex_lock(&w->lock);
		w->stats.wal_checkpoints++;
		w->cp_catchup = 1;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* The checkpointer's connection and thread (writer stores only). */
static enum gw_err
checkpointer_start(struct writer *w, const char *path,
    const struct store_conf *conf)
{
	if (sqlite3_open_v2(path, &w->cp_db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sql_exec(w->cp_db, conf->full_sync ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL") != GW_OK) {
		log_error("storage: cannot open the checkpoint connection");
		return GW_ERR_STORAGE;
	}
	sqlite3_busy_timeout(w->cp_db, 5000);
	/* The hook replaces auto-checkpoints. */
	sqlite3_wal_hook(w->st->db, wal_hook, w);
	if (pthread_create(&w->cp_thread, NULL, checkpointer_main, w) != 0) {
		sqlite3_wal_autocheckpoint(w->st->db, w->wal_every);
		return GW_ERR_STORAGE;
	}
	w->cp_running = 1;
	return GW_OK;
}

static void
checkpointer_stop(struct writer *w)
{
	if (w->cp_running) {
		pthread_mutex_lock(&w->lock);
		w->stop = 1;
		pthread_cond_broadcast(&w->cp_wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->cp_thread, NULL);
		w->cp_running = 0;
		/* The hook's argument goes: auto-checkpoints again for what
		 * the parts' close may still commit. */
		sqlite3_wal_autocheckpoint(w->st->db, w->wal_every);
	}
	/* The writer's connection, closed last, checkpoints last. */
	sqlite3_close(w->cp_db);
	w->cp_db = NULL;
}

/* Frees what writer_start made (threads stopped). */
static void
writer_free(struct sqlite_store *st)
{
	struct writer *w = st->writer;

	if (w->notify != NULL)
		event_free(w->notify);
	if (w->kick != NULL)
		event_free(w->kick);
	sqlite3_finalize(w->st_dv);
	sqlite3_finalize(w->st_begin);
	sqlite3_finalize(w->st_commit);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->drained);
	pthread_cond_destroy(&w->cp_wake);
	free(w);
	st->writer = NULL;
}

enum gw_err
writer_start(struct sqlite_store *st, const char *path,
    const struct store_conf *conf, struct event_base *base)
{
	struct writer *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return GW_ERR_NOMEM;
	w->st = st;
	if (st->readonly && conf->writer != NULL &&
	    conf->writer->be == &store_backend_sqlite &&
	    ((struct sqlite_store *)conf->writer)->journal != NULL)
		w->primary = (struct sqlite_store *)conf->writer;
	st->writer = w;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->drained, NULL);
	pthread_cond_init(&w->cp_wake, NULL);
	w->data_version = -1;	/* the first batch loads it */
	w->wal_every = conf->wal_pages > 0 ? conf->wal_pages : STORE_WAL_PAGES;
	w->wal_next = w->wal_every;
	if ((!st->readonly && sql_prepare(st->db, "PRAGMA data_version",
	    &w->st_dv) != GW_OK) || sql_prepare(st->db, st->readonly ?
	    "BEGIN" : "BEGIN IMMEDIATE", &w->st_begin) != GW_OK ||
	    sql_prepare(st->db, "COMMIT", &w->st_commit) != GW_OK)
		goto fail;
	if (base != NULL) {
		w->notify = event_new(base, -1, 0, notify_cb, w);
		w->kick = event_new(base, -1, 0, kick_cb, w);
		if (w->notify == NULL || w->kick == NULL)
			goto fail;
	}
	if (!st->readonly && checkpointer_start(w, path, conf) != GW_OK)
		goto fail;
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
		goto fail;
	w->running = 1;
	return GW_OK;
fail:
	checkpointer_stop(w);
	writer_free(st);
	return GW_ERR_STORAGE;
}

void
writer_submit(struct sqlite_store *st, struct store_op *op)
{
	struct writer *w = st->writer;

	op->next = NULL;
	op->err = GW_OK;
	pthread_mutex_lock(&w->lock);
	if (w->queue_tail != NULL)
		w->queue_tail->next = op;
	else
		w->queue = op;
	w->queue_tail = op;
	w->pending++;
	/* A busy writer takes the whole queue after its commit anyway; an
	 * idle one is woken after the loop's other ready events. */
	if (w->primary != NULL)
		w->need = journal_seq(w->primary->journal);
	if (w->idle && w->kick == NULL)
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	if (w->kick != NULL && !w->kicked) {
		w->kicked = 1;
		event_active(w->kick, 0, 0);
	}
	/* The writer applies the journal now: the read waits for it. */
	if (w->primary != NULL)
		writer_hurry(w->primary);
}

/* The writer applies every record appended so far without waiting. */
static void
writer_hurry(struct sqlite_store *st)
{
	struct writer *w = st->writer;

	pthread_mutex_lock(&w->lock);
	w->hurry = 1;
	if (w->idle)
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
}

void
writer_kick(struct sqlite_store *st)
{
	struct writer *w = st->writer;

	if (w->kick == NULL) {
		pthread_mutex_lock(&w->lock);
		if (w->idle && !w->gathering)
			pthread_cond_signal(&w->work);
		pthread_mutex_unlock(&w->lock);
		return;
	}
	if (!w->kicked) {
		w->kicked = 1;
		event_active(w->kick, 0, 0);
	}
}

void
writer_submit_synced(struct sqlite_store *st, struct store_op *op)
{
	struct writer *w = st->writer;

	op->next = NULL;
	pthread_mutex_lock(&w->lock);
	if (w->synced_tail != NULL)
		w->synced_tail->next = op;
	else
		w->synced = op;
	w->synced_tail = op;
	w->pending++;
	pthread_mutex_unlock(&w->lock);
	writer_kick(st);
}

void
writer_on_unkept(struct sqlite_store *st, void (*fn)(void *arg,
    struct store_op *op), void *arg)
{
	struct writer *w = st->writer;

	pthread_mutex_lock(&w->lock);
	w->on_unkept = fn;
	w->unkept_arg = arg;
	pthread_mutex_unlock(&w->lock);
}

unsigned
writer_others(struct sqlite_store *st)
{
	return atomic_load(&st->writer->others);
}

void
writer_get_stats(struct sqlite_store *st, struct store_stats *out)
{
	struct writer *w = st->writer;

	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}

void
writer_flush(struct sqlite_store *st)
{
	struct writer *w = st->writer;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		w->hurry = 1;
		if (w->idle && has_work(w))
			pthread_cond_signal(&w->work);	/* a pending kick */
		while (has_work(w) || w->busy)
			pthread_cond_wait(&w->drained, &w->lock);
		if (w->pending == 0) {
			pthread_mutex_unlock(&w->lock);
			return;
		}
		pthread_mutex_unlock(&w->lock);
		run_done(w);
	}
}

void
writer_stop(struct sqlite_store *st)
{
	struct writer *w = st->writer;

	if (w == NULL)
		return;
	writer_flush(st);
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	checkpointer_stop(w);
	run_done(w);
	writer_free(st);
}
