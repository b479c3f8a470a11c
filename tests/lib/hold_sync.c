/*
 * A disk that stops: preloaded (LD_PRELOAD) into pollhook by
 * tests/integration/store_slow_disk.sh. While the file named by
 * HOLD_SYNC_FILE exists, every fsync or fdatasync of a write-ahead log (a
 * path ending in "-wal") waits for it to go, at most 60 s; the first such
 * wait of each hold creates HOLD_SYNC_FILE.seen, so that the test knows a
 * sync reached the disk's queue. Other descriptors sync at once.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int
is_wal(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;
	size_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return 0;
	path[n] = '\0';
	len = (size_t)n;
	return len > 4 && strcmp(path + len - 4, "-wal") == 0;
}

static void
hold(int fd)
{
	const char *file = getenv("HOLD_SYNC_FILE");
	char seen[PATH_MAX];
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	int i, mark;

	if (file == NULL || access(file, F_OK) != 0 || !is_wal(fd))
		return;
	snprintf(seen, sizeof(seen), "%s.seen", file);
	mark = open(seen, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (mark >= 0)
		close(mark);
	for (i = 0; i < 1200 && access(file, F_OK) == 0; i++)
		nanosleep(&tick, NULL);
}

int
fsync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	hold(fd);
	return real(fd);
}

int
fdatasync(int fd)
{
	static int (*real)(int);

	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	hold(fd);
	return real(fd);
}
