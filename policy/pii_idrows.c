/*
 * The table of identifiers: one row per identifier (its type, country,
 * length, check and the labels that name it), tried by policy/pii_ids.c.
 */
#include <string.h>

#include "policy/pii.h"
#include "policy/pii_check.h"
#include "policy/pii_idcheck.h"
#include "policy/pii_ids_int.h"
#include "policy/pii_vat.h"

/* ---- helpers ---- */

static int
all_digits(const struct id_cand *c)
{
	return c->digits == c->n;
}

/* Separators written inside the candidate, other than those in ok. */
static int
seps_only(const struct id_cand *c, const char *ok)
{
	for (size_t k = 1; k < c->n; k++)
		if (c->sep[k] != 0 && strchr(ok, c->sep[k]) == NULL)
			return 0;
	return 1;
}

static int
has_seps(const struct id_cand *c)
{
	for (size_t k = 1; k < c->n; k++)
		if (c->sep[k] != 0)
			return 1;
	return 0;
}

/*
 * s[0, n) against a shape: '9' a digit, 'A' a letter, 'X' either, other
 * characters themselves; alternatives separated by '|'.
 */
static int
shape(const char *s, size_t n, const char *pat)
{
	while (*pat != '\0') {
		size_t k = 0;
		const char *p = pat;

		while (*p != '\0' && *p != '|' && k < n) {
			char ch = s[k];
			int ok = *p == '9' ? ch >= '0' && ch <= '9' :
			    *p == 'A' ? ch >= 'A' && ch <= 'Z' :
			    *p == 'X' ? (ch >= '0' && ch <= '9') ||
			    (ch >= 'A' && ch <= 'Z') : ch == *p;

			if (!ok)
				break;
			p++;
			k++;
		}
		if (k == n && (*p == '\0' || *p == '|'))
			return 1;
		pat = strchr(pat, '|');
		if (pat == NULL)
			return 0;
		pat++;
	}
	return 0;
}

/* Separators only before the characters at the positions listed (a
 * grouping people write: "12 345 678 901"), each one of ok. */
static int
grouped(const struct id_cand *c, const char *ok, const unsigned char *at,
    size_t n_at)
{
	for (size_t k = 1; k < c->n; k++) {
		int listed = 0;

		if (c->sep[k] == 0)
			continue;
		for (size_t i = 0; i < n_at; i++)
			listed |= at[i] == k;
		if (!listed || strchr(ok, c->sep[k]) == NULL)
			return 0;
	}
	return 1;
}

/* The capitals written just before the candidate (over a separator), a
 * word of them: into out (at most 3), their number. */
static size_t
letters_before(const struct id_cand *c, char *out)
{
	size_t p = c->start, q, k = 0;

	while (p > 0 && c->start - p < 3 && strchr(" -.:", c->text[p - 1]) &&
	    c->text[p - 1] != '\0')
		p--;
	if (p == c->start)
		return 0;
	q = p;
	while (q > 0 && p - q < 4 && c->text[q - 1] >= 'A' &&
	    c->text[q - 1] <= 'Z')
		q--;
	if (p - q > 3 || (q > 0 && ((c->text[q - 1] | 32) >= 'a' &&
	    (c->text[q - 1] | 32) <= 'z')))
		return 0;
	for (; q < p; q++)
		out[k++] = c->text[q];
	return k;
}

static int
strong_if(int cond)
{
	return cond ? ID_STRONG : ID_LABEL;
}

/* ---- payment: IBAN, cards, VAT ---- */

static int
row_iban(const struct id_cand *c, struct id_env *env)
{
	return c->c[0] >= 'A' && c->c[0] <= 'Z' && c->c[1] >= 'A' &&
	    c->c[1] <= 'Z' && c->c[2] >= '0' && c->c[2] <= '9' &&
	    pii_check_iban(c->c, c->n) ? ID_STRONG : ID_NO;
}

static int
row_card(const struct id_cand *c, struct id_env *env)
{
	if (!all_digits(c) || !seps_only(c, " -."))
		return ID_NO;
	if (pii_check_card(c->c, c->n))
		return ID_STRONG;
	/* Next to "card": a bank's or a card scheme's number (MII 3 to 6)
	 * of a card's length whose issuer range is not known here. */
	return c->n >= 13 && c->c[0] >= '3' && c->c[0] <= '6' &&
	    pii_luhn(c->c, c->n) ? ID_LABEL : ID_NO;
}

