/*
 * Unit tests of PERSON detection (policy/pii_person.c, policy/pii_names.c)
 * in several languages: sequences, initials, particles, "Lastname,
 * Firstname", titles, greetings, signatures, verbs of saying, lower-case
 * chat, and what is no name: months, places, organizations, sentence
 * starts, capitalized common words.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/pii.h"
#include "policy/pii_names.h"
#include "policy/pii_person.h"
#include "tests/tap.h"

static struct pii_engine *eng;

/* The PERSON spans that e finds in text, as "[a] [b]" in out. */
static void
spans_of(struct pii_engine *e, const char *text, char *out, size_t len)
{
	unsigned char en[PII__COUNT];
	struct pii_matches m = { NULL, 0, 0 };
	size_t k = 0;

	memset(en, 0, sizeof(en));
	en[PII_PERSON] = 1;
	out[0] = '\0';
	if (pii_scan(e, text, strlen(text), en, &m) != 0)
		snprintf(out, len, "ERROR");
	for (size_t i = 0; i < m.n && k < len; i++)
		k += (size_t)snprintf(out + k, len - k, "%s[%.*s]",
		    k ? " " : "", (int)(m.v[i].end - m.v[i].start),
		    text + m.v[i].start);
	pii_matches_free(&m);
}

/* The PERSON spans of text with the test's engine. */
static const char *
names(const char *text)
{
	static char out[1024];

	spans_of(eng, text, out, sizeof(out));
	return out;
}

static void
test_names(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		/* Given name and surname, in the middle of a sentence. */
		{ "I met Sophie Martin yesterday.", "[Sophie Martin]" },
		{ "Gestern traf ich Anna Schmidt in Berlin.",
		  "[Anna Schmidt]" },
		{ "Le rapport a été écrit par Jean-Luc Dubois hier.",
		  "[Jean-Luc Dubois]" },
		{ "Il contratto è stato firmato da Giulia Bianchi ieri.",
		  "[Giulia Bianchi]" },
		{ "Pan Tomasz Wiśniewski przyjechał wczoraj.",
		  "[Tomasz Wiśniewski]" },
		/* Particles. */
		{ "Het rapport van Jan van der Berg is klaar.",
		  "[Jan van der Berg]" },
		{ "Het rapport van Pieter de Vries is klaar.",
		  "[Pieter de Vries]" },
		/* Initials; Lastname, Firstname. */
		{ "J. Kowalski signed the lease.", "[J. Kowalski]" },
		{ "Kowalski, Jan", "[Kowalski] [Jan]" },
		/* Titles and offices before a name no list knows. */
		{ "Sehr geehrter Herr Müller, vielen Dank.", "[Müller]" },
		{ "Dear Dr. Smith, thanks for the call.", "[Smith]" },
		{ "Toimitusjohtaja Mikko Ruuskanen kertoi asiasta.",
		  "[Mikko Ruuskanen]" },
		/* Verbs of saying before the name. */
		{ "\"Wir sind bereit\", sagte Vrielinck am Montag.",
		  "[Vrielinck]" },
		{ "Het is te laat, zegt Vrielinck.", "[Vrielinck]" },
		/* Greetings, signatures, a name on a line of its own. */
		{ "Hej Ingrid, tack för mötet.", "[Ingrid]" },
		{ "Best regards,\nMarta Nowak", "[Marta Nowak]" },
		{ "Oskar Lindqvist\nSales manager\nNordic Freight AB",
		  "[Oskar Lindqvist]" },
		{ "Relator: Ministro Walton Alencar Rodrigues",
		  "[Walton Alencar Rodrigues]" },
		/* Lower-case chat after "my name is". */
		{ "my name is teodora vukić and i need help",
		  "[teodora vukić]" },
		/* A name found once is marked everywhere; names side by
		 * side. */
		{ "Ruth Szczepanik wrote it. Later Szczepanik called again.",
		  "[Ruth Szczepanik] [Szczepanik]" },
		{ "Yesterday Haraldstad met Ruth Szczepanik.",
		  "[Haraldstad] [Ruth Szczepanik]" },
		/* No names: months, places, organizations, sentence
		 * starts, capitalized common words, labels, addresses. */
		{ "Im Mai und im Juni arbeiten wir.", "" },
		{ "The Paris office in France opens on 12 March.", "" },
		{ "She works at Deutsche Bank and Siemens AG.", "" },
		{ "Heute regnet es. Morgen scheint die Sonne.", "" },
		{ "Die Kinder spielen im Garten mit dem Hund.", "" },
		{ "Capitalized words like Wisdom and Discipline are often "
		  "mistaken for names.", "" },
		{ "Lo Stato e la Regione hanno firmato.", "" },
		{ "O Diretor-Geral assinou o contrato.", "" },
		{ "Rechnung 12345 bezahlt.", "" },
		{ "Write to anna.schmidt@example.com today.", "" },
		{ "Vi var på Det Kgl. en aften.", "" },
		{ "The quick brown fox jumps over the lazy dog near Lake "
		  "Geneva.", "" },
		{ "Nous avons reçu votre demande hier.", "" },
		{ "El equipo revisó la versión 3.2.1 del modelo.", "" },
		{ "meta-llama/Llama-3.1-8B-Instruct", "" },
		/* A pseudonym's capitals: no sentence in lower case. */
		{ "ser <PERSON_XP4MBG> jane", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_str(names(cases[i].text), cases[i].want, cases[i].text);
}

static void
test_lists(void)
{
	struct pii_names *nm = pii_names_new();

	ok(nm != NULL, "name lists built");
	if (nm == NULL)
		return;
	ok(pii_names_get(nm, "Anna", 4) & PII_NAME_GIVEN, "Anna: given name");
	ok(pii_names_get(nm, "Kowalski", 8) & PII_NAME_SURNAME,
	    "Kowalski: surname");
	ok(pii_names_get(nm, "Rose", 4) & PII_NAME_AMBIGUOUS,
	    "Rose: a name and a word");
	ok(pii_names_get(nm, "Paris", 5) & PII_NAME_NOT, "Paris: a place");
	ok(pii_names_get(nm, "herr", 4) & PII_NAME_TITLE, "herr: a title");
	ok(pii_names_get(nm, "sagte", 5) & PII_NAME_SAY, "sagte: saying");
	ok(pii_names_get(nm, "wisdom", 6) & PII_NAME_EN_WORD,
	    "wisdom: an English word");
	is_int(pii_names_get(nm, "Qxzvw", 5), 0, "Qxzvw: unknown");
	pii_names_free(nm);
}

/* Long and pathological texts: scanned in one pass, nothing lost. */
static void
test_long(void)
{
	static const char *const units[] = { "Anna Kowalska ", "Ab Cd Ef ",
		"x", "Ñandú ", "A. ", "van ", "Zbigniew, " };
	size_t size = 1 << 20;
	char *t = malloc(size + 16);
	unsigned char en[PII__COUNT];

	memset(en, 0, sizeof(en));
	en[PII_PERSON] = 1;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]) && t; u++) {
		struct pii_matches m = { NULL, 0, 0 };
		size_t n = 0, l = strlen(units[u]);
		int rc;

		while (n + l <= size) {
			memcpy(t + n, units[u], l);
			n += l;
		}
		t[n] = '\0';
		rc = pii_scan(eng, t, n, en, &m);
		ok(rc == 0 && (u != 0 || m.n > 0), "1 MB of \"%s\": %zu names",
		    units[u], m.n);
		pii_matches_free(&m);
	}
	free(t);
}

