/* The one CSV cell writer: RFC 4180 quoting, formulas neutralized. */
#include <string.h>

#include "common/csv.h"
#include "tests/tap.h"

static void
cell(const char *v, const char *want, const char *what)
{
	char out[256];
	size_t n = csv_cell(out, sizeof(out), v);

	is_str(out, want, what);
	is_int(n, strlen(want), "  its length");
}

int
main(void)
{
	char small[4];

	cell("mistral-small-latest", "mistral-small-latest", "a plain cell");
	cell("", "", "an empty cell");
	cell("=1+1", "'=1+1", "= first: '");
	cell("+1", "'+1", "+ first: '");
	cell("-1", "'-1", "- first: '");
	cell("@SUM(A1)", "'@SUM(A1)", "@ first: '");
	cell("\t=1", "\"'\t'=1\"", "tab first: ', quoted");
	cell("\r=1", "\"'\r'=1\"", "CR first: ', quoted");
	cell("\nx", "\"'\nx\"", "LF first: ', quoted");
	cell("  =1", "  '=1", "spaces do not hide =");
	cell("\"=1\"", "\"\"\"'=1\"\"\"", "a quote does not hide =");
	cell("a,b", "\"a,b\"", "a comma: quoted");
	cell("a\"b", "\"a\"\"b\"", "a quote: quoted, doubled");
	cell("a\r\nb", "\"a\r\nb\"", "CR LF inside: quoted");
	cell("a;=cmd|' /C calc'!A0", "\"a;'=cmd|' /C calc'!A0\"",
	    "= after a semicolon (another locale's separator)");
	cell("a, -1", "\"a, '-1\"", "- after a comma");
	cell("x\n@y", "\"x\n'@y\"", "@ at the start of a line");
	cell("a - b", "a - b", "- inside a word run: kept");
	cell("eu-west=1", "eu-west=1", "= inside: kept");
	is_int(csv_cell(small, sizeof(small), "=abcdef"), 8, "cut: the length");
	is_str(small, "'=a", "cut: what fits");
	is_int(csv_cell(NULL, 0, "a,b"), 5, "cap 0: only the length");
	return tap_done();
}
