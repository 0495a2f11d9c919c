/*
 * The open-file limit: at start the soft RLIMIT_NOFILE is raised to the
 * hard limit, and what max_connections needs is checked against it (as
 * HAProxy does for maxconn): under systemd the soft limit is 1,024 unless
 * the unit sets LimitNOFILE=.
 */
#ifndef GATEWAY_FDLIMIT_H
#define GATEWAY_FDLIMIT_H

#include <stdint.h>

struct config;

/* Raises the soft limit to the hard one (where the kernel allows);
 * returns the soft limit in effect, 0 when it can not be read. */
uint64_t fdlimit_raise(void);
/* The soft limit in effect, 0 when it can not be read. */
uint64_t fdlimit_current(void);

/*
 * The descriptors cfg needs at most: a client connection and an upstream
 * connection for each of max_connections, the listeners, the store's
 * files, the worker threads' and the loop's own, and a margin.
 */
uint64_t fdlimit_need(const struct config *cfg);

/* Logs a warning naming both numbers when limit is below what cfg needs;
 * returns 1 when it fits. */
int fdlimit_check(const struct config *cfg, uint64_t limit);

#endif
