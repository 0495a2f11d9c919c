/* Unit tests of SSE framing, usage extraction, routing and translation. */
#include <stdlib.h>
#include <string.h>

#include "policy/translate.h"
#include "policy/usage.h"
#include "tests/tap.h"

static const char stream[] =
    "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
    ": a comment\r\n\r\n"
    "event: message.output.delta\r\ndata: {\"x\":1}\r\n\r\n"
    "data: {\"choices\":[{\"finish_reason\":\"stop\"}],\"usage\":"
    "{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\r\r"
    "data: [DONE]\n\n";

/* Frames the stream fed in pieces of step bytes; returns event count. */
static int
frame(size_t step, char events[][512], struct usage *u)
{
	struct sse s;
	size_t off = 0, len = strlen(stream), n;
	int count = 0;

	sse_init(&s, 4096);
	usage_init(u);
	while (off < len) {
		size_t k = len - off < step ? len - off : step;

		if (sse_feed(&s, stream + off, k) != 0)
			return -1;
		off += k;
		while ((n = sse_next(&s)) > 0) {
			memcpy(events[count], s.buf, n);
			events[count][n] = '\0';
			usage_from_event(s.buf, n, u);
			count++;
			sse_consume(&s, n);
		}
	}
	sse_cleanup(&s);
	return count;
}

static void
test_sse(void)
{
	char whole[8][512], part[8][512];
	struct usage u;
	int n = frame(strlen(stream), whole, &u), same = 1;

	is_int(n, 5, "five events in the stream");
	is_int(u.prompt_tokens, 12, "usage prompt tokens from the stream");
	is_int(u.completion_tokens, 3, "usage completion tokens");
	ok(strncmp(whole[4], "data: [DONE]", 12) == 0, "[DONE] is the last");
	for (size_t step = 1; step < 40; step++) {
		if (frame(step, part, &u) != n) {
			same = 0;
			break;
		}
		for (int i = 0; i < n; i++)
			if (strcmp(whole[i], part[i]) != 0)
				same = 0;
	}
	ok(same, "framing does not depend on how bytes are split");
	{
		struct sse s;
		char big[3000];

		memset(big, 'x', sizeof(big));
		sse_init(&s, 1024);
		ok(sse_feed(&s, big, sizeof(big)) == 0 && sse_next(&s) == 0 &&
		    sse_overflow(&s), "an event over the cap is detected");
		sse_cleanup(&s);
	}
	{
		char *d = NULL;
		long l = sse_event_data("event: x\ndata: a\ndata:b\n\n", 24,
		    &d);

		ok(l == 3 && memcmp(d, "a\nb", 3) == 0,
		    "multi-line data joined");
		free(d);
	}
}

static char emitted[4][512];
static int n_emitted;

static void
collect(void *arg, const char *ev, size_t len)
{
	memcpy(emitted[n_emitted], ev, len);
	emitted[n_emitted][len] = '\0';
	n_emitted++;
}

static void
test_fold(void)
{
	struct sse_fold f = { NULL, 0 };
	static const char fin[] = "data: {\"id\":\"a\",\"choices\":[{"
	    "\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
	static const char use[] = "data: {\"id\":\"\",\"choices\":[],\"usage\":"
	    "{\"prompt_tokens\":4,\"completion_tokens\":2,"
	    "\"total_tokens\":6}}\n\n";
	static const char mid[] = "data: {\"choices\":[{\"delta\":{\"content\":"
	    "\"x\"},\"finish_reason\":null}]}\n\n";
	struct usage u;

	n_emitted = 0;
	sse_fold_event(&f, mid, strlen(mid), collect, NULL);
	sse_fold_event(&f, fin, strlen(fin), collect, NULL);
	is_int(n_emitted, 1, "the finish chunk is held");
	sse_fold_event(&f, use, strlen(use), collect, NULL);
	is_int(n_emitted, 2, "the usage chunk is folded into it");
	usage_init(&u);
	ok(usage_from_event(emitted[1], strlen(emitted[1]), &u) &&
	    u.prompt_tokens == 4 && u.completion_tokens == 2,
	    "the folded chunk carries usage");
	ok(strstr(emitted[1], "\"finish_reason\":\"stop\"") != NULL &&
	    strstr(emitted[1], "\"choices\":[]") == NULL,
	    "Mistral shape: usage on the finish chunk, no empty choices");
	sse_fold_event(&f, fin, strlen(fin), collect, NULL);
	sse_fold_flush(&f, collect, NULL);
	is_int(n_emitted, 3, "a held chunk is flushed at the end");
	sse_fold_cleanup(&f);
}

/* The row of "METHOD /path"; aborts when there is none. */
static const struct endpoint *
op(const char *method_path)
{
	static const char *const names[] = { "GET", "HEAD", "POST", "PUT",
		"PATCH", "DELETE", "OPTIONS" };
	const char *path = strchr(method_path, ' ') + 1;
	const struct endpoint *ep = NULL;

	for (int m = 0; m < 7; m++)
		if (strncmp(method_path, names[m], strlen(names[m])) == 0 &&
		    method_path[strlen(names[m])] == ' ')
			endpoint_find(m, path, strlen(path), &ep);
	if (ep == NULL)
		abort();
	return ep;
}

static void
test_translate(void)
{
	json_t *b = json_pack("{s:s, s:b, s:i, s:s, s:{s:b}, s:i}", "model",
	    "m", "stream", 1, "seed", 4, "user", "u1", "stream_options",
	    "include_usage", 1, "max_completion_tokens", 9);
	int fold = 0;

	ok(translate_request(UPSTREAM_MISTRAL,
	    op("POST /v1/chat/completions"), b, &fold) == 1,
	    "mistral translation changes the body");
	ok(json_object_get(b, "stream_options") == NULL &&
	    json_object_get(b, "user") == NULL, "OpenAI-only fields stripped");
	is_int(json_integer_value(json_object_get(b, "random_seed")), 4,
	    "seed -> random_seed");
	is_int(json_integer_value(json_object_get(b, "max_tokens")), 9,
	    "max_completion_tokens -> max_tokens");
	json_decref(b);

	b = json_pack("{s:s, s:b, s:i}", "model", "m", "stream", 1,
	    "random_seed", 3);
	translate_request(UPSTREAM_OPENAI, op("POST /v1/chat/completions"), b,
	    &fold);
	is_int(json_integer_value(json_object_get(b, "seed")), 3,
	    "random_seed -> seed");
	ok(json_is_true(json_object_get(json_object_get(b, "stream_options"),
	    "include_usage")) && fold == 1, "usage injected and folded");
	json_decref(b);

	b = json_pack("{s:s, s:s}", "model", "m", "store", "x");
	ok(translate_request(UPSTREAM_MISTRAL, op("POST /v1/conversations"), b,
	    &fold) ==
	    0 && json_object_get(b, "store") != NULL,
	    "other endpoints are left alone");
	json_decref(b);
	ok(translate_supported(UPSTREAM_OPENAI,
	    op("POST /v1/chat/completions")) &&
	    !translate_supported(UPSTREAM_OPENAI,
	    op("POST /v1/fim/completions")) &&
	    !translate_supported(UPSTREAM_OPENAI, op("GET /v1/files")) &&
	    translate_supported(UPSTREAM_MISTRAL, op("GET /v1/files")),
	    "endpoints by backend kind");
}

int
main(void)
{
	test_sse();
	test_fold();
	test_translate();
	return tap_done();
}
