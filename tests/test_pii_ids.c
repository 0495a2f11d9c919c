/*
 * Unit tests of the identifier table (policy/pii_ids.c): the check digits
 * of every country's identifiers and VAT numbers on published examples
 * (each also refused with its last character changed), and the scanner on
 * the ways people write them, with and without their label, in a sentence
 * of another language, and next to a label of something else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "policy/pii.h"
#include "policy/pii_idcheck.h"
#include "policy/pii_vat.h"
#include "tests/tap.h"

typedef int (*check_fn)(const char *, size_t);

struct vec {
	const char *name;
	check_fn fn;
	const char *valid;	/* a published example */
};

static int
vat2(const char *s, size_t n)
{
	return pii_vat_check(s, n) == 2;
}

static const struct vec vectors[] = {
	{ "BG EGN", pii_check_bg_egn, "7523169263" },
	{ "CZ rodne cislo", pii_check_cz_rc, "7103192745" },
	{ "EE isikukood", pii_check_ee_ik, "36805280109" },
	{ "LV personas kods", pii_check_lv_pk, "16117519997" },
	{ "HR OIB", pii_check_hr_oib, "33392005961" },
	{ "RO CNP", pii_check_ro_cnp, "1630615123457" },
	{ "SI EMSO", pii_check_si_emso, "0101006500006" },
	{ "GR AMKA", pii_check_gr_amka, "01013099997" },
	{ "IS kennitala", pii_check_is_kt, "4504013150" },
	{ "NO fodselsnummer", pii_check_no_fnr, "15108695088" },
	{ "CH AHV", pii_check_ch_ahv, "7569217076985" },
	{ "UK NHS", pii_check_uk_nhs, "9434765870" },
	{ "UK UTR", pii_check_uk_utr, "1955839661" },
	{ "FR numero fiscal", pii_check_fr_spi, "3023217600053" },
	{ "PL NIP", pii_check_pl_nip, "8567346215" },
	{ "PT cartao de cidadao", pii_check_pt_cc, "000000000ZZ4" },
	{ "BE eID card", pii_check_be_eid, "591191706458" },
	{ "DE KVNR", pii_check_de_kvnr, "A123456780" },
	{ "AT Abgabenkontonummer", pii_check_at_tin, "591199013" },
	{ "HU adoazonosito jel", pii_check_hu_tax, "8071592153" },
	{ "VAT BG", vat2, "BG175074752" }, { "VAT CY", vat2, "CY10259033P" },
	{ "VAT CZ", vat2, "CZ25123891" }, { "VAT EE", vat2, "EE100931558" },
	{ "VAT EL", vat2, "EL094259216" }, { "VAT HR", vat2, "HR33392005961" },
	{ "VAT HU", vat2, "HU12892312" }, { "VAT IE", vat2, "IE6433435F" },
	{ "VAT LT", vat2, "LT119511515" }, { "VAT LV", vat2, "LV40003521600" },
	{ "VAT MT", vat2, "MT11679112" }, { "VAT RO", vat2, "RO18547290" },
	{ "VAT SI", vat2, "SI15012557" }, { "VAT SK", vat2, "SK2022749619" },
	{ "VAT GB", vat2, "GB980780684" }, { "VAT XI", vat2, "XI980780684" },
	{ "VAT NO", vat2, "NO995525828MVA" },
	{ "VAT CH", vat2, "CHE107787577" },
	{ "VAT DE", vat2, "DE136695976" }, { "VAT AT", vat2, "ATU13585627" },
	{ "VAT BE", vat2, "BE0403019261" }, { "VAT FR", vat2, "FR40303265045" },
	{ "VAT IT", vat2, "IT00743110157" },
	{ "VAT NL", vat2, "NL004495445B01" },
	{ "VAT PL", vat2, "PL8567346215" }, { "VAT DK", vat2, "DK13585628" },
	{ "VAT FI", vat2, "FI20774740" }, { "VAT SE", vat2, "SE123456789701" },
	{ "VAT LU", vat2, "LU15027442" }, { "VAT PT", vat2, "PT501964843" },
	{ "VAT ES", vat2, "ESA13585625" },
};

/* The last digit changed must be refused (a letter: the next letter). */
static void
test_vectors(void)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vec *v = &vectors[i];
		size_t len = strlen(v->valid), k = len - 1;
		char bad[40];

		ok(v->fn(v->valid, len), "%s: %s is valid", v->name, v->valid);
		memcpy(bad, v->valid, len + 1);
		/* NO: the check digits sit before "MVA"; NL: before "B01". */
		while (k > 0 && (bad[k] < '0' || bad[k] > '9') &&
		    strncmp(v->name, "VAT NO", 6) == 0)
			k--;
		if (strncmp(v->name, "VAT NL", 6) == 0)
			k = 5;
		bad[k] = bad[k] >= '0' && bad[k] <= '8' ? (char)(bad[k] + 1) :
		    bad[k] == '9' ? '0' : bad[k] == 'Z' ? 'A' :
		    (char)(bad[k] + 1);
		ok(!v->fn(bad, len), "%s: %s is refused", v->name, bad);
	}
}

