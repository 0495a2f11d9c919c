/* The one error enum of eugate, shared by every folder. */
#ifndef COMMON_ERR_H
#define COMMON_ERR_H

#define GW_WUR __attribute__((warn_unused_result))

enum gw_err {
	GW_OK = 0,
	GW_ERR_NOMEM,		/* allocation failed */
	GW_ERR_INVAL,		/* bad argument or input */
	GW_ERR_IO,		/* system call failed, errno kept */
	GW_ERR_CONFIG,		/* configuration invalid */
	GW_ERR_STORAGE,		/* SQLite failed */
	GW_ERR_NOTFOUND,	/* no such object */
	GW_ERR_EXISTS,		/* object already exists */
	GW_ERR_LIMIT,		/* a configured cap was crossed */
	GW_ERR_CRYPTO,		/* OpenSSL failed */
	GW_ERR_UPSTREAM,	/* libcurl failed */
	GW_ERR_PERM,		/* not permitted */
	GW_ERR__COUNT
};

/* Returns a constant, human-readable description of err. */
const char *gw_strerror(enum gw_err err);

#endif
