/*
 * The detection form of a text: what the PII detectors read, so that
 * formatting tricks do not hide a value. NFKC (fullwidth digits and '＠'
 * become ASCII, compatibility forms fold), default-ignorable code points
 * removed (zero-width characters, soft hyphen, word joiner, BOM, variation
 * selectors), Unicode spaces become ' ', dashes '-', decimal digits of any
 * script ASCII digits, combining marks on an ASCII character are dropped,
 * and letters of the scripts used as Latin look-alikes (Greek, Cyrillic,
 * Armenian, Cherokee, Coptic, Lisu, Latin itself) become the ASCII letter
 * of their Unicode confusable skeleton (UTS #39, from ICU). Every byte of
 * the form maps back to the whole code points of the original that made
 * it, so a match is replaced over the original bytes. Pure ASCII, and
 * text whose every character maps to itself, need no copy.
 */
#ifndef POLICY_PII_NORM_H
#define POLICY_PII_NORM_H

#include <stddef.h>
#include <stdint.h>

struct pii_norm;

/* Builds the tables (about 15 ms, 130 KB); NULL with a message in err. */
struct pii_norm *pii_norm_new(char *err, size_t errlen);
void pii_norm_free(struct pii_norm *n);

/* A detection form and its map to the original text. */
struct pii_norm_text {
	char *p;		/* UTF-8, len bytes, NUL-terminated */
	size_t len, cap;
	uint32_t *from;		/* byte i of p came from the original */
	uint32_t *to;		/* bytes [from[i], to[i]) */
};

/*
 * Maps text (UTF-8, len bytes) to its detection form. Returns 0 when
 * text is its own detection form (out untouched), 1 when out holds it
 * (free with pii_norm_text_free), -1 on a failure (memory, a text over
 * 4 GB). Bytes that are not UTF-8 become '?'.
 */
int pii_norm_map(const struct pii_norm *n, const char *text, size_t len,
    struct pii_norm_text *out);
void pii_norm_text_free(struct pii_norm_text *t);

#endif
