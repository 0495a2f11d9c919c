/* The writer's and the reader's stores: SQLite, or a shared PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "gateway/gateway.h"
#include "gateway/stores.h"
#include "policy/keys.h"
#include "storage/store.h"

/* What fingerprints the key-hashing secret in a shared database: the
 * HMAC of a fixed text, as a key's secret would be hashed. Instances
 * whose fingerprints differ can not check each other's keys. */
#define SECRET_CHECK "eugate-secret-check-1"

/* The PostgreSQL URI from the environment; NULL (logged) when unusable. */
static const char *
database_url(const struct config *cfg)
{
	const char *url = getenv(cfg->database_url_env);

	if (url == NULL || *url == '\0') {
		log_error("database_url_env: the environment variable %s is "
		    "not set (it holds the PostgreSQL connection URI)",
		    log_q(cfg->database_url_env));
		return NULL;
	}
	if (strncmp(url, "postgresql://", 13) != 0 &&
	    strncmp(url, "postgres://", 11) != 0) {
		log_error("database_url_env: %s does not hold a PostgreSQL "
		    "connection URI (postgresql://USER:PASSWORD@HOST:PORT/DB)",
		    log_q(cfg->database_url_env));
		return NULL;
	}
	return url;
}

enum gw_err
stores_open(struct gateway *gw, const struct config *cfg)
{
	char key[4096], path[4096], host[256];
	unsigned char check[32];
	struct store_conf sc = {
		.full_sync = cfg->storage_sync == STORAGE_SYNC_FULL,
		.audit_key = key,
		.checkpoint_every = (int64_t)cfg->audit_checkpoint_records,
	};
	const char *where = path;
	enum gw_err err;

	snprintf(key, sizeof(key), "%s/audit_ed25519.pem", cfg->data_dir);
	snprintf(path, sizeof(path), "%s/eugate.db", cfg->data_dir);
	if (cfg->database_url_env != NULL) {
		where = database_url(cfg);
		if (where == NULL)
			return GW_ERR_CONFIG;
		if (cfg->instance_name != NULL) {
			sc.instance = cfg->instance_name;
		} else {
			if (gethostname(host, sizeof(host)) != 0)
				snprintf(host, sizeof(host), "default");
			host[sizeof(host) - 1] = '\0';
			host[64] = '\0';	/* names are 64 bytes at most */
			sc.instance = host;
		}
		if (keys_hmac_compute(gw->hmac, SECRET_CHECK,
		    strlen(SECRET_CHECK), check) == GW_OK)
			sc.secret_check = check;
	}
	err = store_open(where, &sc, gw->base, &gw->store);
	if (err == GW_OK) {
		sc.readonly = 1;
		err = store_open(where, &sc, gw->base, &gw->reader);
	}
	OPENSSL_cleanse(check, sizeof(check));
	return err;
}
