/*
 * PERSON detection without NER: the text read sentence by sentence as
 * tokens; runs of capitalized words judged by the name lists and the words
 * around them (policy/pii_names.h), triggers before a name
 * (policy/pii_triggers.h), and a name found once marked everywhere. Pure
 * code; the lists are built once and only read afterwards.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/pii.h"
#include "policy/pii_bytes.h"
#include "policy/pii_names.h"
#include "policy/pii_person.h"
#include "policy/pii_triggers.h"

struct pii_person {
	struct pii_triggers *trig;
	struct pii_names *names;
};

static int
is_alnum(unsigned char c)
{
	return (unsigned char)(c - '0') < 10 ||
	    (unsigned char)((c | 32) - 'a') < 26;
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

/* ---- capitalized sequences ---- */

enum {
	T_CAP = 1,	/* capital, then lower case: Anna, McDonald */
	T_UPPER = 2,	/* capitals only, two or more: ANNA */
	T_INITIAL = 4,	/* one capital: the J of "J. Kowalski" */
	T_SENT = 8,	/* starts a sentence, a line or follows a colon */
	T_DOT = 16,	/* a '.' follows right after */
	T_ACRO = 32,	/* capitals then a hyphen: EU-Kommission */
	T_HASCAP = 64	/* a capital somewhere */
};

struct tok {
	size_t s, e;
	unsigned f;
	unsigned wf, lf;	/* word_flags(), lower_flags(), once read */
};

#define FLAGS_UNSET 0x80000000u

#define NAMEF (PII_NAME_GIVEN | PII_NAME_SURNAME)
#define WEAKF (PII_NAME_AMBIGUOUS | PII_NAME_AMBIGUOUS_DE | PII_NAME_NOT)
#define SEG_MAX 128
#define WORD_MAX PII_NAMES_WORD_MAX

/* A sentence (or a part of a long one) as tokens. */
struct seg {
	const char *t;
	size_t len;
	struct tok v[SEG_MAX];
	size_t n;
	int german;	/* -1: not yet known */
};

/* The flags of a token's word as written (capitals folded after the first
 * letter), without a possessive "'s". */
static unsigned
word_flags(const struct pii_names *nm, struct seg *g, size_t i)
{
	const char *w = g->t + g->v[i].s;
	size_t n = g->v[i].e - g->v[i].s;
	char buf[WORD_MAX];
	unsigned f, f2;

	if (g->v[i].wf != FLAGS_UNSET)
		return g->v[i].wf;
	if (n > 2 && w[n - 2] == '\'' && w[n - 1] == 's')
		n -= 2;
	else if (n > 4 && memcmp(w + n - 4, "\xe2\x80\x99s", 4) == 0)
		n -= 4;
	if (g->v[i].f & T_UPPER) {
		n = pii_names_fold(w, n, buf, 0);
		w = buf;
	}
	f = pii_names_get(nm, w, n);
	/* A genitive: Attilas, Jansruds, Carolas. */
	if (!(f & (NAMEF | PII_NAME_NOT)) && n > 4 && w[n - 1] == 's') {
		f2 = pii_names_get(nm, w, n - 1);
		if (f2 & NAMEF && !(f2 & WEAKF))
			f = f2;
	}
	g->v[i].wf = f;
	return f;
}

/* The flags of a token's word in lower case: the context words, and with
 * all = 1 the English words too. */
static unsigned
lower_flags_all(const struct pii_names *nm, struct seg *g, size_t i, int all)
{
	unsigned tf;

	if (g->v[i].lf == FLAGS_UNSET) {
		g->v[i].lf = pii_names_lower(nm, g->t + g->v[i].s,
		    g->v[i].e - g->v[i].s, all ? &tf : NULL);
		if (all && tf & PII_NAME_EN_WORD)
			g->v[i].lf |= PII_NAME_EN_WORD;
		if (all)
			g->v[i].lf |= FLAGS_UNSET >> 1;	/* all read */
	} else if (all && !(g->v[i].lf & (FLAGS_UNSET >> 1))) {
		(void)pii_names_lower(nm, g->t + g->v[i].s,
		    g->v[i].e - g->v[i].s, &tf);
		if (tf & PII_NAME_EN_WORD)
			g->v[i].lf |= PII_NAME_EN_WORD;
		g->v[i].lf |= FLAGS_UNSET >> 1;
	}
	return g->v[i].lf & ~(FLAGS_UNSET >> 1);
}

static unsigned
lower_flags(const struct pii_names *nm, struct seg *g, size_t i)
{
	return lower_flags_all(nm, g, i, 0);
}

