/* Unit tests of the own upstream client's URLs and request heads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "gateway/ureq.h"
#include "tests/tap.h"

static void
test_urls(void)
{
	static const struct {
		const char *url;
		int ok;
		const char *host;	/* the Host header */
		const char *target;
		int port;
	} v[] = {
		{ "http://127.0.0.1:8090/v1/x?a=%41", 1, "127.0.0.1:8090",
		    "/v1/x?a=%41", 8090 },
		{ "http://10.0.0.5/v1", 1, "10.0.0.5", "/v1", 80 },
		{ "http://10.0.0.5:80/v1", 1, "10.0.0.5", "/v1", 80 },
		{ "http://[::1]:9000", 1, "[::1]:9000", "", 9000 },
		{ "http://127.0.0.1:8090?x", 1, "127.0.0.1:8090", "?x", 8090 },
		{ "https://127.0.0.1/v1", 0, NULL, NULL, 0 },
		{ "http://localhost:8090/v1", 0, NULL, NULL, 0 },
		{ "http://u:p@127.0.0.1/v1", 0, NULL, NULL, 0 },
		{ "http://127.0.0.1/v1#frag", 0, NULL, NULL, 0 },
		{ "http://127.0.0.1:0/", 0, NULL, NULL, 0 },
		{ "http://127.0.0.1:65536/", 0, NULL, NULL, 0 },
		{ "http://127.0.0.1:+80/", 0, NULL, NULL, 0 },
		{ "http://127.1/", 0, NULL, NULL, 0 },
		{ "http://[::1/", 0, NULL, NULL, 0 },
		{ "HTTP://127.0.0.1/", 0, NULL, NULL, 0 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sockaddr_storage sa;
		socklen_t salen;
		char host[80];
		const char *t;
		int rc = ureq_parse_url(v[i].url, &sa, &salen, host,
		    sizeof(host), &t);
		int port = rc != 0 ? 0 : sa.ss_family == AF_INET ?
		    ntohs(((struct sockaddr_in *)&sa)->sin_port) :
		    ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);

		if (!v[i].ok) {
			ok(rc != 0, "%s: left to libcurl", v[i].url);
			continue;
		}
		ok(rc == 0 && strcmp(host, v[i].host) == 0 &&
		    strcmp(t, v[i].target) == 0 && port == v[i].port,
		    "%s: Host %s, target %s, port %d", v[i].url, v[i].host,
		    v[i].target, v[i].port);
	}
}

static char *
head(const char *method, const char *const *lines, int has_body,
    size_t body_len, const char *target)
{
	struct uxfer_req r;
	char *h, *s;
	size_t len;

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.headers = lines;
	r.has_body = has_body;
	r.body_len = body_len;
	h = ureq_build(&r, "10.0.0.5:8000", target, &len);
	if (h == NULL)
		return NULL;
	s = malloc(len + 1);
	memcpy(s, h, len);
	s[len] = '\0';
	free(h);
	return s;
}

static void
test_heads(void)
{
	const char *l1[] = { "Authorization: Bearer k", "Expect:",
	    "Content-Type: application/json", NULL };
	const char *l2[] = { "Accept: text/event-stream", NULL };
	const char *l3[] = { "X-A: a\r\nX-Injected: 1", NULL };
	char *h;

	h = head("POST", l1, 1, 12, "/v1/chat/completions?x=%2F..");
	is_str(h, "POST /v1/chat/completions?x=%2F.. HTTP/1.1\r\n"
	    "Host: 10.0.0.5:8000\r\nAccept: */*\r\n"
	    "Authorization: Bearer k\r\nContent-Type: application/json\r\n"
	    "Accept-Encoding: gzip, deflate\r\nContent-Length: 12\r\n\r\n",
	    "POST: the target as given, Host, Accept, \"Expect:\" dropped, "
	    "the body's length");
	free(h);
	h = head("GET", l2, 0, 0, "?q=1");
	is_str(h, "GET /?q=1 HTTP/1.1\r\nHost: 10.0.0.5:8000\r\n"
	    "Accept: text/event-stream\r\nAccept-Encoding: gzip, deflate\r\n"
	    "\r\n", "GET: the caller's Accept only, no Content-Length");
	free(h);
	h = head("DELETE", l3, 0, 0, "/v1/files/x");
	ok(h == NULL, "a header line with CR LF is refused");
	free(h);
}

int
main(void)
{
	test_urls();
	test_heads();
	return tap_done();
}
