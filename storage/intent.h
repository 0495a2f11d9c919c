/*
 * Intents: the records of the SQLite backend's journal (storage/journal.h)
 * and how the writer applies them. A reservation (STORE_RESERVE, decided
 * on the loop by storage/book.c) and a record (STORE_AUDIT_APPEND: the
 * audit record, the settlement, the objects) are encoded on the loop
 * thread; the writer decodes and applies them in its group commits,
 * with the lane's last sequence in the same transaction (table
 * journal), so that replay applies each exactly once. Within one
 * batch a reservation settled in the same batch is written once, settled
 * (one INSERT instead of an INSERT and an UPDATE). Not for use outside
 * storage/.
 */
#ifndef STORAGE_INTENT_H
#define STORAGE_INTENT_H

#include <stddef.h>
#include <stdint.h>

#include "storage/sqlite.h"

/* A growable encoding buffer (the loop's, reused). */
struct intent_buf {
	unsigned char *p;
	size_t n, cap;
};

/* Encodes op (STORE_RESERVE with its spend decided, or
 * STORE_AUDIT_APPEND) into b, replacing what it held. */
enum gw_err intent_encode(struct intent_buf *b, const struct store_op *op)
    GW_WUR;
/* Encodes the release of sp's reservation (its request refused after
 * the reservation was journaled: settled at no cost, at now_ms). */
enum gw_err intent_encode_release(struct intent_buf *b,
    const struct store_spend *sp, int64_t now_ms) GW_WUR;
void intent_buf_free(struct intent_buf *b);

/* The part's hooks (struct sqlite_part): its statements. */
enum gw_err intents_open(struct sqlite_store *st,
    const struct store_conf *conf) GW_WUR;
void intents_close(struct sqlite_store *st);

/*
 * Writer thread, inside the batch's transaction: applies the records of
 * buf (n bytes of whole journal records of lane, in order) and stores
 * the last one's sequence (*last) for the lane. An error rolls the
 * transaction back (the caller's), except for a record that can not be
 * decoded or whose ledger entry exists already: it is logged and passed.
 */
enum gw_err intent_apply(struct sqlite_store *st, int lane,
    const unsigned char *buf, size_t n, uint64_t *last) GW_WUR;
/* The lane's last sequence applied (0: none; its row is made). */
enum gw_err intent_applied(struct sqlite_store *st, int lane,
    uint64_t *seq) GW_WUR;

#endif
