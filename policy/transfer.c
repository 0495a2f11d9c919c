/* Transfers outside the EEA: the country table and the basis of each
 * location of an upstream. */
#include <stdio.h>
#include <string.h>

#include "policy/transfer.h"

/*
 * The EEA (the 27 member states of the EU, Iceland, Liechtenstein and
 * Norway) and the countries with an adequacy decision under Art. 45 GDPR.
 * Source: European Commission, "Adequacy decisions",
 * https://commission.europa.eu/law/law-topic/data-protection/
 * international-dimension-data-protection/adequacy-decisions_en, as it
 * stood on 2026-01-27 (Brazil adopted 2026-01-26; the United Kingdom's
 * decisions renewed in December 2025). Decisions are reviewed and can be
 * annulled (Privacy Shield was, in 2020): check the page when it matters,
 * and update the table and transfer_table_date together.
 *
 * "EU" (exceptionally reserved in ISO 3166 for the Union) stands for
 * "somewhere in the EU"; "UK" and "EL" (the EU's code for Greece) are
 * read as GB and GR.
 */
const char transfer_table_source[] = "European Commission, Adequacy "
    "decisions (commission.europa.eu, international dimension of data "
    "protection)";
const char transfer_table_date[] = "2026-01-27";

static const struct country countries[] = {
	{ "EU", "the European Union", COUNTRY_EEA, NULL },
	{ "AT", "Austria", COUNTRY_EEA, NULL },
	{ "BE", "Belgium", COUNTRY_EEA, NULL },
	{ "BG", "Bulgaria", COUNTRY_EEA, NULL },
	{ "HR", "Croatia", COUNTRY_EEA, NULL },
	{ "CY", "Cyprus", COUNTRY_EEA, NULL },
	{ "CZ", "Czechia", COUNTRY_EEA, NULL },
	{ "DK", "Denmark", COUNTRY_EEA, NULL },
	{ "EE", "Estonia", COUNTRY_EEA, NULL },
	{ "FI", "Finland", COUNTRY_EEA, NULL },
	{ "FR", "France", COUNTRY_EEA, NULL },
	{ "DE", "Germany", COUNTRY_EEA, NULL },
	{ "GR", "Greece", COUNTRY_EEA, NULL },
	{ "EL", "Greece", COUNTRY_EEA, NULL },
	{ "HU", "Hungary", COUNTRY_EEA, NULL },
	{ "IE", "Ireland", COUNTRY_EEA, NULL },
	{ "IT", "Italy", COUNTRY_EEA, NULL },
	{ "LV", "Latvia", COUNTRY_EEA, NULL },
	{ "LT", "Lithuania", COUNTRY_EEA, NULL },
	{ "LU", "Luxembourg", COUNTRY_EEA, NULL },
	{ "MT", "Malta", COUNTRY_EEA, NULL },
	{ "NL", "the Netherlands", COUNTRY_EEA, NULL },
	{ "PL", "Poland", COUNTRY_EEA, NULL },
	{ "PT", "Portugal", COUNTRY_EEA, NULL },
	{ "RO", "Romania", COUNTRY_EEA, NULL },
	{ "SK", "Slovakia", COUNTRY_EEA, NULL },
	{ "SI", "Slovenia", COUNTRY_EEA, NULL },
	{ "ES", "Spain", COUNTRY_EEA, NULL },
	{ "SE", "Sweden", COUNTRY_EEA, NULL },
	{ "IS", "Iceland", COUNTRY_EEA, NULL },
	{ "LI", "Liechtenstein", COUNTRY_EEA, NULL },
	{ "NO", "Norway", COUNTRY_EEA, NULL },
	{ "AD", "Andorra", COUNTRY_ADEQUATE, "Decision 2010/625/EU" },
	{ "AR", "Argentina", COUNTRY_ADEQUATE, "Decision 2003/490/EC" },
	{ "BR", "Brazil", COUNTRY_ADEQUATE, "adequacy decision of "
	  "2026-01-26" },
	{ "FO", "the Faroe Islands", COUNTRY_ADEQUATE,
	  "Decision 2010/146/EU" },
	{ "GG", "Guernsey", COUNTRY_ADEQUATE, "Decision 2003/821/EC" },
	{ "IL", "Israel", COUNTRY_ADEQUATE, "Decision 2011/61/EU" },
	{ "IM", "the Isle of Man", COUNTRY_ADEQUATE, "Decision 2004/411/EC" },
	{ "JP", "Japan", COUNTRY_ADEQUATE, "Decision (EU) 2019/419" },
	{ "JE", "Jersey", COUNTRY_ADEQUATE, "Decision 2008/393/EC" },
	{ "NZ", "New Zealand", COUNTRY_ADEQUATE, "Decision 2013/65/EU" },
	{ "KR", "the Republic of Korea", COUNTRY_ADEQUATE,
	  "Decision (EU) 2022/254" },
	{ "CH", "Switzerland", COUNTRY_ADEQUATE, "Decision 2000/518/EC" },
	{ "GB", "the United Kingdom", COUNTRY_ADEQUATE,
	  "Decision (EU) 2021/1772, renewed 2025" },
	{ "UK", "the United Kingdom", COUNTRY_ADEQUATE,
	  "Decision (EU) 2021/1772, renewed 2025" },
	{ "UY", "Uruguay", COUNTRY_ADEQUATE, "Decision 2012/484/EU" },
	{ "CA", "Canada", COUNTRY_PARTIAL, "Decision 2002/2/EC (commercial "
	  "organisations under PIPEDA)" },
	{ "US", "the United States", COUNTRY_PARTIAL, "Decision (EU) "
	  "2023/1795 (organisations certified under the EU-US Data Privacy "
	  "Framework)" },
};

