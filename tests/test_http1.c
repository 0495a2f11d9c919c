/* Unit tests of the strict HTTP/1.1 request parser and chunked decoder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/http1.h"
#include "tests/tap.h"

static struct http1_header hdrs[100];

static int
parse(const char *s, struct http1_request *r, int *status)
{
	const char *why = NULL;

	r->headers = hdrs;
	*status = 0;
	return http1_parse_head(s, strlen(s), 16384, 100, r, status, &why);
}

/* Every prefix of a request must need more bytes or give the same answer. */
static int
split_invariant(const char *s)
{
	struct http1_request r;
	int st_whole, st, rc_whole;
	const char *why;
	size_t len = strlen(s);

	r.headers = hdrs;
	rc_whole = http1_parse_head(s, len, 16384, 100, &r, &st_whole, &why);
	for (size_t i = 0; i < len; i++) {
		int rc = http1_parse_head(s, i, 16384, 100, &r, &st, &why);

		if (rc == HTTP1_DONE && rc_whole != HTTP1_DONE)
			return 0;
		if (rc == HTTP1_ERROR && (rc_whole != HTTP1_ERROR ||
		    st != st_whole))
			return 0;
	}
	return 1;
}

struct vector {
	const char *name;
	const char *head;
	int status;	/* 0: accepted */
};

