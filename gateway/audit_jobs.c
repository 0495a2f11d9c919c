/* Periodic audit checkpoints and the retention purge. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "gateway/audit_jobs.h"
#include "gateway/gateway.h"
#include "storage/store.h"

struct audit_jobs {
	struct gateway *gw;
	struct event *cp_timer, *purge_timer;
	struct store_op cp_op, purge_op;
	int cp_busy, purge_busy;
};

static void
arm(struct event *ev, uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
	    (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

static void
checkpointed(struct store_op *op)
{
	struct audit_jobs *j = op->arg;

	j->cp_busy = 0;
	if (op->err != GW_OK)
		log_error("audit: checkpoint not stored: %s",
		    gw_strerror(op->err));
}

static void
cp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct audit_jobs *j = arg;

	if (!j->cp_busy) {
		memset(&j->cp_op, 0, sizeof(j->cp_op));
		j->cp_op.type = STORE_AUDIT_CHECKPOINT;
		j->cp_op.to_ms = util_wall_s() * 1000;
		j->cp_op.done = checkpointed;
		j->cp_op.arg = j;
		j->cp_busy = 1;
		store_submit(j->gw->store, &j->cp_op);
	}
	arm(j->cp_timer, j->gw->cfg->audit_checkpoint_interval_ms);
}

/* How often retention runs: a tenth of the retention, 1 s to 1 h. */
static uint64_t
purge_every(const struct config *cfg)
{
	uint64_t ms = cfg->audit_retention_ms / 10;

	if (cfg->audit_retention_ms == 0 || ms > 3600000)
		return 3600000;
	return ms < 1000 ? 1000 : ms;
}

static void purge(struct audit_jobs *j);

static void
purged(struct store_op *op)
{
	struct audit_jobs *j = op->arg;

	j->purge_busy = 0;
	if (op->err != GW_OK)
		log_error("audit: retention purge failed: %s",
		    gw_strerror(op->err));
	else if (op->more)
		purge(j);	/* the next chunk, at once */
}

static void
purge(struct audit_jobs *j)
{
	const struct config *cfg = j->gw->cfg;
	int64_t now = util_wall_s() * 1000;

	if (cfg->audit_retention_ms > 0 && !j->purge_busy) {
		memset(&j->purge_op, 0, sizeof(j->purge_op));
		j->purge_op.type = STORE_AUDIT_PURGE;
		j->purge_op.from_ms = now;
		j->purge_op.to_ms = now - (int64_t)cfg->audit_retention_ms;
		j->purge_op.done = purged;
		j->purge_op.arg = j;
		j->purge_busy = 1;
		store_submit(j->gw->store, &j->purge_op);
	}
}

static void
purge_cb(evutil_socket_t fd, short what, void *arg)
{
	struct audit_jobs *j = arg;

	purge(j);
	arm(j->purge_timer, purge_every(j->gw->cfg));
}

enum gw_err
audit_jobs_start(struct gateway *gw)
{
	struct audit_jobs *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return GW_ERR_NOMEM;
	j->gw = gw;
	gw->audit_jobs = j;
	j->cp_timer = evtimer_new(gw->base, cp_cb, j);
	j->purge_timer = evtimer_new(gw->base, purge_cb, j);
	if (j->cp_timer == NULL || j->purge_timer == NULL)
		return GW_ERR_NOMEM;
	arm(j->cp_timer, gw->cfg->audit_checkpoint_interval_ms);
	arm(j->purge_timer, 0);	/* a first purge at start */
	return GW_OK;
}

void
audit_jobs_stop(struct gateway *gw)
{
	struct audit_jobs *j = gw->audit_jobs;

	if (j == NULL)
		return;
	if (j->cp_timer != NULL)
		event_free(j->cp_timer);
	if (j->purge_timer != NULL)
		event_free(j->purge_timer);
	if (gw->store != NULL) {
		store_flush(gw->store);	/* no op of ours is in flight now */
		memset(&j->cp_op, 0, sizeof(j->cp_op));
		j->cp_op.type = STORE_AUDIT_CHECKPOINT;
		j->cp_op.to_ms = util_wall_s() * 1000;
		store_submit(gw->store, &j->cp_op);
		store_flush(gw->store);
	}
	free(j);
	gw->audit_jobs = NULL;
}
