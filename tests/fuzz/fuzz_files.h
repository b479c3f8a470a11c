#ifndef POLLHOOK_FUZZ_FILES_H
#define POLLHOOK_FUZZ_FILES_H

/*
 * What the fuzz targets that read files share: one private directory per
 * process (removed at exit) where an input's pieces become files, and the
 * splitting of an input into those pieces.
 */

#include <stddef.h>
#include <stdint.h>

#define FUZZ_PARTS_MAX	8

struct fuzz_part {
	const uint8_t *p;	/* borrowed from the input; NULL when absent */
	size_t len;
};

/* Returns the path of name in the private directory (static storage, per call). */
const char *fuzz_path(const char *name);
/* Writes len bytes of data to name in the private directory; data NULL removes it. Returns its path. */
const char *fuzz_write(const char *name, const void *data, size_t len);
/*
 * Cuts data at each line "%%" into at most n parts (the last takes the
 * rest; each keeps the newline of its last line); parts that do not occur
 * are NULL. Returns the number found.
 */
size_t fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, size_t n);
/* Points stdin at /dev/null once, so nothing a target calls ever waits for input. */
void fuzz_no_stdin(void);

#endif
