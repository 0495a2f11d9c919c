/* gzip and deflate decoding of upstream answers, a piece at a time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/udecode.h"

void
udecode_reset(struct udecode *d)
{
	d->bad = 0;
	d->codings = 0;
}

/*
 * Checks a Content-Encoding or Transfer-Encoding value. Only gzip and
 * deflate are asked for and decoded (here, with a 32 KB window and a
 * piece of UDECODE_PIECE held at most); anything else (br and zstd, whose
 * windows reach 16 and 128 MB, an unknown coding, a transfer coding other
 * than chunked, codings stacked on each other) would reach the policies
 * and the client undecoded, so it marks the answer bad.
 */
void
udecode_check(struct udecode *d, const char *v, size_t len, int transfer)
{
	size_t i = 0;

	while (i < len) {
		size_t t, tl;

		while (i < len && strchr(" \t\r\n,", v[i]) != NULL)
			i++;
		t = i;
		while (i < len && strchr(" \t\r\n,", v[i]) == NULL)
			i++;
		tl = i - t;
		if (tl == 0 || (tl == 8 && strncasecmp(v + t, "identity", 8) ==
		    0) || (transfer && tl == 7 && strncasecmp(v + t,
		    "chunked", 7) == 0))
			continue;
		if (transfer || d->codings++ > 0 || !((tl == 4 &&
		    strncasecmp(v + t, "gzip", 4) == 0) || (tl == 6 &&
		    strncasecmp(v + t, "x-gzip", 6) == 0) || (tl == 7 &&
		    strncasecmp(v + t, "deflate", 7) == 0)))
			d->bad = 1;
	}
}

int
udecode_begin(struct udecode *d)
{
	if (d->bad)
		return -1;
	/* 15 + 32: a zlib or a gzip header, whichever comes. */
	if (d->codings > 0 && inflateInit2(&d->z, 15 + 32) != Z_OK)
		return -1;
	d->zlive = d->codings > 0;
	return 0;
}

/*
 * When the request pauses on a piece, the piece is held and the engine
 * keeps the coded bytes (it gives the same bytes again on resume);
 * d->skip says how much of them was decoded already. So a paused answer
 * holds one piece, whatever its ratio: a compression bomb expands only
 * as fast as it is taken, and stops at the request's caps.
 */
int
udecode_write(struct udecode *d, const char *data, size_t len,
    udecode_deliver_fn deliver, void *arg)
{
	unsigned char out[UDECODE_PIECE];
	size_t off = d->skip, n;
	int rc, zr;

	d->skip = 0;
	if (off > len)
		goto bad;
	if (d->held_len > 0) {
		rc = deliver(arg, d->held, d->held_len);
		if (rc == 1)
			goto pause;
		if (rc != 0)
			return UDECODE_FAILED;
		d->held_len = 0;
	}
	d->z.next_in = (unsigned char *)(uintptr_t)(data + off);
	d->z.avail_in = (uInt)(len - off);
	/* Until the bytes are used up and nothing decoded is left inside. */
	do {
		d->z.next_out = out;
		d->z.avail_out = sizeof(out);
		zr = inflate(&d->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			d->zend = 1;
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			goto bad;
		off = len - d->z.avail_in;
		n = sizeof(out) - d->z.avail_out;
		if (n > 0) {
			rc = deliver(arg, (char *)out, n);
			if (rc == 1) {
				if (d->held == NULL &&
				    (d->held = malloc(UDECODE_PIECE)) == NULL)
					return UDECODE_FAILED;
				memcpy(d->held, out, n);
				d->held_len = n;
				goto pause;
			}
			if (rc != 0)
				return UDECODE_FAILED;
		}
		if (zr == Z_BUF_ERROR && n == 0)
			break;
	} while (!d->zend && (d->z.avail_in > 0 || d->z.avail_out == 0));
	return UDECODE_TAKEN;
pause:
	d->skip = off;
	return UDECODE_PAUSED;
bad:
	d->bad = 1;
	return UDECODE_FAILED;
}

int
udecode_cut(const struct udecode *d)
{
	return d->zlive && !d->zend && d->z.total_in > 0;
}

void
udecode_free(struct udecode *d)
{
	if (d->zlive)
		inflateEnd(&d->z);
	d->zlive = 0;
	free(d->held);
	d->held = NULL;
	d->held_len = 0;
}
