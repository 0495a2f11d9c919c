/* eugatectl's tables: columns sized to their content, ISO-8601 times. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/ctl_table.h"

/* What one cell may hold; longer values are cut (with "..."). */
#define MAX_CELL 512

int
ctl_time_iso(int64_t secs, char *out, size_t cap)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (secs < 0 || secs > 253402300799LL || gmtime_r(&t, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

/* Appends s to a cell of len bytes; cuts what does not fit. */
static size_t
cell_put(char *cell, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (len + n >= MAX_CELL) {
		n = MAX_CELL - 1 - len;
		memcpy(cell + len, s, n);
		memcpy(cell + MAX_CELL - 4, "...", 4);
		return MAX_CELL - 1;
	}
	memcpy(cell + len, s, n + 1);
	return len + n;
}

/* One value as text (a budget, model globs, a time, a number...). */
static void
cell_text(const json_t *v, int kind, char *cell)
{
	char num[64];
	size_t len = 0, i;
	const json_t *g;
	long long n;

	cell[0] = '\0';
	if (json_is_string(v)) {
		cell_put(cell, 0, json_string_value(v));
	} else if (json_is_integer(v)) {
		n = (long long)json_integer_value(v);
		if (kind == CTL_CELL_MILLIS)
			n = n / 1000;
		if (kind == CTL_CELL_PLAIN ||
		    ctl_time_iso(n, num, sizeof(num)) != 0)
			snprintf(num, sizeof(num), "%lld",
			    (long long)json_integer_value(v));
		cell_put(cell, 0, num);
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%g", json_real_value(v));
		cell_put(cell, 0, num);
	} else if (json_is_boolean(v)) {
		cell_put(cell, 0, json_is_true(v) ? "true" : "false");
	} else if (json_is_object(v)) {		/* a budget */
		const char *const parts[] = { "amount", "currency", "/",
			"period" };

		for (i = 0; i < 4; i++) {
			const json_t *p = json_object_get(v, parts[i]);

			len = cell_put(cell, len, i == 2 ? "/" :
			    json_is_string(p) ? json_string_value(p) : "-");
		}
	} else if (json_is_array(v)) {		/* model globs */
		json_array_foreach(v, i, g) {
			if (i > 0)
				len = cell_put(cell, len, ",");
			len = cell_put(cell, len, json_is_string(g) ?
			    json_string_value(g) : "?");
		}
	}
	if (cell[0] == '\0')	/* missing, null or empty */
		cell_put(cell, 0, "-");
	for (char *p = cell; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* The width of s on a terminal: its UTF-8 characters. */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Prints s and, unless it ends the line, pads it to width plus two. */
static void
print_cell(FILE *out, const char *s, size_t width, int last)
{
	fputs(s, out);
	if (last) {
		fputc('\n', out);
		return;
	}
	for (size_t w = text_width(s); w < width + 2; w++)
		fputc(' ', out);
}

int
ctl_table_print(FILE *out, const json_t *rows, const struct ctl_col *cols,
    size_t n)
{
	size_t n_rows = json_array_size(rows), i, k;
	size_t *width = NULL;
	char **cells = NULL;
	char cell[MAX_CELL];
	const json_t *row;
	int rc = -1;

	if (n == 0 || n_rows > SIZE_MAX / n / sizeof(*cells) - 1)
		return -1;
	width = calloc(n, sizeof(*width));
	cells = calloc(n_rows * n + 1, sizeof(*cells));
	if (width == NULL || cells == NULL)
		goto out;
	for (k = 0; k < n; k++)
		width[k] = text_width(cols[k].key);
	json_array_foreach(rows, i, row) {
		for (k = 0; k < n; k++) {
			size_t w;

			cell_text(json_object_get(row, cols[k].key),
			    cols[k].cell, cell);
			cells[i * n + k] = strdup(cell);
			if (cells[i * n + k] == NULL)
				goto out;
			w = text_width(cell);
			if (w > width[k])
				width[k] = w;
		}
	}
	for (k = 0; k < n; k++)
		print_cell(out, cols[k].key, width[k], k + 1 == n);
	for (i = 0; i < n_rows; i++)
		for (k = 0; k < n; k++)
			print_cell(out, cells[i * n + k], width[k], k + 1 == n);
	rc = ferror(out) ? -1 : 0;
out:
	for (i = 0; cells != NULL && i < n_rows * n; i++)
		free(cells[i]);
	free(cells);
	free(width);
	return rc;
}
