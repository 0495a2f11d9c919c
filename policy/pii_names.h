/* The first-name list of PERSON detection (a lower-recall tier). */
#ifndef POLICY_PII_NAMES_H
#define POLICY_PII_NAMES_H

#include <stddef.h>

/* 1 when w (n bytes, UTF-8, capitalized as listed) is a known first name. */
int pii_is_first_name(const char *w, size_t n);
size_t pii_first_name_count(void);
const char *pii_first_name_at(size_t i);

#endif
