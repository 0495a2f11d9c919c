/*
 * PII detection: one scanner per kind of value (e-mail, identifiers of
 * every EU/EEA state, UK and CH, phones through libphonenumber, IPs,
 * secrets, names), each finding candidates cheaply and validating them
 * (checksums, numbering plans, name lists, context words in the
 * supported languages; negative context suppresses). Runs on decoded
 * JSON strings in their detection form. Pure code: an engine is built
 * once and only read afterwards, but keeps scratch space (the detection
 * form), so one engine serves one thread; engines made with
 * pii_engine_new_sharing share the read-only name tables.
 */
#ifndef POLICY_PII_H
#define POLICY_PII_H

#include <stddef.h>
#include <stdint.h>

enum pii_type {
	PII_EMAIL, PII_PHONE, PII_IBAN, PII_CREDIT_CARD, PII_IP_ADDRESS,
	PII_EU_VAT, PII_DE_TAX_ID, PII_DE_SVNR, PII_FR_NIR, PII_ES_DNI,
	PII_ES_NIE, PII_IT_FISCAL_CODE, PII_NL_BSN, PII_BE_NATIONAL_NUMBER,
	PII_PL_PESEL, PII_SE_PERSONNUMMER, PII_FI_HETU, PII_DK_CPR,
	PII_AT_SVNR, PII_PT_NIF, PII_IE_PPSN, PII_UK_NINO,
	PII_PERSONAL_ID,	/* personal numbers of other states */
	PII_TAX_NUMBER,		/* tax numbers of persons */
	PII_HEALTH_ID,		/* social security, health insurance */
	PII_ID_DOCUMENT,	/* passport, identity card, driving licence */
	PII_SECRET, PII_PERSON,
	PII__COUNT
};

const char *pii_type_name(int type);
/* Returns the type of a name ("IBAN"), or -1. */
int pii_type_parse(const char *name, size_t len);
/* 1 for the national identifiers (tax, social security, citizen numbers):
 * the group a policy names NATIONAL_ID. */
int pii_national_id(int type);

struct pii_match {
	size_t start, end;	/* byte offsets in the scanned text */
	int type;
};

struct pii_matches {
	struct pii_match *v;
	size_t n, cap;
};

struct pii_engine;

/* Region hints for national phone numbers ("DE", "FR"): a policy's
 * pii_phone_regions. */
#define PII_REGIONS_MAX 16

struct pii_regions {
	char code[PII_REGIONS_MAX][3];
	size_t n;
};

/* Builds every scanner's tables; NULL with a message in err on failure. */
struct pii_engine *pii_engine_new(char *err, size_t errlen);
/* An engine for another thread that shares base's read-only tables (the
 * PERSON name lists, ~2.5 MB): base must be freed after it. */
struct pii_engine *pii_engine_new_sharing(const struct pii_engine *base,
    char *err, size_t errlen);
void pii_engine_free(struct pii_engine *e);

/*
 * Scans text (UTF-8, len bytes) in its detection form (NFKC, ignorables
 * removed, look-alikes folded: policy/pii_norm.h); offsets are in text.
 * enabled[type] selects the types to look for. Matches are appended to
 * out sorted by start, without overlaps.
 * Returns 0, or -1 when a matcher failed (limit, bad UTF-8): the caller
 * must fail closed.
 */
int pii_scan(struct pii_engine *e, const char *text, size_t len,
    const unsigned char enabled[PII__COUNT], struct pii_matches *out);
/* The same, with region hints for phone numbers (NULL: none). */
int pii_scan_regions(struct pii_engine *e, const char *text, size_t len,
    const unsigned char enabled[PII__COUNT],
    const struct pii_regions *regions, struct pii_matches *out);

/*
 * The detection form of text (see policy/pii_norm.h): *form is a malloc'ed
 * copy (the caller frees it), or NULL when text is its own form. Returns
 * 0, or -1 on a failure.
 */
int pii_detection_form(struct pii_engine *e, const char *text, size_t len,
    char **form, size_t *form_len);

/* Appends a match; 0, or -1 when out of memory. */
int pii_matches_push(struct pii_matches *m, size_t start, size_t end,
    int type);
void pii_matches_clear(struct pii_matches *m);
void pii_matches_free(struct pii_matches *m);

#endif
