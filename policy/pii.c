/* PII detection: patterns, validators, context words, names. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pcre2.h>

#include "policy/pii.h"
#include "policy/pii_check.h"
#include "policy/pii_norm.h"
#include "policy/pii_person.h"

static const char *const type_names[PII__COUNT] = {
	"EMAIL", "PHONE", "IBAN", "CREDIT_CARD", "IP_ADDRESS", "EU_VAT",
	"DE_TAX_ID", "DE_SVNR", "FR_NIR", "ES_DNI", "ES_NIE", "IT_FISCAL_CODE",
	"NL_BSN", "BE_NATIONAL_NUMBER", "PL_PESEL", "SE_PERSONNUMMER",
	"FI_HETU", "DK_CPR", "AT_SVNR", "PT_NIF", "IE_PPSN", "UK_NINO",
	"SECRET", "PERSON",
};

const char *
pii_type_name(int type)
{
	return type >= 0 && type < PII__COUNT ? type_names[type] : "?";
}

int
pii_national_id(int type)
{
	return type >= PII_DE_TAX_ID && type <= PII_UK_NINO;
}

int
pii_type_parse(const char *name, size_t len)
{
	for (int i = 0; i < PII__COUNT; i++)
		if (strlen(type_names[i]) == len &&
		    strncasecmp(type_names[i], name, len) == 0)
			return i;
	return -1;
}

/* What a text must contain for a pattern to be worth running. */
enum {
	F_DIGIT = 1, F_AT = 2, F_UPPER = 4, F_COLON = 8, F_LOWER = 16
};

/* Byte classes: the F_* features of a text, and C_CLUSTER for the bytes
 * that can appear inside a number (digits, capitals, separators). */
#define C_CLUSTER 32

static const unsigned char char_class[256] = {
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	 0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,
	32,  0,  0,  0,  0,  0,  0,  0, 32, 32,  0, 32,  0, 32, 32, 32,
	33, 33, 33, 33, 33, 33, 33, 33, 33, 33, 40,  0,  0,  0,  0,  0,
	 2, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
	36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,  0,  0,  0,  0,  0,
	 0, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,
	16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16,  0,  0,  0,  0,  0,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
	 4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,  4,
};

struct wordset;

/* A candidate span; the accept function may shrink end. */
struct cand {
	const char *text;
	size_t len, start, end;
	int type;
	const struct wordset *ws;	/* the engine's word lists */
};

typedef int (*accept_fn)(struct cand *c);

struct pattern {
	int type;
	unsigned need;
	const char *re;
	accept_fn accept;
	int group;		/* capture group that is the value (0: all) */
};

/* need flag: the pattern starts with a digit and runs only where digits
 * cluster (see digit_windows), not over the whole text. */
#define F_WINDOW 0x100

/* The context word lists (each a NULL-terminated array of lower-case
 * words), in the order of word_lists[]. */
enum { W_NEGATIVE, W_PHONE, W_CARD, W_DE_TAX, W_BSN, W_BE_NN, W_PESEL,
	W_SE, W_DK, W_FI, W_AT, W_PT, W_VAT, W__COUNT };

#define WORDSET_MAX 64

/* A word list indexed by first byte: a window is read once, and only
 * the words that start with a byte are compared there. */
struct wordset {
	const char *const *words;
	unsigned char len[WORDSET_MAX], order[WORDSET_MAX];
	unsigned char start[256], count[256];
};

struct pii_engine {
	struct wordset ws[W__COUNT];
	struct pii_person *person;	/* PERSON detection */
	pcre2_code *code[32];
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	struct pii_norm *norm;		/* the detection form */
	size_t n;
};

/* ---- helpers for validators ---- */

/* Copies the letters and digits of [s, s+n) upper-cased into out. */
static size_t
compact(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < cap; i++) {
		char c = s[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))
			out[k++] = c;
	}
	out[k] = '\0';
	return k;
}

