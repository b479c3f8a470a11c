#ifndef POLLHOOK_CLI_H
#define POLLHOOK_CLI_H

/* Subcommands that work on the state directory, beside the running daemon. */

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
/* The configuration read when no -c is given. */
#define POLLHOOK_DEFAULT_CONFIG SYSCONFDIR "/pollhook/pollhook.conf"

/* Runs "pollhook deliveries list|retry|purge ..." (argv[0] is "deliveries"); returns the exit status. */
int cli_deliveries(int argc, char **argv);
/* Parses "90", "90s", "15m", "2h" or "7d" into seconds; returns -1 when malformed. */
double cli_parse_duration(const char *s);

#endif
