/* Unit tests of the spend arithmetic, the price table and rate limits. */
#include <stdint.h>
#include <string.h>

#include "common/http.h"
#include "policy/endpoint.h"
#include "policy/prices.h"
#include "policy/ratelimit.h"
#include "policy/spend.h"
#include "tests/tap.h"

/* The cost kind of an operation's row. */
static int
cost_of(int method, const char *path)
{
	const struct endpoint *ep;

	if (endpoint_find(method, path, strlen(path), &ep) != EP_FOUND)
		return -1;
	return ep->cost;
}

static const char table[] =
    "[prices]\n"
    "regional_factor = 1.1\n"
    "cached_input_factor = 0.1\n"
    "[model big]\n"
    "aliases = big-2512, big-latest\n"
    "input_eur = 0.44\n"
    "output_eur = 1.30\n"
    "context = 256000\n"
    "[model ocr]\n"
    "per_page_eur = 0.0035\n"
    "[model stt]\n"
    "per_minute_eur = 0.0026\n"
    "[upstream local]\n"
    "input_eur = 0.01\n"
    "output_eur = 0.02\n";

static int64_t
cost(const struct rate *r, int64_t p, int64_t c)
{
	struct spend_units u = { p, 0, c, 0, 0 };
	int64_t out = -1;

	if (spend_cost(r, &u, &out) != 0)
		return -1;
	return out;
}

static void
test_prices(void)
{
	struct price_table *t = NULL;
	struct upstream_conf list = { .name = "cloud", .pricing = PRICING_LIST };
	struct upstream_conf eu = { .name = "eu", .pricing = PRICING_REGIONAL };
	struct upstream_conf own = { .name = "local", .pricing = PRICING_OWN };
	struct upstream_conf free_up = { .name = "x", .pricing = PRICING_FREE };
	struct rate r;
	struct spend_units u;
	char err[256];
	int64_t c;

	ok(prices_parse(table, &t, err, sizeof(err)) == 0, "table parses");
	if (t == NULL)
		return;
	ok(prices_model(t, "big-latest") == prices_model(t, "big") &&
	    prices_model(t, "big") != NULL, "aliases find the model");
	ok(prices_model(t, "small") == NULL, "unknown model: no price");

	spend_rate(t, &list, "big", SPEND_TOKENS, CUR_EUR, &r);
	ok(r.ok, "list price in EUR");
	/* 1M in + 1M out = 0.44 + 1.30 EUR, exactly. */
	is_int(cost(&r, 1000000, 1000000), 1740000, "1M + 1M tokens exact");
	/* 1 input token = 0.44 micro-EUR: rounded up, never down. */
	is_int(cost(&r, 1, 0), 1, "a fraction of a micro-unit rounds up");
	/* Only the total is rounded: 10 x 0.44 = 4.4 -> 5, not 10 x 1. */
	is_int(cost(&r, 10, 0), 5, "one rounding per request, not per token");
	ok(cost(&r, INT64_MAX, INT64_MAX) == -1 &&
	    cost(&r, 1000000000001LL, 0) == -1,
	    "absurd usage (from an upstream) is an error, not an overflow");
	spend_rate(t, &list, "big", SPEND_TOKENS, CUR_USD, &r);
	ok(!r.ok, "no USD price: not priced, never free");

	spend_rate(t, &eu, "big", SPEND_TOKENS, CUR_EUR, &r);
	is_int(cost(&r, 1000000, 1000000), 1914000, "regional x1.1");
	memset(&u, 0, sizeof(u));
	u.prompt = 1000000;
	u.cached = 1000000;
	spend_rate(t, &list, "big", SPEND_TOKENS, CUR_EUR, &r);
	ok(spend_cost(&r, &u, &c) == 0 && c == 44000,
	    "cached input at a tenth of the input price");

	spend_rate(t, &own, "anything", SPEND_TOKENS, CUR_EUR, &r);
	is_int(cost(&r, 1000000, 1000000), 30000, "self-hosted own price");
	spend_rate(t, &free_up, "anything", SPEND_TOKENS, CUR_USD, &r);
	ok(r.ok && cost(&r, 1000000, 1000000) == 0, "pricing = free");

	memset(&u, 0, sizeof(u));
	u.pages = 1000;
	spend_rate(t, &list, "ocr", SPEND_PAGES, CUR_EUR, &r);
	ok(r.ok && spend_cost(&r, &u, &c) == 0 && c == 3500000,
	    "OCR: 1000 pages at 3.50 EUR");
	memset(&u, 0, sizeof(u));
	u.audio_seconds = 90;
	spend_rate(t, &list, "stt", SPEND_AUDIO, CUR_EUR, &r);
	ok(r.ok && spend_cost(&r, &u, &c) == 0 && c == 3900,
	    "audio: 90 s at 0.0026 EUR per minute");
	spend_rate(t, &list, "big", SPEND_AUDIO, CUR_EUR, &r);
	ok(!r.ok, "a token-priced model has no audio price");

	is_int(cost_of(HTTP_POST, "/v1/chat/completions"), SPEND_TOKENS,
	    "chat kind");
	is_int(cost_of(HTTP_POST, "/v1/embeddings"), SPEND_INPUT,
	    "embeddings kind");
	is_int(cost_of(HTTP_POST, "/v1/files"), SPEND_NONE,
	    "files cost nothing");
	is_int(cost_of(HTTP_POST, "/v1/conversations/abc"), SPEND_TOKENS,
	    "conversation append");
	is_int(cost_of(HTTP_GET, "/v1/conversations/abc"), SPEND_NONE,
	    "reading a conversation costs nothing");
	prices_free(t);

	ok(prices_parse("[model a]\ninput_eur = 1\n", &t, err,
	    sizeof(err)) != 0 && strstr(err, "together") != NULL,
	    "input without output refused");
	ok(prices_parse("[model a]\ninput_eur = 1\noutput_eur = 1\n"
	    "[model b]\naliases = a\ninput_eur = 1\noutput_eur = 1\n", &t, err,
	    sizeof(err)) != 0 && strncmp(err, "4:", 2) == 0,
	    "a model priced twice is refused, with its line");
	ok(prices_parse("[model a]\ninput_eur = -1\n", &t, err,
	    sizeof(err)) != 0 && strncmp(err, "2:", 2) == 0, "bad price, line 2");
	ok(prices_parse("[prices]\ncolour = red\n", &t, err, sizeof(err)) != 0,
	    "unknown key refused");
	ok(prices_parse(prices_builtin, &t, err, sizeof(err)) == 0,
	    "the shipped price table parses");
	prices_free(t);
}

