/*
 * IP networks in CIDR notation, IPv4 and IPv6 ("10.0.0.0/8",
 * "2001:db8::/32"; an address alone is one host), and whether an address
 * is in one. Pure: no I/O, no allocation.
 */
#ifndef COMMON_CIDR_H
#define COMMON_CIDR_H

#include <stddef.h>

/* The most networks a list holds (a key's IP allowlist). */
#define CIDR_LIST_MAX 16

struct cidr {
	unsigned char addr[16];	/* network bytes: 4 (IPv4) or 16 used */
	unsigned char family;	/* 4 or 6 */
	unsigned char bits;	/* prefix length */
};

/*
 * Parses one network of len bytes at s. A network with host bits set
 * ("10.1.2.3/8") is refused: it says something else than it means.
 * Returns 0, or -1.
 */
int cidr_parse(const char *s, size_t len, struct cidr *out);

/*
 * Parses a comma-separated list (spaces around items are ignored) into
 * out (max entries); *n is how many. Returns 0, or -1 for an item that
 * does not parse, an empty item or more than max; *bad is then the
 * 0-based index of the item at fault.
 */
int cidr_parse_list(const char *s, struct cidr *out, size_t max, size_t *n,
    size_t *bad);

/* 1 when the address (family 4 or 6, 4 or 16 bytes at addr) is in one
 * of the n networks; an IPv4-mapped IPv6 address counts as its IPv4
 * address. */
int cidr_match(const struct cidr *nets, size_t n, int family,
    const unsigned char *addr);

/* Writes a network in its canonical form ("10.0.0.0/8"); returns 0, or
 * -1 when cap is too small (64 is enough). */
int cidr_format(const struct cidr *c, char *out, size_t cap);

#endif
