/* JSON text <-> jansson values: a strict parser and a compact writer. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsontext.h"
#include "common/util.h"

#define MAX_DEPTH 2048		/* jansson's JSON_PARSER_MAX_DEPTH */

struct parser {
	const char *p, *end, *start;
	size_t flags;
	int depth;
	char *scratch;		/* decoded strings with escapes */
	size_t scratch_cap;
	const char *why;
	const char *const *keep;	/* jsontext_parse_keys: the top-level
					 * members built; NULL: all */
};

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && is_ws(*ps->p))
		ps->p++;
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* The high bit of each byte of v that is zero (exact as to whether any
 * is). */
static inline uint64_t
zero_bytes(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

/*
 * Whether the 8 bytes at p are all printable ASCII other than '"' and
 * '\\' (bytes a string holds and writes as they are): strings are
 * mostly such runs, read a word at a time instead of a byte.
 */
static inline int
plain8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return ((w | ((w - ONES * 0x20) & ~w) | zero_bytes(w ^ ONES * '"') |
	    zero_bytes(w ^ ONES * '\\')) & HIGHS) == 0;
}

static json_t *
fail(struct parser *ps, const char *why)
{
	if (ps->why == NULL)
		ps->why = why;
	return NULL;
}

/* Length of the UTF-8 character at s (n bytes left), 0 when invalid
 * (overlong, surrogate, above U+10FFFF, truncated). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xC2)
		return 0;
	k = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : s[0] < 0xF5 ? 4 : 0;
	if (k == 0 || k > n)
		return 0;
	cp = s[0] & (0xFF >> (k + 1));
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return k;
}

static int
hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * Reads a string (ps->p just past the opening quote). Without escapes the
 * value points into the input; with them, into ps->scratch.
 */
static int
parse_string(struct parser *ps, const char **out, size_t *outlen)
{
	const char *s = ps->p;
	char *o;

	while (ps->p < ps->end) {
		unsigned char c;

		if (ps->end - ps->p >= 8 && plain8(ps->p)) {
			ps->p += 8;
			continue;
		}
		c = (unsigned char)*ps->p;
		if (c == '"') {
			*out = s;
			*outlen = (size_t)(ps->p - s);
			ps->p++;
			return 0;
		}
		if (c == '\\')
			break;
		if (c < 0x20)
			return fail(ps, "control character in string"), -1;
		if (c < 0x80) {
			ps->p++;
		} else {
			size_t k = utf8_len((const unsigned char *)ps->p,
			    (size_t)(ps->end - ps->p));

			if (k == 0)
				return fail(ps, "invalid UTF-8 in string"), -1;
			ps->p += k;
		}
	}
	if (ps->p >= ps->end)
		return fail(ps, "premature end of input in string"), -1;
	/* Escapes: decode into scratch (never longer than the input). */
	if (ps->scratch_cap < (size_t)(ps->end - s)) {
		char *n = realloc(ps->scratch, (size_t)(ps->end - s));

		if (n == NULL)
			return fail(ps, "out of memory"), -1;
		ps->scratch = n;
		ps->scratch_cap = (size_t)(ps->end - s);
	}
	memcpy(ps->scratch, s, (size_t)(ps->p - s));
	o = ps->scratch + (ps->p - s);
	while (ps->p < ps->end) {
		unsigned char c = (unsigned char)*ps->p;
		uint32_t cp, lo;

		if (c == '"') {
			*out = ps->scratch;
			*outlen = (size_t)(o - ps->scratch);
			ps->p++;
			return 0;
		}
		if (c < 0x20)
			return fail(ps, "control character in string"), -1;
		if (c >= 0x80) {
			size_t k = utf8_len((const unsigned char *)ps->p,
			    (size_t)(ps->end - ps->p));

			if (k == 0)
				return fail(ps, "invalid UTF-8 in string"), -1;
			memcpy(o, ps->p, k);
			o += k;
			ps->p += k;
			continue;
		}
		if (c != '\\') {
			*o++ = (char)c;
			ps->p++;
			continue;
		}
		if (ps->end - ps->p < 2)
			break;
		switch (ps->p[1]) {
		case '"': case '\\': case '/':
			*o++ = ps->p[1];
			break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp) != 0)
				return fail(ps, "invalid \\u escape"), -1;
			ps->p += 4;
			if (cp == 0)
				return fail(ps, "\\u0000 is not allowed"), -1;
			if (cp >= 0xDC00 && cp <= 0xDFFF)
				return fail(ps, "lone low surrogate"), -1;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (ps->end - ps->p < 8 || ps->p[2] != '\\' ||
				    ps->p[3] != 'u' ||
				    hex4(ps->p + 4, &lo) != 0 ||
				    lo < 0xDC00 || lo > 0xDFFF)
					return fail(ps,
					    "lone high surrogate"), -1;
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				    (lo - 0xDC00);
				ps->p += 6;
			}
			o += put_utf8(o, cp);
			break;
		default:
			return fail(ps, "invalid escape"), -1;
		}
		ps->p += 2;
	}
	return fail(ps, "premature end of input in string"), -1;
}

