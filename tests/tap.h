/* A tiny TAP producer for unit tests: ok(), is_int(), is_str(), done. */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

#include <stddef.h>

void tap_ok(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void tap_is_int(long long got, long long want, const char *file, int line,
    const char *what);
void tap_is_str(const char *got, const char *want, const char *file,
    int line, const char *what);
/* Prints the plan and returns the exit status (0 when all passed). */
int tap_done(void);
/* Stops the whole test ("Bail out!" with the reason): what follows can
 * not run, for example on a store that did not open. */
void tap_bail(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, what) \
	tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, \
	    what)
#define is_str(got, want, what) \
	tap_is_str(got, want, __FILE__, __LINE__, what)

#endif
