#include "snmp_oids.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snmp_lib.h"
#include "util.h"

#define S	SNMP_OID_SCALAR
#define C	SNMP_OID_COLUMN
#define T	SNMP_OID_TABLE

/*
 * The objects polled most often. Checked against the MIB files (RFC 3418,
 * RFC 2863, RFC 2790, UCD-SNMP-MIB, CISCO-PROCESS-MIB, CISCO-MEMORY-POOL-MIB,
 * JUNIPER-MIB, MIKROTIK-MIB); MikroTik reports CPU load in hrProcessorLoad.
 */
static const struct snmp_oid_builtin builtins[] = {
	{ "SNMPv2-MIB", "system", "1.3.6.1.2.1.1", T },
	{ "SNMPv2-MIB", "sysDescr", "1.3.6.1.2.1.1.1", S },
	{ "SNMPv2-MIB", "sysObjectID", "1.3.6.1.2.1.1.2", S },
	{ "SNMPv2-MIB", "sysUpTime", "1.3.6.1.2.1.1.3", S },
	{ "SNMPv2-MIB", "sysContact", "1.3.6.1.2.1.1.4", S },
	{ "SNMPv2-MIB", "sysName", "1.3.6.1.2.1.1.5", S },
	{ "SNMPv2-MIB", "sysLocation", "1.3.6.1.2.1.1.6", S },
	{ "SNMPv2-MIB", "sysServices", "1.3.6.1.2.1.1.7", S },

	{ "IF-MIB", "ifNumber", "1.3.6.1.2.1.2.1", S },
	{ "IF-MIB", "ifTable", "1.3.6.1.2.1.2.2", T },
	{ "IF-MIB", "ifEntry", "1.3.6.1.2.1.2.2.1", T },
	{ "IF-MIB", "ifIndex", "1.3.6.1.2.1.2.2.1.1", C },
	{ "IF-MIB", "ifDescr", "1.3.6.1.2.1.2.2.1.2", C },
	{ "IF-MIB", "ifType", "1.3.6.1.2.1.2.2.1.3", C },
	{ "IF-MIB", "ifMtu", "1.3.6.1.2.1.2.2.1.4", C },
	{ "IF-MIB", "ifSpeed", "1.3.6.1.2.1.2.2.1.5", C },
	{ "IF-MIB", "ifPhysAddress", "1.3.6.1.2.1.2.2.1.6", C },
	{ "IF-MIB", "ifAdminStatus", "1.3.6.1.2.1.2.2.1.7", C },
	{ "IF-MIB", "ifOperStatus", "1.3.6.1.2.1.2.2.1.8", C },
	{ "IF-MIB", "ifLastChange", "1.3.6.1.2.1.2.2.1.9", C },
	{ "IF-MIB", "ifInOctets", "1.3.6.1.2.1.2.2.1.10", C },
	{ "IF-MIB", "ifInUcastPkts", "1.3.6.1.2.1.2.2.1.11", C },
	{ "IF-MIB", "ifInNUcastPkts", "1.3.6.1.2.1.2.2.1.12", C },
	{ "IF-MIB", "ifInDiscards", "1.3.6.1.2.1.2.2.1.13", C },
	{ "IF-MIB", "ifInErrors", "1.3.6.1.2.1.2.2.1.14", C },
	{ "IF-MIB", "ifInUnknownProtos", "1.3.6.1.2.1.2.2.1.15", C },
	{ "IF-MIB", "ifOutOctets", "1.3.6.1.2.1.2.2.1.16", C },
	{ "IF-MIB", "ifOutUcastPkts", "1.3.6.1.2.1.2.2.1.17", C },
	{ "IF-MIB", "ifOutNUcastPkts", "1.3.6.1.2.1.2.2.1.18", C },
	{ "IF-MIB", "ifOutDiscards", "1.3.6.1.2.1.2.2.1.19", C },
	{ "IF-MIB", "ifOutErrors", "1.3.6.1.2.1.2.2.1.20", C },
	{ "IF-MIB", "ifOutQLen", "1.3.6.1.2.1.2.2.1.21", C },
	{ "IF-MIB", "ifXTable", "1.3.6.1.2.1.31.1.1", T },
	{ "IF-MIB", "ifXEntry", "1.3.6.1.2.1.31.1.1.1", T },
	{ "IF-MIB", "ifName", "1.3.6.1.2.1.31.1.1.1.1", C },
	{ "IF-MIB", "ifInMulticastPkts", "1.3.6.1.2.1.31.1.1.1.2", C },
	{ "IF-MIB", "ifInBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.3", C },
	{ "IF-MIB", "ifOutMulticastPkts", "1.3.6.1.2.1.31.1.1.1.4", C },
	{ "IF-MIB", "ifOutBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.5", C },
	{ "IF-MIB", "ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6", C },
	{ "IF-MIB", "ifHCInUcastPkts", "1.3.6.1.2.1.31.1.1.1.7", C },
	{ "IF-MIB", "ifHCInMulticastPkts", "1.3.6.1.2.1.31.1.1.1.8", C },
	{ "IF-MIB", "ifHCInBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.9", C },
	{ "IF-MIB", "ifHCOutOctets", "1.3.6.1.2.1.31.1.1.1.10", C },
	{ "IF-MIB", "ifHCOutUcastPkts", "1.3.6.1.2.1.31.1.1.1.11", C },
	{ "IF-MIB", "ifHCOutMulticastPkts", "1.3.6.1.2.1.31.1.1.1.12", C },
	{ "IF-MIB", "ifHCOutBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.13", C },
	{ "IF-MIB", "ifLinkUpDownTrapEnable", "1.3.6.1.2.1.31.1.1.1.14", C },
	{ "IF-MIB", "ifHighSpeed", "1.3.6.1.2.1.31.1.1.1.15", C },
	{ "IF-MIB", "ifPromiscuousMode", "1.3.6.1.2.1.31.1.1.1.16", C },
	{ "IF-MIB", "ifConnectorPresent", "1.3.6.1.2.1.31.1.1.1.17", C },
	{ "IF-MIB", "ifAlias", "1.3.6.1.2.1.31.1.1.1.18", C },
	{ "IF-MIB", "ifCounterDiscontinuityTime", "1.3.6.1.2.1.31.1.1.1.19", C },

	{ "HOST-RESOURCES-MIB", "hrSystemUptime", "1.3.6.1.2.1.25.1.1", S },
	{ "HOST-RESOURCES-MIB", "hrSystemNumUsers", "1.3.6.1.2.1.25.1.5", S },
	{ "HOST-RESOURCES-MIB", "hrSystemProcesses", "1.3.6.1.2.1.25.1.6", S },
	{ "HOST-RESOURCES-MIB", "hrMemorySize", "1.3.6.1.2.1.25.2.2", S },
	{ "HOST-RESOURCES-MIB", "hrStorageTable", "1.3.6.1.2.1.25.2.3", T },
	{ "HOST-RESOURCES-MIB", "hrStorageIndex", "1.3.6.1.2.1.25.2.3.1.1", C },
	{ "HOST-RESOURCES-MIB", "hrStorageType", "1.3.6.1.2.1.25.2.3.1.2", C },
	{ "HOST-RESOURCES-MIB", "hrStorageDescr", "1.3.6.1.2.1.25.2.3.1.3", C },
	{ "HOST-RESOURCES-MIB", "hrStorageAllocationUnits", "1.3.6.1.2.1.25.2.3.1.4", C },
	{ "HOST-RESOURCES-MIB", "hrStorageSize", "1.3.6.1.2.1.25.2.3.1.5", C },
	{ "HOST-RESOURCES-MIB", "hrStorageUsed", "1.3.6.1.2.1.25.2.3.1.6", C },
	{ "HOST-RESOURCES-MIB", "hrStorageAllocationFailures", "1.3.6.1.2.1.25.2.3.1.7", C },
	{ "HOST-RESOURCES-MIB", "hrDeviceDescr", "1.3.6.1.2.1.25.3.2.1.3", C },
	{ "HOST-RESOURCES-MIB", "hrProcessorTable", "1.3.6.1.2.1.25.3.3", T },
	{ "HOST-RESOURCES-MIB", "hrProcessorFrwID", "1.3.6.1.2.1.25.3.3.1.1", C },
	{ "HOST-RESOURCES-MIB", "hrProcessorLoad", "1.3.6.1.2.1.25.3.3.1.2", C },

	{ "UCD-SNMP-MIB", "memTotalSwap", "1.3.6.1.4.1.2021.4.3", S },
	{ "UCD-SNMP-MIB", "memAvailSwap", "1.3.6.1.4.1.2021.4.4", S },
	{ "UCD-SNMP-MIB", "memTotalReal", "1.3.6.1.4.1.2021.4.5", S },
	{ "UCD-SNMP-MIB", "memAvailReal", "1.3.6.1.4.1.2021.4.6", S },
	{ "UCD-SNMP-MIB", "memTotalFree", "1.3.6.1.4.1.2021.4.11", S },
	{ "UCD-SNMP-MIB", "memMinimumSwap", "1.3.6.1.4.1.2021.4.12", S },
	{ "UCD-SNMP-MIB", "memShared", "1.3.6.1.4.1.2021.4.13", S },
	{ "UCD-SNMP-MIB", "memBuffer", "1.3.6.1.4.1.2021.4.14", S },
	{ "UCD-SNMP-MIB", "memCached", "1.3.6.1.4.1.2021.4.15", S },
	{ "UCD-SNMP-MIB", "memSwapError", "1.3.6.1.4.1.2021.4.100", S },
	{ "UCD-SNMP-MIB", "dskPath", "1.3.6.1.4.1.2021.9.1.2", C },
	{ "UCD-SNMP-MIB", "dskTotal", "1.3.6.1.4.1.2021.9.1.6", C },
	{ "UCD-SNMP-MIB", "dskAvail", "1.3.6.1.4.1.2021.9.1.7", C },
	{ "UCD-SNMP-MIB", "dskUsed", "1.3.6.1.4.1.2021.9.1.8", C },
	{ "UCD-SNMP-MIB", "dskPercent", "1.3.6.1.4.1.2021.9.1.9", C },
	{ "UCD-SNMP-MIB", "laTable", "1.3.6.1.4.1.2021.10", T },
	{ "UCD-SNMP-MIB", "laNames", "1.3.6.1.4.1.2021.10.1.2", C },
	{ "UCD-SNMP-MIB", "laLoad", "1.3.6.1.4.1.2021.10.1.3", C },
	{ "UCD-SNMP-MIB", "laLoadInt", "1.3.6.1.4.1.2021.10.1.5", C },
	{ "UCD-SNMP-MIB", "laLoadFloat", "1.3.6.1.4.1.2021.10.1.6", C },
	{ "UCD-SNMP-MIB", "ssSwapIn", "1.3.6.1.4.1.2021.11.3", S },
	{ "UCD-SNMP-MIB", "ssSwapOut", "1.3.6.1.4.1.2021.11.4", S },
	{ "UCD-SNMP-MIB", "ssIOSent", "1.3.6.1.4.1.2021.11.5", S },
	{ "UCD-SNMP-MIB", "ssIOReceive", "1.3.6.1.4.1.2021.11.6", S },
	{ "UCD-SNMP-MIB", "ssSysInterrupts", "1.3.6.1.4.1.2021.11.7", S },
	{ "UCD-SNMP-MIB", "ssSysContext", "1.3.6.1.4.1.2021.11.8", S },
	{ "UCD-SNMP-MIB", "ssCpuUser", "1.3.6.1.4.1.2021.11.9", S },
	{ "UCD-SNMP-MIB", "ssCpuSystem", "1.3.6.1.4.1.2021.11.10", S },
	{ "UCD-SNMP-MIB", "ssCpuIdle", "1.3.6.1.4.1.2021.11.11", S },
	{ "UCD-SNMP-MIB", "ssCpuRawUser", "1.3.6.1.4.1.2021.11.50", S },
	{ "UCD-SNMP-MIB", "ssCpuRawNice", "1.3.6.1.4.1.2021.11.51", S },
	{ "UCD-SNMP-MIB", "ssCpuRawSystem", "1.3.6.1.4.1.2021.11.52", S },
	{ "UCD-SNMP-MIB", "ssCpuRawIdle", "1.3.6.1.4.1.2021.11.53", S },
	{ "UCD-SNMP-MIB", "ssCpuRawWait", "1.3.6.1.4.1.2021.11.54", S },
	{ "UCD-SNMP-MIB", "ssCpuRawKernel", "1.3.6.1.4.1.2021.11.55", S },
	{ "UCD-SNMP-MIB", "ssCpuRawInterrupt", "1.3.6.1.4.1.2021.11.56", S },
	{ "UCD-SNMP-MIB", "ssIORawSent", "1.3.6.1.4.1.2021.11.57", S },
	{ "UCD-SNMP-MIB", "ssIORawReceived", "1.3.6.1.4.1.2021.11.58", S },
	{ "UCD-SNMP-MIB", "ssRawInterrupts", "1.3.6.1.4.1.2021.11.59", S },
	{ "UCD-SNMP-MIB", "ssRawContexts", "1.3.6.1.4.1.2021.11.60", S },
	{ "UCD-SNMP-MIB", "ssCpuRawSoftIRQ", "1.3.6.1.4.1.2021.11.61", S },
	{ "UCD-SNMP-MIB", "ssRawSwapIn", "1.3.6.1.4.1.2021.11.62", S },
	{ "UCD-SNMP-MIB", "ssRawSwapOut", "1.3.6.1.4.1.2021.11.63", S },
	{ "UCD-SNMP-MIB", "ssCpuRawSteal", "1.3.6.1.4.1.2021.11.64", S },

	{ "CISCO-PROCESS-MIB", "cpmCPUTotalTable", "1.3.6.1.4.1.9.9.109.1.1.1", T },
	{ "CISCO-PROCESS-MIB", "cpmCPUTotalPhysicalIndex", "1.3.6.1.4.1.9.9.109.1.1.1.1.2", C },
	{ "CISCO-PROCESS-MIB", "cpmCPUTotal5sec", "1.3.6.1.4.1.9.9.109.1.1.1.1.3", C },
	{ "CISCO-PROCESS-MIB", "cpmCPUTotal1min", "1.3.6.1.4.1.9.9.109.1.1.1.1.4", C },
	{ "CISCO-PROCESS-MIB", "cpmCPUTotal5min", "1.3.6.1.4.1.9.9.109.1.1.1.1.5", C },
	{ "CISCO-PROCESS-MIB", "cpmCPUTotal5secRev", "1.3.6.1.4.1.9.9.109.1.1.1.1.6", C },
	{ "CISCO-PROCESS-MIB", "cpmCPUTotal1minRev", "1.3.6.1.4.1.9.9.109.1.1.1.1.7", C },
	{ "CISCO-PROCESS-MIB", "cpmCPUTotal5minRev", "1.3.6.1.4.1.9.9.109.1.1.1.1.8", C },
	{ "CISCO-PROCESS-MIB", "cpmCPUMemoryUsed", "1.3.6.1.4.1.9.9.109.1.1.1.1.12", C },
	{ "CISCO-PROCESS-MIB", "cpmCPUMemoryFree", "1.3.6.1.4.1.9.9.109.1.1.1.1.13", C },
	{ "CISCO-MEMORY-POOL-MIB", "ciscoMemoryPoolName", "1.3.6.1.4.1.9.9.48.1.1.1.2", C },
	{ "CISCO-MEMORY-POOL-MIB", "ciscoMemoryPoolUsed", "1.3.6.1.4.1.9.9.48.1.1.1.5", C },
	{ "CISCO-MEMORY-POOL-MIB", "ciscoMemoryPoolFree", "1.3.6.1.4.1.9.9.48.1.1.1.6", C },

	{ "JUNIPER-MIB", "jnxOperatingTable", "1.3.6.1.4.1.2636.3.1.13", T },
	{ "JUNIPER-MIB", "jnxOperatingDescr", "1.3.6.1.4.1.2636.3.1.13.1.5", C },
	{ "JUNIPER-MIB", "jnxOperatingState", "1.3.6.1.4.1.2636.3.1.13.1.6", C },
	{ "JUNIPER-MIB", "jnxOperatingTemp", "1.3.6.1.4.1.2636.3.1.13.1.7", C },
	{ "JUNIPER-MIB", "jnxOperatingCPU", "1.3.6.1.4.1.2636.3.1.13.1.8", C },
	{ "JUNIPER-MIB", "jnxOperatingISR", "1.3.6.1.4.1.2636.3.1.13.1.9", C },
	{ "JUNIPER-MIB", "jnxOperatingDRAMSize", "1.3.6.1.4.1.2636.3.1.13.1.10", C },
	{ "JUNIPER-MIB", "jnxOperatingBuffer", "1.3.6.1.4.1.2636.3.1.13.1.11", C },
	{ "JUNIPER-MIB", "jnxOperatingHeap", "1.3.6.1.4.1.2636.3.1.13.1.12", C },
	{ "JUNIPER-MIB", "jnxOperatingUpTime", "1.3.6.1.4.1.2636.3.1.13.1.13", C },
	{ "JUNIPER-MIB", "jnxOperatingMemory", "1.3.6.1.4.1.2636.3.1.13.1.15", C },

	{ "MIKROTIK-MIB", "mtxrHlCoreVoltage", "1.3.6.1.4.1.14988.1.1.3.1", S },
	{ "MIKROTIK-MIB", "mtxrHlSensorTemperature", "1.3.6.1.4.1.14988.1.1.3.5", S },
	{ "MIKROTIK-MIB", "mtxrHlCpuTemperature", "1.3.6.1.4.1.14988.1.1.3.6", S },
	{ "MIKROTIK-MIB", "mtxrHlBoardTemperature", "1.3.6.1.4.1.14988.1.1.3.7", S },
	{ "MIKROTIK-MIB", "mtxrHlVoltage", "1.3.6.1.4.1.14988.1.1.3.8", S },
	{ "MIKROTIK-MIB", "mtxrHlActiveFan", "1.3.6.1.4.1.14988.1.1.3.9", S },
	{ "MIKROTIK-MIB", "mtxrHlTemperature", "1.3.6.1.4.1.14988.1.1.3.10", S },
	{ "MIKROTIK-MIB", "mtxrHlProcessorTemperature", "1.3.6.1.4.1.14988.1.1.3.11", S },
	{ "MIKROTIK-MIB", "mtxrHlPower", "1.3.6.1.4.1.14988.1.1.3.12", S },
	{ "MIKROTIK-MIB", "mtxrHlCurrent", "1.3.6.1.4.1.14988.1.1.3.13", S },
	{ "MIKROTIK-MIB", "mtxrHlProcessorFrequency", "1.3.6.1.4.1.14988.1.1.3.14", S },
	{ "MIKROTIK-MIB", "mtxrGaugeName", "1.3.6.1.4.1.14988.1.1.3.100.1.2", C },
	{ "MIKROTIK-MIB", "mtxrGaugeValue", "1.3.6.1.4.1.14988.1.1.3.100.1.3", C },
	{ "MIKROTIK-MIB", "mtxrGaugeUnit", "1.3.6.1.4.1.14988.1.1.3.100.1.4", C },
};

