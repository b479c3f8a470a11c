/*
 * Files for the fuzz targets (see fuzz_files.h). The directory is made on
 * first use under $TMPDIR and emptied and removed at exit.
 */

#include "fuzz_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[4096];

/* Empties and removes the directory (the targets make no subdirectories). */
static void
cleanup(void)
{
	char path[4400];
	struct dirent *e;
	DIR *d;

	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

static void
make_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (dir[0] != '\0')
		return;
	snprintf(dir, sizeof(dir), "%s/pollhook-fuzz.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(cleanup);
}

const char *
fuzz_path(const char *name)
{
	static char path[4200];

	make_dir();
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		abort();
	return path;
}

const char *
fuzz_write(const char *name, const void *data, size_t len)
{
	const char *path = fuzz_path(name);
	FILE *f;

	if (data == NULL) {
		unlink(path);
		return path;
	}
	if ((f = fopen(path, "wb")) == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		abort();
	}
	return path;
}

size_t
fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, size_t n)
{
	size_t found = 0, line = 0, part = 0;

	for (size_t i = 0; i < n; i++)
		parts[i].p = NULL, parts[i].len = 0;
	if (n == 0)
		return 0;
	/* line: where the current line starts; part: where the current part does */
	while (found + 1 < n && line < size) {
		const uint8_t *nl = memchr(data + line, '\n', size - line);
		size_t next = nl != NULL ? (size_t)(nl - data) + 1 : size;

		if (next - line == 3 && memcmp(data + line, "%%\n", 3) == 0) {
			parts[found].p = data + part;
			parts[found].len = line - part;
			found++;
			part = next;
		}
		line = next;
	}
	parts[found].p = data + part;
	parts[found].len = size - part;
	return found + 1;
}

void
fuzz_no_stdin(void)
{
	static int done;
	int fd;

	if (done++)
		return;
	if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0) {
		perror("fuzz: /dev/null");
		abort();
	}
	close(fd);
}
