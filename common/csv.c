/* CSV cells: RFC 4180 quoting and OWASP's neutralization of formulas. */
#include <string.h>

#include "common/csv.h"

/* Where a spreadsheet of some locale may start a new cell or line. */
static int
csv_sep(char c)
{
	return c == ',' || c == ';' || c == '\t' || c == '\r' || c == '\n';
}

static int
csv_formula(char c)
{
	return c == '=' || c == '+' || c == '-' || c == '@';
}

static void
put(char *out, size_t cap, size_t *n, char c)
{
	if (*n + 1 < cap)
		out[*n] = c;
	(*n)++;
}

size_t
csv_cell(char *out, size_t cap, const char *v)
{
	int quoted = strpbrk(v, ",;\"\t\r\n") != NULL;
	int start = 1;		/* a cell may start here */
	size_t n = 0;

	if (quoted)
		put(out, cap, &n, '"');
	if (*v == '\t' || *v == '\r' || *v == '\n')
		put(out, cap, &n, '\'');
	for (const char *p = v; *p != '\0'; p++) {
		if (start && csv_formula(*p))
			put(out, cap, &n, '\'');
		if (csv_sep(*p))
			start = 1;
		else if (*p != ' ' && *p != '"')
			start = 0;
		if (*p == '"')
			put(out, cap, &n, '"');
		put(out, cap, &n, *p);
	}
	if (quoted)
		put(out, cap, &n, '"');
	if (cap > 0)
		out[n < cap ? n : cap - 1] = '\0';
	return n;
}
