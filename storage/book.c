/* The SQLite backend's budget book: sums and reservations, on the loop. */
#include <stdlib.h>
#include <string.h>

#include "storage/book.h"

#define BOOK_BUCKETS 1024	/* a power of two */
#define BOOK_SLOTS 4096		/* budgets before the unused are forgotten */

enum { SLOT_LOADING, SLOT_READY };

/* What one budget has used in one period. */
struct slot {
	struct slot *next;	/* the bucket's chain */
	char scope;
	char id[65];
	int currency;
	int64_t start_ms, end_ms;
	int64_t used;
	unsigned refs;		/* open reservations counting against it */
	int state;
	struct store_spend *load;	/* while loading */
};

/* An open reservation, by ledger id (open addressing, no tombstones). */
struct open_entry {
	char id[40];		/* "" for a free cell */
};

struct book {
	struct slot *buckets[BOOK_BUCKETS];
	size_t n_slots;
	struct open_entry *open;
	size_t open_cap;	/* a power of two */
	size_t n_open;
};

static int64_t
sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 1099511628211ULL;
	return h;
}

static size_t
budget_hash(const struct store_budget *bu)
{
	uint64_t h = 1469598103934665603ULL;
	int64_t v[3] = { bu->currency, bu->start_ms, bu->end_ms };

	h = fnv(h, &bu->scope, 1);
	h = fnv(h, bu->id, strlen(bu->id));
	h = fnv(h, v, sizeof(v));
	return (size_t)h & (BOOK_BUCKETS - 1);
}

static int
slot_is(const struct slot *s, const struct store_budget *bu)
{
	return s->scope == bu->scope && s->currency == bu->currency &&
	    s->start_ms == bu->start_ms && s->end_ms == bu->end_ms &&
	    strcmp(s->id, bu->id) == 0;
}

static struct slot *
slot_find(struct book *b, const struct store_budget *bu)
{
	struct slot *s = b->buckets[budget_hash(bu)];

	while (s != NULL && !slot_is(s, bu))
		s = s->next;
	return s;
}

enum gw_err
book_new(struct book **out)
{
	struct book *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return GW_ERR_NOMEM;
	b->open_cap = 256;
	b->open = calloc(b->open_cap, sizeof(*b->open));
	if (b->open == NULL) {
		free(b);
		return GW_ERR_NOMEM;
	}
	*out = b;
	return GW_OK;
}

/* Frees the slots that match: all, or the unused (no reservation open,
 * not loading). */
static void
drop(struct book *b, int all)
{
	for (size_t i = 0; i < BOOK_BUCKETS; i++) {
		struct slot **pp = &b->buckets[i];

		while (*pp != NULL) {
			struct slot *s = *pp;

			if (all || (s->refs == 0 && s->state == SLOT_READY)) {
				*pp = s->next;
				free(s->load);
				free(s);
				b->n_slots--;
			} else {
				pp = &s->next;
			}
		}
	}
}

void
book_free(struct book *b)
{
	if (b == NULL)
		return;
	drop(b, 1);
	free(b->open);
	free(b);
}

void
book_forget(struct book *b)
{
	drop(b, 0);
}

/* A new slot for bu, loading; its load asks the writer for the sum. */
static struct slot *
slot_new(struct book *b, const struct store_budget *bu)
{
	struct slot *s;
	size_t h = budget_hash(bu);

	if (b->n_slots >= BOOK_SLOTS)
		drop(b, 0);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->load = calloc(1, sizeof(*s->load));
	if (s->load == NULL) {
		free(s);
		return NULL;
	}
	s->scope = bu->scope;
	memcpy(s->id, bu->id, sizeof(s->id));
	s->currency = bu->currency;
	s->start_ms = bu->start_ms;
	s->end_ms = bu->end_ms;
	s->state = SLOT_LOADING;
	s->load->n_budgets = 1;
	s->load->budgets[0] = *bu;
	s->load->budgets[0].used = 0;
	s->next = b->buckets[h];
	b->buckets[h] = s;
	b->n_slots++;
	return s;
}

int
book_ready(struct book *b, const struct store_spend *sp,
    struct store_spend *load[STORE_MAX_BUDGETS + 1])
{
	int ready = 1;

	*load = NULL;
	for (int i = 0; i < sp->n_budgets; i++) {
		struct slot *s = slot_find(b, &sp->budgets[i]);

		if (s != NULL && s->state == SLOT_READY)
			continue;
		ready = 0;
		if (s == NULL) {
			s = slot_new(b, &sp->budgets[i]);
			if (s == NULL)
				return -1;
			*load++ = s->load;
			*load = NULL;
		}
	}
	return ready;
}

