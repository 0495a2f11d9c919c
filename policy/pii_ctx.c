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
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z') ||
	    c >= 0x80;
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

	memcpy(buf, text + from, n);
	buf[n] = '\0';
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
	for (size_t i = 0; i < n; i++) {
		if (b[i] >= 'A' && b[i] <= 'Z')
			b[i] = (unsigned char)(b[i] + 32);
		else if ((b[i] == 0xC3 || b[i] == 0xC4 || b[i] == 0xC5) &&
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
	size_t from = start > PII_CTX_BEFORE ? start - PII_CTX_BEFORE : 0;
	size_t to = end + PII_CTX_AFTER < len ? end + PII_CTX_AFTER : len;

	if (end > len)
		end = len;
	if (start > end)
		start = end;
	x->nb = copy_window(text, from, start, x->before);
	x->na = end < to ? copy_window(text, end, to, x->after) : 0;
	x->after[x->na] = '\0';
}

void
pii_words_build(struct pii_words *w, const char *const *words)
{
	size_t n = 0;

	memset(w, 0, sizeof(*w));
	w->words = words;
	while (words[w->n] != NULL && w->n < PII_WORDS_MAX) {
		size_t l = strlen(words[w->n]);

		w->len[w->n] = (unsigned char)(l < 255 ? l : 255);
		w->n++;
	}
	for (int b = 0; b < 256; b++) {
		w->start[b] = (unsigned short)n;
		for (size_t i = 0; i < w->n; i++) {
			if ((unsigned char)words[i][0] != b)
				continue;
			w->order[n++] = (unsigned short)i;
		}
		w->count[b] = (unsigned short)(n - w->start[b]);
	}
}

/*
 * The words of w at buf[i], from the index k on: returns the index of the
 * next one, or -1. Words of up to four bytes must be whole words, words
 * of up to seven start one.
 */
static int
word_at(const struct pii_words *w, const char *buf, size_t n, size_t i,
    int *k)
{
	unsigned char b = (unsigned char)buf[i];

	if (*k < w->start[b])
		*k = w->start[b];
	for (; *k < w->start[b] + w->count[b]; (*k)++) {
		int idx = w->order[*k];
		size_t wl = w->len[idx];
		const char *word = w->words[idx];

		if (wl > n - i || memcmp(buf + i + 1, word + 1, wl - 1) != 0)
			continue;
		if (wl <= 7 && i > 0 && word_byte((unsigned char)buf[i - 1]) &&
		    word_byte((unsigned char)word[0]))
			continue;
		if (wl <= 4 && i + wl < n &&
		    word_byte((unsigned char)buf[i + wl]) &&
		    word_byte((unsigned char)word[wl - 1]))
			continue;
		(*k)++;
		return idx;
	}
	return -1;
}

int
pii_words_in(const struct pii_words *w, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int k = 0;

		if (w->count[(unsigned char)buf[i]] != 0 &&
		    word_at(w, buf, n, i, &k) >= 0)
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
		for (size_t i = 0; i < lens[j] && k < max; i++) {
			int idx, at = 0;
			size_t longest = 0;

			if (w->count[(unsigned char)bufs[j][i]] == 0)
				continue;
			while (k < max && (idx = word_at(w, bufs[j], lens[j], i,
			    &at)) >= 0) {
				found[k++] = idx;
				if (w->len[idx] > longest)
					longest = w->len[idx];
			}
			/* A word inside a longer one ("passnummer" in
			 * "reisepassnummer") is not read again. */
			if (longest > 1)
				i += longest - 1;
		}
	}
	return k;
}