static int
has_sep(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
			return 1;
	return 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Case-insensitive (ASCII) search of word in [p, p+n). */
static int
find_word(const char *p, size_t n, const char *word)
{
	size_t wl = strlen(word);

	if (wl > n)
		return 0;
	for (size_t i = 0; i + wl <= n; i++) {
		size_t k = 0;

		while (k < wl && lower((unsigned char)p[i + k]) ==
		    (unsigned char)word[k])
			k++;
		if (k == wl)
			return 1;
	}
	return 0;
}

/* Words that make a bare number something else than personal data. */
static const char *const negative_words[] = {
	"order", "invoice", "ticket", "tracking", "sku", "serial", "isbn",
	"ean", "article", "artikel", "product", "produkt", "bestell",
	"rechnung", "auftrag", "lieferschein", "commande", "facture",
	"pedido", "factura", "ordine", "fattura", "bestelling", "factuur",
	"zamówieni", "zamowieni", "faktur", "version", "build", "commit",
	"timestamp", "epoch", "reference", "referenz", "booking", "buchung",
	"parcel", "paket", "sendung", "colis", "case #", "ref.", NULL
};

#define CTX_BEFORE 64
#define CTX_AFTER 32

/*
 * Copies text[from, to) into buf, ASCII lower-cased, with pseudonym tokens
 * ("<PHONE_X2Y3Z4>") blanked out: a token's type name is no context word,
 * or a second pass over pseudonymized text would find what the first did
 * not.
 */
static size_t
context_copy(const char *text, size_t from, size_t to, char *buf)
{
	size_t n = to - from;

	memcpy(buf, text + from, n);
	for (size_t i = 0; i < n; i++) {
		size_t k = i + 1;

		if (buf[i] != '<')
			continue;
		while (k < n && ((buf[k] >= 'A' && buf[k] <= 'Z') ||
		    (buf[k] >= '0' && buf[k] <= '9') || buf[k] == '_'))
			k++;
		if (k < n && buf[k] == '>' && k - i > 8)
			memset(buf + i, ' ', k - i + 1);
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)lower((unsigned char)buf[i]);
	return n;
}

static void
wordset_build(struct wordset *w, const char *const *words)
{
	size_t n = 0;

	memset(w, 0, sizeof(*w));
	w->words = words;
	for (int b = 0; b < 256; b++) {
		w->start[b] = (unsigned char)n;
		for (size_t i = 0; words[i] != NULL && i < WORDSET_MAX; i++) {
			if ((unsigned char)words[i][0] != b)
				continue;
			w->order[n] = (unsigned char)i;
			w->len[i] = (unsigned char)strlen(words[i]);
			n++;
		}
		w->count[b] = (unsigned char)(n - w->start[b]);
	}
}

/* 1 when buf[0, n) holds one of the words. */
static int
has_word(const struct wordset *w, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)buf[i];

		for (int k = w->start[b]; k < w->start[b] + w->count[b]; k++) {
			size_t wl = w->len[w->order[k]];

			if (wl <= n - i && memcmp(buf + i + 1,
			    w->words[w->order[k]] + 1, wl - 1) == 0)
				return 1;
		}
	}
	return 0;
}

static int
in_window(const struct cand *c, int list)
{
	size_t from = c->start > CTX_BEFORE ? c->start - CTX_BEFORE : 0;
	size_t to = c->end + CTX_AFTER < c->len ? c->end + CTX_AFTER : c->len;
	char before[CTX_BEFORE], after[CTX_AFTER];
	size_t nb = context_copy(c->text, from, c->start, before);
	size_t na = context_copy(c->text, c->end, to, after);

	/* Lower-cased once, then read once per list: this runs for most
	 * candidates. */
	return has_word(&c->ws[list], before, nb) ||
	    has_word(&c->ws[list], after, na);
}

/* Positive context present and no negative context. */
static int
context(const struct cand *c, int list)
{
	return in_window(c, list) && !in_window(c, W_NEGATIVE);
}

static int
no_negative(const struct cand *c)
{
	return !in_window(c, W_NEGATIVE);
}

/* ---- context words per entity, in EN DE FR ES IT NL PL SV ---- */

static const char *const w_phone[] = {
	"tel", "phone", "mobile", "cell", "call", "fax", "whatsapp",
	"handy", "rufnummer", "mobil", "telefon", "téléphone", "portable",
	"joindre", "teléfono", "telefono", "móvil", "movil", "cellulare",
	"chiama", "telefoon", "bel ", "komórk", "komork", "numer", "nummer",
	"number", "ring", "reach me", "erreichbar", "appel", "llam", NULL
};
static const char *const w_card[] = {
	"card", "karte", "carte", "tarjeta", "carta", "kaart", "karta",
	"kort", "visa", "mastercard", "amex", "credit", "kredit", "crédit",
	"crédito", "credito", "cvv", "cvc", "pan", "payment", "zahlung",
	"paiement", "pago", "pagamento", "betaling", "płatno", "betalning",
	NULL
};
static const char *const w_de_tax[] = {
	"steuer", "idnr", "identifikationsnummer", "tax id", "tin", "bzst",
	"finanzamt", "tax identification", NULL
};
static const char *const w_bsn[] = {
	"bsn", "burgerservicenummer", "sofinummer", "sofi", "citizen service",
	NULL
};
static const char *const w_be_nn[] = {
	"rijksregister", "national number", "numéro national", "registre",
	"insz", "niss", "nn", NULL
};
static const char *const w_pesel[] = { "pesel", NULL };
static const char *const w_se[] = {
	"personnummer", "samordningsnummer", "pnr", "personal identity",
	"personal number", NULL
};
static const char *const w_dk[] = { "cpr", NULL };
static const char *const w_fi[] = { "hetu", "henkilötunnus",
	"personbeteckning", "personal identity code", NULL };
static const char *const w_at[] = {
	"sozialversicherung", "svnr", "sv-nr", "versicherungsnummer",
	"vsnr", "e-card", "social security", NULL
};
static const char *const w_pt[] = {
	"nif", "contribuinte", "fiscal", "nipc", "tax", NULL
};
static const char *const w_vat[] = {
	"vat", "ust", "uid", "tva", "iva", "btw", "mwst", "nip", "moms",
	"alv", "dic", "dič", "pdv", "áfa", "afa", "pvn", "kmkr", "cui", "cif",
	"tax", NULL
};

