/*
 * Operational log lines on stderr with a UTC timestamp and a level, as
 * text or JSON; log_q() quotes values, log_msg() escapes what is left.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define RAW_MAX 2048		/* a formatted line, before escaping */
#define ESC_MAX 4096		/* the line escaped, before the ... of a cut */
#define TEXT_MAX (ESC_MAX + 80)
/* Escaped text grows at most 6 times as JSON (\xHH becomes \u00HH). */
#define JSON_MAX (6 * (ESC_MAX + 8) + 128)
#define MAX_WORDS 128		/* the rest of a longer line is one word */
#define Q_SLOTS 16		/* log_q() results alive at once per thread */
#define Q_SIZE 512		/* one quoted value, its quotes and NUL */

/*
 * Level and format are process-wide configuration, set from main() and
 * on reload while other threads log: the one mutable state here, as every
 * module logs. Relaxed atomics: a line uses either the old or the new one.
 */
static _Atomic int log_level = LOG_INFO;
static _Atomic int log_format = LOG_FMT_TEXT;

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const char *const format_names[] = { "text", "json" };
static const char hex[] = "0123456789abcdef";

void
log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&log_level,
	    memory_order_relaxed);
}

int
log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

void
log_set_format(enum log_format format)
{
	atomic_store_explicit(&log_format, (int)format, memory_order_relaxed);
}

enum log_format
log_get_format(void)
{
	return (enum log_format)atomic_load_explicit(&log_format,
	    memory_order_relaxed);
}

int
log_format_parse(const char *s)
{
	for (int i = 0; i < 2; i++)
		if (strcmp(s, format_names[i]) == 0)
			return i;
	return -1;
}

/*
 * The length of the valid UTF-8 sequence at p (n bytes left) and its code
 * point in *cp; 0 when p does not start one (overlong forms, surrogates
 * and code points past U+10FFFF are not valid).
 */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * Code points that end a line in some reader (C1 controls such as NEL,
 * U+2028, U+2029) or reorder what follows (bidirectional controls).
 */
static int
cp_unsafe(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
	    c == 0x061c || c == 0x200e || c == 0x200f ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/* \xHH of a byte, or \uHHHH of a code point (< 0x10000) into e. */
static size_t
esc_hex(char *e, char kind, uint32_t v)
{
	size_t n = 0;
	int digits = kind == 'x' ? 2 : 4;

	e[n++] = '\\';
	e[n++] = kind;
	for (int k = digits - 1; k >= 0; k--)
		e[n++] = hex[(v >> (4 * k)) & 0xf];
	return n;
}

/*
 * Appends in[0..n) escaped to out at *len, without passing cap: control
 * bytes as \n, \r, \t or \xHH, bytes that are not UTF-8 as \xHH, unsafe
 * code points as \uHHHH; quoted: '"' and '\' as \" and \\ too. Stops
 * before an escape that would not fit whole; returns the bytes consumed.
 */
static size_t
escape(const char *in, size_t n, int quoted, char *out, size_t *len,
    size_t cap)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0;

	while (i < n) {
		unsigned char b = p[i];
		size_t el = 0, adv = 1, run = i;
		uint32_t c;
		char e[8];

		/* Most bytes are printable ASCII: copied as a run. */
		while (run < n && p[run] >= 0x20 && p[run] < 0x7f &&
		    !(quoted && (p[run] == '"' || p[run] == '\\')))
			run++;
		if (run > i) {
			if (*len + (run - i) > cap)
				run = i + (cap - *len);
			if (run == i)
				break;
			memcpy(out + *len, in + i, run - i);
			*len += run - i;
			i = run;
			continue;
		}
		if (b >= 0x20 && b < 0x7f) {
			e[el++] = '\\';
			e[el++] = (char)b;
		} else if (b == '\n' || b == '\r' || b == '\t') {
			e[el++] = '\\';
			e[el++] = b == '\n' ? 'n' : b == '\r' ? 'r' : 't';
		} else if (b < 0x80) {
			el = esc_hex(e, 'x', b);
		} else {
			adv = utf8_seq(p + i, n - i, &c);
			if (adv == 0) {
				adv = 1;
				el = esc_hex(e, 'x', b);
			} else if (cp_unsafe(c)) {
				el = esc_hex(e, 'u', c);
			} else {
				memcpy(e, p + i, adv);
				el = adv;
			}
		}
		if (*len + el > cap)
			break;
		memcpy(out + *len, e, el);
		*len += el;
		i += adv;
	}
	return i;
}

static int
token_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
	    c == '/' || c == '@' || c == '+' || c == '-';
}

const char *
log_q(const char *s)
{
	static _Thread_local char ring[Q_SLOTS][Q_SIZE];
	static _Thread_local unsigned next;
	const char *p;
	size_t n, len = 1;
	char *out;

	if (s == NULL)
		return "-";
	for (p = s; *p != '\0' && token_char((unsigned char)*p); p++)
		continue;
	if (*p == '\0' && p != s)
		return s;
	out = ring[next++ % Q_SLOTS];
	out[0] = '"';
	n = strlen(s);
	/* Room for ..." and the NUL after what fits. */
	if (escape(s, n, 1, out, &len, Q_SIZE - 5) < n) {
		memcpy(out + len, "...", 3);
		len += 3;
	}
	out[len++] = '"';
	out[len] = '\0';
	return out;
}

