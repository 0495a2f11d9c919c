/*
 * Unit tests of the byte scans of policy/pii_bytes.h: each against the
 * plain loop it stands for, at every alignment and length, with bytes from
 * 0x80 (never in an ASCII range), the ranges' edges, and the search that
 * falls back to memmem() when the first byte is common.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/pii_bytes.h"
#include "tests/tap.h"

/* The plain loops. */
static size_t
next_plain(const char *t, size_t i, size_t len, unsigned char lo,
    unsigned char hi)
{
	while (i < len && !((unsigned char)t[i] >= lo &&
	    (unsigned char)t[i] <= hi))
		i++;
	return i;
}

static size_t
span_plain(const char *t, size_t i, size_t len, unsigned char lo,
    unsigned char hi)
{
	while (i < len && (unsigned char)t[i] >= lo &&
	    (unsigned char)t[i] <= hi)
		i++;
	return i;
}

/* Bytes around the ranges' edges, and from 0x80 (lo + 0x80 and so on). */
static const unsigned char alphabet[] = {
	' ', '/', '0', '5', '9', ':', ';', '@', 'A', 'Z', '[', '`', 'a', 'z',
	'{', 0x7F, 0x80, 0xAF, 0xB0, 0xB9, 0xBA, 0xC3, 0xE1, 0xFA, 0xFF, 0x01,
};

static unsigned
step(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

static void
test_next(void)
{
	static const unsigned char ranges[][2] = {
		{ '0', '9' }, { '0', ':' }, { 'a', 'z' }, { 'A', 'Z' },
		{ 0x01, 0x7E }, { '@', '@' },
	};
	char t[64];
	unsigned seed = 11, bad = 0, runs = 0, bad_span = 0;

	for (int r = 0; r < 4000; r++) {
		size_t len = step(&seed) % sizeof(t);
		/* Mostly bytes outside the range: long runs to pass over. */
		int sparse = step(&seed) % 4;

		for (size_t i = 0; i < len; i++)
			t[i] = (char)(sparse && step(&seed) % 8 ? 'x' :
			    alphabet[step(&seed) % sizeof(alphabet)]);
		for (size_t k = 0; k < sizeof(ranges) / sizeof(ranges[0]);
		    k++)
			for (size_t i = 0; i <= len; i++) {
				runs++;
				bad += pii_bytes_next(t, i, len, ranges[k][0],
				    ranges[k][1]) != next_plain(t, i, len,
				    ranges[k][0], ranges[k][1]);
				bad_span += pii_bytes_span(t, i, len,
				    ranges[k][0], ranges[k][1]) !=
				    span_plain(t, i, len, ranges[k][0],
				    ranges[k][1]);
			}
	}
	ok(bad == 0, "pii_bytes_next() as the plain loop: %u of %u differ",
	    bad, runs);
	ok(bad_span == 0, "pii_bytes_span() as the plain loop: %u of %u "
	    "differ", bad_span, runs);
	/* Every place of the one byte in range, at every alignment. */
	bad = 0;
	for (size_t len = 0; len < 40; len++)
		for (size_t at = 0; at <= len; at++) {
			memset(t, 0xB5, sizeof(t));	/* '5' + 0x80 */
			if (at < len)
				t[at] = '5';
			for (size_t i = 0; i <= len; i++)
				bad += pii_bytes_next(t, i, len, '0', '9') !=
				    (i <= at && at < len ? at : len);
		}
	ok(bad == 0, "a digit found wherever it is, never a byte from 0x80 "
	    "(%u differ)", bad);
}

static void
test_find(void)
{
	char h[300], w[8];
	unsigned seed = 5, bad = 0;
	char *big;
	size_t n = 1 << 20;

	for (int r = 0; r < 20000; r++) {
		size_t hn = step(&seed) % sizeof(h), wn = step(&seed) % 6;
		const char *got, *want;

		/* A small alphabet: many places of the first byte. */
		for (size_t i = 0; i < hn; i++)
			h[i] = "ab"[step(&seed) % 2];
		for (size_t i = 0; i < wn; i++)
			w[i] = "ab"[step(&seed) % 2];
		got = pii_bytes_find(h, hn, w, wn);
		want = memmem(h, hn, w, wn);
		bad += got != want;
	}
	ok(bad == 0, "pii_bytes_find() as memmem() (%u differ)", bad);
	/* A common first byte: the memmem() fallback finds the end. */
	big = malloc(n);
	if (big == NULL)
		tap_bail("out of memory");
	memset(big, 'A', n);
	memcpy(big + n - 5, "Anna!", 5);
	ok(pii_bytes_find(big, n, "Anna", 4) == big + n - 5,
	    "found after a megabyte of its first byte");
	ok(pii_bytes_find(big, n - 1, "Anna!", 5) == NULL,
	    "not found past the end");
	free(big);
}

int
main(void)
{
	test_next();
	test_find();
	return tap_done();
}