#define N_COUNTRIES (sizeof(countries) / sizeof(countries[0]))

int
transfer_code_valid(const char *code)
{
	return code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' &&
	    code[1] <= 'Z' && code[2] == '\0';
}

const struct country *
transfer_country(const char *code)
{
	for (size_t i = 0; i < N_COUNTRIES; i++)
		if (strcmp(countries[i].code, code) == 0)
			return &countries[i];
	return NULL;
}

const char *
transfer_name(int transfer)
{
	static const char *const names[] = { NULL, "none", "adequacy", "scc",
		"bcr" };

	return transfer > TRANSFER_UNSET && transfer <= TRANSFER_BCR ?
	    names[transfer] : NULL;
}

int
transfer_assess(const char *code, int stated, const char **basis,
    const char **why)
{
	const struct country *c = transfer_country(code);
	int status = c != NULL ? c->status : COUNTRY_THIRD;

	*why = NULL;
	*basis = "";
	if (status == COUNTRY_EEA) {
		*basis = "none";
		return TRANSFER_OK;
	}
	if (status == COUNTRY_ADEQUATE) {
		*basis = "adequacy";
		return TRANSFER_OK;
	}
	if (stated == TRANSFER_SCC || stated == TRANSFER_BCR ||
	    (stated == TRANSFER_ADEQUACY && status == COUNTRY_PARTIAL)) {
		*basis = transfer_name(stated);
		return TRANSFER_OK;
	}
	if (stated == TRANSFER_NONE)
		*why = "outside the EEA: transfer = none is no basis";
	else if (stated == TRANSFER_ADEQUACY)
		*why = "no adequacy decision covers it";
	else if (status == COUNTRY_PARTIAL)
		*why = "its adequacy decision covers certified recipients "
		    "only, and transfer is not stated";
	else
		*why = "no safeguard stated: transfer = scc or bcr";
	return TRANSFER_BAD;
}

int
transfer_upstream(const struct upstream_conf *u, char *out, size_t outlen)
{
	size_t len = 0;
	int worst = TRANSFER_OK;

	if (outlen > 0)
		out[0] = '\0';
	if (u->location.n == 0) {
		snprintf(out, outlen, "location not stated");
		return TRANSFER_MISSING;
	}
	for (size_t i = 0; i < u->location.n; i++) {
		const char *code = u->location.v[i], *basis, *why;
		const struct country *c = transfer_country(code);
		int v = transfer_assess(code, u->transfer, &basis, &why);
		const char *what;
		int n;

		if (v == TRANSFER_BAD)
			what = why;
		else if (c != NULL && c->status == COUNTRY_EEA)
			what = "EEA";
		else if (c != NULL && c->status == COUNTRY_ADEQUATE)
			what = "adequacy decision";
		else
			what = basis;
		if (v > worst)
			worst = v;
		n = snprintf(out + len, len < outlen ? outlen - len : 0,
		    "%s%s (%s)", i ? ", " : "", code, what);
		if (n > 0)
			len += (size_t)n;
	}
	return worst;
}
