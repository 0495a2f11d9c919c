/* Secrets: provider key shapes, key blocks, JWTs, assignments. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/pii_bytes.h"
#include "policy/pii_secrets.h"

/* The characters a token of a shape is made of. */
enum { CS_ALNUM, CS_WORD, CS_B64, CS_DOT, CS_HEX, CS_UPPER };

static int
in_cs(int cs, unsigned char c)
{
	int alnum = (c >= '0' && c <= '9') || ((c | 32) >= 'a' &&
	    (c | 32) <= 'z');

	switch (cs) {
	case CS_ALNUM: return alnum;
	case CS_WORD: return alnum || c == '_' || c == '-';
	case CS_B64: return alnum || c == '_' || c == '-' || c == '+' ||
	    c == '/' || c == '=';
	case CS_DOT: return alnum || c == '_' || c == '-' || c == '.' ||
	    c == '~';
	case CS_HEX: return (c >= '0' && c <= '9') || ((c | 32) >= 'a' &&
	    (c | 32) <= 'f');
	case CS_UPPER: return (c >= '0' && c <= '9') || (c >= 'A' &&
	    c <= 'Z');
	}
	return 0;
}

/*
 * Provider shapes: a prefix, then at least min characters of a set (at
 * most max). From the published formats (gitleaks' and detect-secrets'
 * rules, the providers' own documentation).
 */
static const struct shape {
	const char *prefix;
	unsigned char cs;
	unsigned short min, max;
} shapes[] = {
	/* AWS */
	{ "AKIA", CS_UPPER, 16, 16 }, { "ASIA", CS_UPPER, 16, 16 },
	{ "AGPA", CS_UPPER, 16, 16 }, { "AIDA", CS_UPPER, 16, 16 },
	{ "AROA", CS_UPPER, 16, 16 }, { "AIPA", CS_UPPER, 16, 16 },
	{ "ANPA", CS_UPPER, 16, 16 }, { "ANVA", CS_UPPER, 16, 16 },
	{ "ABSK", CS_B64, 40, 400 },
	/* Google */
	{ "AIza", CS_WORD, 35, 35 }, { "ya29.", CS_WORD, 30, 400 },
	{ "GOCSPX-", CS_WORD, 24, 40 },
	/* GitHub */
	{ "ghp_", CS_ALNUM, 30, 255 }, { "gho_", CS_ALNUM, 30, 255 },
	{ "ghu_", CS_ALNUM, 30, 255 }, { "ghs_", CS_ALNUM, 30, 255 },
	{ "ghr_", CS_ALNUM, 30, 255 }, { "github_pat_", CS_WORD, 22, 255 },
	/* GitLab */
	{ "glpat-", CS_WORD, 20, 255 }, { "gloas-", CS_WORD, 20, 255 },
	{ "gldt-", CS_WORD, 16, 255 }, { "glrt-", CS_WORD, 16, 255 },
	{ "glcbt-", CS_WORD, 16, 255 }, { "glptt-", CS_WORD, 20, 255 },
	{ "glft-", CS_WORD, 16, 255 }, { "glimt-", CS_WORD, 20, 255 },
	{ "glagent-", CS_WORD, 20, 255 }, { "glsoat-", CS_WORD, 20, 255 },
	{ "glffct-", CS_WORD, 16, 255 }, { "GR1348941", CS_WORD, 16, 255 },
	/* Slack */
	{ "xoxb-", CS_WORD, 10, 255 }, { "xoxp-", CS_WORD, 10, 255 },
	{ "xoxa-", CS_WORD, 8, 255 }, { "xoxr-", CS_WORD, 10, 255 },
	{ "xoxs-", CS_WORD, 10, 255 }, { "xoxe.", CS_WORD, 10, 255 },
	{ "xoxe-", CS_WORD, 10, 255 }, { "xapp-", CS_WORD, 10, 255 },
	/* Payment */
	{ "sk_live_", CS_ALNUM, 10, 255 }, { "sk_test_", CS_ALNUM, 10, 255 },
	{ "sk_prod_", CS_ALNUM, 10, 255 }, { "rk_live_", CS_ALNUM, 10, 255 },
	{ "rk_test_", CS_ALNUM, 10, 255 }, { "rk_prod_", CS_ALNUM, 10, 255 },
	{ "whsec_", CS_ALNUM, 24, 255 }, { "sq0atp-", CS_WORD, 22, 255 },
	{ "sq0csp-", CS_WORD, 40, 255 }, { "EAAA", CS_WORD, 60, 255 },
	{ "access_token$production$", CS_WORD, 16, 255 },
	/* AI */
	{ "sk-", CS_WORD, 20, 255 }, { "hf_", CS_ALNUM, 30, 255 },
	{ "api_org_", CS_ALNUM, 30, 255 }, { "r8_", CS_ALNUM, 37, 37 },
	{ "gsk_", CS_ALNUM, 40, 255 }, { "pplx-", CS_ALNUM, 40, 255 },
	{ "xai-", CS_ALNUM, 40, 255 },
	/* Other services */
	{ "npm_", CS_ALNUM, 36, 36 },
	{ "pypi-AgEIcHlwaS5vcmc", CS_WORD, 50, 400 },
	{ "shpat_", CS_HEX, 32, 32 }, { "shpss_", CS_HEX, 32, 32 },
	{ "shpca_", CS_HEX, 32, 32 }, { "shppa_", CS_HEX, 32, 32 },
	{ "dop_v1_", CS_HEX, 64, 64 }, { "doo_v1_", CS_HEX, 64, 64 },
	{ "dor_v1_", CS_HEX, 64, 64 }, { "dapi", CS_HEX, 32, 32 },
	{ "dp.pt.", CS_ALNUM, 40, 64 }, { "dt0c01.", CS_DOT, 80, 120 },
	{ "lin_api_", CS_ALNUM, 40, 40 }, { "PMAK-", CS_WORD, 50, 80 },
	{ "pul-", CS_HEX, 40, 40 }, { "sntrys_", CS_B64, 40, 400 },
	{ "sntryu_", CS_HEX, 64, 64 }, { "glc_", CS_B64, 32, 400 },
	{ "glsa_", CS_WORD, 32, 64 }, { "ntn_", CS_ALNUM, 40, 60 },
	{ "secret_", CS_ALNUM, 43, 43 }, { "sgp_", CS_WORD, 40, 80 },
	{ "ico-", CS_ALNUM, 32, 32 }, { "fm1a_", CS_B64, 40, 1000 },
	{ "fm1r_", CS_B64, 40, 1000 }, { "fm2_", CS_B64, 40, 1000 },
	{ "HRKU-", CS_WORD, 40, 80 }, { "s-s4t2ud-", CS_HEX, 64, 64 },
	{ "s-s4t2af-", CS_HEX, 64, 64 }, { "hvs.", CS_WORD, 24, 255 },
	{ "hvb.", CS_WORD, 24, 255 }, { "ATATT3", CS_B64, 40, 255 },
	{ "AGE-SECRET-KEY-1", CS_ALNUM, 50, 80 }, { "SG.", CS_DOT, 60, 80 },
	{ "4b1d", CS_ALNUM, 38, 38 }, { "sqp_", CS_HEX, 40, 40 },
	{ "squ_", CS_HEX, 40, 40 }, { "sqa_", CS_HEX, 40, 40 },
	{ "A3-", CS_WORD, 28, 40 }, { "AKC", CS_ALNUM, 10, 64 },
	/* Artifactory API keys: "AP", a digit or A-F, 8 and more. */
	{ "AP0", CS_ALNUM, 8, 70 }, { "AP1", CS_ALNUM, 8, 70 },
	{ "AP2", CS_ALNUM, 8, 70 }, { "AP3", CS_ALNUM, 8, 70 },
	{ "AP4", CS_ALNUM, 8, 70 }, { "AP5", CS_ALNUM, 8, 70 },
	{ "AP6", CS_ALNUM, 8, 70 }, { "AP7", CS_ALNUM, 8, 70 },
	{ "AP8", CS_ALNUM, 8, 70 }, { "AP9", CS_ALNUM, 8, 70 },
	{ "EAAC", CS_ALNUM, 40, 400 }, { "EAAM", CS_ALNUM, 40, 400 },
	{ "FlyV1 ", CS_B64, 40, 1000 },
};

