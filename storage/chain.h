/*
 * The audit chain's cryptography, pure (no SQLite, no I/O but key files):
 * the canonical form of a record, its SHA-256 link to the previous record,
 * the checkpoint message and its Ed25519 signature.
 *
 * A record's hash is SHA-256 of its canonical form: the line
 * "eugate-audit-1", then every chained field in a fixed order, each as
 * "<length>:<bytes>\n" (numbers in decimal, absent numbers as "-", hashes
 * as 32 raw bytes or nothing), ending with the previous record's hash.
 * The subject link is not chained, so that erasing it breaks nothing.
 */
#ifndef STORAGE_CHAIN_H
#define STORAGE_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "storage/store.h"

#define CHAIN_HASH_LEN 32
#define CHAIN_SIG_LEN 64
#define CHAIN_PUB_LEN 32
/* The canonical form of any record fits (every field is capped). */
#define CHAIN_CANON_MAX 4096

/* The audit table's columns in the order the backends bind and read
 * them (SQLite: storage/audit_*.c; PostgreSQL: storage/pg_audit*.c, which
 * has an instance column too). */
#define AUDIT_COLUMNS "seq, ts, kind, request_id, key_id, team, client, " \
	"method, path, model, upstream, region, policy, verdicts, route, " \
	"pii, zdr, streamed, status, error, prompt_tokens, " \
	"completion_tokens, cost_eur, cost_usd, latency_us, request_hash, " \
	"response_hash, prev, hash, subject"

/* The canonical form of rec at position seq after prev; returns length. */
size_t chain_canon(const struct store_request *rec, int64_t seq,
    const unsigned char prev[CHAIN_HASH_LEN], char *buf, size_t cap);
/* The record's hash. */
void chain_hash(const struct store_request *rec, int64_t seq,
    const unsigned char prev[CHAIN_HASH_LEN],
    unsigned char out[CHAIN_HASH_LEN]);

/* What a checkpoint signs: "eugate-audit-checkpoint-1 SEQ HEADHEX TS\n". */
size_t chain_checkpoint_msg(int64_t seq,
    const unsigned char head[CHAIN_HASH_LEN], int64_t ts_ms, char *buf,
    size_t cap);

/* Loads the Ed25519 private key (PEM) at path, creating it (mode 0600)
 * when the file does not exist. */
enum gw_err chain_key_load(const char *path, EVP_PKEY **out) GW_WUR;
void chain_public_key(EVP_PKEY *key, unsigned char pub[CHAIN_PUB_LEN]);
/* Returns 0, or -1 when signing failed. */
int chain_sign(EVP_PKEY *key, const char *msg, size_t len,
    unsigned char sig[CHAIN_SIG_LEN]);
/* Returns 1 when sig is pub's signature of msg. */
int chain_verify(const unsigned char pub[CHAIN_PUB_LEN], const char *msg,
    size_t len, const unsigned char sig[CHAIN_SIG_LEN]);

#endif
