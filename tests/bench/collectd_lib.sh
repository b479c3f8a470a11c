# Sourced by the snmp benchmarks: collectd (Debian's collectd-core) as the
# same-run reference. Its snmp plugin polls the same snmpd, the same OID at
# the same interval as pollhook; no write plugin (pollhook's bench sources
# have no subscriber either, unless the caller adds one: CD_EXTRA).
#
# collectd_start N INTERVAL TIMEOUT [FIRST_PORT]: starts collectd with N hosts
#   s0..s(N-1) at 127.0.0.1:$SNMPD_PORT, each GETting CD_OID (default
#   sysUpTime.0); sets CD_PID, or CD_PID="" when collectd is not installed.
# collectd_stop: stops it (SIGTERM, then SIGKILL after 5 s).
# collectd_available: true when collectd and its snmp plugin are installed.

COLLECTD=$(command -v collectd || echo /usr/sbin/collectd)
CD_PID=""

collectd_available() {
	[ -x "$COLLECTD" ] && [ -f /usr/lib/collectd/snmp.so ]
}

collectd_start() {
	CD_PID=""
	collectd_available || return 0
	mkdir -p "$TMP/cd"
	{
		echo "BaseDir \"$TMP/cd\""
		echo "PIDFile \"$TMP/cd/collectd.pid\""
		echo "PluginDir \"/usr/lib/collectd\""
		echo "TypesDB \"/usr/share/collectd/types.db\""
		echo "Interval $2"
		echo "ReadThreads 5"
		echo "LoadPlugin logfile"
		echo "<Plugin logfile>"
		echo "  LogLevel \"warning\""
		echo "  File \"$TMP/cd/collectd.log\""
		echo "</Plugin>"
		echo "LoadPlugin snmp"
		echo "${CD_EXTRA:-}"
		echo "<Plugin snmp>"
		echo "  <Data \"v\">"
		echo "    Type \"gauge\""
		echo "    Table false"
		echo "    Values \"${CD_OID:-1.3.6.1.2.1.1.3.0}\""
		echo "  </Data>"
		i=0
		while [ "$i" -lt "$1" ]; do
			echo "  <Host \"s$i\">"
			echo "    Address \"127.0.0.1:$SNMPD_PORT\""
			echo "    Version 2"
			echo "    Community \"public\""
			echo "    Collect \"v\""
			echo "    Interval $2"
			echo "    Timeout $3"
			echo "    Retries 1"
			echo "  </Host>"
			i=$((i + 1))
		done
		echo "</Plugin>"
	} >"$TMP/cd/collectd.conf"
	"$COLLECTD" -f -C "$TMP/cd/collectd.conf" >"$TMP/cd/collectd.out" 2>&1 &
	CD_PID=$!
	PIDS="$PIDS $CD_PID"
}

collectd_stop() {
	[ -n "$CD_PID" ] || return 0
	kill "$CD_PID" 2>/dev/null
	i=0
	while kill -0 "$CD_PID" 2>/dev/null && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$CD_PID" 2>/dev/null
	wait "$CD_PID" 2>/dev/null
	CD_PID=""
}
