/* eugatectl's command table: argument checks by spec, usage, dispatch. */
#include <string.h>

#include "admin/ctl_args.h"

static const char *const limit_opts[] = { "--budget", "--rpm", "--tpm",
	"--models", "--models-deny", NULL };

/* The value of option name ("--team"), or NULL. */
const char *
ctl_opt(const struct ctl_args *a, const char *name)
{
	return ctl_opt_next(a, name, NULL);
}

const char *
ctl_opt_next(const struct ctl_args *a, const char *name, int *pos)
{
	for (int i = pos != NULL ? *pos : 0; i < a->n_opts; i++)
		if (strcmp(a->name[i], name) == 0) {
			if (pos != NULL)
				*pos = i + 1;
			return a->value[i];
		}
	return NULL;
}

/*
 * The next unit of a spec at *p: "NAME", "--opt VALUE" or "[...]" whole.
 * Returns its length (0 at the end) and moves *p past it.
 */
static size_t
spec_unit(const char **p, const char **unit)
{
	const char *s = *p, *e;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return 0;
	e = s;
	if (*s == '[') {
		while (*e != '\0' && *e != ']')
			e++;
		if (*e == ']')
			e++;
		if (strncmp(e, "...", 3) == 0)
			e += 3;		/* may be given more than once */
	} else {
		int words = strncmp(s, "--", 2) == 0 ? 2 : 1;

		for (; words > 0; words--) {
			while (*e == ' ')
				e++;
			while (*e != '\0' && *e != ' ')
				e++;
		}
	}
	*unit = s;
	*p = e;
	return (size_t)(e - s);
}

/* What a spec unit is: its option name (copied into name), LIMITS or a
 * positional argument. */
enum unit_kind { UNIT_POS, UNIT_OPT, UNIT_LIMITS };

static int
unit_kind(const char *u, size_t len, char *name, size_t cap, int *optional,
    int *repeat)
{
	size_t n;

	*repeat = len > 3 && strncmp(u + len - 3, "...", 3) == 0;
	if (*repeat)
		len -= 3;
	*optional = u[0] == '[';
	if (*optional) {
		u++;
		len -= len >= 2 ? 2 : len;
	}
	if (len == 6 && strncmp(u, "LIMITS", 6) == 0)
		return UNIT_LIMITS;
	if (len < 2 || strncmp(u, "--", 2) != 0)
		return UNIT_POS;
	for (n = 0; n < len && u[n] != ' ' && n + 1 < cap; n++)
		name[n] = u[n];
	name[n] = '\0';
	return UNIT_OPT;
}

/* Ends the program: a command's arguments do not fit its spec. */
static void __attribute__((noreturn))
bad_args(const struct ctl_cmd *cmd, const char *why, const char *what)
{
	ctl_die(2, "%s: %s%s (usage: eugatectl %s%s%s)", cmd->words, why,
	    what, cmd->words, *cmd->spec ? " " : "", cmd->spec);
}

void
ctl_args_parse(const struct ctl_cmd *cmd, int argc, char **argv,
    struct ctl_args *a)
{
	const char *p, *u;
	char name[32];
	size_t len;
	int n_pos = 0, limits = 0, optional, repeat, n_limits = 0;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		int known = 0, lim = 0, many = 0;

		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
			if (a->n_pos == CTL_MAX_POS)
				bad_args(cmd, "too many arguments", "");
			a->pos[a->n_pos++] = argv[i];
			continue;
		}
		for (p = cmd->spec; (len = spec_unit(&p, &u)) > 0;) {
			int k = unit_kind(u, len, name, sizeof(name),
			    &optional, &repeat);
			int same = k == UNIT_OPT && strcmp(name, argv[i]) == 0;

			known |= same;
			many |= same && repeat;
			limits |= k == UNIT_LIMITS;
		}
		for (int j = 0; limits && limit_opts[j] != NULL; j++)
			lim |= strcmp(limit_opts[j], argv[i]) == 0;
		if (!known && !lim)
			bad_args(cmd, "unknown option ", argv[i]);
		if (!many && ctl_opt(a, argv[i]) != NULL)
			bad_args(cmd, "given twice: ", argv[i]);
		if (i + 1 == argc)
			bad_args(cmd, "a value is missing after ", argv[i]);
		if (a->n_opts == CTL_MAX_OPTS)
			bad_args(cmd, "too many options", "");
		n_limits += lim;
		a->name[a->n_opts] = argv[i];
		a->value[a->n_opts++] = argv[++i];
	}
	for (p = cmd->spec; (len = spec_unit(&p, &u)) > 0;) {
		int k = unit_kind(u, len, name, sizeof(name), &optional,
		    &repeat);

		if (k == UNIT_POS)
			n_pos++;
		else if (k == UNIT_OPT && !optional && ctl_opt(a, name) == NULL)
			bad_args(cmd, "missing ", name);
		else if (k == UNIT_LIMITS && !optional && n_limits == 0)
			bad_args(cmd, "give at least one limit", "");
	}
	if (a->n_pos > n_pos)
		bad_args(cmd, "too many arguments", "");
	if (a->n_pos < n_pos)
		bad_args(cmd, "an argument is missing", "");
}

void
ctl_usage_commands(FILE *out, const struct ctl_cmd *cmds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = cmds[i].spec, *u;
		size_t len, col = (size_t)fprintf(out, "  %s", cmds[i].words);

		while ((len = spec_unit(&p, &u)) > 0) {
			if (col + 1 + len > 78)
				col = (size_t)fprintf(out, "\n       ") - 1;
			col += (size_t)fprintf(out, " %.*s", (int)len, u);
		}
		fprintf(out, "\n      %s\n", cmds[i].help);
	}
}

const struct ctl_cmd *
ctl_cmd_find(const struct ctl_cmd *cmds, size_t n_cmds, int n, char **args,
    int *used)
{
	for (size_t i = 0; i < n_cmds; i++) {
		const char *w = cmds[i].words;
		int k = 0;

		for (; k < n; k++) {
			size_t len = strlen(args[k]);

			if (strncmp(w, args[k], len) != 0 ||
			    (w[len] != ' ' && w[len] != '\0'))
				break;
			w += len;
			if (*w == '\0')
				break;
			w++;
		}
		if (k < n && *w == '\0') {
			*used = k + 1;
			return &cmds[i];
		}
	}
	return NULL;
}