void
book_loaded(struct book *b, struct store_spend *load, enum gw_err err)
{
	const struct store_budget *bu = &load->budgets[0];
	struct slot *s = slot_find(b, bu);
	struct slot **pp;

	if (s == NULL || s->load != load)
		return;
	if (err == GW_OK) {
		s->used = bu->used;
		s->state = SLOT_READY;
		free(s->load);
		s->load = NULL;
		return;
	}
	/* Failed: forgotten, the next reservation asks again. */
	for (pp = &b->buckets[budget_hash(bu)]; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	free(s->load);
	free(s);
	b->n_slots--;
}

void
book_decide(struct book *b, struct store_spend *sp)
{
	int64_t avail[STORE_MAX_BUDGETS];
	int cur[STORE_MAX_BUDGETS];

	for (int i = 0; i < sp->n_budgets; i++) {
		const struct slot *s = slot_find(b, &sp->budgets[i]);
		int64_t used = s != NULL ? s->used : 0;

		avail[i] = sp->budgets[i].limit - used;
		cur[i] = sp->budgets[i].currency;
		sp->budgets[i].used = used;
	}
	sp->reserved[0] = sp->reserved[1] = -1;
	sp->refused = sp->decide(sp->decide_arg, avail, cur, sp->n_budgets,
	    sp->reserved);
}

/* The cell of ledger id in the open set, or the free one for it. */
static struct open_entry *
open_cell(struct book *b, const char *id)
{
	size_t mask = b->open_cap - 1;
	size_t i = (size_t)fnv(1469598103934665603ULL, id, strlen(id)) & mask;

	while (b->open[i].id[0] != '\0' && strcmp(b->open[i].id, id) != 0)
		i = (i + 1) & mask;
	return &b->open[i];
}

static enum gw_err
open_grow(struct book *b)
{
	struct open_entry *old = b->open;
	size_t cap = b->open_cap;

	b->open = calloc(cap * 2, sizeof(*b->open));
	if (b->open == NULL) {
		b->open = old;
		return GW_ERR_NOMEM;
	}
	b->open_cap = cap * 2;
	for (size_t i = 0; i < cap; i++)
		if (old[i].id[0] != '\0')
			*open_cell(b, old[i].id) = old[i];
	free(old);
	return GW_OK;
}

/* Removes the cell at e, shifting back what follows in its cluster. */
static void
open_remove(struct book *b, struct open_entry *e)
{
	size_t mask = b->open_cap - 1;
	size_t i = (size_t)(e - b->open), k = i;

	for (;;) {
		size_t home;

		k = (k + 1) & mask;
		if (b->open[k].id[0] == '\0')
			break;
		home = (size_t)fnv(1469598103934665603ULL, b->open[k].id,
		    strlen(b->open[k].id)) & mask;
		/* Moves back when its home is not in (i, k]. */
		if ((k > i && (home <= i || home > k)) ||
		    (k < i && home <= i && home > k)) {
			b->open[i] = b->open[k];
			i = k;
		}
	}
	b->open[i].id[0] = '\0';
	b->n_open--;
}

enum gw_err
book_reserve(struct book *b, struct store_spend *sp)
{
	struct open_entry *e;

	if (2 * (b->n_open + 1) > b->open_cap && open_grow(b) != GW_OK)
		return GW_ERR_NOMEM;
	e = open_cell(b, sp->ledger_id);
	if (e->id[0] == '\0') {
		memcpy(e->id, sp->ledger_id, sizeof(e->id));
		e->id[sizeof(e->id) - 1] = '\0';
		b->n_open++;
	}
	for (int i = 0; i < sp->n_budgets; i++) {
		struct slot *s = slot_find(b, &sp->budgets[i]);
		int64_t r = sp->reserved[sp->budgets[i].currency];

		if (s == NULL)
			continue;
		s->used = sat_add(s->used, r > 0 ? r : 0);
		s->refs++;
		sp->budgets[i].used = s->used;
	}
	return GW_OK;
}

void
book_settle(struct book *b, struct store_spend *sp)
{
	struct open_entry *e = open_cell(b, sp->ledger_id);

	sp->settled = e->id[0] != '\0';
	if (sp->settled)
		open_remove(b, e);
	for (int i = 0; i < sp->n_budgets; i++) {
		struct store_budget *bu = &sp->budgets[i];
		struct slot *s = slot_find(b, bu);
		int64_t c = sp->cost[bu->currency];
		int64_t r = sp->reserved[bu->currency];

		if (s == NULL)
			continue;
		if (sp->settled) {
			s->used = sat_add(sat_add(s->used, c > 0 ? c : 0),
			    r > 0 ? -r : 0);
			if (s->refs > 0)
				s->refs--;
		}
		bu->used = s->used;
	}
}