/* 1 when the sentence reads as German: there, every noun is
 * capitalized and a capital says little. Each sentence on its own words,
 * so that a verdict never hangs on what was read before. */
static int
seg_german(const struct pii_names *nm, struct seg *g)
{
	int de = 0, other = 0;

	if (g->german >= 0)
		return g->german;
	/* Lower-case words only, and a sentence's first word when it is a
	 * function word: a pseudonym that replaced a name changes none of
	 * them. */
	for (size_t i = 0; i < g->n; i++) {
		unsigned f;
		int first = g->v[i].f & T_CAP && g->v[i].f & T_SENT;

		if (g->v[i].f & (T_UPPER | T_INITIAL | T_ACRO | T_HASCAP) &&
		    !first)
			continue;
		/* Function words are short; a clear lead is enough. */
		f = g->v[i].e - g->v[i].s <= 8 ? lower_flags(nm, g, i) : 0;
		if (first && !(f & (PII_NAME_DE | PII_NAME_FUNC)))
			continue;
		de += (f & PII_NAME_DE) != 0;
		other += (f & PII_NAME_FUNC) != 0;
		if (de >= other + 3 || other >= de + 3)
			break;
	}
	g->german = de > other;
	return g->german;
}

static inline int
gap_is(const struct seg *g, size_t i, const char *sep)
{
	size_t n = strlen(sep);

	return i > 0 && g->v[i].s - g->v[i - 1].e == n &&
	    memcmp(g->t + g->v[i - 1].e, sep, n) == 0;
}

/* The run of name-like tokens from a: capitalized words, initials and
 * particles between them ("van der"), one space apart. Returns its end. */
static size_t
run_end(const struct pii_names *nm, struct seg *g, size_t a)
{
	size_t k = a + 1, end = a + 1, words = 1;

	while (k < g->n && words < 6) {
		const struct tok *x = &g->v[k];

		if (!gap_is(g, k, " ") && !(g->v[k - 1].f & T_INITIAL &&
		    gap_is(g, k, ". ")))
			break;
		/* A function word, an article, a month or a title starts
		 * another run (Schleichwerbung | Die Moderatorin Andrea
		 * Kiewel), a particle between names does not (Van den). */
		if (x->f & T_CAP && lower_flags(nm, g, k) & (PII_NAME_DE |
		    PII_NAME_FUNC | PII_NAME_ARTICLE | PII_NAME_MONTH |
		    PII_NAME_TITLE) && !(lower_flags(nm, g, k) &
		    PII_NAME_PARTICLE && k + 1 < g->n &&
		    g->v[k + 1].f & T_CAP))
			break;
		if (x->f & (T_CAP | T_INITIAL) && !(x->f & T_ACRO)) {
			end = ++k;
			words++;
			continue;
		}
		if (x->f & T_UPPER && !(x->f & T_ACRO) &&
		    (word_flags(nm, g, k) & (NAMEF | WEAKF)) == NAMEF) {
			end = ++k;
			words++;
			continue;
		}
		/* Particles, one or two: van der, de la, von. */
		if (!(x->f & (T_CAP | T_UPPER | T_INITIAL)) &&
		    lower_flags(nm, g, k) & PII_NAME_PARTICLE) {
			size_t q = k + 1;

			if (q + 1 < g->n && !(g->v[q].f & (T_CAP | T_UPPER)) &&
			    gap_is(g, q, " ") &&
			    lower_flags(nm, g, q) & PII_NAME_PARTICLE)
				q++;
			if (q < g->n && g->v[q].f & T_CAP &&
			    gap_is(g, q, " ")) {
				k = q;
				continue;
			}
		}
		break;
	}
	return end;
}

static int
person_push(struct pii_matches *out, const struct seg *g, size_t a,
    size_t b)
{
	return push(out, g->v[a].s, g->v[b - 1].e);
}

/*
 * A hyphenated word that no list knows: 1 when a part of it is a name
 * (Wolf-Tilman, al-Zaidi), 0 when none is or a part after a hyphen is in
 * lower case (Diretor-Geral, Boa-fé). Other words: 1.
 */
static int
compound_named(const struct pii_names *nm, const char *w, size_t n)
{
	const char *h = memchr(w, '-', n), *p = w;
	int named = 0;

	if (h == NULL)
		return 1;
	while (p < w + n) {
		size_t k, pl;

		h = memchr(p, '-', (size_t)(w + n - p));
		pl = h != NULL ? (size_t)(h - p) : (size_t)(w + n - p);
		if (p > w && pii_names_letter(p, pl, 0, &k) != PII_L_UPPER)
			return 0;
		named |= (pii_names_get(nm, p, pl) & NAMEF) != 0;
		p += pl + 1;
	}
	return named;
}

