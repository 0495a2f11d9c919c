/* The fake upstream's content codings: zlib, brotli, raw zstd frames. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <brotli/encode.h>
#include <zlib.h>

#include "tests/fake_encode.h"

/* zstd blocks of a frame whose window is 128 KB hold at most that. */
#define ZSTD_BLOCK_MAX (128 * 1024)

struct fenc_stream {
	int enc;
	int started;		/* zstd: the frame header is out */
	z_stream z;
	BrotliEncoderState *br;
};

static const char *const names[] = {
	[FENC_GZIP] = "gzip", [FENC_DEFLATE] = "deflate", [FENC_BR] = "br",
	[FENC_ZSTD] = "zstd", [FENC_BOGUS] = "bogus",
};

int
fenc_parse(const char *value)
{
	if (value == NULL)
		return FENC_NONE;
	for (int e = FENC_GZIP; e <= FENC_BOGUS; e++)
		if (strcasecmp(value, names[e]) == 0)
			return e;
	return FENC_NONE;
}

const char *
fenc_name(int enc)
{
	return enc > FENC_NONE && enc <= FENC_BOGUS ? names[enc] : "identity";
}

struct fenc_stream *
fenc_new(int enc)
{
	struct fenc_stream *s;

	if (enc == FENC_NONE || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->enc = enc;
	if (enc == FENC_GZIP || enc == FENC_DEFLATE) {
		/* 15 + 16: a gzip wrapper; 15: zlib, what HTTP's deflate is. */
		if (deflateInit2(&s->z, 6, Z_DEFLATED, enc == FENC_GZIP ? 31 :
		    15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
			free(s);
			return NULL;
		}
	} else if (enc == FENC_BR) {
		s->br = BrotliEncoderCreateInstance(NULL, NULL, NULL);
		if (s->br == NULL) {
			free(s);
			return NULL;
		}
		BrotliEncoderSetParameter(s->br, BROTLI_PARAM_QUALITY, 5);
	}
	return s;
}

static int
write_zlib(struct fenc_stream *s, const void *data, size_t len, int mode,
    struct evbuffer *out)
{
	unsigned char buf[16384];
	int rc, end = mode == FENC_END;

	s->z.next_in = (unsigned char *)(uintptr_t)data;
	s->z.avail_in = (uInt)len;
	do {
		s->z.next_out = buf;
		s->z.avail_out = sizeof(buf);
		rc = deflate(&s->z, end ? Z_FINISH : mode == FENC_FLUSH ?
		    Z_SYNC_FLUSH : Z_NO_FLUSH);
		if (rc == Z_STREAM_ERROR)
			return -1;
		evbuffer_add(out, buf, sizeof(buf) - s->z.avail_out);
	} while (s->z.avail_out == 0 || (end && rc != Z_STREAM_END));
	return 0;
}

static int
write_br(struct fenc_stream *s, const void *data, size_t len, int mode,
    struct evbuffer *out)
{
	const uint8_t *in = data;
	size_t avail_in = len;
	int end = mode == FENC_END;
	BrotliEncoderOperation op = end ? BROTLI_OPERATION_FINISH :
	    mode == FENC_FLUSH ? BROTLI_OPERATION_FLUSH :
	    BROTLI_OPERATION_PROCESS;

	do {
		uint8_t buf[16384], *next = buf;
		size_t avail_out = sizeof(buf);

		if (!BrotliEncoderCompressStream(s->br, op, &avail_in, &in,
		    &avail_out, &next, NULL))
			return -1;
		evbuffer_add(out, buf, sizeof(buf) - avail_out);
	} while (avail_in > 0 || BrotliEncoderHasMoreOutput(s->br) ||
	    (end && !BrotliEncoderIsFinished(s->br)));
	return 0;
}

/* A zstd frame of raw (stored) blocks: valid zstd without libzstd. */
static void
write_zstd(struct fenc_stream *s, const void *data, size_t len, int end,
    struct evbuffer *out)
{
	/* Magic, no flags, a window of 128 KB (log 17: exponent 7). */
	static const unsigned char head[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00,
		0x38 };
	const unsigned char *p = data;

	if (!s->started) {
		evbuffer_add(out, head, sizeof(head));
		s->started = 1;
	}
	for (;;) {
		size_t n = len > ZSTD_BLOCK_MAX ? ZSTD_BLOCK_MAX : len;
		int last = end && n == len;
		uint32_t bh = (uint32_t)last | (uint32_t)n << 3;
		unsigned char h[3] = { bh & 0xff, (bh >> 8) & 0xff,
			(bh >> 16) & 0xff };

		if (n == 0 && !last)
			break;
		evbuffer_add(out, h, 3);
		evbuffer_add(out, p, n);
		p += n;
		len -= n;
		if (last || len == 0)
			break;
	}
}

int
fenc_write(struct fenc_stream *s, const void *data, size_t len, int mode,
    struct evbuffer *out)
{
	switch (s->enc) {
	case FENC_GZIP:
	case FENC_DEFLATE:
		return write_zlib(s, data, len, mode, out);
	case FENC_BR:
		return write_br(s, data, len, mode, out);
	case FENC_ZSTD:
		write_zstd(s, data, len, mode == FENC_END, out);
		return 0;
	default:
		evbuffer_add(out, data, len);
		return 0;
	}
}

void
fenc_free(struct fenc_stream *s)
{
	if (s == NULL)
		return;
	if (s->enc == FENC_GZIP || s->enc == FENC_DEFLATE)
		deflateEnd(&s->z);
	if (s->br != NULL)
		BrotliEncoderDestroyInstance(s->br);
	free(s);
}
