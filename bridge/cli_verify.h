#ifndef POLLHOOK_CLI_VERIFY_H
#define POLLHOOK_CLI_VERIFY_H

/*
 * "pollhook verify": checks one received webhook's signature, so a
 * receiver's author can test against pollhook's own implementation.
 */

/*
 * Runs the subcommand; argv[0] is "verify", the options follow. Prints
 * "authentic" or "NOT authentic: <reason>" on stdout and returns the exit
 * status: 0 authentic, 1 not authentic, 2 usage or input error.
 */
int cli_verify_main(int argc, char **argv);

#endif