/* A title or office, also at the end of a compound: Fifa-voorzitter. */
static int
is_title(const struct pii_names *nm, struct seg *g, size_t i)
{
	const char *w = g->t + g->v[i].s, *h;
	size_t n = g->v[i].e - g->v[i].s;
	char buf[WORD_MAX];

	if (lower_flags(nm, g, i) & PII_NAME_TITLE)
		return 1;
	h = memchr(w, '-', n);
	if (h == NULL)
		return 0;
	while (memchr(h + 1, '-', (size_t)(w + n - h - 1)) != NULL)
		h = memchr(h + 1, '-', (size_t)(w + n - h - 1));
	n = pii_names_fold(h + 1, (size_t)(w + n - h - 1), buf, 1);
	return n > 0 && pii_names_context(nm, buf, n) & PII_NAME_TITLE;
}

/* 1 when a word with a digit follows the space at e. */
static int
before_number(const char *t, size_t len, size_t e)
{
	if (e + 1 >= len || t[e] != ' ')
		return 0;
	for (size_t i = e + 1; i < len && i < e + 24 && t[i] != ' '; i++)
		if (t[i] >= '0' && t[i] <= '9')
			return 1;
	return 0;
}

/* 1 when a label word, a colon and blanks stand before p (Name: ...). */
static int
label_before(const struct pii_names *nm, const char *t, size_t p)
{
	char buf[WORD_MAX];
	size_t e, n;

	while (p > 0 && (t[p - 1] == ' ' || t[p - 1] == '\t'))
		p--;
	if (p == 0 || t[p - 1] != ':')
		return 0;
	e = --p;
	while (p > 0 && e - p < 16 && (is_alnum((unsigned char)t[p - 1]) ||
	    (unsigned char)t[p - 1] >= 0x80 || t[p - 1] == '.'))
		p--;
	n = e > p ? pii_names_fold(t + p, e - p, buf, 1) : 0;
	return n > 0 && pii_names_context(nm, buf, n) & PII_NAME_LABEL;
}

/* 1 when a colon, blanks and a quotation mark follow p: a speaker. */
static int
quote_after(const char *t, size_t len, size_t p)
{
	if (p >= len || t[p] != ':')
		return 0;
	for (p++; p < len && t[p] == ' '; p++)
		;
	return p < len && (t[p] == '"' || t[p] == '\'' || (p + 1 < len &&
	    ((unsigned char)t[p] == 0xC2 && (unsigned char)t[p + 1] == 0xAB)) ||
	    (p + 2 < len && (unsigned char)t[p] == 0xE2 &&
	    (unsigned char)t[p + 1] == 0x80 &&
	    (unsigned char)t[p + 2] >= 0x98 &&
	    (unsigned char)t[p + 2] <= 0x9E));
}

/* 1 when only blanks stand between the line's start and p. */
static int
line_start(const char *t, size_t p)
{
	while (p > 0 && (t[p - 1] == ' ' || t[p - 1] == '\t'))
		p--;
	return p == 0 || t[p - 1] == '\n';
}

/* 1 when only blanks stand between p and the line's end. */
static int
line_end(const char *t, size_t len, size_t p)
{
	while (p < len && (t[p] == ' ' || t[p] == '\t' || t[p] == '\r'))
		p++;
	return p == len || t[p] == '\n';
}

/*
 * Decides on the run [a, b) of a sentence: appends it to out when it is a
 * name. When it is none but could be one (no word of it is known as
 * something else), sets *cand to 1: a name next to it may tell.
 */
static int
run_decide(const struct pii_names *nm, struct seg *g, size_t a, size_t b,
    struct pii_matches *out, int *cand)
{
	int trig = 0, ss, strong = 0, weak_given = 0, weak = 0, unknown = 0,
	    notname = 0, words = 0, initial = 0, given = 0, weak_mid = 0,
	    place = 0;
	unsigned f, lf;

