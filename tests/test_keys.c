/* Unit tests of key format, checksum, HMAC and the key cache. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "policy/keys.h"
#include "tests/tap.h"

/* keys_hmac_compute against OpenSSL's HMAC, for keys shorter than,
 * equal to and longer than the SHA-256 block, and messages of 0 to 200
 * bytes, twice each (the work context is reused). */
static void
test_hmac_vectors(void)
{
	static const size_t klens[] = { 1, 32, 63, 64, 65, 200 };
	unsigned char key[200], msg[200];
	int bad = 0, n = 0;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 13 + 5);
	for (size_t k = 0; k < sizeof(klens) / sizeof(klens[0]); k++) {
		struct keys_hmac *h = keys_hmac_new(key, klens[k]);

		for (size_t m = 0; m <= sizeof(msg); m += 25) {
			for (int rep = 0; rep < 2; rep++) {
				unsigned char a[32], b[32];
				size_t bl = 0;

				n++;
				if (h == NULL || keys_hmac_compute(h,
				    (const char *)msg, m, a) != GW_OK ||
				    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256",
				    NULL, key, klens[k], msg, m, b, sizeof(b),
				    &bl) == NULL || bl != 32 ||
				    memcmp(a, b, 32) != 0)
					bad++;
			}
		}
		keys_hmac_free(h);
	}
	ok(bad == 0, "HMAC-SHA256 equals OpenSSL's in %d cases (%d differ)",
	    n, bad);
}

/* Tokens verified lately skip the HMAC (a cache in h): the key's entry
 * still decides, so a new snapshot where the key has another secret, or
 * none, refuses a token verified before. */
static void
test_verified_cache(struct keys_hmac *h)
{
	char tok[KEY_LEN + 1], tok2[KEY_LEN + 1], id[KEY_ID_LEN + 1];
	char off[KEY_LEN + 1];
	struct key_entry e;
	struct keycache *kc;
	const struct key_entry *a, *b;

	memset(&e, 0, sizeof(e));
	ok(keys_generate(h, tok, id, e.hmac) == GW_OK, "a key");
	memcpy(e.id, id, sizeof(e.id));
	kc = keycache_new(&e, 1);
	a = keycache_check(kc, h, tok, KEY_LEN, 0);
	b = keycache_check(kc, h, tok, KEY_LEN, 0);
	ok(a != NULL && a == b, "verified twice (the second time from the "
	    "cache of verified tokens): the same key");
	memcpy(off, tok, sizeof(off));
	off[4 + KEY_ID_LEN] = off[4 + KEY_ID_LEN] == 'A' ? 'B' : 'A';
	ok(keycache_check(kc, h, off, KEY_LEN, 0) == NULL,
	    "a token one byte off a verified one is refused");
	keycache_free(kc);
	/* The same id, another secret, no grace for the old one. */
	ok(keys_generate_secret(h, id, tok2, e.hmac) == GW_OK,
	    "a new secret for the key");
	kc = keycache_new(&e, 1);
	ok(keycache_check(kc, h, tok, KEY_LEN, 0) == NULL,
	    "a verified token whose key has another secret now is refused");
	ok(keycache_check(kc, h, tok2, KEY_LEN, 0) != NULL,
	    "... and the new secret works");
	keycache_free(kc);
	for (int i = 0; i < 200; i++) {
		char k[KEY_LEN + 1];
		struct key_entry f;

		memset(&f, 0, sizeof(f));
		if (keys_generate(h, k, f.id, f.hmac) != GW_OK)
			break;
		kc = keycache_new(&f, 1);
		a = keycache_check(kc, h, k, KEY_LEN, 0);
		keycache_free(kc);
		if (a == NULL)
			break;
		if (i == 199)
			ok(1, "200 keys verified through the cache's slots");
	}
}

/* A rotated key: the new secret works; the old one until prev_until;
 * last uses are taken once and carried to a new snapshot. */
static void
test_rotation(struct keys_hmac *h)
{
	char old[KEY_LEN + 1], cur[KEY_LEN + 1], id[KEY_ID_LEN + 1];
	unsigned char oh[32];
	struct key_entry e;
	struct keycache *kc, *kc2;
	struct key_use u[4];
	char tok[ADMIN_TOKEN_LEN + 1];
	unsigned char th[32], th2[32];

	memset(&e, 0, sizeof(e));
	ok(keys_generate(h, old, id, oh) == GW_OK &&
	    keys_generate_secret(h, id, cur, e.hmac) == GW_OK,
	    "a new secret for the same id");
	ok(memcmp(old, cur, 4 + KEY_ID_LEN) == 0 && strcmp(old, cur) != 0,
	    "the id stays, the secret changes");
	memcpy(e.id, id, sizeof(e.id));
	memcpy(e.prev_hmac, oh, 32);
	e.prev_until = 1000;
	kc = keycache_new(&e, 1);
	ok(keycache_check(kc, h, cur, KEY_LEN, 999) != NULL &&
	    keycache_check(kc, h, old, KEY_LEN, 999) != NULL,
	    "during the grace both secrets work");
	ok(keycache_check(kc, h, cur, KEY_LEN, 1000) != NULL &&
	    keycache_check(kc, h, old, KEY_LEN, 1000) == NULL,
	    "after it only the new one");

	is_int(keycache_take_uses(kc, u, 4), 0, "no use yet");
	keycache_touch(kc, id, 50);
	keycache_touch(kc, id, 40);
	keycache_touch(kc, "NOSUCHKEY000", 60);
	ok(keycache_take_uses(kc, u, 4) == 1 && u[0].at == 50 &&
	    strcmp(u[0].id, id) == 0, "a use is taken (the latest)");
	is_int(keycache_take_uses(kc, u, 4), 0, "... once");
	keycache_touch(kc, id, 70);
	kc2 = keycache_new(&e, 1);
	keycache_carry_uses(kc2, kc);
	keycache_free(kc);
	ok(keycache_take_uses(kc2, u, 4) == 1 && u[0].at == 70,
	    "a use not taken moves to the next snapshot");
	keycache_free(kc2);

	ok(keys_admin_token(h, tok, th) == GW_OK && strlen(tok) ==
	    ADMIN_TOKEN_LEN && strncmp(tok, "ega_", 4) == 0,
	    "an admin token: ega_ and 32 characters");
	ok(keys_admin_hmac(h, tok, strlen(tok), th2) == GW_OK &&
	    memcmp(th, th2, 32) == 0, "its HMAC is the one stored");
	ok(keys_hmac_compute(h, tok, strlen(tok), th2) == GW_OK &&
	    memcmp(th, th2, 32) != 0, "apart from a key secret's HMAC");
}

