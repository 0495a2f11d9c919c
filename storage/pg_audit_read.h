/*
 * The audit log on PostgreSQL, reads: verification of every instance's
 * chain (reported per instance), the checkpoints' list, export pages
 * merging the chains in time order, the processing report and the
 * newest requests. For the reader connection. Not for use outside
 * storage/.
 */
#ifndef STORAGE_PG_AUDIT_READ_H
#define STORAGE_PG_AUDIT_READ_H

#include "storage/pg.h"

/* STORE_AUDIT_VERIFY: {"ok", "records", ..., "instances": [{"instance",
 * and the fields of one chain's report}]}; "first_bad" names its
 * instance. */
enum gw_err pg_audit_verify(struct pg_store *st, struct store_op *op)
    GW_WUR;
/* STORE_AUDIT_CHECKPOINTS: each checkpoint names its instance. */
enum gw_err pg_audit_checkpoints(struct pg_store *st, struct store_op *op)
    GW_WUR;
/* STORE_AUDIT_PAGE: records in (ts, id) order; an "instance" column. */
enum gw_err pg_audit_page(struct pg_store *st, struct store_op *op) GW_WUR;
/* STORE_PROCESSING_REPORT. */
enum gw_err pg_audit_processing_report(struct pg_store *st,
    struct store_op *op) GW_WUR;
/* STORE_REQUEST_LIST. */
enum gw_err pg_audit_request_list(struct pg_store *st, struct store_op *op)
    GW_WUR;

#endif
