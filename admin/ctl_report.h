/*
 * eugatectl's text form of the compliance reports: the posture (a line
 * per check and team) and the Art. 30 record, from the admin API's JSON.
 * Control characters in values print as '?', so a value can not drive
 * the terminal.
 */
#ifndef ADMIN_CTL_REPORT_H
#define ADMIN_CTL_REPORT_H

#include <stdio.h>

#include <jansson.h>

/* GET /admin/v1/reports/posture's answer (borrowed) as text. */
void ctl_report_posture(FILE *out, json_t *rep);
/* GET /admin/v1/reports/art30's answer (borrowed) as text. */
void ctl_report_art30(FILE *out, json_t *rep);

#endif
