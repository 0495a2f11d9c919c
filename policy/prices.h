/*
 * The price table (conf/prices.ini): list prices per model in EUR and USD,
 * the regional factor, and internal prices of self-hosted upstreams. Pure:
 * the caller reads the file; the table is immutable once parsed and lives
 * in the configuration snapshot.
 */
#ifndef POLICY_PRICES_H
#define POLICY_PRICES_H

#include <stddef.h>
#include <stdint.h>

#include "policy/money.h"

/* Prices of one model (or of every model of an upstream), micro-units. */
struct model_price {
	char *name;
	char **aliases;
	size_t n_aliases;
	int64_t in[2], out[2], cached[2];	/* per 1M tokens, by currency */
	int64_t page[2];			/* per page (OCR) */
	int64_t page_annotated[2];		/* per annotated page */
	int64_t minute[2];			/* per audio minute */
	int64_t chars[2];			/* per 1M characters (speech) */
	unsigned char has_tokens[2];		/* input and output set */
	unsigned char has_cached[2];
	unsigned char has_page[2];
	unsigned char has_page_annotated[2];
	unsigned char has_minute[2];
	unsigned char has_chars[2];
	int64_t context;			/* context window, tokens */
	int64_t max_output;			/* output cap; 0 = context */
	int line;
};

struct price_table {
	char *date;
	int64_t regional_factor;	/* micro-units: 1100000 = x1.1 */
	int64_t batch_factor;
	int64_t priority_factor;	/* service_tier priority, list and
					 * regional prices */
	int64_t cached_input_factor;
	struct model_price *models;
	size_t n_models;
	struct model_price *upstreams;	/* [upstream NAME]: own prices */
	size_t n_upstreams;
};

/* conf/prices.ini, compiled in (prices_builtin.c is generated). */
extern const char prices_builtin[];

/*
 * Parses the text of a price table. On error returns -1 and writes
 * "LINE: message" into err. *out belongs to the caller (prices_free).
 */
int prices_parse(const char *text, struct price_table **out, char *err,
    size_t errlen);
void prices_free(struct price_table *t);

/* A model by name or alias, or NULL. Returned pointers live as long as t. */
const struct model_price *prices_model(const struct price_table *t,
    const char *model);
/* The [upstream NAME] section, or NULL. */
const struct model_price *prices_upstream(const struct price_table *t,
    const char *name);

#endif
