/*
 * IP addresses: IPv4 dotted quads (each part at most 255) and IPv6 in
 * every form inet_pton(3) reads (compressed, IPv4-mapped, with a zone).
 * Version strings ("v1.2.3.4", "version 10.0.0.1") are none; loopback and
 * unspecified addresses, short IPv6 forms ("::8", "12::1") and parts
 * written with leading zeros count only next to an IP word ("IP address",
 * "IPv6", "localhost", "adresse IP", ...). Pure code: built once, then
 * only read.
 */
#ifndef POLICY_PII_IP_H
#define POLICY_PII_IP_H

#include <stddef.h>

#include "policy/pii.h"

struct pii_ip;

/* NULL when out of memory. */
struct pii_ip *pii_ip_new(void);
void pii_ip_free(struct pii_ip *x);

/* Appends the IP addresses of text (len bytes) to out. Returns 0, or -1
 * when out of memory. Linear in len. */
int pii_ip_scan(const struct pii_ip *x, const char *text, size_t len,
    struct pii_matches *out);

#endif
