/*
 * Money without floating point: amounts are int64 micro-units (10^-6 of a
 * euro or dollar), parsed from and printed as decimal strings, and costs
 * are computed as tokens x price per million tokens, rounded up to the
 * micro-unit, with overflow checks. Budget periods are calendar periods
 * in UTC, computed from a clock the caller passes (tests inject it).
 */
#ifndef POLICY_MONEY_H
#define POLICY_MONEY_H

#include <stddef.h>
#include <stdint.h>

#define MONEY_UNIT 1000000LL	/* micro-units per currency unit */

enum currency { CUR_EUR, CUR_USD, CUR__COUNT };
enum period { PERIOD_DAILY, PERIOD_MONTHLY, PERIOD_TOTAL };

/* A budget: limit in micro-units (-1: none), currency, period. */
struct budget {
	int64_t limit;
	int currency;		/* enum currency */
	int period;		/* enum period */
};

/*
 * Parses "12", "12.5", "0.000001" (at most 6 decimals, no sign, no
 * exponent) into micro-units. Returns 0, or -1 when malformed or too
 * large.
 */
int money_parse(const char *s, size_t len, int64_t *micros);
/* Writes "12.50" (at least 2 decimals, trailing zeros trimmed). */
void money_format(int64_t micros, char *out, size_t len);

int currency_parse(const char *s, size_t len);	/* -1 if unknown */
const char *currency_name(int currency);
int period_parse(const char *s, size_t len);	/* -1 if unknown */
const char *period_name(int period);

/*
 * Parses a budget "100EUR/month", "5 USD/day", "20EUR/total" (also
 * "monthly", "daily"). Returns 0 or -1.
 */
int budget_parse(const char *s, int64_t *micros, int *currency, int *period);

/* units x price_per_million (micro-units), rounded up; -1 on overflow. */
int money_cost(int64_t units, int64_t price_per_million, int64_t *out);
/* micros x num / den, rounded up (x1.1 = 11/10, -50 % = 1/2); -1 on
 * overflow. */
int money_scale(int64_t micros, int64_t num, int64_t den, int64_t *out);

/* Days since 1970-01-01 of the date y-m-d (proleptic Gregorian). */
int64_t money_civil_days(int64_t y, int m, int d);

/*
 * The calendar period that holds now (Unix seconds, UTC): [*start, *end).
 * PERIOD_TOTAL is [0, INT64_MAX).
 */
void period_bounds(int period, int64_t now, int64_t *start, int64_t *end);

#endif
