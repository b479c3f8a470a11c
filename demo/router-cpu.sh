#!/bin/sh
# The demo router's CPU: an snmpd "pass_persist" script that answers for
# CISCO-PROCESS-MIB::cpmCPUTotal5secRev.1 (.1.3.6.1.4.1.9.9.109.1.1.1.1.6.1),
# a Gauge32 percentage, with the number in STATEDIR/cpu (demo/run.sh writes
# it, following the story). Every GET and GETNEXT it answers is appended to
# STATEDIR/requests.log as "UNIXTIME OP OID VALUE", the device's own record
# of what it served.
#
# pass_persist rather than pass: snmpd caches a pass script's output for the
# same command line (30 s), which would freeze the value of a single OID.
#
# Usage (snmpd.conf): pass_persist .1.3.6.1.4.1.9.9.109.1.1.1.1 /bin/sh router-cpu.sh STATEDIR
dir=$1
cpu_oid=.1.3.6.1.4.1.9.9.109.1.1.1.1.6.1

answer() {
	v=$(cat "$dir/cpu" 2>/dev/null)
	case $v in '' | *[!0-9]*) v=0 ;; esac
	printf '%s\ngauge\n%s\n' "$cpu_oid" "$v"
	echo "$(date +%s.%N) $1 $cpu_oid $v" >>"$dir/requests.log"
}

while read -r cmd; do
	case $cmd in
	PING) echo PONG ;;
	get)
		read -r oid
		if [ "$oid" = "$cpu_oid" ]; then answer get; else echo NONE; fi
		;;
	getnext)
		read -r oid
		# The one OID served comes after every OID of the subtree before it.
		p=.1.3.6.1.4.1.9.9.109.1.1.1.1
		case $oid in
		$cpu_oid | $cpu_oid.* | $p.6.1[0-9]* | $p.6.[2-9]* | $p.[7-9]* | \
		$p.[1-9][0-9]*) echo NONE ;;
		*) answer getnext ;;
		esac
		;;
	set)
		read -r oid
		read -r value
		echo not-writable
		;;
	'') ;;
	*) echo NONE ;;
	esac
done
