/*
 * The audit log, exports (SQLite backend): pages of records as JSON
 * lines or CSV, the processing report (GDPR Art. 30), the newest
 * requests. Reads only. Not for use outside storage/.
 */
#ifndef STORAGE_AUDIT_EXPORT_H
#define STORAGE_AUDIT_EXPORT_H

#include "storage/sqlite.h"

/* STORE_AUDIT_PAGE. */
enum gw_err audit_page(struct sqlite_store *st, struct store_op *op) GW_WUR;
/* STORE_PROCESSING_REPORT. */
enum gw_err audit_processing_report(struct sqlite_store *st,
    struct store_op *op) GW_WUR;
/* STORE_REQUEST_LIST. */
enum gw_err audit_request_list(struct sqlite_store *st, struct store_op *op)
    GW_WUR;

#endif