static const char *const *const word_lists[W__COUNT] = { negative_words,
	w_phone, w_card, w_de_tax, w_bsn, w_be_nn, w_pesel, w_se, w_dk, w_fi,
	w_at, w_pt, w_vat };

/* ---- accept functions ---- */

/* ITU country codes (1 to 3 digits) in use. */
static int
valid_country_code(const char *d, size_t n, size_t *cc_len)
{
	static const char *const codes[] = {
		"1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39",
		"40", "41", "43", "44", "45", "46", "47", "48", "49", "51",
		"52", "53", "54", "55", "56", "57", "58", "60", "61", "62",
		"63", "64", "65", "66", "81", "82", "84", "86", "90", "91",
		"92", "93", "94", "95", "98", "211", "212", "213", "216",
		"218", "220", "221", "222", "223", "224", "225", "226", "227",
		"228", "229", "230", "231", "232", "233", "234", "235", "236",
		"237", "238", "239", "240", "241", "242", "243", "244", "245",
		"248", "249", "250", "251", "252", "253", "254", "255", "256",
		"257", "258", "260", "261", "262", "263", "264", "265", "266",
		"267", "268", "269", "290", "291", "297", "298", "299", "350",
		"351", "352", "353", "354", "355", "356", "357", "358", "359",
		"370", "371", "372", "373", "374", "375", "376", "377", "378",
		"380", "381", "382", "383", "385", "386", "387", "389", "420",
		"421", "423", "500", "501", "502", "503", "504", "505", "506",
		"507", "508", "509", "590", "591", "592", "593", "594", "595",
		"596", "597", "598", "599", "670", "672", "673", "674", "675",
		"676", "677", "678", "679", "680", "681", "682", "683", "685",
		"686", "687", "688", "689", "690", "691", "692", "850", "852",
		"853", "855", "856", "880", "886", "960", "961", "962", "963",
		"964", "965", "966", "967", "968", "970", "971", "972", "973",
		"974", "975", "976", "977", "992", "993", "994", "995", "996",
		"998", NULL
	};

	for (int i = 0; codes[i] != NULL; i++) {
		size_t l = strlen(codes[i]);

		if (l <= n && memcmp(d, codes[i], l) == 0) {
			*cc_len = l;
			return 1;
		}
	}
	return 0;
}

static int
accept_phone_intl(struct cand *c)
{
	char d[40];
	const char *s = c->text + c->start;
	size_t n = compact(s, c->end - c->start, d, sizeof(d)), cc;

	if (n < 8 || n > 17)
		return 0;
	if (s[0] == '0') {		/* 00 prefix */
		/* "00" and a bare digit run: as likely an id as a phone. */
		if (!has_sep(s, c->end - c->start) && !context(c, W_PHONE))
			return 0;
		memmove(d, d + 2, n - 1);
		n -= 2;
	}
	if (!valid_country_code(d, n, &cc))
		return 0;
	return n - cc >= 6 && n <= 15 && no_negative(c);
}

static int
accept_phone_national(struct cand *c)
{
	char d[40];
	const char *s = c->text + c->start;
	size_t n = compact(s, c->end - c->start, d, sizeof(d));

	if (n < 9 || n > 13)
		return 0;
	/* Grouped national numbers are phones; bare runs need a word. */
	if (has_sep(s, c->end - c->start) && s[0] == '0' && n >= 9)
		return no_negative(c) || context(c, W_PHONE);
	return context(c, W_PHONE);
}

static int
accept_iban(struct cand *c)
{
	char d[48];
	const char *s = c->text + c->start;
	size_t n = compact(s, c->end - c->start, d, sizeof(d));

	/* The pattern may run into following words: try each length,
	 * longest first, ending on a character of the match. */
	for (size_t len = n; len >= 15; len--) {
		if (pii_check_iban(d, len)) {
			size_t k = 0, i = c->start;

			for (; i < c->end && k < len; i++)
				if (c->text[i] != ' ')
					k++;
			c->end = i;
			return 1;
		}
	}
	return 0;
}

static int
accept_card(struct cand *c)
{
	char d[40];
	const char *s = c->text + c->start;
	size_t n = compact(s, c->end - c->start, d, sizeof(d));

	if (!pii_check_card(d, n))
		return 0;
	/* Part of a longer grouped number (an IBAN, a bank account)? */
	if (c->end + 1 < c->len && c->text[c->end] == ' ' &&
	    c->text[c->end + 1] >= '0' && c->text[c->end + 1] <= '9')
		return 0;
	if (c->start >= 5 && c->text[c->start - 1] == ' ' &&
	    c->text[c->start - 2] >= '0' && c->text[c->start - 2] <= '9' &&
	    c->text[c->start - 5] >= 'A' && c->text[c->start - 5] <= 'Z')
		return 0;
	if (has_sep(s, c->end - c->start))
		return no_negative(c);
	return context(c, W_CARD);
}

