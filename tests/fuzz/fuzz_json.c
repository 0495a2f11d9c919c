/* libFuzzer: jsontext against jansson on any input (see test_jsontext.c):
 * the same texts accepted, the same values, the same bytes written. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsontext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t flags = size > 0 && data[0] == '{' ? JSON_REJECT_DUPLICATES : 0;
	json_t *a = json_loadb(buf, size, flags, NULL);
	json_t *b = jsontext_parse(buf, size, flags, NULL);

	if (memchr(buf, '\0', size) != NULL) {
		if (b != NULL)
			abort();	/* a NUL byte is never JSON */
	} else if ((a == NULL) != (b == NULL) || (a && !json_equal(a, b))) {
		abort();
	} else if (a != NULL) {
		char *d1 = json_dumps(a,
		    JSON_COMPACT | JSON_REAL_PRECISION(15));
		char *d2 = jsontext_dump(b, 15, NULL);

		if ((d1 == NULL) != (d2 == NULL) || (d1 && strcmp(d1, d2) != 0))
			abort();
		free(d1);
		free(d2);
	}
	json_decref(a);
	json_decref(b);
	return 0;
}
