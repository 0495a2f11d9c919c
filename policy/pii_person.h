/*
 * PERSON detection: names of people in free text, found without NER from
 * triggers (salutations, self-introductions, letter closings) and name
 * lists. Built once, then only read: one object may serve many threads.
 */
#ifndef POLICY_PII_PERSON_H
#define POLICY_PII_PERSON_H

#include <stddef.h>

struct pii_matches;
struct pii_person;

/* NULL when out of memory. */
struct pii_person *pii_person_new(void);
void pii_person_free(struct pii_person *p);

/*
 * Appends the PERSON spans of text (UTF-8, len bytes, the detection form
 * of policy/pii.h) to out, in no order and possibly overlapping; the
 * caller resolves overlaps. Returns 0, or -1 when out of memory.
 */
int pii_person_scan(const struct pii_person *p, const char *text,
    size_t len, struct pii_matches *out);

#endif