static int
accept_ipv4(struct cand *c)
{
	const char *s = c->text + c->start;
	size_t n = c->end - c->start;

	if ((n == 9 && memcmp(s, "127.0.0.1", 9) == 0) ||
	    (n == 7 && memcmp(s, "0.0.0.0", 7) == 0))
		return 0;
	/* Version strings: v1.2.3.4, "version 10.0.0.1". */
	if (c->start > 0 && lower(c->text[c->start - 1]) == 'v')
		return 0;
	if (c->start >= 8 && find_word(c->text + c->start - 8, 8, "version"))
		return 0;
	return 1;
}

static int
accept_ipv6(struct cand *c)
{
	char buf[64];
	struct in6_addr a;
	size_t n = c->end - c->start;
	const char *pct = memchr(c->text + c->start, '%', n);

	if (pct != NULL)
		n = (size_t)(pct - (c->text + c->start));
	if (n >= sizeof(buf) || n < 6)
		return 0;
	memcpy(buf, c->text + c->start, n);
	buf[n] = '\0';
	if (strcmp(buf, "::1") == 0 || inet_pton(AF_INET6, buf, &a) != 1)
		return 0;
	/* At least three groups: "a:b::" style strings are rarely IPs. */
	return strchr(buf, ':') != strrchr(buf, ':');
}

static int
accept_vat(struct cand *c)
{
	char d[24];
	size_t n = compact(c->text + c->start, c->end - c->start, d, sizeof(d));
	int r = pii_check_eu_vat(d, n);

	return r == 2 || (r == 1 && context(c, W_VAT));
}

#define DIGITS_ACCEPT(name, check, words, sep_ok)                          \
	static int                                                          \
	name(struct cand *c)                                                \
	{                                                                   \
		char d[32];                                                 \
		const char *s = c->text + c->start;                         \
		size_t n = compact(s, c->end - c->start, d, sizeof(d));     \
                                                                            \
		if (!check(d, n))                                           \
			return 0;                                           \
		if ((sep_ok) && has_sep(s, c->end - c->start))              \
			return no_negative(c);                              \
		return context(c, words);                                   \
	}

DIGITS_ACCEPT(accept_de_tax_id, pii_check_de_tax_id, W_DE_TAX, 0)
DIGITS_ACCEPT(accept_nl_bsn, pii_check_nl_bsn, W_BSN, 0)
DIGITS_ACCEPT(accept_be_nn, pii_check_be_nn, W_BE_NN, 1)
DIGITS_ACCEPT(accept_pesel, pii_check_pl_pesel, W_PESEL, 0)
DIGITS_ACCEPT(accept_se_pnr_digits, pii_check_se_pnr, W_SE, 1)

static int
accept_se_pnr(struct cand *c)
{
	return accept_se_pnr_digits(c) && !in_window(c, W_FI);
}
DIGITS_ACCEPT(accept_dk_cpr, pii_check_dk_cpr, W_DK, 0)
DIGITS_ACCEPT(accept_at_svnr, pii_check_at_svnr, W_AT, 1)
DIGITS_ACCEPT(accept_pt_nif, pii_check_pt_nif, W_PT, 0)

#define SHAPE_ACCEPT(name, check)                                           \
	static int                                                          \
	name(struct cand *c)                                                \
	{                                                                   \
		char d[32];                                                 \
		size_t n = compact(c->text + c->start, c->end - c->start,   \
		    d, sizeof(d));                                          \
                                                                            \
		return check(d, n);                                         \
	}

SHAPE_ACCEPT(accept_de_svnr, pii_check_de_svnr)
SHAPE_ACCEPT(accept_fr_nir, pii_check_fr_nir)
SHAPE_ACCEPT(accept_es_dni, pii_check_es_dni)
SHAPE_ACCEPT(accept_es_nie, pii_check_es_nie)
SHAPE_ACCEPT(accept_it_cf, pii_check_it_fiscal_code)
/* The century sign of a HETU is part of it: no compaction. A HETU with
 * '-' has the shape of a Swedish personnummer: the words decide. */
static int
accept_fi_hetu(struct cand *c)
{
	if (c->end - c->start != 11 ||
	    !pii_check_fi_hetu(c->text + c->start, 11))
		return 0;
	return !(c->text[c->start + 6] == '-' && in_window(c, W_SE) &&
	    !in_window(c, W_FI));
}
SHAPE_ACCEPT(accept_ie_ppsn, pii_check_ie_ppsn)
SHAPE_ACCEPT(accept_uk_nino, pii_check_uk_nino)

static int
accept_any(struct cand *c)
{
	return 1;
}

/* "scheme://user:password@": the match starts at "://". */
static int
accept_url_credentials(struct cand *c)
{
	size_t s = c->start;

	while (s > 0 && (((c->text[s - 1] | 32) >= 'a' &&
	    (c->text[s - 1] | 32) <= 'z') || (c->text[s - 1] >= '0' &&
	    c->text[s - 1] <= '9') || c->text[s - 1] == '+' ||
	    c->text[s - 1] == '.' || c->text[s - 1] == '-'))
		s--;
	if (s == c->start || c->start - s > 16)
		return 0;
	c->start = s;
	return 1;
}

