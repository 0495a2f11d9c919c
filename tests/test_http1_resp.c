/* Unit tests of the strict HTTP/1.1 response head parser (upstreams'). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http1.h"
#include "tests/tap.h"

static struct http1_header hdrs[64];

static int
parse(const char *s, size_t len, struct http1_response *r)
{
	const char *why = NULL;

	r->headers = hdrs;
	return http1_parse_response(s, len, 16384, 64, r, &why);
}

/* Every prefix of a head needs more bytes or gives the same verdict. */
static int
split_invariant(const char *s)
{
	struct http1_response r;
	size_t len = strlen(s);
	int whole = parse(s, len, &r);

	for (size_t i = 0; i < len; i++) {
		int rc = parse(s, i, &r);

		if (rc == HTTP1_DONE || (rc == HTTP1_ERROR &&
		    whole != HTTP1_ERROR))
			return 0;
	}
	return 1;
}

struct vector {
	const char *name;
	const char *head;
	int ok;		/* 1: accepted */
};

static const struct vector vectors[] = {
	{ "200 with CL", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 1 },
	{ "no reason phrase", "HTTP/1.1 204\r\n\r\n", 1 },
	{ "empty reason phrase", "HTTP/1.1 200 \r\n\r\n", 1 },
	{ "HTTP/1.0", "HTTP/1.0 200 OK\r\n\r\n", 1 },
	{ "chunked, any case",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n", 1 },
	{ "unknown TE left to the decoder",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 1 },
	{ "CL and TE", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 0 },
	{ "TE and CL", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 4\r\n\r\n", 0 },
	{ "two equal CL", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"
	    "Content-Length: 4\r\n\r\n", 0 },
	{ "two different CL", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"
	    "Content-Length: 5\r\n\r\n", 0 },
	{ "CL list", "HTTP/1.1 200 OK\r\nContent-Length: 4, 4\r\n\r\n", 0 },
	{ "CL +4", "HTTP/1.1 200 OK\r\nContent-Length: +4\r\n\r\n", 0 },
	{ "CL negative", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0 },
	{ "CL 30 digits", "HTTP/1.1 200 OK\r\nContent-Length: "
	    "123456789012345678901234567890\r\n\r\n", 0 },
	{ "TE twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 0 },
	{ "TE in HTTP/1.0",
	    "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0 },
	{ "space before colon",
	    "HTTP/1.1 200 OK\r\nContent-Length : 4\r\n\r\n", 0 },
	{ "obs-fold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n b\r\n\r\n", 0 },
	{ "bare LF", "HTTP/1.1 200 OK\nContent-Length: 4\n\n", 0 },
	{ "bare LF after a header",
	    "HTTP/1.1 200 OK\r\nContent-Length: 4\n\r\n", 0 },
	{ "bare CR in a value", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", 0 },
	{ "control byte in a value",
	    "HTTP/1.1 200 OK\r\nX-A: a\x01" "b\r\n\r\n", 0 },
	{ "empty name", "HTTP/1.1 200 OK\r\n: x\r\n\r\n", 0 },
	{ "no colon", "HTTP/1.1 200 OK\r\nX-A\r\n\r\n", 0 },
	{ "HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", 0 },
	{ "HTTP/2", "HTTP/2 200\r\n\r\n", 0 },
	{ "two-digit status", "HTTP/1.1 20 OK\r\n\r\n", 0 },
	{ "four-digit status", "HTTP/1.1 2000 OK\r\n\r\n", 0 },
	{ "status 099", "HTTP/1.1 099 OK\r\n\r\n", 0 },
	{ "no space after version", "HTTP/1.1200 OK\r\n\r\n", 0 },
	{ "leading CRLF", "\r\nHTTP/1.1 200 OK\r\n\r\n", 0 },
	{ "not HTTP", "SSH-2.0-OpenSSH_9.6\r\n\r\n", 0 },
	{ "HTTP/0.9 body", "<html>hello</html>", 0 },
};

static void
test_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		struct http1_response r;
		int rc = parse(v->head, strlen(v->head), &r);

		ok(v->ok ? rc == HTTP1_DONE : rc == HTTP1_ERROR,
		    "%s: %s (got %d)", v->name, v->ok ? "accepted" :
		    "refused", rc);
		ok(split_invariant(v->head), "%s: same verdict at every split",
		    v->name);
	}
}

static void
test_fields(void)
{
	const char *s = "HTTP/1.1 201 Created\r\nContent-Type:  a/b \r\n"
	    "Content-Length: 12\r\nConnection: close\r\n\r\nbody";
	struct http1_response r;

	ok(parse(s, strlen(s), &r) == HTTP1_DONE, "full head parses");
	is_int(r.status, 201, "status");
	is_int(r.minor, 1, "HTTP/1.1");
	is_int(r.content_length, 12, "content length");
	is_int(r.keep_alive, 0, "Connection: close");
	is_int(r.n_headers, 3, "three headers");
	ok(r.headers[0].value_len == 3 &&
	    memcmp(r.headers[0].value, "a/b", 3) == 0, "values are trimmed");
	is_int(r.head_len, strlen(s) - 4, "the head ends before the body");

	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	ok(parse(s, strlen(s), &r) == HTTP1_DONE && r.chunked &&
	    !r.te_other && r.keep_alive && r.content_length == -1,
	    "chunked, kept alive");
	s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n";
	ok(parse(s, strlen(s), &r) == HTTP1_DONE && !r.chunked &&
	    r.te_other, "another transfer coding is flagged");
	s = "HTTP/1.0 200 OK\r\n\r\n";
	ok(parse(s, strlen(s), &r) == HTTP1_DONE && !r.keep_alive,
	    "HTTP/1.0 closes by default");
	s = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n";
	ok(parse(s, strlen(s), &r) == HTTP1_DONE && r.keep_alive,
	    "HTTP/1.0 keep-alive honoured");
	s = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
	ok(parse(s, strlen(s), &r) == HTTP1_DONE && r.status == 100 &&
	    r.head_len == 25, "a 1xx head ends at its blank line");
	ok(parse("HTTP/1.1 200 OK\r\n", 17, &r) == HTTP1_NEED_MORE,
	    "incomplete head needs more");
	ok(parse("", 0, &r) == HTTP1_NEED_MORE, "nothing yet needs more");
}

static void
test_limits(void)
{
	char big[20000];
	struct http1_response r;
	size_t n;

	/* 100 headers: the first 64 kept, all framed. */
	n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 99; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "X-H%d: v\r\n", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n,
	    "Content-Length: 7\r\n\r\n");
	ok(parse(big, n, &r) == HTTP1_DONE && r.n_headers == 64 &&
	    r.content_length == 7 && !r.coding_dropped,
	    "over 64 headers: 64 kept, the last still frames the body");
	n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 70; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "X-H%d: v\r\n", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n,
	    "content-encoding: br\r\nContent-Length: 7\r\n\r\n");
	ok(parse(big, n, &r) == HTTP1_DONE && r.coding_dropped,
	    "a Content-Encoding past the kept headers is noted (the answer "
	    "is refused, not relayed coded without its header)");
	n = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 99; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "X-H%d: v\r\n", i);
	n += (size_t)snprintf(big + n, sizeof(big) - n,
	    "Content-Length: 7\r\n\r\n");
	n += (size_t)snprintf(big + n - 2, sizeof(big) - n,
	    "Content-Length: 8\r\n\r\n") - 2;
	ok(parse(big, n, &r) == HTTP1_ERROR,
	    "a second CL past the kept headers is still refused");

	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\nX-Big: ", 24);
	ok(parse(big, 16384, &r) == HTTP1_ERROR,
	    "head of 16 KB without its end: refused");
	ok(parse(big, 16383, &r) == HTTP1_NEED_MORE,
	    "one byte short of the cap: needs more");
	memcpy(big + 16000, "\r\n\r\n", 4);
	ok(parse(big, sizeof(big), &r) == HTTP1_DONE,
	    "a head that ends under the cap parses");
	memcpy(big + 16000, "aaaa", 4);
	memcpy(big + 16500, "\r\n\r\n", 4);
	ok(parse(big, sizeof(big), &r) == HTTP1_ERROR,
	    "a head that ends past the cap is refused");
}

int
main(void)
{
	test_vectors();
	test_fields();
	test_limits();
	return tap_done();
}