#define N_SHAPES (sizeof(shapes) / sizeof(shapes[0]))

/* Names whose value is a secret (lower case, found inside a name). */
static const char *const secret_names[] = {
	"passw", "pwd", "secret", "token", "apikey", "api_key",
	"accesskey", "access_key", "auth", "credential",
	"private_key", "privatekey", "signing_key", "encryption_key",
	"client_id", "clientid", "access_id", "accessid", "contribsys",
	"sidekiq", "sonar_login", "passphrase", NULL
};

/* Providers whose keys have no shape of their own: a long random value
 * under their name alone is one ("sourcegraph: 6d2FabeB6ADd...", not
 * "open-mistral-7b:587a6b29:..."). */
static const char *const provider_names[] = {
	"sourcegraph", "sumologic", "datadog", "newrelic", "pagerduty",
	"algolia", "mailgun", "twilio", "sendgrid", "heroku", "snyk", "sonar",
	"okta", "auth0", "contentful", "dropbox", "mistral", "cohere",
	"openai", "anthropic", "huggingface", "replicate", "groq", NULL
};

/* The shapes by the first byte of their prefix. */
struct pii_secrets {
	unsigned char order[N_SHAPES];
	unsigned char plen[N_SHAPES];
	unsigned char start[256], count[256];
	/* The first two bytes of secret_names (a bit per pair), and of
	 * provider_names: a name without such a pair is passed over. */
	unsigned char name_pairs[65536 / 8], provider_pairs[65536 / 8];
};

