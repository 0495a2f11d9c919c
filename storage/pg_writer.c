/* The PostgreSQL writer: op queue, group commit, reconnection, done calls. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "storage/pg_sql.h"
#include "storage/pg_writer.h"

/* Reconnection backoff: from the first to the last, doubling. */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
/* The writer's own work between batches (pg_maintain), this often. */
#define MAINTAIN_MS 2000

struct pg_writer {
	struct pg_store *st;
	pthread_t thread;
	int running;
	pthread_mutex_t lock;
	pthread_cond_t work;	/* the writer waits here for work */
	pthread_cond_t drained;	/* pg_writer_flush waits here */
	struct store_op *queue, *queue_tail;
	struct store_op *done, *done_tail;
	unsigned pending;	/* submitted, done callback not yet run */
	int busy, idle, stop;
	struct store_stats stats;	/* under lock */
	struct event *notify;	/* activated by the writer, runs on the loop */
	/* Group commit as in storage/writer.c: the writer is woken once,
	 * after the loop's other ready events. */
	struct event *kick;
	int kicked;
	/* The connection (writer thread only). */
	int lost;		/* it is down: said once in the log */
	uint64_t retry_at_us;	/* the next attempt to reconnect */
	unsigned backoff_ms;
	uint64_t maintain_at_us;
};

static void
run_op(struct pg_store *st, struct store_op *op)
{
	const struct pg_op_kind *k;

	if (op->type < 0 || op->type >= STORE_OP_KINDS) {
		log_error("storage: unknown operation %d", op->type);
		op->err = GW_ERR_INVAL;
		return;
	}
	k = &pg_op_kinds[op->type];
	if (k->writer_only && st->readonly) {
		log_error("storage: %s submitted to the reader", k->name);
		op->err = GW_ERR_INVAL;
		return;
	}
	op->err = k->run(st, op);
}

/* What the parts keep in memory is read again. */
static void
reload_parts(struct pg_store *st)
{
	if (st->readonly || pg_conn_bad(st))
		return;
	for (size_t i = 0; i < pg_n_parts; i++)
		if (pg_parts[i].reload != NULL && pg_parts[i].reload(st) !=
		    GW_OK)
			log_error("storage: cannot reload the %s",
			    pg_parts[i].name);
}

/* The connection is down: said once; the next batch tries at once. */
static void
conn_lost(struct pg_writer *w)
{
	if (!w->lost)
		log_error("storage: lost the connection to PostgreSQL at %s: "
		    "requests that write fail (storage_unavailable) until it "
		    "is back", w->st->where);
	w->lost = 1;
	if (w->backoff_ms == 0)
		w->retry_at_us = 0;
}

/* Returns 1 when the connection is up (reconnecting when it is time). */
static int
conn_ensure(struct pg_writer *w)
{
	struct pg_store *st = w->st;
	uint64_t now = util_now_us();

	if (!pg_conn_bad(st))
		return 1;
	conn_lost(w);
	if (now < w->retry_at_us)
		return 0;
	if (pg_connect(st, 0) != GW_OK) {
		w->backoff_ms = w->backoff_ms == 0 ? BACKOFF_FIRST_MS :
		    w->backoff_ms * 2;
		if (w->backoff_ms > BACKOFF_MAX_MS)
			w->backoff_ms = BACKOFF_MAX_MS;
		w->retry_at_us = util_now_us() + (uint64_t)w->backoff_ms * 1000;
		return 0;
	}
	reload_parts(st);
	log_info("storage: connected to PostgreSQL at %s again", st->where);
	w->lost = 0;
	w->backoff_ms = 0;
	return 1;
}

static void
fail_all(struct store_op *batch, enum gw_err err)
{
	for (struct store_op *op = batch; op != NULL; op = op->next)
		op->err = err;
}

/* Frees what a run of op filled, before it runs again. */
static void
outputs_reset(struct store_op *op)
{
	store_op_cleanup(op);
	op->changed = 0;
	op->count = 0;
	op->more = 0;
}

static int
in_error(struct pg_store *st)
{
	return PQtransactionStatus(st->conn) == PQTRANS_INERROR;
}

/*
 * The ops of batch in one transaction. Returns GW_OK once committed;
 * *commit_sent says whether COMMIT went out (then a failure may still
 * have committed: it is never run again).
 */
