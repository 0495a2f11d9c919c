/* Check digits and embedded dates of more EU/EEA, UK and Swiss identifiers. */
#include <string.h>

#include "policy/pii_check.h"
#include "policy/pii_idcheck.h"

static int
digits_only(const char *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	return n > 0;
}

static int
letter(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int
num(const char *d, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++)
		v = v * 10 + (d[i] - '0');
	return v;
}

static int
wsum(const char *d, const int *w, size_t n)
{
	int s = 0;

	for (size_t i = 0; i < n; i++)
		s += w[i] * (d[i] - '0');
	return s;
}

/* 11 - sum mod 11, with 11 as 0; -1 for the impossible 10. */
static int
mod11_digit(int sum)
{
	int c = 11 - sum % 11;

	return c == 11 ? 0 : c == 10 ? -1 : c;
}

static int
date2(int yy, int mm, int dd)
{
	return pii_valid_date(1900 + yy, mm, dd) ||
	    pii_valid_date(2000 + yy, mm, dd);
}

int
pii_check_bg_egn(const char *d, size_t n)
{
	static const int w[] = { 2, 4, 8, 5, 10, 9, 7, 3, 6 };
	int yy, mm, year;

	if (n != 10 || !digits_only(d, n))
		return 0;
	yy = num(d, 2);
	mm = num(d + 2, 2);
	if (mm > 40)
		year = 2000 + yy, mm -= 40;
	else if (mm > 20)
		year = 1800 + yy, mm -= 20;
	else
		year = 1900 + yy;
	if (!pii_valid_date(year, mm, num(d + 4, 2)))
		return 0;
	return wsum(d, w, 9) % 11 % 10 == d[9] - '0';
}

int
pii_check_cz_rc(const char *d, size_t n)
{
	int yy, mm, dd, year;

	if ((n != 9 && n != 10) || !digits_only(d, n))
		return 0;
	yy = num(d, 2);
	mm = num(d + 2, 2);
	dd = num(d + 4, 2);
	if (mm > 70)
		mm -= 70;
	else if (mm > 50)
		mm -= 50;
	else if (mm > 20)
		mm -= 20;
	if (n == 9) {
		/* Before 1954, without a check digit. */
		return yy < 54 && pii_valid_date(1900 + yy, mm, dd);
	}
	year = yy < 54 ? 2000 + yy : 1900 + yy;
	if (!pii_valid_date(year, mm, dd))
		return 0;
	{
		long long v = 0;
		int c;

		for (int i = 0; i < 9; i++)
			v = v * 10 + (d[i] - '0');
		c = (int)(v % 11);
		return (c == 10 ? 0 : c) == d[9] - '0';
	}
}

int
pii_check_ee_ik(const char *d, size_t n)
{
	static const int w1[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 1 };
	static const int w2[] = { 3, 4, 5, 6, 7, 8, 9, 1, 2, 3 };
	int c, year;

	if (n != 11 || !digits_only(d, n) || d[0] < '1' || d[0] > '6')
		return 0;
	year = 1800 + 100 * ((d[0] - '1') / 2) + num(d + 1, 2);
	if (!pii_valid_date(year, num(d + 3, 2), num(d + 5, 2)))
		return 0;
	c = wsum(d, w1, 10) % 11;
	if (c == 10)
		c = wsum(d, w2, 10) % 11 % 10;
	return c == d[10] - '0';
}

int
pii_check_lv_pk(const char *d, size_t n)
{
	static const int w[] = { 10, 5, 8, 4, 2, 1, 6, 3, 7, 9 };

	if (n != 11 || !digits_only(d, n))
		return 0;
	if (d[0] == '3' && d[1] == '2')
		return 1;	/* since 2017: no date, no check digit */
	if (d[6] > '2' || !pii_valid_date(1800 + 100 * (d[6] - '0') +
	    num(d + 4, 2), num(d + 2, 2), num(d, 2)))
		return 0;
	return (1 + wsum(d, w, 10)) % 11 % 10 == d[10] - '0';
}