/*
 * The words of a line. A word starts after spaces and is a "quoted
 * string" (its quote opens only at the start of a word or right after
 * key=), a key=value pair (key: [A-Za-z0-9_.-]+, value: a quoted string
 * or the bytes up to the next space) or any other run of non-spaces.
 */
struct word {
	size_t start, len;	/* the whole word */
	size_t klen;		/* a pair: the key's length; 0: not a pair */
	size_t vstart, vlen;	/* a pair: the value, without its quotes */
	int quoted;		/* a pair: the value is a quoted string */
	int open;		/* the line ends inside its quoted string */
};

static int
key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* The index after the quoted string opening at s[i]; n if not closed. */
static size_t
quoted_end(const char *s, size_t n, size_t i, int *open)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	*open = 1;
	return n;
}

static size_t
word_end(const char *s, size_t n, size_t i)
{
	while (i < n && s[i] != ' ')
		i++;
	return i;
}

/* Reads the word at s[i] (not a space); returns the index after it. */
static size_t
word_next(const char *s, size_t n, size_t i, struct word *w)
{
	size_t k = i, e;

	memset(w, 0, sizeof(*w));
	w->start = i;
	if (s[i] == '"') {
		e = quoted_end(s, n, i, &w->open);
		w->len = word_end(s, n, e) - i;
		return i + w->len;
	}
	while (k < n && key_char((unsigned char)s[k]))
		k++;
	if (k == i || k == n || s[k] != '=') {
		w->len = word_end(s, n, i) - i;
		return i + w->len;
	}
	if (k + 1 < n && s[k + 1] == '"') {
		e = quoted_end(s, n, k + 1, &w->open);
		if (e < n && s[e] != ' ') {
			/* k="a"b is not a pair. */
			w->open = 0;
			w->len = word_end(s, n, e) - i;
			return i + w->len;
		}
		w->quoted = 1;
		w->vstart = k + 2;
		w->vlen = (w->open ? e : e - 1) - w->vstart;
	} else {
		e = word_end(s, n, k + 1);
		w->vstart = k + 1;
		w->vlen = e - w->vstart;
	}
	w->klen = k - i;
	w->len = e - i;
	return e;
}

/* The end of whole escapes in s[from..n), a quoted string's content. */
static size_t
escapes_end(const char *s, size_t from, size_t n)
{
	size_t i = from;

	while (i < n) {
		size_t l = 1;

		if (s[i] == '\\')
			l = i + 1 == n ? 2 : s[i + 1] == 'x' ? 4 :
			    s[i + 1] == 'u' ? 6 : 2;
		if (i + l > n)
			break;
		i += l;
	}
	return i;
}

/*
 * Marks the end of a cut line with "...": inside a quoted string without
 * the half of an escape, then closed. line has room for 4 more bytes.
 */
static size_t
line_cut(char *line, size_t n)
{
	struct word w = { 0 };
	size_t i = 0;

	while (i < n) {
		if (line[i] == ' ') {
			i++;
			continue;
		}
		i = word_next(line, n, i, &w);
	}
	if (w.open) {
		n = escapes_end(line, w.klen ? w.vstart : w.start + 1, n);
		memcpy(line + n, "...\"", 4);
		return n + 4;
	}
	memcpy(line + n, "...", 3);
	return n + 3;
}

static size_t
put(char *out, size_t len, const char *s, size_t n)
{
	memcpy(out + len, s, n);
	return len + n;
}

static int
hex_digit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/*
 * Appends s[0..n) as the inside of a JSON string. quoted: s is the inside
 * of a quoted string of the line, whose escapes become JSON's (\xHH is
 * \u00HH, so a byte that is not UTF-8 reads as U+0000..U+00FF). Returns
 * the new length; writes at most 6 bytes per byte of s.
 */
