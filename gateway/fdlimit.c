/* The open-file limit: raised at start, checked against max_connections. */
#include <sys/resource.h>

#include "common/log.h"
#include "gateway/config.h"
#include "gateway/fdlimit.h"

/* The listeners (client, admin). */
#define FD_LISTENERS 2
/* Two stores (writer, reader): database, WAL and shared memory each, the
 * journal and the key files. */
#define FD_STORAGE 10
/* Standard streams, the loop's signal and notification pipes, libcurl's
 * wakeups, health checks, the OTLP exporter, DNS: a margin. */
#define FD_MARGIN 32

uint64_t
fdlimit_current(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX :
	    (uint64_t)rl.rlim_cur;
}

uint64_t
fdlimit_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur != rl.rlim_max) {
		struct rlimit want = { rl.rlim_max, rl.rlim_max };

		/* An unlimited hard limit is not a valid soft one for files
		 * (nr_open caps it): keep what the system has then. */
		if (setrlimit(RLIMIT_NOFILE, &want) != 0)
			log_debug("cannot raise the open-file limit to %llu",
			    (unsigned long long)rl.rlim_max);
	}
	return fdlimit_current();
}

uint64_t
fdlimit_need(const struct config *cfg)
{
	/* Each client connection may hold one request, whose upstream
	 * transfer has a connection of its own. */
	return 2 * cfg->max_connections + FD_LISTENERS + FD_STORAGE +
	    2 * cfg->workers + FD_MARGIN;
}

int
fdlimit_check(const struct config *cfg, uint64_t limit)
{
	uint64_t need = fdlimit_need(cfg);

	if (limit == 0 || limit >= need)
		return 1;
	log_warn("open-file limit %llu is below the %llu that max_connections "
	    "= %llu needs (a client and an upstream connection each, "
	    "listeners, storage, threads): raise it (systemd: "
	    "LimitNOFILE=%llu) or lower max_connections to %llu",
	    (unsigned long long)limit, (unsigned long long)need,
	    (unsigned long long)cfg->max_connections,
	    (unsigned long long)need,
	    (unsigned long long)(limit > need - 2 * cfg->max_connections ?
	    (limit - (need - 2 * cfg->max_connections)) / 2 : 0));
	return 0;
}
