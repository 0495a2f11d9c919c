/* Names of the error codes of common/err.h. */
#include "common/err.h"

static const char *const err_names[GW_ERR__COUNT] = {
	[GW_OK] = "success",
	[GW_ERR_NOMEM] = "out of memory",
	[GW_ERR_INVAL] = "invalid argument",
	[GW_ERR_IO] = "input/output error",
	[GW_ERR_CONFIG] = "invalid configuration",
	[GW_ERR_STORAGE] = "storage error",
	[GW_ERR_NOTFOUND] = "not found",
	[GW_ERR_EXISTS] = "already exists",
	[GW_ERR_LIMIT] = "limit exceeded",
	[GW_ERR_CRYPTO] = "cryptography error",
	[GW_ERR_UPSTREAM] = "upstream error",
	[GW_ERR_PERM] = "not permitted",
};

const char *
gw_strerror(enum gw_err err)
{
	if ((unsigned)err >= GW_ERR__COUNT)
		return "unknown error";
	return err_names[err];
}
