/* Pseudonym tokens, the per-request vault, and restoration. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "policy/pii_vault.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int
pii_buf_add(struct pii_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

void
pii_buf_free(struct pii_buf *b)
{
	if (b->p != NULL)
		OPENSSL_cleanse(b->p, b->cap);
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
pii_vault_init(struct pii_vault *v)
{
	memset(v, 0, sizeof(*v));
}

void
pii_vault_cleanup(struct pii_vault *v)
{
	for (size_t i = 0; i < v->n; i++) {
		OPENSSL_cleanse(v->v[i].value, v->v[i].value_len);
		OPENSSL_cleanse(v->v[i].norm, v->v[i].norm_len);
		free(v->v[i].value);
		free(v->v[i].norm);
	}
	free(v->v);
	for (size_t i = 0; i < v->n_seen; i++)
		free(v->seen[i]);
	free(v->seen);
	memset(v, 0, sizeof(*v));
}

/* Length of a token-shaped string at p ("<TYPE_XXXXXX>"), or 0. */
static size_t
token_shape(const char *p, size_t n)
{
	size_t i = 1, us = 0, sfx;

	if (n < 9 || p[0] != '<')
		return 0;
	while (i < n && i < PII_TOKEN_MAX && ((p[i] >= 'A' && p[i] <= 'Z') ||
	    p[i] == '_'))
		i++;
	/* The suffix follows the last underscore. */
	for (size_t k = 1; k < i; k++)
		if (p[k] == '_')
			us = k;
	if (us == 0 || us == 1)
		return 0;
	for (sfx = us + 1; sfx < n && sfx < PII_TOKEN_MAX &&
	    strchr(crockford, p[sfx]) != NULL && p[sfx] != '\0'; sfx++)
		;
	if (sfx - us - 1 < 6 || sfx - us - 1 > 8 || sfx >= n || p[sfx] != '>')
		return 0;
	return sfx + 1;
}

/*
 * What the detectors scan: text with every token's suffix written as
 * 'X's (a malloc'ed copy in *view, or NULL when text holds no token). A
 * token's letters come from the server's secret; were they scanned, what
 * is found next to a token would change with the secret (a neighbour's
 * capital letters make "Suite" read as a name), and one prompt would be
 * pseudonymized differently by two deployments. Returns -1 when out of
 * memory.
 */
static int
token_view(const char *text, size_t len, char **view)
{
	*view = NULL;
	for (const char *p = memchr(text, '<', len); p != NULL;
	    p = memchr(p + 1, '<', len - (size_t)(p + 1 - text))) {
		size_t at = (size_t)(p - text), tl = token_shape(p, len - at);
		size_t k = tl - 1;	/* the '>' */

		if (tl > 0) {
			if (*view == NULL) {
				if ((*view = malloc(len)) == NULL)
					return -1;
				memcpy(*view, text, len);
			}
			while (k > 0 && p[k - 1] != '_')
				(*view)[at + --k] = 'X';
		}
		if (at + 1 >= len)
			break;
	}
	return 0;
}

int
pii_vault_note_lookalikes(struct pii_vault *v, const char *text, size_t len)
{
	for (const char *p = memchr(text, '<', len); p != NULL;
	    p = memchr(p + 1, '<', len - (size_t)(p + 1 - text))) {
		size_t tl = token_shape(p, len - (size_t)(p - text));
		char **ns;

		if (tl == 0)
			continue;
		ns = realloc(v->seen, (v->n_seen + 1) * sizeof(*ns));
		if (ns == NULL)
			return -1;
		v->seen = ns;
		v->seen[v->n_seen] = strndup(p, tl);
		if (v->seen[v->n_seen] == NULL)
			return -1;
		v->n_seen++;
		if ((size_t)(p - text) + 1 >= len)
			break;
	}
	return 0;
}

/*
 * The value as the token derives it: case and separators folded. A name
 * keeps its case: "jane" and "Jane" restored as one form would read
 * differently ("Mo jane" is two names, "Mo Jane" one).
 */
