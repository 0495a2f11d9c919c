/* VAT numbers of the EU, Norway, Switzerland and the UK: check digits. */
#include <string.h>

#include "policy/pii_check.h"
#include "policy/pii_idcheck.h"
#include "policy/pii_vat.h"

static int
digits_only(const char *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	return n > 0;
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

/* The sum Luhn uses over d[0, n), mod 10. */
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

static int
vat_at(const char *v, size_t n)
{
	if (n != 9 || v[0] != 'U' || !digits_only(v + 1, 8))
		return 0;
	return (6 - luhn_sum(v + 1, 7) + 100) % 10 == v[8] - '0';
}

static int
vat_be(const char *v, size_t n)
{
	char d[10];

	if (n == 9 && digits_only(v, 9)) {
		d[0] = '0';
		memcpy(d + 1, v, 9);
	} else if (n == 10 && digits_only(v, 10)) {
		memcpy(d, v, 10);
	} else {
		return 0;
	}
	if ((d[0] != '0' && d[0] != '1') || num(d, 8) == 0)
		return 0;
	return (num(d, 8) + num(d + 8, 2)) % 97 == 0;
}

static int
vat_bg(const char *v, size_t n)
{
	static const int w1[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const int w2[] = { 3, 4, 5, 6, 7, 8, 9, 10 };
	static const int wf[] = { 21, 19, 17, 13, 11, 9, 7, 3, 1 };
	static const int wo[] = { 4, 3, 2, 7, 6, 5, 4, 3, 2 };
	int c;

	if (!digits_only(v, n))
		return 0;
	if (n == 9) {
		c = wsum(v, w1, 8) % 11;
		if (c == 10)
			c = wsum(v, w2, 8) % 11 % 10;
		return c == v[8] - '0';
	}
	if (n != 10)
		return 0;
	if (pii_check_bg_egn(v, n) || wsum(v, wf, 9) % 10 == v[9] - '0')
		return 1;
	c = 11 - wsum(v, wo, 9) % 11;
	return c != 10 && (c == 11 ? 0 : c) == v[9] - '0';
}

static int
vat_cy(const char *v, size_t n)
{
	static const int odd[] = { 1, 0, 5, 7, 9, 13, 15, 17, 19, 21 };
	int s = 0;

	if (n != 9 || !digits_only(v, 8) || v[8] < 'A' || v[8] > 'Z' ||
	    (v[0] == '1' && v[1] == '2'))
		return 0;
	for (int i = 0; i < 8; i++)
		s += i % 2 ? v[i] - '0' : odd[v[i] - '0'];
	return v[8] == 'A' + s % 26;
}

static int
vat_cz(const char *v, size_t n)
{
	static const int w[] = { 8, 7, 6, 5, 4, 3, 2 };
	int c;

	if (!digits_only(v, n))
		return 0;
	if (n == 8) {
		if (v[0] == '9')
			return 0;
		c = (11 - wsum(v, w, 7) % 11) % 11;
		return (c == 0 ? 1 : c) % 10 == v[7] - '0';
	}
	if (n == 9 && v[0] == '6') {
		c = wsum(v + 1, w, 7) % 11;
		return ((8 - (10 - c) % 11) % 10 + 10) % 10 == v[8] - '0';
	}
	return pii_check_cz_rc(v, n);
}

static int
vat_de(const char *v, size_t n)
{
	return n == 9 && v[0] != '0' && pii_iso7064_mod11_10(v, 9);
}

static int
vat_dk(const char *v, size_t n)
{
	static const int w[] = { 2, 7, 6, 5, 4, 3, 2, 1 };

	return n == 8 && digits_only(v, 8) && v[0] != '0' &&
	    wsum(v, w, 8) % 11 == 0;
}

static int
vat_ee(const char *v, size_t n)
{
	static const int w[] = { 3, 7, 1, 3, 7, 1, 3, 7, 1 };

	return n == 9 && digits_only(v, 9) && wsum(v, w, 9) % 10 == 0;
}

static int
vat_el(const char *v, size_t n)
{
	static const int w[] = { 256, 128, 64, 32, 16, 8, 4, 2 };
	char d[9];

	/* Older numbers have eight digits: a leading zero. */
	if (n == 8 && digits_only(v, 8)) {
		d[0] = '0';
		memcpy(d + 1, v, 8);
		v = d;
		n = 9;
	}
	return n == 9 && digits_only(v, 9) && wsum(v, w, 8) % 11 % 10 ==
	    v[8] - '0';
}

static int
vat_es(const char *v, size_t n)
{
	int sum = 0, c;

	if (n != 9)
		return 0;
	if (pii_check_es_dni(v, 9) || pii_check_es_nie(v, 9))
		return 1;
	if (v[0] < 'A' || v[0] > 'Z' || !digits_only(v + 1, 7))
		return 0;
	for (int i = 0; i < 7; i++) {
		int d = v[1 + i] - '0';

		if (i % 2 == 0) {
			d *= 2;
			d = d / 10 + d % 10;
		}
		sum += d;
	}
	c = (10 - sum % 10) % 10;
	return v[8] == '0' + c || v[8] == "JABCDEFGHI"[c];
}

static int
vat_fi(const char *v, size_t n)
{
	static const int w[] = { 7, 9, 10, 5, 8, 4, 2, 1 };

	return n == 8 && digits_only(v, 8) && wsum(v, w, 8) % 11 == 0;
}

/*
 * The key: two digits (the SIREN's mod 97), or, for newer numbers, two
 * characters of "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ" checked mod 11.
 */
static int
vat_fr(const char *v, size_t n)
{
	static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	long long siren = 0;
	const char *a, *b;
	int check;

	if (n != 11 || !digits_only(v + 2, 9))
		return 0;
	for (int i = 2; i < 11; i++)
		siren = siren * 10 + (v[i] - '0');
	if (digits_only(v, 2))
		return num(v, 2) == (int)((12 + 3 * (siren % 97)) % 97);
	a = v[0] != '\0' ? strchr(alphabet, v[0]) : NULL;
	b = v[1] != '\0' ? strchr(alphabet, v[1]) : NULL;
	if (a == NULL || b == NULL)
		return 0;
	if (v[0] >= '0' && v[0] <= '9')
		check = (int)(a - alphabet) * 24 + (int)(b - alphabet) - 10;
	else
		check = (int)(a - alphabet) * 34 + (int)(b - alphabet) - 100;
	return check >= 0 && (siren + 1 + check / 11) % 11 == check % 11;
}

static int
vat_hu(const char *v, size_t n)
{
	static const int w[] = { 9, 7, 3, 1, 9, 7, 3, 1 };

	return n == 8 && digits_only(v, 8) && wsum(v, w, 8) % 10 == 0;
}

static int
vat_ie(const char *v, size_t n)
{
	static const char alphabet[] = "WABCDEFGHIJKLMNOPQRSTUV";
	char d[7];
	int extra = 0;

	if (n == 9 && digits_only(v, 7)) {
		if (v[8] != 'W' && (v[8] < 'A' || v[8] > 'I'))
			return 0;
		extra = v[8] == 'W' ? 0 : v[8] - 'A' + 1;
		memcpy(d, v, 7);
	} else if (n == 8 && digits_only(v, 7)) {
		memcpy(d, v, 7);
	} else if (n == 8 && v[0] >= '0' && v[0] <= '9' &&
	    digits_only(v + 2, 5) && ((v[1] >= 'A' && v[1] <= 'Z') ||
	    v[1] == '+' || v[1] == '*')) {
		/* The old form: digit, letter, five digits, check letter. */
		d[0] = '0';
		memcpy(d + 1, v + 2, 5);
		d[6] = v[0];
	} else {
		return 0;
	}
	{
		static const int w[] = { 8, 7, 6, 5, 4, 3, 2 };

		return v[7] == alphabet[(wsum(d, w, 7) + 9 * extra) % 23];
	}
}

static int
vat_it(const char *v, size_t n)
{
	return n == 11 && digits_only(v, 11) && num(v, 7) != 0 &&
	    luhn_sum(v, 11) == 0;
}

static int
vat_lt(const char *v, size_t n)
{
	int c = 0, c2 = 0;

	if ((n != 9 && n != 12) || !digits_only(v, n) || v[n - 2] != '1')
		return 0;
	for (size_t i = 0; i + 1 < n; i++) {
		c += (int)(1 + i % 9) * (v[i] - '0');
		c2 += (int)(1 + (i + 2) % 9) * (v[i] - '0');
	}
	c %= 11;
	if (c == 10)
		c = c2 % 11 % 10;
	return c == v[n - 1] - '0';
}

static int
vat_lu(const char *v, size_t n)
{
	return n == 8 && digits_only(v, 8) && num(v, 6) % 89 == num(v + 6, 2);
}

static int
vat_lv(const char *v, size_t n)
{
	static const int w[] = { 9, 1, 4, 8, 3, 10, 2, 5, 7, 6, 1 };

	if (n != 11 || !digits_only(v, 11))
		return 0;
	if (v[0] > '3')
		return wsum(v, w, 11) % 11 == 3;
	return pii_check_lv_pk(v, n);
}

static int
vat_mt(const char *v, size_t n)
{
	static const int w[] = { 3, 4, 6, 7, 8, 9, 10, 1 };

	return n == 8 && digits_only(v, 8) && v[0] != '0' &&
	    wsum(v, w, 8) % 37 == 0;
}

static int
vat_nl(const char *v, size_t n)
{
	char r[14], d[12];

	/* Leading zeros left out: "NL4495445B01". */
	if (n >= 10 && n < 12 && v[n - 3] == 'B' && digits_only(v, n - 3)) {
		memset(d, '0', 12 - n);
		memcpy(d + 12 - n, v, n);
		v = d;
		n = 12;
	}
	if (n != 12 || !digits_only(v, 9) || v[9] != 'B' ||
	    !digits_only(v + 10, 2) || (v[10] == '0' && v[11] == '0'))
		return 0;
	if (pii_check_nl_bsn(v, 9))
		return 1;
	/* The newer sole-trader form: MOD 97-10 over "NL" + number. */
	memcpy(r, "NL", 2);
	memcpy(r + 2, v, 12);
	return pii_mod97_is_one(r, 14);
}

static int
vat_pl(const char *v, size_t n)
{
	return pii_check_pl_nip(v, n);
}

static int
vat_pt(const char *v, size_t n)
{
	return pii_check_pt_nif(v, n);
}

static int
vat_ro(const char *v, size_t n)
{
	static const int w[] = { 7, 5, 3, 2, 1, 7, 5, 3, 2 };
	char d[10];

	if (n == 13)
		return pii_check_ro_cnp(v, n);
	if (n < 2 || n > 10 || !digits_only(v, n) || v[0] == '0')
		return 0;
	memset(d, '0', 10);
	memcpy(d + 10 - n, v, n);
	return wsum(d, w, 9) * 10 % 11 % 10 == d[9] - '0';
}

static int
vat_se(const char *v, size_t n)
{
	return n == 12 && digits_only(v, 12) && v[10] == '0' &&
	    v[11] == '1' && pii_luhn(v, 10);
}

static int
vat_si(const char *v, size_t n)
{
	static const int w[] = { 8, 7, 6, 5, 4, 3, 2 };
	int c;

	if (n != 8 || !digits_only(v, 8) || v[0] == '0')
		return 0;
	c = 11 - wsum(v, w, 7) % 11;
	if (c == 11)
		return 0;
	return (c == 10 ? 0 : c) == v[7] - '0';
}

static int
vat_sk(const char *v, size_t n)
{
	long long x = 0;

	if (n != 10 || !digits_only(v, 10) || v[0] == '0' ||
	    !strchr("234789", v[2]))
		return 0;
	for (int i = 0; i < 10; i++)
		x = x * 10 + (v[i] - '0');
	return x % 11 == 0;
}

/* GB and XI: 9 digits (12 with a branch), or a government department
 * (GD + 3 digits under 500) or health authority (HA + 3 from 500). */
static int
vat_gb(const char *v, size_t n)
{
	static const int w[] = { 8, 7, 6, 5, 4, 3, 2, 10, 1 };
	int s;

	if (n == 5 && v[0] == 'G' && v[1] == 'D' && digits_only(v + 2, 3))
		return num(v + 2, 3) < 500;
	if (n == 5 && v[0] == 'H' && v[1] == 'A' && digits_only(v + 2, 3))
		return num(v + 2, 3) >= 500;
	if ((n != 9 && n != 12) || !digits_only(v, n) || num(v, 9) == 0)
		return 0;
	s = wsum(v, w, 9);
	return s % 97 == 0 || (s + 55) % 97 == 0;
}

/* Norway: the organisation number (9 digits, mod 11), then "MVA". */
static int
vat_no(const char *v, size_t n)
{
	static const int w[] = { 3, 2, 7, 6, 5, 4, 3, 2 };
	int c;

	if (n == 12 && memcmp(v + 9, "MVA", 3) == 0)
		n = 9;
	if (n != 9 || !digits_only(v, 9))
		return 0;
	c = 11 - wsum(v, w, 8) % 11;
	return c != 10 && (c == 11 ? 0 : c) == v[8] - '0';
}

/* Switzerland: "CHE" and the UID (9 digits, mod 11), then MWST, TVA, IVA
 * or TPV. */
static int
vat_ch(const char *v, size_t n)
{
	static const int w[] = { 5, 4, 3, 2, 7, 6, 5, 4 };
	int c;

	if (n < 10 || v[0] != 'E')
		return 0;
	v++;
	n--;
	if (n == 13 && (memcmp(v + 9, "MWST", 4) == 0))
		n = 9;
	else if (n == 12 && (memcmp(v + 9, "TVA", 3) == 0 ||
	    memcmp(v + 9, "IVA", 3) == 0 || memcmp(v + 9, "TPV", 3) == 0))
		n = 9;
	if (n != 9 || !digits_only(v, 9))
		return 0;
	c = 11 - wsum(v, w, 8) % 11;
	return c != 10 && (c == 11 ? 0 : c) == v[8] - '0';
}

/* Each country's check, and the lengths of its national part (a bit
 * per length, to skip the check cheaply). */
static const struct {
	char cc[3];
	int (*check)(const char *v, size_t n);
} vat_table[] = {
	{ "AT", vat_at }, { "BE", vat_be }, { "BG", vat_bg }, { "CY", vat_cy },
	{ "CZ", vat_cz }, { "DE", vat_de }, { "DK", vat_dk }, { "EE", vat_ee },
	{ "EL", vat_el }, { "ES", vat_es }, { "FI", vat_fi }, { "FR", vat_fr },
	{ "HR", pii_check_hr_oib }, { "HU", vat_hu }, { "IE", vat_ie },
	{ "IT", vat_it }, { "LT", vat_lt }, { "LU", vat_lu }, { "LV", vat_lv },
	{ "MT", vat_mt }, { "NL", vat_nl }, { "PL", vat_pl }, { "PT", vat_pt },
	{ "RO", vat_ro }, { "SE", vat_se }, { "SI", vat_si }, { "SK", vat_sk },
	{ "XI", vat_gb }, { "GB", vat_gb }, { "NO", vat_no }, { "CH", vat_ch },
};

#define N_VAT (sizeof(vat_table) / sizeof(vat_table[0]))

int
pii_vat_check(const char *s, size_t n)
{
	if (n < 4)
		return 0;
	for (size_t i = 0; i < N_VAT; i++) {
		int r;

		if (memcmp(s, vat_table[i].cc, 2) != 0)
			continue;
		r = vat_table[i].check(s + 2, n - 2);
		return r ? 2 : 0;
	}
	return 0;
}

int
pii_vat_check_country(const char *cc, const char *s, size_t n)
{
	for (size_t i = 0; i < N_VAT; i++)
		if (cc[0] == vat_table[i].cc[0] && cc[1] == vat_table[i].cc[1])
			return vat_table[i].check(s, n) != 0;
	return 0;
}
