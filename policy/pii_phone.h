/*
 * Phone numbers. A cheap pass finds runs of digits written as people
 * write phone numbers (+, 00, parentheses, spaces, dashes, dots, an
 * extension); then an international number (+CC, 00CC) counts when
 * libphonenumber says it is valid for its country, a national one when a
 * phone word of any supported language is near ("Tel.", "Handy",
 * "portable", "llámame", "ring", ...), when it is valid in a region the
 * policy names, or when its grouping is a phone's ("(030) 1234 5678",
 * "06 12 34 56 78", "415-555-0132"). Never next to the label of an
 * identifier, an order number or a negation ("not a phone number").
 * Holds a small cache of libphonenumber's answers: one per thread.
 */
#ifndef POLICY_PII_PHONE_H
#define POLICY_PII_PHONE_H

#include <stddef.h>

#include "policy/pii.h"

struct pii_phone;

/* NULL when out of memory. */
struct pii_phone *pii_phone_new(void);
void pii_phone_free(struct pii_phone *p);

/*
 * Appends the phone numbers of text (a detection form, len bytes) to out;
 * regions (may be NULL) are the policy's region hints for national
 * numbers. Returns 0, or -1 when out of memory or the library failed.
 */
int pii_phone_scan(struct pii_phone *p, const char *text, size_t len,
    const struct pii_regions *regions, struct pii_matches *out);

/*
 * Resolves a policy's list of region codes ("DE", "fr") into out. Returns
 * 0, or -1 with *bad naming the first code libphonenumber does not know
 * (or the first past PII_REGIONS_MAX).
 */
int pii_phone_regions_parse(char *const *v, size_t n,
    struct pii_regions *out, const char **bad);

#endif