static size_t
normalize(int type, const char *s, size_t n, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (type) {
		case PII_EMAIL:
		case PII_PERSON:
			if (type == PII_EMAIL && c >= 'A' && c <= 'Z')
				c = (unsigned char)(c + 32);
			if (type == PII_PERSON && (c == ' ' || c == '\t')) {
				if (k > 0 && out[k - 1] == ' ')
					continue;
				c = ' ';
			}
			out[k++] = (char)c;
			break;
		case PII_SECRET:
		case PII_IP_ADDRESS:
			out[k++] = (char)c;
			break;
		default:
			/* Identifiers, phones, IBANs: letters and digits. */
			if (c >= 'a' && c <= 'z')
				c = (unsigned char)(c - 32);
			if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))
				out[k++] = (char)c;
			else if (c == '+' && k == 0)
				out[k++] = '+';
		}
	}
	if (type == PII_PHONE && k > 2 && out[0] == '0' && out[1] == '0') {
		memmove(out + 1, out + 2, k - 2);
		out[0] = '+';
		k--;
	}
	return k;
}

static int
make_token(struct keys_hmac *h, const char *team, int type, const char *norm,
    size_t nlen, size_t sfx_len, char *out, size_t *tlen)
{
	const char *name = pii_type_name(type);
	size_t tl = strlen(team), nl = strlen(name), k;
	unsigned char mac[32];
	char *msg = malloc(11 + tl + 1 + nl + 1 + nlen);
	uint64_t bits;
	enum gw_err err;

	if (msg == NULL)
		return -1;
	memcpy(msg, "eugate-pii", 10);
	msg[10] = '\0';
	memcpy(msg + 11, team, tl);
	msg[11 + tl] = '\0';
	memcpy(msg + 12 + tl, name, nl);
	msg[12 + tl + nl] = '\0';
	memcpy(msg + 13 + tl + nl, norm, nlen);
	err = keys_hmac_compute(h, msg, 13 + tl + nl + nlen, mac);
	OPENSSL_cleanse(msg, 13 + tl + nl + nlen);
	free(msg);
	if (err != GW_OK)
		return -1;
	bits = ((uint64_t)mac[0] << 32) | ((uint64_t)mac[1] << 24) |
	    ((uint64_t)mac[2] << 16) | ((uint64_t)mac[3] << 8) | mac[4];
	k = 0;
	out[k++] = '<';
	memcpy(out + k, name, nl);
	k += nl;
	out[k++] = '_';
	for (size_t i = 0; i < sfx_len; i++)
		out[k++] = crockford[(bits >> (35 - 5 * i)) & 31];
	out[k++] = '>';
	out[k] = '\0';
	*tlen = k;
	return 0;
}

static int
token_taken(const struct pii_vault *v, const char *tok, size_t tl)
{
	for (size_t i = 0; i < v->n_seen; i++)
		if (strlen(v->seen[i]) == tl &&
		    memcmp(v->seen[i], tok, tl) == 0)
			return 1;
	return 0;
}

/*
 * The token of a value: the same one for the same value, new otherwise.
 * It derives from the value's detection form (form, flen), so that
 * "ｊｏｈｎ＠example.com" and "john@example.com" get the same token.
 */
