/*
 * eugatectl's tables: the rows of an admin API list as text columns, each
 * as wide as its widest cell (header included), two spaces apart; times
 * as ISO-8601 UTC.
 */
#ifndef ADMIN_CTL_TABLE_H
#define ADMIN_CTL_TABLE_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* How a column's numbers read. */
enum ctl_cell {
	CTL_CELL_PLAIN,		/* as the API gave them */
	CTL_CELL_SECONDS,	/* Unix seconds: 2026-11-01T12:00:00Z */
	CTL_CELL_MILLIS		/* Unix milliseconds: the same, to the second */
};

/* A column: the member of each row it shows (also its header). */
struct ctl_col {
	const char *key;
	int cell;		/* enum ctl_cell */
};

/*
 * Writes "2026-11-01T12:00:00Z" for Unix seconds into out (21 bytes are
 * enough). Returns 0, or -1 for a time that has no such form.
 */
int ctl_time_iso(int64_t secs, char *out, size_t cap);

/*
 * Prints the objects of the array rows as a table of the n columns cols:
 * a header line, then one line per row. A member that is missing or null
 * is "-", a budget object "100.00EUR/monthly", an array its items joined
 * with commas; control characters print as '?', so a cell can not break
 * the table or drive the terminal. Returns -1 when out could not be
 * written (or memory ran out), else 0.
 */
int ctl_table_print(FILE *out, const json_t *rows, const struct ctl_col *cols,
    size_t n);

#endif
