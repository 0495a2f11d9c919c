/*
 * Unit tests of the detection form (policy/pii_norm.c) and of detection
 * through it: each formatting trick, the exact original bytes a match
 * covers, the no-copy paths, and tokens derived from the form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/keys.h"
#include "policy/pii.h"
#include "policy/pii_norm.h"
#include "policy/pii_vault.h"
#include "tests/tap.h"

static struct pii_engine *eng;
static struct pii_norm *nrm;

/* The detection form of text, or text itself ("=" prefix) when it is
 * its own form. */
static const char *
form(const char *text)
{
	static char out[512];
	struct pii_norm_text t;
	int rc = pii_norm_map(nrm, text, strlen(text), &t);

	if (rc == 0)
		snprintf(out, sizeof(out), "=%s", text);
	else if (rc < 0)
		snprintf(out, sizeof(out), "ERROR");
	else
		snprintf(out, sizeof(out), "%s", t.p);
	if (rc == 1)
		pii_norm_text_free(&t);
	return out;
}

static void
test_form(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "plain jane@example.com", "=plain jane@example.com" },
		{ "caf\xc3\xa9 M\xc3\xbcller Stra\xc3\x9f" "e",
		  "=caf\xc3\xa9 M\xc3\xbcller Stra\xc3\x9f" "e" },
		{ "jo\xe2\x80\x8bhn", "john" },			/* ZWSP */
		{ "jo\xe2\x80\x8chn\xe2\x80\x8d", "john" },	/* ZWNJ, ZWJ */
		/* soft hyphen */
		{ "DE89\xc2\xad" "3704", "DE893704" },
		{ "a\xe2\x81\xa0" "b\xef\xbb\xbf" "c", "abc" },	/* WJ, BOM */
		{ "x\xef\xb8\x8fy", "xy" },			/* VS16 */
		/* fullwidth */
		{ "\xef\xbc\x91\xef\xbc\x92\xef\xbc\xa0", "12@" },
		/* NBSP, narrow NBSP, thin, ideographic space */
		{ "1\xc2\xa0" "2\xe2\x80\xaf" "3\xe2\x80\x89"
		  "4\xe3\x80\x80" "5", "1 2 3 4 5" },
		/* U+2011, U+2013, U+2212, U+FE63, U+FF0D */
		{ "1\xe2\x80\x91" "2\xe2\x80\x93" "3\xe2\x88\x92"
		  "4\xef\xb9\xa3" "5\xef\xbc\x8d" "6", "1-2-3-4-5-6" },
		{ "j\xd0\xbe\xd0\xb0\xd0\xb5\xd1\x80\xd1\x81 \xce\xbf",
		  "joaepc o" },		/* Cyrillic o a e p c, Greek omicron */
		/* Cyrillic and Greek capital I */
		{ "\xd0\x86\xce\x99", "II" },
		/* Arabic-Indic, Devanagari digits */
		{ "\xd9\xa4\xd9\xa9 \xe0\xa5\xa9", "49 3" },
		{ "4\xcc\x81" "2", "42" },	/* combining acute on a digit */
		{ "e\xcc\x81", "\xc3\xa9" },	/* composes */
		{ "\xef\xac\x81le", "file" },	/* ligature fi */
		{ "\xd0\x96\xd0\xb8\xd0\xb2", "=\xd0\x96\xd0\xb8\xd0\xb2" },
		{ "\xe6\x97\xa5\xe6\x9c\xac", "=\xe6\x97\xa5\xe6\x9c\xac" },
		{ "bad \xff byte", "bad ? byte" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(form(cases[i].text), cases[i].want, cases[i].want);
}

/* Every byte of a form maps back to whole code points, in order. */
static void
test_map(void)
{
	const char *t = "a\xe2\x80\x8b" "b\xef\xbc\x91" "c";
	struct pii_norm_text f;
	int ok_map;

	ok(pii_norm_map(nrm, t, strlen(t), &f) == 1 && f.len == 4,
	    "map: a form of 4 bytes");
	ok_map = f.from[0] == 0 && f.to[0] == 1 && f.from[1] == 4 &&
	    f.to[1] == 5 && f.from[2] == 5 && f.to[2] == 8 &&
	    f.from[3] == 8 && f.to[3] == 9;
	ok(ok_map, "map: each byte to its code point (the ZWSP to none)");
	pii_norm_text_free(&f);
}

/* The scanner's match, as original bytes. */
static const char *
found(const char *text)
{
	static char out[512];
	unsigned char en[PII__COUNT];
	struct pii_matches m = { NULL, 0, 0 };
	size_t k = 0;

	memset(en, 1, sizeof(en));
	en[PII_PERSON] = 0;
	out[0] = '\0';
	if (pii_scan(eng, text, strlen(text), en, &m) != 0)
		return "ERROR";
	for (size_t i = 0; i < m.n; i++)
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%s[%zu,%zu)",
		    k ? " " : "", pii_type_name(m.v[i].type), m.v[i].start,
		    m.v[i].end);
	pii_matches_free(&m);
	return out;
}