static const struct pii_entry *
vault_token(struct pii_vault *v, struct keys_hmac *h, const char *team,
    int type, const char *value, size_t len, const char *form, size_t flen)
{
	char norm[1024], tok[PII_TOKEN_MAX];
	size_t nl, tl;
	struct pii_entry *e;

	if (flen > sizeof(norm))
		flen = sizeof(norm);
	nl = normalize(type, form, flen, norm);
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].type == type && v->v[i].norm_len == nl &&
		    memcmp(v->v[i].norm, norm, nl) == 0) {
			OPENSSL_cleanse(norm, flen);
			return &v->v[i];
		}
	for (size_t sfx = 6; sfx <= 8; sfx += 2) {
		int clash = 0;

		if (make_token(h, team, type, norm, nl, sfx, tok, &tl) != 0)
			return NULL;
		for (size_t i = 0; i < v->n; i++)
			if (v->v[i].token_len == tl &&
			    memcmp(v->v[i].token, tok, tl) == 0)
				clash = 1;
		if (!clash && !token_taken(v, tok, tl))
			break;
		if (sfx == 8)
			return NULL;	/* fail closed: cannot be told apart */
	}
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		struct pii_entry *nv = realloc(v->v, cap * sizeof(*nv));

		if (nv == NULL)
			return NULL;
		v->v = nv;
		v->cap = cap;
	}
	e = &v->v[v->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->token, tok, tl + 1);
	e->token_len = tl;
	e->type = type;
	e->value = malloc(len + 1);
	e->norm = malloc(nl + 1);
	if (e->value == NULL || e->norm == NULL) {
		free(e->value);
		free(e->norm);
		return NULL;
	}
	memcpy(e->value, value, len);
	e->value[len] = '\0';
	e->value_len = len;
	memcpy(e->norm, norm, nl);
	e->norm[nl] = '\0';
	e->norm_len = nl;
	/* normalize() wrote flen bytes at most. */
	OPENSSL_cleanse(norm, flen);
	if (tl > v->max_token_len)
		v->max_token_len = tl;
	v->n++;
	return e;
}

static int
allowed(const struct pii_rules *r, const char *s, size_t n)
{
	for (size_t i = 0; i < r->n_allow; i++)
		if (strlen(r->allow[i]) == n && memcmp(r->allow[i], s, n) == 0)
			return 1;
	return 0;
}

/* 1 when [start, end) overlaps a pseudonym token already in text. */
static int
on_token(const char *text, size_t len, size_t start, size_t end)
{
	size_t from = start > PII_TOKEN_MAX ? start - PII_TOKEN_MAX : 0;

	for (size_t i = from; i < end; i++) {
		size_t tl;

		if (text[i] != '<')
			continue;
		tl = token_shape(text + i, len - i);
		if (tl > 0 && i < end && i + tl > start)
			return 1;
	}
	return 0;
}

/* Where a pass put its tokens, in its output. */
struct spans {
	size_t (*v)[2];
	size_t n, cap;
};

static int
spans_add(struct spans *s, size_t start, size_t end)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		size_t (*v)[2] = realloc(s->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n][0] = start;
	s->v[s->n][1] = end;
	s->n++;
	return 0;
}

/*
 * A finding's count: the first pass counts every finding; a later pass
 * (which sees the kept ones again) only what it rewrites and types not
 * seen before, so that a kept finding is not counted twice.
 */
static void
count(struct pii_vault *v, int type, int act, int first)
{
	int rewrites = act == PII_ACT_REDACT || act == PII_ACT_PSEUDONYMIZE;

	if (first || rewrites || v->counts[type] == 0)
		v->counts[type]++;
	if (act == PII_ACT_BLOCK && (first || v->blocked[type] == 0))
		v->blocked[type]++;
}

/* One scan and rewrite of text; matches on existing tokens are left.
 * With put, the tokens' places in out are noted there. */
