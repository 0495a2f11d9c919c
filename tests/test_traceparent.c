/* gateway/trace: traceparent parsing, sampling by ratio, the span queue;
 * the ratio keys of the configuration. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gateway/config.h"
#include "gateway/config_keys.h"
#include "gateway/trace.h"
#include "tests/tap.h"

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PID "00f067aa0ba902b7"

static int
parses(const char *v)
{
	uint8_t t[16], p[8], f = 9;

	return trace_parse_parent(v, strlen(v), t, p, &f);
}

static void
test_parse(void)
{
	uint8_t t[16], p[8], f = 9;
	char out[TRACEPARENT_SIZE];
	const char *v = "00-" TID "-" PID "-01";

	ok(trace_parse_parent(v, strlen(v), t, p, &f) && f == 1 &&
	    t[0] == 0x4b && t[15] == 0x36 && p[0] == 0x00 && p[7] == 0xb7,
	    "a valid traceparent parses");
	trace_format_parent(t, p, f, out);
	is_str(out, v, "and formats back");
	ok(parses(" \t00-" TID "-" PID "-00 "), "spaces around it are allowed");
	ok(!parses("00-4BF92F3577B34DA6A3CE929D0E0E4736-" PID "-01"),
	    "upper-case hex is refused");
	ok(!parses("00-00000000000000000000000000000000-" PID "-01"),
	    "an all-zero trace id is refused");
	ok(!parses("00-" TID "-0000000000000000-01"),
	    "an all-zero parent id is refused");
	ok(!parses("ff-" TID "-" PID "-01"), "version ff is refused");
	ok(!parses("00-" TID "-" PID "-01-x"), "version 00 with more: refused");
	ok(parses("01-" TID "-" PID "-01-x"), "a later version may have more");
	ok(!parses("01-" TID "-" PID "-01x"), "... after a dash only");
	ok(!parses("00-" TID "_" PID "-01"), "a wrong separator is refused");
	ok(!parses("00-" TID "-" PID "-0g"), "bad flags are refused");
	ok(!parses("00-" TID "-" PID), "a short one is refused");
	ok(!parses(""), "an empty one is refused");
	ok(trace_state_ok("a=1,b=2", 7), "a tracestate passes");
	ok(!trace_state_ok("a=1\n", 4), "a control byte does not");
	ok(!trace_state_ok("", 0), "nor an empty one");
}

static void
test_tracer(void)
{
	struct event_base *base = event_base_new();
	struct tracer_conf c = { "http://127.0.0.1:9", NULL, "eugate", 16,
		1000, 1000 };
	struct trace_ctx tc;
	struct tracer_stats st;
	char err[128];
	struct tracer *t = tracer_new(base, &c, err, sizeof(err));
	const char *parent = "00-" TID "-" PID "-00";
	int n = 0, full = 0;

	ok(t != NULL, "a tracer");
	tracer_start(t, &tc, parent, strlen(parent), "k=v", 3, 1000000);
	ok(tc.on && tc.trace_id[0] == 0x4b && (tc.flags & 1) == 0 &&
	    tc.state != NULL && strcmp(tc.state, "k=v") == 0,
	    "a parent's trace and its unsampled flag win over the ratio");
	trace_ctx_cleanup(&tc);
	for (int i = 0; i < 10000; i++) {
		tracer_start(t, &tc, NULL, 0, NULL, 0, 250000);
		n += tc.flags & 1;
		trace_ctx_cleanup(&tc);
	}
	ok(n > 2200 && n < 2800, "ratio 0.25 samples a quarter (%d)", n);
	tracer_start(t, &tc, "00-xyz", 6, "k=v", 3, 0);
	ok((tc.flags & 1) == 0 && tc.state == NULL &&
	    memcmp(tc.trace_id, "\x4b\xf9\x2f\x35", 4) != 0,
	    "a malformed parent: a new trace, ratio 0 samples nothing");
	for (int i = 0; i < 20; i++) {
		struct span *s = tracer_span_begin(t, &tc, tc.span_id, NULL,
		    SPAN_SERVER, "x", 1, 2);

		if (s == NULL) {
			full++;
			continue;
		}
		span_attr_str(s, "k", "v");
		tracer_span_end(t, s);
	}
	tracer_get_stats(t, &st);
	ok(full == 4 && st.dropped_queue == 4 && st.queued == 16,
	    "past otlp_queue_spans spans are dropped and counted");
	trace_ctx_cleanup(&tc);
	c.endpoint = "ftp://x";
	ok(tracer_new(base, &c, err, sizeof(err)) == NULL &&
	    strstr(err, "otlp_endpoint") != NULL, "an ftp endpoint is refused");
	c.endpoint = "http://x";
	c.headers = "authorization=Bearer secret-token,broken";
	ok(tracer_new(base, &c, err, sizeof(err)) == NULL &&
	    strstr(err, "secret") == NULL, "bad headers are refused, their "
	    "values not echoed");
	tracer_free(t);
	event_base_free(base);
}

static void
test_ratio_key(void)
{
	const struct cfg_key *k = config_keys_find(CFG_SEC_GATEWAY,
	    "otlp_sample_ratio");
	struct config cfg;
	char err[128];
	static const struct {
		const char *v;
		long long ppm;
	} cases[] = { { "0", 0 }, { "1", 1000000 }, { "1.0", 1000000 },
		{ "0.25", 250000 }, { "0.000001", 1 }, { "0.5", 500000 },
		{ "1.5", -1 }, { "2", -1 }, { ".5", -1 }, { "0.", -1 },
		{ "0.0000001", -1 }, { "-0", -1 }, { "0.5x", -1 } };

	ok(k != NULL && k->type == CFG_RATIO, "otlp_sample_ratio is a ratio");
	for (size_t i = 0; k != NULL && i < sizeof(cases) / sizeof(cases[0]);
	    i++) {
		int rc;

		memset(&cfg, 0, sizeof(cfg));
		rc = config_keys_set(k, &cfg, cases[i].v, 0, err, sizeof(err));
		if (cases[i].ppm < 0)
			ok(rc != 0, "ratio '%s' is refused", cases[i].v);
		else
			ok(rc == 0 && (long long)cfg.otlp_sample_ppm ==
			    cases[i].ppm, "ratio '%s' is %lld ppm", cases[i].v,
			    cases[i].ppm);
	}
}

int
main(void)
{
	test_parse();
	test_tracer();
	test_ratio_key();
	return tap_done();
}
