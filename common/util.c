/* Small helpers shared by every folder: strings, time, randomness, files. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/util.h"

char *
xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (p == NULL)
		abort();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

int
util_ascii_ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		unsigned char ca = (unsigned char)a[i],
		    cb = (unsigned char)b[i];

		if (cb == '\0')
			return 0;
		if (ca >= 'A' && ca <= 'Z')
			ca += 32;
		if (cb >= 'A' && cb <= 'Z')
			cb += 32;
		if (ca != cb)
			return 0;
	}
	return b[i] == '\0';
}

int
util_glob_match(const char *pattern, const char *s)
{
	return fnmatch(pattern, s, 0) == 0;
}

uint64_t
util_now_ms(void)
{
	return util_now_us() / 1000;
}

uint64_t
util_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t
util_wall_s(void)
{
	return (int64_t)time(NULL);
}

enum gw_err
util_random(void *buf, size_t n)
{
	if (RAND_bytes(buf, (int)n) != 1)
		return GW_ERR_CRYPTO;
	return GW_OK;
}

void
util_base62(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	static const char alphabet[] =
	    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	unsigned char num[64];
	size_t i, j;

	/* Big-endian base conversion; n is small (≤ 64 bytes). */
	if (n > sizeof(num))
		n = sizeof(num);
	memcpy(num, in, n);
	for (i = outlen; i-- > 0;) {
		unsigned rem = 0;

		for (j = 0; j < n; j++) {
			unsigned cur = rem * 256 + num[j];

			num[j] = (unsigned char)(cur / 62);
			rem = cur % 62;
		}
		out[i] = alphabet[rem];
	}
	out[outlen] = '\0';
}

void
util_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int
util_parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int
util_pct_decode(const char *s, size_t len, int plus, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int ch = (unsigned char)s[i];

		if (ch == '%') {
			if (i + 2 >= len || hex_value(s[i + 1]) < 0 ||
			    hex_value(s[i + 2]) < 0)
				return -1;
			ch = hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]);
			if (ch == 0)
				return -1;
			i += 2;
		} else if (ch == '+' && plus)
			ch = ' ';
		if (n + 1 >= cap)
			return -1;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return (int)n;
}

enum gw_err
util_write_file(const char *path, const char *data, size_t len, int mode)
{
	char tmp[4096];
	enum gw_err err = GW_ERR_IO;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return GW_ERR_INVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return GW_ERR_IO;
	if (fchmod(fd, (mode_t)mode) != 0)
		goto out;
	while (len > 0) {
		ssize_t w = write(fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto out;
		data += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0)
		goto out;
	err = GW_OK;
out:
	close(fd);
	if (err == GW_OK && rename(tmp, path) != 0)
		err = GW_ERR_IO;
	if (err != GW_OK)
		unlink(tmp);
	return err;
}

enum gw_err
util_read_file(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return errno == ENOENT ? GW_ERR_NOTFOUND : GW_ERR_IO;
	buf = malloc(max + 1);
	if (buf == NULL) {
		fclose(f);
		return GW_ERR_NOMEM;
	}
	n = fread(buf, 1, max, f);
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	if (len != NULL)
		*len = n;
	return GW_OK;
}

size_t
util_fmt_u64(char *out, uint64_t v)
{
	char t[20];
	size_t n = 0;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (size_t i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	out[n] = '\0';
	return n;
}

size_t
util_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}