	/* A sentence that starts with a function word and nothing more:
	 * the common case, decided without the name table. */
	if (b - a == 1 && g->v[a].f & T_SENT && lower_flags(nm, g, a) &
	    (PII_NAME_DE | PII_NAME_FUNC | PII_NAME_MONTH |
	    PII_NAME_ARTICLE) && !label_before(nm, g->t, g->v[a].s))
		return 0;
	/* After a label: Name: Allen Akhtakhanov. */
	if (g->v[a].f & T_SENT && label_before(nm, g->t, g->v[a].s))
		trig = 1;
	/* A sentence's first word before a name is no part of it, nor is
	 * an article or a function word elsewhere. */
	if (!trig && b - a > 1 && g->v[a].f & T_SENT &&
	    !(g->v[a].f & T_INITIAL)) {
		f = word_flags(nm, g, a);
		lf = lower_flags_all(nm, g, a, 1);
		if (lf & (PII_NAME_DE | PII_NAME_FUNC | PII_NAME_MONTH) ||
		    (!(f & PII_NAME_GIVEN) && (f & WEAKF ||
		    lf & PII_NAME_EN_WORD)))
			a++;
	} else if (!trig && b - a > 1 && lower_flags(nm, g, a) &
	    (PII_NAME_ARTICLE | PII_NAME_DE | PII_NAME_FUNC) &&
	    !(lower_flags(nm, g, a) & PII_NAME_PARTICLE))
		a++;
	/* A title before the name, inside the run or before it. */
	for (size_t i = a; i + 1 < b; i++)
		if (g->v[i].f & T_CAP && is_title(nm, g, i)) {
			trig = 1;
			a = i + 1;
		}
	if (!trig && a > 0 && !(g->v[a].f & T_SENT) &&
	    !(g->v[a - 1].f & T_UPPER) && (is_title(nm, g, a - 1) ||
	    lower_flags(nm, g, a - 1) & PII_NAME_SAY))
		trig = 1;
	/* An organization after a particle: Winkly van Uppingham School. */
	for (size_t i = a, part = 0; i < b; i++) {
		if (!(g->v[i].f & (T_CAP | T_UPPER | T_INITIAL)))
			part = i;
		else if (lower_flags(nm, g, i) & PII_NAME_ORG) {
			if (part <= a)
				return 0;
			b = part;
			break;
		}
	}
	ss = (g->v[a].f & T_SENT) != 0;
	for (size_t i = a; i < b; i++) {
		if (g->v[i].f & T_INITIAL) {
			initial = 1;
			continue;
		}
		if (!(g->v[i].f & (T_CAP | T_UPPER)) || (i + 1 < b &&
		    g->v[i].f & T_CAP && g->v[i].e - g->v[i].s <= 4 &&
		    lower_flags(nm, g, i) & PII_NAME_PARTICLE))
			continue;	/* a particle: van, Van, De */
		words++;
		f = word_flags(nm, g, i);
		lf = lower_flags_all(nm, g, i, 1);
		if (lf & PII_NAME_ORG)
			return 0;
		/* A function word, unless a name in the middle of a
		 * sentence (Allen, Will). */
		if (lf & (PII_NAME_MONTH | PII_NAME_ARTICLE) ||
		    (lf & (PII_NAME_DE | PII_NAME_FUNC) && (!(f & NAMEF) ||
		    (g->v[i].f & T_SENT && !trig))) ||
		    (f & PII_NAME_NOT && !(f & NAMEF)))
			notname++;
		else if (lf & (PII_NAME_DE | PII_NAME_FUNC)) {
			weak++;
			weak_mid++;
		}
		else if (f & NAMEF && !(f & WEAKF & ~(unsigned)
		    PII_NAME_AMBIGUOUS) && (!(f & PII_NAME_AMBIGUOUS) ||
		    seg_german(nm, g))) {
			strong++;
			given += (f & PII_NAME_GIVEN) != 0;
		}
		else if (f & NAMEF) {
			/* Also a word or a place: Rose, Paris. */
			weak++;
			weak_given += (f & (PII_NAME_GIVEN | PII_NAME_NOT)) ==
			    PII_NAME_GIVEN;
			given += (f & PII_NAME_GIVEN) != 0;
			/* In the middle of a sentence: a given name, or a
			 * surname that is no English word (Cinto). */
			weak_mid += f & PII_NAME_GIVEN ||
			    !(lf & PII_NAME_EN_WORD);
			place += (f & PII_NAME_NOT) != 0;
		} else if (lf & (PII_NAME_EN_WORD | PII_NAME_TITLE) ||
		    !compound_named(nm, g->t + g->v[i].s,
		    g->v[i].e - g->v[i].s))
			notname++;
		else
			unknown++;
	}
	if (words == 0 || notname == words || (b < g->n &&
	    gap_is(g, b, " ") && g->v[b].f & (T_CAP | T_UPPER | T_ACRO) &&
	    lower_flags(nm, g, b) & PII_NAME_ORG))
		return 0;
	if (words > 1 && g->v[b - 1].e - g->v[a].s < WORD_MAX &&
	    pii_names_get(nm, g->t + g->v[a].s, g->v[b - 1].e - g->v[a].s) &
	    PII_NAME_NOT)
		return 0;	/* a place: New York */
	/* An abbreviation: a '.' and a lower-case word (Det Kgl. en). */
	if (g->v[b - 1].f & T_DOT && g->v[b - 1].e + 2 < g->len &&
	    g->t[g->v[b - 1].e + 1] == ' ' &&
	    (unsigned char)(g->t[g->v[b - 1].e + 2] - 'a') < 26)
		return 0;
	*cand = notname == 0 && words <= 2;
	if (trig || (b < g->n && (!ss || strong + weak > 0) &&
	    lower_flags(nm, g, b) & PII_NAME_SAY))
		return person_push(out, g, a, b);
	/* A line of its own: a signature, a letterhead (Jamie Pratt). Or
	 * a speaker in a transcript (Melanie: ...). */
	if (notname == 0 && line_start(g->t, g->v[a].s) &&
	    ((words > 1 && words <= 4 && line_end(g->t, g->len,
	    g->v[b - 1].e)) || ((given > 0 || quote_after(g->t, g->len,
	    g->v[b - 1].e)) && g->v[b - 1].e < g->len &&
	    g->t[g->v[b - 1].e] == ':' && !(lower_flags_all(nm, g, a, 1) &
	    (PII_NAME_LABEL | PII_NAME_EN_WORD)))))
		return person_push(out, g, a, b);
	/* One word before a number is a label (Rechnung 12345, Host
	 * 10.0.0.1). */
	if (words == 1 && !given && !(strong && g->v[a].f & T_UPPER) &&
	    before_number(g->t, g->len, g->v[b - 1].e))
		return 0;
	/* Names together: a given name and another name or word (Paris
	 * Hilton, George Bell). */
	if (notname == 0 && (strong > 0 || (words > 1 && (weak_given > 0 ||
	    (given > 0 && unknown == 0)))))
		return person_push(out, g, a, b);
	/* Unknown capitalized words in the middle of a sentence: names,
	 * outside German; three of them are more often a title, one before
	 * a number a label (Rechnung 12345). */
	if ((initial || !ss) && notname == 0 && words <= 2 &&
	    (unknown > 0 || weak_mid > 0) && !seg_german(nm, g) &&
	    !(a > 0 && lower_flags(nm, g, a - 1) & PII_NAME_ARTICLE) &&
	    !(place > 0 && a > 0 && lower_flags(nm, g, a - 1) &
	    PII_NAME_LOC))
		return person_push(out, g, a, b);
	return 0;
}