static void
pair_set(unsigned char *bits, const char *w)
{
	unsigned k = (unsigned)(unsigned char)w[0] << 8 | (unsigned char)w[1];

	bits[k >> 3] |= (unsigned char)(1u << (k & 7));
}

static int
pair_get(const unsigned char *bits, const char *w)
{
	unsigned k = (unsigned)(unsigned char)w[0] << 8 | (unsigned char)w[1];

	return bits[k >> 3] >> (k & 7) & 1;
}

struct pii_secrets *
pii_secrets_new(void)
{
	struct pii_secrets *x = calloc(1, sizeof(*x));
	size_t n = 0;

	if (x == NULL)
		return NULL;
	for (int b = 0; b < 256; b++) {
		x->start[b] = (unsigned char)n;
		for (size_t i = 0; i < N_SHAPES; i++)
			if ((unsigned char)shapes[i].prefix[0] == b)
				x->order[n++] = (unsigned char)i;
		x->count[b] = (unsigned char)(n - x->start[b]);
	}
	for (size_t i = 0; i < N_SHAPES; i++)
		x->plen[i] = (unsigned char)strlen(shapes[i].prefix);
	for (size_t i = 0; secret_names[i] != NULL; i++)
		pair_set(x->name_pairs, secret_names[i]);
	for (size_t i = 0; provider_names[i] != NULL; i++)
		pair_set(x->provider_pairs, provider_names[i]);
	return x;
}

void
pii_secrets_free(struct pii_secrets *s)
{
	free(s);
}

/* Byte classes: letters and digits, the other bytes of a token, the
 * bytes where a secret may start other than a token start. */
enum { B_ALNUM = 1, B_TOK = 2, B_OP = 4 };

