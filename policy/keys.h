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

#include "common/cidr.h"
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
/* A new secret for the key id (a rotation): key (KEY_LEN + 1), hmac. */
enum gw_err keys_generate_secret(struct keys_hmac *h, const char *id,
    char *key, unsigned char hmac[32]) GW_WUR;

/*
 * Admin tokens: "ega_" + 32 base62 characters (190 random bits); only
 * an HMAC under the server secret (apart from the keys' by a prefix) is
 * stored, like keys.
 */
#define ADMIN_TOKEN_PREFIX "ega_"
#define ADMIN_TOKEN_LEN (4 + 32)
/* Makes a new token (ADMIN_TOKEN_LEN + 1 bytes) and its HMAC. */
enum gw_err keys_admin_token(struct keys_hmac *h, char *token,
    unsigned char hmac[32]) GW_WUR;
/* The HMAC of a presented admin token. */
enum gw_err keys_admin_hmac(struct keys_hmac *h, const char *tok, size_t len,
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
	int64_t expires_at;	/* Unix seconds; 0: never */
	unsigned char prev_hmac[32];	/* a secret a rotation replaced, */
	int64_t prev_until;	/* which works until then; 0: none */
	struct cidr allow[CIDR_LIST_MAX];	/* the IP allowlist; */
	size_t n_allow;		/* 0: any address */
	int64_t used_at;	/* last use (Unix seconds), in the cache */
	int64_t used_saved;	/* ... and the last one handed to storage */
};

/* A key's last use, taken from the cache to be written. */
struct key_use {
	char id[KEY_ID_LEN + 1];
	int64_t at;
};

struct keycache;

/* Builds a cache from n entries (copied). */
struct keycache *keycache_new(const struct key_entry *entries, size_t n);
void keycache_free(struct keycache *c);
size_t keycache_size(const struct keycache *c);

/*
 * Authenticates a bearer token: shape, checksum, id lookup, HMAC compare
 * in constant time against the key's secret and, until prev_until (now
 * is Unix seconds), the secret a rotation replaced. Returns the entry
 * (owned by the cache) or NULL. Expiry and the allowlist are the
 * caller's to check: a caller with the right secret is told why.
 * A token whose secret matched lately is remembered in h (keyed hash of
 * the whole token, 64 slots) and skips the checksum and the HMAC; the
 * entry's compares still run. h is one thread's.
 */
const struct key_entry *keycache_check(const struct keycache *c,
    struct keys_hmac *h, const char *tok, size_t len, int64_t now);

/* Notes a use of key id at now (Unix seconds), in memory only. */
void keycache_touch(struct keycache *c, const char *id, int64_t now);
/* Copies up to max uses not yet taken into out and marks them taken;
 * returns how many. */
size_t keycache_take_uses(struct keycache *c, struct key_use *out,
    size_t max);
/* A new snapshot replaces from: the uses from has not handed over yet
 * move to the same keys of to. */
void keycache_carry_uses(struct keycache *to, const struct keycache *from);
/*
 * Whether a well-formed token's key id is in the cache, whatever its
 * secret: after keycache_check refused it, the key's secret was wrong,
 * or it was hashed with another server secret (another instance's).
 */
int keycache_has_id(const struct keycache *c, const char *tok, size_t len);

#endif
