/*
 * Content decoding of upstream answers, shared by both upstream engines
 * (libcurl's in upstream.c, the own HTTP/1.1 one in uclient.c). Only gzip
 * and deflate are asked for and decoded, a piece of UDECODE_PIECE at a
 * time; any other coding marks the answer bad.
 */
#ifndef GATEWAY_UDECODE_H
#define GATEWAY_UDECODE_H

#include <stddef.h>

#include <zlib.h>

/* Decoded bytes handed on at once (and held at most while paused). */
#define UDECODE_PIECE 16384

struct udecode {
	z_stream z;
	int zlive;		/* z is initialized */
	int zend;		/* the coded stream ended */
	int bad;		/* the answer's coding can not be decoded */
	unsigned codings;	/* content codings in the answer's head */
	size_t skip;		/* of the bytes given again after a pause,
				 * how many were decoded already */
	char *held;		/* a decoded piece refused by a pause */
	size_t held_len;
};

/* Hands decoded bytes on: 0 taken, 1 paused, -1 failed. */
typedef int (*udecode_deliver_fn)(void *arg, const char *data, size_t len);

/* Forgets the codings seen (a new head starts). */
void udecode_reset(struct udecode *d);
/* Checks a Content-Encoding (transfer 0) or Transfer-Encoding value. */
void udecode_check(struct udecode *d, const char *v, size_t len,
    int transfer);
/* At the final head: starts inflating if coded. -1 when bad or no memory. */
int udecode_begin(struct udecode *d);
/*
 * Decodes len bytes of the coded answer (the same bytes come again after
 * a pause: d->skip remembers how far they were decoded). Returns
 * UDECODE_TAKEN, UDECODE_PAUSED or UDECODE_FAILED (d->bad set when the
 * coding is broken).
 */
enum { UDECODE_TAKEN = 0, UDECODE_PAUSED = 1, UDECODE_FAILED = -1 };
int udecode_write(struct udecode *d, const char *data, size_t len,
    udecode_deliver_fn deliver, void *arg);
/* At the answer's end: 1 when a coded answer stopped short of its end. */
int udecode_cut(const struct udecode *d);
void udecode_free(struct udecode *d);

#endif