static const unsigned char bclass[256] = {
	['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3, ['4'] = 3, ['5'] = 3,
	['6'] = 3, ['7'] = 3, ['8'] = 3, ['9'] = 3,
	['A'] = 3, ['B'] = 3, ['C'] = 3, ['D'] = 3, ['E'] = 3, ['F'] = 3,
	['G'] = 3, ['H'] = 3, ['I'] = 3, ['J'] = 3, ['K'] = 3, ['L'] = 3,
	['M'] = 3, ['N'] = 3, ['O'] = 3, ['P'] = 3, ['Q'] = 3, ['R'] = 3,
	['S'] = 3, ['T'] = 3, ['U'] = 3, ['V'] = 3, ['W'] = 3, ['X'] = 3,
	['Y'] = 3, ['Z'] = 3,
	['a'] = 3, ['b'] = 3, ['c'] = 3, ['d'] = 3, ['e'] = 3, ['f'] = 3,
	['g'] = 3, ['h'] = 3, ['i'] = 3, ['j'] = 3, ['k'] = 3, ['l'] = 3,
	['m'] = 3, ['n'] = 3, ['o'] = 3, ['p'] = 3, ['q'] = 3, ['r'] = 3,
	['s'] = 3, ['t'] = 3, ['u'] = 3, ['v'] = 3, ['w'] = 3, ['x'] = 3,
	['y'] = 3, ['z'] = 3,
	['_'] = B_TOK, ['-'] = B_TOK | B_OP, ['.'] = B_TOK, ['+'] = B_TOK,
	['/'] = B_TOK, [':'] = B_OP, ['='] = B_OP, ['~'] = B_OP,
	[','] = B_OP,
	[0x80] = B_TOK, [0x81] = B_TOK, [0x82] = B_TOK, [0x83] = B_TOK,
	[0x84] = B_TOK, [0x85] = B_TOK, [0x86] = B_TOK, [0x87] = B_TOK,
	[0x88] = B_TOK, [0x89] = B_TOK, [0x8A] = B_TOK, [0x8B] = B_TOK,
	[0x8C] = B_TOK, [0x8D] = B_TOK, [0x8E] = B_TOK, [0x8F] = B_TOK,
	[0x90] = B_TOK, [0x91] = B_TOK, [0x92] = B_TOK, [0x93] = B_TOK,
	[0x94] = B_TOK, [0x95] = B_TOK, [0x96] = B_TOK, [0x97] = B_TOK,
	[0x98] = B_TOK, [0x99] = B_TOK, [0x9A] = B_TOK, [0x9B] = B_TOK,
	[0x9C] = B_TOK, [0x9D] = B_TOK, [0x9E] = B_TOK, [0x9F] = B_TOK,
	[0xA0] = B_TOK, [0xA1] = B_TOK, [0xA2] = B_TOK, [0xA3] = B_TOK,
	[0xA4] = B_TOK, [0xA5] = B_TOK, [0xA6] = B_TOK, [0xA7] = B_TOK,
	[0xA8] = B_TOK, [0xA9] = B_TOK, [0xAA] = B_TOK, [0xAB] = B_TOK,
	[0xAC] = B_TOK, [0xAD] = B_TOK, [0xAE] = B_TOK, [0xAF] = B_TOK,
	[0xB0] = B_TOK, [0xB1] = B_TOK, [0xB2] = B_TOK, [0xB3] = B_TOK,
	[0xB4] = B_TOK, [0xB5] = B_TOK, [0xB6] = B_TOK, [0xB7] = B_TOK,
	[0xB8] = B_TOK, [0xB9] = B_TOK, [0xBA] = B_TOK, [0xBB] = B_TOK,
	[0xBC] = B_TOK, [0xBD] = B_TOK, [0xBE] = B_TOK, [0xBF] = B_TOK,
	[0xC0] = B_TOK, [0xC1] = B_TOK, [0xC2] = B_TOK, [0xC3] = B_TOK,
	[0xC4] = B_TOK, [0xC5] = B_TOK, [0xC6] = B_TOK, [0xC7] = B_TOK,
	[0xC8] = B_TOK, [0xC9] = B_TOK, [0xCA] = B_TOK, [0xCB] = B_TOK,
	[0xCC] = B_TOK, [0xCD] = B_TOK, [0xCE] = B_TOK, [0xCF] = B_TOK,
	[0xD0] = B_TOK, [0xD1] = B_TOK, [0xD2] = B_TOK, [0xD3] = B_TOK,
	[0xD4] = B_TOK, [0xD5] = B_TOK, [0xD6] = B_TOK, [0xD7] = B_TOK,
	[0xD8] = B_TOK, [0xD9] = B_TOK, [0xDA] = B_TOK, [0xDB] = B_TOK,
	[0xDC] = B_TOK, [0xDD] = B_TOK, [0xDE] = B_TOK, [0xDF] = B_TOK,
	[0xE0] = B_TOK, [0xE1] = B_TOK, [0xE2] = B_TOK, [0xE3] = B_TOK,
	[0xE4] = B_TOK, [0xE5] = B_TOK, [0xE6] = B_TOK, [0xE7] = B_TOK,
	[0xE8] = B_TOK, [0xE9] = B_TOK, [0xEA] = B_TOK, [0xEB] = B_TOK,
	[0xEC] = B_TOK, [0xED] = B_TOK, [0xEE] = B_TOK, [0xEF] = B_TOK,
	[0xF0] = B_TOK, [0xF1] = B_TOK, [0xF2] = B_TOK, [0xF3] = B_TOK,
	[0xF4] = B_TOK, [0xF5] = B_TOK, [0xF6] = B_TOK, [0xF7] = B_TOK,
	[0xF8] = B_TOK, [0xF9] = B_TOK, [0xFA] = B_TOK, [0xFB] = B_TOK,
	[0xFC] = B_TOK, [0xFD] = B_TOK, [0xFE] = B_TOK, [0xFF] = B_TOK,
};

static int
alnum(unsigned char c)
{
	return bclass[c] & B_ALNUM;
}

/* A byte that continues a token: a match may not start after one. */
static int
tokbyte(unsigned char c)
{
	return bclass[c] & B_TOK;
}

/* Shannon entropy of s[0, n), bits per character. */
static double
entropy(const char *s, size_t n)
{
	unsigned count[256] = { 0 };
	double h = 0;

	for (size_t i = 0; i < n; i++)
		count[(unsigned char)s[i]]++;
	for (int i = 0; i < 256; i++) {
		double p;

		if (count[i] == 0)
			continue;
		p = (double)count[i] / (double)n;
		h -= p * log2(p);
	}
	return h;
}

/* Kinds of characters in s: lower, upper, digit, other (a bit each). */
static unsigned
kinds(const char *s, size_t n)
{
	unsigned k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		k |= c >= 'a' && c <= 'z' ? 1 : c >= 'A' && c <= 'Z' ? 2 :
		    c >= '0' && c <= '9' ? 4 : 8;
	}
	return k;
}

static int
popcount4(unsigned k)
{
	return (k & 1) + (k >> 1 & 1) + (k >> 2 & 1) + (k >> 3 & 1);
}

/* The end of a provider token at p, or 0. */
static size_t
shape_at(const struct pii_secrets *x, const char *t, size_t len, size_t p)
{
	unsigned char b = (unsigned char)t[p];

	for (int k = x->start[b]; k < x->start[b] + x->count[b]; k++) {
		const struct shape *s = &shapes[x->order[k]];
		size_t pl = x->plen[x->order[k]], q;

		if (p + pl > len || t[p + 1] != s->prefix[1] ||
		    memcmp(t + p, s->prefix, pl) != 0)
			continue;
		q = p + pl;
		while (q < len && q - p - pl < s->max &&
		    in_cs(s->cs, (unsigned char)t[q]))
			q++;
		/* The token must end there (an AWS key may run into
		 * lower-case letters of what follows). */
		if (q - p - pl < s->min || (q < len &&
		    in_cs(CS_WORD, (unsigned char)t[q]) &&
		    !(s->cs == CS_UPPER && t[q] >= 'a' && t[q] <= 'z')))
			continue;
		return q;
	}
	return 0;
}

