/* The detection form of a text (ICU: NFKC, properties, confusables). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "policy/pii_norm.h"

/* Code points below this have their class in a table; others ask ICU. */
#define NORM_TABLE 0x20000

/*
 * The class of a code point: maps to itself (SAME), to nothing (DROP), to
 * one ASCII byte (the byte, 0x20..0x7E), or needs NFKC with its neighbours
 * (COMPLEX); NB: it has no normalization boundary before it (a combining
 * mark): the code points before it up to a boundary join its segment.
 */
enum { CL_SAME = 0, CL_DROP = 1, CL_COMPLEX = 2, CL_COMPLEX_NB = 3 };

struct confusable {
	uint32_t cp;
	char ascii;
};

struct pii_norm {
	const UNormalizer2 *nfkc;
	struct confusable *conf;	/* sorted by cp */
	size_t n_conf;
	unsigned char cls[NORM_TABLE];
};

/* Scripts whose letters serve as Latin look-alikes in spoofed text. */
static int
lookalike_script(UChar32 c)
{
	UErrorCode ec = U_ZERO_ERROR;

	switch (uscript_getScript(c, &ec)) {
	case USCRIPT_LATIN:
	case USCRIPT_GREEK:
	case USCRIPT_COPTIC:
	case USCRIPT_CYRILLIC:
	case USCRIPT_ARMENIAN:
	case USCRIPT_CHEROKEE:
	case USCRIPT_LISU:
	case USCRIPT_COMMON:
		return U_SUCCESS(ec);
	default:
		return 0;
	}
}

/*
 * The letters whose confusable skeleton is one ASCII letter or digit.
 * The skeleton's prototype for I is 'l' ("I" and "l" look alike): an
 * upper-case look-alike of it becomes 'I'.
 */
