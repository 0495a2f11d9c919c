/*
 * The key cache's refresh: a snapshot of keys (and admin principals) read
 * when storage has newer ones, swapped whole; keys' last use kept in memory
 * and written in batches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin.h"
#include "common/cidr.h"
#include "common/log.h"
#include "common/util.h"
#include "gateway/gateway.h"
#include "gateway/gateway_int.h"
#include "gateway/owners.h"
#include "policy/keys.h"
#include "storage/store.h"

/* Key cache refresh: a snapshot op; the cache is swapped whole. */
struct keys_load {
	struct gateway *gw;
	struct store_op op;
	void (*then)(void *);
	void *then_arg;
};

static void
limits_from_row(struct key_limits *l, const struct store_limits *row)
{
	l->budget.limit = row->budget;
	l->budget.currency = row->currency == CUR_USD ? CUR_USD : CUR_EUR;
	l->budget.period = row->period >= PERIOD_DAILY &&
	    row->period <= PERIOD_TOTAL ? row->period : PERIOD_MONTHLY;
	l->rpm = row->rpm;
	l->tpm = row->tpm;
}

/* Expiry, rotation and the allowlist of a snapshot's row. */
static void
key_life_from_row(struct key_entry *e, const struct store_key_row *row)
{
	size_t bad;

	e->expires_at = row->expires_at;
	memcpy(e->prev_hmac, row->prev_hmac, 32);
	e->prev_until = row->prev_until;
	if (row->allow_ips[0] != '\0' && cidr_parse_list(row->allow_ips,
	    e->allow, CIDR_LIST_MAX, &e->n_allow, &bad) != 0) {
		/* Stored only after the admin API checked it: refuse all
		 * addresses rather than none. */
		log_error("key %s: IP allowlist item %zu does not parse; the "
		    "key is refused everywhere", log_q(e->id), bad);
		memset(e->allow, 0, sizeof(e->allow));
		e->allow[0].family = 4;
		e->allow[0].bits = 32;
		e->allow[0].addr[0] = 0xff;	/* 255.0.0.0/32: no client */
		e->n_allow = 1;
	}
}

static void
keys_loaded(struct store_op *op)
{
	struct keys_load *kl = op->arg;
	struct gateway *gw = kl->gw;

	gw->keys_loading = 0;
	if (op->err != GW_OK) {
		log_error("key refresh failed: %s", gw_strerror(op->err));
	} else if (op->changed) {
		struct key_entry *e = calloc(op->n_rows ? op->n_rows : 1,
		    sizeof(*e));
		struct keycache *kc = NULL;

		if (e != NULL) {
			for (size_t i = 0; i < op->n_rows; i++) {
				snprintf(e[i].id, sizeof(e[i].id), "%.12s",
				    op->rows[i].id);
				snprintf(e[i].team, sizeof(e[i].team), "%s",
				    op->rows[i].team);
				snprintf(e[i].policy, sizeof(e[i].policy), "%s",
				    op->rows[i].policy);
				memcpy(e[i].hmac, op->rows[i].hmac, 32);
				limits_from_row(&e[i].team_limits,
				    &op->rows[i].team_limits);
				limits_from_row(&e[i].key_limits,
				    &op->rows[i].key_limits);
				memcpy(e[i].models,
				    op->rows[i].key_limits.models,
				    sizeof(e[i].models));
				memcpy(e[i].models_deny,
				    op->rows[i].key_limits.models_deny,
				    sizeof(e[i].models_deny));
				key_life_from_row(&e[i], &op->rows[i]);
			}
			kc = keycache_new(e, op->n_rows);
			OPENSSL_cleanse(e, (op->n_rows ? op->n_rows : 1) *
			    sizeof(*e));
			free(e);
		}
		if (kc != NULL) {
			keycache_carry_uses(kc, gw->keys);
			keycache_free(gw->keys);
			gw->keys = kc;
			gw->keys_version = op->version;
			log_debug("key cache: %zu keys (version %lld)",
			    op->n_rows, (long long)op->version);
		}
		OPENSSL_cleanse(op->rows, op->n_rows * sizeof(*op->rows));
	}
	store_op_cleanup(op);
	if (kl->then != NULL)
		kl->then(kl->then_arg);
	free(kl);
}

void
gateway_keys_load(struct gateway *gw, int force, void (*then)(void *),
    void *arg)
{
	struct keys_load *kl = calloc(1, sizeof(*kl));

	if (kl == NULL) {
		if (then != NULL)
			then(arg);
		return;
	}
	kl->gw = gw;
	kl->then = then;
	kl->then_arg = arg;
	kl->op.type = STORE_KEYS_LOAD;
	kl->op.version = force ? -1 : gw->keys_version;
	kl->op.done = keys_loaded;
	kl->op.arg = kl;
	gw->keys_loading = 1;
	store_submit(gw->store, &kl->op);
}

void
gateway_refresh_keys(struct gateway *gw)
{
	gateway_keys_load(gw, 1, NULL, NULL);
}

/* Keys and admin principals: reloaded when storage has newer ones
 * (another instance, or eugatectl on another listener). */
void
gateway_key_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gateway *gw = arg;
	uint64_t now = util_now_ms();

	if (!gw->keys_loading)
		gateway_keys_load(gw, 0, NULL, NULL);
	admin_refresh(gw->admin, 0, NULL, NULL);
	if (now - gw->uses_flushed_ms >= gw->cfg->key_last_used_flush_ms) {
		gateway_flush_key_uses(gw);
		gw->uses_flushed_ms = now;
	}
	if (gw->cfg->database_url_env != NULL)
		owners_poll(gw);
}

/*
 * Keys' last use: kept in the key cache as requests come, written in
 * batches (one op with every key used since the last one) every
 * key_last_used_flush, never a write per request.
 */
#define USAGE_BATCH 1024

struct usage_write {
	struct store_op op;
	struct store_key_use uses[USAGE_BATCH];
};

static void
usage_written(struct store_op *op)
{
	if (op->err != GW_OK)
		log_warn("keys' last use not stored: %s", gw_strerror(op->err));
	free(op->arg);
}

void
gateway_flush_key_uses(struct gateway *gw)
{
	struct key_use u[64];
	size_t n;

	do {
		struct usage_write *w;

		n = 0;
		w = calloc(1, sizeof(*w));
		if (w == NULL)
			return;
		while (n < USAGE_BATCH) {
			size_t got = keycache_take_uses(gw->keys, u,
			    USAGE_BATCH - n < 64 ? USAGE_BATCH - n : 64);

			for (size_t i = 0; i < got; i++, n++) {
				memcpy(w->uses[n].id, u[i].id,
				    sizeof(u[i].id));
				w->uses[n].at = u[i].at;
			}
			if (got == 0)
				break;
		}
		if (n == 0) {
			free(w);
			return;
		}
		w->op.type = STORE_KEYS_TOUCH;
		w->op.uses = w->uses;
		w->op.n_uses = n;
		w->op.done = usage_written;
		w->op.arg = w;
		store_submit(gw->store, &w->op);
	} while (n == USAGE_BATCH);
}
