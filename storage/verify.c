/*
 * The audit chain's verification walk: every record's seq follows the
 * last, its prev is the last hash, its content gives its hash, and every
 * checkpoint's head is the hash at its seq. The first failure names the
 * record. No SQL: the backends feed it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/util.h"
#include "storage/chain.h"
#include "storage/verify.h"

/* One checkpoint to hold the chain against (stored or external). */
struct cp {
	int64_t seq;
	unsigned char head[32];
	int external;
};

struct verify {
	unsigned char pub[32];
	int has_key;
	struct cp *cps;
	size_t n, cap;
	size_t ci;		/* the next checkpoint to meet */
	int sorted;
	int64_t bad_seq;	/* the first bad record, 0: none yet */
	char reason[200];
	int64_t internal;	/* checkpoints stored */
	int64_t external;
	unsigned char last[32];
	int64_t n_rec, first, expect, signed_through;
	long long purged_to;
};

static int
cp_cmp(const void *a, const void *b)
{
	const struct cp *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int
verify_hex_decode(const char *hex, unsigned char *out, size_t n)
{
	if (hex == NULL || strlen(hex) != n * 2)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1 ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

struct verify *
verify_new(const unsigned char pub[32], int has_key)
{
	struct verify *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	if (has_key)
		memcpy(v->pub, pub, 32);
	v->has_key = has_key;
	return v;
}

void
verify_free(struct verify *v)
{
	if (v == NULL)
		return;
	free(v->cps);
	free(v);
}

static void
problem(struct verify *v, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct verify *v, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (v->bad_seq != 0)
		return;
	v->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

static int
cp_add(struct verify *v, int64_t seq, const unsigned char head[32],
    int external)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct cp *c = realloc(v->cps, cap * sizeof(*c));

		if (c == NULL)
			return -1;
		v->cps = c;
		v->cap = cap;
	}
	v->cps[v->n].seq = seq;
	memcpy(v->cps[v->n].head, head, 32);
	v->cps[v->n++].external = external;
	v->sorted = 0;
	return 0;
}

/* Checks a checkpoint's signature; a good one joins the list. */
static int
cp_check(struct verify *v, const unsigned char pub[32], int64_t seq,
    const unsigned char head[32], int64_t ts, const unsigned char sig[64],
    int external)
{
	char msg[160];
	size_t n = chain_checkpoint_msg(seq, head, ts, msg, sizeof(msg));

	if (n == 0 || !chain_verify(pub, msg, n, sig)) {
		problem(v, seq, "%s checkpoint %lld: bad signature",
		    external ? "external" : "stored", (long long)seq);
		return 0;
	}
	return cp_add(v, seq, head, external);
}

int
verify_stored(struct verify *v, int64_t seq, const unsigned char head[32],
    int64_t ts, const unsigned char sig[64])
{
	v->internal++;
	if (!v->has_key) {
		problem(v, seq, "no signing key to check checkpoint %lld",
		    (long long)seq);
		return 0;
	}
	return cp_check(v, v->pub, seq, head, ts, sig, 0);
}

enum gw_err
verify_external(struct verify *v, const json_t *ext, const char *instance,
    int any_unnamed)
{
	unsigned char pub[32];
	json_t *arr = json_object_get(ext, "checkpoints"), *c;
	const char *pk = json_string_value(json_object_get(ext, "public_key"));
	size_t i;

	if (pk != NULL) {
		if (verify_hex_decode(pk, pub, 32) != 0)
			return GW_ERR_INVAL;
	} else if (v->has_key) {
		memcpy(pub, v->pub, 32);
	} else {
		return GW_ERR_INVAL;
	}
	if (!json_is_array(arr))
		return GW_ERR_INVAL;
	json_array_foreach(arr, i, c) {
		unsigned char head[32], sig[64];
		json_t *seq = json_object_get(c, "seq"),
		    *ts = json_object_get(c, "ts"),
		    *in = json_object_get(c, "instance");

		if (!json_is_integer(seq) || !json_is_integer(ts) ||
		    (in != NULL && !json_is_string(in)) ||
		    verify_hex_decode(json_string_value(json_object_get(c,
		    "head")), head, 32) != 0 ||
		    verify_hex_decode(json_string_value(json_object_get(c,
		    "sig")), sig, 64) != 0)
			return GW_ERR_INVAL;
		if (instance != NULL && (in != NULL ? strcmp(json_string_value(
		    in), instance) != 0 : !any_unnamed))
			continue;
		v->external++;
		if (cp_check(v, pub, json_integer_value(seq), head,
		    json_integer_value(ts), sig, 1) < 0)
			return GW_ERR_NOMEM;
	}
	return GW_OK;
}

static void
sort_cps(struct verify *v)
{
	if (!v->sorted && v->n > 0)
		qsort(v->cps, v->n, sizeof(*v->cps), cp_cmp);
	v->sorted = 1;
}

int
verify_record(struct verify *v, const struct store_request *r, int64_t seq,
    const unsigned char prev[32], const unsigned char hash[32])
{
	unsigned char calc[32];
	long long a, b;

	if (v->bad_seq != 0)
		return 1;
	sort_cps(v);
	if (v->n_rec == 0) {
		/* The chain starts at 1, or just after a checkpoint
		 * (retention removed what was before it). */
		v->first = v->expect = seq;
		while (v->ci < v->n && v->cps[v->ci].seq < seq - 1)
			v->ci++;
		if (seq > 1 &&
		    (v->ci == v->n || v->cps[v->ci].seq != seq - 1)) {
			problem(v, seq - 1, "record %lld is missing: the chain "
			    "starts at %lld and no checkpoint covers what is "
			    "before it", (long long)(seq - 1), (long long)seq);
			return 1;
		}
		if (seq > 1) {
			memcpy(v->last, v->cps[v->ci].head, 32);
			v->signed_through = seq - 1;
			for (; v->ci < v->n && v->cps[v->ci].seq == seq - 1;
			    v->ci++)
				;
		}
	}
	v->n_rec++;
	if (seq != v->expect) {
		problem(v, v->expect, "record %lld is missing (the next record "
		    "is %lld)", (long long)v->expect, (long long)seq);
		return 1;
	}
	if (CRYPTO_memcmp(prev, v->last, 32) != 0) {
		problem(v, seq, "record %lld does not follow record %lld (its "
		    "previous hash differs: replaced, reordered or inserted)",
		    (long long)seq, (long long)(seq - 1));
		return 1;
	}
	chain_hash(r, seq, prev, calc);
	if (CRYPTO_memcmp(calc, hash, 32) != 0) {
		problem(v, seq, "record %lld was changed (its content does not "
		    "give its hash)", (long long)seq);
		return 1;
	}
	for (; v->ci < v->n && v->cps[v->ci].seq == seq; v->ci++) {
		if (CRYPTO_memcmp(v->cps[v->ci].head, hash, 32) != 0) {
			problem(v, v->signed_through + 1, "records %lld..%lld "
			    "were rewritten: the %s checkpoint %lld signed "
			    "another chain", (long long)(v->signed_through + 1),
			    (long long)seq, v->cps[v->ci].external ?
			    "external" : "stored", (long long)seq);
			return 1;
		}
		v->signed_through = seq;
	}
	if (strcmp(r->kind, "system") == 0 &&
	    strcmp(r->path, "retention") == 0 &&
	    sscanf(r->verdicts, "purged=%lld..%lld", &a, &b) == 2 &&
	    b > v->purged_to)
		v->purged_to = b;
	memcpy(v->last, hash, 32);
	v->expect = seq + 1;
	return 0;
}

json_t *
verify_report(struct verify *v)
{
	int64_t n = v->n_rec;
	char pubhex[65];
	json_t *j;

	sort_cps(v);
	/* What is missing before the first record must have been purged:
	 * by a (chained, signed) retention record. */
	if (v->bad_seq == 0 && v->first > 1 && v->purged_to < v->first - 1)
		problem(v, v->first - 1, "records up to %lld were removed "
		    "without a retention record", (long long)(v->first - 1));
	if (v->bad_seq == 0 && v->ci < v->n) {
		int64_t from = n ? v->expect : 1;

		problem(v, from, "records %lld..%lld are missing: the %s "
		    "checkpoint %lld signed them", (long long)from,
		    (long long)v->cps[v->n - 1].seq, v->cps[v->n - 1].external ?
		    "external" : "stored", (long long)v->cps[v->n - 1].seq);
	}
	util_hex(v->pub, 32, pubhex);
	j = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
	    "object", "audit_verification", "ok", v->bad_seq == 0, "records",
	    (json_int_t)n, "first_seq", (json_int_t)v->first, "last_seq",
	    (json_int_t)(n ? v->expect - 1 : 0), "checkpoints",
	    (json_int_t)v->internal, "external_checkpoints",
	    (json_int_t)v->external, "signed_through",
	    (json_int_t)v->signed_through, "unsigned_records",
	    (json_int_t)(n ? v->expect - 1 - v->signed_through : 0),
	    "public_key", v->has_key ? pubhex : "");
	if (j != NULL && v->bad_seq != 0)
		json_object_set_new(j, "first_bad", json_pack("{s:I, s:s}",
		    "seq", (json_int_t)v->bad_seq, "reason", v->reason));
	return j;
}
