/* Unit tests of fixed-point money, budgets and calendar periods. */
#include <stdint.h>
#include <string.h>

#include "policy/money.h"
#include "tests/tap.h"

static int64_t
parse(const char *s)
{
	int64_t m = -42;

	if (money_parse(s, strlen(s), &m) != 0)
		return -1;
	return m;
}

static const char *
fmt(int64_t m)
{
	static char buf[64];

	money_format(m, buf, sizeof(buf));
	return buf;
}

int
main(void)
{
	int64_t m, s, e;
	int cur, per;

	is_int(parse("100"), 100000000, "whole units");
	is_int(parse("0.1"), 100000, "one tenth");
	is_int(parse("12.345678"), 12345678, "six decimals");
	is_int(parse("0.000001"), 1, "one micro-unit");
	ok(parse("1.0000001") < 0, "seven decimals refused");
	ok(parse("-1") < 0 && parse("+1") < 0 && parse("1e3") < 0 &&
	    parse("1.") < 0 && parse(".5") < 0 && parse("") < 0 &&
	    parse("1,5") < 0, "signs, exponents, bare points, commas refused");
	ok(parse("99999999999999999999") < 0, "too large refused");
	is_str(fmt(100000000), "100.00", "format whole");
	is_str(fmt(12345678), "12.345678", "format micros");
	is_str(fmt(1500000), "1.50", "format trims to two decimals");
	is_str(fmt(-2500000), "-2.50", "format negative");

	/* Summing 0.1 ten thousand times is exact (floats drift). */
	m = 0;
	for (int i = 0; i < 10000; i++)
		m += parse("0.1");
	is_str(fmt(m), "1000.00", "no drift over 10,000 additions");

	ok(budget_parse("100EUR/month", &m, &cur, &per) == 0 &&
	    m == 100 * MONEY_UNIT && cur == CUR_EUR && per == PERIOD_MONTHLY,
	    "100EUR/month");
	ok(budget_parse("5 usd/daily", &m, &cur, &per) == 0 &&
	    m == 5 * MONEY_UNIT && cur == CUR_USD && per == PERIOD_DAILY,
	    "5 usd/daily");
	ok(budget_parse("20.5EUR/total", &m, &cur, &per) == 0 &&
	    m == 20500000 && per == PERIOD_TOTAL, "20.5EUR/total");
	ok(budget_parse("100GBP/month", &m, &cur, &per) != 0 &&
	    budget_parse("100EUR/week", &m, &cur, &per) != 0 &&
	    budget_parse("EUR/month", &m, &cur, &per) != 0 &&
	    budget_parse("100EUR", &m, &cur, &per) != 0,
	    "unknown currency, period, missing parts refused");

	/* 1,234 tokens at 0.44 EUR per million: 542.96 micro -> 543. */
	ok(money_cost(1234, 440000, &m) == 0 && m == 543,
	    "cost rounds up to the micro-unit");
	ok(money_cost(1000000, 440000, &m) == 0 && m == 440000,
	    "a million tokens cost the list price");
	ok(money_cost(0, 440000, &m) == 0 && m == 0, "no tokens, no cost");
	ok(money_cost(INT64_MAX, INT64_MAX, &m) != 0, "overflow detected");
	ok(money_cost(-1, 1, &m) != 0, "negative units refused");
	ok(money_scale(1000, 11, 10, &m) == 0 && m == 1100, "regional x1.1");
	ok(money_scale(1001, 1, 2, &m) == 0 && m == 501,
	    "batch -50 %%, rounded up");

	/* 2026-11-24T21:00:00Z = 1795554000. */
	period_bounds(PERIOD_DAILY, 1795554000, &s, &e);
	ok(s == 1795478400 && e == 1795564800, "daily: UTC midnight to "
	    "midnight");
	period_bounds(PERIOD_MONTHLY, 1795554000, &s, &e);
	ok(s == 1793491200 && e == 1796083200, "monthly: 2026-11-01 to "
	    "2026-12-01");
	period_bounds(PERIOD_MONTHLY, 1796083199, &s, &e);
	ok(e == 1796083200, "the last second of November is in November");
	period_bounds(PERIOD_MONTHLY, 1796083200, &s, &e);
	ok(s == 1796083200 && e == 1798761600, "December to January");
	period_bounds(PERIOD_MONTHLY, 1709164800, &s, &e);
	ok(s == 1706745600 && e == 1709251200, "leap February 2024");
	period_bounds(PERIOD_TOTAL, 1795554000, &s, &e);
	ok(s == 0 && e == INT64_MAX, "total has no end");
	return tap_done();
}
