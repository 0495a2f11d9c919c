/*
 * Fuzz target: the strict request head parser and the chunked decoder.
 * Properties: the verdict on a head does not depend on where the bytes
 * are cut; an accepted head has one framing, token names and clean
 * values; the chunked decoder gives the same bytes and verdict for any
 * feeding step as for the whole input at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http1.h"

static void
check_head(const char *buf, size_t len)
{
	struct http1_header h1[32], h2[32];
	struct http1_request r1, r2;
	int st1 = 0, st2 = 0, rc1, rc2;
	const char *why;
	size_t cut;

	r1.headers = h1;
	rc1 = http1_parse_head(buf, len, 4096, 32, &r1, &st1, &why);
	if (rc1 == HTTP1_DONE) {
		if (r1.chunked && r1.content_length >= 0)
			abort();	/* two framings */
		for (size_t i = 0; i < r1.n_headers; i++) {
			for (size_t k = 0; k < r1.headers[i].value_len; k++) {
				unsigned char c =
				    (unsigned char)r1.headers[i].value[k];

				if ((c < 0x20 && c != '\t') || c == 0x7f)
					abort(); /* a control byte passed */
			}
			if (r1.headers[i].name_len == 0)
				abort();
		}
		if (r1.head_len > len || r1.target[0] != '/')
			abort();
	}
	/* A prefix may need more, or give the same answer, never another. */
	cut = len ? (size_t)(unsigned char)buf[0] % (len + 1) : 0;
	r2.headers = h2;
	rc2 = http1_parse_head(buf, cut, 4096, 32, &r2, &st2, &why);
	if (rc2 == HTTP1_DONE && rc1 != HTTP1_DONE)
		abort();
	if (rc2 == HTTP1_ERROR && (rc1 != HTTP1_ERROR || st1 != st2))
		abort();
}

/* Feeds the whole input with a given step; returns -1 on error. */
static long
decode(const char *in, size_t len, size_t step, char *out)
{
	struct http1_chunked st;
	size_t off = 0, o = 0;

	memset(&st, 0, sizeof(st));
	while (off < len) {
		size_t n = len - off < step ? len - off : step, used = 0, dlen;
		const char *data;
		int rc = http1_chunked_feed(&st, in + off, n, &used, &data,
		    &dlen);

		if (rc == HTTP1_ERROR)
			return -1;
		if (used > n || dlen > n)
			abort();
		if (dlen > 0)
			memcpy(out + o, data, dlen);
		o += dlen;
		off += used;
		if (rc == HTTP1_DONE)
			return (long)o;
	}
	return -2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	char *a, *b;
	long la, lb;

	check_head(buf, size);
	a = malloc(size + 1);
	b = malloc(size + 1);
	la = decode(buf, size, size ? size : 1, a);
	lb = decode(buf, size, 1 + (size % 7), b);
	if (la != lb || (la > 0 && memcmp(a, b, (size_t)la) != 0))
		abort();	/* the result depends on segmentation */
	free(a);
	free(b);
	return 0;
}