static enum gw_err
try_batch(struct pg_store *st, struct store_op *batch, int *commit_sent)
{
	struct store_op *op;
	enum gw_err err;

	*commit_sent = 0;
	err = pg_exec(st, "BEGIN");
	for (size_t i = 0; i < pg_n_parts && err == GW_OK; i++)
		if (pg_parts[i].begin != NULL)
			err = pg_parts[i].begin(st, batch);
	for (op = batch; op != NULL && err == GW_OK; op = op->next) {
		run_op(st, op);
		if (in_error(st) || pg_conn_bad(st))
			err = GW_ERR_STORAGE;
	}
	for (size_t i = 0; i < pg_n_parts && err == GW_OK; i++)
		if (pg_parts[i].end != NULL)
			err = pg_parts[i].end(st);
	if (err != GW_OK)
		return err;
	*commit_sent = 1;
	return pg_exec(st, "COMMIT");
}

static void
rollback(struct pg_store *st)
{
	if (!pg_conn_bad(st) && PQtransactionStatus(st->conn) != PQTRANS_IDLE)
		(void)pg_exec(st, "ROLLBACK");
	reload_parts(st);	/* they forget the batch's state too */
}

/*
 * One op at a time, each in its own transaction: after one op broke a
 * batch's transaction, the others still commit, as they would have
 * alone.
 */
static void
run_alone(struct pg_writer *w, struct store_op *batch)
{
	struct pg_store *st = w->st;
	int sent;

	for (struct store_op *op = batch, *next; op != NULL; op = next) {
		enum gw_err err = GW_ERR_STORAGE;

		/* A batch of one: the parts see this op alone. */
		next = op->next;
		op->next = NULL;
		if (conn_ensure(w)) {
			outputs_reset(op);
			err = try_batch(st, op, &sent);
			if (err != GW_OK) {
				rollback(st);
				outputs_reset(op);
				if (pg_conn_bad(st))
					conn_lost(w);
			}
		}
		if (err != GW_OK && op->err == GW_OK)
			op->err = GW_ERR_STORAGE;
		op->next = next;
	}
}

/* A reader's ops: each in a read-only snapshot of its own. */
static void
run_reads(struct pg_writer *w, struct store_op *batch)
{
	struct pg_store *st = w->st;

	for (struct store_op *op = batch; op != NULL; op = op->next) {
		if (!conn_ensure(w)) {
			op->err = GW_ERR_STORAGE;
			continue;
		}
		if (pg_exec(st, "BEGIN ISOLATION LEVEL REPEATABLE READ "
		    "READ ONLY") != GW_OK) {
			op->err = GW_ERR_STORAGE;
			continue;
		}
		run_op(st, op);
		if (in_error(st) || pg_conn_bad(st) ||
		    pg_exec(st, "COMMIT") != GW_OK) {
			rollback(st);
			if (op->err == GW_OK)
				op->err = GW_ERR_STORAGE;
		}
	}
}

static unsigned
run_batch(struct pg_writer *w, struct store_op *batch)
{
	struct pg_store *st = w->st;
	unsigned n = 0;
	int sent;

	for (struct store_op *op = batch; op != NULL; op = op->next)
		n++;
	if (!conn_ensure(w)) {
		fail_all(batch, GW_ERR_STORAGE);
		return n;
	}
	if (st->readonly) {
		run_reads(w, batch);
		return n;
	}
	if (try_batch(st, batch, &sent) == GW_OK)
		return n;
	rollback(st);
	if (pg_conn_bad(st)) {
		conn_lost(w);
		/* Lost before COMMIT went out: nothing of it is stored, it
		 * runs again once (on a new connection, if one comes). */
		if (!sent && conn_ensure(w)) {
			for (struct store_op *op = batch; op != NULL;
			    op = op->next)
				outputs_reset(op);
			if (try_batch(st, batch, &sent) == GW_OK)
				return n;
			rollback(st);
		}
		fail_all(batch, GW_ERR_STORAGE);
		return n;
	}
	if (sent) {
		fail_all(batch, GW_ERR_STORAGE);
		return n;
	}
	run_alone(w, batch);
	return n;
}

static void
maintain(struct pg_writer *w)
{
	struct pg_store *st = w->st;

	if (!conn_ensure(w))
		return;
	if (!st->readonly && pg_maintain(st, util_wall_s() * 1000) != GW_OK) {
		rollback(st);
		if (pg_conn_bad(st))
			conn_lost(w);
	}
}

static void
wait_until(struct pg_writer *w, uint64_t at_us)
{
	struct timespec ts;
	uint64_t now = util_now_us(), d = at_us > now ? at_us - now : 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(d / 1000000);
	ts.tv_nsec += (long)(d % 1000000) * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&w->work, &w->lock, &ts);
}

