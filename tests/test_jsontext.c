/* jsontext against jansson: the same texts accepted, the same values, the
 * same bytes written, on a table of cases and on 40,000 mutations. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsontext.h"
#include "common/util.h"
#include "tests/tap.h"

/* buf as one printable line (TAP names cannot hold control bytes). */
static const char *
shown(const char *buf, size_t n)
{
	static char out[1024];
	size_t k = 0;

	for (size_t i = 0; i < n && k + 5 < sizeof(out); i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c >= 0x20 && c < 0x7f)
			out[k++] = (char)c;
		else
			k += (size_t)snprintf(out + k, sizeof(out) - k,
			    "\\x%02x", c);
	}
	out[k] = '\0';
	return out;
}

/* jsontext_parse_keys against the whole tree full (NULL: rejected): the
 * same texts accepted, the kept members alike, no other built. */
static const char *
keys_differ(const char *buf, size_t len, json_t *full)
{
	static const char *const keep[] = { "a", "usage", "model", "", NULL };
	json_t *c = jsontext_parse_keys(buf, len, keep, NULL);
	const char *why = NULL;

	if ((c == NULL) != (full == NULL)) {
		why = c == NULL ?
		    "keys: rejected what the whole parse accepts" :
		    "keys: accepted what the whole parse rejects";
	} else if (c != NULL && json_is_object(full)) {
		json_t *want = json_object();

		for (size_t i = 0; keep[i] != NULL; i++)
			if (json_object_get(full, keep[i]) != NULL)
				json_object_set(want, keep[i],
				    json_object_get(full, keep[i]));
		if (!json_equal(c, want))
			why = "keys: other members";
		json_decref(want);
	} else if (c != NULL && !json_equal(c, full)) {
		why = "keys: another array";
	}
	json_decref(c);
	return why;
}

/* NULL when both agree, else what differs. */
static const char *
differs(const char *buf, size_t len, size_t flags)
{
	json_error_t e1, e2;
	json_t *a = json_loadb(buf, len, flags, &e1);
	json_t *b = jsontext_parse(buf, len, flags, &e2);
	const char *why = NULL;

	/* A NUL byte is never valid JSON (RFC 8259); jansson skips one that
	 * follows a number ("[2\0]" loads as [2]). Only there we differ. */
	if (memchr(buf, '\0', len) != NULL) {
		if (b != NULL)
			why = "accepted a NUL byte";
	} else if ((a == NULL) != (b == NULL)) {
		why = a == NULL ? "accepted what jansson rejects" :
		    "rejected what jansson accepts";
	} else if (a != NULL && !json_equal(a, b)) {
		why = "another value";
	} else if (a != NULL) {
		for (int prec = 0; prec <= 15 && why == NULL; prec += 15) {
			char *d1 = json_dumps(a, JSON_COMPACT |
			    JSON_REAL_PRECISION(prec));
			size_t l2 = 0;
			char *d2 = jsontext_dump(a, prec, &l2);

			if ((d1 == NULL) != (d2 == NULL) || (d1 != NULL &&
			    (strcmp(d1, d2) != 0 || strlen(d1) != l2)))
				why = "written differently";
			free(d1);
			free(d2);
		}
	}
	if (why == NULL && flags == 0)
		why = keys_differ(buf, len, b);
	json_decref(a);
	json_decref(b);
	return why;
}

static const char *const cases[] = {
	"{}", "[]", " \t\r\n{ } ", "{\"a\":1}", "[1,2,3]", "[-0]", "[0]",
	"[-1]", "[1.5]", "[-1.5e10]", "[1e400]", "[-1e400]", "[1e-400]",
	"[1E+2]", "[0.1]", "[0.30000000000000004]", "[123456789012345678]",
	"[9223372036854775807]", "[9223372036854775808]",
	"[-9223372036854775808]", "[-9223372036854775809]",
	"[99999999999999999999999]", "[01]", "[1.]", "[.5]", "[1e]", "[1e+]",
	"[-]", "[+1]", "[0x10]", "[1,]", "[,1]", "{\"a\":1,}", "{,}",
	"{\"a\" 1}", "{\"a\":}", "{a:1}", "{\"a\":1 \"b\":2}",
	"[true,false,null]", "[tru]", "[nul]", "[True]", "\"str\"", "1",
	"true", "", " ", "[", "{", "]", "[]]", "{}{}", "[] x",
	"[\"\\u00e9\\u20ac\\ud83d\\ude00\"]",
	"[\"\\ud83d\"]", "[\"\\ude00\"]", "[\"\\ud83dx\"]",
	"[\"\\ud83d\\u0041\"]", "[\"\\u0000\"]", "{\"\\u0000\":1}",
	"[\"a\\u0001b\"]", "[\"\\uZZZZ\"]", "[\"\\u12\"]", "[\"\\x\"]",
	"[\"tab\there\"]", "[\"nl\nhere\"]", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",
	"[\"\xc3\xa9\"]", "[\"\xc3\"]", "[\"\xc0\x80\"]", "[\"\xed\xa0\x80\"]",
	"[\"\xf4\x90\x80\x80\"]", "[\"\xf0\x9f\x98\x80\"]", "[\"\xff\"]",
	"[\"\x7f\"]", "{\"a\":1,\"a\":2}", "{\"b\":[{\"c\":{}}],\"a\":null}",
	"[1.0]", "[100000000000000000000.0]", "[1e21]", "[1.5e-7]", "[5e-324]",
	"[2.2250738585072014e-308]", "[0.1e1]", "[-0.0]", "[1E5]",
	"{\"model\":\"mistral-small-latest\",\"temperature\":0.3,"
	    "\"max_tokens\":64,\"stream\":true}",
	"[\"unterminated", "[\"a\"", "{\"a\":[1,{\"b\":\"c\\\"d\"}]}",
	NULL
};

