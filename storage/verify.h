/*
 * The audit chain's verification walk, without SQL: a backend feeds it
 * one chain's signed checkpoints (stored and external) and then its
 * records in seq order; it names the first bad record and makes the
 * report. Both backends use it (SQLite: one chain; PostgreSQL: one per
 * instance). Not for use outside storage/.
 */
#ifndef STORAGE_VERIFY_H
#define STORAGE_VERIFY_H

#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "storage/store.h"

struct verify;

/* A walk of one chain; pub is the gateway's public key (when has_key).
 * NULL when out of memory. */
struct verify *verify_new(const unsigned char pub[32], int has_key);
void verify_free(struct verify *v);

/* A checkpoint stored with the chain: its signature is checked (a bad
 * one is the first problem); -1 when out of memory. */
int verify_stored(struct verify *v, int64_t seq, const unsigned char head[32],
    int64_t ts, const unsigned char sig[64]);
/*
 * Checkpoints kept elsewhere: {"public_key": hex, "checkpoints": [{seq,
 * head, ts, sig}]}, checked against their own public key, else the
 * gateway's. With instance non-NULL, only the checkpoints whose
 * "instance" is that name (or that name none, when any_unnamed) count.
 * GW_ERR_INVAL when malformed.
 */
enum gw_err verify_external(struct verify *v, const json_t *ext,
    const char *instance, int any_unnamed) GW_WUR;

/* The next record of the chain (seq order); returns 0 to go on, 1 once
 * the chain failed (the walk can stop). */
int verify_record(struct verify *v, const struct store_request *r,
    int64_t seq, const unsigned char prev[32], const unsigned char hash[32]);

/* Ends the walk: the report {"object": "audit_verification", "ok",
 * "records", "first_seq", "last_seq", "checkpoints",
 * "external_checkpoints", "signed_through", "unsigned_records",
 * "public_key"[, "first_bad": {"seq", "reason"}]}; NULL when out of
 * memory. */
json_t *verify_report(struct verify *v);

/* Decodes n bytes of hex; -1 when hex is not exactly that. */
int verify_hex_decode(const char *hex, unsigned char *out, size_t n);

#endif
