/* Checksums and plausibility rules of EU personal identifiers. */
#include <string.h>

#include "policy/pii_check.h"

static int
all_digits(const char *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	return n > 0;
}

static int
all_same(const char *d, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (d[i] != d[0])
			return 0;
	return 1;
}

static int
num(const char *d, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (d[i] - '0');
	return v;
}

/* The sum Luhn uses, mod 10 (0 for a valid number). */
static int
luhn_sum(const char *d, size_t n)
{
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		int v = d[n - 1 - i] - '0';

		if (i % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10;
}

int
pii_luhn(const char *d, size_t n)
{
	return all_digits(d, n) && luhn_sum(d, n) == 0;
}

int
pii_iso7064_mod11_10(const char *d, size_t n)
{
	int p = 10;

	if (!all_digits(d, n) || n < 2)
		return 0;
	for (size_t i = 0; i + 1 < n; i++) {
		int s = (d[i] - '0' + p) % 10;

		if (s == 0)
			s = 10;
		p = (2 * s) % 11;
	}
	return (11 - p) % 10 == d[n - 1] - '0';
}

int
pii_mod97_is_one(const char *s, size_t n)
{
	unsigned r = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			r = (r * 10 + (unsigned)(c - '0')) % 97;
		else if (c >= 'A' && c <= 'Z')
			r = (r * 100 + (unsigned)(c - 'A' + 10)) % 97;
		else
			return 0;
	}
	return r == 1;
}

int
pii_valid_date(int year, int month, int day)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int max;

	if (month < 1 || month > 12 || day < 1)
		return 0;
	max = days[month - 1];
	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) ||
	    year % 400 == 0))
		max = 29;
	return day <= max;
}

/* Two-digit year: a plausible date in some century. */
static int
valid_date2(int yy, int month, int day)
{
	return pii_valid_date(2000 + yy, month, day) ||
	    pii_valid_date(1900 + yy, month, day);
}

static const struct {
	char cc[3];
	unsigned char len;
} iban_lengths[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 },
	{ "BA", 20 }, { "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BR", 29 },
	{ "BY", 28 }, { "CH", 21 }, { "CR", 22 }, { "CY", 28 }, { "CZ", 24 },
	{ "DE", 22 }, { "DK", 18 }, { "DO", 28 }, { "EE", 20 }, { "EG", 29 },
	{ "ES", 24 }, { "FI", 18 }, { "FO", 18 }, { "FR", 27 }, { "GB", 22 },
	{ "GE", 22 }, { "GI", 23 }, { "GL", 18 }, { "GR", 27 }, { "GT", 28 },
	{ "HR", 21 }, { "HU", 28 }, { "IE", 22 }, { "IL", 23 }, { "IQ", 23 },
	{ "IS", 26 }, { "IT", 27 }, { "JO", 30 }, { "KW", 30 }, { "KZ", 20 },
	{ "LB", 28 }, { "LC", 32 }, { "LI", 21 }, { "LT", 20 }, { "LU", 20 },
	{ "LV", 21 }, { "MC", 27 }, { "MD", 24 }, { "ME", 22 }, { "MK", 19 },
	{ "MR", 27 }, { "MT", 31 }, { "MU", 30 }, { "NL", 18 }, { "NO", 15 },
	{ "PK", 24 }, { "PL", 28 }, { "PS", 29 }, { "PT", 25 }, { "QA", 29 },
	{ "RO", 24 }, { "RS", 22 }, { "SA", 24 }, { "SC", 31 }, { "SE", 24 },
	{ "SI", 19 }, { "SK", 24 }, { "SM", 27 }, { "ST", 25 }, { "SV", 28 },
	{ "TL", 23 }, { "TN", 24 }, { "TR", 26 }, { "UA", 29 }, { "VA", 22 },
	{ "VG", 24 }, { "XK", 20 },
};