/* Three dot-separated base64url parts, the first two JSON ("eyJ"); the
 * signature may be empty (alg none). */
static size_t
jwt_at(const char *t, size_t len, size_t p)
{
	size_t q = p, parts = 0, start;

	while (parts < 3) {
		start = q;
		while (q < len && in_cs(CS_WORD, (unsigned char)t[q]))
			q++;
		if (parts < 2 && (q - start < 10 || memcmp(t + start, "eyJ",
		    3) != 0))
			return 0;
		parts++;
		if (parts == 3 || q >= len || t[q] != '.')
			break;
		q++;
	}
	if (parts < 2 || (q < len && t[q] == '.' && q + 1 < len &&
	    alnum((unsigned char)t[q + 1])))
		return 0;
	return q;
}

/* Discord bot token: 24-26, 6 and 27-38 characters, dot-separated. */
static size_t
discord_at(const char *t, size_t len, size_t p)
{
	size_t q = p, a, b, c;

	if ((t[p] != 'M' && t[p] != 'N' && t[p] != 'O') || p + 58 > len ||
	    (t[p + 23] != '.' && t[p + 24] != '.' && t[p + 25] != '.' &&
	    t[p + 26] != '.'))
		return 0;
	while (q < len && in_cs(CS_WORD, (unsigned char)t[q]))
		q++;
	a = q - p;
	if (a < 23 || a > 26 || q >= len || t[q] != '.')
		return 0;
	p = ++q;
	while (q < len && in_cs(CS_WORD, (unsigned char)t[q]))
		q++;
	b = q - p;
	if (b != 6 || q >= len || t[q] != '.')
		return 0;
	p = ++q;
	while (q < len && in_cs(CS_WORD, (unsigned char)t[q]))
		q++;
	c = q - p;
	return c >= 27 && c <= 40 ? q : 0;
}

/* Telegram bot token: 8-10 digits, ':', "AA" and 33 characters. */
static size_t
telegram_at(const char *t, size_t len, size_t p)
{
	size_t q = p;

	while (q < len && t[q] >= '0' && t[q] <= '9')
		q++;
	if (q - p < 8 || q - p > 10 || q + 36 > len || t[q] != ':' ||
	    t[q + 1] != 'A' || t[q + 2] != 'A')
		return 0;
	p = ++q;
	while (q < len && in_cs(CS_WORD, (unsigned char)t[q]))
		q++;
	return q - p == 35 ? q : 0;
}

/* Mailchimp: 32 hex digits, "-us" and the datacenter number. */
static size_t
mailchimp_at(const char *t, size_t len, size_t p)
{
	size_t q = p;

	if (p + 36 > len || t[p + 32] != '-' || t[p + 33] != 'u')
		return 0;
	while (q < len && in_cs(CS_HEX, (unsigned char)t[q]))
		q++;
	if (q - p != 32 || q + 4 > len || memcmp(t + q, "-us", 3) != 0 ||
	    t[q + 3] < '0' || t[q + 3] > '9')
		return 0;
	q += 4;
	while (q < len && t[q] >= '0' && t[q] <= '9')
		q++;
	return q;
}

static int
push(struct pii_matches *out, size_t s, size_t e)
{
	return pii_matches_push(out, s, e, PII_SECRET);
}

/* A name that holds a secret word ("api_key", "clientSecret"): 1; a
 * provider's name: 2 (its value must look random); else 0. */
static int
secret_name(const struct pii_secrets *x, const char *name, size_t n)
{
	char low[65];
	int pair = 0;

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
		    name[i] + 32 : name[i] == '.' || name[i] == '-' ? '_' :
		    name[i]);
	low[n] = '\0';
	/* A secret word holds one of their first pairs, most names none. */
	for (size_t i = 0; i + 1 < n && !pair; i++)
		pair = pair_get(x->name_pairs, low + i);
	for (int i = 0; pair && secret_names[i] != NULL; i++)
		if (strstr(low, secret_names[i]) != NULL)
			return 1;
	for (int i = 0; pair_get(x->provider_pairs, low) &&
	    provider_names[i] != NULL; i++)
		if (strcmp(low, provider_names[i]) == 0)
			return 2;
	/* ... or ends with "key" ("HEROKU_KEY") or "pass" ("DB_PASS"). */
	return (n >= 3 && memcmp(low + n - 3, "key", 3) == 0) ||
	    (n >= 4 && memcmp(low + n - 4, "pass", 4) == 0);
}

static int
valbyte(unsigned char c)
{
	return c > ' ' && c < 0x7F && c != '"' && c != '\'' && c != '`' &&
	    c != ',' && c != ';' && c != ')' && c != ']' && c != '}' &&
	    c != '<' && c != '>';
}

