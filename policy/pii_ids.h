/*
 * Identifiers with a fixed shape: IBANs, payment cards, VAT numbers and
 * the personal, tax, social security, health insurance and document
 * numbers of EU and EEA states, the UK and Switzerland. A cheap pass
 * finds chains of letter-and-digit tokens around digits (joined by
 * spaces, dashes, dots, slashes as people write them); each part of a
 * chain that starts and ends on a word boundary is tried against a table
 * of identifiers (country, shape, check digits, the context words that
 * name it in any supported language). A value with a rare shape and valid
 * check digits needs no context; one that a number passes by chance needs
 * its label nearby; a document number without check digits needs its
 * label and a format of the country the text points to. Pure code: built
 * once, then only read.
 */
#ifndef POLICY_PII_IDS_H
#define POLICY_PII_IDS_H

#include <stddef.h>

#include "policy/pii.h"

struct pii_ids;

/* NULL when out of memory. */
struct pii_ids *pii_ids_new(void);
void pii_ids_free(struct pii_ids *x);

/*
 * Appends the identifiers found in text (a detection form, len bytes) of
 * the enabled types to out (unsorted, may overlap). Returns 0, or -1 when
 * out of memory. Linear in len.
 */
int pii_ids_scan(const struct pii_ids *x, const char *text, size_t len,
    const unsigned char enabled[PII__COUNT], struct pii_matches *out);

#endif