static int
row_vat(const struct id_cand *c, struct id_env *env)
{
	char before[4];
	size_t nb;

	if (!c->first_upper || c->c[0] < 'A' || c->c[1] < 'A' ||
	    c->c[0] > 'Z' || c->c[1] > 'Z' || pii_vat_check(c->c, c->n) != 2)
		return ID_NO;
	/* Its country written twice ("NL NL 818...", "AT ATU ...") is a
	 * malformed number. */
	nb = letters_before(c, before);
	if (nb >= 2 && before[0] == c->c[0] && before[1] == c->c[1])
		return ID_NO;
	/* Three digits ("GBGD001"): next to a VAT label. */
	return strong_if(c->digits > 3);
}

static const char *const cc_codes[CC__COUNT] = {
	"AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI",
	"FR", "GB", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU",
	"LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
};

/* A VAT number without its prefix, next to a VAT label of a language
 * that names its country ("USt-IdNr. 811363057", "partita IVA"). */
static int
row_vat_bare(const struct id_cand *c, struct id_env *env)
{
	uint32_t valid = 0, prefix = 0;
	char before[4];

	/* After a country's prefix it is that country's ("DK: 21599336"),
	 * or, when the prefix is not followed by a colon, the candidate
	 * with the prefix is the number (a bad one here). */
	if (letters_before(c, before) >= 2) {
		for (int i = 0; i < CC__COUNT; i++)
			if (memcmp(before, i == CC_GR ? "EL" : cc_codes[i],
			    2) == 0)
				prefix = (uint32_t)1 << i;
		if (memcmp(before, "XI", 2) == 0)
			prefix = CC(GB);
		if (prefix != 0 && memchr(c->text + c->start - 3, ':', 3) ==
		    NULL)
			return ID_NO;
	}

	/* The label first (the chain's words are read once, and most
	 * chains read them), then the countries whose check it passes:
	 * thirty checks cost more than the read. */
	id_env_read(env, c);
	if (!(env->groups & LG(VAT)))
		return ID_NO;
	for (int i = 0; i < CC__COUNT; i++) {
		const char *code = i == CC_GR ? "EL" : cc_codes[i];

		if (pii_vat_check_country(code, c->c, c->n))
			valid |= (uint32_t)1 << i;
	}
	if (valid == 0 || (prefix != 0 && !(valid & prefix)))
		return ID_NO;
	/* Checks that a number passes by chance once in a hundred count
	 * whatever the language of the label. */
	return prefix != 0 || (valid & ((env->named ? env->named :
	    env->langs) | CC(FR) | CC(BE) | CC(NL) | CC(SE) | CC(LU))) ?
	    ID_LABEL : ID_NO;
}

/* ---- the national identifiers of pii.h's first types ---- */

/* A digit of the first ten written twice or three times, as in every
 * number issued (the check alone lets numbers without one pass). */
static int
de_tax_id_repeat(const struct id_cand *c)
{
	int count[10] = { 0 }, repeated = 0;

	for (int i = 0; i < 10; i++)
		count[c->c[i] - '0']++;
	for (int i = 0; i < 10; i++)
		repeated += count[i] == 2 || count[i] == 3;
	return repeated == 1;
}

/* Written whole, "12 345 678 901", or with the check digit apart
 * ("1123456789 0": then in the issued structure only). */
static int
row_de_tax_id(const struct id_cand *c, struct id_env *env)
{
	static const unsigned char at[] = { 2, 5, 8 }, check[] = { 10 };

	if (!pii_check_de_tax_id(c->c, c->n))
		return ID_NO;
	if (grouped(c, " ", at, 3))
		return ID_LABEL;
	return grouped(c, " ", check, 1) && de_tax_id_repeat(c) ? ID_LABEL :
	    ID_NO;
}

static int
row_de_svnr(const struct id_cand *c, struct id_env *env)
{
	return pii_check_de_svnr(c->c, c->n) ? ID_STRONG : ID_NO;
}

static int
row_fr_nir(const struct id_cand *c, struct id_env *env)
{
	return pii_check_fr_nir(c->c, c->n) ? ID_STRONG : ID_NO;
}

/* "12345678Z", "12345678-Z", "12.345.678-Z". */
static int
row_es_dni(const struct id_cand *c, struct id_env *env)
{
	static const unsigned char at[] = { 2, 5, 8 };
	char d[10];

	if (!grouped(c, " -.", at, c->n == 9 ? 3 : 0) ||
	    (c->sep[2] != 0 && c->sep[2] != '.'))
		return ID_NO;
	if (c->n == 9 && pii_check_es_dni(c->c, 9))
		return ID_STRONG;
	/* K, L, M: the NIF of Spaniards under 14, abroad, foreigners
	 * without a NIE; the letter over the seven digits. */
	if (c->n == 9 && strchr("KLM", c->c[0]) != NULL && c->c[0] != '\0') {
		d[0] = '0';
		memcpy(d + 1, c->c + 1, 8);
		return pii_check_es_dni(d, 9) ? ID_LABEL : ID_NO;
	}
	if (c->n == 9)
		return ID_NO;
	/* Leading zeros left out: only next to a label. */
	memset(d, '0', 9 - c->n);
	memcpy(d + 9 - c->n, c->c, c->n);
	return pii_check_es_dni(d, 9) ? ID_LABEL : ID_NO;
}