/* ---- the pattern table ---- */


static const struct pattern patterns[] = {
	{ PII_SECRET, 0,
	  "(?:AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_"
	  "[A-Za-z0-9_]{22,}|xox[baprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]"
	  "{35}|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|egk_[0-9A-Za-z]{50}|"
	  "eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,})",
	  accept_any, 0 },
	{ PII_SECRET, 0,
	  "-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[A-Za-z0-9+/=\\s]{16,}?"
	  "-----END (?:[A-Z]+ )*PRIVATE KEY-----",
	  accept_any, 0 },
	{ PII_SECRET, 0,
	  "Bearer ([A-Za-z0-9._~+/-]{20,}=*)",
	  accept_any, 1 },
	{ PII_SECRET, F_COLON,
	  "://[^\\s/:@]{1,64}:[^\\s/@]{1,128}@",
	  accept_url_credentials, 0 },
	{ PII_IBAN, F_UPPER | F_DIGIT | F_WINDOW,
	  "(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}"
	  "(?![A-Za-z0-9])",
	  accept_iban, 0 },
	{ PII_EU_VAT, F_UPPER | F_DIGIT | F_WINDOW,
	  "(?<![A-Za-z0-9])(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|"
	  "LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)[ ]?[0-9A-Z][0-9A-Z+*]{7,11}"
	  "(?![A-Za-z0-9])",
	  accept_vat, 0 },
	{ PII_CREDIT_CARD, F_DIGIT | F_WINDOW,
	  "(?<![0-9])[0-9](?:[ -]?[0-9]){11,18}(?![0-9])",
	  accept_card, 0 },
	{ PII_PHONE, F_DIGIT | F_WINDOW,
	  "(?<![0-9A-Za-z+>])(?<![0-9>][ .-])(?:\\+|00)[1-9]"
	  "(?:[ .\\-/()]{0,2}[0-9]){6,16}"
	  "(?![0-9])",
	  accept_phone_intl, 0 },
	{ PII_PHONE, F_DIGIT | F_WINDOW,
	  "(?<![0-9A-Za-z+./-])(?<![0-9>][ .-])\\(?0[1-9][0-9]{0,4}\\)?"
	  "(?:[ .\\-/]{1,2}"
	  "[0-9]{2,8}){1,4}(?![0-9])|(?<![0-9A-Za-z+./-])0[1-9][0-9]{8,11}"
	  "(?![0-9])|(?<![0-9A-Za-z+./-])[1-9][0-9]{2}(?:[ .\\-][0-9]{3}){2}"
	  "(?![0-9])",
	  accept_phone_national, 0 },
	{ PII_IP_ADDRESS, F_DIGIT | F_WINDOW,
	  "(?<![0-9.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}"
	  "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?![0-9]|\\.[0-9])",
	  accept_ipv4, 0 },
	{ PII_IP_ADDRESS, F_COLON,
	  "(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{1,4}:|:){2,7}(?:[0-9A-Fa-f]{1,4}|:)"
	  "(?:%[0-9A-Za-z]{1,15})?(?![0-9A-Fa-f:])",
	  accept_ipv6, 0 },
	{ PII_DE_TAX_ID, F_DIGIT | F_WINDOW,
	  "(?<![0-9])[1-9][0-9](?: ?[0-9]{3}){3}(?![0-9])",
	  accept_de_tax_id, 0 },
	{ PII_DE_SVNR, F_DIGIT | F_UPPER | F_WINDOW,
	  "(?<![A-Za-z0-9])[0-9]{2} ?[0-9]{6} ?[A-Z] ?[0-9]{3}(?![A-Za-z0-9])",
	  accept_de_svnr, 0 },
	{ PII_FR_NIR, F_DIGIT | F_WINDOW,
	  "(?<![0-9A-Za-z])[12478] ?[0-9]{2} ?[0-9]{2} ?(?:[0-9]{2}|2[AB]) ?"
	  "[0-9]{3} ?[0-9]{3} ?[0-9]{2}(?![0-9A-Za-z])",
	  accept_fr_nir, 0 },
	{ PII_ES_DNI, F_DIGIT | F_UPPER | F_WINDOW,
	  "(?<![A-Za-z0-9])[0-9]{8}-?[A-Z](?![A-Za-z0-9])",
	  accept_es_dni, 0 },
	{ PII_ES_NIE, F_DIGIT | F_UPPER | F_WINDOW,
	  "(?<![A-Za-z0-9])[XYZ]-?[0-9]{7}-?[A-Z](?![A-Za-z0-9])",
	  accept_es_nie, 0 },
	{ PII_IT_FISCAL_CODE, F_UPPER | F_DIGIT | F_WINDOW,
	  "(?<![A-Za-z0-9])[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST]"
	  "[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?![A-Za-z0-9])",
	  accept_it_cf, 0 },
	{ PII_NL_BSN, F_DIGIT | F_WINDOW,
	  "(?<![0-9])[0-9]{4}\\.?[0-9]{2}\\.?[0-9]{3}(?![0-9])",
	  accept_nl_bsn, 0 },
	{ PII_BE_NATIONAL_NUMBER, F_DIGIT | F_WINDOW,
	  "(?<![0-9])[0-9]{2}\\.?[0-9]{2}\\.?[0-9]{2}[- ]?[0-9]{3}\\.?[0-9]{2}"
	  "(?![0-9])",
	  accept_be_nn, 0 },
	{ PII_PL_PESEL, F_DIGIT | F_WINDOW,
	  "(?<![0-9])[0-9]{11}(?![0-9])",
	  accept_pesel, 0 },
	{ PII_SE_PERSONNUMMER, F_DIGIT | F_WINDOW,
	  "(?<![0-9])(?:19|20)?[0-9]{6}[-+]?[0-9]{4}(?![0-9])",
	  accept_se_pnr, 0 },
	{ PII_FI_HETU, F_DIGIT | F_WINDOW,
	  "(?<![0-9A-Za-z])[0-9]{6}[-+A-FU-Y][0-9]{3}[0-9A-Y](?![0-9A-Za-z])",
	  accept_fi_hetu, 0 },
	{ PII_DK_CPR, F_DIGIT | F_WINDOW,
	  "(?<![0-9])[0-9]{6}-?[0-9]{4}(?![0-9])",
	  accept_dk_cpr, 0 },
	{ PII_AT_SVNR, F_DIGIT | F_WINDOW,
	  "(?<![0-9])[0-9]{4} ?[0-9]{6}(?![0-9])",
	  accept_at_svnr, 0 },
	{ PII_PT_NIF, F_DIGIT | F_WINDOW,
	  "(?<![0-9])[1-9][0-9]{8}(?![0-9])",
	  accept_pt_nif, 0 },
	{ PII_IE_PPSN, F_DIGIT | F_UPPER | F_WINDOW,
	  "(?<![A-Za-z0-9])[0-9]{7}[A-W][ABHWTX]?(?![A-Za-z0-9])",
	  accept_ie_ppsn, 0 },
	{ PII_UK_NINO, F_DIGIT | F_UPPER | F_WINDOW,
	  "(?<![A-Za-z0-9])[A-Z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]"
	  "(?![A-Za-z0-9])",
	  accept_uk_nino, 0 },
};