int
pii_check_hr_oib(const char *d, size_t n)
{
	return n == 11 && pii_iso7064_mod11_10(d, n);
}

int
pii_check_ro_cnp(const char *d, size_t n)
{
	static const int w[] = { 2, 7, 9, 1, 4, 6, 3, 5, 8, 2, 7, 9 };
	int century, county, c;

	if (n != 13 || !digits_only(d, n) || d[0] == '0')
		return 0;
	century = d[0] <= '2' ? 1900 : d[0] <= '4' ? 1800 : d[0] <= '6' ?
	    2000 : 0;
	if (century != 0 ? !pii_valid_date(century + num(d + 1, 2),
	    num(d + 3, 2), num(d + 5, 2)) : !date2(num(d + 1, 2),
	    num(d + 3, 2), num(d + 5, 2)))
		return 0;
	county = num(d + 7, 2);
	if (county < 1 || (county > 52 && county != 70))
		return 0;
	c = wsum(d, w, 12) % 11;
	return (c == 10 ? 1 : c) == d[12] - '0';
}

int
pii_check_si_emso(const char *d, size_t n)
{
	static const int w[] = { 7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
	int yyy, r, c;

	if (n != 13 || !digits_only(d, n))
		return 0;
	yyy = num(d + 4, 3);
	if (!pii_valid_date(yyy >= 800 ? 1000 + yyy : 2000 + yyy,
	    num(d + 2, 2), num(d, 2)))
		return 0;
	r = wsum(d, w, 12) % 11;
	c = r == 0 ? 0 : 11 - r;
	return c != 10 && c == d[12] - '0';
}

int
pii_check_gr_amka(const char *d, size_t n)
{
	return n == 11 && digits_only(d, n) &&
	    date2(num(d + 4, 2), num(d + 2, 2), num(d, 2)) && pii_luhn(d, n);
}

int
pii_check_hu_tax(const char *d, size_t n)
{
	static const int w[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	int c;

	if (n != 10 || !digits_only(d, n) || d[0] != '8')
		return 0;
	c = wsum(d, w, 9) % 11;
	return c != 10 && c == d[9] - '0';
}

int
pii_check_hu_taj(const char *d, size_t n)
{
	static const int w[] = { 3, 7, 3, 7, 3, 7, 3, 7 };

	return n == 9 && digits_only(d, n) && wsum(d, w, 8) % 10 ==
	    d[8] - '0';
}

int
pii_check_is_kt(const char *d, size_t n)
{
	static const int w[] = { 3, 2, 7, 6, 5, 4, 3, 2 };
	int dd;

	if (n != 10 || !digits_only(d, n) || !strchr("890", d[9]))
		return 0;
	dd = num(d, 2);
	if (dd > 40)
		dd -= 40;	/* organisations */
	if (!date2(num(d + 4, 2), num(d + 2, 2), dd))
		return 0;
	return mod11_digit(wsum(d, w, 8)) == d[8] - '0';
}

int
pii_check_no_fnr(const char *d, size_t n)
{
	static const int w1[] = { 3, 7, 6, 1, 8, 9, 4, 5, 2 };
	static const int w2[] = { 5, 4, 3, 2, 7, 6, 5, 4, 3, 2 };
	int dd, mm;

	if (n != 11 || !digits_only(d, n))
		return 0;
	dd = num(d, 2);
	mm = num(d + 2, 2);
	if (dd > 40)
		dd -= 40;	/* D-number */
	if (mm > 40)
		mm -= 40;	/* H-number */
	if (!date2(num(d + 4, 2), mm, dd))
		return 0;
	return mod11_digit(wsum(d, w1, 9)) == d[9] - '0' &&
	    mod11_digit(wsum(d, w2, 10)) == d[10] - '0';
}

/* EAN-13 check digit. */
int
pii_check_ch_ahv(const char *d, size_t n)
{
	int s = 0;

	if (n != 13 || !digits_only(d, n) || memcmp(d, "756", 3) != 0)
		return 0;
	for (int i = 0; i < 12; i++)
		s += (d[i] - '0') * (i % 2 ? 3 : 1);
	return (10 - s % 10) % 10 == d[12] - '0';
}

int
pii_check_uk_nhs(const char *d, size_t n)
{
	static const int w[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2 };

	return n == 10 && digits_only(d, n) &&
	    mod11_digit(wsum(d, w, 9)) == d[9] - '0';
}

int
pii_check_uk_utr(const char *d, size_t n)
{
	static const int w[] = { 6, 7, 8, 9, 10, 5, 4, 3, 2 };

	if (n == 13 && d[10] == 'K')
		n = 10;		/* the "K" suffix of the scheme's form */
	if (n != 10 || !digits_only(d, n))
		return 0;
	return "21987654321"[wsum(d + 1, w, 9) % 11] == d[0];
}

/*
 * UK driving licence: five letters of the surname (padded with 9), the
 * decade digit, the month (plus 50 for women), the day, the year digit,
 * two initials (9 for none), a digit and two check letters.
 */
int
pii_check_uk_driving(const char *s, size_t n)
{
	int i = 0, mm, dd;

	if (n != 16)
		return 0;
	while (i < 5 && letter(s[i]))
		i++;
	if (i == 0)
		return 0;
	for (; i < 5; i++)
		if (s[i] != '9')
			return 0;
	if (!digits_only(s + 5, 6) || !(letter(s[11]) || s[11] == '9') ||
	    !(letter(s[12]) || s[12] == '9') || s[13] < '0' || s[13] > '9' ||
	    !letter(s[14]) || !(letter(s[15]) || (s[15] >= '0' &&
	    s[15] <= '9')))
		return 0;
	mm = num(s + 6, 2);
	dd = num(s + 8, 2);
	if (mm > 50)
		mm -= 50;
	return mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31;
}

int
pii_check_fr_spi(const char *d, size_t n)
{
	long long v = 0;

	if (n != 13 || !digits_only(d, n) || d[0] > '3')
		return 0;
	for (int i = 0; i < 10; i++)
		v = v * 10 + (d[i] - '0');
	return v % 511 == num(d + 10, 3);
}

int
pii_check_pl_nip(const char *d, size_t n)
{
	static const int w[] = { 6, 5, 7, 2, 3, 4, 5, 6, 7 };
	int c;

	if (n != 10 || !digits_only(d, n))
		return 0;
	c = wsum(d, w, 9) % 11;
	return c != 10 && c == d[9] - '0';
}

static int
alnum_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : letter(c) ? c - 'A' + 10 : -1;
}

/* Dowód osobisty: three letters, a check digit, five digits. */
int
pii_check_pl_id_card(const char *s, size_t n)
{
	static const int w[] = { 7, 3, 1, 0, 7, 3, 1, 7, 3 };
	int sum = 0;

	if (n != 9 || !letter(s[0]) || !letter(s[1]) || !letter(s[2]) ||
	    !digits_only(s + 3, 6))
		return 0;
	for (int i = 0; i < 9; i++)
		sum += w[i] * alnum_value(s[i]);
	return sum % 10 == s[3] - '0';
}

/* Cartão de Cidadão: civil number, its check digit, two characters of
 * version and a check digit over all (doubling from the right). */
int
pii_check_pt_cc(const char *s, size_t n)
{
	int sum = 0;

	if (n != 12 || !digits_only(s, 9) || alnum_value(s[9]) < 0 ||
	    alnum_value(s[10]) < 0 || s[11] < '0' || s[11] > '9')
		return 0;
	for (int i = 0; i < 11; i++) {
		int v = alnum_value(s[10 - i]);

		if (i % 2 == 0) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return (10 - sum % 10) % 10 == s[11] - '0';
}

int
pii_check_be_eid(const char *d, size_t n)
{
	long long v = 0;
	int c;

	if (n != 12 || !digits_only(d, n))
		return 0;
	for (int i = 0; i < 10; i++)
		v = v * 10 + (d[i] - '0');
	c = (int)(v % 97);
	return (c == 0 ? 97 : c) == num(d + 10, 2);
}

/* Krankenversichertennummer: a letter (01 to 26) and nine digits. */
int
pii_check_de_kvnr(const char *s, size_t n)
{
	char d[11];
	int sum = 0, l;

	if (n != 10 || !letter(s[0]) || !digits_only(s + 1, 9))
		return 0;
	l = s[0] - 'A' + 1;
	d[0] = (char)('0' + l / 10);
	d[1] = (char)('0' + l % 10);
	memcpy(d + 2, s + 1, 8);
	for (int i = 0; i < 10; i++) {
		int v = (d[i] - '0') * (i % 2 ? 2 : 1);

		sum += v / 10 + v % 10;
	}
	return sum % 10 == s[9] - '0';
}

/* ICAO 9303 check digit (weights 7, 3, 1) of s[0, n). */
static int
icao_digit(const char *s, size_t n)
{
	static const int w[] = { 7, 3, 1 };
	int sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += alnum_value(s[i]) * w[i % 3];
	return sum % 10;
}

/*
 * German identity card and passport numbers: nine characters of
 * "CFGHJKLMNPRTVWXYZ" and digits, a letter first (the authority code);
 * the check digit of the machine-readable zone may follow.
 */
int
pii_check_de_document(const char *s, size_t n)
{
	static const char set[] = "CFGHJKLMNPRTVWXYZ0123456789";

	if (n != 9 && n != 10)
		return 0;
	if (!letter(s[0]) || strchr(set, s[0]) == NULL)
		return 0;
	for (size_t i = 1; i < 9; i++)
		if (s[i] == '\0' || strchr(set, s[i]) == NULL)
			return 0;
	return n == 9 || icao_digit(s, 9) == s[9] - '0';
}

/*
 * Steuernummer: the regional form (10 or 11 digits), or the national one
 * (13 digits: the Land's prefix, the office, a 0, the district, the
 * person, a check digit).
 */
int
pii_check_de_stnr(const char *d, size_t n)
{
	static const char *const lands[] = { "28", "11", "30", "24", "22",
		"26", "40", "23", "27", "10", "32", "31", "21", "41", "9",
		"5", NULL };

	if (!digits_only(d, n))
		return 0;
	if (n == 10 || n == 11)
		return 1;
	if (n != 13 || d[4] != '0')
		return 0;
	for (int i = 0; lands[i] != NULL; i++)
		if (memcmp(d, lands[i], strlen(lands[i])) == 0)
			return 1;
	return 0;
}

/* Abgabenkontonummer: office, person, check digit. */
int
pii_check_at_tin(const char *d, size_t n)
{
	static const char dbl[] = "0246813579";
	int sum = 0;

	if (n != 9 || !digits_only(d, n))
		return 0;
	for (int i = 0; i < 8; i++)
		sum += i % 2 ? dbl[d[i] - '0'] - '0' : d[i] - '0';
	return (10 - sum % 10) % 10 == d[8] - '0';
}

/* Patente di guida: "U1" and seven characters and a letter (since 2013),
 * or two letters, seven digits and a letter. */
int
pii_check_it_driving(const char *s, size_t n)
{
	if (n != 10 || !letter(s[9]))
		return 0;
	if (s[0] == 'U' && s[1] == '1') {
		for (int i = 2; i < 9; i++)
			if (alnum_value(s[i]) < 0 || strchr("AIOQV", s[i]))
				return 0;
		return 1;
	}
	return letter(s[0]) && letter(s[1]) && digits_only(s + 2, 7);
}

/* Maltese identity card: up to seven digits and a letter. */
int
pii_check_mt_id(const char *s, size_t n)
{
	return n >= 2 && n <= 8 && digits_only(s, n - 1) &&
	    strchr("MGAPLHBZ", s[n - 1]) != NULL && s[n - 1] != '\0';
}