static int
apply_once(struct pii_engine *e, struct pii_vault *v, struct keys_hmac *h,
    const char *team, const struct pii_rules *rules, const char *text,
    size_t len, int first, struct pii_buf *out, struct spans *put,
    int *changed)
{
	struct pii_matches m = { NULL, 0, 0 };
	unsigned char enabled[PII__COUNT];
	size_t pos = 0;
	char *view = NULL;
	int rc = 0, has_tokens = memchr(text, '<', len) != NULL;

	*changed = 0;
	for (int t = 0; t < PII__COUNT; t++)
		enabled[t] = rules->action[t] != PII_ACT_OFF;
	if ((has_tokens && token_view(text, len, &view) != 0) ||
	    pii_scan_regions(e, view != NULL ? view : text, len, enabled,
	    rules->phone_regions, &m) != 0) {
		free(view);
		pii_matches_free(&m);
		return -1;
	}
	free(view);
	out->len = 0;
	for (size_t i = 0; i < m.n && rc == 0; i++) {
		const struct pii_match *x = &m.v[i];
		const char *val = text + x->start;
		size_t vl = x->end - x->start, at;
		int act = rules->action[x->type];

		if (allowed(rules, val, vl) ||
		    (has_tokens && on_token(text, len, x->start, x->end)))
			continue;
		count(v, x->type, act, first);
		if (act != PII_ACT_REDACT && act != PII_ACT_PSEUDONYMIZE)
			continue;
		rc |= pii_buf_add(out, text + pos, x->start - pos);
		at = out->len;
		if (act == PII_ACT_REDACT) {
			const char *name = pii_type_name(x->type);

			rc |= pii_buf_add(out, "[", 1);
			rc |= pii_buf_add(out, name, strlen(name));
			rc |= pii_buf_add(out, "]", 1);
		} else {
			const struct pii_entry *ent = NULL;
			char *form;
			size_t fl;

			if (pii_detection_form(e, val, vl, &form, &fl) == 0)
				ent = form != NULL ? vault_token(v, h, team,
				    x->type, val, vl, form, fl) :
				    vault_token(v, h, team, x->type, val, vl,
				    val, vl);
			if (form != NULL)
				OPENSSL_cleanse(form, fl);
			free(form);
			if (ent == NULL)
				rc = -1;
			else
				rc |= pii_buf_add(out, ent->token,
				    ent->token_len);
		}
		if (put != NULL)
			rc |= spans_add(put, at, out->len);
		pos = x->end;
		*changed = 1;
	}
	if (rc == 0 && *changed)
		rc = pii_buf_add(out, text + pos, len - pos);
	pii_matches_free(&m);
	return rc == 0 ? 0 : -1;
}

/*
 * How far a detector looks around what it finds: the context words (64
 * bytes before, 32 after), lookbehinds, and the value itself. A window
 * this wide around each new token, widened to whitespace, holds every
 * finding that the token could have made appear.
 */
#define RECHECK_REACH 160
#define RECHECK_WIDEN 64

static int
space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/*
 * 1 when a scan of the windows around the tokens of the first pass
 * finds something the rules would act on (or cannot tell): then the
 * whole text is scanned again. A value cut at a window's edge may look
 * like a finding; that only costs the full scan.
 */
static int
recheck(struct pii_engine *e, const struct pii_vault *v,
    const struct pii_rules *rules, const char *text, size_t len,
    const struct spans *put)
{
	unsigned char enabled[PII__COUNT];
	size_t i = 0;
	char *view = NULL;
	const char *scan;
	int act_on = 0;

	for (int t = 0; t < PII__COUNT; t++)
		enabled[t] = rules->action[t] != PII_ACT_OFF;
	if (token_view(text, len, &view) != 0)
		return 1;	/* cannot tell: the whole text again */
	scan = view != NULL ? view : text;
	while (i < put->n && !act_on) {
		struct pii_matches m = { NULL, 0, 0 };
		size_t ws = put->v[i][0], we = put->v[i][1], lim;

		ws = ws > RECHECK_REACH ? ws - RECHECK_REACH : 0;
		we = we + RECHECK_REACH < len ? we + RECHECK_REACH : len;
		/* Later tokens close enough share the window. */
		while (++i < put->n && put->v[i][0] <= we)
			we = put->v[i][1] + RECHECK_REACH < len ?
			    put->v[i][1] + RECHECK_REACH : len;
		lim = ws > RECHECK_WIDEN ? ws - RECHECK_WIDEN : 0;
		while (ws > lim && !space(text[ws - 1]))
			ws--;
		lim = we + RECHECK_WIDEN < len ? we + RECHECK_WIDEN : len;
		while (we < lim && !space(text[we]))
			we++;
		/* Never split a UTF-8 character. */
		while (ws > 0 && ((unsigned char)text[ws] & 0xC0) == 0x80)
			ws--;
		while (we < len && ((unsigned char)text[we] & 0xC0) == 0x80)
			we++;
		if (pii_scan_regions(e, scan + ws, we - ws, enabled,
		    rules->phone_regions, &m) != 0) {
			pii_matches_free(&m);
			act_on = 1;
			break;
		}
		for (size_t k = 0; k < m.n && !act_on; k++) {
			const struct pii_match *x = &m.v[k];
			int type = x->type, act = rules->action[type];

			if (allowed(rules, text + ws + x->start,
			    x->end - x->start) || on_token(text + ws, we - ws,
			    x->start, x->end))
				continue;
			act_on = act == PII_ACT_REDACT ||
			    act == PII_ACT_PSEUDONYMIZE ||
			    (act == PII_ACT_BLOCK && v->blocked[type] == 0) ||
			    v->counts[type] == 0;
		}
		pii_matches_free(&m);
	}
	free(view);
	return act_on;
}

