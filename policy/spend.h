/*
 * Spend arithmetic: what an endpoint is charged for, the effective rate of
 * a model at an upstream in one currency, the cost of a usage, the
 * reservation plan (worst case, fit into budgets, lower max_tokens when
 * that makes it fit), and the one reader of the numbers a client gives
 * that the worst case depends on (n, max_tokens). Pure: integers only, no
 * clock, no I/O.
 */
#ifndef POLICY_SPEND_H
#define POLICY_SPEND_H

#include <stdint.h>

#include <jansson.h>

#include "policy/conf.h"
#include "policy/money.h"
#include "policy/prices.h"

/* How an operation is charged (its row in policy/endpoint.c says). */
enum spend_kind {
	SPEND_NONE,		/* free to the gateway: files, models, jobs */
	SPEND_TOKENS,		/* input and output tokens: chat, FIM */
	SPEND_INPUT,		/* input tokens: embeddings, moderation */
	SPEND_PAGES,		/* OCR pages */
	SPEND_AUDIO,		/* transcription: audio seconds */
	SPEND_CHARS,		/* speech: characters of the input text */
	SPEND_BATCH,		/* a batch job: the worst case of its lines,
				 * at the batch price */
};

/* One currency's effective price for one model at one upstream. */
struct rate {
	int ok;			/* the price is known */
	int64_t in, out, cached;	/* micro-units per 1M tokens */
	int64_t page, minute;	/* micro-units per page, per minute */
	int64_t num, den;	/* factor on the total (regional, batch) */
	int64_t chars;		/* micro-units per 1M characters */
	int64_t page_annotated;	/* per annotated page; 0: as page */
};

/* What a request used, or at worst may use. */
struct spend_units {
	int64_t prompt;		/* input tokens, cached ones included */
	int64_t cached;		/* of which prompt-cache hits */
	int64_t completion;	/* output tokens */
	int64_t pages;
	int64_t audio_seconds;
	int64_t chars;		/* speech input characters */
};

/*
 * The rate of model at upstream u in currency cur for an endpoint of kind.
 * rate->ok is 0 when the table has no such price.
 */
void spend_rate(const struct price_table *t, const struct upstream_conf *u,
    const char *model, int kind, int cur, struct rate *out);

/* The cost of units at rate, rounded up to the micro-unit; -1 on overflow. */
int spend_cost(const struct rate *r, const struct spend_units *u,
    int64_t *out);
/* Multiplies the rate by factor (micro-units: 500000 = x0.5), rounded up;
 * -1 when the factor is out of bounds. */
int spend_rate_scale(struct rate *r, int64_t factor);

/*
 * A whole number the client gave (n, max_tokens), read the way the
 * upstream's validation (pydantic, lax mode) reads it: a JSON integer, a
 * float without fraction (20.0, 2e1), or a string of one (" 20", "20.0").
 * Returns 0 and sets *out; 1 when v is NULL or null (absent); -1 when it
 * is anything else (a fraction, a boolean, "abc", an exponent in a
 * string) or outside [min, max].
 */
int spend_json_count(const json_t *v, int64_t min, int64_t max,
    int64_t *out);

/*
 * The number of pages an OCR "pages" string lists: "0,1,2", "0-5",
 * "0,2-4" (ranges inclusive). Returns the count (saturated at max), or
 * -1 when the string is not such a list.
 */
int64_t spend_page_list(const char *s, size_t len, int64_t max);

/* The worst case of a request, its rates, and the reservation. */
struct spend_plan {
	struct rate rate[CUR__COUNT];
	struct spend_units est;	/* worst case; completion may be lowered */
	int clamp;		/* lowering est.completion is allowed */
	int clamped;		/* out: est.completion was lowered */
	int64_t reserved[CUR__COUNT];	/* out; -1 when not priced */
	int64_t choices;	/* est.completion is choices x the output of
				 * one choice (n); 0 is read as 1 */
};

/*
 * Fits the plan into n budgets: avail[i] is what budget i (in currency
 * cur[i]) has left. Fills reserved[]; lowers est.completion when needed
 * and allowed, per choice: to choices x k tokens, k at least 1. Returns
 * -1 when it fits, else the index of the first budget that refuses.
 */
int spend_plan_fit(struct spend_plan *p, const int64_t *avail, const int *cur,
    int n);

#endif