static void *
writer_main(void *arg)
{
	struct pg_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct store_op *batch, *tail;
		unsigned n;
		int due;

		while (w->queue == NULL && !w->stop) {
			if (util_now_us() >= w->maintain_at_us) {
				w->maintain_at_us = util_now_us() +
				    MAINTAIN_MS * 1000;
				pthread_mutex_unlock(&w->lock);
				maintain(w);
				pthread_mutex_lock(&w->lock);
				continue;
			}
			w->idle = 1;
			wait_until(w, w->maintain_at_us);
			w->idle = 0;
		}
		if (w->queue == NULL)
			break;
		batch = w->queue;
		tail = w->queue_tail;
		w->queue = w->queue_tail = NULL;
		w->busy = 1;
		/* Never idle (a steady load): the heartbeat still beats. */
		due = util_now_us() >= w->maintain_at_us;
		if (due)
			w->maintain_at_us = util_now_us() + MAINTAIN_MS * 1000;
		pthread_mutex_unlock(&w->lock);

		if (due)
			maintain(w);
		n = run_batch(w, batch);

		pthread_mutex_lock(&w->lock);
		w->stats.transactions++;
		w->stats.ops += n;
		w->busy = 0;
		if (w->done_tail != NULL)
			w->done_tail->next = batch;
		else
			w->done = batch;
		w->done_tail = tail;
		pthread_cond_broadcast(&w->drained);
		if (w->notify != NULL)
			event_active(w->notify, EV_READ, 0);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* On the loop thread: the done callbacks of finished operations. */
static void
run_done(struct pg_writer *w)
{
	struct store_op *op;
	unsigned n = 0;

	pthread_mutex_lock(&w->lock);
	op = w->done;
	w->done = w->done_tail = NULL;
	pthread_mutex_unlock(&w->lock);
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

static void
kick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pg_writer *w = arg;
	int wake;

	w->kicked = 0;
	pthread_mutex_lock(&w->lock);
	wake = w->idle && w->queue != NULL;
	pthread_mutex_unlock(&w->lock);
	if (wake)
		pthread_cond_signal(&w->work);
}

static void
writer_free(struct pg_store *st)
{
	struct pg_writer *w = st->writer;

	if (w->notify != NULL)
		event_free(w->notify);
	if (w->kick != NULL)
		event_free(w->kick);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->drained);
	free(w);
	st->writer = NULL;
}

enum gw_err
pg_writer_start(struct pg_store *st, struct event_base *base)
{
	struct pg_writer *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;

	if (w == NULL)
		return GW_ERR_NOMEM;
	w->st = st;
	st->writer = w;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->drained, NULL);
	w->maintain_at_us = util_now_us() + MAINTAIN_MS * 1000;
	if (base != NULL) {
		w->notify = event_new(base, -1, 0, notify_cb, w);
		w->kick = event_new(base, -1, 0, kick_cb, w);
		if (w->notify == NULL || w->kick == NULL)
			goto fail;
	}
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
		goto fail;
	w->running = 1;
	return GW_OK;
fail:
	writer_free(st);
	return GW_ERR_STORAGE;
}

void
pg_writer_submit(struct pg_store *st, struct store_op *op)
{
	struct pg_writer *w = st->writer;

	op->next = NULL;
	op->err = GW_OK;
	pthread_mutex_lock(&w->lock);
	if (w->queue_tail != NULL)
		w->queue_tail->next = op;
	else
		w->queue = op;
	w->queue_tail = op;
	w->pending++;
	if (w->idle && w->kick == NULL)
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->lock);
	if (w->kick != NULL && !w->kicked) {
		w->kicked = 1;
		event_active(w->kick, 0, 0);
	}
}

void
pg_writer_get_stats(struct pg_store *st, struct store_stats *out)
{
	struct pg_writer *w = st->writer;

	pthread_mutex_lock(&w->lock);
	*out = w->stats;
	pthread_mutex_unlock(&w->lock);
}

void
pg_writer_flush(struct pg_store *st)
{
	struct pg_writer *w = st->writer;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		if (w->idle && w->queue != NULL)
			pthread_cond_signal(&w->work);
		while (w->queue != NULL || w->busy)
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
pg_writer_stop(struct pg_store *st)
{
	struct pg_writer *w = st->writer;

	if (w == NULL)
		return;
	pg_writer_flush(st);
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	run_done(w);
	writer_free(st);
}
