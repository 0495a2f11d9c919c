/*
 * PERSON triggers: salutations, self-introductions ("my name is", "ich
 * heiße", "je m'appelle", ...) and letter closings in the languages eugate
 * serves, after which a name follows. Built once, then only read.
 */
#ifndef POLICY_PII_TRIGGERS_H
#define POLICY_PII_TRIGGERS_H

#include <stddef.h>

struct pii_matches;
struct pii_names;
struct pii_triggers;

/* NULL when out of memory. */
struct pii_triggers *pii_triggers_new(void);
void pii_triggers_free(struct pii_triggers *x);

/*
 * At a word start i of t (len bytes): when a trigger starts there and a
 * name follows it, appends the name to out as PERSON. nm (not owned) reads
 * a name written in lower case. Returns 0, or -1 when out of memory.
 */
int pii_triggers_at(const struct pii_triggers *x, const struct pii_names *nm,
    const char *t, size_t len, size_t i, struct pii_matches *out);

#endif
