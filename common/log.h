/*
 * Operational log: leveled lines on stderr, never content or secrets.
 *
 * A line is words and key=value pairs. Every value that the code did not
 * choose itself (anything from a client, an admin, an upstream, the
 * configuration or a library's error text) goes through log_q(), so that
 * it reads as one bare token or one "quoted string" and can neither forge
 * a pair nor start a line. Whatever a call site does, log_msg() escapes
 * every control byte of the line as a last resort.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_FMT_TEXT, LOG_FMT_JSON };

/* Sets the lowest level printed; the default is LOG_INFO. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info" or "debug"; returns -1 if unknown. */
int log_level_parse(const char *s);

/*
 * Sets how lines are written; the default is LOG_FMT_TEXT:
 *   2026-01-31T12:00:00.000Z info req=abc model="a b" status=200
 * LOG_FMT_JSON writes one object per line, the pairs as members:
 *   {"time":"2026-01-31T12:00:00.000Z","level":"info","msg":"...",
 *    "req":"abc","model":"a b","status":"200"}
 */
void log_set_format(enum log_format format);
enum log_format log_get_format(void);
/* Parses "text" or "json"; returns -1 if unknown. */
int log_format_parse(const char *s);

/*
 * s itself when it is a plain token (non-empty, only [A-Za-z0-9._:/@+-]),
 * else a quoted copy: '"' and '\' escaped with '\', control bytes as \n,
 * \r, \t or \xHH, bytes that are not UTF-8 as \xHH, and the code points
 * that break or reorder lines (C1 controls, U+2028, U+2029, bidirectional
 * controls) as \uHHHH; values longer than about 500 bytes are cut and end
 * in ...". "-" for NULL. The copy lives in a small ring of buffers of the
 * calling thread: valid until 16 more calls of log_q in that thread, so
 * use it only in the arguments of a log call.
 */
const char *log_q(const char *s);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
/* A line below the level costs a load and a branch: its arguments (log_q
 * quotes them) are not evaluated. */
#define log_warn(...)                                    \
	do {                                             \
		if (log_get_level() >= LOG_WARN)          \
			log_msg(LOG_WARN, __VA_ARGS__);  \
	} while (0)
#define log_info(...)                                    \
	do {                                             \
		if (log_get_level() >= LOG_INFO)          \
			log_msg(LOG_INFO, __VA_ARGS__);  \
	} while (0)
#define log_debug(...)                                   \
	do {                                             \
		if (log_get_level() >= LOG_DEBUG)         \
			log_msg(LOG_DEBUG, __VA_ARGS__); \
	} while (0)

#endif