static int
conf_build(struct pii_norm *n, USpoofChecker *sc)
{
	size_t cap = 0;

	for (UChar32 c = 0x80; c < NORM_TABLE; c++) {
		UChar in[2], sk[8];
		int32_t il = 0, sl;
		UBool e = 0;
		UErrorCode ec = U_ZERO_ERROR;
		char a;

		if (!u_hasBinaryProperty(c, UCHAR_ALPHABETIC) ||
		    !lookalike_script(c))
			continue;
		U16_APPEND(in, il, 2, c, e);
		(void)e;	/* two units always hold one code point */
		sl = uspoof_getSkeleton(sc, 0, in, il, sk, 8, &ec);
		if (U_FAILURE(ec) || sl != 1 || sk[0] >= 0x80)
			continue;
		a = (char)sk[0];
		if (!((a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z') ||
		    (a >= '0' && a <= '9')))
			continue;
		if (a == 'l' && u_isUUppercase(c))
			a = 'I';
		if (n->n_conf == cap) {
			struct confusable *nc;

			cap = cap ? cap * 2 : 256;
			nc = realloc(n->conf, cap * sizeof(*nc));
			if (nc == NULL)
				return -1;
			n->conf = nc;
		}
		n->conf[n->n_conf].cp = (uint32_t)c;
		n->conf[n->n_conf].ascii = a;
		n->n_conf++;
	}
	return 0;
}

static char
conf_find(const struct pii_norm *n, UChar32 c)
{
	size_t lo = 0, hi = n->n_conf;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n->conf[mid].cp == (uint32_t)c)
			return n->conf[mid].ascii;
		if (n->conf[mid].cp < (uint32_t)c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * What one code point of NFKC output becomes: -1 (dropped), or the code
 * point to write. prev_ascii: the byte written before it is ASCII.
 */
static UChar32
map_cp(const struct pii_norm *n, UChar32 c, int prev_ascii)
{
	int8_t t;
	char a;

	if (c < 0x80)
		return c;
	if (u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
		return -1;
	t = u_charType(c);
	if ((t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK) && prev_ascii)
		return -1;
	if (u_isUWhiteSpace(c))
		return c == 0x85 || c == 0x2028 || c == 0x2029 ? '\n' : ' ';
	if (t == U_DASH_PUNCTUATION || u_hasBinaryProperty(c, UCHAR_DASH))
		return '-';
	if (t == U_DECIMAL_DIGIT_NUMBER && u_charDigitValue(c) >= 0)
		return '0' + u_charDigitValue(c);
	a = conf_find(n, c);
	return a != 0 ? (UChar32)a : c;
}

static int
classify(const struct pii_norm *n, UChar32 c)
{
	UChar in[2], out[32];
	int32_t il = 0, ol;
	UBool e = 0;
	UErrorCode ec = U_ZERO_ERROR;
	UChar32 first = -2;
	int count = 0, prev_ascii = 0;

	if (!unorm2_hasBoundaryBefore(n->nfkc, c))
		return CL_COMPLEX_NB;
	U16_APPEND(in, il, 2, c, e);
	(void)e;	/* two units always hold one code point */
	ol = unorm2_normalize(n->nfkc, in, il, out, 32, &ec);
	if (U_FAILURE(ec))
		return CL_COMPLEX;
	for (int32_t i = 0; i < ol;) {
		UChar32 x, m;

		U16_NEXT(out, i, ol, x);
		m = map_cp(n, x, prev_ascii);
		if (m < 0)
			continue;
		if (count++ == 0)
			first = m;
		prev_ascii = m < 0x80;
	}
	if (count == 0)
		return CL_DROP;
	if (count == 1 && first == c)
		return CL_SAME;
	if (count == 1 && first >= 0x20 && first < 0x7F)
		return (int)first;
	return CL_COMPLEX;
}

struct pii_norm *
pii_norm_new(char *err, size_t errlen)
{
	struct pii_norm *n = calloc(1, sizeof(*n));
	UErrorCode ec = U_ZERO_ERROR;
	USpoofChecker *sc;

	if (n == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->nfkc = unorm2_getNFKCInstance(&ec);
	sc = uspoof_open(&ec);
	if (U_FAILURE(ec) || n->nfkc == NULL || sc == NULL) {
		snprintf(err, errlen, "ICU: %s", u_errorName(ec));
		uspoof_close(sc);
		free(n);
		return NULL;
	}
	if (conf_build(n, sc) != 0) {
		snprintf(err, errlen, "out of memory");
		uspoof_close(sc);
		pii_norm_free(n);
		return NULL;
	}
	uspoof_close(sc);
	for (UChar32 c = 0x80; c < NORM_TABLE; c++)
		n->cls[c] = (unsigned char)classify(n, c);
	return n;
}

void
pii_norm_free(struct pii_norm *n)
{
	if (n == NULL)
		return;
	free(n->conf);
	free(n);
}

void
pii_norm_text_free(struct pii_norm_text *t)
{
	free(t->p);
	free(t->from);
	free(t->to);
	memset(t, 0, sizeof(*t));
}

static int
cls_of(const struct pii_norm *n, UChar32 c)
{
	if (c < 0x80)
		return CL_SAME;
	if (c < NORM_TABLE)
		return n->cls[c];
	return classify(n, c);
}

/* Room for k more bytes (and a NUL) in t. */
static int
reserve(struct pii_norm_text *t, size_t k)
{
	if (t->len + k + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 64;
		char *p;
		uint32_t *f, *o;

		while (cap < t->len + k + 1)
			cap *= 2;
		p = realloc(t->p, cap);
		if (p == NULL)
			return -1;
		t->p = p;
		f = realloc(t->from, cap * sizeof(*f));
		if (f == NULL)
			return -1;
		t->from = f;
		o = realloc(t->to, cap * sizeof(*o));
		if (o == NULL)
			return -1;
		t->to = o;
		t->cap = cap;
	}
	return 0;
}

/* Appends bytes [s, s+k) of the form, made from original [from, to). */
static int
emit(struct pii_norm_text *t, const char *s, size_t k, size_t from,
    size_t to)
{
	if (reserve(t, k) != 0)
		return -1;
	memcpy(t->p + t->len, s, k);
	for (size_t i = 0; i < k; i++) {
		t->from[t->len + i] = (uint32_t)from;
		t->to[t->len + i] = (uint32_t)to;
	}
	t->len += k;
	t->p[t->len] = '\0';
	return 0;
}

static int
emit_cp(struct pii_norm_text *t, UChar32 c, size_t from, size_t to)
{
	char b[4];
	int32_t k = 0;
	UBool e = 0;

	U8_APPEND(b, k, 4, c, e);
	return e ? -1 : emit(t, b, (size_t)k, from, to);
}

/* Longest segment read at once (UTF-16 units); NFKC grows one code point
 * to at most 18. Longer runs of marks are cut (they hide nothing). */
#define SEG_MAX 64

/*
 * NFKC of text[from, to) (one segment: a starter and what combines with
 * it), mapped code point by code point.
 */
static int
emit_segment(const struct pii_norm *n, struct pii_norm_text *t,
    const char *text, size_t from, size_t to)
{
	UChar in[SEG_MAX + 2], out[(SEG_MAX + 2) * 18];
	int32_t il = 0, ol, i = (int32_t)from;
	UErrorCode ec = U_ZERO_ERROR;

	while (i < (int32_t)to) {
		UChar32 c;
		UBool e = 0;

		U8_NEXT(text, i, (int32_t)to, c);
		if (c < 0)
			c = '?';
		U16_APPEND(in, il, SEG_MAX + 2, c, e);
		if (e)
			return -1;	/* the caller keeps segments shorter */
	}
	ol = unorm2_normalize(n->nfkc, in, il, out,
	    (int32_t)(sizeof(out) / sizeof(out[0])), &ec);
	if (U_FAILURE(ec))
		return -1;
	for (int32_t k = 0; k < ol;) {
		UChar32 x, m;

		U16_NEXT(out, k, ol, x);
		m = map_cp(n, x, t->len > 0 &&
		    (unsigned char)t->p[t->len - 1] < 0x80);
		if (m >= 0 && emit_cp(t, m, from, to) != 0)
			return -1;
	}
	return 0;
}

/* The length of the ASCII run at the start of text, 8 bytes a step. */
static size_t
ascii_span(const char *text, size_t len)
{
	size_t i = 0;

#if defined(__SSE2__)
	/* Sixteen bytes a step: the high bits at once. */
	for (; i + 16 <= len; i += 16)
		if (_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)
		    (const void *)(text + i))) != 0)
			break;
#endif
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, text + i, 8);
		if (w & 0x8080808080808080ull)
			break;
	}
	while (i < len && (unsigned char)text[i] < 0x80)
		i++;
	return i;
}

