#ifndef POLLHOOK_CLI_SILENCES_H
#define POLLHOOK_CLI_SILENCES_H

/* `pollhook silences list|add|rm`: the management API's silences from the command line. */

/* Runs the subcommand in argv[1..]; returns the exit status (0 ok, 1 failure, 2 usage). */
int cli_silences_main(int argc, char **argv);

#endif
