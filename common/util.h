/* Small helpers shared by every folder: strings, time, randomness. */
#ifndef COMMON_UTIL_H
#define COMMON_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Like strdup/strndup but abort on allocation failure (startup paths). */
char *xstrdup(const char *s);
void *xcalloc(size_t n, size_t size);

/* Case-insensitive ASCII comparison of a (length alen) with
 * NUL-terminated b. */
int util_ascii_ieq(const char *a, size_t alen, const char *b);

/* Glob match (fnmatch without flags); returns 1 on match. */
int util_glob_match(const char *pattern, const char *s);

/* Monotonic milliseconds and microseconds; wall-clock seconds. */
uint64_t util_now_ms(void);
uint64_t util_now_us(void);
int64_t util_wall_s(void);

/* Fills buf with n random bytes from OpenSSL's CSPRNG. */
enum gw_err util_random(void *buf, size_t n) GW_WUR;

/* Encodes n bytes as base62 into out (exactly outlen chars + NUL). */
void util_base62(const unsigned char *in, size_t n, char *out, size_t outlen);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void util_hex(const unsigned char *in, size_t n, char *out);

/* Writes v in decimal into out (at least 21 bytes), NUL-terminated;
 * returns the number of digits. snprintf's cost without its generality,
 * for the per-request paths. */
size_t util_fmt_u64(char *out, uint64_t v);

/* Copies the NUL-terminated src into dst of cap bytes (cap > 0),
 * truncating, always NUL-terminated; returns the length copied. */
size_t util_copy(char *dst, size_t cap, const char *src);

/* Parses a decimal unsigned integer that fills the whole string. */
int util_parse_u64(const char *s, size_t len, uint64_t *out);

/* Decodes %XX escapes of s[0..len) into out (NUL-terminated); with plus,
 * '+' is a space (a query). Returns the length, or -1 for a bad escape, an
 * escaped NUL, or more than cap - 1 bytes. */
int util_pct_decode(const char *s, size_t len, int plus, char *out,
    size_t cap);

/* Writes the file atomically (temp + rename) with the given mode. */
enum gw_err util_write_file(const char *path, const char *data, size_t len,
    int mode) GW_WUR;
/* Reads at most max bytes of a file; *out is malloc'ed and NUL-terminated,
 * owned by the caller. */
enum gw_err util_read_file(const char *path, size_t max, char **out,
    size_t *len) GW_WUR;

#endif
