/*
 * The worst case of a request (the spend module of the policy chain,
 * POLICY_ROUTE): policy_req.spend after the phase. These helpers serve
 * the gateway's reservation and settlement.
 */
#ifndef POLICY_SPEND_ESTIMATE_H
#define POLICY_SPEND_ESTIMATE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/* Counts what a body references that may fill a prompt: images, and
 * documents or files (pure; runs where the body is parsed). */
void spend_scan(const char *raw, size_t len, int64_t *images,
    int64_t *documents);

/* The rate of the estimated request at upstream u in currency cur: the
 * model's, at the annotated page price, at the batch price, at the
 * priority price when priority. r->ok 0 when it is not priced. */
void spend_estimate_rate(const struct spend_estimate *e,
    const struct price_table *prices, const struct upstream_conf *u,
    const char *model, int cur, int priority, struct rate *r);

#endif