static size_t
json_text(char *out, size_t len, const char *s, size_t n, int quoted)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char b = p[i];
		size_t adv, run = i;
		uint32_t c;
		char e[8];

		while (run < n && p[run] >= 0x20 && p[run] < 0x7f &&
		    p[run] != '"' && p[run] != '\\')
			run++;
		if (run > i) {
			len = put(out, len, s + i, run - i);
			i = run;
			continue;
		}
		if (quoted && b == '\\' && i + 1 < n) {
			char x = s[i + 1];

			if (x == '"' || x == '\\' || x == 'n' || x == 'r' ||
			    x == 't') {
				len = put(out, len, s + i, 2);
				i += 2;
				continue;
			}
			if (x == 'x' && i + 4 <= n && hex_digit(s[i + 2]) &&
			    hex_digit(s[i + 3])) {
				len = put(out, len, "\\u00", 4);
				len = put(out, len, s + i + 2, 2);
				i += 4;
				continue;
			}
			if (x == 'u' && i + 6 <= n && hex_digit(s[i + 2]) &&
			    hex_digit(s[i + 3]) && hex_digit(s[i + 4]) &&
			    hex_digit(s[i + 5]) && !((s[i + 2] == 'd' ||
			    s[i + 2] == 'D') && strchr("89abAB", s[i + 3]))) {
				len = put(out, len, s + i, 6);
				i += 6;
				continue;
			}
			/* Any other backslash is itself. */
		}
		if (b == '"' || b == '\\') {
			out[len++] = '\\';
			out[len++] = (char)b;
			i++;
		} else if (b < 0x20 || b == 0x7f) {
			len = put(out, len, e, esc_hex(e, 'u', b));
			i++;
		} else if (b < 0x80) {
			out[len++] = (char)b;
			i++;
		} else {
			adv = utf8_seq(p + i, n - i, &c);
			if (adv == 0)
				len = put(out, len, e, esc_hex(e, 'u', b));
			else if (cp_unsafe(c))
				len = put(out, len, e, esc_hex(e, 'u', c));
			else
				len = put(out, len, s + i, adv);
			i += adv ? adv : 1;
		}
	}
	return len;
}

static int
is_reserved(const char *k, size_t n)
{
	return (n == 4 && memcmp(k, "time", 4) == 0) ||
	    (n == 5 && memcmp(k, "level", 5) == 0) ||
	    (n == 3 && memcmp(k, "msg", 3) == 0);
}

/*
 * The line (escaped, n bytes) as one JSON object into out (JSON_MAX):
 * time, level, msg (the words that are not pairs), then the pairs, their
 * values as strings. A pair whose key is reserved or taken stays in msg.
 */
static size_t
line_json(char *out, const char *ts, const char *level, const char *s,
    size_t n)
{
	struct word w[MAX_WORDS];
	size_t nw = 0, i = 0, len = 0;
	int first = 1;

	while (i < n) {
		if (s[i] == ' ') {
			i++;
			continue;
		}
		if (nw == MAX_WORDS - 1) {
			memset(&w[nw], 0, sizeof(w[nw]));
			w[nw].start = i;
			w[nw++].len = n - i;
			break;
		}
		i = word_next(s, n, i, &w[nw++]);
	}
	for (size_t a = 0; a < nw; a++) {
		if (w[a].klen == 0)
			continue;
		if (is_reserved(s + w[a].start, w[a].klen))
			w[a].klen = 0;
		for (size_t b = 0; b < a && w[a].klen != 0; b++)
			if (w[b].klen == w[a].klen && memcmp(s + w[b].start,
			    s + w[a].start, w[a].klen) == 0)
				w[a].klen = 0;
	}
	len = put(out, len, "{\"time\":\"", 9);
	len = put(out, len, ts, strlen(ts));
	len = put(out, len, "\",\"level\":\"", 11);
	len = put(out, len, level, strlen(level));
	len = put(out, len, "\",\"msg\":\"", 9);
	for (size_t a = 0; a < nw; a++) {
		if (w[a].klen != 0)
			continue;
		if (!first)
			out[len++] = ' ';
		first = 0;
		len = json_text(out, len, s + w[a].start, w[a].len, 0);
	}
	out[len++] = '"';
	for (size_t a = 0; a < nw; a++) {
		if (w[a].klen == 0)
			continue;
		len = put(out, len, ",\"", 2);
		len = put(out, len, s + w[a].start, w[a].klen);
		len = put(out, len, "\":\"", 3);
		len = json_text(out, len, s + w[a].vstart, w[a].vlen,
		    w[a].quoted);
		out[len++] = '"';
	}
	return put(out, len, "}\n", 2);
}

/* One write per line keeps lines whole when several threads log. */
static void
write_line(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char raw[RAW_MAX], line[TEXT_MAX], tm_s[32];
	struct timeval tv;
	struct tm tm;
	size_t rlen, pre, len;
	va_list ap;
	int n, cut;

	if (level > log_get_level())
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(tm_s, sizeof(tm_s), "%Y-%m-%dT%H:%M:%S", &tm);
	/* "TIME LEVEL ", the time ending in ".mmmZ". */
	n = snprintf(line, 64, "%s.%03dZ %s ", tm_s,
	    (int)(tv.tv_usec / 1000 % 1000), level_names[level]);
	if (n < 0)
		return;
	pre = len = (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	cut = (size_t)n >= sizeof(raw);
	rlen = cut ? sizeof(raw) - 1 : (size_t)n;
	/* The backstop: no control byte of any call site passes raw. */
	if (escape(raw, rlen, 0, line, &len, pre + ESC_MAX) < rlen)
		cut = 1;
	if (cut)
		len = pre + line_cut(line + pre, len - pre);
	if (log_get_format() == LOG_FMT_JSON) {
		char out[JSON_MAX];

		line[strlen(tm_s) + 5] = '\0';
		write_line(out, line_json(out, line, level_names[level],
		    line + pre, len - pre));
	} else {
		line[len++] = '\n';
		write_line(line, len);
	}
}
