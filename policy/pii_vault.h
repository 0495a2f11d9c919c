/*
 * Pseudonyms and their restoration. A token is "<TYPE_XXXXXX>": the suffix
 * is the first 30 bits, in Crockford base32, of HMAC-SHA256(server secret,
 * "eugate-pii" 0 team 0 type 0 normalized value), so the same value gets
 * the same token in every message, turn and request of a team, and other
 * teams cannot link it. The closing '>' makes tokens prefix-free. Two
 * values of one request that collide get 8-character suffixes. The vault
 * lives for one request and maps the tokens it issued back to the values.
 */
#ifndef POLICY_PII_VAULT_H
#define POLICY_PII_VAULT_H

#include <stddef.h>

#include "common/err.h"
#include "policy/keys.h"
#include "policy/pii.h"

enum pii_action {
	PII_ACT_OFF, PII_ACT_DETECT, PII_ACT_REDACT, PII_ACT_PSEUDONYMIZE,
	PII_ACT_BLOCK
};

#define PII_TOKEN_MAX 32

struct pii_entry {
	char token[PII_TOKEN_MAX];
	size_t token_len;
	int type;
	char *value;		/* the original text, restored in answers */
	size_t value_len;
	char *norm;		/* the normalized value behind the token */
	size_t norm_len;
};

struct pii_vault {
	struct pii_entry *v;
	size_t n, cap;
	size_t max_token_len;
	unsigned counts[PII__COUNT];	/* findings by type, any action */
	unsigned blocked[PII__COUNT];	/* findings whose action is block */
	/* Token-shaped strings the client sent itself: never issued. */
	char **seen;
	size_t n_seen;
};

/* Growable output text. */
struct pii_buf {
	char *p;
	size_t len, cap;
};

int pii_buf_add(struct pii_buf *b, const char *s, size_t n);
void pii_buf_free(struct pii_buf *b);

void pii_vault_init(struct pii_vault *v);
/* Wipes and frees the values. */
void pii_vault_cleanup(struct pii_vault *v);

/* Records token-shaped strings of a client text (call before apply). */
int pii_vault_note_lookalikes(struct pii_vault *v, const char *text,
    size_t len);

/* What to do with each type; allow: literal values left alone. */
struct pii_rules {
	unsigned char action[PII__COUNT];
	char *const *allow;
	size_t n_allow;
	const struct pii_regions *phone_regions;	/* or NULL */
};

/*
 * Scans text and rewrites it by the rules into out (only when *changed).
 * Counts findings in the vault. Returns 0, or -1 on a scanner or memory
 * failure (the caller fails closed).
 */
int pii_apply(struct pii_engine *e, struct pii_vault *v, struct keys_hmac *h,
    const char *team, const struct pii_rules *rules, const char *text,
    size_t len, struct pii_buf *out, int *changed);

/*
 * Writes text[start, len) with every issued token replaced by its value;
 * json: the value is escaped for the inside of a JSON string. With
 * guard_urls, tokens inside URLs and markdown link targets stay (text[0,
 * start) is context for that test). Returns the number of tokens restored.
 */
size_t pii_restore(const struct pii_vault *v, const char *text, size_t start,
    size_t len, int json, int guard_urls, struct pii_buf *out);

/* One streamed text field: what may still become a token, and the last
 * bytes sent (the context of the URL test). */
struct pii_stream_field {
	struct pii_buf carry;
	char tail[256];
	size_t tail_len;
};

/*
 * Appends to out what of the delta can be sent now, restored; final
 * flushes what was held.
 */
size_t pii_restore_stream(const struct pii_vault *v,
    struct pii_stream_field *f, const char *delta, size_t len, int final,
    int json, struct pii_buf *out);
void pii_stream_field_cleanup(struct pii_stream_field *f);

#endif
