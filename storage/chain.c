/* The audit chain: canonical records, hash links, signed checkpoints. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "common/digest.h"
#include "common/log.h"
#include "common/util.h"
#include "storage/chain.h"

struct canon {
	char *buf;
	size_t cap, n;
};

static void
put(struct canon *c, const void *v, size_t len)
{
	char h[24];
	size_t hl = util_fmt_u64(h, len);

	if (hl + 1 + len + 1 > c->cap - c->n) {
		c->n = c->cap;	/* cannot happen: every field is capped */
		return;
	}
	memcpy(c->buf + c->n, h, hl);
	c->buf[c->n + hl] = ':';
	c->n += hl + 1;
	memcpy(c->buf + c->n, v, len);
	c->n += len;
	c->buf[c->n++] = '\n';
}

static void
put_str(struct canon *c, const char *s)
{
	put(c, s, strlen(s));
}

/* A number; negative means absent ("-"). */
static void
put_num(struct canon *c, int64_t v)
{
	char t[24];

	if (v < 0)
		put(c, "-", 1);
	else
		put(c, t, util_fmt_u64(t, (uint64_t)v));
}

static void
put_hash(struct canon *c, const unsigned char *h, int has)
{
	put(c, h, has ? CHAIN_HASH_LEN : 0);
}

size_t
chain_canon(const struct store_request *r, int64_t seq,
    const unsigned char prev[CHAIN_HASH_LEN], char *buf, size_t cap)
{
	struct canon c = { buf, cap, 0 };

	put_str(&c, "eugate-audit-1");
	put_num(&c, seq);
	put_num(&c, r->ts_ms);
	put_str(&c, r->kind);
	put_str(&c, r->request_id);
	put_str(&c, r->key_id);
	put_str(&c, r->team);
	put_str(&c, r->client);
	put_str(&c, r->method);
	put_str(&c, r->path);
	put_str(&c, r->model);
	put_str(&c, r->upstream);
	put_str(&c, r->region);
	put_str(&c, r->policy);
	put_str(&c, r->verdicts);
	put_str(&c, r->route);
	put_str(&c, r->pii);
	put_num(&c, r->zdr);
	put_num(&c, r->streamed);
	put_num(&c, r->status);
	put_str(&c, r->error);
	put_num(&c, r->prompt_tokens);
	put_num(&c, r->completion_tokens);
	put_num(&c, r->cost[0]);
	put_num(&c, r->cost[1]);
	put_num(&c, r->latency_us);
	put_hash(&c, r->req_hash, r->has_req_hash);
	put_hash(&c, r->resp_hash, r->has_resp_hash);
	put_hash(&c, prev, 1);
	return c.n;
}

void
chain_hash(const struct store_request *r, int64_t seq,
    const unsigned char prev[CHAIN_HASH_LEN], unsigned char out[CHAIN_HASH_LEN])
{
	char buf[CHAIN_CANON_MAX];
	size_t n = chain_canon(r, seq, prev, buf, sizeof(buf));

	digest_sha256((const unsigned char *)buf, n, out);
}

size_t
chain_checkpoint_msg(int64_t seq, const unsigned char head[CHAIN_HASH_LEN],
    int64_t ts_ms, char *buf, size_t cap)
{
	char hex[CHAIN_HASH_LEN * 2 + 1];
	int n;

	util_hex(head, CHAIN_HASH_LEN, hex);
	n = snprintf(buf, cap, "eugate-audit-checkpoint-1 %" PRId64 " %s %"
	    PRId64 "\n", seq, hex, ts_ms);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static enum gw_err
key_create(const char *path, EVP_PKEY **out)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	BIO *b = BIO_new(BIO_s_mem());
	enum gw_err err = GW_ERR_CRYPTO;
	char *pem;
	long len;

	if (k == NULL || b == NULL ||
	    !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
		goto out;
	len = BIO_get_mem_data(b, &pem);
	err = util_write_file(path, pem, (size_t)len, 0600);
	if (err != GW_OK)
		goto out;
	log_info("generated the audit signing key %s", log_q(path));
	*out = k;
	k = NULL;
out:
	BIO_free(b);
	EVP_PKEY_free(k);
	return err;
}

enum gw_err
chain_key_load(const char *path, EVP_PKEY **out)
{
	char *data = NULL;
	size_t len = 0;
	enum gw_err err = util_read_file(path, 16384, &data, &len);
	BIO *b;
	EVP_PKEY *k = NULL;

	if (err != GW_OK)
		return err == GW_ERR_NOTFOUND ? key_create(path, out) : err;
	b = BIO_new_mem_buf(data, (int)len);
	if (b != NULL)
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	OPENSSL_cleanse(data, len);
	free(data);
	if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_ED25519) {
		log_error("%s: not an Ed25519 private key (PEM)", log_q(path));
		EVP_PKEY_free(k);
		return GW_ERR_CRYPTO;
	}
	*out = k;
	return GW_OK;
}

void
chain_public_key(EVP_PKEY *key, unsigned char pub[CHAIN_PUB_LEN])
{
	size_t len = CHAIN_PUB_LEN;

	if (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1)
		memset(pub, 0, CHAIN_PUB_LEN);
}

int
chain_sign(EVP_PKEY *key, const char *msg, size_t len,
    unsigned char sig[CHAIN_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sl = CHAIN_SIG_LEN;
	int ok = ctx != NULL &&
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestSign(ctx, sig, &sl, (const unsigned char *)msg,
	    len) == 1 && sl == CHAIN_SIG_LEN;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int
chain_verify(const unsigned char pub[CHAIN_PUB_LEN], const char *msg,
    size_t len, const unsigned char sig[CHAIN_SIG_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub,
	    CHAIN_PUB_LEN);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = k != NULL && ctx != NULL &&
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
	    EVP_DigestVerify(ctx, sig, CHAIN_SIG_LEN,
	    (const unsigned char *)msg, len) == 1;

	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(k);
	return ok;
}
