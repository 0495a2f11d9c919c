/* Phone numbers: the pre-scan, the context, libphonenumber's verdict. */
#include <stdlib.h>
#include <string.h>

#include "policy/pii_bytes.h"
#include "policy/pii_ctx.h"
#include "policy/pii_ids_int.h"
#include "policy/pii_phone.h"
#include "policy/pii_phonelib.h"

#define MAX_DIGITS 17		/* a phone's, with 00 and a country code */
#define RUN_DIGITS 40		/* read in a run before giving up */
#define MAX_GROUPS 12
#define CACHE_SLOTS 256
#define CACHE_KEY 24

/* Phone words in the supported languages: nouns, verbs of calling and
 * reaching, the labels of signature blocks. */
static const char *const phone_words[] = {
	"tel", "tel.", "t\xc3\xa9l", "t\xc3\xa9l.", "tlf", "tlf.",
	"telephone", "t\xc3\xa9l\xc3\xa9phone", "telefon", "telefono",
	"tel\xc3\xa9" "fono", "telefone", "telefoon", "phone", "mobile",
	"mobil", "mobiel", "m\xc3\xb3vil", "movil", "mob", "mob.", "cell",
	"cellphone", "cellulare", "celular", "handy", "gsm", "fax",
	"portable", "telem\xc3\xb3vel", "telemovel", "kom\xc3\xb3rk",
	"komork", "puhelin", "puh", "puh.", "matkapuhelin", "hotline",
	"landline", "festnetz", "rufnummer", "durchwahl", "whatsapp", "sms",
	"call", "called", "calling", "ring", "ringa", "dial", "reach",
	"contact me", "text me", "anrufen", "ruf", "erreichbar", "erreichen",
	"erreicht", "appeler", "appelez", "appelle", "joindre", "llamar",
	"ll\xc3\xa1mame", "llame", "chiamare", "chiamar", "chiama", "bellen",
	"bel me", "bereikbaar", "bereiken", "zadzwo\xc5\x84", "zadzwon",
	"dzwo\xc5\x84", "dzwon", "ring mig", "n\xc3\xa5 mig",
	"n\xc3\xa5r mig", "n\xc3\xa5s", "n\xc3\xa5 meg", "soita", "soittaa",
	"ligar", "ligue", "office", "desk", "extension", "ext", "ext.",
	"answering", "voicemail", NULL
};

/* "... is not a phone number". */
static const char *const negations[] = {
	"not a phone", "not a valid phone", "not a telephone",
	"not look like a phone", "n't look like a phone",
	"n\xe2\x80\x99t look like a phone", "no phone number", NULL
};

struct cache_entry {
	char key[CACHE_KEY];
	unsigned char len;
	signed char verdict;
};

/* What a context word says. */
enum { K_PHONE = 1, K_NEGATIVE = 2, K_NEGATION = 4, K_LABEL = 8 };

struct pii_phone {
	struct pii_words words;		/* all the context words, ... */
	const char *list[PII_WORDS_MAX + 1];
	unsigned char kind[PII_WORDS_MAX];	/* ... and their K_* */
	struct cache_entry cache[CACHE_SLOTS];
};

static void
add_words(struct pii_phone *p, size_t *n, const char *const *words,
    int kind)
{
	for (size_t i = 0; words[i] != NULL && *n < PII_WORDS_MAX; i++) {
		p->kind[*n] = (unsigned char)kind;
		p->list[(*n)++] = words[i];
	}
}

struct pii_phone *
pii_phone_new(void)
{
	struct pii_phone *p = calloc(1, sizeof(*p));
	size_t n = 0;

	if (p == NULL)
		return NULL;
	add_words(p, &n, phone_words, K_PHONE);
	add_words(p, &n, pii_negative_words, K_NEGATIVE);
	add_words(p, &n, negations, K_NEGATION);
	/* The labels of identifiers: a number next to one is not a phone. */
	for (size_t i = 0; i < pii_id_n_labels && n < PII_WORDS_MAX; i++) {
		if (!(pii_id_labels[i].groups & ~LG(CARD)))
			continue;
		p->kind[n] = K_LABEL;
		p->list[n++] = pii_id_labels[i].word;
	}
	p->list[n] = NULL;
	pii_words_build(&p->words, p->list);
	/* libphonenumber reads its metadata on first use (tens of ms):
	 * here, when the engine is built, not in the first request. */
	pii_phonelib_region_known("DE");
	return p;
}

