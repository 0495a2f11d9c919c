/* Context words around PII candidates: windows and word lists. */
#include <string.h>

#include "policy/pii_ctx.h"

const char *const pii_negative_words[] = {
	"order", "invoice", "ticket", "tracking", "sku", "serial", "isbn",
	"ean", "article", "artikel", "product", "produkt", "bestell",
	"rechnung", "auftrag", "lieferschein", "commande", "facture",
	"pedido", "factura", "ordine", "fattura", "bestelling", "factuur",
	"zam\xc3\xb3wieni", "zamowieni", "faktur", "version", "build",
	"commit", "timestamp", "epoch", "reference", "referenz", "booking",
	"buchung", "parcel", "paket", "sendung", "colis", "case #", "ref.",
	NULL
};

static int
word_byte(unsigned char c)
{
	return (unsigned char)(c - '0') < 10 ||
	    (unsigned char)((c | 32) - 'a') < 26 || c >= 0x80;
}

/* Lower-cases a two-byte UTF-8 letter of Latin-1 and Latin Extended-A in
 * place (p[0] is its lead byte). */
static void
fold2(unsigned char *p)
{
	unsigned cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);

	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
		cp += 0x20;
	else if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177))
		cp |= 1;
	else if (((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 &&
	    cp <= 0x17E)) && (cp & 1))
		cp++;
	else
		return;
	p[0] = (unsigned char)(0xC0 | (cp >> 6));
	p[1] = (unsigned char)(0x80 | (cp & 0x3F));
}

/*
 * Copies text[from, to) into buf, lower-cased, with pseudonym tokens
 * ("<PHONE_X2Y3Z4>") blanked out: a token's type name is no context word,
 * or a second pass over pseudonymized text would find what the first did
 * not.
 */
static size_t
copy_window(const char *text, size_t from, size_t to, char *buf)
{
	size_t n = to - from;
	unsigned char *b = (unsigned char *)buf;

	const char *lt = memchr(text + from, '<', n);

	memcpy(buf, text + from, n);
	buf[n] = '\0';
	for (size_t i = lt != NULL ? (size_t)(lt - text - from) : n; i < n;
	    i++) {
		size_t k = i + 1;

		if (buf[i] != '<')
			continue;
		while (k < n && ((buf[k] >= 'A' && buf[k] <= 'Z') ||
		    (buf[k] >= '0' && buf[k] <= '9') || buf[k] == '_'))
			k++;
		if (k < n && buf[k] == '>' && k - i > 8)
			memset(buf + i, ' ', k - i + 1);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];

		if (c < 0x80) {		/* the common case, no branch */
			b[i] = (unsigned char)(c + (((unsigned char)(c - 'A') <
			    26) << 5));
		} else if ((c == 0xC3 || c == 0xC4 || c == 0xC5) &&
		    i + 1 < n && (b[i + 1] & 0xC0) == 0x80) {
			fold2(b + i);
			i++;
		}
	}
	return n;
}

void
pii_ctx_init(struct pii_ctx *x, const char *text, size_t len, size_t start,
    size_t end)
{
	pii_ctx_init_near(x, text, len, start, end, PII_CTX_BEFORE,
	    PII_CTX_AFTER);
}

void
pii_ctx_init_near(struct pii_ctx *x, const char *text, size_t len,
    size_t start, size_t end, size_t before, size_t after)
{
	size_t from, to;

	if (before > PII_CTX_BEFORE)
		before = PII_CTX_BEFORE;
	if (after > PII_CTX_AFTER)
		after = PII_CTX_AFTER;
	from = start > before ? start - before : 0;
	to = end + after < len ? end + after : len;

	if (end > len)
		end = len;
	if (start > end)
		start = end;
	x->nb = copy_window(text, from, start, x->before);
	x->na = end < to ? copy_window(text, end, to, x->after) : 0;
	x->after[x->na] = '\0';
}

static unsigned
bucket(const char *p)
{
	return ((unsigned char)p[0] * 961u + (unsigned char)p[1] * 31u +
	    (unsigned char)p[2]) % PII_WORDS_BUCKETS;
}

/* The first two bytes of p as a number. */
static unsigned
pair(const char *p)
{
	return (unsigned)(unsigned char)p[0] << 8 | (unsigned char)p[1];
}

/* A hash of the first three bytes of p, 16 bits. */
static unsigned
tri(const char *p)
{
	return ((pair(p) << 8 | (unsigned char)p[2]) * 2654435761u) >> 16;
}

static void
bit_set(unsigned char *bits, unsigned k)
{
	bits[k >> 3] |= (unsigned char)(1u << (k & 7));
}

static int
bit_get(const unsigned char *bits, unsigned k)
{
	return bits[k >> 3] >> (k & 7) & 1;
}

/* Words of eight bytes and more are found inside words too. */
#define LONG_WORD 8

static void
index_build(struct pii_words_index *x, const struct pii_words *w,
    size_t min_len)
{
	size_t n = 0;

	/* Counting sort of the words by bucket. */
	for (size_t i = 0; i < w->n; i++)
		if (w->len[i] >= min_len)
			x->count[bucket(w->words[i])]++;
	for (unsigned b = 0; b < PII_WORDS_BUCKETS; b++) {
		x->start[b] = (unsigned short)n;
		n += x->count[b];
		x->count[b] = 0;
	}
	for (size_t i = 0; i < w->n; i++) {
		unsigned b;

		if (w->len[i] < min_len)
			continue;
		b = bucket(w->words[i]);
		x->order[x->start[b] + x->count[b]++] = (unsigned short)i;
	}
}