static int
row_es_nie(const struct id_cand *c, struct id_env *env)
{
	return pii_check_es_nie(c->c, c->n) ? ID_STRONG : ID_NO;
}

/*
 * Omocodia (letters LMNPQRSTUV for the digits of a code shared by two
 * people): the check character belongs to the code as written, but
 * validator.js and the generators built on it compute it over the digits
 * restored. Such a code is still the person's: next to its label.
 */
static int
it_cf_restored_check(const struct id_cand *c)
{
	static const unsigned char at[] = { 6, 7, 9, 10, 12, 13, 14 };
	static const char omocodes[] = "LMNPQRSTUV";
	char d[16];
	int letters = 0;

	memcpy(d, c->c, 16);
	for (size_t i = 0; i < sizeof(at); i++) {
		const char *o = strchr(omocodes, d[at[i]]);

		if (d[at[i]] >= '0' && d[at[i]] <= '9')
			continue;
		if (o == NULL || *o == '\0')
			return 0;
		d[at[i]] = (char)('0' + (o - omocodes));
		letters++;
	}
	return letters > 0 && pii_check_it_fiscal_code(d, 16);
}

static int
row_it_cf(const struct id_cand *c, struct id_env *env)
{
	if (!seps_only(c, " ") || !shape(c->c, c->n, "AAAAAAXXAXXAXXXA"))
		return ID_NO;
	if (pii_check_it_fiscal_code(c->c, c->n))
		return ID_STRONG;
	return it_cf_restored_check(c) ? ID_LABEL : ID_NO;
}

/* A company's codice fiscale is its partita IVA (11 digits). */
static int
row_it_cf_numeric(const struct id_cand *c, struct id_env *env)
{
	return all_digits(c) && pii_vat_check_country("IT", c->c, c->n) ?
	    ID_LABEL : ID_NO;
}

static int
row_nl_bsn(const struct id_cand *c, struct id_env *env)
{
	char d[10];

	if (!seps_only(c, ".- "))
		return ID_NO;
	if (c->n == 9)
		return pii_check_nl_bsn(c->c, 9) ? ID_LABEL : ID_NO;
	d[0] = '0';
	memcpy(d + 1, c->c, 8);
	return pii_check_nl_bsn(d, 9) ? ID_LABEL : ID_NO;
}

/* Written YY.MM.DD-SSS.CC (or spaced), the shape is rare enough. */
static int
row_be_nn(const struct id_cand *c, struct id_env *env)
{
	static const unsigned char at[] = { 2, 4, 6, 9 };

	if (!grouped(c, " -.", at, 4) || !pii_check_be_nn(c->c, c->n))
		return ID_NO;
	return strong_if(c->sep[2] != 0 && c->sep[4] != 0 && c->sep[6] != 0);
}

/* An identity card label in Poland: the PESEL's check digit alone (the
 * card's own number has letters). */
static int
row_pl_pesel(const struct id_cand *c, struct id_env *env)
{
	static const int w[] = { 1, 3, 7, 9, 1, 3, 7, 9, 1, 3 };
	int sum = 0;

	if (has_seps(c) || !all_digits(c) || c->n != 11)
		return ID_NO;
	if (pii_check_pl_pesel(c->c, c->n))
		return ID_LABEL;
	id_env_read(env, c);
	if (!(env->groups & LG(IDCARD)) || !(id_env_countries(env, c) &
	    CC(PL)))
		return ID_NO;
	for (int i = 0; i < 10; i++)
		sum += w[i] * (c->c[i] - '0');
	return (10 - sum % 10) % 10 == c->c[10] - '0' ? ID_LABEL : ID_NO;
}

/*
 * YYYYMMDDNNNC whose check digit was computed over all twelve digits
 * instead of the last ten (validator.js and the generators built on it
 * do so): the person's date and serial all the same, so next to a label
 * of a Swedish personal number.
 */
