/* Durations and points in time as people write them (common/when.h). */
#include <stdio.h>
#include <string.h>

#include "common/when.h"

/* Days from 1970-01-01 to the civil date y-m-d (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
month_days(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Exactly n digits at s, as a number; -1 when they are not. */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
when_parse_duration(const char *s, int64_t *secs)
{
	int64_t total = 0;

	if (strcmp(s, "0") == 0) {
		*secs = 0;
		return 0;
	}
	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		int64_t n = 0, mul;
		int nd = 0;

		for (; *s >= '0' && *s <= '9'; s++, nd++) {
			if (n > WHEN_MAX_DURATION)
				return -1;
			n = n * 10 + (*s - '0');
		}
		switch (*s) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 7 * 86400; break;
		default: return -1;
		}
		if (nd == 0 || n > WHEN_MAX_DURATION / mul)
			return -1;
		total += n * mul;
		if (total > WHEN_MAX_DURATION)
			return -1;
		s++;
	}
	*secs = total;
	return 0;
}

/* "YYYY-MM-DD" at s into days since 1970; -1 when it is not a date. */
static int
parse_date(const char *s, int64_t *days)
{
	int y = digits(s, 4), m = digits(s + 5, 2), d;

	if (y < 1970 || s[4] != '-' || m < 1 || m > 12 || s[7] != '-')
		return -1;
	d = digits(s + 8, 2);
	if (d < 1 || d > month_days(y, m))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

int
when_parse_time(const char *s, int64_t now, int64_t *at)
{
	size_t len = strlen(s);
	int64_t days, t, dur;
	int hh, mm, ss;
	const char *p;

	if (when_parse_duration(s, &dur) == 0) {
		*at = now + dur;
		return *at <= WHEN_MAX_TIME ? 0 : -1;
	}
	if (len < 10 || parse_date(s, &days) != 0)
		return -1;
	t = days * 86400;
	if (len == 10) {
		*at = t;
		return t <= WHEN_MAX_TIME ? 0 : -1;
	}
	if (len < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
	    s[16] != ':')
		return -1;
	hh = digits(s + 11, 2);
	mm = digits(s + 14, 2);
	ss = digits(s + 17, 2);
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
		return -1;
	t += hh * 3600 + mm * 60 + (ss == 60 ? 59 : ss);
	p = s + 19;
	if (*p == '.') {
		if (p[1] < '0' || p[1] > '9')
			return -1;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		*at = t;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int oh = digits(p + 1, 2), om = digits(p + 4, 2);

		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		*at = t + (*p == '+' ? -1 : 1) * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	return *at >= 0 && *at <= WHEN_MAX_TIME ? 0 : -1;
}

int
when_format(int64_t secs, char *out, size_t cap)
{
	int64_t z, era, doe, yoe, doy, mp, y, d, m, sod;

	if (secs < 0 || secs > WHEN_MAX_TIME || cap < 21)
		return -1;
	z = secs / 86400 + 719468;
	sod = secs % 86400;
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(out, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
	    (long long)y, (long long)m, (long long)d, (long long)(sod / 3600),
	    (long long)(sod / 60 % 60), (long long)(sod % 60));
	return 0;
}