#define N_PATTERNS (sizeof(patterns) / sizeof(patterns[0]))

struct pii_engine *
pii_engine_new(char *err, size_t errlen)
{
	struct pii_engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	for (size_t i = 0; i < N_PATTERNS; i++) {
		int ec;
		PCRE2_SIZE off;

		e->code[i] = pcre2_compile((PCRE2_SPTR)patterns[i].re,
		    PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_NO_UTF_CHECK, &ec,
		    &off, NULL);
		if (e->code[i] == NULL) {
			PCRE2_UCHAR msg[256];

			pcre2_get_error_message(ec, msg, sizeof(msg));
			snprintf(err, errlen, "PII pattern %s at %zu: %s",
			    pii_type_name(patterns[i].type), (size_t)off,
			    (char *)msg);
			pii_engine_free(e);
			return NULL;
		}
		pcre2_jit_compile(e->code[i], PCRE2_JIT_COMPLETE);
		e->n++;
	}
	for (int w = 0; w < W__COUNT; w++)
		wordset_build(&e->ws[w], word_lists[w]);
	e->person = pii_person_new();
	e->md = pcre2_match_data_create(8, NULL);
	e->mctx = pcre2_match_context_create(NULL);
	if (e->md == NULL || e->mctx == NULL ||
	    e->person == NULL) {
		snprintf(err, errlen, "out of memory");
		pii_engine_free(e);
		return NULL;
	}
	e->norm = pii_norm_new(err, errlen);
	if (e->norm == NULL) {
		pii_engine_free(e);
		return NULL;
	}
	/* Patterns are linear; these limits only stop a pathological case. */
	pcre2_set_match_limit(e->mctx, 100000);
	pcre2_set_depth_limit(e->mctx, 1000);
	return e;
}

void
pii_engine_free(struct pii_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n; i++)
		pcre2_code_free(e->code[i]);
	pcre2_match_data_free(e->md);
	pcre2_match_context_free(e->mctx);
	pii_norm_free(e->norm);
	pii_person_free(e->person);
	free(e);
}

static int
push(struct pii_matches *m, size_t start, size_t end, int type)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct pii_match *v = realloc(m->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n].start = start;
	m->v[m->n].end = end;
	m->v[m->n].type = type;
	m->n++;
	return 0;
}

static unsigned
features(const char *t, size_t len)
{
	unsigned f = 0;

	for (size_t i = 0; i < len; i++) {
		f |= char_class[(unsigned char)t[i]] & 31;
		if (f == 31)
			break;	/* every feature seen: no need to read on */
	}
	return f;
}

static int
is_alnum(unsigned char c)
{
	return char_class[c] & (F_DIGIT | F_UPPER | F_LOWER) && c < 0x80;
}

/* A byte of a local part or a domain label: ASCII letters and digits,
 * and any byte of a non-ASCII character (internationalized addresses,
 * and letters that are no Latin look-alike must not split an address). */
