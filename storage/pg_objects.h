/*
 * Objects stored upstream and the teams that own them, on PostgreSQL:
 * as storage/objects.h, shared by every instance. Not for use outside
 * storage/.
 */
#ifndef STORAGE_PG_OBJECTS_H
#define STORAGE_PG_OBJECTS_H

#include "storage/pg.h"

/* Records objs (made by rec's request for rec's team; removed ones are
 * forgotten). Nothing is owned. */
enum gw_err pg_objects_write(struct pg_store *st,
    const struct store_request *rec, const struct store_obj *objs, size_t n)
    GW_WUR;
/* STORE_OBJECTS_LOAD. */
enum gw_err pg_objects_load(struct pg_store *st, struct store_op *op)
    GW_WUR;
/* STORE_OBJECTS_LIST. */
enum gw_err pg_objects_list(struct pg_store *st, struct store_op *op)
    GW_WUR;

#endif
