#ifndef POLLHOOK_CLI_SUBS_H
#define POLLHOOK_CLI_SUBS_H

/* `pollhook subscribers list|add|rm|rotate|test`: the management API's client. */

/* Runs the subcommand in argv[1..]; returns the exit status (0 ok, 1 failure, 2 usage). */
int cli_subs_main(int argc, char **argv);

#endif
