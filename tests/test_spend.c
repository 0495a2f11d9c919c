/* Unit tests of the spend arithmetic, the price table and rate limits. */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "common/http.h"
#include "common/jsontext.h"
#include "policy/endpoint.h"
#include "policy/prices.h"
#include "policy/ratelimit.h"
#include "policy/spend.h"
#include "policy/usage.h"
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
    "[model tts]\n"
    "per_million_chars_eur = 10\n"
    "[model ocr-ann]\n"
    "per_page_eur = 0.0035\n"
    "per_annotated_page_eur = 0.00438\n"
    "[upstream local]\n"
    "input_eur = 0.01\n"
    "output_eur = 0.02\n";

static int64_t
cost(const struct rate *r, int64_t p, int64_t c)
{
	struct spend_units u = { p, 0, c, 0, 0, 0 };
	int64_t out = -1;

	if (spend_cost(r, &u, &out) != 0)
		return -1;
	return out;
}

static void
test_prices(void)
{
	struct price_table *t = NULL;
	struct upstream_conf list = { .name = "cloud",
	    .pricing = PRICING_LIST };
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
	memset(&u, 0, sizeof(u));
	u.chars = 1000;
	spend_rate(t, &list, "tts", SPEND_CHARS, CUR_EUR, &r);
	ok(r.ok && spend_cost(&r, &u, &c) == 0 && c == 10000,
	    "speech: 1000 characters at 10 EUR per million");
	spend_rate(t, &list, "big", SPEND_CHARS, CUR_EUR, &r);
	ok(!r.ok, "a token-priced model has no price per character");
	spend_rate(t, &list, "ocr-ann", SPEND_PAGES, CUR_EUR, &r);
	ok(r.ok && r.page == 3500 && r.page_annotated == 4380,
	    "OCR: the annotated page price is kept beside the page price");
	memset(&u, 0, sizeof(u));
	u.prompt = 1000000;
	u.completion = 1000000;
	spend_rate(t, &eu, "big", SPEND_TOKENS, CUR_EUR, &r);
	ok(spend_rate_scale(&r, 500000) == 0 && spend_cost(&r, &u, &c) == 0 &&
	    c == 957000, "batch: half of the regional price");
	ok(spend_rate_scale(&r, -1) != 0 && spend_rate_scale(&r,
	    INT64_MAX) != 0, "batch: an absurd factor is refused");

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
	is_int(cost_of(HTTP_POST, "/v1/audio/speech"), SPEND_CHARS,
	    "speech is charged by characters");
	is_int(cost_of(HTTP_POST, "/v1/batch/jobs"), SPEND_BATCH,
	    "a batch job is charged for its lines");
	is_int(cost_of(HTTP_GET, "/v1/batch/jobs"), SPEND_NONE,
	    "listing batch jobs costs nothing");
	prices_free(t);

	ok(prices_parse("[model a]\ninput_eur = 1\n", &t, err,
	    sizeof(err)) != 0 && strstr(err, "together") != NULL,
	    "input without output refused");
	ok(prices_parse("[model a]\ninput_eur = 1\noutput_eur = 1\n"
	    "[model b]\naliases = a\ninput_eur = 1\noutput_eur = 1\n", &t, err,
	    sizeof(err)) != 0 && strncmp(err, "4:", 2) == 0,
	    "a model priced twice is refused, with its line");
	ok(prices_parse("[model a]\ninput_eur = -1\n", &t, err,
	    sizeof(err)) != 0 && strncmp(err, "2:", 2) == 0,
	    "bad price, line 2");
	ok(prices_parse("[prices]\ncolour = red\n", &t, err, sizeof(err)) != 0,
	    "unknown key refused");
	ok(prices_parse(prices_builtin, &t, err, sizeof(err)) == 0 &&
	    t->priority_factor == 1750000 && t->batch_factor == 500000,
	    "the shipped price table parses, with its priority and batch "
	    "factors");
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
	p.rate[CUR_EUR] = (struct rate){ 1, 1000000, 2000000, 0, 0, 0, 1, 1,
	    0, 0 };
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

	/* n = 4 choices of 125 tokens: a clamp lowers each choice. */
	p.choices = 4;
	p.est.completion = 500;
	avail[0] = 100 + 2 * 4 * 30 + 7;	/* prompt + 30 tokens x 4 */
	refused = spend_plan_fit(&p, avail, cur, 1);
	ok(refused == -1 && p.clamped && p.est.completion == 120 &&
	    p.reserved[CUR_EUR] == 340, "n = 4: clamped to 30 tokens per "
	    "choice, all four reserved");
	p.est.completion = 500;
	avail[0] = 100 + 2 * 4 - 1;	/* not 1 token for each of 4 */
	is_int(spend_plan_fit(&p, avail, cur, 1), 0,
	    "n = 4: no room for one token per choice: refused");
	p.est.completion = 500;
	avail[0] = 100 + 2 * 4;
	ok(spend_plan_fit(&p, avail, cur, 1) == -1 &&
	    p.est.completion == 4 && p.reserved[CUR_EUR] == 108,
	    "n = 4: one token each");
}

