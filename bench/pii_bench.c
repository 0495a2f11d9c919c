/*
 * Scanning throughput of the PII engine on mixed text (prose in several
 * languages with a few identifiers, e-mails and phone numbers per KB),
 * all entity types on, for 1 KB, 10 KB and 1 MB texts: MB/s on one core
 * and microseconds per scan (median of repetitions). The last row is the
 * 10 KB text with a zero-width space and a fullwidth digit in every
 * sentence: the cost of scanning in the Unicode detection form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "policy/pii.h"

static const char *const prose[] = {
	"The quarterly report lists revenue by region and the outlook for "
	"next year, including the new office in Lyon. ",
	"Bitte senden Sie die Unterlagen bis Freitag an die Buchhaltung, "
	"damit wir die Rechnung 2024-118 abschließen können. ",
	"Nous avons reçu votre demande et nous reviendrons vers vous dans "
	"les meilleurs délais avec une proposition détaillée. ",
	"El equipo revisó la versión 3.2.1 del modelo y encontró 14 errores "
	"menores en la documentación. ",
	"Il cliente ha chiesto una riunione martedì alle 10:30 per discutere "
	"il contratto e i prezzi. ",
	"De levering is vertraagd; het nieuwe schema staat in het gedeelde "
	"document van 12 maart. ",
	"Please summarise the meeting notes below and list the open action "
	"items with their owners and due dates. ",
};

static const char *const pii[] = {
	"Contact: jane.doe@example.com. ", "Call +49 30 1234567 today. ",
	"IBAN DE89 3704 0044 0532 0130 00. ", "My name is Anna Kowalska. ",
	"Server 10.20.30.40 failed. ", "Steuer-ID 86 095 742 719. ",
};

static char *
make_text(size_t size, int tricks)
{
	char *t = malloc(size + 256);
	size_t n = 0, i = 0;

	while (n < size) {
		const char *s = (i % 5 == 4) ? pii[i % 6] : prose[i % 7];
		size_t l = strlen(s);

		memcpy(t + n, s, l);
		n += l;
		if (tricks) {
			/* ZWSP, fullwidth 1 */
			memcpy(t + n, "\xe2\x80\x8b\xef\xbc\x91 ", 7);
			n += 7;
		}
		i++;
	}
	/* Cut on a character boundary. */
	while (size > 0 && ((unsigned char)t[size] & 0xC0) == 0x80)
		size--;
	t[size] = '\0';
	return t;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(void)
{
	static const size_t sizes[] = { 1024, 10240, 1048576, 10240 };
	unsigned char en[PII__COUNT];
	char err[256];
	struct pii_engine *e = pii_engine_new(err, sizeof(err));

	if (e == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	memset(en, 1, sizeof(en));
	printf("%-9s %10s %12s %8s\n", "size", "MB/s", "us/scan", "matches");
	for (size_t s = 0; s < 4; s++) {
		char *t = make_text(sizes[s], s == 3);
		size_t len = strlen(t);
		int reps = sizes[s] >= 1048576 ? 9 : 301, inner =
		    sizes[s] >= 1048576 ? 1 : 1048576 / (int)sizes[s];
		double *us = calloc((size_t)reps, sizeof(double));
		size_t found = 0;

		for (int r = 0; r < reps; r++) {
			uint64_t t0 = util_now_us();

			for (int k = 0; k < inner; k++) {
				struct pii_matches m = { NULL, 0, 0 };

				pii_scan(e, t, len, en, &m);
				found = m.n;
				pii_matches_free(&m);
			}
			us[r] = (double)(util_now_us() - t0) / inner;
		}
		qsort(us, (size_t)reps, sizeof(double), cmp);
		printf("%-8zu%s %10.1f %12.1f %8zu\n", sizes[s],
		    s == 3 ? "u" : " ", len / us[reps / 2], us[reps / 2],
		    found);
		free(us);
		free(t);
	}
	pii_engine_free(e);
	return 0;
}
