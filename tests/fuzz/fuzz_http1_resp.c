/*
 * Fuzz target: the strict response head parser (upstreams' answers).
 * Properties: the verdict on a head does not depend on where the bytes
 * are cut; an accepted head has one framing, a three-digit status, token
 * names and clean values, and at most the headers asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http1.h"

#define MAX_HEAD 4096
#define MAX_HEADERS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http1_header h1[MAX_HEADERS], h2[MAX_HEADERS];
	struct http1_response r1, r2;
	const char *why;
	size_t cut;
	int rc1, rc2;

	r1.headers = h1;
	rc1 = http1_parse_response(buf, size, MAX_HEAD, MAX_HEADERS, &r1,
	    &why);
	if (rc1 == HTTP1_DONE) {
		if (r1.chunked && r1.content_length >= 0)
			abort();	/* two framings */
		if (r1.chunked && r1.te_other)
			abort();
		if (r1.status < 100 || r1.status > 999 ||
		    r1.head_len > size || r1.head_len > MAX_HEAD ||
		    r1.n_headers > MAX_HEADERS)
			abort();
		for (size_t i = 0; i < r1.n_headers; i++) {
			const struct http1_header *h = &r1.headers[i];

			if (h->name_len == 0 || h->name < buf ||
			    h->value + h->value_len > buf + r1.head_len)
				abort();
			for (size_t k = 0; k < h->value_len; k++) {
				unsigned char c = (unsigned char)h->value[k];

				if ((c < 0x20 && c != '\t') || c == 0x7f)
					abort(); /* a control byte passed */
			}
			for (size_t k = 0; k < h->name_len; k++)
				if (strchr(" \t:\r\n", h->name[k]) != NULL)
					abort();
		}
	}
	/* A prefix may need more, or give the same answer, never another. */
	cut = size ? (size_t)(unsigned char)buf[size - 1] % (size + 1) : 0;
	r2.headers = h2;
	rc2 = http1_parse_response(buf, cut, MAX_HEAD, MAX_HEADERS, &r2,
	    &why);
	if (rc2 == HTTP1_DONE && (rc1 != HTTP1_DONE ||
	    r2.head_len != r1.head_len || r2.status != r1.status))
		abort();
	if (rc2 == HTTP1_ERROR && rc1 != HTTP1_ERROR)
		abort();
	return 0;
}