static void
test_numbers(void)
{
	static const struct {
		const char *json;
		int rc;
		int64_t v;
	} cases[] = {
		{ "20", 0, 20 }, { "20.0", 0, 20 }, { "2e1", 0, 20 },
		{ "\"20\"", 0, 20 }, { "\" 20 \"", 0, 20 },
		{ "\"20.00\"", 0, 20 }, { "\"+20\"", 0, 20 },
		{ "null", 1, 0 },
		{ "20.5", -1, 0 }, { "\"20.5\"", -1, 0 }, { "\"2e1\"", -1, 0 },
		{ "\"abc\"", -1, 0 }, { "\"\"", -1, 0 }, { "\"0x14\"", -1, 0 },
		{ "true", -1, 0 }, { "[20]", -1, 0 }, { "{}", -1, 0 },
		{ "-1", -1, 0 }, { "0", -1, 0 }, { "21", -1, 0 },
		{ "1e30", -1, 0 }, { "9223372036854775807", -1, 0 },
		{ "\"9223372036854775808\"", -1, 0 },
		{ "\"99999999999999999999\"", -1, 0 },
	};
	int64_t v;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		int rc;

		v = -7;
		rc = j != NULL ? spend_json_count(j, 1, 20, &v) : -9;
		ok(rc == cases[i].rc && (rc != 0 || v == cases[i].v),
		    "n = %s: %s", cases[i].json, cases[i].rc == 0 ? "accepted" :
		    cases[i].rc == 1 ? "absent" : "refused");
		json_decref(j);
	}
	ok(spend_json_count(NULL, 1, 16, &v) == 1, "no value: absent");
	{
		json_t *j = json_string("9223372036854775807");

		ok(spend_json_count(j, 0, INT64_MAX, &v) == 0 &&
		    v == INT64_MAX, "the largest int64, as a string");
		json_decref(j);
		j = json_real(9223372036854775808.0);
		ok(spend_json_count(j, 0, INT64_MAX, &v) == -1,
		    "2^63 as a float is out of range");
		json_decref(j);
	}
	is_int(spend_page_list("0,2-4", 5, 1000), 4, "pages \"0,2-4\": 4");
	is_int(spend_page_list(" 7 ", 3, 1000), 1, "pages \" 7 \": 1");
	is_int(spend_page_list("0-999999999", 11, 1000), 1000,
	    "a huge range counts up to the cap");
	ok(spend_page_list("5-2", 3, 1000) == -1 &&
	    spend_page_list("", 0, 1000) == -1 &&
	    spend_page_list("1,", 2, 1000) == -1 &&
	    spend_page_list("a", 1, 1000) == -1 &&
	    spend_page_list("1-2-3", 5, 1000) == -1 &&
	    spend_page_list("99999999999999999", 17, 1000) == -1,
	    "malformed page lists are refused");
}

