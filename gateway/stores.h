/*
 * The gateway's two stores (storage/store.h): the writer's and a reader
 * for long reads, on SQLite in data_dir, or on the PostgreSQL that
 * database_url_env names (several instances share it).
 */
#ifndef GATEWAY_STORES_H
#define GATEWAY_STORES_H

#include "common/err.h"
#include "gateway/config.h"

struct gateway;

/* Opens gw->store and gw->reader (gw->base and gw->hmac are set); logs
 * what failed. */
enum gw_err stores_open(struct gateway *gw, const struct config *cfg)
    GW_WUR;

/*
 * eugate --migrate-to URL: copies data_dir's SQLite database into the
 * PostgreSQL database at url ("env": the one database_url_env names,
 * which keeps the password out of the process list), as this instance
 * (instance_name), and verifies the copy. Prints what it copied; returns
 * the exit status.
 */
int stores_migrate(const struct config *cfg, const char *url);

#endif