/*
 * A value that looks like a secret: long enough, not a word or a
 * placeholder ("your_api_key", "${TOKEN}", "null"), not a code reference
 * (process.env.X, a call), of several kinds of characters or random
 * enough. named: its name says it is a secret (else it is none).
 */
static int
secret_value(const char *v, size_t n, int named)
{
	unsigned k = kinds(v, n);

	if (!named || n < 6 || n > 1024 || (n >= 3 && memmem(v, n, "://",
	    3) != NULL))
		return 0;
	if (named == 2)
		return n >= 20 && (k & 4) && popcount4(k) >= 2 &&
		    entropy(v, n) >= 3.0;
	if (strchr("$%{<[(#*", v[0]) != NULL)
		return 0;
	/* Letters and underscores alone: words, placeholders. */
	if ((k & 4) == 0 && (k & 8) != 0 && strspn(v, "abcdefghijklmnopqrstuvw"
	    "xyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-.") == n)
		return 0;
	if (k == 1 || k == 2 || (k == 4 && n < 12))
		return 0;
	if (memchr(v, '(', n) != NULL || (n > 8 && (memcmp(v, "process.",
	    8) == 0 || memcmp(v, "os.environ", 10) == 0)))
		return 0;
	return popcount4(k) >= 2 || (n >= 16 && entropy(v, n) >= 3.0);
}

/* Skips an HTTP authorization scheme ("Bearer ", "Basic ", "Api-Token "). */
static size_t
skip_scheme(const char *t, size_t len, size_t p)
{
	static const char *const schemes[] = { "bearer ", "basic ", "token ",
		"api-token ", "apikey ", "digest ", "key ", NULL };

	for (int i = 0; schemes[i] != NULL; i++) {
		size_t l = strlen(schemes[i]);

		if (p + l <= len && strncasecmp(t + p, schemes[i], l) == 0) {
			p += l;
			while (p < len && t[p] == ' ')
				p++;
			return p;
		}
	}
	return p;
}

/*
 * An assignment at the operator t[op] (':' or '='): the name before it
 * (quoted or not), the value after it (quoted or not). Pushes the value
 * when the name says it is a secret and the value looks like one.
 */
static int
assignment(const struct pii_secrets *x, const char *t, size_t len,
    size_t op, struct pii_matches *out, size_t *next)
{
	size_t ne = op, ns, vs = op + 1, ve;
	int named, quoted = 0;

	*next = op + 1;
	while (ne > 0 && op - ne < 3 && (t[ne - 1] == ' ' || t[ne - 1] == '"' ||
	    t[ne - 1] == '\'' || t[ne - 1] == ':' || t[ne - 1] == '?' ||
	    t[ne - 1] == '+' || t[ne - 1] == '!'))
		ne--;
	ns = ne;
	while (ns > 0 && ne - ns < 64 && (alnum((unsigned char)t[ns - 1]) ||
	    strchr("_-.", t[ns - 1]) != NULL))
		ns--;
	named = secret_name(x, t + ns, ne - ns);
	/* ":=", "=>", "==" and spaces, then a quote. */
	while (vs < len && (t[vs] == '=' || t[vs] == '>' || t[vs] == ':'))
		vs++;
	while (vs < len && vs - op < 8 && t[vs] == ' ')
		vs++;
	if (vs < len && (t[vs] == '"' || t[vs] == '\'' || t[vs] == '`')) {
		quoted = t[vs];
		vs++;
	}
	if (named)
		vs = skip_scheme(t, len, vs);
	ve = vs;
	if (quoted && named) {
		/* Inside quotes a password may hold anything but the quote. */
		while (ve < len && ve - vs < 1024 && t[ve] != quoted &&
		    t[ve] != '\n')
			ve++;
		if (ve >= len || t[ve] != quoted)
			ve = vs;
	}
	if (ve == vs)
		while (ve < len && ve - vs < 1024 &&
		    valbyte((unsigned char)t[ve]))
			ve++;
	/* A trailing sentence dot is no part of it. */
	while (ve > vs && (t[ve - 1] == '.' || t[ve - 1] == ':'))
		ve--;
	if (ve == vs || !secret_value(t + vs, ve - vs, named))
		return 0;
	*next = ve;
	return push(out, vs, ve);
}

/*
 * A quoted name and a quoted value as a call's arguments, at the ','
 * between them: getenv("API_TOKEN", "dafa7817-...").
 */
