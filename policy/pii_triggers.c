/*
 * PERSON triggers: salutations (case as written), self-introductions and
 * letter closings (any case), after which a name follows. Indexed by their
 * first two letters; built once, then only read.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "policy/pii.h"
#include "policy/pii_names.h"
#include "policy/pii_triggers.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
is_alnum(unsigned char c)
{
	return (unsigned char)(c - '0') < 10 ||
	    (unsigned char)((c | 32) - 'a') < 26;
}

/* Case-insensitive (ASCII) search of word in [p, p+n). */
static int
find_word(const char *p, size_t n, const char *word)
{
	size_t wl = strlen(word);

	if (wl > n)
		return 0;
	for (size_t i = 0; i + wl <= n; i++) {
		size_t k = 0;

		while (k < wl && lower((unsigned char)p[i + k]) ==
		    (unsigned char)word[k])
			k++;
		if (k == wl)
			return 1;
	}
	return 0;
}

static int
push(struct pii_matches *m, size_t start, size_t end)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct pii_match *v = realloc(m->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n].start = start;
	m->v[m->n].end = end;
	m->v[m->n].type = PII_PERSON;
	m->n++;
	return 0;
}

/* Words that look like names but start sentences or are common nouns. */
static int
is_stopword(const char *w, size_t n)
{
	static const char *const stop[] = {
		"The", "This", "That", "And", "But", "For", "From", "With",
		"Dear", "Hello", "Hi", "Thanks", "Please", "Der", "Die", "Das",
		"Und", "Mit", "Von", "Le", "La", "Les", "Et", "El", "Los",
		"Il", "Lo", "De", "Het", "Een", "Och", "Monday", "Tuesday",
		"Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
		"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December",
		"Street", "Straße", "Strasse", "Rue", "Avenue", "Bank", "GmbH",
		"AG", "Inc", "Ltd", "Team", NULL
	};

	for (int i = 0; stop[i] != NULL; i++)
		if (strlen(stop[i]) == n && memcmp(stop[i], w, n) == 0)
			return 1;
	return 0;
}

static const char *const salutations[] = { "Mr", "Mrs", "Ms", "Miss",
	"Dr", "Prof", "Herr", "Frau", "Hr", "Fr", "Monsieur", "Madame",
	"Mademoiselle", "Mme", "Mlle", "Se\xc3\xb1or", "Se\xc3\xb1ora",
	"Sr", "Sra", "Srta", "Signor", "Signora", "Sig", "Sig.ra",
	"Dott", "Dhr", "Mevr", "Mevrouw", "Meneer", "Pan", "Pani", NULL };
static const char *const phrases[] = { "my name is", "i am called",
	"ich hei\xc3\x9f" "e", "ich heisse", "mein name ist",
	"je m'appelle", "je m\xe2\x80\x99" "appelle", "mon nom est",
	"me llamo", "mi nombre es", "mi chiamo", "il mio nome \xc3\xa8",
	"mijn naam is", "ik heet", "nazywam si\xc4\x99",
	"mam na imi\xc4\x99", "jag heter", "mitt namn \xc3\xa4r",
	"jeg hedder", "chamo-me", NULL };
static const char *const closings[] = { "best regards",
	"kind regards", "regards", "mit freundlichen gr\xc3\xbc\xc3\x9f"
	"en", "viele gr\xc3\xbc\xc3\x9f" "e", "beste gr\xc3\xbc\xc3\x9f" "e",
	"cordialement", "bien \xc3\xa0 vous", "saludos", "atentamente",
	"cordiali saluti", "distinti saluti", "met vriendelijke groet",
	"groeten", "pozdrawiam", "z powa\xc5\xbc" "aniem",
	"med v\xc3\xa4nliga h\xc3\xa4lsningar",
	"v\xc3\xa4nliga h\xc3\xa4lsningar", "h\xc3\xa4lsningar", NULL };

enum { TRIG_SALUTATION = 1, TRIG_PHRASE, TRIG_CLOSING };

/* The triggers by their first letter (lower case), built once. */
struct trig {
	const char *s;
	size_t len;
	int kind;
};

/* By the first two letters (27 x 27: a-z and the rest). */
struct pii_triggers {
	struct trig v[96];
	unsigned char start[27 * 27], count[27 * 27];
	struct pii_triggers_filter f;	/* ix: letter_index() */
};

static int
letter_index(unsigned char c)
{
	unsigned l = (unsigned)(c | 32) - 'a';	/* lower(c) - 'a' */

	return l < 26 ? (int)l : 26;
}

static int
pair_index(const char *s)
{
	return letter_index((unsigned char)s[0]) * 27 +
	    letter_index((unsigned char)s[1]);
}

static void
trig_index_build(struct pii_triggers *x)
{
	const char *const *lists[3] = { salutations, phrases, closings };
	size_t n = 0;

	memset(x, 0, sizeof(*x));
	for (int l = 0; l < 27 * 27; l++) {
		x->start[l] = (unsigned char)n;
		for (int k = 0; k < 3; k++) {
			for (int i = 0; lists[k][i] != NULL; i++) {
				if (pair_index(lists[k][i]) != l ||
				    n == sizeof(x->v) / sizeof(x->v[0]))
					continue;
				x->v[n].s = lists[k][i];
				x->v[n].len = strlen(lists[k][i]);
				x->v[n].kind = k + 1;
				n++;
			}
		}
		x->count[l] = (unsigned char)(n - x->start[l]);
	}
	for (int c = 0; c < 256; c++)
		x->f.ix[c] = (unsigned char)letter_index((unsigned char)c);
	for (size_t k = 0; k < n; k++)
		for (int c = 0; c < 27; c++) {
			int b = pair_index(x->v[k].s) * 27 + c;

			if (x->v[k].len < 3 || c == letter_index(
			    (unsigned char)x->v[k].s[2]))
				x->f.three[b / 8] |=
				    (unsigned char)(1u << (b % 8));
		}
}

