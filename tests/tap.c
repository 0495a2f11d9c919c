/* A tiny TAP producer: numbered ok/not ok lines and a final plan. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap.h"

/* Test programs are single-threaded; the counters are their state. */
static int tap_n, tap_failed;

void
tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		printf("# failed at %s:%d\n", file, line);
	fflush(stdout);
}

void
tap_is_int(long long got, long long want, const char *file, int line,
    const char *what)
{
	tap_ok(got == want, file, line, "%s", what);
	if (got != want)
		printf("#   got %lld, want %lld\n", got, want);
}

void
tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *what)
{
	int same = got != NULL && want != NULL && strcmp(got, want) == 0;

	tap_ok(same, file, line, "%s", what);
	if (!same)
		printf("#   got '%s', want '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
}

int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

void
tap_bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(1);
}