/* Lastname, Firstname: a capitalized word, a comma and a given name. */
static int
comma_name(const struct pii_names *nm, struct seg *g, size_t a)
{
	unsigned f;

	if (a + 1 >= g->n || !(g->v[a].f & T_CAP) ||
	    !(g->v[a + 1].f & T_CAP) || !gap_is(g, a + 1, ", ") ||
	    (a + 2 < g->n && g->v[a + 2].f & T_CAP && gap_is(g, a + 2, " ")))
		return 0;
	f = word_flags(nm, g, a + 1);
	if ((f & (PII_NAME_GIVEN | WEAKF)) != PII_NAME_GIVEN)
		return 0;
	f = word_flags(nm, g, a);
	return !(f & PII_NAME_NOT) && !(lower_flags_all(nm, g, a, 1) &
	    (PII_NAME_EN_WORD | PII_NAME_MONTH | PII_NAME_ORG | PII_NAME_DE |
	    PII_NAME_FUNC));
}

/* 1 when a sentence is written in lower case only (no capital at all:
 * not in an identifier, nor in a pseudonym <PERSON_X2Y3Z4>). */
static int
seg_lower(const struct seg *g)
{
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].f & (T_CAP | T_UPPER | T_INITIAL | T_HASCAP))
			return 0;
	return g->n > 1;
}

/* The flags of a lower-case token with its first letter capitalized. */
static unsigned
cap_flags(const struct pii_names *nm, const struct seg *g, size_t i)
{
	char buf[WORD_MAX];
	size_t n = g->v[i].e - g->v[i].s;
	unsigned char c;

	if (n < 3 || n >= WORD_MAX)
		return 0;
	memcpy(buf, g->t + g->v[i].s, n);
	c = (unsigned char)buf[0];
	if (c >= 'a' && c <= 'z')
		buf[0] = (char)(c - 32);
	else if (c == 0xC3 && (unsigned char)buf[1] >= 0xA0)
		buf[1] = (char)(buf[1] - 32);
	else
		return 0;
	return pii_names_get(nm, buf, n);
}

/*
 * A sentence in lower case (chat): a given name that is no common word,
 * with the name after it (leah holmberg), or a word after a title (mr.
 * elliott).
 */