static int
se_pnr_long_check(const struct id_cand *c)
{
	int year, month, day;

	if (c->n != 12 || !all_digits(c) || !pii_luhn(c->c, 12))
		return 0;
	year = (c->c[0] - '0') * 1000 + (c->c[1] - '0') * 100 +
	    (c->c[2] - '0') * 10 + (c->c[3] - '0');
	month = (c->c[4] - '0') * 10 + (c->c[5] - '0');
	day = (c->c[6] - '0') * 10 + (c->c[7] - '0');
	if (day > 60)
		day -= 60;	/* samordningsnummer */
	return year >= 1800 && year < 2100 &&
	    pii_valid_date(year, month, day);
}

/*
 * YYMMDD-NNNC (YYYYMMDD-NNNC; "+" past 100 years) has a rare shape; a
 * bare twelve-digit number that starts with a century as well. A Finnish
 * label makes it a HETU instead.
 */
static int
row_se_pnr(const struct id_cand *c, struct id_env *env)
{
	size_t cut = c->n == 12 ? 8 : 6;

	if (!seps_only(c, "-+ ") || (has_seps(c) && c->sep[cut] == 0))
		return ID_NO;
	if (!pii_check_se_pnr(c->c, c->n)) {
		return se_pnr_long_check(c) ? ID_LABEL : ID_NO;
	}
	id_env_read(env, c);
	if ((env->groups & LG(HETU)) && !(env->groups & LG(PNR)))
		return ID_NO;
	if (c->sep[cut] == '-' || c->sep[cut] == '+')
		return ID_STRONG;
	return strong_if(c->n == 12 && !has_seps(c) && (c->c[0] == '1' ||
	    c->c[0] == '2'));
}

/* DDMMYY, the century sign (-, +, A-F, U-Y), NNN and a check character. */
static int
row_fi_hetu(const struct id_cand *c, struct id_env *env)
{
	char h[11];
	char sign;

	if (c->n == 10 && (c->sep[6] == '-' || c->sep[6] == '+')) {
		sign = c->sep[6];
		memcpy(h, c->c, 6);
		h[6] = sign;
		memcpy(h + 7, c->c + 6, 4);
	} else if (c->n == 11 && !has_seps(c)) {
		sign = c->c[6];
		memcpy(h, c->c, 11);
	} else {
		return ID_NO;
	}
	for (size_t k = 1; k < c->n; k++)
		if (c->sep[k] != 0 && k != 6)
			return ID_NO;
	if (!pii_check_fi_hetu(h, 11))
		return ID_NO;
	if (sign == '-') {
		id_env_read(env, c);
		if ((env->groups & (LG(PNR) | LG(CPR))) &&
		    !(env->groups & LG(HETU)))
			return ID_NO;
	}
	return ID_STRONG;
}

static int
row_dk_cpr(const struct id_cand *c, struct id_env *env)
{
	for (size_t k = 1; k < c->n; k++)
		if (c->sep[k] != 0 && !(k == 6 && c->sep[k] == '-'))
			return ID_NO;
	return pii_check_dk_cpr(c->c, c->n) ? ID_LABEL : ID_NO;
}

static int
row_at_svnr(const struct id_cand *c, struct id_env *env)
{
	if (!pii_check_at_svnr(c->c, c->n))
		return ID_NO;
	return strong_if(c->sep[4] == ' ');
}

static int
row_pt_nif(const struct id_cand *c, struct id_env *env)
{
	return pii_check_pt_nif(c->c, c->n) ? ID_LABEL : ID_NO;
}

static int
row_ie_ppsn(const struct id_cand *c, struct id_env *env)
{
	return pii_check_ie_ppsn(c->c, c->n) ? ID_STRONG : ID_NO;
}

static int
row_uk_nino(const struct id_cand *c, struct id_env *env)
{
	return pii_check_uk_nino(c->c, c->n) ? ID_STRONG : ID_NO;
}

/* ---- personal identification numbers of other states ---- */

#define LABELLED(name, check)						\
	static int							\
	name(const struct id_cand *c, struct id_env *env)		\
	{								\
		return check(c->c, c->n) ? ID_LABEL : ID_NO;		\
	}

LABELLED(row_bg_egn, pii_check_bg_egn)
LABELLED(row_ee_ik, pii_check_ee_ik)
LABELLED(row_hr_oib, pii_check_hr_oib)
LABELLED(row_ro_cnp, pii_check_ro_cnp)
LABELLED(row_si_emso, pii_check_si_emso)
LABELLED(row_gr_amka, pii_check_gr_amka)
LABELLED(row_is_kt, pii_check_is_kt)
LABELLED(row_no_fnr, pii_check_no_fnr)
LABELLED(row_pt_cc, pii_check_pt_cc)
LABELLED(row_be_eid, pii_check_be_eid)
LABELLED(row_mt_id, pii_check_mt_id)
/* Separators all alike ("123-456-78-90", "30 23 217 600 053"). */
static int
uniform_seps(const struct id_cand *c)
{
	char first = 0;

	for (size_t k = 1; k < c->n; k++) {
		if (c->sep[k] == 0)
			continue;
		if (first == 0)
			first = c->sep[k];
		else if (c->sep[k] != first)
			return 0;
	}
	return 1;
}

