/*
 * Rate limits shared by the instances on PostgreSQL: a token bucket per
 * subject and kind (requests, tokens) in rate_buckets, with the
 * arithmetic of policy/ratelimit.c (a full bucket holds one minute's
 * allowance, refilled continuously by the database's clock). A
 * reservation takes its request from every bucket in its transaction,
 * under the rows' locks, so requests per minute hold across instances
 * exactly; tokens are charged with the settlement, as on one instance.
 * A part of the writer's store (storage/pg.h). Not for use outside
 * storage/.
 */
#ifndef STORAGE_PG_RATES_H
#define STORAGE_PG_RATES_H

#include "storage/pg.h"

/* The part's hooks (struct pg_part). */
enum gw_err pg_rates_open(struct pg_store *st, const struct store_conf *conf)
    GW_WUR;
void pg_rates_close(struct pg_store *st);
enum gw_err pg_rates_reload(struct pg_store *st);
enum gw_err pg_rates_begin(struct pg_store *st, const struct store_op *batch)
    GW_WUR;
enum gw_err pg_rates_end(struct pg_store *st) GW_WUR;

/* Whether sp's request fits every bucket (sp->rate_refused, rate_retry_s
 * when not); takes nothing. */
enum gw_err pg_rates_check(struct pg_store *st, struct store_spend *sp)
    GW_WUR;
/* Takes sp's request from every requests bucket. */
void pg_rates_take(struct pg_store *st, const struct store_spend *sp);
/* Charges sp->tokens to every tokens bucket. */
enum gw_err pg_rates_charge(struct pg_store *st, const struct store_spend *sp)
    GW_WUR;

#endif