static int
lower_scan(const struct pii_names *nm, struct seg *g,
    struct pii_matches *out)
{
	for (size_t i = 0; i < g->n; i++) {
		unsigned f, lf, f2;
		size_t b = i + 1;

		if (g->v[i].f & T_ACRO)
			continue;	/* in an address, a hash, an id */
		lf = lower_flags_all(nm, g, i, 1);
		if (lf & (PII_NAME_EN_WORD | PII_NAME_FUNC | PII_NAME_DE |
		    PII_NAME_MONTH | PII_NAME_TITLE | PII_NAME_ARTICLE |
		    PII_NAME_PARTICLE | PII_NAME_SAY | PII_NAME_CONJ |
		    PII_NAME_LOC | PII_NAME_LABEL | PII_NAME_ORG))
			continue;
		f = cap_flags(nm, g, i);
		if (!((f & PII_NAME_GIVEN && !(f & WEAKF)) || (i > 0 &&
		    lower_flags(nm, g, i - 1) & PII_NAME_TITLE)))
			continue;
		if (b < g->n && gap_is(g, b, " ") && !(g->v[b].f & T_ACRO)) {
			f2 = cap_flags(nm, g, b);
			if (f2 & NAMEF && !(lower_flags(nm, g, b) &
			    (PII_NAME_FUNC | PII_NAME_DE | PII_NAME_ARTICLE |
			    PII_NAME_CONJ | PII_NAME_LOC)))
				b++;
		}
		if (person_push(out, g, i, b) != 0)
			return -1;
		i = b - 1;
	}
	return 0;
}

static int
seg_scan(const struct pii_names *nm, struct seg *g, struct pii_matches *out)
{
	size_t i = 0;

	/* The last run: [ra, rb), a name or a candidate. */
	size_t ra = 0, rb = 0;
	int r_name = 0, r_cand = 0;

	g->german = -1;
	if (seg_lower(g))
		return lower_scan(nm, g, out);
	while (i < g->n) {
		size_t b, before = out->n;
		int cand = 0, name, joined;

		if (!(g->v[i].f & (T_CAP | T_UPPER | T_INITIAL)) ||
		    g->v[i].f & T_ACRO || (g->v[i].f & T_UPPER &&
		    (word_flags(nm, g, i) & (NAMEF | WEAKF)) != NAMEF)) {
			i++;
			continue;
		}
		b = run_end(nm, g, i);
		if (run_decide(nm, g, i, b, out, &cand) != 0)
			return -1;
		if (out->n == before && b == i + 1 && comma_name(nm, g, i)) {
			if (push(out, g->v[i].s, g->v[i + 1].e) != 0)
				return -1;
			b = i + 2;
		}
		/* Names side by side: Lamovec and Morales, Clinton og Gore. */
		name = out->n > before;
		joined = rb > 0 && ((rb + 1 == i && gap_is(g, i, " ") &&
		    gap_is(g, rb, " ") && lower_flags(nm, g, rb) &
		    PII_NAME_CONJ) || (rb == i && gap_is(g, i, ", ")));
		if (joined && !name && cand && r_name) {
			if (person_push(out, g, i, b) != 0)
				return -1;
			name = 1;
		} else if (joined && name && r_cand && !r_name &&
		    person_push(out, g, ra, rb) != 0)
			return -1;
		ra = i;
		rb = b;
		r_name = name;
		r_cand = cand;
		i = b;
	}
	return 0;
}

/* A '.' after these is no sentence end: initials and titles (Dr.). */
static int
abbrev(const struct pii_names *nm, const char *t, const struct tok *x)
{
	char buf[WORD_MAX];
	size_t n;

	if (x->f & T_INITIAL)
		return 1;
	if (x->e - x->s > 6)
		return 0;
	n = pii_names_fold(t + x->s, x->e - x->s, buf, 1);
	return n > 0 && (pii_names_get(nm, buf, n) & PII_NAME_TITLE) != 0;
}

/*
 * Capitalized sequences, sentence by sentence: a word's case, place in
 * the sentence and lists (names, common words, places) and the words
 * around it (titles, verbs of saying) decide.
 */
