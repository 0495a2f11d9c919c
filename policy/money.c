/* Fixed-point money, budgets and their calendar periods. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "policy/money.h"

int
money_parse(const char *s, size_t len, int64_t *micros)
{
	int64_t whole = 0, frac = 0;
	size_t i = 0, fd = 0;

	if (len == 0 || s[0] < '0' || s[0] > '9')
		return -1;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (whole > (INT64_MAX / MONEY_UNIT - 9) / 10)
			return -1;
		whole = whole * 10 + (s[i] - '0');
	}
	if (i < len && s[i] == '.') {
		i++;
		if (i == len)
			return -1;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (++fd > 6)
				return -1;
			frac = frac * 10 + (s[i] - '0');
		}
	}
	if (i != len)
		return -1;
	for (; fd < 6; fd++)
		frac *= 10;
	*micros = whole * MONEY_UNIT + frac;
	return 0;
}

void
money_format(int64_t micros, char *out, size_t len)
{
	char t[32], frac[7];
	size_t k = 0, n;
	uint64_t m = micros < 0 ? (uint64_t)0 - (uint64_t)micros :
	    (uint64_t)micros, f = m % MONEY_UNIT;

	/* Hand-rolled: this runs several times per request. */
	if (micros < 0)
		t[k++] = '-';
	k += util_fmt_u64(t + k, m / MONEY_UNIT);
	for (int i = 5; i >= 0; i--, f /= 10)
		frac[i] = (char)('0' + f % 10);
	for (n = 6; n > 2 && frac[n - 1] == '0'; n--)
		;
	t[k++] = '.';
	memcpy(t + k, frac, n);
	t[k + n] = '\0';
	util_copy(out, len, t);
}

static const char *const currencies[] = { "EUR", "USD", NULL };
static const char *const periods[] = { "daily", "monthly", "total", NULL };

int
currency_parse(const char *s, size_t len)
{
	for (int i = 0; currencies[i] != NULL; i++)
		if (len == 3 && strncasecmp(s, currencies[i], 3) == 0)
			return i;
	return -1;
}

const char *
currency_name(int currency)
{
	return currency == CUR_USD ? "USD" : "EUR";
}

int
period_parse(const char *s, size_t len)
{
	static const char *const short_names[] = { "day", "month", "total",
		NULL };

	for (int i = 0; periods[i] != NULL; i++)
		if ((strlen(periods[i]) == len &&
		    strncasecmp(s, periods[i], len) == 0) ||
		    (strlen(short_names[i]) == len &&
		    strncasecmp(s, short_names[i], len) == 0))
			return i;
	return -1;
}

const char *
period_name(int period)
{
	return period >= 0 && period <= PERIOD_TOTAL ? periods[period] : "?";
}

int
budget_parse(const char *s, int64_t *micros, int *currency, int *period)
{
	const char *slash = strchr(s, '/'), *c;
	size_t al;

	if (slash == NULL)
		return -1;
	c = s;
	while (c < slash && ((*c >= '0' && *c <= '9') || *c == '.'))
		c++;
	al = (size_t)(c - s);
	while (c < slash && *c == ' ')
		c++;
	if (money_parse(s, al, micros) != 0)
		return -1;
	*currency = currency_parse(c, (size_t)(slash - c));
	*period = period_parse(slash + 1, strlen(slash + 1));
	return *currency < 0 || *period < 0 ? -1 : 0;
}

int
money_cost(int64_t units, int64_t price_per_million, int64_t *out)
{
	__int128 p;

	if (units < 0 || price_per_million < 0)
		return -1;
	p = (__int128)units * price_per_million;
	p = (p + 999999) / 1000000;	/* round up: never undercharge */
	if (p > INT64_MAX)
		return -1;
	*out = (int64_t)p;
	return 0;
}

int
money_scale(int64_t micros, int64_t num, int64_t den, int64_t *out)
{
	__int128 p;

	if (micros < 0 || num < 0 || den <= 0)
		return -1;
	p = ((__int128)micros * num + den - 1) / den;
	if (p > INT64_MAX)
		return -1;
	*out = (int64_t)p;
	return 0;
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
int64_t
money_civil_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

void
period_bounds(int period, int64_t now, int64_t *start, int64_t *end)
{
	int64_t day = now >= 0 ? now / 86400 : (now - 86399) / 86400, y;
	int m;

	switch (period) {
	case PERIOD_DAILY:
		*start = day * 86400;
		*end = *start + 86400;
		return;
	case PERIOD_MONTHLY:
		civil_from_days(day, &y, &m);
		*start = money_civil_days(y, m, 1) * 86400;
		*end = (m == 12 ? money_civil_days(y + 1, 1, 1) :
		    money_civil_days(y, m + 1, 1)) * 86400;
		return;
	default:
		*start = 0;
		*end = INT64_MAX;
	}
}
