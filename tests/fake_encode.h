/*
 * Content codings for the fake upstream's answers (request header
 * x-fake-encoding: gzip, deflate, br, zstd or bogus), so that tests can
 * check that the gateway decodes what an upstream compresses: whole
 * bodies and streams flushed event by event.
 */
#ifndef TESTS_FAKE_ENCODE_H
#define TESTS_FAKE_ENCODE_H

#include <stddef.h>

#include <event2/buffer.h>

enum fenc { FENC_NONE, FENC_GZIP, FENC_DEFLATE, FENC_BR, FENC_ZSTD,
	FENC_BOGUS };

/* The coding a header value names; FENC_NONE for NULL or unknown. */
int fenc_parse(const char *value);
/* The Content-Encoding value of a coding. */
const char *fenc_name(int enc);

struct fenc_stream;

/* A coder of one answer; NULL for FENC_NONE or when out of memory. */
struct fenc_stream *fenc_new(int enc);
/* How much of what was given must be decodable once written. */
enum fenc_mode {
	FENC_MORE,		/* nothing yet: more follows */
	FENC_FLUSH,		/* all of it (an event of a stream) */
	FENC_END		/* all of it, and the coded stream ends */
};

/* Codes len bytes of data onto out. Returns 0, or -1 on a coder error. */
int fenc_write(struct fenc_stream *s, const void *data, size_t len, int mode,
    struct evbuffer *out);
void fenc_free(struct fenc_stream *s);

#endif