#undef S
#undef C
#undef T

/* Parses at least min dotted sub-identifiers into v (capacity *len). */
static int
parse_subids(const char *s, oid *v, size_t *len, size_t min)
{
	size_t n = 0, cap = *len;
	const char *p = s;

	for (;;) {
		unsigned long long x = 0;
		const char *start = p;

		while (*p >= '0' && *p <= '9') {
			x = x * 10 + (unsigned)(*p - '0');
			if (x > 0xffffffffULL)
				return -1;
			p++;
		}
		if (p == start || n == cap)
			return -1;
		v[n++] = (oid)x;
		if (*p == '\0')
			break;
		if (*p != '.')
			return -1;
		p++;
	}
	if (n < min)
		return -1;
	*len = n;
	return 0;
}

int
snmp_oid_parse(const char *s, oid *v, size_t *len)
{
	return parse_subids(*s == '.' ? s + 1 : s, v, len, 2);
}

const struct snmp_oid_builtin *
snmp_oid_builtin_find(const char *name)
{
	const char *sep = strstr(name, "::");
	size_t mlen = sep != NULL ? (size_t)(sep - name) : 0;
	const char *obj = sep != NULL ? sep + 2 : name;

	for (size_t i = 0; i < NELEM(builtins); i++) {
		const struct snmp_oid_builtin *b = &builtins[i];

		if (strcmp(b->name, obj) != 0)
			continue;
		if (sep == NULL || (strlen(b->module) == mlen &&
		    strncmp(b->module, name, mlen) == 0))
			return b;
	}
	return NULL;
}

