/*
 * Phone numbers validated by Google's libphonenumber (its C++ library, as
 * Debian packages it): a C interface to the few calls the detector makes.
 * Thread-safe; the library's metadata is read once, on first use.
 */
#ifndef POLICY_PII_PHONELIB_H
#define POLICY_PII_PHONELIB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * 1 when number (digits, with a leading '+' for the international form;
 * len bytes) is a valid number in the numbering plan of region ("DE";
 * "ZZ" when the number is international), 0 when it is not, -1 on a
 * failure of the library.
 */
int pii_phonelib_valid(const char *number, size_t len, const char *region);

/* 1 when the library knows the region code ("DE", "GB"), else 0. */
int pii_phonelib_region_known(const char *region);

#ifdef __cplusplus
}
#endif

#endif
