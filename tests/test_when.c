/* common/when and common/cidr: durations, times, networks. */
#include <arpa/inet.h>
#include <string.h>

#include "common/cidr.h"
#include "common/when.h"
#include "tests/tap.h"

static void
dur(const char *s, long long want, const char *what)
{
	int64_t v = -7;
	int rc = when_parse_duration(s, &v);

	if (want < 0)
		is_int(rc, -1, what);
	else
		ok(rc == 0 && v == want, "%s (%s: %lld)", what, s,
		    (long long)v);
}

static void
at(const char *s, int64_t now, long long want, const char *what)
{
	int64_t v = -7;
	int rc = when_parse_time(s, now, &v);

	if (want < 0)
		is_int(rc, -1, what);
	else
		ok(rc == 0 && v == want, "%s (%s: %lld)", what, s,
		    (long long)v);
}

static int
in(const char *list, const char *addr)
{
	struct cidr nets[CIDR_LIST_MAX];
	unsigned char a[16];
	size_t n, bad;
	int fam = strchr(addr, ':') ? 6 : 4;

	if (cidr_parse_list(list, nets, CIDR_LIST_MAX, &n, &bad) != 0 ||
	    inet_pton(fam == 4 ? AF_INET : AF_INET6, addr, a) != 1)
		return -1;
	return cidr_match(nets, n, fam, a);
}

static void
test_cidr(void)
{
	struct cidr c, many[3];
	char out[64];
	size_t n, bad;

	is_int(in("10.0.0.0/8", "10.200.1.2"), 1,
	    "10.0.0.0/8 holds 10.200.1.2");
	is_int(in("10.0.0.0/8", "11.0.0.1"), 0, "... not 11.0.0.1");
	is_int(in("10.0.0.0/8, 192.168.1.7", "192.168.1.7"), 1,
	    "an address alone is one host (and spaces are ignored)");
	is_int(in("192.168.1.7", "192.168.1.8"), 0, "... only that host");
	is_int(in("2001:db8::/32", "2001:db8:ffff::1"), 1, "IPv6 prefix");
	is_int(in("2001:db8::/32", "2001:db9::1"), 0, "... outside it");
	is_int(in("10.0.0.0/8", "::ffff:10.1.1.1"), 1,
	    "an IPv4-mapped IPv6 address matches its IPv4 network");
	is_int(in("0.0.0.0/0", "8.8.8.8"), 1, "/0 holds every IPv4 address");
	is_int(in("0.0.0.0/0", "2001:db8::1"), 0, "... but no IPv6 one");
	is_int(in("10.128.0.0/9", "10.127.255.255"), 0, "a prefix not on a "
	    "byte boundary: below");
	is_int(in("10.128.0.0/9", "10.128.0.0"), 1, "... inside");
	is_int(cidr_parse("10.1.2.3/8", 10, &c), -1, "host bits set: refused");
	is_int(cidr_parse("10.0.0.0/33", 11, &c), -1, "prefix over 32");
	is_int(cidr_parse("10.0.0.0/", 9, &c), -1, "an empty prefix");
	is_int(cidr_parse("10.0.0.0/08", 11, &c), -1, "a leading zero");
	is_int(cidr_parse("10.0.0/8", 8, &c), -1, "three octets");
	is_int(cidr_parse("example.org", 11, &c), -1, "a name");
	is_int(cidr_parse("::/129", 6, &c), -1, "IPv6 prefix over 128");
	ok(cidr_parse("2001:DB8::/32", 13, &c) == 0 &&
	    cidr_format(&c, out, sizeof(out)) == 0 &&
	    strcmp(out, "2001:db8::/32") == 0, "canonical form: %s", out);
	ok(cidr_parse_list("10.0.0.0/8,,1.2.3.4", many, 3, &n, &bad) == -1 &&
	    bad == 1, "an empty item is refused and named (item %zu)", bad);
	ok(cidr_parse_list("1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8", many, 3,
	    &n, &bad) == -1 && bad == 3, "more than the cap is refused");
	ok(cidr_parse_list("1.0.0.0/8,nope", many, 3, &n, &bad) == -1 &&
	    bad == 1, "the item that does not parse is named");
}

int
main(void)
{
	char buf[32];

	dur("0", 0, "0 is no time");
	dur("90s", 90, "seconds");
	dur("15m", 900, "minutes");
	dur("24h", 86400, "hours");
	dur("30d", 30 * 86400, "days");
	dur("2w", 14 * 86400, "weeks");
	dur("1h30m", 5400, "groups add up");
	dur("", -1, "empty: refused");
	dur("10", -1, "a number without a unit: refused");
	dur("h", -1, "a unit without a number: refused");
	dur("5y", -1, "an unknown unit: refused");
	dur("-5m", -1, "a negative duration: refused");
	dur("99999999999999999999d", -1, "an overflow: refused");
	dur("36600d", 36600LL * 86400, "100 years fit");
	dur("36700d", -1, "more than 100 years: refused");
	at("30d", 1000, 1000 + 30 * 86400, "a duration counts from now");
	at("2027-03-31", 0, 1806451200, "a date is 00:00 UTC");
	at("2027-03-31T12:00:00Z", 0, 1806451200 + 43200, "RFC 3339, UTC");
	at("2027-03-31t12:00:00z", 0, 1806451200 + 43200, "lower-case t, z");
	at("2027-03-31T12:00:00.250Z", 0, 1806451200 + 43200,
	    "fractions are ignored");
	at("2027-03-31T12:00:00+02:00", 0, 1806451200 + 36000,
	    "an offset is applied");
	at("2027-03-31T12:00:00-01:30", 0, 1806451200 + 43200 + 5400,
	    "a negative offset too");
	at("2028-02-29", 0, 1835395200, "a leap day");
	at("2027-02-29", 0, -1, "no leap day in 2027");
	at("2027-04-31", 0, -1, "April has 30 days");
	at("2027-13-01", 0, -1, "month 13");
	at("2027-03-31T24:00:00Z", 0, -1, "hour 24");
	at("2027-03-31T12:00:00", 0, -1, "no zone: refused (ambiguous)");
	at("2027-03-31 12:00:00Z", 0, -1, "a space for T");
	at("31.03.2027", 0, -1, "another date order");
	at("tomorrow", 0, -1, "a word");
	at("1969-12-31", 0, -1, "before 1970");
	ok(when_format(1806451200 + 43200, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "2027-03-31T12:00:00Z") == 0, "formats %s", buf);
	ok(when_format(951782400, buf, sizeof(buf)) == 0 &&
	    strcmp(buf, "2000-02-29T00:00:00Z") == 0, "formats %s", buf);
	is_int(when_format(-1, buf, sizeof(buf)), -1, "no time before 1970");
	test_cidr();
	return tap_done();
}
