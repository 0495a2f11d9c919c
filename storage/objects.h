/*
 * Objects stored upstream and the teams that own them (SQLite backend):
 * written with the record of the request that made or deleted them,
 * loaded at start, listed. Not for use outside storage/.
 */
#ifndef STORAGE_OBJECTS_H
#define STORAGE_OBJECTS_H

#include "storage/sqlite.h"

/* Records objs (made by rec's request for rec's team; removed ones are
 * forgotten). Nothing is owned. */
enum gw_err objects_write(struct sqlite_store *st,
    const struct store_request *rec, const struct store_obj *objs, size_t n)
    GW_WUR;
/* STORE_OBJECTS_LOAD. */
enum gw_err objects_load(struct sqlite_store *st, struct store_op *op)
    GW_WUR;
/* STORE_OBJECTS_LIST. */
enum gw_err objects_list(struct sqlite_store *st, struct store_op *op)
    GW_WUR;

#endif
