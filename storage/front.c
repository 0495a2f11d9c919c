/* The SQLite backend's loop side: journaled ops, the budget book. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "storage/book.h"
#include "storage/front.h"
#include "storage/intent.h"
#include "storage/journal.h"
#include "storage/writer.h"

/* A budget's sum asked of the writer. */
struct load {
	struct store_op op;
	struct front *f;
};

struct front {
	struct sqlite_store *st;
	struct book *book;
	struct intent_buf buf;	/* the record being appended */
	int full_sync;
	struct event *ready_ev;	/* runs the ready ops' done callbacks */
	struct store_op *ready, *ready_tail;
	struct store_op *parked, *parked_tail;	/* waiting for sums */
	unsigned n_loads;	/* loads not done */
	unsigned pending;	/* submitted, done not run (not at the
				 * writer) */
	unsigned others;	/* writer_others() last seen */
	int logged_full;
};

static void
list_add(struct store_op **head, struct store_op **tail, struct store_op *op)
{
	op->next = NULL;
	if (*tail != NULL)
		(*tail)->next = op;
	else
		*head = op;
	*tail = op;
}

/* op's outcome is known (kept, refused or failed): its done runs next. */
static void
finish(struct front *f, struct store_op *op, enum gw_err err, uint64_t seq)
{
	op->err = err;
	if (err == GW_OK && seq > 0 && f->full_sync) {
		/* Kept once the writer synced the journal up to seq. */
		f->pending--;
		writer_submit_synced(f->st, op);
		return;
	}
	list_add(&f->ready, &f->ready_tail, op);
	if (f->ready_ev != NULL)
		event_active(f->ready_ev, 0, 0);
}

/* Appends op's record: its sequence, or 0 (op->err says why). */
static uint64_t
append(struct front *f, struct store_op *op)
{
	uint64_t seq = 0;
	enum gw_err err = intent_encode(&f->buf, op);

	if (err == GW_OK)
		err = journal_append(f->st->journal, f->buf.p, f->buf.n, &seq);
	if (err != GW_OK) {
		if (err == GW_ERR_LIMIT && !f->logged_full) {
			log_error("storage: the journal is %d files ahead of "
			    "the database: writes are refused until it "
			    "catches up", JOURNAL_FILES);
			f->logged_full = 1;
		} else if (err == GW_ERR_IO) {
			log_error("storage: cannot append to the journal: %s",
			    strerror(errno));
		}
		op->err = err == GW_ERR_LIMIT ? GW_ERR_STORAGE : err;
		return 0;
	}
	f->logged_full = 0;
	writer_kick(f->st);
	return seq;
}

static void load_done(struct store_op *op);

/* Decides and journals a reservation, or parks it until its budgets'
 * sums are loaded. */
static void
reserve(struct front *f, struct store_op *op)
{
	struct store_spend *sp = op->spend;
	struct store_spend *loads[STORE_MAX_BUDGETS + 1];
	uint64_t seq;
	int rc = book_ready(f->book, sp, loads);

	if (rc < 0) {
		finish(f, op, GW_ERR_NOMEM, 0);
		return;
	}
	if (rc == 0) {
		for (size_t i = 0; loads[i] != NULL; i++) {
			struct load *l = calloc(1, sizeof(*l));

			if (l == NULL) {
				book_loaded(f->book, loads[i], GW_ERR_NOMEM);
				continue;
			}
			l->f = f;
			l->op.type = SQLITE_OP_BUDGET_LOAD;
			l->op.spend = loads[i];
			l->op.done = load_done;
			l->op.arg = l;
			f->n_loads++;
			writer_submit(f->st, &l->op);
		}
		if (f->n_loads == 0) {	/* none could be asked */
			finish(f, op, GW_ERR_NOMEM, 0);
			return;
		}
		list_add(&f->parked, &f->parked_tail, op);
		return;
	}
	book_decide(f->book, sp);
	if (sp->refused >= 0) {
		finish(f, op, GW_OK, 0);	/* refused: nothing kept */
		return;
	}
	seq = append(f, op);
	if (seq == 0) {
		finish(f, op, op->err, 0);
		return;
	}
	if (book_reserve(f->book, sp) != GW_OK)
		log_error("storage: out of memory: ledger entry %s is not "
		    "known open", log_q(sp->ledger_id));
	finish(f, op, GW_OK, seq);
}

static int
same_budget(const struct store_budget *a, const struct store_budget *b)
{
	return a->scope == b->scope && a->currency == b->currency &&
	    a->start_ms == b->start_ms && a->end_ms == b->end_ms &&
	    strcmp(a->id, b->id) == 0;
}

