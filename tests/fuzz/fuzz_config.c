/*
 * Fuzz target of the config loader: text in, FILE:LINE errors or a config
 * out, never a crash or a leak. The input is up to five files cut at lines
 * "%%": pollhook.conf, then inc.conf (for @include "inc.conf"), devices.csv
 * and devices.jsonl (for inventories), and secret (for *_file keys), all in
 * one private directory. Built with -fsanitize=fuzzer it is a libFuzzer
 * target; otherwise tests/fuzz/replay.c runs it over the corpus in make check.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "fuzz_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const files[] = {
	"pollhook.conf", "inc.conf", "devices.csv", "devices.jsonl", "secret"
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[5];
	struct config *cfg;
	const char *path = NULL;
	FILE *null;

	fuzz_no_stdin();
	fuzz_split(data, size, parts, 5);
	for (size_t i = 0; i < 5; i++) {
		const char *p = fuzz_write(files[i], parts[i].p, parts[i].len);

		if (i == 0)
			path = p;
	}
	/* fuzz_path's buffer is static: the main file's path is written last. */
	path = fuzz_path(files[0]);
	if ((cfg = config_load(path)) != NULL) {
		if ((null = fopen("/dev/null", "w")) != NULL) {
			config_print_origins(cfg, null);
			fclose(null);
		}
		config_free(cfg);
	}
	return 0;
}
