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

#endif