static int
quoted_pair(const struct pii_secrets *x, const char *t, size_t len,
    size_t op, struct pii_matches *out, size_t *next)
{
	size_t ne = op, ns, vs = op + 1, ve;
	char q;
	int named;

	*next = op + 1;
	while (ne > 0 && op - ne < 2 && t[ne - 1] == ' ')
		ne--;
	if (ne < 2 || (t[ne - 1] != '"' && t[ne - 1] != '\''))
		return 0;
	q = t[--ne];
	ns = ne;
	while (ns > 0 && ne - ns < 64 && t[ns - 1] != q && t[ns - 1] != '\n')
		ns--;
	if (ns == 0 || t[ns - 1] != q)
		return 0;
	named = secret_name(x, t + ns, ne - ns);
	while (vs < len && vs - op < 3 && t[vs] == ' ')
		vs++;
	if (!named || vs >= len || (t[vs] != '"' && t[vs] != '\''))
		return 0;
	q = t[vs++];
	for (ve = vs; ve < len && ve - vs < 1024 && t[ve] != q &&
	    t[ve] != '\n'; ve++)
		;
	if (ve >= len || t[ve] != q || !secret_value(t + vs, ve - vs, named))
		return 0;
	*next = ve;
	return push(out, vs, ve);
}

/* "scheme://user:password@host": the match is "scheme://user:password@".
 * op is the ':' of "://". */
static int
url_credentials(const char *t, size_t len, size_t op,
    struct pii_matches *out, size_t *next)
{
	size_t s = op, q = op + 3, colon = 0;

	*next = op + 1;
	while (s > 0 && op - s < 16 && (alnum((unsigned char)t[s - 1]) ||
	    t[s - 1] == '+' || t[s - 1] == '.' || t[s - 1] == '-'))
		s--;
	if (s == op)
		return 0;
	while (q < len && q - op < 200 && t[q] != '@' && t[q] != '/' &&
	    t[q] != ' ' && t[q] != '\n' && t[q] != '"' && t[q] != '\'') {
		if (t[q] == ':' && colon == 0)
			colon = q;
		q++;
	}
	if (q >= len || t[q] != '@' || colon == 0 || colon == op + 3 ||
	    colon + 1 == q)
		return 0;
	*next = q + 1;
	return push(out, s, q + 1);
}

/* A private key block at p ("-----BEGIN"); without its end line, to the
 * end of the text. Returns where it ends, or 0. */
static size_t
key_block_at(const char *t, size_t len, size_t p)
{
	const char *end = t + len, *h, *e;

	if (p + 11 > len || memcmp(t + p, "-----BEGIN ", 11) != 0)
		return 0;
	h = memmem(t + p, len - p < 80 ? len - p : 80, "PRIVATE KEY-----", 16);
	if (h == NULL)
		return 0;
	e = memmem(h + 16, (size_t)(end - h - 16), "-----END ", 9);
	if (e != NULL) {
		const char *k = memmem(e, (size_t)(end - e) < 80 ?
		    (size_t)(end - e) : 80, "KEY-----", 8);

		e = k != NULL ? k + 8 : e + 9;
	} else {
		e = end;
	}
	return (size_t)(e - t);
}

/* Azure AD client secrets: three characters, a digit, "Q~", 31 to 34
 * more; at is the '~'. Returns the start (its end in *e), or -1. */
static long
azure_at(const char *t, size_t len, size_t at, size_t *e)
{
	size_t s;

	if (at < 5 || t[at - 1] != 'Q' || t[at - 2] < '0' || t[at - 2] > '9')
		return -1;
	s = at - 5;
	if (!in_cs(CS_DOT, (unsigned char)t[s]) ||
	    !in_cs(CS_DOT, (unsigned char)t[s + 1]) ||
	    !in_cs(CS_DOT, (unsigned char)t[s + 2]))
		return -1;
	*e = at + 1;
	while (*e < len && *e - at < 40 && in_cs(CS_DOT, (unsigned char)t[*e]))
		(*e)++;
	return *e - at - 1 >= 31 && *e - at - 1 <= 34 ? (long)s : -1;
}

/* Command-line credentials at p (a space): "--token X", "-u user:pass".
 * Returns the start of the value (its end in *e), or 0. */
static size_t
cli_flag_at(const char *t, size_t len, size_t p, size_t *e)
{
	static const struct {
		const char *flag;
		int colon;	/* the value is user:password */
	} flags[] = {
		{ " --token ", 0 }, { " --password ", 0 }, { " --api-key ", 0 },
		{ " --secret ", 0 }, { " --auth-token ", 0 },
		{ " -u ", 1 }, { " --user ", 1 },
	};

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		size_t fl = strlen(flags[i].flag), s;
		char q = 0;

		if (p + fl > len || memcmp(t + p, flags[i].flag, fl) != 0)
			continue;
		s = p + fl;
		while (s < len && t[s] == ' ')
			s++;
		if (s < len && (t[s] == '"' || t[s] == '\''))
			q = t[s];
		*e = s + (q != 0);
		while (*e < len && (q ? t[*e] != q && t[*e] != '\n' :
		    valbyte((unsigned char)t[*e]) || t[*e] == '}'))
			(*e)++;
		if (q != 0 && *e < len && t[*e] == q)
			(*e)++;
		if (*e - s < 6 || (flags[i].colon && memchr(t + s, ':',
		    *e - s) == NULL))
			return 0;
		return s;
	}
	return 0;
}

