/* Identifiers with a fixed shape: the chain scanner and the evidence. */
#include <stdlib.h>
#include <string.h>

#include "policy/pii_bytes.h"
#include "policy/pii_ids.h"
#include "policy/pii_ids_int.h"

/* The longest chain read around one digit: tokens, compact bytes. */
#define CHAIN_TOKENS 24
#define ROWS_PER_LEN 48
/* Fewer digits than this make no identifier, ... */
#define MIN_DIGITS 5
/* ... but a document number of this many letters and digits (German
 * passports and identity cards: "C26VMVVC3"), next to its label. */
#define DOC_MIN 9
#define DOC_MAX 10
#define GOV_VAT 7

struct pii_ids {
	/* The labels of pii_id_labels, then the negative words. */
	struct pii_words labels;
	const char *words[PII_WORDS_MAX + 1];
	unsigned short by_len[ID_COMPACT_MAX + 1][ROWS_PER_LEN];
	unsigned char n_by_len[ID_COMPACT_MAX + 1];
};

struct tok {
	size_t s, e;
	unsigned digits, letters;
	int spaced;		/* the separators before it hold a space */
	char sep;		/* the separator before it: '-', '.', '/', '+',
				 * else ' ' (0 for the first token) */
};

struct pii_ids *
pii_ids_new(void)
{
	struct pii_ids *x = calloc(1, sizeof(*x));
	size_t n = 0;

	if (x == NULL)
		return NULL;
	for (size_t i = 0; i < pii_id_n_labels && n < PII_WORDS_MAX; i++)
		x->words[n++] = pii_id_labels[i].word;
	for (size_t i = 0; pii_negative_words[i] != NULL &&
	    n < PII_WORDS_MAX; i++)
		x->words[n++] = pii_negative_words[i];
	x->words[n] = NULL;
	pii_words_build(&x->labels, x->words);
	for (size_t r = 0; r < pii_id_n_rows; r++) {
		for (int l = pii_id_rows[r].min; l <= pii_id_rows[r].max &&
		    l <= ID_COMPACT_MAX; l++) {
			if (x->n_by_len[l] == ROWS_PER_LEN)
				continue;
			x->by_len[l][x->n_by_len[l]++] = (unsigned short)r;
		}
	}
	return x;
}

void
pii_ids_free(struct pii_ids *x)
{
	free(x);
}

/* ---- the evidence around a candidate ---- */

void
id_env_read(struct id_env *env, const struct id_cand *c)
{
	int found[32];
	size_t n;

	if (env->read)
		return;
	env->read = 1;
	env->neg = 0;
	pii_ctx_init(&env->ctx, c->text, c->len, env->ws, env->we);
	n = pii_words_all(env->words, &env->ctx, found, 32);
	for (size_t i = 0; i < n; i++) {
		const struct id_label *l = &pii_id_labels[found[i]];

		if ((size_t)found[i] >= pii_id_n_labels) {
			env->neg = 1;	/* a negative word */
			continue;
		}
		env->groups |= l->groups;
		if (l->groups == 0)
			env->named |= l->countries;
		else
			env->langs |= l->countries;
	}
}

int
id_env_negative(struct id_env *env, const struct id_cand *c)
{
	id_env_read(env, c);
	return env->neg;
}

uint32_t
id_env_countries(struct id_env *env, const struct id_cand *c)
{
	id_env_read(env, c);
	if (env->named != 0)
		return env->named;
	if (env->langs != 0)
		return env->langs;
	return ~(uint32_t)0;
}

/* ---- the scanner ---- */

static int
alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static int
blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
sepchar(unsigned char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '/' || c == '+';
}

/* A token glued to something that is no separator of an identifier: a
 * letter of another script, '_' and '@' (names in code, addresses). */
static int
glued(unsigned char c)
{
	return c >= 0x80 || c == '_' || c == '@' || c == '&' || c == '=';
}

static void
tok_read(const char *t, size_t s, size_t e, struct tok *k)
{
	k->s = s;
	k->e = e;
	k->digits = k->letters = 0;
	for (size_t i = s; i < e; i++) {
		if (t[i] >= '0' && t[i] <= '9')
			k->digits++;
		else
			k->letters++;
	}
	k->spaced = 0;
	k->sep = 0;
}

/*
 * The separator run before byte p (it ends there): at most three bytes,
 * at most one of them not a space. Returns its start, or p when there is
 * none; *spaced and *sep describe it.
 */
static size_t
sep_before(const char *t, size_t floor, size_t p, int *spaced, char *sep)
{
	size_t q = p;
	int other = 0;

	*spaced = 0;
	*sep = ' ';
	while (q > floor && p - q < 3 && sepchar((unsigned char)t[q - 1])) {
		if (t[q - 1] == ' ')
			*spaced = 1;
		else if (other > 0 && t[q - 1] == *sep)
			;	/* "93--173": the same one twice */
		else if (other++)
			break;
		else
			*sep = t[q - 1];
		q--;
	}
	if (other > 1)
		return p;
	return q;
}