static struct pii_engine *eng;

/* Scans text; returns the types found, "TYPE[value] ..." in order. */
static const char *
scan(const char *text)
{
	static char out[1024];
	unsigned char en[PII__COUNT];
	struct pii_matches m = { NULL, 0, 0 };
	size_t k = 0;

	memset(en, 1, sizeof(en));
	out[0] = '\0';
	if (pii_scan(eng, text, strlen(text), en, &m) != 0)
		return "ERROR";
	for (size_t i = 0; i < m.n && k < sizeof(out); i++)
		k += (size_t)snprintf(out + k, sizeof(out) - k, "%s%s[%.*s]",
		    k ? " " : "", pii_type_name(m.v[i].type),
		    (int)(m.v[i].end - m.v[i].start), text + m.v[i].start);
	pii_matches_free(&m);
	return out;
}

static void
test_scanner(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* IBAN: any case, spaced, dashed or dotted, every country. */
		{ "my iban is gb82west12345698765432",
		  "IBAN[gb82west12345698765432]" },
		{ "IBAN AL47-2121-1009-0000-0002-3569-8741",
		  "IBAN[AL47-2121-1009-0000-0002-3569-8741]" },
		{ "IBAN NO 93 8601 1117 947 bitte",
		  "IBAN[NO 93 8601 1117 947]" },
		/* A valid check over a BBAN of the wrong shape. */
		{ "IBAN BG41 BNBG 9661 A020 3456 78", "" },
		{ "IBAN NL49 ABNA 0417 1643 A0", "" },
		/* Cards without a context word, grouped or not. */
		{ "4111 1111 1111 1111", "CREDIT_CARD[4111 1111 1111 1111]" },
		{ "pay with 5555-5555-5555-4444 now",
		  "CREDIT_CARD[5555-5555-5555-4444]" },
		{ "ref 4111 1111 1111 1112", "" },
		/* Inside a longer grouped number it is not a card. */
		{ "ID 4003 2960 8908 5629 1111 1111 1111 1111 9", "" },
		/* VAT of every state, with the separators people write. */
		{ "FR 40 303 265 045", "EU_VAT[FR 40 303 265 045]" },
		{ "ATU 135 856 27 ok", "EU_VAT[ATU 135 856 27]" },
		{ "ES- A13585625", "EU_VAT[ES- A13585625]" },
		{ "CHE-107.787.577 IVA", "EU_VAT[CHE-107.787.577 IVA]" },
		{ "MVA: NO 995 525 828 MVA", "EU_VAT[NO 995 525 828 MVA]" },
		{ "EL 094259216", "EU_VAT[EL 094259216]" },
		/* A government department's, a health authority's. */
		{ "VAT GBGD123 and", "EU_VAT[GBGD123]" },
		{ "VAT no. GBHA567.", "EU_VAT[GBHA567]" },
		{ "VAT GBHA123", "" },
		{ "the GBGD123 form", "" },
		/* Without the prefix, next to a VAT label of its country. */
		{ "USt-IdNr. 136695976", "EU_VAT[136695976]" },
		{ "VAT 136695976", "" },
		/* Labels in any language, whatever the sentence's. */
		{ "Her PESEL is 44051401359.", "PL_PESEL[44051401359]" },
		{ "Mijn BSN-nummer: 1112.22.333", "NL_BSN[1112.22.333]" },
		{ "Ma Steuer-ID: 36 574 261 809", "DE_TAX_ID[36 574 261 809]" },
		{ "see 44051401359 again", "" },
		/* A label of another identifier: not this one. */
		{ "PESEL 36574261809", "" },
		/* Shapes rare enough without a label. */
		{ "756.9217.0769.85", "HEALTH_ID[756.9217.0769.85]" },
		{ "710319/2745", "PERSONAL_ID[710319/2745]" },
		{ "161175-19997", "PERSONAL_ID[161175-19997]" },
		{ "MORGA657054SM9IJ", "ID_DOCUMENT[MORGA657054SM9IJ]" },
		/* Next to their label only. */
		{ "EGN 7523169263", "PERSONAL_ID[7523169263]" },
		{ "see 7523169263 again", "" },
		{ "OIB: 33392005961", "PERSONAL_ID[33392005961]" },
		{ "CNP 1630615123457", "PERSONAL_ID[1630615123457]" },
		{ "kennitala 450401-3150", "PERSONAL_ID[450401-3150]" },
		{ "NHS number 943 476 5870", "HEALTH_ID[943 476 5870]" },
		{ "UTR 1955839661", "TAX_NUMBER[1955839661]" },
		{ "Steuernummer 181/815/08155", "TAX_NUMBER[181/815/08155]" },
		{ "Abgabenkontonummer 59-119/9013", "TAX_NUMBER[59-119/9013]" },
		{ "Steuernummer 93--173/6581", "TAX_NUMBER[93--173/6581]" },
		{ "num\xc3\xa9ro fiscal 30 23 217 600 053",
		  "TAX_NUMBER[30 23 217 600 053]" },
		/* Documents: the label, and a format of the named country. */
		{ "Reisepass C01X00T47", "ID_DOCUMENT[C01X00T47]" },
		{ "Swedish passport number 56702928",
		  "ID_DOCUMENT[56702928]" },
		{ "Swedish passport number 567029281", "" },
		{ "passeport 10CV28144", "ID_DOCUMENT[10CV28144]" },
		{ "carta d'identit\xc3\xa0 CA79382RA",
		  "ID_DOCUMENT[CA79382RA]" },
		{ "Cart\xc3\xa3o de Cidad\xc3\xa3o 00000000 0 ZZ4",
		  "PERSONAL_ID[00000000 0 ZZ4]" },
		{ "Italian passport KAK001122", "" },
		/* A check digit over all twelve digits (validator.js):
		 * the date and serial of a person, next to the label. */
		{ "personnummer 19781124-5129",
		  "SE_PERSONNUMMER[19781124-5129]" },
		{ "personnummer 19781124-5120",
		  "SE_PERSONNUMMER[19781124-5120]" },
		{ "see 19781124-5129 above", "" },
		{ "personnummer 19781124-5128", "" },
		/* Omocodia with the check over the restored digits. */
		{ "codice fiscale VRDLCU72M45F20RR",
		  "IT_FISCAL_CODE[VRDLCU72M45F20RR]" },
		{ "the code VRDLCU72M45F20RR", "" },
		{ "codice fiscale VRDLCU72M45F20RA", "" },
		{ "the code VRDLCU72M45F20RM",
		  "IT_FISCAL_CODE[VRDLCU72M45F20RM]" },
		/* The check digit apart, in the issued structure only. */
		{ "Steuer-ID 4712038594 0", "DE_TAX_ID[4712038594 0]" },
		{ "Steuer-ID 4712038596 6", "" },
		/* German documents: few digits in their alphabet. */
		{ "Reisepassnummer CFGH1JK2L", "ID_DOCUMENT[CFGH1JK2L]" },
		{ "Personalausweis LZ6RT1X4G", "ID_DOCUMENT[LZ6RT1X4G]" },
		{ "Reisepassnummer CAGH1JK2L", "" },
		{ "the word CFGH1JK2L", "" },
		/* A text of values alone (an answer to the question that
		 * named them, a field): the check, or a specific format
		 * with letters, is the evidence. */
		{ "44051401359", "PL_PESEL[44051401359]" },
		{ " 7523169263\n", "PERSONAL_ID[7523169263]" },
		{ "44051401358", "" },
		{ "12345678", "" },
		{ "AB1234567", "ID_DOCUMENT[AB1234567]" },
		{ "ab1234567, CD 7654321",
		  "ID_DOCUMENT[ab1234567] ID_DOCUMENT[CD 7654321]" },
		{ "see AB1234567", "" },
		{ "AB1234567?", "" },
		{ "A4E7I9O23", "" },
		/* Formats with free positions, the German alphabet: the
		 * shapes of generated ids (a tool call's "pRw4MzKq7"). */
		{ "pRw4MzKq7", "" },
		{ "K7P29X4R5", "" },
		{ "Reisepass K7P29X4R5", "ID_DOCUMENT[K7P29X4R5]" },
		/* Negative words veto a strong value without its label. */
		{ "order 710319/2745", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(scan(cases[i].text), cases[i].want, cases[i].text);
}

/* A megabyte of digits and separators: linear, not quadratic. */
static void
test_linear(void)
{
	static const char sep[] = " -./";
	size_t big = 1024 * 1024, small = big / 16;
	char *t = malloc(big + 1);
	uint64_t t0, t_small, t_big;
	struct pii_matches m = { NULL, 0, 0 };
	unsigned char en[PII__COUNT];
	unsigned seed = 7;

	memset(en, 1, sizeof(en));
	for (size_t i = 0; i < big; i++) {
		seed = seed * 1103515245u + 12345u;
		t[i] = i % 2 == 0 ? (char)('0' + (seed >> 16) % 10) :
		    sep[(seed >> 20) % 4];
	}
	t[big] = '\0';
	t0 = util_now_us();
	ok(pii_scan(eng, t, small, en, &m) == 0, "64 KB of digits scanned");
	t_small = util_now_us() - t0 + 1;
	pii_matches_free(&m);
	t0 = util_now_us();
	ok(pii_scan(eng, t, big, en, &m) == 0, "1 MB of digits scanned");
	t_big = util_now_us() - t0 + 1;
	pii_matches_free(&m);
	/* 16 times the text: allow 40 times the time (noise), not 256. */
	ok(t_big < 40 * t_small + 200000, "1 MB of digits and separators "
	    "in %llu us, 64 KB in %llu us: linear",
	    (unsigned long long)t_big, (unsigned long long)t_small);
	free(t);
}

int
main(void)
{
	char err[256];

	eng = pii_engine_new(err, sizeof(err));
	if (eng == NULL) {
		printf("not ok 1 - engine: %s\n1..1\n", err);
		return 1;
	}
	test_vectors();
	test_scanner();
	test_linear();
	pii_engine_free(eng);
	return tap_done();
}
