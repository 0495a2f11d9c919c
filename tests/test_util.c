/* common/util: percent-decoding of paths and queries. */
#include <string.h>

#include "common/util.h"
#include "tests/tap.h"

static void
dec(const char *in, int plus, const char *want, const char *what)
{
	char out[16];
	int n = util_pct_decode(in, strlen(in), plus, out, sizeof(out));

	if (want == NULL) {
		is_int(n, -1, what);
		return;
	}
	is_int(n, (long long)strlen(want), what);
	is_str(n >= 0 ? out : "", want, "  its bytes");
}

int
main(void)
{
	dec("team-a", 0, "team-a", "plain bytes stay");
	dec("a%2Db", 0, "a-b", "an escape decodes");
	dec("%2e%2E%2f", 0, "../", "either case of hex digits");
	dec("a+b", 0, "a+b", "+ stays in a path");
	dec("a+b", 1, "a b", "+ is a space in a query");
	dec("%2B01", 1, "+01", "an escaped + stays a +");
	dec("%", 0, NULL, "a lone % is refused");
	dec("%4", 0, NULL, "half an escape is refused");
	dec("%G1", 0, NULL, "a non-hex escape is refused");
	dec("a%00b", 0, NULL, "an escaped NUL is refused");
	dec("0123456789abcde", 0, "0123456789abcde", "cap - 1 bytes fit");
	dec("0123456789abcdef", 0, NULL, "cap bytes do not");
	dec("%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41", 0,
	    "AAAAAAAAAAAAAAA", "the cap counts decoded bytes");
	return tap_done();
}
