#ifndef POLLHOOK_SNMP_PROBE_H
#define POLLHOOK_SNMP_PROBE_H

/*
 * The snmp poller's prober (see bridge/probe.h): discovery's GETs of
 * sysObjectID.0 and sysName.0, one unconnected UDP socket per prober.
 */

#include "probe.h"

extern const struct probe_ops snmp_probe_ops;

#endif
