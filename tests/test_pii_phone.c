/*
 * Unit tests of the phone detector (policy/pii_phone.c): international
 * numbers valid per libphonenumber without a context word, national ones
 * next to a phone word of any language, in a phone's grouping or valid
 * in a policy's region; dates, decimals, order numbers, identifiers next
 * to their label and "not a phone number" stay.
 */
#include <stdio.h>
#include <string.h>

#include "policy/pii.h"
#include "policy/pii_phone.h"
#include "policy/pii_phonelib.h"
#include "tests/tap.h"

static struct pii_engine *eng;

static const char *
scan(const char *text, const struct pii_regions *regions)
{
	static char out[1024];
	unsigned char en[PII__COUNT];
	struct pii_matches m = { NULL, 0, 0 };
	size_t k = 0;

	memset(en, 0, sizeof(en));
	en[PII_PHONE] = 1;
	out[0] = '\0';
	if (pii_scan_regions(eng, text, strlen(text), en, regions, &m) != 0)
		return "ERROR";
	for (size_t i = 0; i < m.n && k < sizeof(out); i++)
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s[%.*s]",
		    k ? " " : "", (int)(m.v[i].end - m.v[i].start),
		    text + m.v[i].start);
	pii_matches_free(&m);
	return out;
}

static void
test_library(void)
{
	ok(pii_phonelib_valid("+4930123456", 11, "ZZ") == 1,
	    "libphonenumber: +49 30 123456 is valid");
	ok(pii_phonelib_valid("+4900123456", 11, "ZZ") == 0,
	    "libphonenumber: +49 00 123456 is not");
	ok(pii_phonelib_valid("0612345678", 10, "FR") == 1,
	    "libphonenumber: 06 12 34 56 78 is valid in FR");
	ok(pii_phonelib_region_known("GB") && !pii_phonelib_region_known("UK"),
	    "libphonenumber: GB is a region, UK is not");
}

static void
test_scanner(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* International and valid: no word needed. */
		{ "+852-91234567", "[+852-91234567]" },
		{ "see 0049 30 1234567 or", "[0049 30 1234567]" },
		{ "+41 (0)62 585 51 90", "[+41 (0)62 585 51 90]" },
		{ "+1-944-435-4352x04732 mobile", "[+1-944-435-4352x04732]" },
		/* International and invalid: only with a word. */
		{ "+37805496123456", "" },
		{ "call +37805496123456", "[+37805496123456]" },
		/* National: a phone word of any language, before or after. */
		{ "You can reach me on 714789321 after 6pm.", "[714789321]" },
		{ "Puede llamarme al 50226753421.", "[50226753421]" },
		{ "Sie erreichen mich unter 01631234567.", "[01631234567]" },
		{ "Du n\xc3\xa5r mig p\xc3\xa5 46701234567.", "[46701234567]" },
		{ "Potete chiamarmi al numero 370 3175423.", "[370 3175423]" },
		{ "Bel me op 0612345678", "[0612345678]" },
		{ "467 3395 office", "[467 3395]" },
		{ "837.824.1482 ext 63888", "[837.824.1482 ext 63888]" },
		/* Six digits next to a word; none without. */
		{ "Call me back at 123456 please.", "[123456]" },
		{ "They're not answering at 449 4898", "[449 4898]" },
		{ "ref 123456", "" },
		/* Service and emergency numbers: nobody's line. */
		{ "my phone number is 112-4455.", "" },
		{ "call 116 123 any time", "" },
		{ "my phone number is 012-4455.", "[012-4455]" },
		/* A number followed by its extension or by a date. */
		{ "My phone number is +86 20 61302222-8866.",
		  "[+86 20 61302222-8866]" },
		{ "ref +86 20 61302222-8866", "[+86 20 61302222]" },
		{ "Phone (914)349-8600 04/21/2020 12:37",
		  "[(914)349-8600]" },
		/* A phone's grouping. */
		{ "(978)645-9740", "[(978)645-9740]" },
		{ "1-234-567-8901", "[1-234-567-8901]" },
		{ "0161-158-5587", "[0161-158-5587]" },
		{ "06 12 34 56 78", "[06 12 34 56 78]" },
		{ "030/1234567", "[030/1234567]" },
		/* Not phones. */
		{ "714789321", "" },
		{ "Tel. 16/04/2010", "" },
		{ "phone 200.38294427", "" },
		{ "call -2208960000", "" },
		{ "phone 91a-677-0060", "" },
		{ "phone s666666666", "" },
		{ "Formula 45+31-339243873 is not a phone number", "" },
		{ "order 030 1234567", "" },
		{ "autos n\xc2\xb0 0642.13.000862-5", "" },
		{ "Mein Handy, PESEL 44051401359", "" },
		{ "call 1234 5678 9012 3456 7890", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(scan(cases[i].text, NULL), cases[i].want, cases[i].text);
}

static void
test_regions(void)
{
	struct pii_regions r;
	const char *bad;
	char *fr[] = { "fr" }, *two[] = { "DE", "XX" }, *uk[] = { "UK" };

	ok(pii_phone_regions_parse(fr, 1, &r, &bad) == 0 && r.n == 1 &&
	    strcmp(r.code[0], "FR") == 0, "regions: fr is FR");
	ok(pii_phone_regions_parse(two, 2, &r, &bad) != 0 &&
	    strcmp(bad, "XX") == 0, "regions: XX is refused");
	ok(pii_phone_regions_parse(uk, 1, &r, &bad) != 0,
	    "regions: UK is refused (GB is the code)");
	is_str(scan("ref 0612345678", NULL), "",
	    "a bare national number without a region: kept");
	pii_phone_regions_parse(fr, 1, &r, &bad);
	is_str(scan("ref 0612345678", &r), "[0612345678]",
	    "a bare national number valid in the policy's region");
	is_str(scan("ref 061234567", &r), "",
	    "a bare number not valid in the region: kept");
}

int
main(void)
{
	char err[256];

	eng = pii_engine_new(err, sizeof(err));
	if (eng == NULL) {
		printf("not ok 1 - engine: %s\n1..1\n", err);
		return 1;
	}
	test_library();
	test_scanner();
	test_regions();
	pii_engine_free(eng);
	return tap_done();
}
