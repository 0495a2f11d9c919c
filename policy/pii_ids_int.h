/*
 * Inside the identifier detector (policy/pii_ids.c): a candidate value,
 * the evidence around it, and the table of identifiers
 * (policy/pii_idrows.c) that the scanner tries on each candidate.
 */
#ifndef POLICY_PII_IDS_INT_H
#define POLICY_PII_IDS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "policy/pii_ctx.h"

#define ID_COMPACT_MAX 40

/* A candidate: whole tokens of letters and digits joined by separators. */
struct id_cand {
	const char *text;	/* the scanned text, len bytes */
	size_t len;
	size_t start, end;	/* the candidate's bytes */
	char c[ID_COMPACT_MAX + 1];	/* its letters (capitals), digits */
	/* sep[k]: the separator written before c[k] (' ', '-', '.', '/',
	 * '+'), or 0 */
	char sep[ID_COMPACT_MAX + 1];
	size_t n;		/* length of c */
	unsigned digits;
	int lower;		/* a lower-case letter was written */
	int first_upper;	/* it starts with a capital letter */
	int *bare;		/* the text is values alone: -1 not read yet,
				 * else id_cand_bare()'s answer */
};

/* 1 when the text holds values alone, no word (read once). */
int id_cand_bare(const struct id_cand *c);

/* The label groups: what a context word says a nearby value is. */
enum {
	LG_VAT, LG_TAX, LG_PERSONAL, LG_SOCIAL, LG_HEALTH, LG_PASSPORT,
	LG_IDCARD, LG_DRIVING, LG_CARD, LG_IDNR, LG_STNR, LG_SVNR, LG_KVNR,
	LG_NIR, LG_SPI, LG_DNI, LG_NIE, LG_CF, LG_BSN, LG_NN, LG_PESEL,
	LG_NIP, LG_PNR, LG_HETU, LG_CPR, LG_NIF, LG_CC, LG_PPS, LG_NINO,
	LG_NHS, LG_UTR, LG_AHV, LG_EGN, LG_RC, LG_IK, LG_PK, LG_OIB, LG_CNP,
	LG_EMSO, LG_AMKA, LG_TAJ, LG_KT, LG_FNR, LG_EID, LG_AT_TIN,
	LG__COUNT
};

#define LG(x) ((uint64_t)1 << (LG_##x))

/* The groups that name a kind of identifier, not one of them. */
#define LG_GENERIC (LG(VAT) | LG(TAX) | LG(PERSONAL) | LG(SOCIAL) |	\
	LG(HEALTH) | LG(PASSPORT) | LG(IDCARD) | LG(DRIVING) | LG(CARD))

/* The countries a text may name (a bit each). */
enum {
	CC_AT, CC_BE, CC_BG, CC_CH, CC_CY, CC_CZ, CC_DE, CC_DK, CC_EE, CC_ES,
	CC_FI, CC_FR, CC_GB, CC_GR, CC_HR, CC_HU, CC_IE, CC_IS, CC_IT, CC_LI,
	CC_LT, CC_LU, CC_LV, CC_MT, CC_NL, CC_NO, CC_PL, CC_PT, CC_RO, CC_SE,
	CC_SI, CC_SK, CC__COUNT
};

#define CC_ANY (-1)

#define CC(x) ((uint32_t)1 << (CC_##x))

/* A context word: the label groups it stands for, and the countries its
 * language or its meaning names. */
struct id_label {
	const char *word;
	uint64_t groups;
	uint32_t countries;
};

extern const struct id_label pii_id_labels[];
extern const size_t pii_id_n_labels;

/* The evidence around a chain of candidates, read when a row needs it
 * (once for all the candidates of the chain). */
struct id_env {
	const struct pii_words *words;	/* pii_id_labels' words, then the
					 * negative words */
	size_t ws, we;		/* the chain: the window is around it */
	struct pii_ctx ctx;
	int read;		/* ctx, groups and countries are set */
	int neg;		/* a negative word is near */
	uint64_t groups;	/* label groups of the context words */
	uint32_t named;		/* countries named by country words */
	uint32_t langs;		/* countries of the labels' languages */
};

/* Reads the context (once). */
void id_env_read(struct id_env *env, const struct id_cand *c);
/* 1 when a negative word is near (once). */
int id_env_negative(struct id_env *env, const struct id_cand *c);
/* The countries the text points to: those named, else those of the
 * labels' languages, else all. */
uint32_t id_env_countries(struct id_env *env, const struct id_cand *c);

/* A row's verdict on a candidate. */
enum { ID_NO, ID_LABEL, ID_STRONG };

typedef int (*id_check_fn)(const struct id_cand *c, struct id_env *env);

#define ID_F_NONEG 1	/* negative words do not veto it (VAT) */
#define ID_F_ANYKIND 2	/* labels of other identifiers do not veto it */
#define ID_F_FEWDIGITS 4	/* tried on a word of few digits */
#define ID_F_LONE 8	/* its check is enough in a text of values
			 * alone, without a label */

struct id_row {
	int type;		/* enum pii_type */
	int cc;			/* CC_*, or -1 (any country) */
	unsigned char min, max;	/* compact length */
	id_check_fn check;
	uint64_t labels;	/* groups whose words confirm it */
	uint64_t specific;	/* ... and those that name it alone */
	unsigned flags;
};

extern const struct id_row pii_id_rows[];
extern const size_t pii_id_n_rows;

#endif
