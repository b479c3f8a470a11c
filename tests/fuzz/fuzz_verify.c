/*
 * Fuzz target of "pollhook verify" (bridge/cli_verify.c): its options, the
 * received headers ("Name: value"), the secrets (given and read from a
 * file, one a line) and the signature check over a body. The input is
 * three parts cut at lines "%%": the arguments, one a line ("@S" stands
 * for the secret file, "@B" for the body file), the secret file, and the
 * body. The body file is passed first, so the arguments may name another;
 * stdin is /dev/null. Built with -fsanitize=fuzzer it is a libFuzzer
 * target; otherwise tests/fuzz/replay.c runs it over the corpus in make check.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_verify.h"
#include "fuzz_files.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARGS_MAX	64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[3];
	char *argv[ARGS_MAX + 4], *secret_path, *body_path;
	const char *p, *end, *nl;
	int argc = 0;

	fuzz_no_stdin();
	fuzz_split(data, size, parts, 3);
	secret_path = xstrdup(fuzz_write("secret", parts[1].p, parts[1].len));
	body_path = xstrdup(fuzz_write("body", parts[2].p != NULL ? parts[2].p :
	    (const uint8_t *)"", parts[2].len));
	argv[argc++] = xstrdup("verify");
	argv[argc++] = xstrdup("--body-file");
	argv[argc++] = xstrdup(body_path);
	p = (const char *)parts[0].p;
	end = p + parts[0].len;
	while (p != NULL && p < end && argc < ARGS_MAX) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl - p == 2 && memcmp(p, "@S", 2) == 0)
			argv[argc++] = xstrdup(secret_path);
		else if (nl - p == 2 && memcmp(p, "@B", 2) == 0)
			argv[argc++] = xstrdup(body_path);
		else
			argv[argc++] = xstrndup(p, (size_t)(nl - p));
		p = nl + 1;
	}
	argv[argc] = NULL;
	cli_verify_main(argc, argv);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(secret_path);
	free(body_path);
	return 0;
}
