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

/*
 * The IBAN registry's BBAN formats: runs of digits (n), capital letters
 * (a) or either (c), each with its length; the IBAN's length follows.
 */
static const struct {
	char cc[3];
	const char *bban;
} iban_formats[] = {
	{ "AD", "4n4n12c" }, { "AE", "3n16n" }, { "AL", "8n16c" },
	{ "AT", "5n11n" }, { "AZ", "4a20c" }, { "BA", "3n3n8n2n" },
	{ "BE", "3n7n2n" }, { "BG", "4a4n2n8c" }, { "BH", "4a14c" },
	{ "BR", "8n5n10n1a1c" }, { "BY", "4c4n16c" }, { "CH", "5n12c" },
	{ "CR", "4n14n" }, { "CY", "3n5n16c" }, { "CZ", "4n6n10n" },
	{ "DE", "8n10n" }, { "DK", "4n9n1n" }, { "DO", "4c20n" },
	{ "EE", "2n2n11n1n" }, { "EG", "4n4n17n" }, { "ES", "4n4n1n1n10n" },
	{ "FI", "3n11n" }, { "FO", "4n9n1n" }, { "FR", "5n5n11c2n" },
	{ "GB", "4a6n8n" }, { "GE", "2a16n" }, { "GI", "4a15c" },
	{ "GL", "4n9n1n" }, { "GR", "3n4n16c" }, { "GT", "4c20c" },
	{ "HR", "7n10n" }, { "HU", "3n4n1n15n1n" }, { "IE", "4a6n8n" },
	{ "IL", "3n3n13n" }, { "IQ", "4a3n12n" }, { "IS", "4n2n6n10n" },
	{ "IT", "1a5n5n12c" }, { "JO", "4a4n18c" }, { "KW", "4a22c" },
	{ "KZ", "3n13c" }, { "LB", "4n20c" }, { "LC", "4a24c" },
	{ "LI", "5n12c" }, { "LT", "5n11n" }, { "LU", "3n13c" },
	{ "LV", "4a13c" }, { "LY", "3n3n15n" }, { "MC", "5n5n11c2n" },
	{ "MD", "2c18c" }, { "ME", "3n13n2n" }, { "MK", "3n10c2n" },
	{ "MR", "5n5n11n2n" }, { "MT", "4a5n18c" },
	{ "MU", "4a2n2n12n3n3a" }, { "NL", "4a10n" }, { "NO", "4n6n1n" },
	{ "PK", "4a16c" }, { "PL", "8n16n" }, { "PS", "4a21c" },
	{ "PT", "4n4n11n2n" }, { "QA", "4a21c" }, { "RO", "4a16c" },
	{ "RS", "3n13n2n" }, { "SA", "2n18c" }, { "SC", "4a2n2n16n3a" },
	{ "SD", "2n12n" }, { "SE", "3n16n1n" }, { "SI", "5n8n2n" },
	{ "SK", "4n6n10n" }, { "SM", "1a5n5n12c" }, { "ST", "4n4n11n2n" },
	{ "SV", "4a20n" }, { "TL", "3n14n2n" }, { "TN", "2n3n13n2n" },
	{ "TR", "5n1n16c" }, { "UA", "6n19c" }, { "VA", "3n15n" },
	{ "VG", "4a16n" }, { "XK", "4n10n2n" },
	/* Joined the registry lately. */
	{ "BI", "5n5n11n2n" }, { "DJ", "5n5n11n2n" }, { "FK", "2a12n" },
	{ "HN", "4a20n" }, { "MN", "4n12n" }, { "NI", "4a20n" },
	{ "OM", "3n16c" }, { "RU", "9n5n15c" }, { "SO", "4n3n12n" },
	{ "YE", "4a4n18c" },
	/* IBANs of the countries that use them outside the registry. */
	{ "AO", "21n" }, { "BF", "2c22n" }, { "BJ", "2c22n" },
	{ "CF", "23n" }, { "CG", "23n" }, { "CI", "2c22n" }, { "CM", "23n" },
	{ "CV", "21n" }, { "DZ", "22n" }, { "GA", "23n" }, { "GQ", "23n" },
	{ "GW", "2c19n" }, { "IR", "22n" }, { "KM", "23n" }, { "MA", "24n" },
	{ "MG", "23n" }, { "ML", "2c22n" }, { "MZ", "21n" }, { "NE", "2a22n" },
	{ "SN", "2a22n" }, { "TD", "23n" }, { "TG", "2a22n" },
};