/* "3023217600053", "30 23 217 600 053". */
static int
row_fr_spi(const struct id_cand *c, struct id_env *env)
{
	static const unsigned char at[] = { 2, 4, 7, 10 };

	return grouped(c, " ", at, 4) && pii_check_fr_spi(c->c, c->n) ?
	    ID_LABEL : ID_NO;
}

static int
row_pl_nip(const struct id_cand *c, struct id_env *env)
{
	return uniform_seps(c) && pii_check_pl_nip(c->c, c->n) ? ID_LABEL :
	    ID_NO;
}
LABELLED(row_hu_tax, pii_check_hu_tax)
LABELLED(row_uk_utr, pii_check_uk_utr)
LABELLED(row_uk_nhs, pii_check_uk_nhs)
LABELLED(row_hu_taj, pii_check_hu_taj)

/* YYMMDD/SSSC: the slash makes the shape rare. */
static int
row_cz_rc(const struct id_cand *c, struct id_env *env)
{
	if (!pii_check_cz_rc(c->c, c->n))
		return ID_NO;
	return strong_if(c->n == 10 && c->sep[6] == '/');
}

/* DDMMYY-CNNNN */
static int
row_lv_pk(const struct id_cand *c, struct id_env *env)
{
	if (!pii_check_lv_pk(c->c, c->n))
		return ID_NO;
	return strong_if(c->sep[6] == '-' && c->c[0] != '3');
}

/* The country must be the one the text points to. */
static int
doc_country(const struct id_cand *c, struct id_env *env, int cc)
{
	return (id_env_countries(env, c) & ((uint32_t)1 << cc)) != 0;
}

static int
row_de_stnr(const struct id_cand *c, struct id_env *env)
{
	return pii_check_de_stnr(c->c, c->n) && doc_country(c, env, CC_DE) ?
	    ID_LABEL : ID_NO;
}

static int
row_at_tin(const struct id_cand *c, struct id_env *env)
{
	return pii_check_at_tin(c->c, c->n) && doc_country(c, env, CC_AT) ?
	    ID_LABEL : ID_NO;
}

static int
row_si_tax(const struct id_cand *c, struct id_env *env)
{
	return pii_vat_check_country("SI", c->c, c->n) &&
	    doc_country(c, env, CC_SI) ? ID_LABEL : ID_NO;
}

/* ---- health ---- */

static int
row_de_kvnr(const struct id_cand *c, struct id_env *env)
{
	if (!pii_check_de_kvnr(c->c, c->n))
		return ID_NO;
	return strong_if(!c->lower);
}

/* 756.XXXX.XXXX.XC */
static int
row_ch_ahv(const struct id_cand *c, struct id_env *env)
{
	if (!pii_check_ch_ahv(c->c, c->n))
		return ID_NO;
	return strong_if(c->sep[3] == '.' && c->sep[7] == '.' &&
	    c->sep[11] == '.');
}

/* ---- documents ---- */

static const struct {
	int cc;
	const char *shape;
} passports[] = {
	{ CC_AT, "A9999999" }, { CC_BE, "AA999999" }, { CC_BG, "999999999" },
	{ CC_CH, "A9999999" }, { CC_CY, "A999999|A99999999" },
	{ CC_CZ, "99999999" }, { CC_DK, "999999999" },
	{ CC_EE, "A9999999|AA9999999" },
	{ CC_ES, "XX999999|XXX999999" }, { CC_FI, "AA9999999" },
	{ CC_FR, "99AA99999" }, { CC_GB, "999999999" },
	{ CC_GR, "AA9999999" }, { CC_HR, "999999999" },
	{ CC_HU, "AA999999|AA9999999" }, { CC_IE, "XX9999999" },
	{ CC_IS, "A9999999" }, { CC_IT, "XX9999999" },
	{ CC_LI, "A99999" }, { CC_LT, "XXXXXXXX" }, { CC_LU, "XXXXXXXX" },
	{ CC_LV, "XX9999999" }, { CC_MT, "9999999" },
	{ CC_NL, "AAXXXXXX9" }, { CC_NO, "AA9999999|A9999999" },
	{ CC_PL, "AA9999999" }, { CC_PT, "A999999" },
	{ CC_RO, "99999999|999999999" }, { CC_SE, "99999999" },
	{ CC_SI, "PA9999999" }, { CC_SK, "X9999999" },
};

