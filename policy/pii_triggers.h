/*
 * PERSON triggers: salutations, self-introductions ("my name is", "ich
 * heiße", "je m'appelle", ...) and letter closings in the languages eugate
 * serves, after which a name follows. Built once, then only read.
 */
#ifndef POLICY_PII_TRIGGERS_H
#define POLICY_PII_TRIGGERS_H

#include <stddef.h>

struct pii_matches;
struct pii_names;
struct pii_triggers;

/* NULL when out of memory. */
struct pii_triggers *pii_triggers_new(void);
void pii_triggers_free(struct pii_triggers *x);

/*
 * At a word start i of t (len bytes): when a trigger starts there and a
 * name follows it, appends the name to out as PERSON. nm (not owned) reads
 * a name written in lower case. Returns 0, or -1 when out of memory.
 */
int pii_triggers_at(const struct pii_triggers *x, const struct pii_names *nm,
    const char *t, size_t len, size_t i, struct pii_matches *out);

/*
 * The first three letters of the triggers: a bit for each (ix[a], ix[b],
 * ix[c]) of a trigger's first bytes a, b, c (ix: 0 to 25 for the letters
 * in either case, 26 for the other bytes; every c for a trigger of two).
 * Most words start no trigger; pii_triggers_may() says so without a call.
 */
struct pii_triggers_filter {
	unsigned char ix[256];
	unsigned char three[(27 * 27 * 27 + 7) / 8];
};

const struct pii_triggers_filter *pii_triggers_filter(
    const struct pii_triggers *x);

/* 0 when pii_triggers_at(x, ..., t, len, i, ...) finds nothing for sure
 * (f from pii_triggers_filter(x)). */
static inline int
pii_triggers_may(const struct pii_triggers_filter *f, const char *t,
    size_t len, size_t i)
{
	unsigned k;

	if (i + 2 >= len)
		return 0;
	k = ((unsigned)f->ix[(unsigned char)t[i]] * 27 +
	    f->ix[(unsigned char)t[i + 1]]) * 27 +
	    f->ix[(unsigned char)t[i + 2]];
	return f->three[k / 8] >> (k % 8) & 1;
}

#endif