static int
addr_byte(unsigned char c)
{
	return is_alnum(c) || c >= 0x80;
}

/*
 * E-mail addresses, found from their '@' (far faster than a pattern that
 * could start at any letter): a dot-atom local part, then labels and an
 * alphabetic top-level domain ("lodash@4.17.21" is no address).
 */
static int
scan_emails(const char *t, size_t len, struct pii_matches *all)
{
	const char *at = memchr(t, '@', len);

	while (at != NULL) {
		size_t a = (size_t)(at - t), l = a, r = a + 1, dot = 0;
		size_t label = 0, tld;
		int ok = 1;

		while (l > 0 && (addr_byte((unsigned char)t[l - 1]) ||
		    (t[l - 1] != '\0' && strchr("._%+'-", t[l - 1]) != NULL)) &&
		    a - l < 64)
			l--;
		/* Never start inside a character, nor on punctuation. */
		while (l < a && (((unsigned char)t[l] & 0xC0) == 0x80 ||
		    strchr("._%+'-", t[l]) != NULL))
			l++;
		for (; r < len; r++) {
			unsigned char c = (unsigned char)t[r];

			if (addr_byte(c) || c == '-') {
				label++;
				continue;
			}
			if (c == '.' && label > 0 && r + 1 < len &&
			    addr_byte((unsigned char)t[r + 1])) {
				dot = r;
				label = 0;
				continue;
			}
			break;
		}
		/* The top-level domain: ASCII letters; what follows them
		 * without a break ("example.com日本") is not part of it. */
		for (tld = dot + 1; dot > 0 && tld < r &&
		    ((t[tld] | 32) >= 'a' && (t[tld] | 32) <= 'z'); tld++)
			;
		if (dot > 0 && tld < r && (unsigned char)t[tld] >= 0x80)
			r = tld;
		if (l == a || t[a - 1] == '.' || dot == 0 || r - dot - 1 < 2 ||
		    r - dot - 1 > 24 || r - l > 254)
			ok = 0;
		for (size_t k = dot + 1; ok && k < r; k++)
			if (!((t[k] | 32) >= 'a' && (t[k] | 32) <= 'z'))
				ok = 0;
		if (ok && push(all, l, r, PII_EMAIL) != 0)
			return -1;
		at = a + 1 < len ? memchr(t + a + 1, '@', len - a - 1) : NULL;
	}
	return 0;
}

/* Regions where digits cluster: the numeric patterns run only there. */
struct window {
	size_t start, end;
};

static int
cluster_char(unsigned char c)
{
	return char_class[c] & C_CLUSTER;
}

static size_t
digit_windows(const char *t, size_t len, struct window **out)
{
	struct window *w = NULL;
	size_t n = 0, cap = 0, i = 0;

	while (i < len) {
		size_t s, digits = 0;

		while (i < len && !(char_class[(unsigned char)t[i]] & F_DIGIT))
			i++;
		if (i >= len)
			break;
		s = i;
		while (s > 0 && cluster_char((unsigned char)t[s - 1]) &&
		    i - s < 8)
			s--;
		while (i < len && cluster_char((unsigned char)t[i])) {
			digits += t[i] >= '0' && t[i] <= '9';
			i++;
		}
		if (digits < 4)
			continue;
		if (n == cap) {
			struct window *nw;

			cap = cap ? cap * 2 : 16;
			nw = realloc(w, cap * sizeof(*w));
			if (nw == NULL) {
				free(w);
				*out = NULL;
				return (size_t)-1;
			}
			w = nw;
		}
		w[n].start = s;
		w[n].end = i < len ? i + 1 : len;	/* one past, for lookahead */
		n++;
	}
	*out = w;
	return n;
}

/*
 * When matches overlap, the type of the stronger evidence names the
 * span: a checksum-validated identifier over a phone number (whose
 * patterns are loose), anything over a name; a Danish CPR (found only
 * next to "CPR") over a Swedish personnummer or a Finnish HETU of the
 * same shape; then the longer match.
 */
static int
priority(int type)
{
	switch (type) {
	case PII_PERSON: return 0;
	case PII_PHONE: return 1;
	case PII_IP_ADDRESS: return 2;
	case PII_SE_PERSONNUMMER: return 3;
	case PII_DK_CPR: return 5;	/* only ever next to "CPR" */
	default: return 4;
	}
}

