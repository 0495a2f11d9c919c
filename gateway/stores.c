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
#include "storage/migrate.h"
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

/* instance_name, else the host name (64 bytes at most), into buf. */
static const char *
instance_of(const struct config *cfg, char *buf, size_t len)
{
	if (cfg->instance_name != NULL)
		return cfg->instance_name;
	if (gethostname(buf, len) != 0)
		snprintf(buf, len, "default");
	buf[len - 1] = '\0';
	if (len > 65)
		buf[64] = '\0';
	return buf;
}

int
stores_migrate(const struct config *cfg, const char *url)
{
	char path[4096], key[4096], host[256];
	struct migrate_counts n;
	const char *instance = instance_of(cfg, host, sizeof(host));
	enum gw_err err;

	if (strcmp(url, "env") == 0) {
		if (cfg->database_url_env == NULL) {
			log_error("--migrate-to env: [gateway] "
			    "database_url_env is not set");
			return 1;
		}
		url = database_url(cfg);
		if (url == NULL)
			return 1;
	}
	snprintf(path, sizeof(path), "%s/eugate.db", cfg->data_dir);
	snprintf(key, sizeof(key), "%s/audit_ed25519.pem", cfg->data_dir);
	err = migrate_sqlite_to_pg(path, url, instance, key, &n);
	if (err != GW_OK) {
		log_error("migration failed: %s", gw_strerror(err));
		return 1;
	}
	printf("migrated %s into PostgreSQL as instance %s: %lld teams, %lld "
	    "keys, %lld ledger entries, %lld audit records and %lld "
	    "checkpoints (the chain verifies), %lld objects, %lld admins\n",
	    path, instance, (long long)n.teams, (long long)n.keys,
	    (long long)n.ledger, (long long)n.audit, (long long)n.checkpoints,
	    (long long)n.objects, (long long)n.admins);
	return 0;
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
		.instance_timeout_ms = (int64_t)cfg->instance_timeout_ms,
	};
	const char *where = path;
	enum gw_err err;

	snprintf(key, sizeof(key), "%s/audit_ed25519.pem", cfg->data_dir);
	snprintf(path, sizeof(path), "%s/eugate.db", cfg->data_dir);
	if (cfg->database_url_env != NULL) {
		where = database_url(cfg);
		if (where == NULL)
			return GW_ERR_CONFIG;
		sc.instance = instance_of(cfg, host, sizeof(host));
		if (keys_hmac_compute(gw->hmac, SECRET_CHECK,
		    strlen(SECRET_CHECK), check) == GW_OK)
			sc.secret_check = check;
	}
	err = store_open(where, &sc, gw->base, &gw->store);
	if (err == GW_OK) {
		sc.readonly = 1;
		sc.writer = gw->store;
		err = store_open(where, &sc, gw->base, &gw->reader);
	}
	OPENSSL_cleanse(check, sizeof(check));
	return err;
}