/* A capitalized name word at p (ASCII or Latin-1 capitals in UTF-8). */
static size_t
name_word(const char *t, size_t len, size_t p)
{
	size_t q = p;
	unsigned char c = (unsigned char)t[p];

	if (c >= 'A' && c <= 'Z')
		q++;
	else if (c == 0xC3 && p + 1 < len && (unsigned char)t[p + 1] >= 0x80 &&
	    (unsigned char)t[p + 1] <= 0x9E)
		q += 2;
	else
		return 0;
	while (q < len && ((t[q] >= 'a' && t[q] <= 'z') ||
	    (unsigned char)t[q] >= 0x80 || t[q] == '\'' || t[q] == '-'))
		q++;
	return q - p >= 2 ? q - p : 0;
}

/* One to three name words, with particles such as "van der". */
static size_t
name_span(const char *t, size_t len, size_t p)
{
	static const char *const particles[] = { "von ", "van ", "de ",
		"der ", "den ", "di ", "da ", "del ", "della ", "du ", "zu ",
		"ten ", "ter ", "le ", "la ", NULL };
	size_t end = p, q = p, w;
	int words = 0;

	while (words < 3 && q < len && (w = name_word(t, len, q)) > 0) {
		end = q + w;
		words++;
		q = end;
		if (q >= len || t[q] != ' ')
			break;
		q++;
		for (int i = 0; particles[i] != NULL; i++) {
			size_t pl = strlen(particles[i]);

			if (q + pl <= len &&
			    memcmp(t + q, particles[i], pl) == 0)
				q += pl;
		}
	}
	if (words == 1 && is_stopword(t + p, end - p))
		return 0;
	return end - p;
}

/*
 * A name written in lower case after "my name is": one or two words that
 * are no common words (borna jerković). Returns its length or 0.
 */
static size_t
lower_name(const struct pii_names *nm, const char *t, size_t len, size_t p)
{
	size_t q = p, end = p, k;
	char buf[PII_NAMES_WORD_MAX];

	for (int words = 0; words < 2 && q < len; words++) {
		size_t s = q, n;

		while (q < len &&
		    pii_names_letter(t, len, q, &k) == PII_L_LOWER)
			q += k;
		n = q - s < PII_NAMES_WORD_MAX ?
		    pii_names_fold(t + s, q - s, buf, 1) : 0;
		if (n < 2 || pii_names_get(nm, buf, n) & (PII_NAME_EN_WORD |
		    PII_NAME_FUNC | PII_NAME_DE | PII_NAME_MONTH |
		    PII_NAME_TITLE | PII_NAME_ARTICLE))
			break;
		end = q;
		if (q >= len || t[q] != ' ')
			break;
		q++;
	}
	return end - p;
}

/* pii_triggers_at() where a trigger may start: l is pair_index(). Not
 * inlined: the common call stays a leaf without a frame to set up. */
static int __attribute__((noinline))
triggers_read(const struct pii_triggers *x, const struct pii_names *nm,
    const char *t, size_t len, size_t i, int l, struct pii_matches *all)
{
	size_t p = 0, n;
	int kind = 0;

	for (int k = x->start[l]; k < x->start[l] + x->count[l] && !kind;
	    k++) {
		const struct trig *g = &x->v[k];

		if (i + g->len >= len)
			continue;
		if (g->kind == TRIG_SALUTATION) {
			if (memcmp(t + i, g->s, g->len) != 0 ||
			    is_alnum((unsigned char)t[i + g->len]))
				continue;
			p = i + g->len;
			if (p < len && t[p] == '.')
				p++;
			if (p < len && t[p] == ' ')
				kind = g->kind;
		} else if (find_word(t + i, g->len, g->s)) {
			p = i + g->len;
			if (g->kind == TRIG_PHRASE) {
				if (t[p] == ' ')
					kind = g->kind;
				continue;
			}
			if (p < len && t[p] == ',')
				p++;
			while (p < len && t[p] == ' ')
				p++;
			if (p < len && t[p] == '\r')
				p++;
			if (p < len && t[p] == '\n')
				kind = g->kind;
		}
	}
	if (!kind)
		return 0;
	while (p < len && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n'))
		p++;
	n = p < len ? name_span(t, len, p) : 0;
	if (n == 0 && kind == TRIG_PHRASE)
		n = lower_name(nm, t, len, p);
	return n > 0 ? push(all, p, p + n) : 0;
}

int
pii_triggers_at(const struct pii_triggers *x, const struct pii_names *nm,
    const char *t, size_t len, size_t i, struct pii_matches *all)
{
	if (!pii_triggers_may(&x->f, t, len, i))
		return 0;	/* no trigger starts so: most words */
	return triggers_read(x, nm, t, len, i, x->f.ix[(unsigned char)t[i]] *
	    27 + x->f.ix[(unsigned char)t[i + 1]], all);
}

const struct pii_triggers_filter *
pii_triggers_filter(const struct pii_triggers *x)
{
	return &x->f;
}

struct pii_triggers *
pii_triggers_new(void)
{
	struct pii_triggers *x = malloc(sizeof(*x));

	if (x != NULL)
		trig_index_build(x);
	return x;
}

void
pii_triggers_free(struct pii_triggers *x)
{
	free(x);
}