static int
cmp_strength(const void *a, const void *b)
{
	const struct pii_match *x = a, *y = b;
	size_t lx = x->end - x->start, ly = y->end - y->start;

	if (priority(x->type) != priority(y->type))
		return priority(y->type) - priority(x->type);
	if (lx != ly)
		return lx > ly ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int
cmp_start(const void *a, const void *b)
{
	const struct pii_match *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Runs pattern p over text[from, to) (the whole text stays visible to
 * lookbehind and to the context words). */
static int
run_pattern(struct pii_engine *e, size_t p, const char *text, size_t len,
    size_t from, size_t to, struct pii_matches *all)
{
	const struct pattern *pt = &patterns[p];
	PCRE2_SIZE off = from;

	while (off <= to) {
		PCRE2_SIZE *ov;
		struct cand c;
		int m = pcre2_match(e->code[p], (PCRE2_SPTR)text, to, off,
		    PCRE2_NO_UTF_CHECK, e->md, e->mctx);

		if (m == PCRE2_ERROR_NOMATCH)
			return 0;
		if (m < 0)
			return -1;	/* limit or bad UTF-8: fail closed */
		ov = pcre2_get_ovector_pointer(e->md);
		c.text = text;
		c.len = len;
		c.ws = e->ws;
		c.start = ov[2 * pt->group];
		c.end = ov[2 * pt->group + 1];
		c.type = pt->type;
		if (c.end > c.start && pt->accept(&c) &&
		    push(all, c.start, c.end, pt->type) != 0)
			return -1;
		off = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		/* Step over a whole UTF-8 character. */
		while (off < to && ((unsigned char)text[off] & 0xC0) == 0x80)
			off++;
	}
	return 0;
}

/*
 * Overlapping matches become one: the span covering them all, with the
 * type of the strongest. Dropping the weaker one instead would leave its
 * part of the text unprotected (and found by a second pass).
 */
static int
resolve(struct pii_matches *all, struct pii_matches *out)
{
	size_t i = 0;

	if (all->n == 0)
		return 0;
	qsort(all->v, all->n, sizeof(*all->v), cmp_start);
	while (i < all->n) {
		size_t j = i + 1, end = all->v[i].end, best = i;

		while (j < all->n && all->v[j].start < end) {
			if (all->v[j].end > end)
				end = all->v[j].end;
			if (cmp_strength(&all->v[j], &all->v[best]) < 0)
				best = j;
			j++;
		}
		if (push(out, all->v[i].start, end, all->v[best].type) != 0)
			return -1;
		i = j;
	}
	return 0;
}

/* The detectors over a detection form. */
static int
scan_form(struct pii_engine *e, const char *text, size_t len,
    const unsigned char enabled[PII__COUNT], struct pii_matches *out)
{
	struct pii_matches all = { NULL, 0, 0 };
	unsigned f = features(text, len);
	size_t n_win = 0;
	struct window *win = NULL;
	int rc = 0;

	if (f & F_DIGIT) {
		n_win = digit_windows(text, len, &win);
		if (n_win == (size_t)-1)
			rc = -1;
	}
	for (size_t p = 0; p < N_PATTERNS && rc == 0; p++) {
		const struct pattern *pt = &patterns[p];
		unsigned need = pt->need & ~(unsigned)F_WINDOW;

		if (!enabled[pt->type] || (need & f) != need)
			continue;
		if (!(pt->need & F_WINDOW)) {
			rc = run_pattern(e, p, text, len, 0, len, &all);
			continue;
		}
		for (size_t k = 0; k < n_win && rc == 0; k++)
			rc = run_pattern(e, p, text, len, win[k].start,
			    win[k].end, &all);
	}
	free(win);
	if (rc == 0 && enabled[PII_EMAIL] && (f & F_AT))
		rc = scan_emails(text, len, &all);
	if (rc == 0 && enabled[PII_PERSON])
		rc = pii_person_scan(e->person, text, len, &all);
	if (rc == 0)
		rc = resolve(&all, out);
	free(all.v);
	return rc;
}

/*
 * A text that is not its own detection form is scanned in that form; a
 * match there covers the whole code points of the original that made it,
 * with the ignorable ones between them.
 */
int
pii_scan(struct pii_engine *e, const char *text, size_t len,
    const unsigned char enabled[PII__COUNT], struct pii_matches *out)
{
	struct pii_norm_text nt;
	struct pii_matches dm = { NULL, 0, 0 }, all = { NULL, 0, 0 };
	int rc = pii_norm_map(e->norm, text, len, &nt);

	if (rc == 0)
		return scan_form(e, text, len, enabled, out);
	if (rc < 0)
		return -1;
	rc = scan_form(e, nt.p, nt.len, enabled, &dm);
	for (size_t i = 0; i < dm.n && rc == 0; i++)
		if (dm.v[i].end > dm.v[i].start)
			rc = push(&all, nt.from[dm.v[i].start],
			    nt.to[dm.v[i].end - 1], dm.v[i].type);
	if (rc == 0)
		rc = resolve(&all, out);
	pii_matches_free(&dm);
	free(all.v);
	pii_norm_text_free(&nt);
	return rc;
}

int
pii_detection_form(struct pii_engine *e, const char *text, size_t len,
    char **form, size_t *form_len)
{
	struct pii_norm_text nt;
	int rc = pii_norm_map(e->norm, text, len, &nt);

	*form = NULL;
	*form_len = 0;
	if (rc <= 0)
		return rc;
	*form = nt.p;
	*form_len = nt.len;
	free(nt.from);
	free(nt.to);
	return 0;
}

void
pii_matches_clear(struct pii_matches *m)
{
	m->n = 0;
}

void
pii_matches_free(struct pii_matches *m)
{
	free(m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}
