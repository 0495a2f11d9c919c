/*
 * Byte scans shared by the PII detectors: where the next byte of an ASCII
 * range is, eight bytes at a time. The detectors pass over the text that
 * cannot start a candidate (most of prose) with these.
 */
#ifndef POLICY_PII_BYTES_H
#define POLICY_PII_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The first position from i on (up to len) whose byte is in [lo, hi],
 * two ASCII bytes (lo > 0, hi < 127); len when there is none.
 */
static inline size_t
pii_bytes_next(const char *t, size_t i, size_t len, unsigned char lo,
    unsigned char hi)
{
	const uint64_t ones = 0x0101010101010101ull;
	const uint64_t low7 = ones * 127, high = ones * 128;
	const uint64_t below = ones * (127u + hi + 1u);
	const uint64_t above = ones * (127u - (lo - 1u));

	/* Per byte b of x (Bit Twiddling Hacks' hasbetween): its high bit
	 * in the result when lo - 1 < b < hi + 1; bytes from 0x80 never. */
	while (i + 8 <= len) {
		uint64_t x, y, m;

		memcpy(&x, t + i, 8);
		y = x & low7;
		m = (below - y) & ~x & (y + above) & high;
		if (m != 0) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)__builtin_ctzll(m) / 8;
#else
			break;
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
		}
		i += 8;
	}
	while (i < len && (unsigned char)((unsigned char)t[i] - lo) >
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