/* A Slack webhook: the whole URL; op is the ':' of "://". */
static size_t
webhook_at(const char *t, size_t len, size_t op, size_t *start)
{
	size_t s = op, e = op + 3 + 16;

	if (op + 3 + 16 > len || memcmp(t + op + 3, "hooks.slack.com/", 16))
		return 0;
	while (s > 0 && op - s < 8 && alnum((unsigned char)t[s - 1]))
		s--;
	while (e < len && (in_cs(CS_WORD, (unsigned char)t[e]) || t[e] == '/'))
		e++;
	*start = s;
	return e - s > 40 ? e : 0;
}

/*
 * The loop below where it only moves on: past bytes that start nothing
 * and tokens too short for any shape (and no name before a ':'), one
 * table lookup a byte. Returns the next position that needs a look: an
 * operator, or the start of a longer token.
 */
static size_t
skip_plain(const char *t, size_t len, size_t i)
{
	const unsigned char *u = (const unsigned char *)t;

	while (i < len) {
		unsigned char k = bclass[u[i]];
		size_t e;

		if (k & B_OP)
			return i;
		if (!(k & B_ALNUM) || (i > 0 && bclass[u[i - 1]] & B_TOK)) {
			for (i++; i < len && !(bclass[u[i]] &
			    (B_OP | B_ALNUM)); i++)
				;
			continue;
		}
		/* Lower-case letters sixteen at a time, then the rest. */
		for (e = pii_bytes_span(t, i + 1, len, 'a', 'z'); e < len &&
		    bclass[u[e]] & B_TOK; e++)
			;
		if (e - i >= 11 || (e < len && u[e] == ':'))
			return i;
		/* u[e] ends the token: an operator, or a byte that starts
		 * nothing (as above). */
		if (e < len && !(bclass[u[e]] & B_OP))
			for (e++; e < len && !(bclass[u[e]] &
			    (B_OP | B_ALNUM)); e++)
				;
		i = e;
	}
	return len;
}

int
pii_secrets_scan(const struct pii_secrets *x, const char *t, size_t len,
    struct pii_matches *out)
{
	size_t i = 0;

	while ((i = skip_plain(t, len, i)) < len) {
		unsigned char c = (unsigned char)t[i];
		size_t e = 0, s = i, next;
		long a = -1;

		if (c == ',') {
			if (quoted_pair(x, t, len, i, out, &next) != 0)
				return -1;
			i = next;
			continue;
		}
		if (c == ':' || c == '=') {
			int rc;

			if (c == ':' && i + 2 < len && t[i + 1] == '/' &&
			    t[i + 2] == '/') {
				e = webhook_at(t, len, i, &s);
				rc = e != 0 ? push(out, s, e) :
				    url_credentials(t, len, i, out, &next);
				next = e != 0 ? e : next;
			} else {
				rc = assignment(x, t, len, i, out, &next);
			}
			if (rc != 0)
				return -1;
			i = next;
			continue;
		}
		if (c == '-' && i + 1 < len && t[i + 1] == '-' &&
		    (e = key_block_at(t, len, i)) != 0) {
			s = i;
		} else if (c == '-' && i > 0 && t[i - 1] == ' ') {
			s = cli_flag_at(t, len, i - 1, &e);
			e = s != 0 ? e : 0;
		} else if (c == '~' && (a = azure_at(t, len, i, &e)) >= 0) {
			s = (size_t)a;
		} else {
			e = 0;
		}
		if (e != 0) {
			if (push(out, s, e) != 0)
				return -1;
			i = e;
			continue;
		}
		e = 0;
		if (!alnum(c) || (i > 0 && tokbyte((unsigned char)t[i - 1]))) {
			/* Nothing starts before the next operator or token
			 * start. */
			i++;
			while (i < len && !(bclass[(unsigned char)t[i]] &
			    (B_OP | B_ALNUM)))
				i++;
			continue;
		}
		/* Every shape is longer than ten bytes (a Telegram token's
		 * first part excepted). */
		for (e = i; e < len && tokbyte((unsigned char)t[e]); e++)
			;
		if (e - i < 11 && !(e < len && t[e] == ':')) {
			i = e;
			continue;
		}
		e = 0;
		if (c == 'e' && i + 3 < len && t[i + 1] == 'y' &&
		    t[i + 2] == 'J')
			e = jwt_at(t, len, i);
		if (e == 0 && x->count[c] != 0)
			e = shape_at(x, t, len, i);
		if (e == 0 && c >= '0' && c <= '9')
			e = telegram_at(t, len, i);
		if (e == 0 && (c == 'M' || c == 'N' || c == 'O'))
			e = discord_at(t, len, i);
		if (e == 0 &&
		    ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			e = mailchimp_at(t, len, i);
		if (e != 0) {
			if (push(out, i, e) != 0)
				return -1;
			i = e;
			continue;
		}
		/* The rest of the token. */
		while (i < len && tokbyte((unsigned char)t[i]))
			i++;
	}
	return 0;
}
