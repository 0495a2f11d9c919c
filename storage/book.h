/*
 * The budget book of the SQLite backend, on the loop thread: what each
 * budget has used in each period (the reservations open and the cost
 * settled, as the ledger sums them), and the reservations open. A
 * reservation is decided here, against every budget at once, with the
 * arithmetic the ledger had on the writer before (saturating sums); a
 * budget's sum is read from the database once per period (ledger_used)
 * after the journal's records up to then are applied, so the book is
 * exact after a restart too. A budget no open reservation counts against
 * may be forgotten (it is read again when next used): when the book is
 * full, or when another process wrote to the database.
 *
 * Not for use outside storage/: storage/front.c drives it.
 */
#ifndef STORAGE_BOOK_H
#define STORAGE_BOOK_H

#include <stdint.h>

#include "storage/store.h"

struct book;

enum gw_err book_new(struct book **out) GW_WUR;
void book_free(struct book *b);

/*
 * Whether every budget of sp has its sum: 1 when they all do; 0 when
 * some are loading, and then load lists (NULL-terminated) a store_spend
 * for each budget that no load was asked for yet: that budget alone
 * (n_budgets 1; owned by the book until book_loaded) to have its used
 * filled by the writer. Call again once they are loaded (-1: out of
 * memory).
 */
int book_ready(struct book *b, const struct store_spend *sp,
    struct store_spend *load[STORE_MAX_BUDGETS + 1]);
/* The writer filled load->budgets[0].used (err GW_OK), or failed: the
 * budget's sum is known, or forgotten again. */
void book_loaded(struct book *b, struct store_spend *load, enum gw_err err);

/* Decides sp (book_ready said 1): sp->decide with what each budget has
 * left; fills sp->refused, reserved and each budget's used. Nothing
 * changes until book_reserve. */
void book_decide(struct book *b, struct store_spend *sp);
/* The reservation decided is kept (journaled): it counts against its
 * budgets, sp->ledger_id is open; each budget's used is updated. */
enum gw_err book_reserve(struct book *b, struct store_spend *sp) GW_WUR;
/* Settles sp once: sp->settled says whether this call did (the entry
 * was open); the budgets' used are the book's after it. */
void book_settle(struct book *b, struct store_spend *sp);

/* Forgets every budget that no open reservation counts against. */
void book_forget(struct book *b);

#endif
