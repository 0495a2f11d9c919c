/* E-mail addresses, from their '@'. */
#include <string.h>

#include "policy/pii_email.h"

static int
alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

/* A byte of a local part or a domain label: ASCII letters and digits,
 * and any byte of a non-ASCII character (internationalized addresses,
 * and letters that are no Latin look-alike must not split an address). */
static int
addr_byte(unsigned char c)
{
	return alnum(c) || c >= 0x80;
}

/* Where the local part before the '@' at a starts, or a. */
static size_t
local_start(const char *t, size_t a)
{
	size_t l = a;

	/* A quoted local part: "john doe"@example.com. */
	if (a > 1 && t[a - 1] == '"') {
		for (l = a - 1; l > 0 && a - l < 66; l--) {
			if (t[l - 1] == '\n')
				break;
			if (t[l - 1] == '"')
				return l < a - 1 ? l - 1 : a;
		}
		return a;
	}
	while (l > 0 && (addr_byte((unsigned char)t[l - 1]) ||
	    (t[l - 1] != '\0' && strchr("._%+'-=!#$&*/?^`{|}~", t[l - 1]) !=
	    NULL)) && a - l < 64)
		l--;
	/* Never start inside a character, nor on punctuation. */
	while (l < a && (((unsigned char)t[l] & 0xC0) == 0x80 ||
	    strchr("._%+'-=!#$&*/?^`{|}~", t[l]) != NULL))
		l++;
	return l;
}

/*
 * The end of the top-level domain [d, r): ASCII letters (what follows
 * them without a break, "example.com日本", is not part of it), a Unicode
 * label, or a punycode one. Returns the end, or 0.
 */
static size_t
tld_end(const char *t, size_t d, size_t r)
{
	size_t k = d;

	if (r - d >= 6 && strncmp(t + d, "xn--", 4) == 0) {
		for (k = d + 4; k < r; k++)
			if (!alnum((unsigned char)t[k]) && t[k] != '-')
				return 0;
		return r;
	}
	while (k < r && (t[k] | 32) >= 'a' && (t[k] | 32) <= 'z')
		k++;
	if (k > d) {
		if (k - d < 2 || k - d > 24 || (k < r &&
		    (unsigned char)t[k] < 0x80))
			return 0;
		return k;
	}
	/* Letters of another script only. */
	for (; k < r; k++)
		if ((unsigned char)t[k] < 0x80)
			return 0;
	return r - d >= 2 ? r : 0;
}

int
pii_email_scan(const char *t, size_t len, struct pii_matches *out)
{
	const char *at = memchr(t, '@', len);

	while (at != NULL) {
		size_t a = (size_t)(at - t), l = local_start(t, a), r = a + 1;
		size_t dot = 0, label = 0, e;

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
		e = dot > 0 ? tld_end(t, dot + 1, r) : 0;
		if (l < a && t[a - 1] != '.' && e != 0 && e - l <= 254 &&
		    pii_matches_push(out, l, e, PII_EMAIL) != 0)
			return -1;
		at = a + 1 < len ? memchr(t + a + 1, '@', len - a - 1) : NULL;
	}
	return 0;
}
