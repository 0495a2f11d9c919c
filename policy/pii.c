/* PII detection: the detectors over a text's detection form, and names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/pii.h"
#include "policy/pii_bytes.h"
#include "policy/pii_check.h"
#include "policy/pii_email.h"
#include "policy/pii_ids.h"
#include "policy/pii_ip.h"
#include "policy/pii_person.h"
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
	F_DIGIT = 1, F_AT = 2, F_COLON = 4
};

struct pii_engine {
	struct pii_ids *ids;		/* identifiers with a fixed shape */
	struct pii_phone *phone;	/* phone numbers */
	struct pii_secrets *secrets;	/* keys, tokens, passwords */
	struct pii_ip *ip;		/* IP addresses */
	const struct pii_person *person;	/* PERSON detection */
	struct pii_person *own_person;	/* NULL: person is another's */
	struct pii_norm *norm;		/* the detection form */
};

/* A new engine; with shared, its PERSON tables are shared's. */
static struct pii_engine *
engine_new(const struct pii_engine *shared, char *err, size_t errlen)
{
	struct pii_engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	if (shared != NULL)
		e->person = shared->person;
	else
		e->person = e->own_person = pii_person_new();
	e->ids = pii_ids_new();
	e->phone = pii_phone_new();
	e->secrets = pii_secrets_new();
	e->ip = pii_ip_new();
	if (e->person == NULL || e->ids == NULL || e->phone == NULL ||
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

struct pii_engine *
pii_engine_new(char *err, size_t errlen)
{
	return engine_new(NULL, err, errlen);
}

struct pii_engine *
pii_engine_new_sharing(const struct pii_engine *base, char *err,
    size_t errlen)
{
	return engine_new(base, err, errlen);
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
	pii_person_free(e->own_person);
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

/* The F_* features of a text: three vectorized passes (memchr, sixteen
 * bytes at a time) instead of a table lookup per byte. */
static unsigned
features(const char *t, size_t len)
{
	unsigned f = 0;

	if (len == 0)
		return 0;
	if (pii_bytes_next(t, 0, len, '0', '9') < len)
		f |= F_DIGIT;
	if (memchr(t, '@', len) != NULL)
		f |= F_AT;
	if (memchr(t, ':', len) != NULL)
		f |= F_COLON;
	return f;
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

/*
 * Sorts v by start, stable (matches of one start keep the detectors'
 * order, which picks the type when two are equally strong): runs already
 * in order (each detector's) merged bottom-up. Returns 0, or -1 when out
 * of memory.
 */
static int
sort_start(struct pii_match *v, size_t n)
{
	struct pii_match *tmp, *src = v, *dst;
	size_t w = 1, i;

	for (i = 1; i < n && v[i - 1].start <= v[i].start; i++)
		;
	if (i >= n)
		return 0;	/* in order already */
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL)
		return -1;
	dst = tmp;
	for (; w < n; w *= 2) {
		struct pii_match *t;

		for (i = 0; i < n; i += 2 * w) {
			size_t a = i, am = i + w < n ? i + w : n, b = am,
			    bm = i + 2 * w < n ? i + 2 * w : n, k = i;

			while (a < am && b < bm)
				dst[k++] = src[b].start < src[a].start ?
				    src[b++] : src[a++];
			while (a < am)
				dst[k++] = src[a++];
			while (b < bm)
				dst[k++] = src[b++];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
	return 0;
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
	if (sort_start(all->v, all->n) != 0)
		return -1;
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
		rc = pii_person_scan(e->person, text, len, &all);
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
