/*
 * The operational log: log_q() quotes, log_msg() escapes every control
 * byte whatever the call site did, text and JSON lines (read back from
 * stderr, the JSON ones parsed with jansson).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/log.h"
#include "tests/tap.h"

static char out[1 << 17];
static size_t out_len;
static int saved_fd = -1;
static FILE *tmp;

/* Sends stderr (fd 2) to a temp file until capture_end(). */
static void
capture_begin(void)
{
	fflush(stderr);
	tmp = tmpfile();
	saved_fd = dup(2);
	if (tmp == NULL || saved_fd < 0 || dup2(fileno(tmp), 2) < 0) {
		printf("Bail out! cannot redirect stderr\n");
		exit(1);
	}
}

/* What was written to stderr since capture_begin(), NUL-terminated. */
static const char *
capture_end(void)
{
	fflush(stderr);
	dup2(saved_fd, 2);
	close(saved_fd);
	rewind(tmp);
	out_len = fread(out, 1, sizeof(out) - 1, tmp);
	out[out_len] = '\0';
	fclose(tmp);
	return out;
}

/* The captured text as one printable line, for test names. */
static const char *
shown(const char *s)
{
	static char buf[2048];
	size_t k = 0;

	for (; *s != '\0' && k + 5 < sizeof(buf); s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f)
			buf[k++] = (char)c;
		else
			k += (size_t)snprintf(buf + k, sizeof(buf) - k,
			    "<%02x>", c);
	}
	buf[k] = '\0';
	return buf;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* No byte below 0x20 but the line ends, no DEL, no C1 or U+2028/9. */
static int
clean_bytes(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; p[i] != '\0'; i++) {
		if ((p[i] < 0x20 && p[i] != '\n') || p[i] == 0x7f)
			return 0;
		if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return 0;
		if (p[i] == 0xe2 && p[i + 1] == 0x80 &&
		    (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
			return 0;
	}
	return 1;
}

/* The text line's message: after "TIME LEVEL ", without the newline. */
static const char *
text_msg(const char *line, const char *level)
{
	static char buf[8192];
	const char *sp = strchr(line, ' ');
	size_t n;

	if (sp == NULL || strncmp(sp + 1, level, strlen(level)) != 0)
		return "";
	sp += 2 + strlen(level);
	n = strcspn(sp, "\n");
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, sp, n);
	buf[n] = '\0';
	return buf;
}

static void
test_quote(void)
{
	static const char plain[] = "mistral-small-latest";
	char ring[16][8];
	const char *q[16];
	char big[3000];
	const char *s;
	int all = 1;

	ok(log_q(plain) == plain, "a plain token is itself");
	is_str(log_q("a_b.c:d/e@f+g-1"), "a_b.c:d/e@f+g-1", "all token bytes");
	is_str(log_q(""), "\"\"", "empty: quoted");
	is_str(log_q(NULL), "-", "NULL: -");
	is_str(log_q("a b"), "\"a b\"", "a space: quoted");
	is_str(log_q("x\" status=200 team=root"),
	    "\"x\\\" status=200 team=root\"", "a quote: escaped inside quotes");
	is_str(log_q("a=b"), "\"a=b\"", "= is not a token byte");
	is_str(log_q("back\\slash"), "\"back\\\\slash\"", "backslash doubled");
	is_str(log_q("l1\nl2\rl3\tl4\x1b[31m\x7f\x01"),
	    "\"l1\\nl2\\rl3\\tl4\\x1b[31m\\x7f\\x01\"", "control bytes");
	is_str(log_q("caf\xc3\xa9"), "\"caf\xc3\xa9\"", "UTF-8 kept, quoted");
	is_str(log_q("bad\xff\xc3("), "\"bad\\xff\\xc3(\"",
	    "bytes that are not UTF-8: \\xHH");
	is_str(log_q("\xc0\xaf\xed\xa0\x80"), "\"\\xc0\\xaf\\xed\\xa0\\x80\"",
	    "overlong and surrogate forms are not UTF-8");
	is_str(log_q("n\xc2\x85l\xe2\x80\xa8p\xe2\x80\xa9"),
	    "\"n\\u0085l\\u2028p\\u2029\"", "NEL, LS, PS: \\uHHHH");
	is_str(log_q("\xe2\x80\xae" "txt"), "\"\\u202etxt\"",
	    "bidirectional override: \\u202e");
	memset(big, 'x', sizeof(big));
	big[0] = ' ';
	big[sizeof(big) - 1] = '\0';
	s = log_q(big);
	ok(strlen(s) < 512 && strcmp(s + strlen(s) - 4, "...\"") == 0,
	    "a long value is cut and closed (%zu bytes)", strlen(s));
	memset(big, '\n', 400);
	big[400] = '\0';
	s = log_q(big);
	ok(strlen(s) < 512 && strcmp(s + strlen(s) - 6, "\\n...\"") == 0,
	    "cut between escapes, never in one: %s", s + strlen(s) - 10);
	for (int i = 0; i < 16; i++) {
		snprintf(ring[i], sizeof(ring[i]), "v %d", i);
		q[i] = log_q(ring[i]);
	}
	for (int i = 0; i < 16; i++) {
		char want[16];

		snprintf(want, sizeof(want), "\"v %d\"", i);
		all &= strcmp(q[i], want) == 0;
	}
	ok(all, "16 quoted values live at once");
}

