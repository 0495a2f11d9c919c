/* eugate: the GDPR-aware gateway daemon's entry point. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/admin.h"
#include "common/errors.h"
#include "common/http.h"
#include "common/log.h"
#include "gateway/config.h"
#include "gateway/config_keys.h"
#include "gateway/fdlimit.h"
#include "gateway/gateway.h"
#include "gateway/stores.h"
#include "gateway/metrics.h"
#include "policy/endpoint.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: eugate [-t] [-c FILE] [-d] [--print-config | "
	    "--print-policies]\n"
	    "  -c FILE           configuration file (default: built-in "
	    "defaults)\n"
	    "  -t                check the configuration and exit\n"
	    "  -d                debug logging\n"
	    "  -k                list the configuration keys and exit\n"
	    "  --print-config    check, print every setting in effect (INI) "
	    "and exit\n"
	    "  --print-policies  the same for the [policy NAME] sections "
	    "only\n"
	    "  --list-endpoints  every operation of the API eugate forwards "
	    "(METHOD PATH GROUP ...)\n"
	    "  --list-errors     every error code it answers with (CODE "
	    "STATUS TYPE MEANING)\n"
	    "  --list-admin-routes  every admin API route (METHOD PATH ROLES "
	    "SCOPE)\n"
	    "  --list-metrics    every Prometheus metric family (NAME TYPE "
	    "LABELS HELP)\n"
	    "  --migrate-to URL  copy data_dir's SQLite database into "
	    "PostgreSQL and verify\n"
	    "                    it (URL \"env\": the one database_url_env "
	    "names)\n");
}

/* Every operation eugate knows: METHOD PATH GROUP [flags]. */
static void
list_endpoints(FILE *out)
{
	for (size_t i = 0; i < n_endpoints; i++) {
		const struct endpoint *ep = &endpoints[i];

		fprintf(out, "%s %s %s%s%s%s%s%s\n",
		    http_method_name(ep->method), ep->path,
		    endpoint_group_name(ep->group),
		    ep->flags & EP_STATELESS ? " stateless" : "",
		    ep->flags & EP_STREAM ? " stream" : "",
		    ep->creates ? " creates:" : "",
		    endpoint_obj_name(ep->creates), ep->lists ? " lists" : "");
	}
}

/* Every metric family: NAME TYPE LABELS (comma-separated, "-": none) HELP. */
static void
list_metrics(FILE *out)
{
	for (int i = 0; i < MF__COUNT; i++) {
		const char *name, *type, *help, *labels[3];
		size_t n = metrics_describe(i, &name, &type, &help, labels);

		fprintf(out, "%s %s ", name, type);
		for (size_t k = 0; k < n; k++)
			fprintf(out, "%s%s", k ? "," : "", labels[k]);
		fprintf(out, "%s %s\n", n ? "" : "-", help);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "print-config", no_argument, NULL, 'P' },
		{ "print-policies", no_argument, NULL, 'p' },
		{ "list-endpoints", no_argument, NULL, 'E' },
		{ "list-errors", no_argument, NULL, 'R' },
		{ "list-admin-routes", no_argument, NULL, 'A' },
		{ "migrate-to", required_argument, NULL, 'M' },
		{ "list-metrics", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = NULL, *migrate = NULL;
	int check = 0, debug = 0, print = 0, opt, rc;
	struct config *cfg;
	struct gateway gw;
	char err[600];
	enum gw_err e;

	/*
	 * Bodies of megabytes come and go: allocations from 256 KiB up are
	 * mapped and unmapped whole, so that their memory goes back to the
	 * system at once. (glibc would otherwise raise the threshold after
	 * the first large free and keep such blocks in its heaps.)
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	while ((opt = getopt_long(argc, argv, "c:tdkh", longopts, NULL)) !=
	    -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'k':
			config_keys_list(stdout);
			return 0;
		case 'E':
			list_endpoints(stdout);
			return 0;
		case 'R':
			for (size_t i = 0; i < n_api_errors; i++)
				printf("%s %d %s %s\n", api_errors[i].code,
				    api_errors[i].status, api_errors[i].type,
				    api_errors[i].message);
			return 0;
		case 'A':
			admin_routes_print(stdout);
			return 0;
		case 'L':
			list_metrics(stdout);
			return 0;
		case 'P':
			print = CONFIG_PRINT_ALL;
			break;
		case 'M':
			migrate = optarg;
			break;
		case 'p':
			print = CONFIG_PRINT_POLICIES;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	cfg = config_load(path, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (print != 0) {
		/* Only the configuration on stdout: it loads as it is. */
		config_keys_print(cfg, stdout, print);
		config_unref(cfg);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (migrate != NULL) {
		log_set_level(debug ? LOG_DEBUG :
		    (enum log_level)cfg->log_level);
		rc = stores_migrate(cfg, migrate);
		config_unref(cfg);
		return rc;
	}
	if (check) {
		/* A limit that would not fit is reported here too. */
		fdlimit_check(cfg, fdlimit_raise());
		printf("configuration OK\n");
		config_unref(cfg);
		return 0;
	}
	log_set_level(debug ? LOG_DEBUG : (enum log_level)cfg->log_level);
	log_set_format((enum log_format)cfg->log_format);
	/* Before any descriptor is opened. */
	fdlimit_check(cfg, fdlimit_raise());
	/* Budget periods follow this zone; set once, before any thread. */
	if (setenv("TZ", cfg->budget_timezone, 1) != 0) {
		log_error("cannot set the time zone");
		config_unref(cfg);
		return 1;
	}
	tzset();
	e = gateway_init(&gw, cfg, path);
	config_unref(cfg);
	if (e != GW_OK) {
		log_error("startup failed: %s", gw_strerror(e));
		gateway_cleanup(&gw);
		return 1;
	}
	rc = gateway_run(&gw);
	log_info("stopped");
	gateway_cleanup(&gw);
	return rc;
}
