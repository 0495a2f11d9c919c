/* CSV cells: the one writer of every cell of every CSV eugate writes. */
#ifndef COMMON_CSV_H
#define COMMON_CSV_H

#include <stddef.h>

/*
 * Writes v as one CSV cell into out (cap bytes; NUL-terminated when cap
 * > 0) and returns the cell's length, as snprintf does: a length >= cap
 * means that out was too small and holds the cell cut.
 *
 * Formulas (OWASP CSV injection): a ' goes before a cell that begins with
 * a tab, CR or LF, and before every =, +, - or @ at a place where a
 * spreadsheet may start a cell: the start of the value or after a
 * comma, semicolon, tab, CR or LF (the separators of other locales and
 * lines), spaces and quotes between them not counting.
 * Quoting (RFC 4180): a cell holding a comma, semicolon, quote, tab, CR
 * or LF is quoted, its quotes doubled.
 */
size_t csv_cell(char *out, size_t cap, const char *v);

#endif