int
pii_check_iban(const char *s, size_t n)
{
	char r[40];

	if (n < 15 || n > 34)
		return 0;
	for (size_t i = 0; i < sizeof(iban_lengths) / sizeof(iban_lengths[0]);
	    i++) {
		if (memcmp(s, iban_lengths[i].cc, 2) != 0)
			continue;
		if (n != iban_lengths[i].len)
			return 0;
		if (s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9')
			return 0;
		/* Move the country and check digits to the end. */
		memcpy(r, s + 4, n - 4);
		memcpy(r + n - 4, s, 4);
		return pii_mod97_is_one(r, n);
	}
	return 0;
}

int
pii_check_card(const char *d, size_t n)
{
	int p2, p3, p4, p6;

	if (n < 12 || n > 19 || !pii_luhn(d, n) || all_same(d, n))
		return 0;
	p2 = num(d, 2);
	p3 = num(d, 3);
	p4 = num(d, 4);
	p6 = num(d, 6);
	if (d[0] == '4')
		return n == 13 || n == 16 || n == 19;		/* Visa */
	if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720))
		return n == 16;					/* Mastercard */
	if (p2 == 34 || p2 == 37)
		return n == 15;					/* Amex */
	if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65)
		return n >= 16;					/* Discover */
	if (p4 >= 3528 && p4 <= 3589)
		return n >= 16;					/* JCB */
	if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39)
		return n >= 14;					/* Diners */
	if (p2 == 62 || (p6 >= 810000 && p6 <= 817199))
		return n >= 16;					/* UnionPay */
	if (p2 == 50 || (p2 >= 56 && p2 <= 69))
		return 1;					/* Maestro */
	return 0;
}

int
pii_check_de_tax_id(const char *d, size_t n)
{
	int count[10] = { 0 }, repeated = 0, bad = 0;

	if (n != 11 || !all_digits(d, n) || d[0] == '0')
		return 0;
	for (int i = 0; i < 10; i++)
		count[d[i] - '0']++;
	for (int i = 0; i < 10; i++) {
		if (count[i] == 2 || count[i] == 3)
			repeated++;
		else if (count[i] > 3)
			bad = 1;
	}
	return !bad && repeated == 1 && pii_iso7064_mod11_10(d, n);
}

int
pii_check_de_svnr(const char *s, size_t n)
{
	static const int w[] = { 2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1 };
	char d[12];
	int sum = 0, letter;

	if (n != 12 || !all_digits(s, 8) || s[8] < 'A' || s[8] > 'Z' ||
	    !all_digits(s + 9, 3))
		return 0;
	if (!valid_date2(num(s + 6, 2), num(s + 4, 2), num(s + 2, 2) % 50))
		return 0;
	letter = s[8] - 'A' + 1;
	memcpy(d, s, 8);
	d[8] = (char)('0' + letter / 10);
	d[9] = (char)('0' + letter % 10);
	d[10] = s[9];
	d[11] = s[10];
	for (int i = 0; i < 12; i++) {
		int v = (d[i] - '0') * w[i];

		sum += v / 10 + v % 10;
	}
	return sum % 10 == s[11] - '0';
}

int
pii_check_fr_nir(const char *s, size_t n)
{
	char d[13];
	unsigned long long v = 0;
	int month, key;

	if (n != 15 || !strchr("12478", s[0]) || s[0] == '\0')
		return 0;
	memcpy(d, s, 13);
	if (s[5] == '2' && (s[6] == 'A' || s[6] == 'B')) {
		/* Corsica: 2A counts as 19, 2B as 18. */
		d[5] = '1';
		d[6] = s[6] == 'A' ? '9' : '8';
	}
	if (!all_digits(d, 13) || !all_digits(s + 13, 2))
		return 0;
	month = num(s + 3, 2);
	if (!((month >= 1 && month <= 12) || (month >= 20 && month <= 42) ||
	    month >= 50))
		return 0;
	for (int i = 0; i < 13; i++)
		v = v * 10 + (unsigned)(d[i] - '0');
	key = num(s + 13, 2);
	return key == 97 - (int)(v % 97);
}

static const char dni_letters[] = "TRWAGMYFPDXBNJZSQVHLCKE";