static const struct {
	int cc;
	const char *shape;
} id_cards[] = {
	{ CC_IT, "AA9999999|9999999AA|AA99999AA" },
	{ CC_NL, "AAXXXXXX9" }, { CC_AT, "9999999|A9999999" },
	{ CC_CH, "A9999999" }, { CC_CZ, "999999999" },
	{ CC_SK, "AA999999" }, { CC_HU, "999999AA" }, { CC_HR, "999999999" },
	{ CC_RO, "AA999999" }, { CC_SE, "99999999" }, { CC_FI, "999999999" },
	{ CC_FR, "999999999999|XXXXXXXXX" }, { CC_LU, "AA9999999" },
	{ CC_BG, "999999999" }, { CC_SI, "999999999" }, { CC_EE, "AA9999999" },
	{ CC_LV, "AA9999999" }, { CC_LT, "99999999" },
	{ CC_GR, "AA999999|A999999" }, { CC_CY, "99999999|999999999" },
	{ CC_IE, "X9999999" }, { CC_NO, "AA9999999" }, { CC_DK, "99999999" },
	{ CC_MT, "9999999A" },
};

/* A shape that says where every letter and digit goes ("AA9999999", not
 * "AAXXXXXX9": random words of letters and digits, such as the ids that
 * clients give tool calls, have those). */
static int
shape_specific(const struct id_cand *c, const char *pat)
{
	char one[16];

	while (*pat != '\0') {
		size_t n = strcspn(pat, "|");

		if (n < sizeof(one) && strcspn(pat, "X|") >= n) {
			memcpy(one, pat, n);
			one[n] = '\0';
			if (shape(c->c, c->n, one))
				return 1;
		}
		pat += n;
		if (*pat == '|')
			pat++;
	}
	return 0;
}

static int
shape_any(const struct id_cand *c, const char *pat, int specific)
{
	return specific ? shape_specific(c, pat) : shape(c->c, c->n, pat);
}

/* The countries whose passport format the candidate has (a specific
 * format only, when asked: the German alphabet is not one). */
static uint32_t
passport_countries(const struct id_cand *c, int specific)
{
	uint32_t cc = !specific && pii_check_de_document(c->c, c->n) ?
	    CC(DE) : 0;

	for (size_t i = 0; i < sizeof(passports) / sizeof(passports[0]); i++)
		if (shape_any(c, passports[i].shape, specific))
			cc |= (uint32_t)1 << passports[i].cc;
	return cc;
}

static uint32_t
id_card_countries(const struct id_cand *c, int specific)
{
	uint32_t cc = !specific && pii_check_de_document(c->c, c->n) ?
	    CC(DE) : 0;

	if (pii_check_pl_id_card(c->c, c->n))
		cc |= CC(PL);
	for (size_t i = 0; i < sizeof(id_cards) / sizeof(id_cards[0]); i++)
		if (shape_any(c, id_cards[i].shape, specific))
			cc |= (uint32_t)1 << id_cards[i].cc;
	return cc;
}

/* A document number: its label near, and the format of a country the
 * text points to. */
static int
document(const struct id_cand *c, struct id_env *env, uint64_t label,
    uint32_t (*formats)(const struct id_cand *, int))
{
	uint32_t cc;

	if (has_seps(c) && !seps_only(c, " "))
		return ID_NO;
	/* The label first when the chain's words are read already. */
	if (env->read && !(env->groups & label) && !id_cand_bare(c))
		return ID_NO;
	cc = formats(c, 0);
	if (cc == 0)
		return ID_NO;
	id_env_read(env, c);
	/* A text of values alone: a specific format of any country,
	 * letters in it. */
	if (env->groups == 0 && c->digits < c->n && id_cand_bare(c))
		return formats(c, 1) != 0 ? ID_LABEL : ID_NO;
	if (!(env->groups & label))
		return ID_NO;
	return cc & id_env_countries(env, c) ? ID_LABEL : ID_NO;
}

static int
row_passport(const struct id_cand *c, struct id_env *env)
{
	return document(c, env, LG(PASSPORT), passport_countries);
}

static int
row_id_card(const struct id_cand *c, struct id_env *env)
{
	return document(c, env, LG(IDCARD), id_card_countries);
}

static int
row_uk_driving(const struct id_cand *c, struct id_env *env)
{
	return !has_seps(c) && pii_check_uk_driving(c->c, c->n) ? ID_STRONG :
	    ID_NO;
}

