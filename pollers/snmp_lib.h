#ifndef POLLHOOK_SNMP_LIB_H
#define POLLHOOK_SNMP_LIB_H

/*
 * net-snmp's process-wide initialisation for the snmp poller: done once, quietly
 * (no MIB warnings on stderr, no persistent state files), its log routed to ours.
 */

/* Initialises net-snmp once per process; later calls do nothing. */
void snmp_lib_init(void);
/* Returns "net-snmp VERSION" (a static string): the library loaded. */
const char *snmp_lib_version(void);

#endif
