/* Console sessions: ids, CSRF tokens and expiry in a small fixed table. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "admin/session.h"
#include "common/util.h"

struct session {
	int used;
	unsigned char id[SESSION_HEX / 2];
	char csrf[SESSION_HEX + 1];
	char *token;		/* malloc'ed, wiped before free */
	size_t token_len;
	uint64_t last_ms;	/* the last call */
	uint64_t idle_end_ms;	/* last_ms + idle */
	uint64_t end_ms;	/* the login + life */
};

struct sessions {
	struct session *slots;
	size_t cap;
	uint64_t idle_ms;
	uint64_t life_ms;
};

struct sessions *
sessions_new(size_t cap, uint64_t idle_ms, uint64_t life_ms)
{
	struct sessions *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->slots = calloc(cap ? cap : 1, sizeof(*s->slots));
	if (s->slots == NULL) {
		free(s);
		return NULL;
	}
	s->cap = cap ? cap : 1;
	s->idle_ms = idle_ms;
	s->life_ms = life_ms;
	return s;
}

void
sessions_set_expiry(struct sessions *s, uint64_t idle_ms, uint64_t life_ms)
{
	s->idle_ms = idle_ms;
	s->life_ms = life_ms;
}

void
sessions_end(struct sessions *s, struct session *se)
{
	(void)s;
	if (se == NULL || !se->used)
		return;
	if (se->token != NULL) {
		OPENSSL_cleanse(se->token, se->token_len);
		free(se->token);
	}
	OPENSSL_cleanse(se, sizeof(*se));
	se->used = 0;
}

void
sessions_free(struct sessions *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->cap; i++)
		sessions_end(s, &s->slots[i]);
	free(s->slots);
	free(s);
}

static int
expired(const struct session *se, uint64_t now_ms)
{
	return now_ms >= se->idle_end_ms || now_ms >= se->end_ms;
}

size_t
sessions_count(struct sessions *s, uint64_t now_ms)
{
	size_t n = 0;

	for (size_t i = 0; i < s->cap; i++) {
		if (s->slots[i].used && expired(&s->slots[i], now_ms))
			sessions_end(s, &s->slots[i]);
		n += s->slots[i].used;
	}
	return n;
}

enum gw_err
sessions_create(struct sessions *s, const char *token, size_t len,
    uint64_t now_ms, char id[SESSION_HEX + 1], char csrf[SESSION_HEX + 1])
{
	unsigned char rnd[SESSION_HEX / 2];
	struct session *se = NULL;
	enum gw_err err;

	if (len == 0 || len > SESSION_TOKEN_MAX)
		return GW_ERR_INVAL;
	(void)sessions_count(s, now_ms);
	for (size_t i = 0; i < s->cap; i++) {
		struct session *t = &s->slots[i];

		if (!t->used) {
			se = t;
			break;
		}
		if (se == NULL || t->last_ms < se->last_ms)
			se = t;
	}
	sessions_end(s, se);	/* the one used longest ago, when full */
	se->token = malloc(len + 1);
	if (se->token == NULL)
		return GW_ERR_NOMEM;
	memcpy(se->token, token, len);
	se->token[len] = '\0';
	se->token_len = len;
	if ((err = util_random(se->id, sizeof(se->id))) != GW_OK ||
	    (err = util_random(rnd, sizeof(rnd))) != GW_OK) {
		se->used = 1;
		sessions_end(s, se);
		return err;
	}
	util_hex(rnd, sizeof(rnd), se->csrf);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	se->used = 1;
	se->last_ms = now_ms;
	se->idle_end_ms = now_ms + s->idle_ms;
	se->end_ms = now_ms + s->life_ms;
	util_hex(se->id, sizeof(se->id), id);
	memcpy(csrf, se->csrf, sizeof(se->csrf));
	return GW_OK;
}

static int
unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

struct session *
sessions_find(struct sessions *s, const char *id, size_t len, uint64_t now_ms)
{
	unsigned char raw[SESSION_HEX / 2];
	struct session *found = NULL;

	if (len != SESSION_HEX)
		return NULL;
	for (size_t i = 0; i < sizeof(raw); i++) {
		int hi = unhex(id[2 * i]), lo = unhex(id[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return NULL;
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	/* Every slot is compared, in constant time. */
	for (size_t i = 0; i < s->cap; i++) {
		struct session *t = &s->slots[i];

		if (t->used && CRYPTO_memcmp(t->id, raw, sizeof(raw)) == 0)
			found = t;
	}
	if (found == NULL)
		return NULL;
	if (expired(found, now_ms)) {
		sessions_end(s, found);
		return NULL;
	}
	found->last_ms = now_ms;
	found->idle_end_ms = now_ms + s->idle_ms;
	return found;
}

const char *
session_token(const struct session *se, size_t *len)
{
	*len = se->token_len;
	return se->token;
}

const char *
session_csrf(const struct session *se)
{
	return se->csrf;
}

int
session_csrf_ok(const struct session *se, const char *csrf, size_t len)
{
	return csrf != NULL && len == SESSION_HEX &&
	    CRYPTO_memcmp(se->csrf, csrf, SESSION_HEX) == 0;
}

uint64_t
session_idle_end(const struct session *se)
{
	return se->idle_end_ms;
}

uint64_t
session_end(const struct session *se)
{
	return se->end_ms;
}
