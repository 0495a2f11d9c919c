/*
 * E-mail addresses, internationalized ones included: found from their
 * '@'; a dot-atom or quoted local part (UTF-8 allowed), then domain labels
 * in ASCII, Unicode or punycode ("xn--"), and a top-level domain of
 * letters (ASCII, Unicode or punycode): "lodash@4.17.21" is no address.
 * Pure code.
 */
#ifndef POLICY_PII_EMAIL_H
#define POLICY_PII_EMAIL_H

#include <stddef.h>

#include "policy/pii.h"

/* Appends the addresses of text (len bytes) to out. Returns 0, or -1 when
 * out of memory. Linear in len. */
int pii_email_scan(const char *text, size_t len, struct pii_matches *out);

#endif