static void
test_plan(void)
{
	struct spend_plan p;
	int64_t avail[2];
	int cur[2] = { CUR_EUR, CUR_EUR };
	int refused;

	memset(&p, 0, sizeof(p));
	p.rate[CUR_EUR] = (struct rate){ 1, 1000000, 2000000, 0, 0, 0, 1, 1 };
	p.est.prompt = 100;		/* 100 micro-units */
	p.est.completion = 500;		/* 1000 micro-units */
	avail[0] = 1100;
	refused = spend_plan_fit(&p, avail, cur, 1);
	ok(refused == -1 && p.reserved[CUR_EUR] == 1100 && !p.clamped,
	    "fits exactly");
	ok(p.reserved[CUR_USD] == -1, "no USD rate: not reserved in USD");

	avail[0] = 1099;
	refused = spend_plan_fit(&p, avail, cur, 1);
	is_int(refused, 0, "one micro-unit short: refused without clamping");

	p.clamp = 1;
	avail[0] = 700;
	avail[1] = 400;
	refused = spend_plan_fit(&p, avail, cur, 2);
	ok(refused == -1 && p.clamped && p.est.completion == 150 &&
	    p.reserved[CUR_EUR] == 400,
	    "clamped to what the tightest budget allows");
	p.est.completion = 500;
	avail[1] = 100;
	refused = spend_plan_fit(&p, avail, cur, 2);
	is_int(refused, 1, "the prompt alone does not fit: refused");
	avail[1] = 101;
	p.est.completion = 500;
	refused = spend_plan_fit(&p, avail, cur, 2);
	is_int(refused, 1, "no room for one output token: refused");
	p.est.completion = 500;
	avail[1] = 102;
	refused = spend_plan_fit(&p, avail, cur, 2);
	ok(refused == -1 && p.est.completion == 1, "room for one token");
	avail[0] = -5;
	p.est.completion = 500;
	is_int(spend_plan_fit(&p, avail, cur, 1), 0,
	    "an overdrawn budget refuses");
}

static void
test_ratelimit(void)
{
	struct ratelimit *rl = ratelimit_new();
	struct rl_subject s[2] = { { "k:a", 2, 0 }, { "t:x", 0, 100 } };
	struct rl_status st;
	uint64_t t = 1000000000;

	ok(ratelimit_take(rl, s, 2, t, &st) == 0 && st.remaining_req == 1 &&
	    st.limit_req == 2 && st.limit_tok == 100, "first request");
	ok(ratelimit_take(rl, s, 2, t, &st) == 0, "second request");
	ok(ratelimit_take(rl, s, 2, t, &st) != 0 && st.retry_after_s == 31 &&
	    !st.refused_tokens, "third in the same instant: wait 30 s");
	ok(ratelimit_take(rl, s, 2, t + 30000000, &st) == 0,
	    "one request back after 30 s");
	ratelimit_charge(rl, s, 2, 150, t + 30000000);
	ok(ratelimit_take(rl, s, 2, t + 60000000, &st) != 0 &&
	    st.refused_tokens, "150 tokens of 100/min: 30 s later still "
	    "nothing left");
	ok(ratelimit_take(rl, s, 2, t + 62000000, &st) == 0,
	    "and free again once one token is back");
	ratelimit_charge(rl, s, 2, 1000000, t + 62000000);
	ok(ratelimit_take(rl, s, 2, t + 121000000, &st) != 0,
	    "a huge answer: a minute of debt");
	ok(ratelimit_take(rl, s, 2, t + 123000000, &st) == 0,
	    "but not more than a minute");
	ratelimit_free(rl);
}

int
main(void)
{
	test_prices();
	test_plan();
	test_ratelimit();
	return tap_done();
}