static const char *const share_texts[] = {
	"Gestern traf ich Anna Schmidt in Berlin, sagte Vrielinck.",
	"Best regards,\nMarta Nowak",
	"Het rapport van Jan van der Berg is klaar; Kowalski, Jan belt.",
};

struct share_run {
	struct pii_engine *e;
	char want[3][256];
	int mismatches;
};

static void *
share_thread(void *arg)
{
	struct share_run *r = arg;
	char got[256];

	for (int n = 0; n < 300; n++)
		for (int i = 0; i < 3; i++) {
			spans_of(r->e, share_texts[i], got, sizeof(got));
			if (strcmp(got, r->want[i]) != 0)
				r->mismatches++;
		}
	return NULL;
}

/* Engines for other threads share the name tables: the same findings,
 * scanning at once, and freed before the engine they share. */
static void
test_sharing(void)
{
	struct share_run run[2];
	pthread_t th[2];
	char err[256], got[256];
	int made = 1;

	for (int t = 0; t < 2; t++) {
		run[t].e = pii_engine_new_sharing(eng, err, sizeof(err));
		run[t].mismatches = 0;
		made = made && run[t].e != NULL;
		for (int i = 0; i < 3; i++)
			spans_of(eng, share_texts[i], run[t].want[i],
			    sizeof(run[t].want[i]));
	}
	ok(made && strstr(run[0].want[0], "[Anna Schmidt]") != NULL &&
	    strstr(run[0].want[0], "[Vrielinck]") != NULL,
	    "sharing engines made (%s)", made ? run[0].want[0] : err);
	if (!made)
		return;
	for (int t = 0; t < 2; t++)
		pthread_create(&th[t], NULL, share_thread, &run[t]);
	for (int t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	ok(run[0].mismatches == 0 && run[1].mismatches == 0, "two threads "
	    "scanning at once with shared tables find what the first "
	    "engine finds (%d, %d mismatches in 900 scans each)",
	    run[0].mismatches, run[1].mismatches);
	for (int t = 0; t < 2; t++)
		pii_engine_free(run[t].e);
	spans_of(eng, share_texts[1], got, sizeof(got));
	is_str(got, "[Marta Nowak]", "the first engine still works after the "
	    "sharing ones are freed");
}

int
main(void)
{
	char err[256];

	eng = pii_engine_new(err, sizeof(err));
	ok(eng != NULL, "engine compiles (%s)", eng ? "ok" : err);
	if (eng == NULL)
		return tap_done();
	test_names();
	test_lists();
	test_long();
	test_sharing();
	pii_engine_free(eng);
	return tap_done();
}
