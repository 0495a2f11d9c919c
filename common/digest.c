/* SHA-256 with the algorithm fetched once (see digest.h). */
#include <pthread.h>

#include <openssl/sha.h>

#include "common/digest.h"

/* Set once, read-only afterwards: the process's SHA-256 implementation
 * (OpenSSL keeps it alive until exit). */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *
digest_sha256_md(void)
{
	pthread_once(&sha256_once, fetch);
	return sha256_md != NULL ? sha256_md : EVP_sha256();
}

void
digest_sha256(const void *p, size_t n, unsigned char out[DIGEST_SHA256_LEN])
{
	if (EVP_Digest(p, n, out, NULL, digest_sha256_md(), NULL) != 1)
		SHA256(p, n, out);
}
