#include "snmp_lib.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "log.h"

static bool initialised;

/* net-snmp's messages are about its own internals: debug level for us. */
static int
lib_log(int major, int minor, void *serverarg, void *clientarg)
{
	struct snmp_log_message *m = serverarg;
	size_t n;

	(void)major;
	(void)minor;
	(void)clientarg;
	if (m == NULL || m->msg == NULL)
		return 0;
	n = strlen(m->msg);
	while (n > 0 && m->msg[n - 1] == '\n')
		n--;
	log_debug("snmp: net-snmp: %.*s", (int)n, m->msg);
	return 0;
}

void
snmp_lib_init(void)
{
	netsnmp_log_handler *lh;

	if (initialised)
		return;
	initialised = true;

	/* Before init_snmp: it loads MIBs and would print every missing module. */
	snmp_disable_log();
	lh = netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
	if (lh != NULL)
		snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
		    lib_log, NULL);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_QUICK_PRINT, 1);
	/* pollhook keeps no net-snmp state files (engine boots, USM users). */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	/* Responses carry what we asked for; no sanity checks against MIB types. */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_CHECK_RANGE, 1);
	init_snmp("pollhook");
}

const char *
snmp_lib_version(void)
{
	static char buf[64];

	if (buf[0] == '\0')
		snprintf(buf, sizeof(buf), "net-snmp %s", netsnmp_get_version());
	return buf;
}
