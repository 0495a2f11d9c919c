/*
 * Byte scans shared by the PII detectors: where the next byte of an ASCII
 * range is and where a run of them ends (sixteen or eight bytes at a
 * time), where a word is. The detectors pass over the text that cannot
 * start a candidate (most of prose) with these.
 */
#ifndef POLICY_PII_BYTES_H
#define POLICY_PII_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * The bytes of x (eight bytes of text) in [lo, hi], two ASCII bytes
 * (lo > 0, hi < 127): the high bit of each such byte, from Bit Twiddling
 * Hacks' hasbetween (no carry crosses a byte; bytes from 0x80 never
 * count).
 */
static inline uint64_t
pii_bytes_in(uint64_t x, unsigned char lo, unsigned char hi)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t low7 = ones * 127, high = ones * 128;
	uint64_t y = x & low7;

	return (ones * (127u + hi + 1u) - y) & ~x &
	    (y + ones * (127u - (lo - 1u))) & high;
}

/* The place of the first byte marked in m (a result of pii_bytes_in()):
 * 0 to 7, in the order of the text. */
static inline size_t
pii_bytes_first(uint64_t m)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(m) / 8;
#else
	size_t k = 0;
	unsigned char b[8];

	memcpy(b, &m, 8);
	while (!(b[k] & 0x80))
		k++;
	return k;
#endif
}

/*
 * The first position from i on (up to len) whose byte is in [lo, hi] (as
 * above); len when there is none.
 */
static inline size_t
pii_bytes_next(const char *t, size_t i, size_t len, unsigned char lo,
    unsigned char hi)
{
#if defined(__SSE2__)
	/* Sixteen bytes a step. Compared as signed bytes, those from 0x80
	 * are below lo. */
	const __m128i above = _mm_set1_epi8((char)(lo - 1));
	const __m128i below = _mm_set1_epi8((char)(hi + 1));

	while (i + 16 <= len) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
		    (t + i));
		int m = _mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v,
		    above), _mm_cmplt_epi8(v, below)));

		if (m != 0)
			return i + (size_t)__builtin_ctz((unsigned)m);
		i += 16;
	}
#endif
	while (i + 8 <= len) {
		uint64_t x, m;

		memcpy(&x, t + i, 8);
		if ((m = pii_bytes_in(x, lo, hi)) != 0)
			return i + pii_bytes_first(m);
		i += 8;
	}
	while (i < len && (unsigned char)((unsigned char)t[i] - lo) >
	    (unsigned char)(hi - lo))
		i++;
	return i;
}

/*
 * The first position from i on (up to len) whose byte is not in [lo, hi]
 * (as above): the end of a run of such bytes (a word's lower-case
 * letters).
 */
static inline size_t
pii_bytes_span(const char *t, size_t i, size_t len, unsigned char lo,
    unsigned char hi)
{
#if defined(__SSE2__)
	const __m128i above = _mm_set1_epi8((char)(lo - 1));
	const __m128i below = _mm_set1_epi8((char)(hi + 1));

	while (i + 16 <= len) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
		    (t + i));
		int m = _mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v,
		    above), _mm_cmplt_epi8(v, below))) ^ 0xFFFF;

		if (m != 0)
			return i + (size_t)__builtin_ctz((unsigned)m);
		i += 16;
	}
#endif
	while (i < len && (unsigned char)((unsigned char)t[i] - lo) <=
	    (unsigned char)(hi - lo))
		i++;
	return i;
}

/*
 * memmem() for a needle that starts with a rare byte (a name's capital):
 * memchr() to each place of the first byte, then a compare. When the
 * first byte is not rare (one place in 16 bytes), memmem() for the rest:
 * it stays linear. NULL when absent.
 */
static inline const char *
pii_bytes_find(const char *h, size_t hn, const char *w, size_t wn)
{
	const char *end = h + hn, *p = h;
	size_t hits = 0;

	if (wn == 0)
		return h;
	while (wn <= (size_t)(end - p) &&
	    (p = memchr(p, w[0], (size_t)(end - p) - wn + 1)) != NULL) {
		if (memcmp(p + 1, w + 1, wn - 1) == 0)
			return p;
		p++;
		if (++hits > 64 + (size_t)(p - h) / 16)
			return memmem(p, (size_t)(end - p), w, wn);
	}
	return NULL;
}

#endif
