/*
 * The word lists of PERSON detection in one hash table: given names,
 * surnames, names that are also common words, places and other capitalized
 * words that are no names (policy/names/, made by scripts/gen-names and
 * compiled in), English common words, and the context words of names in
 * the supported languages (titles, verbs of saying, particles, function
 * words, months). Built once, then only read.
 */
#ifndef POLICY_PII_NAMES_H
#define POLICY_PII_NAMES_H

#include <stddef.h>

enum {
	PII_NAME_GIVEN = 0x1,		/* a given name (Anna) */
	PII_NAME_SURNAME = 0x2,		/* a surname or other name */
	PII_NAME_AMBIGUOUS = 0x4,	/* a name and a common word (Rose) */
	PII_NAME_NOT = 0x8,		/* a place, nationality, ... */
	PII_NAME_EN_WORD = 0x10,	/* an English word (lower case) */
	PII_NAME_AMBIGUOUS_DE = 0x20,	/* a name and a German word (Wahl) */
	PII_NAME_TITLE = 0x100,		/* Herr, minister, professor */
	PII_NAME_SAY = 0x200,		/* said, sagte, zegt, sier */
	PII_NAME_PARTICLE = 0x400,	/* van, der, de, von, di */
	PII_NAME_DE = 0x800,		/* a German function word */
	PII_NAME_FUNC = 0x1000,		/* a function word of the others */
	PII_NAME_LABEL = 0x2000,	/* name, user, patient (then ':') */
	PII_NAME_MONTH = 0x4000,	/* months and days */
	PII_NAME_ORG = 0x8000,		/* GmbH, Inc, Bank, University */
	PII_NAME_LOC = 0x10000,		/* in, nach, à, w: a place follows */
	PII_NAME_ARTICLE = 0x20000,	/* the, der, le: a noun follows */
	PII_NAME_CONJ = 0x40000		/* and, und, et: names side by side */
};

struct pii_names;

/* Letter classes of a code point. */
enum { PII_L_NONE, PII_L_LOWER, PII_L_UPPER, PII_L_OTHER };

/*
 * The class of the character at t[p] and its length in *n: ASCII, Latin-1
 * and Latin Extended-A letters with their case; other scripts are letters
 * without case; the general punctuation block (quotes, dashes), Latin-1
 * symbols and emoji are no letters.
 */
static inline int
pii_names_letter(const char *t, size_t len, size_t p, size_t *n)
{
	unsigned char c = (unsigned char)t[p], b;
	unsigned cp;

	*n = 1;
	if (c < 0x80) {
		if ((unsigned char)(c - 'a') < 26)
			return PII_L_LOWER;
		return (unsigned char)(c - 'A') < 26 ? PII_L_UPPER : PII_L_NONE;
	}
	*n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	if (*n == 1 || p + *n > len) {
		*n = 1;
		return PII_L_NONE;
	}
	if (c == 0xC2 || c == 0xE2 || c >= 0xF0)
		return PII_L_NONE;
	if (c > 0xC5)
		return PII_L_OTHER;
	b = (unsigned char)t[p + 1];
	if (c == 0xC3)
		return b == 0x97 || b == 0xB7 ? PII_L_NONE : b < 0x9F ?
		    PII_L_UPPER : PII_L_LOWER;
	cp = ((unsigned)(c & 0x1F) << 6) | (b & 0x3F);
	if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
		return cp & 1 ? PII_L_UPPER : PII_L_LOWER;
	if (cp == 0x178)
		return PII_L_UPPER;
	if (cp == 0x138 || cp == 0x149 || cp == 0x17F)
		return PII_L_LOWER;
	return cp & 1 ? PII_L_LOWER : PII_L_UPPER;
}

/* The longest word the lists hold, in bytes. */
#define PII_NAMES_WORD_MAX 64

/*
 * w (n bytes, under PII_NAMES_WORD_MAX) into buf (as large): the capitals
 * after the first letter lowered (ASCII, Latin-1, Latin Extended-A), or
 * all of them with all = 1. Returns n, or 0 when w is too long.
 */
size_t pii_names_fold(const char *w, size_t n, char *buf, int all);

/* NULL when out of memory. */
struct pii_names *pii_names_new(void);
void pii_names_free(struct pii_names *n);

/*
 * The PII_NAME_* flags of the word w (n bytes of UTF-8, as written: names
 * are listed capitalized, the other words in lower case), 0 when unknown.
 */
unsigned pii_names_get(const struct pii_names *t, const char *w, size_t n);
/* The same for the context words only (PII_NAME_TITLE and after): a small
 * table, for the words that are read often. */
unsigned pii_names_context(const struct pii_names *t, const char *w,
    size_t n);
/*
 * The context flags of w (n bytes as written) in lower case, in one pass:
 * pii_names_context() of pii_names_fold(all = 1), 0 when w is too long.
 * With table not NULL, *table is pii_names_get() of the lower-case word.
 */
unsigned pii_names_lower(const struct pii_names *t, const char *w, size_t n,
    unsigned *table);

#endif
