/*
 * The one table of errors that eugate answers with itself: each stable
 * code (the envelope's "code") with its HTTP status, its envelope "type"
 * and a default message. The client API and the admin API both answer
 * from it, in Mistral's envelope:
 * {"object":"error","message":...,"type":...,"param":null,"code":...}.
 */
#ifndef COMMON_ERRORS_H
#define COMMON_ERRORS_H

#include <stddef.h>

struct api_error {
	const char *code;	/* stable: clients and audit records use it */
	int status;		/* HTTP status */
	const char *type;	/* the envelope's "type" */
	const char *message;	/* what it means, for the docs and defaults */
};

extern const struct api_error api_errors[];
extern const size_t n_api_errors;

/* The entry of a code; an unknown code (a programming error) gives the
 * internal_error entry, so that a client always gets a well-formed
 * answer. */
const struct api_error *api_error(const char *code);

#endif