static size_t
sep_after(const char *t, size_t len, size_t p, int *spaced, char *sep)
{
	size_t q = p;
	int other = 0;

	*spaced = 0;
	*sep = ' ';
	while (q < len && q - p < 3 && sepchar((unsigned char)t[q])) {
		if (t[q] == ' ')
			*spaced = 1;
		else if (other > 0 && t[q] == *sep)
			;	/* "93--173": the same one twice */
		else if (other++)
			return p;
		else
			*sep = t[q];
		q++;
	}
	return q;
}

static int
tok_ok(const char *t, size_t len, size_t s, size_t e)
{
	return !(s > 0 && glued((unsigned char)t[s - 1])) &&
	    !(e < len && glued((unsigned char)t[e]));
}

/*
 * The chain around the token [s, e): tokens before it that can open an
 * identifier (a short capitalized prefix such as "FR" or "ATU", or
 * digits), tokens after it with digits or a few letters ("B01", "MWST").
 * v[i].sep is the separator between v[i - 1] and v[i]. Returns the number
 * of tokens.
 */
static int
chain_build(const char *t, size_t len, size_t floor, size_t s, size_t e,
    struct tok *v)
{
	struct tok left[3];
	int nl = 0, n, letters_run = 0;
	size_t p = s, total = e - s;

	/* left[i]: the i-th token to the left; its spaced/sep describe the
	 * separators on its right. */
	while (nl < 3) {
		int spaced;
		char sep;
		size_t q = sep_before(t, floor, p, &spaced, &sep), ps;
		struct tok k;

		if (q == p || q == floor || !alnum((unsigned char)t[q - 1]))
			break;
		ps = q;
		while (ps > floor && alnum((unsigned char)t[ps - 1]))
			ps--;
		if (!tok_ok(t, len, ps, q))
			break;
		tok_read(t, ps, q, &k);
		/* A prefix: capitals ("FR", "ATU"), two letters ("hh 01 02
		 * 03 d"), one letter before a dash ("x-2482300w"). */
		if (k.digits == 0 && (k.letters > 3 ||
		    !(t[ps] >= 'A' && t[ps] <= 'Z')) && k.letters != 2 &&
		    !(k.letters == 1 && sep == '-' && !spaced))
			break;
		k.spaced = spaced;
		k.sep = sep;
		left[nl++] = k;
		total += q - ps;
		p = ps;
	}
	n = 0;
	for (int i = nl - 1; i >= 0; i--) {
		v[n] = left[i];
		v[n].spaced = i + 1 < nl ? left[i + 1].spaced : 0;
		v[n].sep = i + 1 < nl ? left[i + 1].sep : 0;
		n++;
	}
	tok_read(t, s, e, &v[n]);
	if (nl > 0) {
		v[n].spaced = left[0].spaced;
		v[n].sep = left[0].sep;
	}
	n++;
	p = e;
	while (n < CHAIN_TOKENS) {
		int spaced;
		char sep;
		size_t q = sep_after(t, len, p, &spaced, &sep), qe;
		struct tok k;

		if (q == p || q >= len || !alnum((unsigned char)t[q]))
			break;
		qe = q;
		while (qe < len && alnum((unsigned char)t[qe]))
			qe++;
		if (!tok_ok(t, len, q, qe) || total + (qe - q) >
		    ID_COMPACT_MAX)
			break;
		tok_read(t, q, qe, &k);
		if (k.digits == 0 && (k.letters > 4 || ++letters_run > 2))
			break;
		if (k.digits > 0)
			letters_run = 0;
		k.spaced = spaced;
		k.sep = sep;
		v[n++] = k;
		total += qe - q;
		p = qe;
	}
	return n;
}

/* A candidate may start at token a of the chain: the chain's start, after
 * a space, or after a token of letters alone ("Nr.", "FR"). */
static int
may_start(const struct tok *v, int a)
{
	return a == 0 || v[a].spaced || v[a - 1].digits == 0;
}

static int
may_end(const struct tok *v, int n, int b)
{
	return b == n - 1 || v[b + 1].spaced || v[b + 1].digits == 0;
}

/*
 * A value is not a part of a longer one: next to a token with digits
 * joined by a dash, dot or slash it is cut out of something else; joined
 * by a space to a short one, when it is itself grouped by spaces ("4003
 * 2960 8908 5629", "DE49 6419 ..."). A whole number next to the next one
 * ("4012888888881881 4012 8888 ...") stands alone.
 */
