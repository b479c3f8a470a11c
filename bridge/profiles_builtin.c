/*
 * The built-in profiles: the metrics of conf/examples/snmp-*.conf and
 * router-v2c-v3.conf without anything site-specific. They speak v2c with the
 * default community; a source (or a profile of the file) sets its own
 * community, or version = "3" and its user, and they merge key by key.
 */

#include "profiles_builtin.h"

#define IF_OPER	"{ name = \"if_oper\"; oid = \"IF-MIB::ifOperStatus\"; walk = true; " \
		"label_oid = \"IF-MIB::ifName\"; },\n"
#define IF_BPS(dir, col) "{ name = \"" dir "_bps\"; oid = \"IF-MIB::" col "\"; " \
		"walk = true; label_oid = \"IF-MIB::ifName\"; rate = true; scale = 8.0; },\n"
#define IF_ERR	"{ name = \"in_errors\"; oid = \"IF-MIB::ifInErrors\"; walk = true; " \
		"label_oid = \"IF-MIB::ifName\"; rate = true; },\n"
#define UPTIME	"{ name = \"uptime_s\"; oid = \"SNMPv2-MIB::sysUpTime\"; scale = 0.01; }\n"

const char profiles_builtin_text[] =
"profiles = (\n"
"{ name = \"net-snmp-linux\"; description = \"a Linux host running net-snmp's snmpd\";\n"
"  poller = \"snmp\"; interval = 10.0; timeout = 3.0; labels = { vendor = \"net-snmp\"; };\n"
"  snmp = { version = \"2c\"; retries = 1; };\n"
"  metrics = (\n"
"    { name = \"cpu\"; oid = \"HOST-RESOURCES-MIB::hrProcessorLoad\"; walk = true; reduce = \"avg\"; },\n"
"    { name = \"cpu_idle\"; oid = \"UCD-SNMP-MIB::ssCpuIdle\"; },\n"
"    { name = \"load1\"; oid = \"UCD-SNMP-MIB::laLoad.1\"; },\n"
"    { name = \"mem_avail_mib\"; oid = \"UCD-SNMP-MIB::memAvailReal\"; scale = 0.0009765625; },\n"
"    { name = \"disk_pct\"; oid = \"UCD-SNMP-MIB::dskPercent\"; walk = true; label_oid = \"UCD-SNMP-MIB::dskPath\"; },\n"
"    { name = \"storage_used\"; oid = \"HOST-RESOURCES-MIB::hrStorageUsed\"; walk = true; label_oid = \"HOST-RESOURCES-MIB::hrStorageDescr\"; },\n"
"    " IF_OPER "    " IF_BPS("in", "ifHCInOctets") "    " IF_BPS("out", "ifHCOutOctets")
"    " UPTIME
"  ); },\n"
"{ name = \"cisco-ios\"; description = \"a Cisco IOS / IOS XE router or switch\";\n"
"  poller = \"snmp\"; interval = 30.0; timeout = 5.0; labels = { vendor = \"cisco\"; };\n"
"  snmp = { version = \"2c\"; retries = 1; max_repetitions = 20; };\n"
"  metrics = (\n"
"    { name = \"cpu\"; oid = \"CISCO-PROCESS-MIB::cpmCPUTotal5minRev\"; walk = true; reduce = \"max\"; },\n"
"    { name = \"cpu_1min\"; oid = \"CISCO-PROCESS-MIB::cpmCPUTotal1minRev\"; walk = true; reduce = \"max\"; },\n"
"    { name = \"mem_free\"; oid = \"CISCO-MEMORY-POOL-MIB::ciscoMemoryPoolFree\"; walk = true; label_oid = \"CISCO-MEMORY-POOL-MIB::ciscoMemoryPoolName\"; },\n"
"    " IF_OPER "    " IF_BPS("in", "ifHCInOctets") "    " IF_BPS("out", "ifHCOutOctets")
"    " IF_ERR "    " UPTIME
"  ); },\n"
"{ name = \"juniper\"; description = \"a Juniper Junos router or switch\";\n"
"  poller = \"snmp\"; interval = 30.0; timeout = 5.0; labels = { vendor = \"juniper\"; };\n"
"  snmp = { version = \"2c\"; retries = 1; max_repetitions = 20; };\n"
"  metrics = (\n"
"    { name = \"cpu\"; oid = \"JUNIPER-MIB::jnxOperatingCPU\"; walk = true; label_oid = \"JUNIPER-MIB::jnxOperatingDescr\"; },\n"
"    { name = \"cpu_max\"; oid = \"JUNIPER-MIB::jnxOperatingCPU\"; walk = true; reduce = \"max\"; },\n"
"    { name = \"mem_pct\"; oid = \"JUNIPER-MIB::jnxOperatingBuffer\"; walk = true; label_oid = \"JUNIPER-MIB::jnxOperatingDescr\"; },\n"
"    { name = \"temp_c\"; oid = \"JUNIPER-MIB::jnxOperatingTemp\"; walk = true; label_oid = \"JUNIPER-MIB::jnxOperatingDescr\"; },\n"
"    " IF_OPER "    " IF_BPS("in", "ifHCInOctets") "    " IF_BPS("out", "ifHCOutOctets")
"    " UPTIME
"  ); },\n"
"{ name = \"mikrotik\"; description = \"a MikroTik RouterOS router\";\n"
"  poller = \"snmp\"; interval = 30.0; timeout = 5.0; labels = { vendor = \"mikrotik\"; };\n"
"  snmp = { version = \"2c\"; retries = 1; };\n"
"  metrics = (\n"
"    { name = \"cpu\"; oid = \"HOST-RESOURCES-MIB::hrProcessorLoad\"; walk = true; reduce = \"max\"; },\n"
"    { name = \"cpu_temp_c\"; oid = \"MIKROTIK-MIB::mtxrHlCpuTemperature\"; scale = 0.1; },\n"
"    { name = \"voltage_v\"; oid = \"MIKROTIK-MIB::mtxrHlVoltage\"; scale = 0.1; },\n"
"    { name = \"gauge\"; oid = \"MIKROTIK-MIB::mtxrGaugeValue\"; walk = true; label_oid = \"MIKROTIK-MIB::mtxrGaugeName\"; },\n"
"    " IF_OPER "    " IF_BPS("in", "ifHCInOctets") "    " IF_BPS("out", "ifHCOutOctets")
"    " UPTIME
"  ); },\n"
"{ name = \"if-mib-switch\"; description = \"any switch with IF-MIB and HOST-RESOURCES-MIB\";\n"
"  poller = \"snmp\"; interval = 30.0; timeout = 5.0;\n"
"  snmp = { version = \"2c\"; retries = 1; max_repetitions = 25; };\n"
"  metrics = (\n"
"    { name = \"cpu\"; oid = \"HOST-RESOURCES-MIB::hrProcessorLoad\"; walk = true; reduce = \"max\"; },\n"
"    " IF_OPER "    " IF_BPS("in", "ifHCInOctets") "    " IF_BPS("out", "ifHCOutOctets")
"    " IF_ERR "    " UPTIME
"  ); }\n"
");\n";