void
pii_phone_free(struct pii_phone *p)
{
	free(p);
}

/* libphonenumber's verdict, remembered: a conversation resends its
 * numbers with every turn, and a verdict costs 10 to 60 us. */
static int
valid(struct pii_phone *p, const char *num, size_t n, const char *region)
{
	char key[CACHE_KEY];
	uint32_t h = 2166136261u;
	struct cache_entry *c;
	int v;

	if (n + 2 > CACHE_KEY)
		return pii_phonelib_valid(num, n, region);
	memcpy(key, region, 2);
	memcpy(key + 2, num, n);
	for (size_t i = 0; i < n + 2; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	c = &p->cache[h % CACHE_SLOTS];
	if (c->len == n + 2 && memcmp(c->key, key, n + 2) == 0)
		return c->verdict;
	v = pii_phonelib_valid(num, n, region);
	if (v >= 0) {
		memcpy(c->key, key, n + 2);
		c->len = (unsigned char)(n + 2);
		c->verdict = (signed char)v;
	}
	return v;
}

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A separator inside a phone number: " -./()". */
static int
sep(char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' ||
	    c == ')';
}

/* What glues digits to something else: "._@=&%$/#" (and a NUL, as
 * strchr() had it). */
static int
glue(char c)
{
	return c == '.' || c == '_' || c == '@' || c == '=' || c == '&' ||
	    c == '%' || c == '$' || c == '/' || c == '#' || c == '\0';
}

static int
alnum(unsigned char c)
{
	return digit((char)c) || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

/* A candidate: digit groups and what separates them. */
struct cand {
	size_t start, end;	/* the bytes, extension included */
	size_t glen[MAX_GROUPS];	/* digits per group */
	size_t gend[MAX_GROUPS];	/* where each group ends */
	char gsep[MAX_GROUPS];	/* the separator before each group */
	int groups;
	char digits[RUN_DIGITS + 2];	/* '+' and the digits */
	size_t nd;		/* digits (without '+') */
	int intl;		/* written +CC or 00CC */
	int paren;		/* a group in parentheses */
	int cut;		/* the first groups of a longer run */
};

/* Digits after "x", "ext", "ext." (an extension): where they end, or p. */
static size_t
extension(const char *t, size_t len, size_t p)
{
	size_t q = p, d;

	while (q < len && q - p < 2 && t[q] == ' ')
		q++;
	if (q + 1 < len && (t[q] | 32) == 'x' && digit(t[q + 1])) {
		q++;
	} else if (q + 3 < len && (t[q] | 32) == 'e' &&
	    (t[q + 1] | 32) == 'x' && (t[q + 2] | 32) == 't') {
		q += 3;
		if (q < len && t[q] == '.')
			q++;
		while (q < len && (t[q] == ' ' || t[q] == ':'))
			q++;
	} else {
		return p;
	}
	for (d = q; d < len && digit(t[d]) && d - q < 6; d++)
		;
	return d > q && !(d < len && alnum((unsigned char)t[d])) ? d : p;
}

/*
 * Reads the number whose first digit is at d. Returns 1 with c filled,
 * 0 when it is no candidate; *next is where to go on.
 */
static int
cand_read(const char *t, size_t len, size_t d, struct cand *c, size_t *next)
{
	size_t i = d, s = d, last = d;
	int run = 0;

	memset(c, 0, sizeof(*c));
	if (s > 0 && t[s - 1] == '(') {
		s--;
		c->paren = 1;
	}
	if (s > 0 && t[s - 1] == '+') {
		s--;
		c->intl = 1;
	}
	*next = d + 1;
	/* Glued to a word, a decimal point, an address, a minus sign. */
	if (s > 0 && (alnum((unsigned char)t[s - 1]) || glue(t[s - 1]) ||
	    (t[s - 1] == '-' && (s == 1 || t[s - 2] == ' ' ||
	    t[s - 2] == '\n' || alnum((unsigned char)t[s - 2])))))
		return 0;
	while (i < len) {
		if (digit(t[i])) {
			if (i == d || !digit(t[i - 1])) {
				if (c->groups == MAX_GROUPS)
					return 0;
				c->gsep[c->groups] = run ? t[i - 1] : 0;
				c->groups++;
			}
			if (c->nd == RUN_DIGITS) {
				/* Too long for a phone: skip the whole run. */
				while (i < len && (digit(t[i]) ||
				    t[i] == '\0' || sep(t[i])))
					i++;
				*next = i;
				return 0;
			}
			c->digits[1 + c->nd++] = t[i];
			c->glen[c->groups - 1]++;
			c->gend[c->groups - 1] = i + 1;
			last = ++i;
			run = 0;
			continue;
		}
		if (sep(t[i]) && run < 2) {
			if (t[i] == '(' || t[i] == ')')
				c->paren = 1;
			run++;
			i++;
			continue;
		}
		break;
	}
	*next = last;
	c->start = s;
	c->end = extension(t, len, last);
	if (c->end < len && alnum((unsigned char)t[c->end]))
		return 0;
	c->digits[0] = '+';
	c->digits[1 + c->nd] = '\0';
	if (!c->intl && c->nd > 2 && c->digits[1] == '0' &&
	    c->digits[2] == '0') {
		/* 00CC: the international form without "+". */
		memmove(c->digits + 1, c->digits + 3, c->nd - 1);
		c->nd -= 2;
		c->intl = 2;
	}
	return 1;
}

/* Dates, versions, IP addresses and decimals are no phone numbers. */
static int
not_phone_shape(const struct cand *c)
{
	if (c->groups == 3 && c->gsep[1] == c->gsep[2] &&
	    strchr("./-", c->gsep[1]) != NULL && ((c->glen[0] <= 2 &&
	    c->glen[1] <= 2 && c->glen[2] == 4) || (c->glen[0] == 4 &&
	    c->glen[1] <= 2 && c->glen[2] <= 2)))
		return 1;
	if (c->groups == 4 && c->gsep[1] == '.' && c->gsep[2] == '.' &&
	    c->gsep[3] == '.' && c->glen[0] <= 3 && c->glen[1] <= 3 &&
	    c->glen[2] <= 3 && c->glen[3] <= 3)
		return 1;
	/* A year and a number: "2024-118", "2023/0042". */
	if (c->groups == 2 && c->glen[0] == 4 && (c->gsep[1] == '-' ||
	    c->gsep[1] == '/') && !c->intl && (memcmp(c->digits + 1, "19",
	    2) == 0 || memcmp(c->digits + 1, "20", 2) == 0))
		return 1;
	/* 12.345678, 2009/2010; not "030/1234567". */
	return c->groups == 2 && (c->gsep[1] == '.' || (c->gsep[1] == '/' &&
	    c->digits[1] != '0'));
}

/* 415-555-0132, (415) 555-0132, 415.555.0132, 1-415-555-0132. */
static int
nanp_shape(const struct cand *c)
{
	int k = 0;

	if (c->groups == 4 && c->glen[0] == 1 && c->digits[1] == '1')
		k = 1;
	if (c->groups - k != 3 || c->glen[k] != 3 || c->glen[k + 1] != 3 ||
	    c->glen[k + 2] != 4)
		return 0;
	return c->paren || (c->gsep[k + 1] == c->gsep[k + 2] &&
	    c->gsep[k + 1] != '/');
}

/* A national number written in groups from its trunk prefix 0:
 * "030 1234567", "06 12 34 56 78", "(0161) 123 4567". */
static int
trunk_grouped(const struct cand *c)
{
	if (c->intl || c->digits[1] != '0' || c->nd < 9 || c->groups < 2)
		return 0;
	/* One kind of separator (a case number "0642.13.000862-5" mixes
	 * them), or spaces after an area code in parentheses. */
	for (int g = 2; g < c->groups; g++)
		if (c->gsep[g] != c->gsep[1] &&
		    !(c->paren && c->gsep[g] == ' '))
			return 0;
	return 1;
}

static int
accept(struct pii_phone *p, const char *t, size_t len, struct cand *c,
    const struct pii_regions *regions, int *fail)
{
	struct pii_ctx x;
	int found[32], kinds = 0, phone_word, v;
	size_t nf;

	if (c->nd < 6 || c->nd > MAX_DIGITS || not_phone_shape(c))
		return 0;
	/* Valid in its country's plan: no word needed, none read. */
	if (c->intl) {
		v = valid(p, c->digits, c->nd + 1, "ZZ");
		if (v < 0)
			*fail = 1;
		if (v == 1)
			return 1;
	}
	/* A phone's words are close ("Tel.", "reach me on", "office"). */
	pii_ctx_init_near(&x, t, len, c->start, c->end, 40, 24);
	nf = pii_words_all(&p->words, &x, found, 32);
	for (size_t i = 0; i < nf; i++)
		kinds |= p->kind[found[i]];
	if (kinds & (K_NEGATION | K_LABEL))
		return 0;
	phone_word = (kinds & K_PHONE) != 0;
	/* More than E.164's fifteen digits only after "+" and a word. */
	if (c->nd > 15 && !(c->intl == 1 && phone_word))
		return 0;
	if (c->intl)
		return phone_word && c->nd >= 7;
	if (kinds & K_NEGATIVE)
		return 0;
	/* 11x starts emergency and service numbers (112, 116 111, 118 xx;
	 * N11 in North America), no one's line: "112-3333". */
	if (c->nd <= 8 && c->digits[1] == '1' && c->digits[2] == '1')
		return 0;
	if (phone_word)
		return 1;
	/* Without a word, six digits or part of a run are too little. */
	if (c->nd < 7 || c->cut)
		return 0;
	for (size_t i = 0; regions != NULL && i < regions->n; i++) {
		v = valid(p, c->digits + 1, c->nd, regions->code[i]);
		if (v < 0)
			*fail = 1;
		if (v == 1)
			return 1;
	}
	return nanp_shape(c) || trunk_grouped(c);
}

/* The first g groups of c (a number followed by another one, or by its
 * extension). */
static void
cand_cut(const struct cand *c, int g, struct cand *k)
{
	size_t nd = 0;

	*k = *c;
	for (int i = 0; i < g; i++)
		nd += c->glen[i];
	if (c->intl == 2)
		nd = nd > 2 ? nd - 2 : 0;	/* "00" is not among them */
	if (nd > RUN_DIGITS)
		nd = RUN_DIGITS;
	k->groups = g;
	k->end = c->gend[g - 1];
	k->nd = nd;
	k->digits[1 + nd] = '\0';
	k->cut = 1;
}

/* A cut before group g: the rest is one group (an extension) or
 * something else than more of the same grouping (a date after it). */
static int
cut_ok(const struct cand *c, int g)
{
	if (c->gsep[g] != ' ' && c->gsep[g] != '-')
		return 0;
	return g == c->groups - 1 || (c->gsep[g + 1] != ' ' &&
	    c->gsep[g + 1] != c->gsep[g]);
}

/* The candidate, or its longest first groups that a phone is (cut after
 * a space or a dash: "+86 20 61302222-8866", "(914)349-8600 04/21"). */
static int
accept_run(struct pii_phone *p, const char *t, size_t len, struct cand *c,
    const struct pii_regions *regions, int *fail)
{
	struct cand k;

	if (c->nd <= MAX_DIGITS && accept(p, t, len, c, regions, fail))
		return 1;
	for (int g = c->groups - 1; g >= 1 && !*fail; g--) {
		if (!cut_ok(c, g))
			continue;
		cand_cut(c, g, &k);
		if (k.nd < 6)
			break;
		if (accept(p, t, len, &k, regions, fail)) {
			*c = k;
			return 1;
		}
	}
	return 0;
}

int
pii_phone_scan(struct pii_phone *p, const char *text, size_t len,
    const struct pii_regions *regions, struct pii_matches *out)
{
	size_t i = 0;
	int fail = 0;

	while (i < len) {
		struct cand c;
		size_t next;

		i = pii_bytes_next(text, i, len, '0', '9');
		if (i >= len)
			break;
		if (cand_read(text, len, i, &c, &next) &&
		    accept_run(p, text, len, &c, regions, &fail) &&
		    pii_matches_push(out, c.start, c.end, PII_PHONE) != 0)
			return -1;
		if (fail)
			return -1;
		i = next > i ? next : i + 1;
	}
	return 0;
}

int
pii_phone_regions_parse(char *const *v, size_t n, struct pii_regions *out,
    const char **bad)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		char code[3];

		*bad = v[i];
		if (strlen(v[i]) != 2 || out->n == PII_REGIONS_MAX)
			return -1;
		for (int k = 0; k < 2; k++)
			code[k] = (char)(v[i][k] >= 'a' && v[i][k] <= 'z' ?
			    v[i][k] - 32 : v[i][k]);
		code[2] = '\0';
		if (!pii_phonelib_region_known(code))
			return -1;
		memcpy(out->code[out->n++], code, 3);
	}
	*bad = NULL;
	return 0;
}
