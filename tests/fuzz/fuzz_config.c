/*
 * Fuzz target: the configuration parser. Properties: any input either
 * loads or is refused with "FILE:LINE: message" whose line exists in the
 * input; nothing leaks or crashes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[600], prefix[80];
	struct config *cfg;
	FILE *f;
	long lines = 1, line;

	snprintf(path, sizeof(path), "/tmp/eugate-fuzz-%d.ini", (int)getpid());
	f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	cfg = config_load(path, err, sizeof(err));
	if (cfg == NULL) {
		int n = snprintf(prefix, sizeof(prefix), "%s:", path);

		if (strncmp(err, prefix, (size_t)n) != 0)
			abort();
		line = strtol(err + n, NULL, 10);
		if (line < 0 || line > lines + 1)
			abort();
	}
	config_unref(cfg);
	return 0;
}