static json_t *
parse_number(struct parser *ps)
{
	const char *s = ps->p;
	int real = 0, neg = 0;
	uint64_t v = 0;
	int overflow = 0;

	if (ps->p < ps->end && *ps->p == '-') {
		neg = 1;
		ps->p++;
	}
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
		return fail(ps, "invalid token");
	if (*ps->p == '0' && ps->p + 1 < ps->end && ps->p[1] >= '0' &&
	    ps->p[1] <= '9')
		return fail(ps, "invalid token");
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
		unsigned d = (unsigned)(*ps->p - '0');

		if (v > (UINT64_MAX - d) / 10)
			overflow = 1;
		else
			v = v * 10 + d;
		ps->p++;
	}
	if (ps->p < ps->end && *ps->p == '.') {
		real = 1;
		ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "invalid token");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		real = 1;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
			return fail(ps, "invalid token");
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (!real) {
		if (overflow || v > (uint64_t)INT64_MAX + (uint64_t)neg)
			return fail(ps, neg ? "too big negative integer" :
			    "too big integer");
		return json_integer(neg ? (json_int_t)(0 - v) : (json_int_t)v);
	} else {
		size_t n = (size_t)(ps->p - s);
		char small[64], *buf = n < sizeof(small) ? small :
		    malloc(n + 1);
		double d;

		if (buf == NULL)
			return fail(ps, "out of memory");
		memcpy(buf, s, n);
		buf[n] = '\0';
		errno = 0;
		d = strtod(buf, NULL);
		if (buf != small)
			free(buf);
		if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
			return fail(ps, "real number overflow");
		return json_real(d);
	}
}

static json_t *parse_value(struct parser *ps);

/* One "key": value pair into obj (ps->p just past the key's quote). */
static int
parse_member(struct parser *ps, json_t *obj)
{
	const char *k;
	size_t kl;
	char small[128], *key;
	json_t *v = NULL;
	int rc = -1;

	if (parse_string(ps, &k, &kl) != 0)
		return -1;
	if (memchr(k, '\0', kl) != NULL)
		return fail(ps, "NUL byte in object key"), -1;
	/* Copied out: the value's strings may reuse the scratch buffer. */
	key = kl < sizeof(small) ? small : malloc(kl + 1);
	if (key == NULL)
		return fail(ps, "out of memory"), -1;
	memcpy(key, k, kl);
	key[kl] = '\0';
	skip_ws(ps);
	if ((ps->flags & JSON_REJECT_DUPLICATES) &&
	    json_object_get(obj, key) != NULL)
		fail(ps, "duplicate object key");
	else if (ps->p >= ps->end || *ps->p != ':')
		fail(ps, "':' expected");
	else if (ps->p++, (v = parse_value(ps)) == NULL ||
	    json_object_set_new_nocheck(obj, key, v) != 0)
		fail(ps, "out of memory");	/* or parse_value's reason */
	else
		rc = 0;
	if (key != small)
		free(key);
	return rc;
}

