/*
 * Fuzz target: SSE framing and usage extraction. Properties: the events
 * found do not depend on how the bytes are split; every byte belongs to
 * exactly one event or to the unfinished tail; usage counts are never
 * negative except the -1 of "unknown".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/usage.h"

/* Frames the input with a step; writes event lengths; returns the count. */
static size_t
frame(const char *in, size_t len, size_t step, size_t *lens, size_t max,
    size_t *tail)
{
	struct sse s;
	size_t off = 0, n, count = 0;
	struct usage u;

	sse_init(&s, 1 << 20);
	usage_init(&u);
	while (off < len) {
		size_t k = len - off < step ? len - off : step;

		if (sse_feed(&s, in + off, k) != 0)
			abort();
		off += k;
		while ((n = sse_next(&s)) > 0) {
			if (n > s.len)
				abort();
			usage_from_event(s.buf, n, &u);
			if (count < max)
				lens[count] = n;
			count++;
			sse_consume(&s, n);
		}
	}
	if (u.prompt_tokens < -1 || u.completion_tokens < -1)
		abort();
	*tail = s.len;
	sse_cleanup(&s);
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t l1[256], l2[256], t1, t2, n1, n2, sum = 0;

	n1 = frame((const char *)data, size, size ? size : 1, l1, 256, &t1);
	n2 = frame((const char *)data, size, 1 + size % 5, l2, 256, &t2);
	/* A CR at the very end may still become CRLF: compare only when the
	 * input does not end inside a possible terminator. */
	if (size > 0 && (data[size - 1] == '\r' || data[size - 1] == '\n'))
		return 0;
	if (n1 != n2 || t1 != t2)
		abort();
	for (size_t i = 0; i < n1 && i < 256; i++) {
		if (l1[i] != l2[i])
			abort();
		sum += l1[i];
	}
	if (n1 <= 256 && sum + t1 != size)
		abort();
	return 0;
}
