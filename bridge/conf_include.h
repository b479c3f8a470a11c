#ifndef POLLHOOK_CONF_INCLUDE_H
#define POLLHOOK_CONF_INCLUDE_H

/*
 * The files a configuration reads, checked before libconfig reads them.
 * libconfig 1.5's scanner ends the process (flex's "input in flex scanner
 * failed", exit 2) when a file it reads is a directory, as
 * '@include ""' or '@include "."' make it, and waits forever on a FIFO: on
 * a SIGHUP that would stop the daemon instead of keeping its configuration.
 */

/*
 * Checks that path and every file it includes, directly or through other
 * included files, is a regular file when it exists (a missing or unreadable
 * one is left to libconfig, which reports it). Included names are taken as
 * libconfig 1.5 does: appended to dir when dir is not NULL. Every line that
 * starts an @include counts, even inside a comment or a string. Returns 0,
 * or -1 after printing "FILE:LINE: cannot include ...: not a regular file"
 * (or "PATH: not a regular file") on stderr.
 */
int conf_include_check(const char *path, const char *dir);

#endif
