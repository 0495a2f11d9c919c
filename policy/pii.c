/* PII detection: the detectors over a text's detection form, and names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/pii.h"
#include "policy/pii_check.h"
#include "policy/pii_email.h"
#include "policy/pii_ids.h"
#include "policy/pii_ip.h"
#include "policy/pii_names.h"
#include "policy/pii_norm.h"
#include "policy/pii_phone.h"
#include "policy/pii_secrets.h"

static const char *const type_names[PII__COUNT] = {
	"EMAIL", "PHONE", "IBAN", "CREDIT_CARD", "IP_ADDRESS", "EU_VAT",
	"DE_TAX_ID", "DE_SVNR", "FR_NIR", "ES_DNI", "ES_NIE", "IT_FISCAL_CODE",
	"NL_BSN", "BE_NATIONAL_NUMBER", "PL_PESEL", "SE_PERSONNUMMER",
	"FI_HETU", "DK_CPR", "AT_SVNR", "PT_NIF", "IE_PPSN", "UK_NINO",
	"PERSONAL_ID", "TAX_NUMBER", "HEALTH_ID", "ID_DOCUMENT", "SECRET",
	"PERSON",
};

const char *
pii_type_name(int type)
{
	return type >= 0 && type < PII__COUNT ? type_names[type] : "?";
}

int
pii_national_id(int type)
{
	return type >= PII_DE_TAX_ID && type <= PII_ID_DOCUMENT;
}

int
pii_type_parse(const char *name, size_t len)
{
	for (int i = 0; i < PII__COUNT; i++)
		if (strlen(type_names[i]) == len &&
		    strncasecmp(type_names[i], name, len) == 0)
			return i;
	return -1;
}

/* What a text must contain for a detector to be worth running. */
enum {
	F_DIGIT = 1, F_AT = 2, F_UPPER = 4, F_COLON = 8, F_LOWER = 16
};

/* Byte classes: the F_* features of a text (32: a byte that can appear
 * inside a number). */
static const unsigned char char_class[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	32,  0,  0,  0,  0,  0,  0,  0, 32, 32,  0, 32,  0, 32, 32, 32,
	33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 40,  0,  0,  0,  0,  0,
	 2, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
	36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,  0,  0,  0,  0,  0,
	 0, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,  0,  0,  0,  0,  0,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
};

struct trig_index;

struct pii_engine {
	struct pii_ids *ids;		/* identifiers with a fixed shape */
	struct pii_phone *phone;	/* phone numbers */
	struct pii_secrets *secrets;	/* keys, tokens, passwords */
	struct pii_ip *ip;		/* IP addresses */
	struct trig_index *trigp;
	struct pii_norm *norm;		/* the detection form */
};

/* ---- helpers for validators ---- */

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
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

struct trig_index {
	struct trig v[96];
	unsigned char start[27], count[27];
};

static int
letter_index(unsigned char c)
{
	c = (unsigned char)lower(c);
	return c >= 'a' && c <= 'z' ? c - 'a' : 26;
}

