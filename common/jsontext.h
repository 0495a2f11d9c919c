/* JSON text <-> jansson values on the request path, without jansson's
 * byte-at-a-time reader and writer. */
#ifndef COMMON_JSONTEXT_H
#define COMMON_JSONTEXT_H

#include <stddef.h>

#include <jansson.h>

/*
 * Parses buf[0, len) (no NUL needed) as json_loadb(buf, len, flags, err)
 * does: the same texts accepted (a top-level object or array, strict
 * RFC 8259, valid UTF-8, no \u0000, depth <= 2048, 64-bit integers) and
 * the same values built. flags: 0 or JSON_REJECT_DUPLICATES. On error
 * returns NULL and, when err is not NULL, says why and where in err->text
 * and err->position. The caller owns the returned reference.
 */
json_t *jsontext_parse(const char *buf, size_t len, size_t flags,
    json_error_t *err);

/*
 * jsontext_parse(buf, len, 0, err), but of a top-level object only the
 * members named in keep (a NULL-terminated list of keys shorter than 64
 * bytes) are built; the others are read and checked as strictly, not
 * built. The same texts are accepted. For a caller that needs a few
 * fields of a large answer (its usage), not its tree.
 */
json_t *jsontext_parse_keys(const char *buf, size_t len,
    const char *const *keep, json_error_t *err);

/*
 * Serializes v as json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(prec))
 * does, byte for byte (prec 0: 17 digits). Returns a malloc'ed
 * NUL-terminated string owned by the caller and its length in *len (when
 * len is not NULL); NULL when v is not an object or array, holds a string
 * that is not UTF-8, or memory runs out.
 */
char *jsontext_dump(const json_t *v, int prec, size_t *len);

/*
 * json_string_setn(s, p, n): the same strings accepted (valid UTF-8, NUL
 * bytes included) and the same result, with the check eight bytes at a
 * time over ASCII instead of jansson's call per character. p is copied.
 * Returns 0, or -1 when s is not a string, p is not UTF-8 or memory runs
 * out.
 */
int jsontext_string_setn(json_t *s, const char *p, size_t n);

#endif