static void
test_backstop(void)
{
	const char *got;

	log_set_format(LOG_FMT_TEXT);
	capture_begin();
	log_info("raw %s end", "a\nb\rc\x1b[2Jd\x7f\x01" "e");
	log_info("forged %s", "x\n2026-01-01T00:00:00.000Z error status=200");
	log_info("c1 %s utf8 %s", "\xc2\x85\xc2\x9b\xe2\x80\xa8\xff",
	    "caf\xc3\xa9");
	got = capture_end();
	is_int(count_lines(got), 3, "three calls, three lines");
	ok(clean_bytes(got), "no raw control byte: %s", shown(got));
	ok(strstr(got, " info raw a\\nb\\rc\\x1b[2Jd\\x7f\\x01e end\n") != NULL,
	    "control bytes escaped in place: %s", shown(got));
	ok(strstr(got, " info forged x\\n2026-01-01T00:00:00.000Z error "
	    "status=200\n") != NULL, "a newline starts no line");
	ok(strstr(got, " info c1 \\u0085\\u009b\\u2028\\xff utf8 caf\xc3\xa9\n")
	    != NULL, "C1, LS and stray bytes escaped, UTF-8 kept: %s",
	    shown(got));

	capture_begin();
	log_debug("not shown %s", "x");
	log_set_level(LOG_DEBUG);
	log_debug("shown %s", log_q("a b"));
	log_set_level(LOG_INFO);
	got = capture_end();
	ok(strstr(got, "not shown") == NULL && strstr(got,
	    " debug shown \"a b\"\n") != NULL, "levels: %s", shown(got));
}

static void
test_text_pairs(void)
{
	const char *got;

	log_set_format(LOG_FMT_TEXT);
	capture_begin();
	log_info("req=%s team=%s POST %s model=%s status=%d", log_q("r-1"),
	    log_q("t1"), log_q("/v1/chat/completions"),
	    log_q("m\" status=200 team=root\n2026-01-01T00:00:00.000Z info "
	    "x=1"), 500);
	got = capture_end();
	is_int(count_lines(got), 1, "one line");
	ok(strncmp(got, "20", 2) == 0 && got[10] == 'T' && got[23] == 'Z',
	    "starts with the UTC time: %s", shown(got));
	is_str(text_msg(got, "info"), "req=r-1 team=t1 POST "
	    "/v1/chat/completions model=\"m\\\" status=200 team=root\\n"
	    "2026-01-01T00:00:00.000Z info x=1\" status=500",
	    "a quoted value holds its pairs");
}

/* Every line of s parses as a JSON object; returns the last one. */
static json_t *
json_lines(const char *s, size_t *n)
{
	json_t *last = NULL;

	*n = 0;
	while (*s != '\0') {
		const char *e = strchr(s, '\n');
		json_error_t err;
		json_t *o;

		if (e == NULL)
			return NULL;
		o = json_loadb(s, (size_t)(e - s), 0, &err);
		if (!json_is_object(o)) {
			json_decref(o);
			json_decref(last);
			return NULL;
		}
		json_decref(last);
		last = o;
		(*n)++;
		s = e + 1;
	}
	return last;
}

static const char *
member(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "(absent)";
}