static void
trig_index_build(struct trig_index *x)
{
	const char *const *lists[3] = { salutations, phrases, closings };
	size_t n = 0;

	memset(x, 0, sizeof(*x));
	for (int l = 0; l < 27; l++) {
		x->start[l] = (unsigned char)n;
		for (int k = 0; k < 3; k++) {
			for (int i = 0; lists[k][i] != NULL; i++) {
				if (letter_index((unsigned char)lists[k][i][0]) != l ||
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
}

struct pii_engine *
pii_engine_new(char *err, size_t errlen)
{
	struct pii_engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->trigp = malloc(sizeof(*e->trigp));
	if (e->trigp != NULL)
		trig_index_build(e->trigp);
	e->ids = pii_ids_new();
	e->phone = pii_phone_new();
	e->secrets = pii_secrets_new();
	e->ip = pii_ip_new();
	if (e->trigp == NULL || e->ids == NULL || e->phone == NULL ||
	    e->secrets == NULL || e->ip == NULL) {
		snprintf(err, errlen, "out of memory");
		pii_engine_free(e);
		return NULL;
	}
	e->norm = pii_norm_new(err, errlen);
	if (e->norm == NULL) {
		pii_engine_free(e);
		return NULL;
	}
	return e;
}

void
pii_engine_free(struct pii_engine *e)
{
	if (e == NULL)
		return;
	pii_norm_free(e->norm);
	pii_ids_free(e->ids);
	pii_phone_free(e->phone);
	pii_secrets_free(e->secrets);
	pii_ip_free(e->ip);
	free(e->trigp);
	free(e);
}

static int
push(struct pii_matches *m, size_t start, size_t end, int type)
{
	return pii_matches_push(m, start, end, type);
}

int
pii_matches_push(struct pii_matches *m, size_t start, size_t end, int type)
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
	m->v[m->n].type = type;
	m->n++;
	return 0;
}

static unsigned
features(const char *t, size_t len)
{
	unsigned f = 0;

	for (size_t i = 0; i < len; i++) {
		f |= char_class[(unsigned char)t[i]] & 31;
		if (f == 31)
			break;	/* every feature seen: no need to read on */
	}
	return f;
}

/* Gazetteer names: a known first name and one or two capitalized words. */
static int
scan_names(const char *t, size_t len, struct pii_matches *all)
{
	size_t i = 0;

	while (i < len) {
		size_t ws, we;

		while (i < len && !(t[i] >= 'A' && t[i] <= 'Z') &&
		    (unsigned char)t[i] < 0xC3)
			i++;
		if (i >= len)
			break;
		ws = i;
		if (ws > 0 && ((t[ws - 1] >= 'a' && t[ws - 1] <= 'z') ||
		    (t[ws - 1] >= 'A' && t[ws - 1] <= 'Z'))) {
			i++;
			continue;
		}
		we = ws;
		while (we < len && (((t[we] | 32) >= 'a' && (t[we] | 32) <= 'z') ||
		    (unsigned char)t[we] >= 0x80 || t[we] == '-'))
			we++;
		if (we > ws + 1 && pii_is_first_name(t + ws, we - ws)) {
			size_t ss = we, se;

			while (ss < len && t[ss] == ' ')
				ss++;
			se = ss;
			if (ss < len && ss > we && ss - we <= 2 &&
			    t[ss] >= 'A' && t[ss] <= 'Z') {
				se = ss + 1;
				while (se < len && ((t[se] >= 'a' &&
				    t[se] <= 'z') || (unsigned char)t[se] >= 0x80 ||
				    t[se] == '-' || t[se] == '\''))
					se++;
				if (se > ss + 1 && !is_stopword(t + ss, se - ss)) {
					if (push(all, ws, se, PII_PERSON) != 0)
						return -1;
					i = se;
					continue;
				}
			}
		}
		i = we > ws ? we : ws + 1;
	}
	return 0;
}

static int
is_alnum(unsigned char c)
{
	return char_class[c] & (F_DIGIT | F_UPPER | F_LOWER) && c < 0x80;
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

			if (q + pl <= len && memcmp(t + q, particles[i], pl) == 0)
				q += pl;
		}
	}
	if (words == 1 && is_stopword(t + p, end - p))
		return 0;
	return end - p;
}


/*
 * PERSON triggers: salutations (case as written), self-introductions and
 * letter closings (any case); the name follows. Checked only at word
 * starts whose first letter can begin a trigger.
 */
static int
scan_person_triggers(const struct trig_index *x, const char *t, size_t len,
    struct pii_matches *all)
{
	for (size_t i = 0; i + 2 < len; i++) {
		size_t p = 0, n;
		int kind = 0, l = letter_index((unsigned char)t[i]);

		if (l == 26 || x->count[l] == 0 ||
		    (i > 0 && is_alnum((unsigned char)t[i - 1])))
			continue;
		for (int k = x->start[l]; k < x->start[l] + x->count[l] &&
		    !kind; k++) {
			const struct trig *g = &x->v[k];

			if (i + g->len >= len || lower((unsigned char)t[i + 1]) !=
			    lower((unsigned char)g->s[1]))
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
			continue;
		while (p < len && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n'))
			p++;
		n = p < len ? name_span(t, len, p) : 0;
		if (n > 0) {
			if (push(all, p, p + n, PII_PERSON) != 0)
				return -1;
			i = p + n;
		}
	}
	return 0;
}

/*
 * When matches overlap, the type of the stronger evidence names the
 * span: a checksum-validated identifier over a phone number (whose
 * patterns are loose), anything over a name; a Danish CPR (found only
 * next to "CPR") over a Swedish personnummer or a Finnish HETU of the
 * same shape; then the longer match.
 */
static int
priority(int type)
{
	switch (type) {
	case PII_PERSON: return 0;
	case PII_PHONE: return 1;
	case PII_IP_ADDRESS: return 2;
	case PII_SE_PERSONNUMMER: return 3;
	case PII_DK_CPR: return 5;	/* only ever next to "CPR" */
	default: return 4;
	}
}

static int
cmp_strength(const void *a, const void *b)
{
	const struct pii_match *x = a, *y = b;
	size_t lx = x->end - x->start, ly = y->end - y->start;

	if (priority(x->type) != priority(y->type))
		return priority(y->type) - priority(x->type);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int
cmp_start(const void *a, const void *b)
{
	const struct pii_match *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Overlapping matches become one: the span covering them all, with the
 * type of the strongest. Dropping the weaker one instead would leave its
 * part of the text unprotected (and found by a second pass).
 */
static int
resolve(struct pii_matches *all, struct pii_matches *out)
{
	size_t i = 0;

	if (all->n == 0)
		return 0;
	qsort(all->v, all->n, sizeof(*all->v), cmp_start);
	while (i < all->n) {
		size_t j = i + 1, end = all->v[i].end, best = i;

		while (j < all->n && all->v[j].start < end) {
			if (all->v[j].end > end)
				end = all->v[j].end;
			if (cmp_strength(&all->v[j], &all->v[best]) < 0)
				best = j;
			j++;
		}
		if (push(out, all->v[i].start, end, all->v[best].type) != 0)
			return -1;
		i = j;
	}
	return 0;
}

/* The detectors over a detection form. */
static int
scan_form(struct pii_engine *e, const char *text, size_t len,
    const unsigned char enabled[PII__COUNT],
    const struct pii_regions *regions, struct pii_matches *out)
{
	struct pii_matches all = { NULL, 0, 0 };
	unsigned f = features(text, len);
	int rc = 0;

	if (enabled[PII_IP_ADDRESS] && (f & (F_DIGIT | F_COLON)))
		rc = pii_ip_scan(e->ip, text, len, &all);
	if (rc == 0 && (f & F_DIGIT))
		rc = pii_ids_scan(e->ids, text, len, enabled, &all);
	if (rc == 0 && enabled[PII_PHONE] && (f & F_DIGIT))
		rc = pii_phone_scan(e->phone, text, len, regions, &all);
	if (rc == 0 && enabled[PII_SECRET])
		rc = pii_secrets_scan(e->secrets, text, len, &all);
	if (rc == 0 && enabled[PII_EMAIL] && (f & F_AT))
		rc = pii_email_scan(text, len, &all);
	if (rc == 0 && enabled[PII_PERSON])
		rc = scan_person_triggers(e->trigp, text, len, &all);
	if (rc == 0 && enabled[PII_PERSON] && (f & F_UPPER))
		rc = scan_names(text, len, &all);
	if (rc == 0)
		rc = resolve(&all, out);
	free(all.v);
	return rc;
}

/*
 * A text that is not its own detection form is scanned in that form; a
 * match there covers the whole code points of the original that made it,
 * with the ignorable ones between them.
 */
int
pii_scan(struct pii_engine *e, const char *text, size_t len,
    const unsigned char enabled[PII__COUNT], struct pii_matches *out)
{
	return pii_scan_regions(e, text, len, enabled, NULL, out);
}

int
pii_scan_regions(struct pii_engine *e, const char *text, size_t len,
    const unsigned char enabled[PII__COUNT],
    const struct pii_regions *regions, struct pii_matches *out)
{
	struct pii_norm_text nt;
	struct pii_matches dm = { NULL, 0, 0 }, all = { NULL, 0, 0 };
	int rc = pii_norm_map(e->norm, text, len, &nt);

	if (rc == 0)
		return scan_form(e, text, len, enabled, regions, out);
	if (rc < 0)
		return -1;
	rc = scan_form(e, nt.p, nt.len, enabled, regions, &dm);
	for (size_t i = 0; i < dm.n && rc == 0; i++)
		if (dm.v[i].end > dm.v[i].start)
			rc = push(&all, nt.from[dm.v[i].start],
			    nt.to[dm.v[i].end - 1], dm.v[i].type);
	if (rc == 0)
		rc = resolve(&all, out);
	pii_matches_free(&dm);
	free(all.v);
	pii_norm_text_free(&nt);
	return rc;
}

int
pii_detection_form(struct pii_engine *e, const char *text, size_t len,
    char **form, size_t *form_len)
{
	struct pii_norm_text nt;
	int rc = pii_norm_map(e->norm, text, len, &nt);

	*form = NULL;
	*form_len = 0;
	if (rc <= 0)
		return rc;
	*form = nt.p;
	*form_len = nt.len;
	free(nt.from);
	free(nt.to);
	return 0;
}

void
pii_matches_clear(struct pii_matches *m)
{
	m->n = 0;
}

void
pii_matches_free(struct pii_matches *m)
{
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}
