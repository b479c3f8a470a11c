#ifndef POLLHOOK_ONCE_H
#define POLLHOOK_ONCE_H

/*
 * --once: polls every source one time, prints the samples and the events the
 * rules would emit, and returns; like `telegraf --test`.
 */

#include <stdbool.h>
#include <stdio.h>

#include "config.h"

/*
 * Runs the polls of cfg and prints to out: JSON when json is true, else a
 * table for a person; with previews, also the body (and headers) each
 * subscriber would be sent for each event. Returns 0 when every poll
 * succeeded, 2 when one failed.
 */
int once_run(const struct config *cfg, FILE *out, bool json, bool previews);

#endif
