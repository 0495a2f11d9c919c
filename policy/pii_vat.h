/*
 * VAT numbers of the 27 EU member states (Greece as EL, Northern Ireland
 * as XI), Norway (NO ... MVA), Switzerland (CHE-... MWST/TVA/IVA) and the
 * United Kingdom (GB), each with its country's check digits. Pure
 * functions on normalized text (separators removed, upper case).
 */
#ifndef POLICY_PII_VAT_H
#define POLICY_PII_VAT_H

#include <stddef.h>

/*
 * A VAT number with its country prefix ("DE811363057", "CHE123456789MWST").
 * Returns 2 when its check digits confirm it, 0 else.
 */
int pii_vat_check(const char *s, size_t n);

/* The national part alone ("811363057") as a VAT number of the country
 * cc ("DE"; a label named the country): 1 when its check digits confirm
 * it. */
int pii_vat_check_country(const char *cc, const char *s, size_t n);

#endif
