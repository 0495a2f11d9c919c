/* Unit tests of the endpoint table and the request-target check: every
 * operation of Mistral's spec has a row, no row is made up, and targets
 * that a server could read two ways are refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "policy/endpoint.h"
#include "tests/tap.h"

static int
method_parse(const char *s)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT",
		"PATCH", "DELETE", "OPTIONS" };

	for (int i = 0; i < 7; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* The spec's path with each {param} made a sample id, "#alias" cut. */
static void
sample_path(const char *spec, char *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = spec; *p != '\0' && *p != '#' && n + 8 < cap;
	    p++) {
		if (*p == '{') {
			memcpy(out + n, "id-1", 4);
			n += 4;
			p = strchr(p, '}');
			continue;
		}
		out[n++] = *p;
	}
	out[n] = '\0';
}

/* 1 when two patterns have the same literal segments and parameters in
 * the same places ("{file_id}" and "{file}" are the same). */
static int
same_shape(const char *a, const char *b)
{
	while (*a != '\0' && *a != '#' && *b != '\0') {
		if (*a == '{' && *b == '{') {
			a = strchr(a, '}') + 1;
			b = strchr(b, '}') + 1;
			continue;
		}
		if (*a++ != *b++)
			return 0;
	}
	return (*a == '\0' || *a == '#') && *b == '\0';
}

static int used[1024];

static void
test_spec_coverage(void)
{
	const char *src = getenv("EUGATE_SRCDIR");
	char file[1024], line[512], sample[512];
	unsigned n = 0, missing = 0;
	FILE *f;

	snprintf(file, sizeof(file), "%s/tests/mistral_operations.txt",
	    src ? src : ".");
	f = fopen(file, "r");
	ok(f != NULL, "%s opens", file);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp = strchr(line, ' '), *nl = strchr(line, '\n');
		const struct endpoint *ep;
		int m;

		if (line[0] == '#' || sp == NULL)
			continue;
		if (nl != NULL)
			*nl = '\0';
		*sp = '\0';
		m = method_parse(line);
		sample_path(sp + 1, sample, sizeof(sample));
		n++;
		if (m < 0 || endpoint_find(m, sample, strlen(sample), &ep) !=
		    EP_FOUND || !same_shape(sp + 1, ep->path)) {
			ok(0, "%s %s has a row of the same shape", line,
			    sp + 1);
			missing++;
			continue;
		}
		used[ep - endpoints] = 1;
	}
	fclose(f);
	ok(n >= 280, "the spec lists %u operations", n);
	is_int(missing, 0, "every operation of the spec has a row");
}

/* Rows that the spec does not have, on purpose. */
static int
known_extra(const struct endpoint *ep)
{
	return strncmp(ep->path, "/v1/fine_tuning/jobs", 20) == 0;
}

static void
test_no_made_up_rows(void)
{
	unsigned extra = 0;

	for (size_t i = 0; i < n_endpoints; i++) {
		if (used[i] || known_extra(&endpoints[i]))
			continue;
		ok(0, "row %s is an operation of the spec", endpoints[i].path);
		extra++;
	}
	is_int(extra, 0, "every row is an operation of the spec (or a "
	    "fine-tuning job)");
	for (size_t i = 0; i < n_endpoints; i++) {
		for (size_t j = i + 1; j < n_endpoints; j++) {
			if (endpoints[i].method == endpoints[j].method &&
			    same_shape(endpoints[i].path, endpoints[j].path))
				ok(0, "rows %zu and %zu are the same operation",
				    i, j);
		}
	}
}

static void
test_rows(void)
{
	const struct endpoint *ep;

	is_int(endpoint_find(HTTP_POST, "/v1/chat/completions", 20, &ep),
	    EP_FOUND, "chat is found");
	ok(ep->group == EP_G_INFERENCE && (ep->flags & EP_STATELESS) &&
	    (ep->flags & EP_COMPLETION) && (ep->flags & EP_STREAM),
	    "chat: inference, stateless, a completion, streams");
	is_int(endpoint_find(HTTP_GET, "/v1/chat/completions", 20, &ep),
	    EP_NO_METHOD, "GET chat: the path exists with another method");
	is_int(endpoint_find(HTTP_POST, "/v1/chat/completionsx", 21, &ep),
	    EP_NO_PATH, "a longer path is not found");
	is_int(endpoint_find(HTTP_POST, "/v1/chat/completions/", 21, &ep),
	    EP_NO_PATH, "a trailing slash is not found");
	is_int(endpoint_find(HTTP_POST, "/v1/audio/speech", 16, &ep),
	    EP_FOUND, "speech is found");
	ok(ep->flags & EP_STATELESS, "speech is stateless (ZDR covers it)");
	is_int(endpoint_find(HTTP_GET, "/v1/files/f-1/content", 21, &ep),
	    EP_FOUND, "a file's content is found");
	ok(ep->group == EP_G_FILES && !(ep->flags & EP_STATELESS),
	    "files: not stateless");
	is_int(endpoint_find(HTTP_GET, "/v1/files//content", 18, &ep),
	    EP_NO_PATH, "an empty id matches no row");
	is_int(endpoint_find(HTTP_POST, "/v1/admin/api-keys", 18, &ep),
	    EP_FOUND, "the account's API keys are a row ...");
	is_int(ep->group, EP_G_ADMIN, "... of the admin group");
	is_int(endpoint_find(HTTP_GET, "/metrics", 8, &ep), EP_NO_PATH,
	    "nothing outside /v1/ and /v2/");
	is_int(endpoint_find(HTTP_POST, "/v1/completions", 15, &ep),
	    EP_NO_PATH, "OpenAI's legacy completions are not Mistral's");
	for (int g = 0; g < EP_G__COUNT; g++) {
		const char *name = endpoint_group_name(g);

		is_int(endpoint_group_parse(name, strlen(name)), g, name);
	}
	is_int(endpoint_group_parse("inferenc", 8), -1, "a prefix is no "
	    "group");
}