/* A small deterministic generator for the mutations. */
static uint64_t
next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const char *const seeds[] = {
	"{\"model\":\"mistral-small-latest\",\"messages\":[{\"role\":\"user\","
	    "\"content\":\"Contact <PERSON_ABC123> at jane@example.com \\n "
	    "caf\xc3\xa9 \\u00e9 \\ud83d\\ude00\"}],\"temperature\":0.3,"
	    "\"top_p\":1e-3,\"max_tokens\":64,\"stream\":false,\"stop\":null}",
	"{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
	    "\"a\\\"b\\\\c\\/d\\t\"},\"finish_reason\":null}],\"usage\":"
	    "{\"prompt_tokens\":12,\"total_tokens\":-20,\"x\":[true,false]}}",
	"[1,-2.5E+10,0,-0,[[]],{},{\"\":\"\"},\"\\u001f\\u007f\"]",
	NULL
};

int
main(void)
{
	static const char bytes[] = "{}[]\",:\\u0123456789abcdefABCDEF.-+eE "
	    "\t\ntrunflsx\x00\x1f\x7f\x80\xbf\xc3\xa9\xed\xf0\xff";
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	size_t bad = 0, accepted = 0, runs = 0;
	char first[512] = "";

	for (size_t i = 0; cases[i] != NULL; i++) {
		for (size_t f = 0; f <= JSON_REJECT_DUPLICATES;
		    f += JSON_REJECT_DUPLICATES) {
			const char *why = differs(cases[i], strlen(cases[i]),
			    f);

			ok(why == NULL, "case %zu %s%s: %s", i,
			    shown(cases[i], strlen(cases[i])),
			    f ? " (no duplicates)" : "", why ? why : "same");
		}
	}

	/* Each byte that is not plain ASCII, at each place of a string
	 * read and written 8 bytes at a time: the same as jansson. */
	{
		static const char special[] = "\"\\\x01\x1f\x7f\x80\xc3";
		size_t n_bad = 0;
		char what[256] = "";

		for (size_t k = 0; k < sizeof(special) - 1; k++) {
			for (size_t at = 0; at < 20; at++) {
				char buf[64];
				const char *why;
				size_t n;

				memcpy(buf, "[\"abcdefghijklmnopqrstuvw\"]",
				    27);
				buf[2 + at] = special[k];
				if (special[k] == '\\')	/* an escape */
					buf[3 + at] = 'n';
				if (special[k] == '\xc3')	/* UTF-8 */
					buf[3 + at] = (char)0xa9;
				n = 27;
				why = differs(buf, n, 0);
				if (why != NULL && n_bad++ == 0)
					snprintf(what, sizeof(what), "%s: %s",
					    why, shown(buf, n));
			}
		}
		ok(n_bad == 0, "a special byte at each of 20 places of a "
		    "string: as jansson %s", what);
	}

	/* Mutations: replace, insert, delete or duplicate bytes of a seed. */
	for (size_t s = 0; seeds[s] != NULL; s++) {
		for (int it = 0; it < 13500; it++) {
			char buf[1024];
			size_t n = strlen(seeds[s]);
			int edits = 1 + (int)(next(&rng) % 4);
			const char *why;

			memcpy(buf, seeds[s], n);
			for (int e = 0; e < edits; e++) {
				size_t at = n ? next(&rng) % n : 0;
				char c =
				    bytes[next(&rng) % (sizeof(bytes) - 1)];

				switch (next(&rng) % 4) {
				case 0: buf[at] = c; break;
				case 1:
					if (n + 1 < sizeof(buf)) {
						memmove(buf + at + 1, buf + at,
						    n - at);
						buf[at] = c;
						n++;
					}
					break;
				case 2:
					if (n > 1) {
						memmove(buf + at, buf + at + 1,
						    n - at - 1);
						n--;
					}
					break;
				default:
					n = at + 1;	/* truncate */
				}
			}
			runs++;
			why = differs(buf, n,
			    it % 2 ? JSON_REJECT_DUPLICATES : 0);
			if (why == NULL) {
				json_t *v = json_loadb(buf, n, 0, NULL);

				accepted += v != NULL;
				json_decref(v);
				continue;
			}
			if (bad++ == 0)
				snprintf(first, sizeof(first), "%s: %s", why,
				    shown(buf, n));
		}
	}
	ok(bad == 0, "%zu mutations (%zu valid JSON): %zu differ %s", runs,
	    accepted, bad, first);
	ok(accepted > 1000 && accepted < runs,
	    "the mutations cover valid and invalid texts (%zu of %zu valid)",
	    accepted, runs);

	/* Values built in code: a string that is not UTF-8 is not written. */
	{
		json_t *o = json_object();
		char *d;

		json_object_set_new(o, "k", json_stringn_nocheck("a\xff", 2));
		d = jsontext_dump(o, 0, NULL);
		ok(d == NULL && json_dumps(o, JSON_COMPACT) == NULL,
		    "a string that is not UTF-8 is refused by both");
		free(d);
		json_decref(o);
		o = json_string("x");
		ok(jsontext_dump(o, 0, NULL) == NULL,
		    "a bare string is not a document");
		json_decref(o);
	}
	{
		json_t *j = json_loadb("[2\0]", 4, 0, NULL);

		ok(j != NULL && jsontext_parse("[2\0]", 4, 0, NULL) == NULL,
		    "a NUL byte after a number: jansson skips it, we refuse");
		json_decref(j);
	}
	{
		json_error_t e;
		json_t *v = jsontext_parse("{\"a\":tru}", 9, 0, &e);

		ok(v == NULL && strstr(e.text, "invalid token") != NULL &&
		    e.position == 5, "the error says what and where: %s",
		    e.text);
	}
	/* jsontext_string_setn accepts what json_string_setn accepts and
	 * stores the same bytes: strings of ASCII runs (read eight bytes at
	 * a time) and bytes of every UTF-8 error at each place. */
	{
		static const char *const bits[] = { "abcdefgh", "a", "\xc3\xa9",
		    "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
		    "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
		    "\xf0\x80\x80\xaf", "\xf4\x90\x80\x80", "\xf5\x80",
		    "\xff", "\x80", "\xc3", "\xe2\x82", "\x00", " ", "\x7f",
		    NULL };
		json_t *a = json_string(""), *b = json_string("");
		size_t diff = 0, good = 0, nbits = 0, tries = 20000;

		while (bits[nbits] != NULL)
			nbits++;
		for (size_t t = 0; t < tries; t++) {
			char buf[128];
			size_t n = 0, k = 1 + next(&rng) % 12;
			int ra, rb;

			for (size_t j = 0; j < k; j++) {
				size_t w = next(&rng) % nbits;
				size_t l = w == 17 ? 1 : strlen(bits[w]);

				memcpy(buf + n, bits[w], l);
				n += l;
			}
			ra = jsontext_string_setn(a, buf, n);
			rb = json_string_setn(b, buf, n);
			good += rb == 0;
			if (ra != rb || (ra == 0 && !json_equal(a, b)))
				diff++;
		}
		ok(diff == 0 && good > 1000 && good < tries,
		    "jsontext_string_setn accepts and stores what "
		    "json_string_setn does (%zu of %zu valid, %zu differ)",
		    good, tries, diff);
		ok(jsontext_string_setn(json_true(), "a", 1) == -1,
		    "and refuses a value that is no string");
		json_decref(a);
		json_decref(b);
	}
	/* The formatting helpers the writer and the audit canon use. */
	{
		const uint64_t vals[] = { 0, 7, 10, 99, 1000000, UINT64_MAX };
		char a[32], b[32];
		int same = 1;

		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			size_t n = util_fmt_u64(a, vals[i]);

			snprintf(b, sizeof(b), "%llu",
			    (unsigned long long)vals[i]);
			same &= strcmp(a, b) == 0 && n == strlen(b);
		}
		ok(same, "util_fmt_u64 writes what %%llu writes, 0 to 2^64-1");
		is_int(util_copy(a, 4, "abcdef"), 3, "util_copy truncates");
		is_str(a, "abc", "and terminates");
		is_int(util_copy(a, sizeof(a), ""), 0, "util_copy of empty");
	}
	return tap_done();
}