/* 1 when every code point of text maps to itself. */
static int
is_own_form(const struct pii_norm *n, const char *text, size_t len)
{
	int32_t i = 0, l = (int32_t)len;

	while (i < l) {
		UChar32 c;

		if ((unsigned char)text[i] < 0x80) {
			i += (int32_t)ascii_span(text + i, len - (size_t)i);
			continue;
		}
		U8_NEXT(text, i, l, c);
		if (c < 0 || cls_of(n, c) != CL_SAME)
			return 0;
	}
	return 1;
}

int
pii_norm_map(const struct pii_norm *n, const char *text, size_t len,
    struct pii_norm_text *out)
{
	size_t i, seg_in = 0, seg_out = 0;

	i = ascii_span(text, len);
	if (i == len)
		return 0;
	if (len >= UINT32_MAX)
		return -1;
	if (is_own_form(n, text + i, len - i))
		return 0;
	memset(out, 0, sizeof(*out));
	/* The form is about as long as the text: one allocation. */
	if (reserve(out, len + len / 8 + 64) != 0)
		goto fail;
	i = 0;
	while (i < len) {
		int32_t j = (int32_t)i;
		UChar32 c;
		int cl;

		if ((unsigned char)text[i] < 0x80) {
			/* A run of ASCII goes as it is. */
			size_t k = i;

			k += ascii_span(text + k, len - k);
			if (reserve(out, k - i) != 0)
				goto fail;
			memcpy(out->p + out->len, text + i, k - i);
			for (size_t b = i; b < k; b++) {
				out->from[out->len] = (uint32_t)b;
				out->to[out->len++] = (uint32_t)(b + 1);
			}
			out->p[out->len] = '\0';
			seg_in = k - 1;
			seg_out = out->len - 1;
			i = k;
			continue;
		}
		U8_NEXT(text, j, (int32_t)len, c);
		cl = c < 0 ? '?' : cls_of(n, c);
		if (cl == CL_COMPLEX || cl == CL_COMPLEX_NB) {
			size_t from = i, to = (size_t)j;
			int32_t units = 0;

			if (cl == CL_COMPLEX_NB) {
				/* Back to the segment's start: undo it. */
				from = seg_in;
				out->len = seg_out;
				units = (int32_t)(i - seg_in);
			}
			/* The segment runs on while no boundary comes. */
			while (to < len && units < SEG_MAX / 2) {
				int32_t k = (int32_t)to;
				UChar32 d;

				if ((unsigned char)text[to] < 0x80)
					break;
				U8_NEXT(text, k, (int32_t)len, d);
				if (d < 0 || cls_of(n, d) != CL_COMPLEX_NB)
					break;
				to = (size_t)k;
				units += 2;
			}
			if (emit_segment(n, out, text, from, to) != 0)
				goto fail;
			/* A mark after a cut segment starts its own. */
			seg_in = to;
			seg_out = out->len;
			i = to;
			continue;
		}
		seg_in = i;
		seg_out = out->len;
		if (cl == CL_SAME) {
			if (emit(out, text + i, (size_t)j - i, i,
			    (size_t)j) != 0)
				goto fail;
		} else if (cl != CL_DROP) {
			char b = (char)cl;

			if (emit(out, &b, 1, i, (size_t)j) != 0)
				goto fail;
		}
		i = (size_t)j;
	}
	if (out->p == NULL && emit(out, "", 0, 0, 0) != 0)
		goto fail;
	return 1;
fail:
	pii_norm_text_free(out);
	return -1;
}
