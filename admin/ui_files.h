/*
 * The console's static files, compiled in by scripts/embed-ui from
 * admin/ui/ (and Debian's Chart.js when it was installed at build time):
 * ui_files.c is generated, never edited.
 */
#ifndef ADMIN_UI_FILES_H
#define ADMIN_UI_FILES_H

#include <stddef.h>

struct ui_file {
	const char *name;	/* under /ui/: "index.html", "js/app.js" */
	const char *type;	/* Content-Type */
	const char *etag;	/* "\"<hash of the content>\"" */
	const unsigned char *data;
	size_t len;
};

extern const struct ui_file ui_files[];
extern const size_t n_ui_files;
/* 1 when Chart.js was embedded (vendor/chart.min.js). */
extern const int ui_has_chart;

#endif