static int
glued_to(const struct tok *v, int at, int other, int spaced_inside)
{
	if (v[other].digits == 0)
		return 0;
	if (!v[at].spaced || v[at].sep != ' ')
		return 1;
	return spaced_inside && v[other].e - v[other].s <= 4;
}

static int
part_of_number(const struct tok *v, int n, int a, int b)
{
	int spaced_inside = 0;

	for (int i = a + 1; i <= b; i++)
		spaced_inside |= v[i].spaced;
	return (a > 0 && glued_to(v, a, a - 1, spaced_inside)) ||
	    (b + 1 < n && glued_to(v, b + 1, b + 1, spaced_inside));
}

/* Long enough to be an identifier alone: ten digits, or eight letters
 * and digits. */
#define LONE_DIGITS 10
#define LONE_MIXED 8

static int
upper3(const char *p)
{
	return p[0] >= 'A' && p[0] <= 'Z' && p[1] >= 'A' && p[1] <= 'Z' &&
	    p[2] >= 'A' && p[2] <= 'Z';
}

/*
 * The text is values alone: tokens with digits, prefixes of two letters or
 * three capitals, blanks and the separators of values and lists; no word.
 * Read once, when a candidate first asks.
 */
int
id_cand_bare(const struct id_cand *c)
{
	size_t letters = 0;
	int digit = 0;

	if (*c->bare >= 0)
		return *c->bare;
	*c->bare = 0;
	for (size_t i = 0; i <= c->len; i++) {
		unsigned char ch = i < c->len ? (unsigned char)c->text[i] : ' ';

		if (ch >= '0' && ch <= '9') {
			digit = 1;
		} else if ((ch | 32) >= 'a' && (ch | 32) <= 'z') {
			letters++;
		} else if (blank(ch) || (ch != 0 &&
		    strchr(",;-./+", ch) != NULL)) {
			/* A word: more than two letters, or three
			 * small ones ("see", not "ATU"). */
			if (!digit && (letters > 3 || (letters == 3 &&
			    !upper3(c->text + i - 3))))
				return 0;
			letters = 0;
			digit = 0;
		} else {
			return 0;
		}
	}
	*c->bare = 1;
	return 1;
}

static int
lone_value(const struct id_row *r, const struct id_cand *c)
{
	if (!(r->flags & ID_F_LONE) || !id_cand_bare(c))
		return 0;
	return c->digits == c->n ? c->n >= LONE_DIGITS : c->n >= LONE_MIXED;
}

/*
 * What a row's verdict is worth here: 0 (not this identifier), 1 a label
 * of its kind ("tax number"), 2 a strong value, 3 its own label, 4 a
 * strong value with its own label.
 */
static int
row_score(const struct id_row *r, int v, const struct id_cand *c,
    struct id_env *env)
{
	uint64_t other;

	id_env_read(env, c);
	/* Labels that name something else: another identifier ("PESEL",
	 * "passport"). */
	other = env->groups & ~(r->labels | r->specific) & ~LG(CARD) &
	    ~LG(VAT);
	if (v == ID_STRONG) {
		if (!(r->flags & ID_F_ANYKIND) && other != 0)
			return 0;
		if (!(r->flags & ID_F_NONEG) && !(env->groups & r->labels) &&
		    id_env_negative(env, c))
			return 0;
		return env->groups & r->specific ? 4 : 2;
	}
	if (env->groups & r->specific)
		return 3;
	/* A text of values alone (the answer to a question that named
	 * them, a form's field, a list): its check or its format is the
	 * evidence. */
	if (env->groups == 0 && lone_value(r, c))
		return 1;
	/* A label of a kind counts unless another identifier is named, or
	 * another country. */
	if (!(env->groups & r->labels) || (other & ~LG_GENERIC) != 0)
		return 0;
	if (r->cc != CC_ANY && !(id_env_countries(env, c) &
	    ((uint32_t)1 << r->cc)))
		return 0;
	return 1;
}

/* The best row for the candidate: returns its type, or -1. */
static int
try_rows(const struct pii_ids *x, const struct id_cand *c,
    struct id_env *envp, const unsigned char enabled[PII__COUNT])
{
	int best = -1, best_score = 0;

	for (int i = 0; i < x->n_by_len[c->n]; i++) {
		const struct id_row *r = &pii_id_rows[x->by_len[c->n][i]];
		int v, score;

		if (!enabled[r->type] || (c->digits < MIN_DIGITS &&
		    !(r->flags & ID_F_FEWDIGITS)))
			continue;
		v = r->check(c, envp);
		if (v == ID_NO)
			continue;
		score = row_score(r, v, c, envp);
		if (score > best_score) {
			best_score = score;
			best = r->type;
		}
	}
	return best;
}

