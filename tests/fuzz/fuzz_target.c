/*
 * Fuzz target: the request-target check and the endpoint table.
 * Properties: an accepted target's path is a fixed point of what any
 * server or client library might do to it (percent-decoding, backslashes
 * as slashes, merged slashes, RFC 3986 dot-segment removal), holds no
 * control byte, and when an operation matches it starts with /v1/ or
 * /v2/ and has the pattern's number of segments; the verdict does not
 * depend on bytes after the target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "policy/endpoint.h"

/* What a lenient normalizer makes of a path; 0 if it would change it. */
static int
stable(const char *p, size_t len)
{
	size_t seg = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '%' || c == '\\' || c < 0x21 || c >= 0x7f ||
		    c == '?' || c == '#')
			return 0;
		if (c == '/') {
			if (i > 0 && seg == 0)
				return 0;	/* "//" */
			seg = 0;
			continue;
		}
		seg++;
		if ((i + 1 == len || p[i + 1] == '/') &&
		    ((seg == 1 && c == '.') || (seg == 2 && c == '.' &&
		    p[i - 1] == '.')))
			return 0;	/* "." or ".." */
	}
	return len > 0 && p[0] == '/';
}

static size_t
segments(const char *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i] == '/';
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	struct ep_target a, b;
	const struct endpoint *ep;
	int rc, method;

	if (size == 0)
		return 0;
	method = data[0] % 7;
	t++;
	size--;
	rc = endpoint_target(t, size, 4096, &a);
	if (rc != EP_TARGET_OK)
		return 0;
	if (!stable(a.path, a.path_len))
		abort();
	if (a.query != NULL && memchr(a.query, '#', a.query_len) != NULL)
		abort();
	/* A shorter max refuses, never accepts something else. */
	if (size > 0 && endpoint_target(t, size, size - 1, &b) !=
	    EP_TARGET_TOO_LONG)
		abort();
	if (endpoint_find(method, a.path, a.path_len, &ep) != EP_FOUND)
		return 0;
	if (a.path_len < 4 || (memcmp(a.path, "/v1/", 4) != 0 &&
	    memcmp(a.path, "/v2/", 4) != 0))
		abort();
	if (ep->method != method || segments(a.path, a.path_len) !=
	    segments(ep->path, strlen(ep->path)))
		abort();
	return 0;
}