int
pii_check_es_dni(const char *s, size_t n)
{
	if (n != 9 || !all_digits(s, 8))
		return 0;
	return s[8] == dni_letters[num(s, 8) % 23];
}

int
pii_check_es_nie(const char *s, size_t n)
{
	char d[9];

	if (n != 9 || (s[0] != 'X' && s[0] != 'Y' && s[0] != 'Z'))
		return 0;
	d[0] = (char)('0' + (s[0] - 'X'));
	memcpy(d + 1, s + 1, 8);
	return pii_check_es_dni(d, 9);
}

int
pii_check_it_fiscal_code(const char *s, size_t n)
{
	/* Values of characters in odd positions (1st, 3rd, ...): 0-9 then A-Z. */
	static const int odd[36] = { 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0,
		5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14,
		16, 10, 22, 25, 24, 23 };
	int sum = 0;

	if (n != 16)
		return 0;
	for (size_t i = 0; i < 15; i++) {
		int idx, even;

		if (s[i] >= '0' && s[i] <= '9') {
			idx = s[i] - '0';
			even = idx;
		} else if (s[i] >= 'A' && s[i] <= 'Z') {
			idx = 10 + s[i] - 'A';
			even = s[i] - 'A';
		} else {
			return 0;
		}
		sum += i % 2 == 0 ? odd[idx] : even;
	}
	return s[15] == 'A' + sum % 26;
}

int
pii_check_nl_bsn(const char *d, size_t n)
{
	int sum = 0;

	if (n != 9 || !all_digits(d, n) || all_same(d, n))
		return 0;
	for (int i = 0; i < 8; i++)
		sum += (9 - i) * (d[i] - '0');
	sum -= d[8] - '0';
	return sum % 11 == 0;
}

int
pii_check_be_nn(const char *d, size_t n)
{
	unsigned long long v;
	int month, day, cc;

	if (n != 11 || !all_digits(d, n))
		return 0;
	month = num(d + 2, 2) % 20;	/* BIS numbers add 20 or 40 */
	day = num(d + 4, 2);
	if (month > 12 || day > 31)
		return 0;
	v = (unsigned long long)num(d, 9);
	cc = num(d + 9, 2);
	return cc == 97 - (int)(v % 97) ||
	    cc == 97 - (int)((2000000000ull + v) % 97);
}

int
pii_check_pl_pesel(const char *d, size_t n)
{
	static const int w[] = { 1, 3, 7, 9, 1, 3, 7, 9, 1, 3 };
	int sum = 0, yy, mm, dd, year;

	if (n != 11 || !all_digits(d, n))
		return 0;
	yy = num(d, 2);
	mm = num(d + 2, 2);
	dd = num(d + 4, 2);
	if (mm > 80)
		year = 1800 + yy, mm -= 80;
	else if (mm > 60)
		year = 2200 + yy, mm -= 60;
	else if (mm > 40)
		year = 2100 + yy, mm -= 40;
	else if (mm > 20)
		year = 2000 + yy, mm -= 20;
	else
		year = 1900 + yy;
	if (!pii_valid_date(year, mm, dd))
		return 0;
	for (int i = 0; i < 10; i++)
		sum += w[i] * (d[i] - '0');
	return (10 - sum % 10) % 10 == d[10] - '0';
}

int
pii_check_se_pnr(const char *d, size_t n)
{
	int day;

	if (n == 12)
		d += 2, n = 10;
	if (n != 10 || !all_digits(d, n))
		return 0;
	day = num(d + 4, 2);
	if (day > 60)
		day -= 60;	/* samordningsnummer */
	return valid_date2(num(d, 2), num(d + 2, 2), day) && pii_luhn(d, 10);
}