static void
test_json(void)
{
	static const char forged[] = "m\" status=200 team=root\n{\"level\":"
	    "\"error\"}\r\x1b[2J";
	json_t *o;
	const char *got;
	size_t n;

	log_set_format(LOG_FMT_JSON);
	capture_begin();
	log_info("req=%s key=%s team=%s POST %s model=%s status=%d us=12",
	    log_q("r-1"), log_q("k1"), log_q("t 1"), log_q("/v1/a b"),
	    log_q(forged), 400);
	got = capture_end();
	o = json_lines(got, &n);
	is_int(n, 1, "json: one line");
	ok(o != NULL, "json: the line is an object: %s", shown(got));
	ok(strlen(member(o, "time")) == 24 && member(o, "time")[23] == 'Z',
	    "json: time %s", member(o, "time"));
	is_str(member(o, "level"), "info", "json: level");
	is_str(member(o, "msg"), "POST \"/v1/a b\"", "json: msg: the words");
	is_str(member(o, "req"), "r-1", "json: req");
	is_str(member(o, "key"), "k1", "json: key");
	is_str(member(o, "team"), "t 1", "json: a quoted value unquoted");
	is_str(member(o, "model"), forged, "json: forged pairs stay the value");
	is_str(member(o, "status"), "400", "json: numbers are strings");
	is_str(member(o, "us"), "12", "json: a pair of the format");
	is_int(json_object_size(o), 9, "json: no other member");
	json_decref(o);

	capture_begin();
	log_warn("msg=%s time=x a=1 a=2 b= c=\"q\"d raw %s %s", log_q("m"),
	    "x\ny \"z", log_q("bad\xff\xc3 \xc2\x85 caf\xc3\xa9 \xe2\x80\xa8"));
	log_error("v=%s", log_q("\\x41 \\u0041 \\"));
	got = capture_end();
	o = json_lines(got, &n);
	is_int(n, 2, "json: two lines, both objects");
	json_decref(o);
	o = json_loadb(got, strcspn(got, "\n"), 0, NULL);
	is_str(member(o, "level"), "warn", "json: warn");
	is_str(member(o, "msg"), "msg=m time=x a=2 c=\"q\"d raw x\\ny \"z "
	    "\"bad\\xff\\xc3 \\u0085 caf\xc3\xa9 \\u2028\"",
	    "json: reserved, repeated and malformed pairs stay in msg");
	is_str(member(o, "a"), "1", "json: the first of a repeated key");
	is_str(member(o, "b"), "", "json: an empty value");
	json_decref(o);
	o = json_loadb(strchr(got, '\n') + 1, strlen(strchr(got, '\n') + 1) - 1,
	    0, NULL);
	is_str(member(o, "v"), "\\x41 \\u0041 \\", "json: backslashes kept");
	json_decref(o);

	capture_begin();
	log_info("v=%s", log_q("bad\xff\xc3( \xc2\x85 caf\xc3\xa9"));
	got = capture_end();
	ok(strstr(got, "\"v\":\"bad\\u00ff\\u00c3( \\u0085 caf\xc3\xa9\"}")
	    != NULL, "json: a byte that is not UTF-8 is \\u00HH: %s",
	    shown(got));
	o = json_lines(got, &n);
	is_str(member(o, "v"), "bad\xc3\xbf\xc3\x83( \xc2\x85 caf\xc3\xa9",
	    "json: read back as U+00FF, U+00C3");
	json_decref(o);
	log_set_format(LOG_FMT_TEXT);
}

/* Lines longer than the buffer are cut inside a value, and stay whole. */
static void
test_cut(void)
{
	char pad[2048], esc[121];
	const char *got, *msg;
	json_t *o;
	size_t n, len;

	memset(esc, 0x1b, 120);
	esc[120] = '\0';
	/*
	 * The formatted line is cut at byte 2047: with this pad, that is
	 * after "\x1" in the value (103 bytes of \x1b escapes before it).
	 */
	memset(pad, 'p', 1640);
	pad[1640] = '\0';
	for (int format = LOG_FMT_TEXT; format <= LOG_FMT_JSON; format++) {
		log_set_format((enum log_format)format);
		capture_begin();
		log_info("%s a=%s b=after", pad, log_q(esc));
		log_info("%s", "next");
		got = capture_end();
		is_int(count_lines(got), 2, "cut: still one line each");
		if (format == LOG_FMT_TEXT) {
			msg = text_msg(got, "info");
			len = strlen(msg);
			ok(len > 8 &&
			    strcmp(msg + len - 8, "\\x1b...\"") == 0 &&
			    strstr(msg, "b=after") == NULL, "cut (text): a "
			    "whole escape, then ...\" (%s)",
			    shown(msg + len - 12));
		} else {
			o = json_lines(got, &n);
			ok(o != NULL && n == 2, "cut (json): objects");
			json_decref(o);
			o = json_loadb(got, strcspn(got, "\n"), 0, NULL);
			msg = member(o, "a");
			len = strlen(msg);
			ok(len == 103 && strspn(msg, "\x1b") == 100 &&
			    strcmp(msg + 100, "...") == 0 &&
			    json_object_get(o, "b") == NULL,
			    "cut (json): the value ends in ... (%zu)", len);
			json_decref(o);
		}
	}
	/* A cut outside a quoted string. */
	memset(pad, 'w', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	log_set_format(LOG_FMT_TEXT);
	capture_begin();
	log_info("x=%s", pad);
	got = capture_end();
	msg = text_msg(got, "info");
	len = strlen(msg);
	ok(len > 1000 && strcmp(msg + len - 4, "w...") == 0,
	    "cut (bare): ends in ...");
}

static void
test_parse(void)
{
	is_int(log_format_parse("text"), LOG_FMT_TEXT, "parse text");
	is_int(log_format_parse("json"), LOG_FMT_JSON, "parse json");
	is_int(log_format_parse("xml"), -1, "parse: unknown");
	is_int(log_level_parse("warn"), LOG_WARN, "parse warn");
}

int
main(void)
{
	test_quote();
	test_backstop();
	test_text_pairs();
	test_json();
	test_cut();
	test_parse();
	return tap_done();
}