static int
scan_runs(const struct pii_names *nm, const struct pii_triggers *trig,
    const char *t, size_t len, struct pii_matches *out)
{
	const struct pii_triggers_filter *tf = pii_triggers_filter(trig);
	struct seg seg, *g = &seg;	/* ~4 KB: no malloc per scan */
	size_t p = 0;
	int sent = 1, rc = 0;

	g->t = t;
	g->len = len;
	g->n = 0;
	while (p < len && rc == 0) {
		size_t n, s, upper = 0, lower = 0, letters = 0, camel = 0;
		size_t part = 0;	/* lower-case letters in this part */
		size_t pcaps = 0;	/* capitals in this part */
		int capspart = 0;	/* a part of capitals only: Steuer-ID */
		int cl, first;
		struct tok x;

		if (t[p] == ' ') {	/* the common case between words */
			p++;
			continue;
		}
		cl = pii_names_letter(t, len, p, &n);

		if (cl == PII_L_NONE) {
			unsigned char c = (unsigned char)t[p];

			/* A '.' ends a sentence before a blank, unless it
			 * ends an abbreviation (Dr., J.). */
			if (c == '\n' || c == ':' || c == '!' || c == '?' ||
			    c == ';' || (c == '.' && (p + 1 >= len ||
			    t[p + 1] == ' ' || t[p + 1] == '\n') &&
			    !(g->n > 0 && g->v[g->n - 1].e == p &&
			    abbrev(nm, t, &g->v[g->n - 1]))))
				sent = 1;
			p += n;
			continue;
		}
		s = p;
		first = cl;
		x.f = 0;
		if (cl != PII_L_OTHER && (s == 0 ||
		    !is_alnum((unsigned char)t[s - 1])) &&
		    pii_triggers_may(tf, t, len, s) &&
		    pii_triggers_at(trig, nm, t, len, s, out) != 0) {
			rc = -1;
			break;
		}
		for (;;) {
			if (cl == PII_L_UPPER && part > 0 && camel++ == 0 &&
			    p >= s + 2 && (strncmp(t + s, "Mc", 2) == 0 ||
			    (p >= s + 3 && strncmp(t + s, "Mac", 3) == 0)))
				camel = 0;	/* McDonald, MacArthur */
			if (cl == PII_L_UPPER) {
				upper++;
				pcaps++;
			} else if (cl == PII_L_LOWER) {
				lower++;
				part++;
			}
			letters++;
			p += n;
			/* The common case: more ASCII lower-case letters. */
			{
				size_t q = pii_bytes_span(t, p, len, 'a', 'z');

				lower += q - p;
				part += q - p;
				letters += q - p;
				p = q;
			}
			if (p >= len)
				break;
			if (t[p] == ' ')
				break;	/* the common case: the word ends */
			cl = pii_names_letter(t, len, p, &n);
			if (cl != PII_L_NONE)
				continue;
			/* Inner apostrophes and hyphens: O'Neil, Jean-Luc. */
			if ((t[p] == '\'' || t[p] == '-') && p + 1 < len &&
			    pii_names_letter(t, len, p + 1, &n) != PII_L_NONE) {
				if (t[p] == '-' && lower == 0 && upper > 1)
					x.f |= T_ACRO;
				if (part == 0 && pcaps > 1)
					capspart = 1;
				part = pcaps = 0;
				p++;
				cl = pii_names_letter(t, len, p, &n);
				continue;
			}
			if (p + 3 < len &&
			    memcmp(t + p, "\xe2\x80\x99", 3) == 0 &&
			    pii_names_letter(t, len, p + 3, &n) != PII_L_NONE) {
				part = pcaps = 0;
				p += 3;
				cl = pii_names_letter(t, len, p, &n);
				continue;
			}
			break;
		}
		if (part == 0 && pcaps > 1)
			capspart = 1;
		x.s = s;
		x.e = p;
		if (upper > 0)
			x.f |= T_HASCAP;
		/* Glued to digits or an identifier (D681PevKs, 8B-Instruct,
		 * user_Name): no word. */
		if (((s > 0 && t[s - 1] != ' ') || (p < len && t[p] != ' ')) &&
		    ((s > 0 && (is_alnum((unsigned char)t[s - 1]) ||
		    t[s - 1] == '_' || t[s - 1] == '/' || t[s - 1] == '@' ||
		    t[s - 1] == '#' || t[s - 1] == '\\' || (t[s - 1] == '.' &&
		    s > 1 && is_alnum((unsigned char)t[s - 2])))) ||
		    (p < len && ((t[p] >= '0' && t[p] <= '9') || t[p] == '_' ||
		    t[p] == '@' || t[p] == '/' || (t[p] == '.' && p + 1 < len &&
		    is_alnum((unsigned char)t[p + 1]))))))
			x.f |= T_ACRO;	/* and in addresses: a.b@c.example */
		else if (first == PII_L_UPPER) {
			if (letters == 1 && (s == 0 || t[s - 1] != '.'))
				x.f |= T_INITIAL;
			else if (letters == 1)
				x.f |= T_ACRO;
			else if (camel > 0 || (capspart && lower > 0))
				x.f |= T_ACRO;	/* iPhone, PevKs, Steuer-ID */
			else if (lower > 0)
				x.f |= T_CAP;
			else
				x.f |= T_UPPER;
		}
		/* d'Akira, l'Ulivo: the capital after an elision. */
		if (!(x.f & (T_CAP | T_UPPER)) && x.e - x.s > 3 &&
		    (t[s + 1] == '\'') && pii_names_letter(t, len, s + 2, &n) ==
		    PII_L_UPPER) {
			x.s += 2;
			x.f |= T_CAP;
		}
		if (p < len && t[p] == '.')
			x.f |= T_DOT;
		if (sent && g->n > 0) {
			rc = seg_scan(nm, g, out);
			g->n = 0;
		}
		if (g->n == SEG_MAX) {
			rc = seg_scan(nm, g, out);
			g->n = 0;
		}
		if (sent)
			x.f |= T_SENT;
		sent = 0;
		x.wf = x.lf = FLAGS_UNSET;
		g->v[g->n++] = x;
	}
	if (rc == 0 && g->n > 0)
		rc = seg_scan(nm, g, out);
	return rc;
}

