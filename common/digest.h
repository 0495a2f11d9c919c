/*
 * SHA-256 with the algorithm fetched once per process. OpenSSL 3's
 * one-shot SHA256() and EVP_sha256() look the implementation up in the
 * provider store on every call (a lock, a hash table, a reference
 * count), which costs as much as hashing a kilobyte.
 */
#ifndef COMMON_DIGEST_H
#define COMMON_DIGEST_H

#include <stddef.h>

#include <openssl/evp.h>

#define DIGEST_SHA256_LEN 32

/* The fetched SHA-256, for EVP_DigestInit_ex (never NULL: falls back to
 * EVP_sha256() when the fetch fails). Not to be freed. */
const EVP_MD *digest_sha256_md(void);
/* out = SHA-256 of n bytes at p. */
void digest_sha256(const void *p, size_t n,
    unsigned char out[DIGEST_SHA256_LEN]);

#endif