void
pii_words_build(struct pii_words *w, const char *const *words)
{
	memset(w, 0, sizeof(*w));
	w->words = words;
	while (words[w->n] != NULL && w->n < PII_WORDS_MAX) {
		size_t l = strlen(words[w->n]);

		w->len[w->n] = (unsigned char)(l < 255 ? l : 255);
		if (l == 2 && w->n_two < sizeof(w->two) / sizeof(w->two[0]))
			w->two[w->n_two++] = (unsigned short)w->n;
		w->n++;
	}
	index_build(&w->starts, w, 3);
	index_build(&w->inside, w, LONG_WORD);
	for (int c = 0; c < 256; c++)
		w->word[c] = (unsigned char)word_byte((unsigned char)c);
	for (size_t i = 0; i < w->n; i++) {
		const char *word = w->words[i];

		if (w->len[i] == 2)
			bit_set(w->two_bits, pair(word));
		else if (w->len[i] > 2)
			bit_set(w->start_bits, tri(word));
		if (w->len[i] >= LONG_WORD)
			bit_set(w->inside_bits, tri(word));
	}
}

/* A word of length wl at buf[i] ends there as a whole word when short. */
static int
fits(const char *buf, size_t n, size_t i, const char *word, size_t wl)
{
	return !(wl <= 4 && i + wl < n &&
	    word_byte((unsigned char)buf[i + wl]) &&
	    word_byte((unsigned char)word[wl - 1]));
}

/*
 * Appends the indexes of the words of w at buf[i] to found (at most max
 * in all, *k of them already); returns the length of the longest. Words
 * of up to four bytes must be whole words, words of up to seven start
 * one, longer ones may be inside a word (German compounds).
 */
static size_t
words_at(const struct pii_words *w, const char *buf, size_t n, size_t i,
    int *found, size_t max, size_t *k)
{
	const struct pii_words_index *x;
	size_t longest = 0;
	int start = i == 0 || !word_byte((unsigned char)buf[i - 1]) ||
	    !word_byte((unsigned char)buf[i]);

	if (i + 1 >= n)
		return 0;
	for (size_t j = 0; start && j < w->n_two && *k < max; j++) {
		const char *word = w->words[w->two[j]];

		if (word[0] == buf[i] && word[1] == buf[i + 1] &&
		    fits(buf, n, i, word, 2)) {
			found[(*k)++] = w->two[j];
			longest = 2;
		}
	}
	if (i + 2 >= n)
		return longest;
	x = start ? &w->starts : &w->inside;
	{
		unsigned b = bucket(buf + i);

		for (int o = x->start[b]; o < x->start[b] + x->count[b] &&
		    *k < max; o++) {
			int idx = x->order[o];
			size_t wl = w->len[idx];
			const char *word = w->words[idx];

			if (wl > n - i || word[0] != buf[i] ||
			    word[1] != buf[i + 1] || word[2] != buf[i + 2] ||
			    memcmp(buf + i + 3, word + 3, wl - 3) != 0 ||
			    !fits(buf, n, i, word, wl))
				continue;
			found[(*k)++] = idx;
			if (wl > longest)
				longest = wl;
		}
	}
	return longest;
}

int
pii_words_in(const struct pii_words *w, const char *buf, size_t n)
{
	int found;

	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		words_at(w, buf, n, i, &found, 1, &k);
		if (k > 0)
			return 1;
	}
	return 0;
}

int
pii_words_find(const struct pii_words *w, const struct pii_ctx *x)
{
	int found;

	return pii_words_all(w, x, &found, 1) > 0 ? found : -1;
}

size_t
pii_words_all(const struct pii_words *w, const struct pii_ctx *x,
    int *found, size_t max)
{
	const char *bufs[2] = { x->before, x->after };
	size_t lens[2] = { x->nb, x->na }, k = 0;

	for (int j = 0; j < 2; j++) {
		const unsigned char *b = (const unsigned char *)bufs[j];

		int prev = 0;	/* word_byte(b[i - 1]) */

		for (size_t i = 0; i + 1 < lens[j] && k < max; i++) {
			size_t longest;
			const char *p = bufs[j] + i;
			int cur = w->word[b[i]], start = !prev || !cur;

			/* What words_at() would find, in the common case
			 * nothing. */
			prev = cur;
			if (start) {
				if (!bit_get(w->two_bits, pair(p)) &&
				    (i + 2 >= lens[j] ||
				    !bit_get(w->start_bits, tri(p))))
					continue;
			} else if (i + 2 >= lens[j] ||
			    !bit_get(w->inside_bits, tri(p)))
				continue;
			longest = words_at(w, bufs[j], lens[j], i, found, max,
			    &k);

			/* A word inside a longer one ("passnummer" in
			 * "reisepassnummer") is not read again. */
			if (longest > 1) {
				i += longest - 1;
				prev = w->word[b[i]];
			}
		}
	}
	return k;
}
