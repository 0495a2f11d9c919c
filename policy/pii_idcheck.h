/*
 * Validators of the identifiers of EU and EEA states, the UK and
 * Switzerland that policy/pii_check.h does not hold: personal numbers,
 * tax numbers, social security and health insurance numbers, document
 * numbers. Pure functions on normalized text (separators removed, letters
 * upper case); each returns 1 when the value passes its check digits,
 * embedded date and allowed ranges.
 */
#ifndef POLICY_PII_IDCHECK_H
#define POLICY_PII_IDCHECK_H

#include <stddef.h>

int pii_check_bg_egn(const char *d, size_t n);
int pii_check_cz_rc(const char *d, size_t n);	/* also SK */
int pii_check_ee_ik(const char *d, size_t n);	/* also LT */
int pii_check_lv_pk(const char *d, size_t n);
int pii_check_hr_oib(const char *d, size_t n);
int pii_check_ro_cnp(const char *d, size_t n);
int pii_check_si_emso(const char *d, size_t n);
int pii_check_gr_amka(const char *d, size_t n);
int pii_check_hu_tax(const char *d, size_t n);	/* adóazonosító jel */
int pii_check_hu_taj(const char *d, size_t n);
int pii_check_is_kt(const char *d, size_t n);	/* kennitala */
int pii_check_no_fnr(const char *d, size_t n);
int pii_check_ch_ahv(const char *d, size_t n);
int pii_check_uk_nhs(const char *d, size_t n);
int pii_check_uk_utr(const char *d, size_t n);
int pii_check_uk_driving(const char *s, size_t n);
int pii_check_fr_spi(const char *d, size_t n);
int pii_check_pl_nip(const char *d, size_t n);
int pii_check_pl_id_card(const char *s, size_t n);
int pii_check_pt_cc(const char *s, size_t n);
int pii_check_be_eid(const char *d, size_t n);
int pii_check_de_kvnr(const char *s, size_t n);
int pii_check_de_document(const char *s, size_t n);
int pii_check_de_stnr(const char *d, size_t n);
int pii_check_at_tin(const char *d, size_t n);
int pii_check_it_driving(const char *s, size_t n);
int pii_check_mt_id(const char *s, size_t n);

#endif