int
pii_check_fi_hetu(const char *s, size_t n)
{
	static const char ctl[] = "0123456789ABCDEFHJKLMNPRSTUVWXY";
	char d[9];
	int year, serial;

	if (n != 11 || !all_digits(s, 6) || !all_digits(s + 7, 3))
		return 0;
	switch (s[6]) {
	case '+': year = 1800; break;
	case '-': case 'U': case 'V': case 'W': case 'X': case 'Y':
		year = 1900; break;
	case 'A': case 'B': case 'C': case 'D': case 'E': case 'F':
		year = 2000; break;
	default: return 0;
	}
	if (!pii_valid_date(year + num(s + 4, 2), num(s + 2, 2), num(s, 2)))
		return 0;
	serial = num(s + 7, 3);
	if (serial < 2)
		return 0;
	memcpy(d, s, 6);
	memcpy(d + 6, s + 7, 3);
	return s[10] == ctl[num(d, 9) % 31];
}

int
pii_check_dk_cpr(const char *d, size_t n)
{
	/* Since 2007 the mod-11 rule no longer holds: date only. */
	if (n != 10 || !all_digits(d, n))
		return 0;
	return valid_date2(num(d + 4, 2), num(d + 2, 2), num(d, 2));
}

int
pii_check_at_svnr(const char *d, size_t n)
{
	static const int w[] = { 3, 7, 9, 0, 5, 8, 4, 2, 1, 6 };
	int sum = 0;

	if (n != 10 || !all_digits(d, n) || d[0] == '0')
		return 0;
	for (int i = 0; i < 10; i++)
		sum += w[i] * (d[i] - '0');
	if (sum % 11 == 10 || sum % 11 != d[3] - '0')
		return 0;
	return valid_date2(num(d + 8, 2), num(d + 6, 2), num(d + 4, 2));
}

int
pii_check_pt_nif(const char *d, size_t n)
{
	int sum = 0, c;

	if (n != 9 || !all_digits(d, n) || !strchr("1235689", d[0]))
		return 0;
	for (int i = 0; i < 8; i++)
		sum += (9 - i) * (d[i] - '0');
	c = 11 - sum % 11;
	if (c >= 10)
		c = 0;
	return c == d[8] - '0';
}

int
pii_check_ie_ppsn(const char *s, size_t n)
{
	static const char alphabet[] = "WABCDEFGHIJKLMNOPQRSTUV";
	int sum = 0;

	if ((n != 8 && n != 9) || !all_digits(s, 7))
		return 0;
	for (int i = 0; i < 7; i++)
		sum += (8 - i) * (s[i] - '0');
	if (n == 9) {
		if (!strchr("ABHWTX", s[8]) || s[8] == '\0')
			return 0;
		if (s[8] != 'W')
			sum += 9 * (s[8] - 'A' + 1);
	}
	return s[7] == alphabet[sum % 23];
}