/* A word of letters and a few digits as long as a document number, or a
 * British VAT number of a government department or health authority
 * ("GBGD001", "GBHA599"): the candidate is that one token. */
static int
doc_word(const char *t, const struct tok *k, int more)
{
	size_t l = k->e - k->s;

	if (more != 0 || k->digits == 0 || k->letters == 0)
		return 0;
	if (l == GOV_VAT && k->digits == 3 &&
	    (memcmp(t + k->s, "GBGD", 4) == 0 ||
	    memcmp(t + k->s, "GBHA", 4) == 0))
		return 1;
	return l >= DOC_MIN && l <= DOC_MAX;
}

/* Tries every part of the chain v[0, n) that starts and ends on a word
 * boundary. */
static int
chain_scan(const struct pii_ids *x, const char *t, size_t len,
    const struct tok *v, int n, int *bare,
    const unsigned char enabled[PII__COUNT], struct pii_matches *out)
{
	struct id_cand c;
	struct id_env env;

	memset(&env, 0, sizeof(env));
	env.words = &x->labels;
	/* The window: before the first token with digits (a label may be a
	 * token of the chain: "EGN 7523169263"), after the chain. */
	env.ws = v[0].s;
	for (int i = 0; i < n && v[i].digits == 0; i++)
		env.ws = v[i + 1 < n ? i + 1 : i].s;
	env.we = v[n - 1].e;
	c.text = t;
	c.len = len;
	c.bare = bare;
	for (int a = 0; a < n; a++) {
		if (!may_start(v, a))
			continue;
		c.n = 0;
		c.digits = 0;
		c.lower = 0;
		c.start = v[a].s;
		c.first_upper = t[v[a].s] >= 'A' && t[v[a].s] <= 'Z';
		for (int b = a; b < n; b++) {
			size_t l = v[b].e - v[b].s;
			int type;

			if (c.n + l > ID_COMPACT_MAX)
				break;
			for (size_t i = 0; i < l; i++) {
				char ch = t[v[b].s + i];

				if (ch >= 'a' && ch <= 'z') {
					ch = (char)(ch - 32);
					c.lower = 1;
				}
				c.sep[c.n + i] = 0;
				c.c[c.n + i] = ch;
			}
			if (b > a)
				c.sep[c.n] = v[b].sep;
			c.n += l;
			c.c[c.n] = '\0';
			c.digits += v[b].digits;
			c.end = v[b].e;
			if ((c.digits < MIN_DIGITS &&
			    !doc_word(t, &v[a], b - a)) || !may_end(v, n, b) ||
			    x->n_by_len[c.n] == 0 ||
			    part_of_number(v, n, a, b))
				continue;
			type = try_rows(x, &c, &env, enabled);
			if (type >= 0 && pii_matches_push(out, c.start, c.end,
			    type) != 0)
				return -1;
		}
	}
	return 0;
}

static unsigned
chain_digits(const struct tok *v, int n)
{
	unsigned d = 0;

	for (int i = 0; i < n; i++)
		d += v[i].digits;
	return d;
}

static int
chain_doc(const char *t, const struct tok *v, int n)
{
	for (int i = 0; i < n; i++)
		if (doc_word(t, &v[i], 0))
			return 1;
	return 0;
}

/* Four groups of one to three digits joined by dots: an IP address or a
 * version, no identifier. */
static int
ip_shaped(const struct tok *v, int n)
{
	if (n != 4)
		return 0;
	for (int i = 0; i < 4; i++)
		if (v[i].letters != 0 || v[i].digits > 3 ||
		    (i > 0 && (v[i].sep != '.' || v[i].spaced)))
			return 0;
	return 1;
}

int
pii_ids_scan(const struct pii_ids *x, const char *text, size_t len,
    const unsigned char enabled[PII__COUNT], struct pii_matches *out)
{
	struct tok v[CHAIN_TOKENS];
	size_t i = 0, floor = 0;
	int bare = -1;

	while (i < len) {
		size_t s, e;
		int n;

		i = pii_bytes_next(text, i, len, '0', '9');
		if (i >= len)
			break;
		s = i;
		while (s > floor && alnum((unsigned char)text[s - 1]))
			s--;
		e = i;
		while (e < len && alnum((unsigned char)text[e]))
			e++;
		if (e - s > ID_COMPACT_MAX || !tok_ok(text, len, s, e)) {
			i = e;
			continue;
		}
		n = chain_build(text, len, floor, s, e, v);
		if ((chain_digits(v, n) >= MIN_DIGITS ||
		    chain_doc(text, v, n)) &&
		    !ip_shaped(v, n) &&
		    chain_scan(x, text, len, v, n, &bare, enabled, out) != 0)
			return -1;
		i = v[n - 1].e;
		floor = i;
	}
	return 0;
}
