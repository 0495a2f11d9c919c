// The C interface to libphonenumber (policy/pii_phonelib.h).
#include <string>

#include <phonenumbers/phonenumberutil.h>

#include "policy/pii_phonelib.h"

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

extern "C" int
pii_phonelib_valid(const char *number, size_t len, const char *region)
{
	try {
		const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();
		PhoneNumber n;

		if (u->Parse(std::string(number, len), region, &n) !=
		    PhoneNumberUtil::NO_PARSING_ERROR)
			return 0;
		return u->IsValidNumber(n) ? 1 : 0;
	} catch (...) {
		return -1;
	}
}

extern "C" int
pii_phonelib_region_known(const char *region)
{
	try {
		const PhoneNumberUtil *u = PhoneNumberUtil::GetInstance();

		return u->GetCountryCodeForRegion(region) != 0 ? 1 : 0;
	} catch (...) {
		return 0;
	}
}