/* Length of the BBAN format, or 0 when s[0, n) does not fit it. */
static int
bban_fits(const char *fmt, const char *s, size_t n)
{
	size_t k = 0;

	while (*fmt != '\0') {
		int run = 0;
		char kind;

		while (*fmt >= '0' && *fmt <= '9')
			run = run * 10 + (*fmt++ - '0');
		kind = *fmt++;
		for (int i = 0; i < run; i++, k++) {
			char c = k < n ? s[k] : '\0';
			int digit = c >= '0' && c <= '9';
			int upper = c >= 'A' && c <= 'Z';

			if ((kind == 'n' && !digit) ||
			    (kind == 'a' && !upper) ||
			    (kind == 'c' && !digit && !upper))
				return 0;
		}
	}
	return k == n;
}

/* Spanish "dígitos de control": over "00" + bank + branch, then over the
 * account number. */
static int
es_ccc_digit(const char *d)
{
	static const int w[] = { 1, 2, 4, 8, 5, 10, 9, 7, 3, 6 };
	int sum = 0, c;

	for (int i = 0; i < 10; i++)
		sum += w[i] * (d[i] - '0');
	c = 11 - sum % 11;
	return c == 11 ? 0 : c == 10 ? 1 : c;
}

/* The national check digits inside the BBAN, where a country has them
 * and every bank uses them. */
static int
bban_checks(const char *cc, const char *b)
{
	if (memcmp(cc, "BE", 2) == 0) {
		int c = (int)((unsigned long long)num(b, 5) * 100000 %
		    97 + (unsigned long long)num(b + 5, 5)) % 97;

		return (c == 0 ? 97 : c) == num(b + 10, 2);
	}
	if (memcmp(cc, "ES", 2) == 0) {
		char d[10];

		d[0] = d[1] = '0';
		memcpy(d + 2, b, 8);
		return es_ccc_digit(d) == b[8] - '0' &&
		    es_ccc_digit(b + 10) == b[9] - '0';
	}
	return 1;
}

int
pii_check_iban(const char *s, size_t n)
{
	char r[40];

	if (n < 15 || n > 34)
		return 0;
	for (size_t i = 0; i < sizeof(iban_formats) / sizeof(iban_formats[0]);
	    i++) {
		if (memcmp(s, iban_formats[i].cc, 2) != 0)
			continue;
		if (s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9' ||
		    !bban_fits(iban_formats[i].bban, s + 4, n - 4) ||
		    !bban_checks(s, s + 4))
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
	if (p2 == 50 || (p2 >= 56 && p2 <= 58) || p2 == 67 || p4 == 6304 ||
	    p4 == 604)
		return 1;			/* Maestro (0604: old) */
	if ((p4 == 2131 || p4 == 1800) && n == 15)
		return 1;					/* JCB 15 */
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
	/* At most one digit repeated, at most three times (numbers issued
	 * before 2016 may have none repeated). */
	for (int i = 0; i < 10; i++) {
		if (count[i] == 2 || count[i] == 3)
			repeated++;
		else if (count[i] > 3)
			bad = 1;
	}
	return !bad && repeated <= 1 && pii_iso7064_mod11_10(d, n);
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
	/* Values of characters in odd positions (1st, 3rd, ...): 0-9, A-Z. */
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
	int yy, year;

	/* Since 2007 the mod-11 rule no longer holds: the date, with the
	 * century the seventh digit gives. */
	if (n != 10 || !all_digits(d, n))
		return 0;
	yy = num(d + 4, 2);
	if (d[6] <= '3')
		year = 1900 + yy;
	else if (d[6] == '4' || d[6] == '9')
		year = yy <= 36 ? 2000 + yy : 1900 + yy;
	else
		year = yy <= 57 ? 2000 + yy : 1800 + yy;
	/* No one is born in the future (a bound that needs no clock). */
	return year < 2040 && pii_valid_date(year, num(d + 2, 2), num(d, 2));
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
		/* The second letter counts in the numbers of 2013 on. */
		if (s[8] == 'A' || s[8] == 'B' || s[8] == 'H')
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
