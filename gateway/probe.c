/* Circuit-breaker slots and active health checks of upstreams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "gateway/gateway.h"
#include "gateway/probe.h"
#include "gateway/upstream.h"

struct probe {
	struct gateway *gw;
	const struct upstream_conf *up;	/* lives in probes.cfg */
	struct event *timer;
	struct uxfer *xfer;
	int reported;			/* this check's outcome is in */
	char url[2048];
	char auth[600];			/* "Authorization: Bearer ..." */
};

struct probes {
	struct config *cfg;		/* the snapshot the checks belong to */
	struct probe *v;
	size_t n;
};

enum gw_err
probe_adopt(struct gateway *gw, struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_upstreams; i++) {
		size_t slot = health_slot(&gw->health, cfg->upstreams[i].name);

		if (slot == (size_t)-1)
			return GW_ERR_NOMEM;
		cfg->upstreams[i].health_slot = slot;
	}
	return GW_OK;
}

static void
report(struct probe *p, int ok)
{
	struct up_health *h = &p->gw->health.v[p->up->health_slot];

	if (p->reported)
		return;
	p->reported = 1;
	if (!ok)
		log_warn("upstream %s: health check %s failed",
		    log_q(p->up->name), log_q(p->up->health_path));
	health_result(h, ok, util_now_us(), (unsigned)p->up->fail_threshold,
	    p->up->cooldown_ms * 1000);
}

static int
on_head(void *arg, int status, const struct uheader *h, size_t n)
{
	report(arg, health_status_ok(status));
	return 0;
}

static int
on_data(void *arg, const char *data, size_t len)
{
	return 0;	/* the body is not needed */
}

static void
on_done(void *arg, int result, const char *errmsg)
{
	struct probe *p = arg;

	p->xfer = NULL;
	report(p, result == 0);
}

static const struct uxfer_ops probe_ops = {
	.on_head = on_head,
	.on_data = on_data,
	.on_done = on_done,
};

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	const char *lines[3] = { NULL, NULL, NULL };
	struct uxfer_req ur;
	uint64_t timeout = p->up->health_interval_ms < 10000 ?
	    p->up->health_interval_ms : 10000;

	if (p->xfer != NULL)
		return;		/* the last check is still running */
	if (p->auth[0] != '\0')
		lines[0] = p->auth;
	memset(&ur, 0, sizeof(ur));
	ur.url = p->url;
	ur.method = "GET";
	ur.headers = lines;
	ur.connect_timeout_ms = p->gw->cfg->upstream_connect_timeout_ms;
	ur.total_timeout_ms = timeout;
	p->reported = 0;
	health_begin(&p->gw->health.v[p->up->health_slot], util_now_us());
	p->xfer = uxfer_start(p->gw->upool, &ur, &probe_ops, p);
	if (p->xfer == NULL)
		report(p, 0);
}

enum gw_err
probe_start(struct gateway *gw)
{
	struct config *cfg = gw->cfg;
	struct probes *ps = calloc(1, sizeof(*ps));

	if (ps == NULL)
		return GW_ERR_NOMEM;
	ps->v = calloc(cfg->n_upstreams ? cfg->n_upstreams : 1,
	    sizeof(*ps->v));
	if (ps->v == NULL) {
		free(ps);
		return GW_ERR_NOMEM;
	}
	ps->cfg = config_ref(cfg);
	gw->probes = ps;
	for (size_t i = 0; i < cfg->n_upstreams; i++) {
		const struct upstream_conf *u = &cfg->upstreams[i];
		struct probe *p = &ps->v[ps->n];
		struct timeval tv = {
			(time_t)(u->health_interval_ms / 1000),
			(suseconds_t)(u->health_interval_ms % 1000) * 1000
		};

		if (!u->enabled || u->health_path == NULL)
			continue;
		p->gw = gw;
		p->up = u;
		snprintf(p->url, sizeof(p->url), "%s%s", u->url,
		    u->health_path);
		if (u->api_key != NULL)
			snprintf(p->auth, sizeof(p->auth),
			    "Authorization: Bearer %s", u->api_key);
		p->timer = event_new(gw->base, -1, EV_PERSIST, tick, p);
		if (p->timer == NULL)
			return GW_ERR_NOMEM;
		ps->n++;
		event_add(p->timer, &tv);
	}
	return GW_OK;
}

void
probe_stop(struct gateway *gw)
{
	struct probes *ps = gw->probes;

	if (ps == NULL)
		return;
	for (size_t i = 0; i < ps->n; i++) {
		if (ps->v[i].timer != NULL)
			event_free(ps->v[i].timer);
		if (ps->v[i].xfer != NULL)
			uxfer_abort(ps->v[i].xfer);
	}
	OPENSSL_cleanse(ps->v, ps->n * sizeof(*ps->v));
	free(ps->v);
	config_unref(ps->cfg);
	free(ps);
	gw->probes = NULL;
}
