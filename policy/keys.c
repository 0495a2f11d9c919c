/* Gateway API keys: format, checksum, HMAC, and the in-memory cache. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/util.h"
#include "policy/keys.h"

/*
 * HMAC-SHA256 under the server secret: the inner and outer hashes are
 * keyed once; each use copies them into one work context (no MAC object
 * set up and torn down per call). Used from one thread (the loop).
 */
/* Tokens whose secret verified lately, so that a client's next request
 * skips the checksum and the HMAC: a direct-mapped table, indexed and
 * compared by a keyed hash of the whole token. */
#define VERIFIED_SLOTS 64

struct verified {
	unsigned char tag[16];	/* token_tag() of the token; */
	unsigned char mac[32];	/* the HMAC of its secret */
	int used;
};

struct keys_hmac {
	EVP_MD *md;
	EVP_MD_CTX *inner, *outer;	/* after the keyed pads */
	EVP_MD_CTX *work;
	uint64_t sip[4];	/* two SipHash keys, random per process */
	struct verified seen[VERIFIED_SLOTS];
};

struct keycache {
	struct key_entry *slots;	/* open addressing, id[0] == 0: empty */
	size_t mask;
	size_t n;
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                         \
	do {                                                             \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                    \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                    \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
	} while (0)

/* SipHash-2-4 (Aumasson and Bernstein) of n bytes at p with key k0, k1. */
static uint64_t
siphash24(uint64_t k0, uint64_t k1, const unsigned char *p, size_t n)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k1 ^ 0x7465646279746573ull;
	uint64_t m, b = (uint64_t)n << 56;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		m = 0;
		for (int j = 7; j >= 0; j--)
			m = m << 8 | p[i + (size_t)j];
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < n; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* 128 bits of two keyed hashes of the token: the key is unknown outside
 * the process, so a tag can be neither aimed at nor forged. */
static void
token_tag(const struct keys_hmac *h, const char *tok, size_t len,
    unsigned char tag[16])
{
	uint64_t a = siphash24(h->sip[0], h->sip[1],
	    (const unsigned char *)tok, len);
	uint64_t b = siphash24(h->sip[2], h->sip[3],
	    (const unsigned char *)tok, len);

	memcpy(tag, &a, 8);
	memcpy(tag + 8, &b, 8);
}

static uint32_t
crc32_calc(const char *s, size_t len)
{
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		crc ^= (unsigned char)s[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static void
crc_text(const char *s, size_t len, char out[KEY_CRC_LEN + 1])
{
	uint32_t crc = crc32_calc(s, len);
	unsigned char b[4] = { (unsigned char)(crc >> 24),
		(unsigned char)(crc >> 16), (unsigned char)(crc >> 8),
		(unsigned char)crc };

	util_base62(b, 4, out, KEY_CRC_LEN);
}

static int
is_base62(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z')))
			return 0;
	}
	return 1;
}

struct keys_hmac *
keys_hmac_new(const unsigned char *server_secret, size_t len)
{
	struct keys_hmac *h = calloc(1, sizeof(*h));
	unsigned char k[64], pad[64];
	unsigned int kl = 0;
	int ok;

	if (h == NULL)
		return NULL;
	memset(k, 0, sizeof(k));
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	h->inner = EVP_MD_CTX_new();
	h->outer = EVP_MD_CTX_new();
	h->work = EVP_MD_CTX_new();
	ok = h->md != NULL && h->inner != NULL && h->outer != NULL &&
	    h->work != NULL && util_random(h->sip, sizeof(h->sip)) == GW_OK;
	/* A key longer than the block is hashed first (RFC 2104). */
	if (ok && len > sizeof(k))
		ok = EVP_Digest(server_secret, len, k, &kl, h->md, NULL) == 1;
	else if (ok)
		memcpy(k, server_secret, len);
	for (size_t i = 0; ok && i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	ok = ok && EVP_DigestInit_ex2(h->inner, h->md, NULL) == 1 &&
	    EVP_DigestUpdate(h->inner, pad, sizeof(pad)) == 1;
	for (size_t i = 0; ok && i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	ok = ok && EVP_DigestInit_ex2(h->outer, h->md, NULL) == 1 &&
	    EVP_DigestUpdate(h->outer, pad, sizeof(pad)) == 1;
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	if (!ok) {
		keys_hmac_free(h);
		return NULL;
	}
	return h;
}

void
keys_hmac_free(struct keys_hmac *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->inner);	/* cleanses the keyed state */
	EVP_MD_CTX_free(h->outer);
	EVP_MD_CTX_free(h->work);
	EVP_MD_free(h->md);
	OPENSSL_cleanse(h->sip, sizeof(h->sip));
	OPENSSL_cleanse(h->seen, sizeof(h->seen));
	free(h);
}

enum gw_err
keys_hmac_compute(struct keys_hmac *h, const char *secret, size_t len,
    unsigned char out[32])
{
	unsigned char ih[32];
	unsigned int n = 0;
	int ok = EVP_MD_CTX_copy_ex(h->work, h->inner) == 1 &&
	    EVP_DigestUpdate(h->work, secret, len) == 1 &&
	    EVP_DigestFinal_ex(h->work, ih, &n) == 1 && n == 32 &&
	    EVP_MD_CTX_copy_ex(h->work, h->outer) == 1 &&
	    EVP_DigestUpdate(h->work, ih, sizeof(ih)) == 1 &&
	    EVP_DigestFinal_ex(h->work, out, &n) == 1 && n == 32;

	OPENSSL_cleanse(ih, sizeof(ih));
	return ok ? GW_OK : GW_ERR_CRYPTO;
}

enum gw_err
keys_generate(struct keys_hmac *h, char *key, char *id, unsigned char hmac[32])
{
	unsigned char rnd[9];
	enum gw_err err;

	/* 9 random bytes cover 12 base62 digits. */
	err = util_random(rnd, sizeof(rnd));
	if (err != GW_OK)
		return err;
	util_base62(rnd, 9, id, KEY_ID_LEN);
	return keys_generate_secret(h, id, key, hmac);
}

enum gw_err
keys_generate_secret(struct keys_hmac *h, const char *id, char *key,
    unsigned char hmac[32])
{
	unsigned char rnd[24];
	char secret[KEY_SECRET_LEN + 1], crc[KEY_CRC_LEN + 1];
	enum gw_err err;

	/* 24 random bytes cover 32 base62 digits (190 bits). */
	err = util_random(rnd, sizeof(rnd));
	if (err != GW_OK)
		return err;
	util_base62(rnd, 24, secret, KEY_SECRET_LEN);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	memcpy(key, KEY_PREFIX, 4);
	memcpy(key + 4, id, KEY_ID_LEN);
	memcpy(key + 4 + KEY_ID_LEN, secret, KEY_SECRET_LEN);
	crc_text(key, 4 + KEY_ID_LEN + KEY_SECRET_LEN, crc);
	memcpy(key + 4 + KEY_ID_LEN + KEY_SECRET_LEN, crc, KEY_CRC_LEN);
	key[KEY_LEN] = '\0';
	err = keys_hmac_compute(h, secret, KEY_SECRET_LEN, hmac);
	OPENSSL_cleanse(secret, sizeof(secret));
	return err;
}

enum gw_err
keys_admin_hmac(struct keys_hmac *h, const char *tok, size_t len,
    unsigned char hmac[32])
{
	char buf[6 + 256];
	enum gw_err err;

	if (len > 256)
		return GW_ERR_INVAL;
	memcpy(buf, "admin:", 6);
	memcpy(buf + 6, tok, len);
	err = keys_hmac_compute(h, buf, 6 + len, hmac);
	OPENSSL_cleanse(buf, sizeof(buf));
	return err;
}

enum gw_err
keys_admin_token(struct keys_hmac *h, char *token, unsigned char hmac[32])
{
	unsigned char rnd[24];
	enum gw_err err = util_random(rnd, sizeof(rnd));

	if (err != GW_OK)
		return err;
	memcpy(token, ADMIN_TOKEN_PREFIX, 4);
	util_base62(rnd, sizeof(rnd), token + 4, ADMIN_TOKEN_LEN - 4);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return keys_admin_hmac(h, token, ADMIN_TOKEN_LEN, hmac);
}

enum gw_err
keys_subject_hash(struct keys_hmac *h, const char *id, size_t len,
    unsigned char out[32])
{
	char buf[8 + KEYS_SUBJECT_MAX];

	if (len == 0 || len > KEYS_SUBJECT_MAX)
		return GW_ERR_INVAL;
	memcpy(buf, "subject:", 8);
	memcpy(buf + 8, id, len);
	return keys_hmac_compute(h, buf, 8 + len, out);
}

int
keys_parse(const char *tok, size_t len, char *id, const char **secret)
{
	char crc[KEY_CRC_LEN + 1];

	if (len != KEY_LEN || memcmp(tok, KEY_PREFIX, 4) != 0 ||
	    !is_base62(tok + 4, KEY_LEN - 4))
		return -1;
	crc_text(tok, KEY_LEN - KEY_CRC_LEN, crc);
	if (memcmp(crc, tok + KEY_LEN - KEY_CRC_LEN, KEY_CRC_LEN) != 0)
		return -1;
	memcpy(id, tok + 4, KEY_ID_LEN);
	id[KEY_ID_LEN] = '\0';
	*secret = tok + 4 + KEY_ID_LEN;
	return 0;
}

static size_t
hash_id(const char *id)
{
	size_t h = 1469598103934665603ull;

	for (int i = 0; i < KEY_ID_LEN && id[i] != '\0'; i++)
		h = (h ^ (unsigned char)id[i]) * 1099511628211ull;
	return h;
}

struct keycache *
keycache_new(const struct key_entry *entries, size_t n)
{
	struct keycache *c = calloc(1, sizeof(*c));
	size_t cap = 16;

	if (c == NULL)
		return NULL;
	while (cap < n * 2)
		cap *= 2;
	c->slots = calloc(cap, sizeof(*c->slots));
	if (c->slots == NULL) {
		free(c);
		return NULL;
	}
	c->mask = cap - 1;
	for (size_t i = 0; i < n; i++) {
		size_t j = hash_id(entries[i].id) & c->mask;

		while (c->slots[j].id[0] != '\0')
			j = (j + 1) & c->mask;
		c->slots[j] = entries[i];
		c->n++;
	}
	return c;
}

void
keycache_free(struct keycache *c)
{
	if (c == NULL)
		return;
	OPENSSL_cleanse(c->slots, (c->mask + 1) * sizeof(*c->slots));
	free(c->slots);
	free(c);
}

size_t
keycache_size(const struct keycache *c)
{
	return c->n;
}

/* The slot of key id, or NULL. */
static struct key_entry *
slot_of(const struct keycache *c, const char *id)
{
	for (size_t j = hash_id(id) & c->mask; c->slots[j].id[0] != '\0';
	    j = (j + 1) & c->mask)
		if (strcmp(c->slots[j].id, id) == 0)
			return &c->slots[j];
	return NULL;
}

int
keycache_has_id(const struct keycache *c, const char *tok, size_t len)
{
	char id[KEY_ID_LEN + 1];
	const char *secret;

	if (c == NULL || keys_parse(tok, len, id, &secret) != 0)
		return 0;
	return slot_of(c, id) != NULL;
}

const struct key_entry *
keycache_check(const struct keycache *c, struct keys_hmac *h,
    const char *tok, size_t len, int64_t now)
{
	char id[KEY_ID_LEN + 1];
	const char *secret;
	unsigned char mac[32], tag[16];
	const struct key_entry *e;
	struct verified *v;
	int cur, prev, hit;

	if (c == NULL || len != KEY_LEN || memcmp(tok, KEY_PREFIX, 4) != 0)
		return NULL;
	/* The same token as one verified lately: its HMAC is known. The
	 * entry is still looked up and compared below, so a key revoked
	 * or given another secret since is refused all the same. */
	token_tag(h, tok, len, tag);
	v = &h->seen[tag[0] % VERIFIED_SLOTS];
	hit = v->used && CRYPTO_memcmp(v->tag, tag, sizeof(tag)) == 0;
	if (hit) {
		memcpy(id, tok + 4, KEY_ID_LEN);
		id[KEY_ID_LEN] = '\0';
		memcpy(mac, v->mac, sizeof(mac));
	} else if (keys_parse(tok, len, id, &secret) != 0) {
		return NULL;
	}
	e = slot_of(c, id);
	if (e == NULL || (!hit && keys_hmac_compute(h, secret, KEY_SECRET_LEN,
	    mac) != GW_OK)) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return NULL;
	}
	/* Both compares run, whichever matches. */
	cur = CRYPTO_memcmp(mac, e->hmac, 32) == 0;
	prev = CRYPTO_memcmp(mac, e->prev_hmac, 32) == 0;
	if (cur && !hit) {
		memcpy(v->tag, tag, sizeof(tag));
		memcpy(v->mac, mac, sizeof(mac));
		v->used = 1;
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	if (cur || (prev && now < e->prev_until))
		return e;
	return NULL;
}

void
keycache_touch(struct keycache *c, const char *id, int64_t now)
{
	struct key_entry *e = c != NULL ? slot_of(c, id) : NULL;

	if (e != NULL && now > e->used_at)
		e->used_at = now;
}

size_t
keycache_take_uses(struct keycache *c, struct key_use *out, size_t max)
{
	size_t n = 0;

	for (size_t j = 0; c != NULL && j <= c->mask && n < max; j++) {
		struct key_entry *e = &c->slots[j];

		if (e->id[0] == '\0' || e->used_at <= e->used_saved)
			continue;
		memcpy(out[n].id, e->id, sizeof(out[n].id));
		out[n].at = e->used_at;
		e->used_saved = e->used_at;
		n++;
	}
	return n;
}

void
keycache_carry_uses(struct keycache *to, const struct keycache *from)
{
	for (size_t j = 0; from != NULL && j <= from->mask; j++) {
		const struct key_entry *e = &from->slots[j];
		struct key_entry *t;

		if (e->id[0] == '\0' || e->used_at <= e->used_saved)
			continue;
		t = slot_of(to, e->id);
		if (t != NULL && e->used_at > t->used_at) {
			t->used_at = e->used_at;
			t->used_saved = e->used_saved;
		}
	}
}