int
pii_check_uk_nino(const char *s, size_t n)
{
	static const char *const bad[] = { "BG", "GB", "KN", "NK", "NT", "TN",
		"ZZ", NULL };

	if (n != 9 || !all_digits(s + 2, 6) || s[8] < 'A' || s[8] > 'D')
		return 0;
	if (strchr("DFIQUV", s[0]) || strchr("DFIOQUV", s[1]) ||
	    s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return 0;
	for (int i = 0; bad[i] != NULL; i++)
		if (memcmp(s, bad[i], 2) == 0)
			return 0;
	return 1;
}

static int
weighted_mod11(const char *d, const int *w, size_t n)
{
	int sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += w[i] * (d[i] - '0');
	return sum % 11;
}

int
pii_check_eu_vat(const char *s, size_t n)
{
	const char *v = s + 2;
	size_t vl = n - 2;

	if (n < 4)
		return 0;
	if (memcmp(s, "AT", 2) == 0) {
		if (vl != 9 || v[0] != 'U' || !all_digits(v + 1, 8))
			return 0;
		return (6 - luhn_sum(v + 1, 7) + 100) % 10 == v[8] - '0' ? 2 : 0;
	}
	if (memcmp(s, "BE", 2) == 0) {
		char d[10];

		if (vl == 9 && all_digits(v, 9)) {
			d[0] = '0';
			memcpy(d + 1, v, 9);
		} else if (vl == 10 && all_digits(v, 10)) {
			memcpy(d, v, 10);
		} else {
			return 0;
		}
		if (d[0] != '0' && d[0] != '1')
			return 0;
		return (num(d, 8) + num(d + 8, 2)) % 97 == 0 ? 2 : 0;
	}
	if (memcmp(s, "DE", 2) == 0)
		return vl == 9 && v[0] != '0' && pii_iso7064_mod11_10(v, 9) ?
		    2 : 0;
	if (memcmp(s, "DK", 2) == 0) {
		static const int w[] = { 2, 7, 6, 5, 4, 3, 2, 1 };

		return vl == 8 && all_digits(v, 8) && v[0] != '0' &&
		    weighted_mod11(v, w, 8) == 0 ? 2 : 0;
	}
	if (memcmp(s, "FI", 2) == 0) {
		static const int w[] = { 7, 9, 10, 5, 8, 4, 2, 1 };

		return vl == 8 && all_digits(v, 8) &&
		    weighted_mod11(v, w, 8) == 0 ? 2 : 0;
	}
	if (memcmp(s, "FR", 2) == 0) {
		if (vl != 11 || !all_digits(v + 2, 9))
			return 0;
		if (all_digits(v, 2))
			return num(v, 2) == (12 + 3 * (num(v + 2, 9) % 97)) % 97 ?
			    2 : 0;
		return pii_luhn(v + 2, 9) ? 1 : 0;
	}
	if (memcmp(s, "IT", 2) == 0)
		return vl == 11 && pii_luhn(v, 11) && num(v, 7) != 0 ? 2 : 0;
	if (memcmp(s, "LU", 2) == 0)
		return vl == 8 && all_digits(v, 8) &&
		    num(v, 6) % 89 == num(v + 6, 2) ? 2 : 0;
	if (memcmp(s, "NL", 2) == 0) {
		char r[14];

		if (vl != 12 || !all_digits(v, 9) || v[9] != 'B' ||
		    !all_digits(v + 10, 2))
			return 0;
		if (pii_check_nl_bsn(v, 9))
			return 2;
		/* The newer sole-trader form: MOD 97-10 over "NL" + number. */
		memcpy(r, "NL", 2);
		memcpy(r + 2, v, 12);
		return pii_mod97_is_one(r, 14) ? 2 : 0;
	}
	if (memcmp(s, "PL", 2) == 0) {
		static const int w[] = { 6, 5, 7, 2, 3, 4, 5, 6, 7 };

		return vl == 10 && all_digits(v, 10) &&
		    weighted_mod11(v, w, 9) == v[9] - '0' ? 2 : 0;
	}
	if (memcmp(s, "PT", 2) == 0)
		return pii_check_pt_nif(v, vl) ? 2 : 0;
	if (memcmp(s, "SE", 2) == 0)
		return vl == 12 && all_digits(v, 12) && v[10] == '0' &&
		    v[11] == '1' && pii_luhn(v, 10) ? 2 : 0;
	if (memcmp(s, "ES", 2) == 0) {
		int sum = 0, c;

		if (vl != 9)
			return 0;
		if (pii_check_es_dni(v, 9) || pii_check_es_nie(v, 9))
			return 2;
		if (v[0] < 'A' || v[0] > 'Z' || !all_digits(v + 1, 7))
			return 0;
		for (int i = 0; i < 7; i++) {
			int dgt = v[1 + i] - '0';

			if (i % 2 == 0) {
				dgt *= 2;
				dgt = dgt / 10 + dgt % 10;
			}
			sum += dgt;
		}
		c = (10 - sum % 10) % 10;
		return v[8] == '0' + c || v[8] == "JABCDEFGHI"[c] ? 2 : 0;
	}
	/* Other member states: the format alone, so context decides. */
	{
		static const char *const others[] = { "BG", "CY", "CZ", "EE",
			"EL", "HR", "HU", "IE", "LT", "LV", "MT", "RO", "SI",
			"SK", "XI", NULL };

		for (int i = 0; others[i] != NULL; i++)
			if (memcmp(s, others[i], 2) == 0)
				return vl >= 8 && vl <= 12 ? 1 : 0;
	}
	return 0;
}
