/* IP networks in CIDR notation and address matching (common/cidr.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/cidr.h"

/* 1 when the first bits of a and b are the same. */
static int
prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[whole] ^ b[whole]) & (0xff00 >> rest) & 0xff) == 0;
}

int
cidr_parse(const char *s, size_t len, struct cidr *out)
{
	char host[48];
	const char *slash = memchr(s, '/', len);
	size_t hl = slash ? (size_t)(slash - s) : len;
	int bits, max;

	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = 4;
		max = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = 6;
		max = 128;
	} else {
		return -1;
	}
	bits = max;
	if (slash != NULL) {
		const char *p = slash + 1;
		size_t pl = len - hl - 1;

		if (pl == 0 || pl > 3 || (pl > 1 && p[0] == '0'))
			return -1;
		bits = 0;
		for (size_t i = 0; i < pl; i++) {
			if (p[i] < '0' || p[i] > '9')
				return -1;
			bits = bits * 10 + (p[i] - '0');
		}
		if (bits > max)
			return -1;
	}
	out->bits = (unsigned char)bits;
	/* Host bits: the address past the prefix must be zero. */
	for (int b = bits; b < max; b++)
		if (out->addr[b / 8] & (0x80 >> (b % 8)))
			return -1;
	return 0;
}

int
cidr_parse_list(const char *s, struct cidr *out, size_t max, size_t *n,
    size_t *bad)
{
	*n = 0;
	*bad = 0;
	for (;;) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);

		while (len > 0 && *s == ' ') {
			s++;
			len--;
		}
		while (len > 0 && s[len - 1] == ' ')
			len--;
		*bad = *n;
		if (*n == max || cidr_parse(s, len, &out[*n]) != 0)
			return -1;
		(*n)++;
		if (c == NULL)
			return 0;
		s = c + 1;
	}
}

int
cidr_match(const struct cidr *nets, size_t n, int family,
    const unsigned char *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };

	if (family == 6 && memcmp(addr, mapped, sizeof(mapped)) == 0) {
		family = 4;
		addr += 12;
	}
	for (size_t i = 0; i < n; i++)
		if (nets[i].family == family && prefix_eq(nets[i].addr, addr,
		    nets[i].bits))
			return 1;
	return 0;
}

int
cidr_format(const struct cidr *c, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN];
	int n;

	if (inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, host,
	    sizeof(host)) == NULL)
		return -1;
	n = snprintf(out, cap, "%s/%d", host, c->bits);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}