static json_t *
parse_object(struct parser *ps)
{
	json_t *obj = json_object();

	if (obj == NULL)
		return fail(ps, "out of memory");
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return obj;
	}
	for (;;) {
		if (ps->p >= ps->end || *ps->p != '"') {
			fail(ps, "string or '}' expected");
			break;
		}
		ps->p++;
		if (parse_member(ps, obj) != 0)
			break;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return obj;
		}
		fail(ps, "'}' expected");
		break;
	}
	json_decref(obj);
	return NULL;
}

static int skip_value(struct parser *ps);

/* Reads an object as parse_object does and builds nothing (ps->p just
 * past the '{'): 0, or -1 with the same reasons. */
static int
skip_object(struct parser *ps)
{
	const char *k;
	size_t kl;

	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return 0;
	}
	for (;;) {
		if (ps->p >= ps->end || *ps->p != '"')
			return fail(ps, "string or '}' expected"), -1;
		ps->p++;
		if (parse_string(ps, &k, &kl) != 0)
			return -1;
		if (memchr(k, '\0', kl) != NULL)
			return fail(ps, "NUL byte in object key"), -1;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return fail(ps, "':' expected"), -1;
		ps->p++;
		if (skip_value(ps) != 0)
			return -1;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return 0;
		}
		return fail(ps, "'}' expected"), -1;
	}
}

/* The same for an array (ps->p just past the '['). */
static int
skip_array(struct parser *ps)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return 0;
	}
	for (;;) {
		if (skip_value(ps) != 0)
			return -1;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return 0;
		}
		return fail(ps, "']' expected"), -1;
	}
}

static int
word(struct parser *ps, const char *w, size_t n);

/* Reads a value as parse_value does without building it (a number is
 * built and dropped: its range is part of its validity). */
static int
skip_value(struct parser *ps)
{
	const char *s;
	size_t n;
	json_t *v;
	int rc = -1;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "premature end of input"), -1;
	if (++ps->depth > MAX_DEPTH)
		return fail(ps, "maximum parsing depth reached"), -1;
	switch (*ps->p) {
	case '{':
		ps->p++;
		rc = skip_object(ps);
		break;
	case '[':
		ps->p++;
		rc = skip_array(ps);
		break;
	case '"':
		ps->p++;
		rc = parse_string(ps, &s, &n);
		break;
	case 't':
		rc = word(ps, "true", 4) ? 0 : (fail(ps, "invalid token"), -1);
		break;
	case 'f':
		rc = word(ps, "false", 5) ? 0 : (fail(ps, "invalid token"),
		    -1);
		break;
	case 'n':
		rc = word(ps, "null", 4) ? 0 : (fail(ps, "invalid token"), -1);
		break;
	default:
		v = parse_number(ps);
		rc = v != NULL ? 0 : (fail(ps, "out of memory"), -1);
		json_decref(v);
		break;
	}
	ps->depth--;
	return rc;
}

static int
kept(const struct parser *ps, const char *key)
{
	for (size_t i = 0; ps->keep[i] != NULL; i++)
		if (strcmp(ps->keep[i], key) == 0)
			return 1;
	return 0;
}

/* The top-level object of jsontext_parse_keys: every member read, those
 * in ps->keep built (the last of equal keys wins, as in parse_object). */
static json_t *
parse_object_keep(struct parser *ps)
{
	json_t *obj = json_object();
	char key[64];
	const char *k;
	size_t kl;
	json_t *v;

	if (obj == NULL)
		return fail(ps, "out of memory");
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return obj;
	}
	for (;;) {
		int keep;

		if (ps->p >= ps->end || *ps->p != '"') {
			fail(ps, "string or '}' expected");
			break;
		}
		ps->p++;
		if (parse_string(ps, &k, &kl) != 0)
			break;
		if (memchr(k, '\0', kl) != NULL) {
			fail(ps, "NUL byte in object key");
			break;
		}
		keep = kl < sizeof(key);
		if (keep) {
			memcpy(key, k, kl);
			key[kl] = '\0';
			keep = kept(ps, key);
		}
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':') {
			fail(ps, "':' expected");
			break;
		}
		ps->p++;
		if (!keep) {
			if (skip_value(ps) != 0)
				break;
		} else if ((v = parse_value(ps)) == NULL ||
		    json_object_set_new_nocheck(obj, key, v) != 0) {
			fail(ps, "out of memory");
			break;
		}
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_ws(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}') {
			ps->p++;
			return obj;
		}
		fail(ps, "'}' expected");
		break;
	}
	json_decref(obj);
	return NULL;
}