static const struct vector vectors[] = {
	{ "plain GET", "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n", 0 },
	{ "POST with CL",
	    "POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", 0 },
	{ "chunked, any case", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: CHUNKED\r\n\r\n", 0 },
	{ "HTTP/1.0 without Host", "GET /v1/models HTTP/1.0\r\n\r\n", 0 },
	{ "CL and TE", "POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n", 400 },
	{ "TE and CL", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", 400 },
	{ "two equal CL", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", 400 },
	{ "two different CL", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400 },
	{ "CL list",
	    "POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n",
	    400 },
	{ "CL +5",
	    "POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n",
	    400 },
	{ "CL hex",
	    "POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n",
	    400 },
	{ "CL negative",
	    "POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
	    400 },
	{ "CL empty",
	    "POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n",
	    400 },
	{ "CL 30 digits", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 100000000000000000000000000000\r\n\r\n", 400 },
	{ "TE xchunked", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: xchunked\r\n\r\n", 501 },
	{ "TE gzip, chunked", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n", 400 },
	{ "TE chunked, chunked", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked, chunked\r\n\r\n", 400 },
	{ "TE ,chunked", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: ,chunked\r\n\r\n", 400 },
	{ "TE twice", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	    400 },
	{ "TE identity", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: identity\r\n\r\n", 501 },
	{ "TE vertical tab", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding: chunked\x0b\r\n\r\n", 400 },
	{ "TE in HTTP/1.0",
	    "POST /v1/x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "space before colon",
	    "POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n",
	    400 },
	{ "underscore TE is another header",
	    "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer_Encoding: chunked\r\n\r\n", 0 },
	{ "obs-fold",
	    "GET /v1/x HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400 },
	{ "obs-fold TE", "POST /v1/x HTTP/1.1\r\nHost: x\r\n"
	    "Transfer-Encoding:\r\n chunked\r\n\r\n", 400 },
	{ "bare LF in headers", "GET /v1/x HTTP/1.1\nHost: x\n\n", 400 },
	{ "bare LF after header",
	    "GET /v1/x HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400 },
	{ "bare CR in value",
	    "GET /v1/x HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400 },
	{ "NUL in value",
	    "GET /v1/x HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", 0 },
	{ "missing Host", "GET /v1/x HTTP/1.1\r\n\r\n", 400 },
	{ "two Hosts",
	    "GET /v1/x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
	{ "Host with space", "GET /v1/x HTTP/1.1\r\nHost: a b\r\n\r\n", 400 },
	{ "Host with userinfo",
	    "GET /v1/x HTTP/1.1\r\nHost: u@h\r\n\r\n", 400 },
	{ "Host with path", "GET /v1/x HTTP/1.1\r\nHost: h/p\r\n\r\n", 400 },
	{ "HTTP/1.2", "GET /v1/x HTTP/1.2\r\nHost: x\r\n\r\n", 505 },
	{ "HTTP/2.0", "GET /v1/x HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
	{ "HTTP/1.10", "GET /v1/x HTTP/1.10\r\nHost: x\r\n\r\n", 400 },
	{ "missing version", "GET /v1/x\r\nHost: x\r\n\r\n", 400 },
	{ "lowercase method", "get /v1/x HTTP/1.1\r\nHost: x\r\n\r\n", 501 },
	{ "odd method",
	    "G=\":<>(e),[T] /v1/x HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	{ "CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 501 },
	{ "absolute-form",
	    "GET http://a/v1/x HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "asterisk", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "fragment", "GET /v1/x#f HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "two spaces", "GET  /v1/x HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "tab in name",
	    "GET /v1/x HTTP/1.1\r\nHost: a\r\nX\tY: z\r\n\r\n", 400 },
	{ "high byte in name",
	    "GET /v1/x HTTP/1.1\r\nHost: a\r\nX\x85Y: z\r\n\r\n", 400 },
	{ "leading space header",
	    "GET /v1/x HTTP/1.1\r\n Host: a\r\n\r\n", 400 },
	{ "empty name", "GET /v1/x HTTP/1.1\r\nHost: a\r\n: z\r\n\r\n", 400 },
	{ "leading CRLF", "\r\nGET /v1/x HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "Expect other",
	    "POST /v1/x HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417 },
};

static void
test_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		struct http1_request r;
		int status, rc;
		size_t len = strlen(v->head);
		const char *why;

		/* The NUL vector has its NUL inside: measure to the end. */
		if (strcmp(v->name, "NUL in value") == 0) {
			len = strlen(v->head) + 1 + strlen(v->head +
			    strlen(v->head) + 1);
			r.headers = hdrs;
			rc = http1_parse_head(v->head, len, 16384, 100, &r,
			    &status, &why);
			ok(rc == HTTP1_ERROR && status == 400,
			    "NUL in value: 400");
			continue;
		}
		rc = parse(v->head, &r, &status);
		if (v->status == 0)
			ok(rc == HTTP1_DONE, "%s: accepted", v->name);
		else
			ok(rc == HTTP1_ERROR && status == v->status,
			    "%s: %d (got rc %d status %d)", v->name, v->status,
			    rc, status);
		ok(split_invariant(v->head), "%s: same verdict at every split",
		    v->name);
	}
}

static void
test_fields(void)
{
	struct http1_request r;
	int status;
	const struct http1_header *h;

	ok(parse("POST /v1/chat/completions?a=1 HTTP/1.1\r\nHost: gw:8080\r\n"
	    "Content-Length: 12\r\nConnection: close\r\nX-Pad:  v  \r\n\r\n",
	    &r, &status) == HTTP1_DONE, "full head parses");
	is_int(r.method, HTTP_POST, "method");
	is_int(r.content_length, 12, "content length");
	is_int(r.keep_alive, 0, "Connection: close");
	is_int(r.minor, 1, "HTTP/1.1");
	ok(r.target_len == 24 && memcmp(r.target,
	    "/v1/chat/completions?a=1", 24) == 0, "target");
	h = http1_find(&r, "x-pad");
	ok(h != NULL && h->value_len == 1 && h->value[0] == 'v',
	    "values are trimmed");
	ok(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r,
	    &status) == HTTP1_DONE && r.keep_alive == 1,
	    "HTTP/1.0 keep-alive honoured");
	ok(parse("GET / HTTP/1.1\r\nHost: a\r\n", &r, &status) ==
	    HTTP1_NEED_MORE, "incomplete head needs more");
}

static void
test_limits(void)
{
	char big[20000];
	struct http1_request r;
	int status, rc;
	const char *why;
	size_t n;

	n = (size_t)snprintf(big, sizeof(big),
	    "GET /v1/x HTTP/1.1\r\nHost: a\r\nX: ");
	memset(big + n, 'a', 17000);
	big[n + 17000] = '\0';
	r.headers = hdrs;
	rc = http1_parse_head(big, strlen(big), 16384, 100, &r, &status, &why);
	ok(rc == HTTP1_ERROR && status == 431, "head over the cap: 431");
	n = (size_t)snprintf(big, sizeof(big),
	    "GET /v1/x HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 12; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X%d: y\r\n",
		    i);
	snprintf(big + n, sizeof(big) - n, "\r\n");
	rc = http1_parse_head(big, strlen(big), 16384, 10, &r, &status, &why);
	ok(rc == HTTP1_ERROR && status == 431, "too many headers: 431");
	{
		/* Over the parser's cap (the most max_target_bytes allows;
		 * the request handler applies the configured limit). */
		size_t tl = 65537, cap = tl + 64;
		char *huge = malloc(cap);

		n = (size_t)snprintf(huge, cap, "GET /");
		memset(huge + n, 'a', tl - 1);
		snprintf(huge + n + tl - 1, cap - n - tl + 1,
		    " HTTP/1.1\r\nHost: a\r\n\r\n");
		rc = http1_parse_head(huge, strlen(huge), cap, 10, &r, &status,
		    &why);
		ok(rc == HTTP1_ERROR && status == 414, "long target: 414");
		free(huge);
	}
}

/* Decodes a whole chunked body in pieces of step bytes. */
static int
decode(const char *in, size_t step, char *out, size_t *outlen)
{
	struct http1_chunked st;
	size_t off = 0, len = strlen(in), o = 0;

	memset(&st, 0, sizeof(st));
	while (off < len) {
		size_t n = len - off < step ? len - off : step, used;
		const char *data;
		size_t dlen;
		int rc = http1_chunked_feed(&st, in + off, n, &used, &data,
		    &dlen);

		if (rc == HTTP1_ERROR)
			return -1;
		if (dlen > 0)
			memcpy(out + o, data, dlen);
		o += dlen;
		off += used;
		if (rc == HTTP1_DONE) {
			*outlen = o;
			return (int)(len - off); /* bytes after the body */
		}
	}
	return -2;	/* needs more */
}

static void
test_chunked(void)
{
	static const struct {
		const char *in;
		int ok;
		const char *out;
	} cases[] = {
		{ "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 1, "hello world" },
		{ "5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n", 1, "hello" },
		{ "A\r\n0123456789\r\n0\r\n\r\n", 1, "0123456789" },
		{ "0x5\r\nhello\r\n0\r\n\r\n", 0, NULL },
		{ "+5\r\nhello\r\n0\r\n\r\n", 0, NULL },
		{ " 5\r\nhello\r\n0\r\n\r\n", 0, NULL },
		{ "5\nhello\r\n0\r\n\r\n", 0, NULL },
		{ "5\r\nhelloXX0\r\n\r\n", 0, NULL },
		{ "5\r\nhello\n0\r\n\r\n", 0, NULL },
		{ "ZZ\r\n", 0, NULL },
		{ "10000000000000000\r\n", 0, NULL },
		{ "2;a\rb\r\nhi\r\n0\r\n\r\n", 0, NULL },
		{ "5\r\nhello\r\n0\r\n\n", 0, NULL },
		{ "\r\n", 0, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t step = 1; step <= 64; step *= 4) {
			char out[256];
			size_t outlen = 0;
			int rc = decode(cases[i].in, step, out, &outlen);

			if (cases[i].ok)
				ok(rc == 0 && outlen == strlen(cases[i].out) &&
				    memcmp(out, cases[i].out, outlen) == 0,
				    "chunked case %zu step %zu decodes", i,
				    step);
			else
				ok(rc == -1,
				    "chunked case %zu step %zu rejected", i,
				    step);
		}
	}
	{
		char out[64];
		size_t outlen;
		int rest = decode("1\r\na\r\n0\r\n\r\nGET /x HTTP/1.1\r\n", 3,
		    out, &outlen);

		ok(rest == 17,
		    "bytes after the body stay for the next request");
	}
}

int
main(void)
{
	test_vectors();
	test_fields();
	test_limits();
	test_chunked();
	return tap_done();
}