struct pii_person *
pii_person_new(void)
{
	struct pii_person *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->trig = pii_triggers_new();
	p->names = pii_names_new();
	if (p->trig == NULL || p->names == NULL) {
		pii_person_free(p);
		return NULL;
	}
	return p;
}

void
pii_person_free(struct pii_person *p)
{
	if (p == NULL)
		return;
	pii_triggers_free(p->trig);
	pii_names_free(p->names);
	free(p);
}

/* 1 when the byte before p and the one at e end no word. */
static int
bounded(const char *t, size_t len, size_t p, size_t e)
{
	size_t n;

	if (p > 0 && (is_alnum((unsigned char)t[p - 1]) ||
	    (unsigned char)t[p - 1] >= 0x80))
		return 0;
	return e >= len || (pii_names_letter(t, len, e, &n) == PII_L_NONE &&
	    !((unsigned char)t[e] >= '0' && (unsigned char)t[e] <= '9'));
}

#define PROPAGATE_MAX 32

/*
 * A name found once is a name everywhere in the text: its other
 * occurrences (sentence starts, lists, a German noun's place) are marked
 * too, written as found (a pseudonym restores one form for all the cases
 * of a name: marking "jane" for "Jane" would make a restored text read
 * differently). Words that are also common words are not carried.
 */
static int
propagate(const struct pii_names *nm, const char *t, size_t len,
    struct pii_matches *out, size_t first)
{
	struct { size_t s, n; } w[PROPAGATE_MAX];
	size_t nw = 0, found = out->n;
	char buf[WORD_MAX];
	int rc = 0;

	for (size_t k = first; k < found && nw < PROPAGATE_MAX; k++) {
		size_t p = out->v[k].start, e = out->v[k].end;

		while (p < e && nw < PROPAGATE_MAX) {
			size_t q = p, n, fl;
			int dup = 0;

			while (q < e && t[q] != ' ')
				q++;
			n = q - p;
			fl = n < WORD_MAX ? pii_names_fold(t + p, n, buf, 1) :
			    0;
			if (n >= 3 && n < WORD_MAX && pii_names_letter(t,
			    len, p, &fl) != PII_L_NONE &&
			    !(pii_names_get(nm, t + p, n) &
			    WEAKF) && !(pii_names_get(nm, buf, n) &
			    (PII_NAME_EN_WORD | PII_NAME_FUNC | PII_NAME_DE |
			    PII_NAME_MONTH | PII_NAME_ORG | PII_NAME_TITLE |
			    PII_NAME_PARTICLE))) {
				for (size_t j = 0; j < nw && !dup; j++)
					dup = w[j].n == n && memcmp(t + w[j].s,
					    t + p, n) == 0;
				if (!dup) {
					w[nw].s = p;
					w[nw].n = n;
					nw++;
				}
			}
			p = q + 1;
		}
	}
	for (size_t j = 0; j < nw && rc == 0; j++) {
		const char *h = t, *end = t + len;

		while (rc == 0 && (h = pii_bytes_find(h, (size_t)(end - h),
		    t + w[j].s, w[j].n)) != NULL) {
			size_t p = (size_t)(h - t), e = p + w[j].n;

			if (bounded(t, len, p, e))
				rc = push(out, p, e);
			h += w[j].n;
		}
	}
	return rc;
}

int
pii_person_scan(const struct pii_person *p, const char *text, size_t len,
    struct pii_matches *out)
{
	size_t first = out->n;

	if (scan_runs(p->names, p->trig, text, len, out) != 0)
		return -1;
	return out->n > first ? propagate(p->names, text, len, out, first) :
	    0;
}