static void
test_tricks(void)
{
	static const struct {
		const char *name, *text, *want;
	} cases[] = {
		{ "ZWSP inside an e-mail",
		  "to jane.d\xe2\x80\x8boe@example.com!", "EMAIL[3,26)" },
		{ "soft hyphens inside an IBAN",
		  "IBAN DE89\xc2\xad" "3704\xc2\xad" "0044\xc2\xad"
		  "0532\xc2\xad" "0130\xc2\xad" "00", "IBAN[5,37)" },
		{ "fullwidth digits of a phone",
		  "Tel \xef\xbc\x8b\xef\xbc\x94\xef\xbc\x99 "
		  "\xef\xbc\x93\xef\xbc\x90 "
		  "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94"
		  "\xef\xbc\x95\xef\xbc\x96\xef\xbc\x97", "PHONE[4,42)" },
		{ "fullwidth at sign", "jane\xef\xbc\xa0" "example.com",
		  "EMAIL[0,18)" },
		{ "NBSP between IBAN groups",
		  "DE89\xc2\xa0" "3704\xc2\xa0" "0044\xc2\xa0" "0532\xc2\xa0"
		  "0130\xc2\xa0" "00", "IBAN[0,32)" },
		{ "U+2011 in a phone", "call +49\xe2\x80\x91" "30\xe2\x80\x91"
		  "1234567", "PHONE[5,23)" },
		{ "Cyrillic o inside an e-mail", "j\xd0\xbehn@example.com",
		  "EMAIL[0,17)" },
		{ "a letter that is no look-alike", "j\xd0\xb6hn@example.com",
		  "EMAIL[0,17)" },
		{ "ignorables right before and after stay out",
		  "\xe2\x80\x8bjane@example.com\xe2\x80\x8b", "EMAIL[3,19)" },
		{ "an address before non-ASCII text",
		  "jane@example.com\xe6\x97\xa5\xe6\x9c\xac", "EMAIL[0,16)" },
		{ "combining marks on phone digits",
		  "+4\xcc\x81" "9 30 12\xcc\x81" "34567", "PHONE[0,18)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(found(cases[i].text), cases[i].want, cases[i].name);
}

/* pii_apply: nothing of the value remains; the same token as ASCII. */
static void
test_apply(struct keys_hmac *hm)
{
	struct pii_rules rules;
	struct pii_vault v;
	struct pii_buf out = { NULL, 0, 0 }, back = { NULL, 0, 0 };
	const char *t = "a jane@example.com b j\xe2\x80\x8b" "ane\xef\xbc\xa0"
	    "example.com c J\xd0\xb0NE@example.com";
	int ch = 0;

	memset(&rules, 0, sizeof(rules));
	memset(rules.action, PII_ACT_PSEUDONYMIZE, sizeof(rules.action));
	pii_vault_init(&v);
	ok(pii_apply(eng, &v, hm, "t", &rules, t, strlen(t), &out, &ch) == 0 &&
	    ch, "apply: rewritten");
	ok(out.p != NULL && strstr(out.p, "ane") == NULL &&
	    strstr(out.p, "\xe2\x80\x8b") == NULL &&
	    strstr(out.p, "\xef\xbc\xa0") == NULL, "apply: no byte of the "
	    "values remains: %s", out.p ? out.p : "");
	is_int(v.n, 1, "apply: plain, disguised and mixed-script forms of "
	    "one address get one token");
	pii_restore(&v, out.p, 0, out.len, 0, 1, &back);
	ok(back.p != NULL && strncmp(back.p, "a jane@example.com b ", 21) == 0,
	    "restore: the first form's bytes come back: %s",
	    back.p ? back.p : "");
	pii_buf_free(&out);
	pii_buf_free(&back);
	pii_vault_cleanup(&v);
}

int
main(void)
{
	char err[256];
	unsigned char secret[32];
	struct keys_hmac *hm;

	memset(secret, 5, sizeof(secret));
	nrm = pii_norm_new(err, sizeof(err));
	eng = pii_engine_new(err, sizeof(err));
	hm = keys_hmac_new(secret, sizeof(secret));
	ok(nrm != NULL && eng != NULL, "tables built (%s)", nrm && eng ? "ok" :
	    err);
	if (nrm == NULL || eng == NULL)
		return tap_done();
	test_form();
	test_map();
	test_tricks();
	test_apply(hm);
	pii_norm_free(nrm);
	pii_engine_free(eng);
	keys_hmac_free(hm);
	return tap_done();
}