static void
test_targets(void)
{
	static const struct {
		const char *t;
		int want;
	} v[] = {
		{ "/v1/chat/completions", EP_TARGET_OK },
		{ "/v1/files?page=2&page_size=10", EP_TARGET_OK },
		{ "/v1/files?search=a%20b", EP_TARGET_OK },
		{ "/v1/models/ft:open-mistral-7b:587a6b29:20240514",
		    EP_TARGET_OK },
		{ "/v1/files/", EP_TARGET_OK },	/* left to the table */
		{ "/v1/embeddings/../chat/completions", EP_TARGET_INVALID },
		{ "/v1/embeddings/..", EP_TARGET_INVALID },
		{ "/v1/./chat/completions", EP_TARGET_INVALID },
		{ "/v1/chat/.", EP_TARGET_INVALID },
		{ "/v1/models/x/%2e%2e/metrics", EP_TARGET_INVALID },
		{ "/v1/models/x/%2E%2E/metrics", EP_TARGET_INVALID },
		{ "/v1/models/x/.%2e/metrics", EP_TARGET_INVALID },
		{ "/v1/models%2fx", EP_TARGET_INVALID },
		{ "/v1/models%2Fx", EP_TARGET_INVALID },
		{ "/v1/models%5cx", EP_TARGET_INVALID },
		{ "/v1/models\\..\\x", EP_TARGET_INVALID },
		{ "/v1//chat/completions", EP_TARGET_INVALID },
		{ "//v1/chat/completions", EP_TARGET_INVALID },
		{ "/v1/chat/completions\t", EP_TARGET_INVALID },
		{ "/v1/files/a b", EP_TARGET_INVALID },
		{ "/v1/files/\x01", EP_TARGET_INVALID },
		{ "/v1/files/\x7f", EP_TARGET_INVALID },
		{ "/v1/files/\xc3\xa9", EP_TARGET_INVALID },
		{ "/v1/files#frag", EP_TARGET_INVALID },
		{ "/v1/files?a=#b", EP_TARGET_INVALID },
		{ "/v1/files?a=%zz", EP_TARGET_INVALID },
		{ "/v1/files?a=%2", EP_TARGET_INVALID },
		{ "/v1/files?a= b", EP_TARGET_INVALID },
		{ "v1/files", EP_TARGET_INVALID },
		{ "*", EP_TARGET_INVALID },
		{ "http://evil/v1/files", EP_TARGET_INVALID },
		{ "", EP_TARGET_INVALID },
	};
	struct ep_target t;
	char buf[8200];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int rc = endpoint_target(v[i].t, strlen(v[i].t), 8192, &t);

		ok(rc == v[i].want, "target '%s': %s", v[i].t, v[i].want ==
		    EP_TARGET_OK ? "accepted" : "refused");
	}
	/* A NUL byte inside the target. */
	is_int(endpoint_target("/v1/files/a\0b", 13, 8192, &t),
	    EP_TARGET_INVALID, "a NUL byte is refused");
	ok(endpoint_target("/v1/files?page=2", 16, 8192, &t) == EP_TARGET_OK &&
	    t.path_len == 9 && t.query_len == 6 &&
	    memcmp(t.query, "page=2", 6) == 0, "path and query are split");
	ok(endpoint_target("/v1/files?", 10, 8192, &t) == EP_TARGET_OK &&
	    t.query != NULL && t.query_len == 0, "an empty query is kept");
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "/v1/embeddings/", 15);
	is_int(endpoint_target(buf, 8192, 8192, &t), EP_TARGET_OK,
	    "a target of the longest length is accepted");
	is_int(endpoint_target(buf, 8193, 8192, &t), EP_TARGET_TOO_LONG,
	    "one byte more is too long, never cut");
}

int
main(void)
{
	test_spec_coverage();
	test_no_made_up_rows();
	test_rows();
	test_targets();
	return tap_done();
}