/* What an upstream reports, read into a usage. */
static int
usage_of(const char *js, struct usage *u)
{
	json_t *root = jsontext_parse(js, strlen(js), 0, NULL);
	int found;

	usage_init(u);
	found = root != NULL ? usage_from_json(root, u) : -1;
	json_decref(root);
	return found;
}

static void
test_usage_bounds(void)
{
	static const char *const absurd[] = {
		"{\"usage\":{\"prompt_tokens\":9223372036854775807,"
		"\"completion_tokens\":1}}",
		"{\"usage\":{\"prompt_tokens\":-5,\"completion_tokens\":1}}",
		"{\"usage\":{\"prompt_tokens\":1.5,\"completion_tokens\":1}}",
		"{\"usage\":{\"prompt_tokens\":1e30,\"completion_tokens\":1}}",
		"{\"usage\":{\"prompt_tokens\":\"12\","
		"\"completion_tokens\":1}}",
		"{\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":-1}}",
		"{\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2,"
		"\"total_tokens\":1e300}}",
		"{\"usage\":{\"completion_tokens\":3}}",
		"{\"usage\":{}}",
		"{\"usage\":7}",
		"{\"usage_info\":{\"pages_processed\":-1}}",
		"{\"usage\":{\"prompt_audio_seconds\":1000000001}}",
	};
	struct usage u;

	for (size_t i = 0; i < sizeof(absurd) / sizeof(absurd[0]); i++)
		ok(usage_of(absurd[i], &u) == 1 && u.invalid &&
		    u.prompt_tokens == -1 && u.completion_tokens == -1 &&
		    u.total_tokens == -1 && u.pages == -1 &&
		    u.audio_seconds == -1, "usage invalid, no count kept: %s",
		    absurd[i]);
	ok(usage_of("{\"usage\":{\"prompt_tokens\":12,\"completion_tokens\""
	    ":5,\"total_tokens\":17}}", &u) == 1 && !u.invalid &&
	    u.prompt_tokens == 12 && u.completion_tokens == 5 &&
	    u.total_tokens == 17, "a sane usage is read");
	ok(usage_of("{\"usage\":{\"prompt_tokens\":1000000000,"
	    "\"completion_tokens\":0}}", &u) == 1 && !u.invalid &&
	    u.prompt_tokens == USAGE_MAX_COUNT, "the bound itself is sane");
	ok(usage_of("{\"usage\":{\"prompt_tokens\":7}}", &u) == 1 &&
	    !u.invalid && u.completion_tokens == 0, "embeddings: no output");
	ok(usage_of("{\"usage\":null}", &u) == 0 && !u.invalid,
	    "usage null (a stream chunk): not found");
	ok(usage_of("{\"usage_info\":{\"pages_processed\":3}}", &u) == 1 &&
	    u.pages == 3 && !u.invalid, "OCR pages");
	ok(usage_of("{\"usage\":{\"prompt_tokens\":1,\"service_tier\":"
	    "\"priority\"}}", &u) == 1 && u.priority &&
	    usage_of("{\"usage\":{\"prompt_tokens\":1,\"service_tier\":"
	    "\"standard\"}}", &u) == 1 && !u.priority,
	    "the service tier that served a request");
	usage_init(&u);
	{
		json_t *bad = jsontext_parse(absurd[0], strlen(absurd[0]), 0,
		    NULL);
		static const char gs[] = "{\"usage\":{\"prompt_tokens\":3}}";
		json_t *good = jsontext_parse(gs, strlen(gs), 0, NULL);

		usage_from_json(good, &u);
		usage_from_json(bad, &u);
		ok(u.invalid && u.prompt_tokens == -1,
		    "a later absurd usage overrides an earlier one");
		usage_from_json(good, &u);
		ok(!u.invalid && u.prompt_tokens == 3,
		    "and a later sane one overrides that");
		json_decref(bad);
		json_decref(good);
	}
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
	test_numbers();
	test_usage_bounds();
	test_ratelimit();
	return tap_done();
}