/*
 * Rewriting can reveal a value its neighbour hid (a phone number glued
 * to an address): the result must hold nothing a detector would still
 * find. One full pass rewrites; the neighbourhoods of its tokens are
 * scanned again, and only when that finds something is the whole text
 * scanned again, until nothing changes.
 */
#define PII_MAX_PASSES 8

int
pii_apply(struct pii_engine *e, struct pii_vault *v, struct keys_hmac *h,
    const char *team, const struct pii_rules *rules, const char *text,
    size_t len, struct pii_buf *out, int *changed)
{
	struct pii_buf cur = { NULL, 0, 0 };
	struct spans put = { NULL, 0, 0 };
	int ch = 0, rc, pass;

	*changed = 0;
	rc = apply_once(e, v, h, team, rules, text, len, 1, out, &put, &ch);
	if (rc != 0 || !ch || !recheck(e, v, rules, out->p, out->len, &put)) {
		*changed = rc == 0 && ch;
		free(put.v);
		return rc;
	}
	free(put.v);
	*changed = 1;
	for (pass = 1; pass < PII_MAX_PASSES; pass++) {
		cur.len = 0;
		if (pii_buf_add(&cur, out->p, out->len) != 0) {
			rc = -1;
			break;
		}
		rc = apply_once(e, v, h, team, rules, cur.p, cur.len, 0, out,
		    NULL, &ch);
		if (rc != 0 || !ch)
			break;
	}
	if (rc == 0 && pass == PII_MAX_PASSES)
		rc = -1;	/* still changing: fail closed */
	if (rc == 0 && !ch) {
		out->len = 0;
		rc = pii_buf_add(out, cur.p, cur.len);
	}
	pii_buf_free(&cur);
	return rc;
}

static const struct pii_entry *
issued(const struct pii_vault *v, const char *p, size_t n)
{
	size_t tl = token_shape(p, n);

	if (tl == 0)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i].token_len == tl &&
		    memcmp(v->v[i].token, p, tl) == 0)
			return &v->v[i];
	return NULL;
}

/*
 * 1 when position i of text is inside a URL or a markdown link target:
 * restoring there could send the value to a third party.
 */
static int
in_url(const char *text, size_t i)
{
	size_t k = i;

	while (k > 0 && text[k - 1] != ' ' && text[k - 1] != '\n' &&
	    text[k - 1] != '\t' && text[k - 1] != '"' && text[k - 1] != '\'')
		k--;
	for (size_t j = k; j + 2 < i; j++) {
		if (memcmp(text + j, "://", 3) == 0)
			return 1;
		if (j + 4 <= i && strncmp(text + j, "www.", 4) == 0)
			return 1;
		if (text[j] == ']' && text[j + 1] == '(')
			return 1;
	}
	/* A link target with spaces: "](" before, no ")" in between. */
	for (size_t j = i; j > 0 && i - j < 2048; j--) {
		if (text[j - 1] == ')' || text[j - 1] == '\n')
			break;
		if (j >= 2 && text[j - 2] == ']' && text[j - 1] == '(')
			return 1;
	}
	return 0;
}