static json_t *
parse_array(struct parser *ps)
{
	json_t *arr = json_array();

	if (arr == NULL)
		return fail(ps, "out of memory");
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return arr;
	}
	for (;;) {
		json_t *v = parse_value(ps);

		if (v == NULL || json_array_append_new(arr, v) != 0) {
			fail(ps, "out of memory");
			json_decref(arr);
			return NULL;
		}
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']') {
			ps->p++;
			return arr;
		}
		fail(ps, "']' expected");
		json_decref(arr);
		return NULL;
	}
}

static int
word(struct parser *ps, const char *w, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0)
		return 0;
	ps->p += n;
	return 1;
}

static json_t *
parse_value(struct parser *ps)
{
	json_t *v;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "premature end of input");
	if (++ps->depth > MAX_DEPTH)
		return fail(ps, "maximum parsing depth reached");
	switch (*ps->p) {
	case '{':
		ps->p++;
		v = ps->keep != NULL && ps->depth == 1 ?
		    parse_object_keep(ps) : parse_object(ps);
		break;
	case '[':
		ps->p++;
		v = parse_array(ps);
		break;
	case '"': {
		const char *s;
		size_t n;

		ps->p++;
		v = parse_string(ps, &s, &n) != 0 ? NULL :
		    json_stringn_nocheck(s, n);
		if (v == NULL)
			fail(ps, "out of memory");
		break;
	}
	case 't':
		v = word(ps, "true", 4) ? json_true() :
		    fail(ps, "invalid token");
		break;
	case 'f':
		v = word(ps, "false", 5) ? json_false() :
		    fail(ps, "invalid token");
		break;
	case 'n':
		v = word(ps, "null", 4) ? json_null() :
		    fail(ps, "invalid token");
		break;
	default:
		v = parse_number(ps);
		if (v == NULL)
			fail(ps, "out of memory");
		break;
	}
	ps->depth--;
	return v;
}

static json_t *
parse_text(const char *buf, size_t len, size_t flags,
    const char *const *keep, json_error_t *err)
{
	struct parser ps = { buf, buf + len, buf, flags, 0, NULL, 0, NULL,
	    keep };
	json_t *v = NULL;

	skip_ws(&ps);
	if (ps.p >= ps.end || (*ps.p != '{' && *ps.p != '['))
		fail(&ps, "'[' or '{' expected");
	else
		v = parse_value(&ps);
	if (v != NULL) {
		skip_ws(&ps);
		if (ps.p < ps.end) {
			fail(&ps, "end of file expected");
			json_decref(v);
			v = NULL;
		}
	}
	free(ps.scratch);
	if (v == NULL && err != NULL) {
		memset(err, 0, sizeof(*err));
		err->position = (int)(ps.p - ps.start);
		snprintf(err->text, sizeof(err->text), "%s at byte %zu",
		    ps.why ? ps.why : "invalid JSON",
		    (size_t)(ps.p - ps.start));
	}
	return v;
}

json_t *
jsontext_parse(const char *buf, size_t len, size_t flags, json_error_t *err)
{
	return parse_text(buf, len, flags, NULL, err);
}

json_t *
jsontext_parse_keys(const char *buf, size_t len,
    const char *const *keep, json_error_t *err)
{
	return parse_text(buf, len, 0, keep, err);
}

/* ---- writer ---- */

struct out {
	char *p;
	size_t len, cap;
	int prec;
};

static int
grow(struct out *o, size_t n)
{
	size_t cap = o->cap ? o->cap : 256;
	char *np;

	while (cap - o->len < n + 1)
		cap *= 2;
	if (cap == o->cap)
		return 0;
	np = realloc(o->p, cap);
	if (np == NULL)
		return -1;
	o->p = np;
	o->cap = cap;
	return 0;
}

static int
put(struct out *o, const char *s, size_t n)
{
	if (o->cap - o->len < n + 1 && grow(o, n) != 0)
		return -1;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	return 0;
}

