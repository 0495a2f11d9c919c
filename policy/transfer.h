/*
 * Transfers of personal data outside the EEA (GDPR Chapter V): where an
 * upstream processes (its location, ISO 3166 alpha-2 codes) and the
 * legal basis of sending data there. A table kept in code says which
 * countries are in the EEA and which have an adequacy decision of the
 * European Commission (its source and date are in transfer.c); for
 * those the basis follows from the country, for the others the
 * configuration must state it (transfer = scc | bcr, or adequacy where a
 * decision covers only some recipients, as in the US and Canada).
 */
#ifndef POLICY_TRANSFER_H
#define POLICY_TRANSFER_H

#include <stddef.h>

#include "policy/conf.h"

/* What the table says of a country. */
enum country_status {
	COUNTRY_THIRD,		/* not in the table: a safeguard is needed */
	COUNTRY_EEA,		/* no transfer */
	COUNTRY_ADEQUATE,	/* an adequacy decision for the country */
	COUNTRY_PARTIAL		/* a decision for some recipients only */
};

struct country {
	const char *code;	/* "DE", and "EU" for the Union */
	const char *name;
	int status;		/* enum country_status */
	const char *decision;	/* the adequacy decision, or NULL */
};

/* How one location of an upstream stands. */
enum transfer_verdict {
	TRANSFER_OK,		/* EEA, adequacy, or a stated safeguard */
	TRANSFER_MISSING,	/* no location stated: not known */
	TRANSFER_BAD		/* a third country without a valid basis */
};

/* The source and the date of the table, for reports. */
extern const char transfer_table_source[];
extern const char transfer_table_date[];

/* The table's row for code (two upper-case letters), or NULL; the row is
 * a constant. */
const struct country *transfer_country(const char *code);
/* 1 when code is two upper-case ASCII letters. */
int transfer_code_valid(const char *code);
/* "none", "adequacy", "scc", "bcr" (constants); NULL for TRANSFER_UNSET. */
const char *transfer_name(int transfer);

/*
 * The basis for sending data to country code under the stated transfer
 * (enum transfer): the derived one for the EEA (none) and adequacy
 * countries (adequacy), the stated one elsewhere. Writes its name into
 * basis ("none", "adequacy", "scc", "bcr", or "" when there is none)
 * and returns enum transfer_verdict; why says what is wrong, in words,
 * when it is TRANSFER_BAD (both constants).
 */
int transfer_assess(const char *code, int stated, const char **basis,
    const char **why);

/*
 * The worst verdict over an upstream's locations, and a summary such as
 * "EU (EEA), CH (adequacy decision)" or "US (scc)" or "not stated" in
 * out (truncated to outlen).
 */
int transfer_upstream(const struct upstream_conf *u, char *out,
    size_t outlen);

#endif
