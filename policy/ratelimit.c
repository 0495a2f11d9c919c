/* Rate limits: token buckets per key and team, refilled continuously. */
#include <stdlib.h>
#include <string.h>

#include "policy/ratelimit.h"

/*
 * A bucket's level is kept in units x 60,000,000, so that refilling is
 * integer: every microsecond adds `limit` (a full minute adds limit
 * units). One unit is PER_UNIT.
 */
#define PER_UNIT 60000000LL
#define BUCKETS 1024

struct bucket {
	int64_t limit;		/* per minute; 0: none */
	int64_t level;		/* may be negative (tokens charged late) */
	uint64_t t_us;		/* last refill */
};

struct rl_entry {
	char *id;
	struct bucket req, tok;
	struct rl_entry *next;
};

struct ratelimit {
	struct rl_entry *tab[BUCKETS];
};

struct ratelimit *
ratelimit_new(void)
{
	return calloc(1, sizeof(struct ratelimit));
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		struct rl_entry *e = rl->tab[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e->id);
			free(e);
		}
	}
	free(rl);
}

static struct rl_entry *
entry(struct ratelimit *rl, const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	struct rl_entry *e;

	for (const char *p = id; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (e = rl->tab[h % BUCKETS]; e != NULL; e = e->next)
		if (strcmp(e->id, id) == 0)
			return e;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->id = strdup(id);
	if (e->id == NULL) {
		free(e);
		return NULL;
	}
	e->next = rl->tab[h % BUCKETS];
	rl->tab[h % BUCKETS] = e;
	return e;
}

/* Brings a bucket to now under the current limit. */
static void
refill(struct bucket *b, int64_t limit, uint64_t now_us)
{
	int64_t cap = limit * PER_UNIT;
	uint64_t dt;

	if (b->limit != limit) {	/* new, or the limit changed */
		if (b->limit == 0 || b->level > cap)
			b->level = cap;
		b->limit = limit;
		b->t_us = now_us;
		return;
	}
	dt = now_us > b->t_us ? now_us - b->t_us : 0;
	if (dt > (uint64_t)PER_UNIT)
		dt = (uint64_t)PER_UNIT;
	b->level += (int64_t)dt * limit;
	if (b->level > cap)
		b->level = cap;
	b->t_us = now_us;
}

/* Seconds until the bucket holds need (in scaled units), at least 1. */
static int64_t
wait_s(const struct bucket *b, int64_t need)
{
	int64_t us = (need - b->level + b->limit - 1) / b->limit;

	return us / 1000000 + 1;
}

static void
status_add(struct rl_status *st, const struct bucket *req,
    const struct bucket *tok)
{
	if (req->limit > 0) {
		int64_t rem = req->level > 0 ? req->level / PER_UNIT : 0;

		if (st->limit_req < 0 || rem < st->remaining_req)
			st->limit_req = req->limit, st->remaining_req = rem;
	}
	if (tok->limit > 0) {
		int64_t rem = tok->level > 0 ? tok->level / PER_UNIT : 0;

		if (st->limit_tok < 0 || rem < st->remaining_tok)
			st->limit_tok = tok->limit, st->remaining_tok = rem;
	}
}

int
ratelimit_take(struct ratelimit *rl, const struct rl_subject *subs, int n,
    uint64_t now_us, struct rl_status *st)
{
	struct rl_entry *e[4];
	int refused = 0;

	memset(st, 0, sizeof(*st));
	st->limit_req = st->limit_tok = -1;
	if (n > 4)
		n = 4;
	for (int i = 0; i < n; i++) {
		e[i] = NULL;
		if (subs[i].rpm <= 0 && subs[i].tpm <= 0)
			continue;
		e[i] = entry(rl, subs[i].id);
		if (e[i] == NULL)
			return -1;	/* out of memory: fail closed */
		refill(&e[i]->req, subs[i].rpm, now_us);
		refill(&e[i]->tok, subs[i].tpm, now_us);
		if (subs[i].rpm > 0 && e[i]->req.level < PER_UNIT) {
			int64_t w = wait_s(&e[i]->req, PER_UNIT);

			if (w > st->retry_after_s)
				st->retry_after_s = w;
			refused = 1;
		}
		if (subs[i].tpm > 0 && e[i]->tok.level < PER_UNIT) {
			int64_t w = wait_s(&e[i]->tok, PER_UNIT);

			if (w > st->retry_after_s)
				st->retry_after_s = w;
			refused = 1;
			st->refused_tokens = 1;
		}
	}
	for (int i = 0; i < n; i++) {
		if (e[i] == NULL)
			continue;
		if (!refused && subs[i].rpm > 0)
			e[i]->req.level -= PER_UNIT;
		status_add(st, &e[i]->req, &e[i]->tok);
	}
	return refused ? -1 : 0;
}

void
ratelimit_charge(struct ratelimit *rl, const struct rl_subject *subs, int n,
    int64_t tokens, uint64_t now_us)
{
	if (tokens <= 0)
		return;
	for (int i = 0; i < n; i++) {
		struct rl_entry *e;

		if (subs[i].tpm <= 0)
			continue;
		e = entry(rl, subs[i].id);
		if (e == NULL)
			continue;
		refill(&e->tok, subs[i].tpm, now_us);
		/* At most one minute of debt, so that one huge answer cannot
		 * lock a key out for longer. */
		if (tokens > 2 * subs[i].tpm)
			tokens = 2 * subs[i].tpm;
		e->tok.level -= tokens * PER_UNIT;
		if (e->tok.level < -subs[i].tpm * PER_UNIT)
			e->tok.level = -subs[i].tpm * PER_UNIT;
	}
}