static int
row_it_driving(const struct id_cand *c, struct id_env *env)
{
	if (has_seps(c) || !pii_check_it_driving(c->c, c->n))
		return ID_NO;
	return strong_if(c->c[0] == 'U' && c->c[1] == '1' && !c->lower);
}

/* Other driving licences: letters and digits (not digits alone) next to
 * their label. */
static int
row_driving(const struct id_cand *c, struct id_env *env)
{
	if ((has_seps(c) && !seps_only(c, " -/")) || c->digits == c->n)
		return ID_NO;
	id_env_read(env, c);
	return env->groups & LG(DRIVING) ? ID_LABEL : ID_NO;
}

/* ---- the table ---- */

#define G_TAX (LG(TAX))
#define G_PERS (LG(PERSONAL))
#define G_SOC (LG(SOCIAL) | LG(HEALTH))

const struct id_row pii_id_rows[] = {
	{ PII_IBAN, CC_ANY, 15, 34, row_iban, 0, 0,
	  ID_F_NONEG | ID_F_ANYKIND },
	{ PII_CREDIT_CARD, CC_ANY, 12, 19, row_card, LG(CARD), LG(CARD),
	  ID_F_ANYKIND },
	{ PII_EU_VAT, CC_ANY, 7, 17, row_vat, LG(VAT), LG(VAT),
	  ID_F_NONEG | ID_F_ANYKIND | ID_F_FEWDIGITS },
	{ PII_EU_VAT, CC_ANY, 8, 13, row_vat_bare, LG(VAT), LG(VAT), 0 },
	{ PII_DE_TAX_ID, CC_DE, 11, 11, row_de_tax_id, G_TAX | G_PERS,
	  LG(IDNR), ID_F_LONE },
	{ PII_DE_SVNR, CC_DE, 12, 12, row_de_svnr, G_SOC | G_PERS, LG(SVNR),
	  0 },
	{ PII_FR_NIR, CC_FR, 15, 15, row_fr_nir, G_SOC | G_PERS, LG(NIR), 0 },
	{ PII_ES_DNI, CC_ES, 6, 9, row_es_dni,
	  G_PERS | G_TAX | LG(IDCARD) | LG(VAT), LG(DNI) | LG(NIF), ID_F_LONE },
	{ PII_ES_NIE, CC_ES, 9, 9, row_es_nie,
	  G_PERS | G_TAX | LG(IDCARD) | LG(VAT) | LG(DNI),
	  LG(NIE) | LG(NIF), 0 },
	{ PII_IT_FISCAL_CODE, CC_IT, 16, 16, row_it_cf, G_TAX | G_PERS,
	  LG(CF), ID_F_LONE },
	{ PII_IT_FISCAL_CODE, CC_IT, 11, 11, row_it_cf_numeric, LG(CF),
	  LG(CF), 0 },
	{ PII_NL_BSN, CC_NL, 8, 9, row_nl_bsn, G_PERS | G_TAX, LG(BSN), 0 },
	{ PII_BE_NATIONAL_NUMBER, CC_BE, 11, 11, row_be_nn,
	  G_PERS | G_TAX | G_SOC, LG(NN), 0 },
	{ PII_PL_PESEL, CC_PL, 11, 11, row_pl_pesel,
	  G_PERS | G_TAX | LG(IDCARD), LG(PESEL), ID_F_LONE },
	{ PII_SE_PERSONNUMMER, CC_SE, 10, 12, row_se_pnr, G_PERS | G_TAX,
	  LG(PNR), ID_F_LONE },
	{ PII_FI_HETU, CC_FI, 10, 11, row_fi_hetu, G_PERS | G_TAX, LG(HETU),
	  0 },
	{ PII_DK_CPR, CC_DK, 10, 10, row_dk_cpr, LG(CPR), LG(CPR), 0 },
	{ PII_AT_SVNR, CC_AT, 10, 10, row_at_svnr, G_SOC | G_PERS, LG(SVNR),
	  0 },
	{ PII_PT_NIF, CC_PT, 9, 9, row_pt_nif, G_TAX | G_PERS, LG(NIF),
	  ID_F_LONE },
	{ PII_IE_PPSN, CC_IE, 8, 9, row_ie_ppsn, G_PERS | G_TAX | G_SOC,
	  LG(PPS), 0 },
	{ PII_UK_NINO, CC_GB, 9, 9, row_uk_nino, G_PERS | G_TAX | G_SOC,
	  LG(NINO), 0 },
	{ PII_PERSONAL_ID, CC_BG, 10, 10, row_bg_egn, G_PERS, LG(EGN),
	  ID_F_LONE },
	{ PII_PERSONAL_ID, CC_CZ, 9, 10, row_cz_rc, G_PERS, LG(RC), 0 },
	{ PII_PERSONAL_ID, CC_EE, 11, 11, row_ee_ik, G_PERS, LG(IK),
	  ID_F_LONE },
	{ PII_PERSONAL_ID, CC_LV, 11, 11, row_lv_pk, G_PERS, LG(PK), 0 },
	{ PII_PERSONAL_ID, CC_HR, 11, 11, row_hr_oib, G_PERS | G_TAX,
	  LG(OIB), ID_F_LONE },
	{ PII_PERSONAL_ID, CC_RO, 13, 13, row_ro_cnp, G_PERS, LG(CNP),
	  ID_F_LONE },
	{ PII_PERSONAL_ID, CC_SI, 13, 13, row_si_emso, G_PERS, LG(EMSO),
	  ID_F_LONE },
	{ PII_PERSONAL_ID, CC_IS, 10, 10, row_is_kt, G_PERS, LG(KT),
	  ID_F_LONE },
	{ PII_PERSONAL_ID, CC_NO, 11, 11, row_no_fnr, G_PERS, LG(FNR),
	  ID_F_LONE },
	{ PII_PERSONAL_ID, CC_PT, 12, 12, row_pt_cc, G_PERS | LG(IDCARD),
	  LG(CC), ID_F_LONE },
	{ PII_PERSONAL_ID, CC_BE, 12, 12, row_be_eid, LG(IDCARD), LG(EID),
	  ID_F_LONE },
	{ PII_PERSONAL_ID, CC_MT, 6, 8, row_mt_id, LG(IDCARD), 0, 0 },
	{ PII_HEALTH_ID, CC_GR, 11, 11, row_gr_amka, G_SOC, LG(AMKA),
	  ID_F_LONE },
	{ PII_HEALTH_ID, CC_DE, 10, 10, row_de_kvnr, G_SOC | G_PERS,
	  LG(KVNR), 0 },
	{ PII_HEALTH_ID, CC_GB, 10, 10, row_uk_nhs, G_SOC, LG(NHS), ID_F_LONE },
	{ PII_HEALTH_ID, CC_CH, 13, 13, row_ch_ahv, G_SOC | G_PERS, LG(AHV),
	  0 },
	{ PII_HEALTH_ID, CC_HU, 9, 9, row_hu_taj, G_SOC, LG(TAJ), 0 },
	{ PII_TAX_NUMBER, CC_DE, 10, 13, row_de_stnr, G_TAX, LG(STNR), 0 },
	{ PII_TAX_NUMBER, CC_AT, 9, 9, row_at_tin, G_TAX, LG(AT_TIN) | LG(STNR),
	  0 },
	{ PII_TAX_NUMBER, CC_FR, 13, 13, row_fr_spi, G_TAX, LG(SPI),
	  ID_F_LONE },
	{ PII_TAX_NUMBER, CC_PL, 10, 10, row_pl_nip, G_TAX | LG(VAT),
	  LG(NIP), ID_F_LONE },
	{ PII_TAX_NUMBER, CC_HU, 10, 10, row_hu_tax, G_TAX, 0, ID_F_LONE },
	{ PII_TAX_NUMBER, CC_GB, 10, 13, row_uk_utr, G_TAX, LG(UTR),
	  ID_F_LONE },
	{ PII_TAX_NUMBER, CC_SI, 8, 8, row_si_tax, G_TAX, 0, 0 },
	{ PII_ID_DOCUMENT, CC_ANY, 6, 10, row_passport, LG(PASSPORT),
	  LG(PASSPORT), ID_F_FEWDIGITS | ID_F_LONE },
	{ PII_ID_DOCUMENT, CC_ANY, 7, 12, row_id_card, LG(IDCARD), LG(IDCARD),
	  ID_F_FEWDIGITS | ID_F_LONE },
	{ PII_ID_DOCUMENT, CC_GB, 16, 16, row_uk_driving, LG(DRIVING),
	  LG(DRIVING), 0 },
	{ PII_ID_DOCUMENT, CC_IT, 10, 10, row_it_driving, LG(DRIVING),
	  LG(DRIVING), 0 },
	{ PII_ID_DOCUMENT, CC_ANY, 7, 13, row_driving, LG(DRIVING), LG(DRIVING),
	  0 },
};

const size_t pii_id_n_rows = sizeof(pii_id_rows) / sizeof(pii_id_rows[0]);