static int
put_string(struct out *o, const char *s, size_t n)
{
	size_t run = 0, i = 0;

	if (put(o, "\"", 1) != 0)
		return -1;
	while (i < n) {
		unsigned char c;
		char esc[8];
		const char *e = esc;
		size_t el = 2;

		if (n - i >= 8 && plain8(s + i)) {
			i += 8;
			continue;
		}
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t k = utf8_len((const unsigned char *)s + i,
			    n - i);

			if (k == 0)
				return -1;
			i += k;
			continue;
		}
		if (put(o, s + run, i - run) != 0)
			return -1;
		switch (c) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			el = 6;
		}
		if (put(o, e, el) != 0)
			return -1;
		run = ++i;
	}
	if (put(o, s + run, n - run) != 0)
		return -1;
	return put(o, "\"", 1);
}

/* jansson's real format: %.{prec}g, a ".0" when it looks integral, no
 * '+' and no leading zeros in the exponent. */
static int
put_real(struct out *o, double d)
{
	char b[64], *e;
	int n = snprintf(b, sizeof(b) - 2, "%.*g", o->prec, d);

	if (n < 0 || (size_t)n >= sizeof(b) - 2)
		return -1;
	if (strchr(b, '.') == NULL && strchr(b, 'e') == NULL) {
		memcpy(b + n, ".0", 3);
		n += 2;
	}
	e = strchr(b, 'e');
	if (e != NULL) {
		char *start = e + 1, *end = e + 2;

		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, strlen(end) + 1);
			n -= (int)(end - start);
		}
	}
	return put(o, b, (size_t)n);
}

static int
put_value(struct out *o, const json_t *v)
{
	char b[32];
	int n;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *sep = "{";

		if (json_object_size(v) == 0)
			return put(o, "{}", 2);
		for (void *it = json_object_iter((json_t *)v); it != NULL;
		    it = json_object_iter_next((json_t *)v, it)) {
			if (put(o, sep, 1) != 0 ||
			    put_string(o, json_object_iter_key(it),
			    json_object_iter_key_len(it)) != 0 ||
			    put(o, ":", 1) != 0 ||
			    put_value(o, json_object_iter_value(it)) != 0)
				return -1;
			sep = ",";
		}
		return put(o, "}", 1);
	}
	case JSON_ARRAY: {
		size_t len = json_array_size(v);

		if (put(o, "[", 1) != 0)
			return -1;
		for (size_t i = 0; i < len; i++)
			if ((i > 0 && put(o, ",", 1) != 0) ||
			    put_value(o, json_array_get(v, i)) != 0)
				return -1;
		return put(o, "]", 1);
	}
	case JSON_STRING:
		return put_string(o, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);

		n = 0;
		if (i < 0)
			b[n++] = '-';
		n += (int)util_fmt_u64(b + n,
		    i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i);
		return put(o, b, (size_t)n);
	}
	case JSON_REAL:
		return put_real(o, json_real_value(v));
	case JSON_TRUE:
		return put(o, "true", 4);
	case JSON_FALSE:
		return put(o, "false", 5);
	case JSON_NULL:
		return put(o, "null", 4);
	}
	return -1;
}

char *
jsontext_dump(const json_t *v, int prec, size_t *len)
{
	struct out o = { NULL, 0, 0, prec > 0 ? prec : 17 };

	if (v == NULL || (!json_is_object(v) && !json_is_array(v)))
		return NULL;
	if (put_value(&o, v) != 0) {
		free(o.p);
		return NULL;
	}
	o.p[o.len] = '\0';
	if (len != NULL)
		*len = o.len;
	return o.p;
}

int
jsontext_string_setn(json_t *s, const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint64_t w;

		if (n - i >= 8) {
			memcpy(&w, p + i, 8);
			if ((w & HIGHS) == 0) {
				i += 8;
				continue;
			}
		}
		if ((unsigned char)p[i] < 0x80) {
			i++;
			continue;
		}
		w = utf8_len((const unsigned char *)p + i, n - i);
		if (w == 0)
			return -1;
		i += (size_t)w;
	}
	return json_string_setn_nocheck(s, p, n);
}
