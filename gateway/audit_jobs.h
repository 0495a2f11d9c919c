/*
 * The audit log's background work on the loop: a signed checkpoint every
 * audit_checkpoint_interval (when records followed the last one), and
 * the retention purge (audit_retention_days). Both run as store ops, so
 * the loop never waits for them.
 */
#ifndef GATEWAY_AUDIT_JOBS_H
#define GATEWAY_AUDIT_JOBS_H

#include "common/err.h"

struct gateway;

enum gw_err audit_jobs_start(struct gateway *gw) GW_WUR;
/* Stops the timers and signs a last checkpoint (at exit). */
void audit_jobs_stop(struct gateway *gw);

#endif
