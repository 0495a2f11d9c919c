/* common/util: percent-decoding of paths and queries; common/digest. */
#include <stdio.h>
#include <string.h>

#include "common/digest.h"
#include "common/util.h"
#include "tests/tap.h"

static void
dec(const char *in, int plus, const char *want, const char *what)
{
	char out[16];
	int n = util_pct_decode(in, strlen(in), plus, out, sizeof(out));

	if (want == NULL) {
		is_int(n, -1, what);
		return;
	}
	is_int(n, (long long)strlen(want), what);
	is_str(n >= 0 ? out : "", want, "  its bytes");
}

/* FIPS 180-2 test vectors, and the same digest through the fetched
 * algorithm in pieces. */
static void
sha256(const char *in, const char *want_hex, const char *what)
{
	unsigned char h[DIGEST_SHA256_LEN], h2[DIGEST_SHA256_LEN];
	char hex[2 * DIGEST_SHA256_LEN + 1];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int hl = 0;
	size_t n = strlen(in);

	digest_sha256(in, n, h);
	for (int i = 0; i < DIGEST_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	is_str(hex, want_hex, what);
	ok(ctx != NULL && EVP_DigestInit_ex(ctx, digest_sha256_md(), NULL) &&
	    EVP_DigestUpdate(ctx, in, n / 2) &&
	    EVP_DigestUpdate(ctx, in + n / 2, n - n / 2) &&
	    EVP_DigestFinal_ex(ctx, h2, &hl) && hl == DIGEST_SHA256_LEN &&
	    memcmp(h, h2, sizeof(h)) == 0, "  the same in two pieces");
	EVP_MD_CTX_free(ctx);
}

int
main(void)
{
	sha256("abc", "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
	sha256("", "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855", "sha256 of nothing");
	sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1", "sha256 of 448 bits");
	dec("team-a", 0, "team-a", "plain bytes stay");
	dec("a%2Db", 0, "a-b", "an escape decodes");
	dec("%2e%2E%2f", 0, "../", "either case of hex digits");
	dec("a+b", 0, "a+b", "+ stays in a path");
	dec("a+b", 1, "a b", "+ is a space in a query");
	dec("%2B01", 1, "+01", "an escaped + stays a +");
	dec("%", 0, NULL, "a lone % is refused");
	dec("%4", 0, NULL, "half an escape is refused");
	dec("%G1", 0, NULL, "a non-hex escape is refused");
	dec("a%00b", 0, NULL, "an escaped NUL is refused");
	dec("0123456789abcde", 0, "0123456789abcde", "cap - 1 bytes fit");
	dec("0123456789abcdef", 0, NULL, "cap bytes do not");
	dec("%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41", 0,
	    "AAAAAAAAAAAAAAA", "the cap counts decoded bytes");
	return tap_done();
}
