/*
 * Context words of the PII detectors: the text around a candidate value,
 * read once (lower case, Latin-1 capitals folded, pseudonym tokens
 * blanked), and word lists looked up in it. A short word counts only as a
 * whole word ("nie" is no label inside "niemand"), a longer one from a word
 * start, a long one anywhere (German compounds: "Steueridentifikations-
 * nummer"). Pure code; a word list is built once and only read afterwards.
 */
#ifndef POLICY_PII_CTX_H
#define POLICY_PII_CTX_H

#include <stddef.h>

/* How far a context word may be from the value, in bytes. */
#define PII_CTX_BEFORE 64
#define PII_CTX_AFTER 40

/* The text around a candidate [start, end). */
struct pii_ctx {
	char before[PII_CTX_BEFORE + 1];
	char after[PII_CTX_AFTER + 1];
	size_t nb, na;
};

/* Reads the window of text[start, end) (len bytes in all). */
void pii_ctx_init(struct pii_ctx *x, const char *text, size_t len,
    size_t start, size_t end);
/* The same, with a narrower window (at most the defaults). */
void pii_ctx_init_near(struct pii_ctx *x, const char *text, size_t len,
    size_t start, size_t end, size_t before, size_t after);

#define PII_WORDS_MAX 1024

#define PII_WORDS_BUCKETS 2048

/* A word index: the words by their first three bytes. */
struct pii_words_index {
	unsigned short order[PII_WORDS_MAX];
	unsigned short start[PII_WORDS_BUCKETS], count[PII_WORDS_BUCKETS];
};

/*
 * A word list: lower-case UTF-8 words (two bytes at least), indexed by
 * their first three bytes, so that a position of a window costs one
 * lookup: all of them at word starts, the long ones (found anywhere)
 * inside words.
 */
struct pii_words {
	const char *const *words;
	unsigned char len[PII_WORDS_MAX];
	struct pii_words_index starts, inside;	/* words of 3 bytes on */
	unsigned short two[32];		/* words of 2 bytes */
	size_t n, n_two;
	/* Filters that pass over most positions without a lookup: the
	 * first two bytes of the two-byte words (a bit per pair), a hash of
	 * the first three of the longer ones at word starts and of the long
	 * ones inside words. */
	unsigned char word[256];	/* 1 for the bytes of words */
	unsigned char two_bits[65536 / 8];
	unsigned char start_bits[65536 / 8], inside_bits[65536 / 8];
};

/* Builds w from a NULL-terminated list (at most PII_WORDS_MAX words of 2
 * to 255 bytes; the list must outlive w). */
void pii_words_build(struct pii_words *w, const char *const *words);

/* Index in the list of a word of w in the window (before the value,
 * then after it), or -1. */
int pii_words_find(const struct pii_words *w, const struct pii_ctx *x);

/* The indexes of every word of w in the window, at most max, into found;
 * returns how many. */
size_t pii_words_all(const struct pii_words *w, const struct pii_ctx *x,
    int *found, size_t max);

/* 1 when a word of w is in buf[0, n) (lower case already). */
int pii_words_in(const struct pii_words *w, const char *buf, size_t n);

/* The words that make a nearby number something else than personal data
 * (order, invoice, tracking, version, ...), in the supported languages. */
extern const char *const pii_negative_words[];

#endif