static int
add_escaped(struct pii_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[6] = { '\\', 'u', '0', '0', 0, 0 };

		if (c == '"' || c == '\\') {
			char q[2] = { '\\', (char)c };

			rc = pii_buf_add(out, q, 2);
		} else if (c < 0x20) {
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			rc = pii_buf_add(out, e, 6);
		} else {
			rc = pii_buf_add(out, (const char *)&s[i], 1);
		}
	}
	return rc;
}

size_t
pii_restore(const struct pii_vault *v, const char *text, size_t start,
    size_t len, int json, int guard_urls, struct pii_buf *out)
{
	size_t pos = start, n = 0;
	const char *p;

	if (v->n == 0 || start >= len) {
		if (start < len)
			pii_buf_add(out, text + start, len - start);
		return 0;
	}
	for (p = memchr(text + start, '<', len - start); p != NULL;) {
		size_t at = (size_t)(p - text);
		const struct pii_entry *e = issued(v, p, len - at);

		if (e != NULL && !(guard_urls && in_url(text, at))) {
			pii_buf_add(out, text + pos, at - pos);
			if (json)
				add_escaped(out, e->value, e->value_len);
			else
				pii_buf_add(out, e->value, e->value_len);
			pos = at + e->token_len;
			n++;
		}
		if (at + 1 >= len)
			break;
		p = memchr(text + at + 1, '<', len - at - 1);
	}
	pii_buf_add(out, text + pos, len - pos);
	return n;
}

/* 1 when s (n bytes) is a proper prefix of an issued token. */
static int
token_prefix(const struct pii_vault *v, const char *s, size_t n)
{
	for (size_t i = 0; i < v->n; i++)
		if (n < v->v[i].token_len && memcmp(v->v[i].token, s, n) == 0)
			return 1;
	return 0;
}

size_t
pii_restore_stream(const struct pii_vault *v, struct pii_stream_field *f,
    const char *delta, size_t len, int final, int json, struct pii_buf *out)
{
	struct pii_buf s = { NULL, 0, 0 };
	size_t cut, restored, head = f->tail_len, keep;

	/* The text: the last bytes sent, what was held, the new delta. */
	pii_buf_add(&s, f->tail, f->tail_len);
	pii_buf_add(&s, f->carry.p ? f->carry.p : "", f->carry.len);
	pii_buf_add(&s, delta, len);
	if (s.p == NULL)
		return 0;
	f->carry.len = 0;
	cut = s.len;
	if (!final && v->n > 0) {
		/* Hold the longest tail that could still become a token. */
		size_t from = s.len > v->max_token_len ?
		    s.len - v->max_token_len : 0;

		if (from < head)
			from = head;
		for (size_t i = from; i < s.len; i++) {
			if (s.p[i] == '<' && token_prefix(v, s.p + i,
			    s.len - i)) {
				cut = i;
				break;
			}
		}
	}
	restored = pii_restore(v, s.p, head, cut, json, 1, out);
	if (cut < s.len)
		pii_buf_add(&f->carry, s.p + cut, s.len - cut);
	/* Remember what was sent as context for the next delta. */
	keep = cut < sizeof(f->tail) ? cut : sizeof(f->tail);
	memcpy(f->tail, s.p + cut - keep, keep);
	f->tail_len = keep;
	pii_buf_free(&s);
	return restored;
}

void
pii_stream_field_cleanup(struct pii_stream_field *f)
{
	pii_buf_free(&f->carry);
	OPENSSL_cleanse(f->tail, sizeof(f->tail));
	f->tail_len = 0;
}
