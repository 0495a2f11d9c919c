/*
 * Validators of personal-data identifiers: checksums, embedded dates and
 * allowed ranges. Pure functions on normalized text (separators removed,
 * letters upper case); each returns 1 when the value is plausible.
 */
#ifndef POLICY_PII_CHECK_H
#define POLICY_PII_CHECK_H

#include <stddef.h>

int pii_luhn(const char *d, size_t n);
int pii_iso7064_mod11_10(const char *d, size_t n);
/* ISO 7064 MOD 97-10 over letters and digits; 1 when the result is 1. */
int pii_mod97_is_one(const char *s, size_t n);
/* Calendar check; year is four digits. */
int pii_valid_date(int year, int month, int day);

int pii_check_iban(const char *s, size_t n);
int pii_check_card(const char *d, size_t n);
int pii_check_de_tax_id(const char *d, size_t n);
int pii_check_de_svnr(const char *s, size_t n);
int pii_check_fr_nir(const char *s, size_t n);
int pii_check_es_dni(const char *s, size_t n);
int pii_check_es_nie(const char *s, size_t n);
int pii_check_it_fiscal_code(const char *s, size_t n);
int pii_check_nl_bsn(const char *d, size_t n);
int pii_check_be_nn(const char *d, size_t n);
int pii_check_pl_pesel(const char *d, size_t n);
int pii_check_se_pnr(const char *d, size_t n);
int pii_check_fi_hetu(const char *s, size_t n);
int pii_check_dk_cpr(const char *d, size_t n);
int pii_check_at_svnr(const char *d, size_t n);
int pii_check_pt_nif(const char *d, size_t n);
int pii_check_ie_ppsn(const char *s, size_t n);
int pii_check_uk_nino(const char *s, size_t n);
#endif