const struct snmp_oid_builtin *
snmp_oid_builtin_at(size_t i)
{
	return i < NELEM(builtins) ? &builtins[i] : NULL;
}

/* Splits "MIB::name.1.2" into the name part and its numeric suffix (or NULL). */
static int
split_suffix(const char *text, char *name, size_t size, const char **suffix)
{
	const char *sep = strstr(text, "::");
	const char *dot = strchr(sep != NULL ? sep + 2 : text, '.');
	size_t n = dot != NULL ? (size_t)(dot - text) : strlen(text);

	if (n >= size)
		return -1;
	memcpy(name, text, n);
	name[n] = '\0';
	*suffix = dot != NULL ? dot + 1 : NULL;
	return 0;
}

int
snmp_oid_resolve(const char *text, oid *v, size_t *len, bool *scalar,
    char *err, size_t errlen)
{
	const struct snmp_oid_builtin *b;
	char name[256];
	const char *suffix;
	size_t cap = *len, n;

	*scalar = false;
	if ((text[0] >= '0' && text[0] <= '9') || text[0] == '.') {
		if (snmp_oid_parse(text, v, len) == 0)
			return 0;
		snprintf(err, errlen, "invalid numeric OID \"%s\"", text);
		return -1;
	}
	if (split_suffix(text, name, sizeof(name), &suffix) == -1) {
		snprintf(err, errlen, "OID name too long");
		return -1;
	}
	if ((b = snmp_oid_builtin_find(name)) != NULL) {
		n = cap;
		if (snmp_oid_parse(b->oid, v, &n) == -1)
			goto bad;
		if (suffix != NULL) {
			size_t m = cap - n;

			if (*suffix == '\0' || parse_subids(suffix, v + n, &m, 1) == -1) {
				snprintf(err, errlen, "invalid index in \"%s\"", text);
				return -1;
			}
			n += m;
		} else
			*scalar = b->kind == SNMP_OID_SCALAR;
		*len = n;
		return 0;
	}
	/* Not built in: ask net-snmp, which reads MIB files when they are installed. */
	snmp_lib_init();
	n = cap;
	if (snmp_parse_oid(text, v, &n) != NULL) {
		*len = n;
		return 0;
	}
bad:
	snprintf(err, errlen, "unknown OID name \"%s\" (not built in, and not in the "
	    "installed MIB files; use the numeric OID)", text);
	return -1;
}

char *
snmp_oid_format(const oid *v, size_t len, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < len; i++) {
		int r = snprintf(buf + off, size - off, i == 0 ? "%lu" : ".%lu",
		    (unsigned long)v[i]);

		if (r < 0 || (size_t)r >= size - off) {
			buf[0] = '\0';
			return buf;
		}
		off += (size_t)r;
	}
	return buf;
}

int
snmp_oid_cmp(const oid *a, size_t alen, const oid *b, size_t blen)
{
	size_t n = alen < blen ? alen : blen;

	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	}
	if (alen == blen)
		return 0;
	return alen < blen ? -1 : 1;
}

bool
snmp_oid_under(const oid *prefix, size_t plen, const oid *v, size_t vlen)
{
	if (vlen <= plen)
		return false;
	for (size_t i = 0; i < plen; i++)
		if (prefix[i] != v[i])
			return false;
	return true;
}