int
main(void)
{
	unsigned char secret[32], other[32], hmac[32];
	struct keys_hmac *h, *h2;
	char key[KEY_LEN + 1], id[KEY_ID_LEN + 1], pid[KEY_ID_LEN + 1];
	const char *sec;
	struct key_entry e[3];
	struct keycache *kc;
	const struct key_entry *found;

	test_hmac_vectors();
	memset(secret, 7, sizeof(secret));
	memset(other, 8, sizeof(other));
	h = keys_hmac_new(secret, sizeof(secret));
	h2 = keys_hmac_new(other, sizeof(other));
	ok(h != NULL && h2 != NULL, "hmac contexts");
	ok(keys_generate(h, key, id, hmac) == GW_OK, "generate a key");
	is_int(strlen(key), KEY_LEN, "key length");
	ok(strncmp(key, "egk_", 4) == 0, "egk_ prefix");
	ok(memcmp(key + 4, id, KEY_ID_LEN) == 0, "id follows the prefix");
	ok(keys_parse(key, strlen(key), pid, &sec) == 0 && strcmp(pid, id) == 0,
	    "a generated key parses");
	for (int i = 4; i < KEY_LEN; i++) {
		char bad[KEY_LEN + 1];

		memcpy(bad, key, sizeof(bad));
		bad[i] = bad[i] == 'a' ? 'b' : 'a';
		if (keys_parse(bad, KEY_LEN, pid, &sec) == 0) {
			ok(0, "checksum catches a change at %d", i);
			break;
		}
	}
	ok(1, "the checksum catches a change at every position");
	ok(keys_parse(key, KEY_LEN - 1, pid, &sec) != 0, "short key refused");
	ok(keys_parse("sk-abc", 6, pid, &sec) != 0, "foreign key refused");

	memset(e, 0, sizeof(e));
	memcpy(e[0].id, id, sizeof(e[0].id));
	snprintf(e[0].team, sizeof(e[0].team), "finance");
	memcpy(e[0].hmac, hmac, 32);
	for (int i = 1; i < 3; i++) {
		char k2[KEY_LEN + 1];

		ok(keys_generate(h, k2, e[i].id, e[i].hmac) == GW_OK,
		    "more keys");
	}
	kc = keycache_new(e, 3);
	is_int(keycache_size(kc), 3, "cache size");
	found = keycache_check(kc, h, key, strlen(key), 0);
	ok(found != NULL && strcmp(found->team, "finance") == 0,
	    "the key authenticates and maps to its team");
	ok(keycache_check(kc, h2, key, strlen(key), 0) == NULL,
	    "another server secret does not verify it");
	ok(keycache_has_id(kc, key, strlen(key)) == 1,
	    "... though its id is known (the gateway says so in its log)");
	ok(keycache_has_id(kc, "egk_x", 5) == 0 &&
	    keycache_has_id(NULL, key, strlen(key)) == 0,
	    "a malformed token, or no cache: no id known");
	{
		char forged[KEY_LEN + 1], fid[KEY_ID_LEN + 1];
		unsigned char fh[32];

		/* A well-formed key with a known id but another secret. */
		ok(keys_generate(h, forged, fid, fh) == GW_OK,
		    "forge material");
		memcpy(forged + 4, id, KEY_ID_LEN);
		ok(keycache_check(kc, h, forged, KEY_LEN, 0) == NULL,
		    "known id with a wrong secret is refused");
	}
	keycache_free(kc);
	kc = keycache_new(e + 1, 2);
	ok(keycache_check(kc, h, key, strlen(key), 0) == NULL,
	    "a key missing from the cache (revoked) is refused");
	ok(keycache_has_id(kc, key, strlen(key)) == 0,
	    "... and its id is not known");
	keycache_free(kc);
	test_rotation(h);
	test_verified_cache(h);
	keys_hmac_free(h);
	keys_hmac_free(h2);
	keys_hmac_free(NULL);
	keycache_free(NULL);
	return tap_done();
}
