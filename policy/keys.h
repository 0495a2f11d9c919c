/*
 * Gateway API keys: "egk_" + key id (12) + secret (32) + checksum (6), all
 * base62. The checksum (CRC-32 of the rest) lets a scanner, and the
 * gateway before any lookup, reject a string that is no key. Only an
 * HMAC-SHA256 of the secret under a server secret is stored; the cache
 * maps key ids to that HMAC and the key's team, so that checking a key
 * costs no disk read.
 */
#ifndef POLICY_KEYS_H
#define POLICY_KEYS_H

#include <stddef.h>

#include "common/err.h"
#include "policy/money.h"

#define KEY_PREFIX "egk_"
#define KEY_ID_LEN 12
#define KEY_SECRET_LEN 32
#define KEY_CRC_LEN 6
#define KEY_LEN (4 + KEY_ID_LEN + KEY_SECRET_LEN + KEY_CRC_LEN)

struct keys_hmac;	/* a keyed HMAC context, made once */

/* server_secret is copied; the context wipes it on free. */
struct keys_hmac *keys_hmac_new(const unsigned char *server_secret,
    size_t len);
void keys_hmac_free(struct keys_hmac *h);
enum gw_err keys_hmac_compute(struct keys_hmac *h, const char *secret,
    size_t len, unsigned char out[32]) GW_WUR;

/* A data subject's id (X-Eugate-Subject, 1 to KEYS_SUBJECT_MAX bytes) as
 * a keyed hash: the id itself is never stored. */
#define KEYS_SUBJECT_MAX 256
enum gw_err keys_subject_hash(struct keys_hmac *h, const char *id, size_t len,
    unsigned char out[32]) GW_WUR;

/* Makes a new key: key (KEY_LEN + 1), id (KEY_ID_LEN + 1), hmac. */
enum gw_err keys_generate(struct keys_hmac *h, char *key, char *id,
    unsigned char hmac[32]) GW_WUR;

/*
 * Checks the shape and checksum of a presented key. On success writes the
 * id (KEY_ID_LEN + 1 bytes) and points *secret into tok. Returns 0 or -1.
 */
int keys_parse(const char *tok, size_t len, char *id, const char **secret);

/* A team's or a key's budget and rate limits. */
struct key_limits {
	struct budget budget;	/* limit -1: none */
	int64_t rpm, tpm;	/* per minute; 0: none */
};

/* One usable key in the cache. */
struct key_entry {
	char id[KEY_ID_LEN + 1];
	char team[65];
	char policy[65];
	unsigned char hmac[32];
	struct key_limits team_limits, key_limits;
	char models[256];	/* the key's model globs, comma-separated ... */
	char models_deny[256];	/* ... and those it refuses; "": none */
};

struct keycache;

/* Builds a cache from n entries (copied). */
struct keycache *keycache_new(const struct key_entry *entries, size_t n);
void keycache_free(struct keycache *c);
size_t keycache_size(const struct keycache *c);

/*
 * Authenticates a bearer token: shape, checksum, id lookup, HMAC compare
 * in constant time. Returns the entry (owned by the cache) or NULL.
 */
const struct key_entry *keycache_check(const struct keycache *c,
    struct keys_hmac *h, const char *tok, size_t len);
/*
 * Whether a well-formed token's key id is in the cache, whatever its
 * secret: after keycache_check refused it, the key's secret was wrong,
 * or it was hashed with another server secret (another instance's).
 */
int keycache_has_id(const struct keycache *c, const char *tok, size_t len);

#endif