/* A budget's sum came back: the parked reservations go again; those
 * that needed it fail when it could not be read. */
static void
load_done(struct store_op *lop)
{
	struct load *l = lop->arg;
	struct front *f = l->f;
	struct store_budget failed = lop->spend->budgets[0];
	enum gw_err err = lop->err;
	struct store_op *op;

	f->n_loads--;
	if (err != GW_OK)
		log_error("storage: cannot read what a budget has used: %s",
		    gw_strerror(err));
	book_loaded(f->book, lop->spend, err);
	free(l);
	op = f->parked;
	f->parked = f->parked_tail = NULL;
	while (op != NULL) {
		struct store_op *next = op->next;
		int hit = 0;

		for (int i = 0; err != GW_OK && i < op->spend->n_budgets; i++)
			hit |= same_budget(&op->spend->budgets[i], &failed);
		if (hit)
			finish(f, op, err, 0);
		else
			reserve(f, op);
		op = next;
	}
}

/* A request's record: its settlement counts in the book once kept. */
static void
record(struct front *f, struct store_op *op)
{
	uint64_t seq = append(f, op);

	if (seq == 0) {
		finish(f, op, op->err, 0);
		return;
	}
	if (op->spend != NULL && op->spend->settle)
		book_settle(f->book, op->spend);
	finish(f, op, GW_OK, seq);
}

/*
 * storage_sync = full: op's journal sync failed, op fails. A reservation
 * it made is released, since its request is refused: in the book, and in
 * the ledger through a release record (else it stayed open, counted
 * against its budgets, until a restart charged it in full).
 */
static void
unkept(void *arg, struct store_op *op)
{
	struct front *f = arg;
	struct store_spend rel;
	uint64_t seq;

	if (op->type != STORE_RESERVE || op->spend == NULL ||
	    op->spend->refused >= 0)
		return;
	rel = *op->spend;
	rel.settle = 1;
	rel.charged = 0;
	for (int cur = 0; cur < 2; cur++)
		rel.cost[cur] = rel.reserved[cur] >= 0 ? 0 : -1;
	if (intent_encode_release(&f->buf, &rel, util_wall_s() * 1000) !=
	    GW_OK || journal_append(f->st->journal, f->buf.p, f->buf.n, &seq) !=
	    GW_OK) {
		log_error("storage: ledger entry %s stays open until a restart "
		    "charges it", log_q(rel.ledger_id));
		return;
	}
	writer_kick(f->st);
	book_settle(f->book, &rel);
}

int
front_submit(struct front *f, struct store_op *op)
{
	unsigned others;

	if (op->type != STORE_RESERVE && op->type != STORE_AUDIT_APPEND)
		return 0;
	op->next = NULL;
	op->err = GW_OK;
	f->pending++;
	if (op->type == STORE_AUDIT_APPEND) {
		record(f, op);
		return 1;
	}
	if (op->spend == NULL || op->spend->decide == NULL) {
		finish(f, op, GW_ERR_INVAL, 0);
		return 1;
	}
	others = writer_others(f->st);
	if (others != f->others) {
		/* Another process wrote: sums are read again. */
		f->others = others;
		book_forget(f->book);
	}
	reserve(f, op);
	return 1;
}

void
front_flush(struct front *f)
{
	while (f->ready != NULL) {
		struct store_op *op = f->ready;

		f->ready = op->next;
		if (f->ready == NULL)
			f->ready_tail = NULL;
		op->next = NULL;
		f->pending--;
		if (op->done != NULL)
			op->done(op);
	}
}

unsigned
front_pending(const struct front *f)
{
	return f->pending;
}

static void
ready_cb(evutil_socket_t fd, short what, void *arg)
{
	front_flush(arg);
}

enum gw_err
front_new(struct sqlite_store *st, struct event_base *base, int full_sync,
    struct front **out)
{
	struct front *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return GW_ERR_NOMEM;
	f->st = st;
	f->full_sync = full_sync;
	f->others = writer_others(st);
	if (book_new(&f->book) != GW_OK ||
	    (base != NULL && (f->ready_ev = event_new(base, -1, 0, ready_cb,
	    f)) == NULL)) {
		front_free(f);
		return GW_ERR_NOMEM;
	}
	if (full_sync)
		writer_on_unkept(st, unkept, f);
	*out = f;
	return GW_OK;
}

void
front_free(struct front *f)
{
	if (f == NULL)
		return;
	front_flush(f);
	if (f->ready_ev != NULL)
		event_free(f->ready_ev);
	book_free(f->book);
	intent_buf_free(&f->buf);
	free(f);
}
