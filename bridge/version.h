#ifndef POLLHOOK_VERSION_H
#define POLLHOOK_VERSION_H

/* What `pollhook --version` says: the version, the kinds compiled in, the libraries. */

#include <stdio.h>

/*
 * Writes the version (from configure: git describe, or the tarball's), the
 * pollers, emitters and stores compiled in (and those left out), and the
 * version of every library found at run time, one per line, to f.
 */
void version_print(FILE *f);

#endif
