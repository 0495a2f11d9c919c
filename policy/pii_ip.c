/* IP addresses: dotted quads, IPv6 through inet_pton, IP words. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/pii_bytes.h"
#include "policy/pii_ctx.h"
#include "policy/pii_ip.h"

static const char *const ip_words[] = {
	"ip", "ipv4", "ipv6", "ip address", "ip-adresse", "ip-adres",
	"adresse ip", "direcci\xc3\xb3n ip", "indirizzo ip", "adres ip",
	"localhost", "loopback", "host", "server", "client", "gateway",
	"subnet", "netmask", "router", NULL
};

struct pii_ip {
	struct pii_words words;
};

struct pii_ip *
pii_ip_new(void)
{
	struct pii_ip *x = calloc(1, sizeof(*x));

	if (x != NULL)
		pii_words_build(&x->words, ip_words);
	return x;
}

void
pii_ip_free(struct pii_ip *x)
{
	free(x);
}

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
hex(char c)
{
	return digit(c) || ((c | 32) >= 'a' && (c | 32) <= 'f');
}

static int
alnum(char c)
{
	return digit(c) || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static int
ip_word_near(const struct pii_ip *x, const char *t, size_t len, size_t s,
    size_t e)
{
	struct pii_ctx ctx;

	pii_ctx_init_near(&ctx, t, len, s, e, 40, 24);
	return pii_words_find(&x->words, &ctx) >= 0;
}

/* A version string: "v1.2.3.4", "version 10.0.0.1". */
static int
version_before(const char *t, size_t s)
{
	static const char v[] = "version";

	if (s > 0 && (t[s - 1] | 32) == 'v')
		return 1;
	for (size_t k = s > 9 ? s - 9 : 0; k + 7 <= s; k++)
		if (strncasecmp(t + k, v, 7) == 0)
			return 1;
	return 0;
}

/* A dotted quad whose first digit is at s: its end, or 0. *plain is 0
 * when it needs an IP word (leading zeros, loopback, unspecified). */
static size_t
ipv4_at(const char *t, size_t len, size_t s, int *plain)
{
	size_t p = s;
	int lead = 0, value[4];

	for (int part = 0; part < 4; part++) {
		size_t q = p;
		int v = 0;

		while (q < len && digit(t[q]) && q - p < 4)
			v = v * 10 + (t[q++] - '0');
		if (q == p || q - p > 3 || v > 255)
			return 0;
		lead |= q - p > 1 && t[p] == '0';
		value[part] = v;
		p = q;
		if (part < 3) {
			if (p >= len || t[p] != '.')
				return 0;
			p++;
		}
	}
	if (p < len && (digit(t[p]) || (t[p] == '.' && p + 1 < len &&
	    digit(t[p + 1]))))
		return 0;
	*plain = !lead && !(value[0] == 127 && value[1] == 0 &&
	    value[2] == 0 && value[3] == 1) && !(value[0] == 0 &&
	    value[1] == 0 && value[2] == 0 && value[3] == 0);
	return p;
}

/*
 * The IPv6 address around the ':' at c: a run of hex digits, colons and
 * dots (an IPv4 end), an optional zone. Returns its end (its start in
 * *start), or 0; *plain as above (short forms need an IP word). *skip is
 * where the run ends: nothing inside it is an IPv4 address either.
 */
static size_t
ipv6_at(const char *t, size_t len, size_t c, size_t *start, int *plain,
    size_t *skip)
{
	size_t s = c, e = c, n, colons = 0;
	char buf[64];
	struct in6_addr a;

	*skip = c + 1;
	while (s > 0 && (hex(t[s - 1]) || t[s - 1] == ':' || t[s - 1] == '.'))
		s--;
	while (e < len && (hex(t[e]) || t[e] == ':' || t[e] == '.'))
		e++;
	while (e > s && t[e - 1] == '.')
		e--;		/* a sentence's full stop */
	if ((s > 0 && alnum(t[s - 1])) || s == e || t[s] == '.')
		return 0;
	n = e - s;
	if (n < 2 || n >= sizeof(buf))
		return 0;
	memcpy(buf, t + s, n);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		colons += buf[i] == ':';
	if (colons < 2)
		return 0;
	*skip = e;
	if (inet_pton(AF_INET6, buf, &a) != 1)
		return 0;
	if (e < len && t[e] == '%') {
		size_t z = e + 1;

		while (z < len && alnum(t[z]) && z - e <= 15)
			z++;
		if (z == e + 1 || (z < len && alnum(t[z])))
			return 0;	/* a zone that does not end */
		e = z;
	} else if (e < len && alnum(t[e])) {
		return 0;
	}
	*start = s;
	/* Three groups at least, and not the loopback or unspecified
	 * address: "a:b::" style strings are rarely IPs. */
	*plain = memchr(buf, '.', n) != NULL || (colons >= 2 &&
	    strchr(buf, ':') != strrchr(buf, ':') &&
	    strcmp(buf, "::1") != 0 && strcmp(buf, "::") != 0 &&
	    !(buf[0] == ':' && buf[1] == ':' && colons <= 3) &&
	    !(n >= 2 && buf[n - 1] == ':' && buf[n - 2] == ':' &&
	    colons <= 3));
	return e;
}

int
pii_ip_scan(const struct pii_ip *x, const char *t, size_t len,
    struct pii_matches *out)
{
	size_t i = 0, done = 0;

	while ((i = pii_bytes_next(t, i, len, '0', ':')) < len) {
		size_t s = i, e = 0;
		int plain = 0;

		/* Only a digit or a ':' starts an address. */
		if (t[i] == ':' && i >= done) {
			size_t skip;

			e = ipv6_at(t, len, i, &s, &plain, &skip);
			if (e == 0) {
				i = done = skip;
				continue;
			}
		} else if (digit(t[i]) && (i == 0 || (!alnum(t[i - 1]) &&
		    t[i - 1] != '.'))) {
			e = ipv4_at(t, len, i, &plain);
			if (e != 0 && version_before(t, i))
				e = 0;
		}
		if (e == 0) {
			/* Nothing starts inside a run of digits. */
			for (i++; i < len && digit(t[i - 1]) && digit(t[i]);
			    i++)
				;
			continue;
		}
		if ((plain || ip_word_near(x, t, len, s, e)) &&
		    pii_matches_push(out, s, e, PII_IP_ADDRESS) != 0)
			return -1;
		i = done = e;
	}
	return 0;
}
