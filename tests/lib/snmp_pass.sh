#!/bin/sh
# An snmpd "pass" script serving test values under .1.3.6.1.4.1.99999 from
# files in STATEDIR, which the tests change between polls:
#   .1.0          INTEGER    cpu load            (STATEDIR/cpu)
#   .2.1.1.N      INTEGER    interface status    (STATEDIR/ifN.status)
#   .2.1.2.N      STRING     interface name      (STATEDIR/ifN.name)
#   .3.0          Counter32  a counter that wraps (STATEDIR/counter; when
#                            STATEDIR/counter.step exists, every GET of it
#                            adds that much, modulo 2^32, after answering);
#                            every value a GET answered is appended to
#                            STATEDIR/counter.log
# Interfaces N = 1, 2, 3. Usage: snmp_pass.sh STATEDIR -g|-n|-s OID
# snmpd caches the output of the last command line it ran (30 s): a test that
# changes a value must poll more than one pass OID, or it reads the old one.
dir=$1
mode=$2
req=$3
base=.1.3.6.1.4.1.99999

# All OIDs served, in lexicographic order.
oids="$base.1.0
$base.2.1.1.1
$base.2.1.1.2
$base.2.1.1.3
$base.2.1.2.1
$base.2.1.2.2
$base.2.1.2.3
$base.3.0"

# oid_gt A B: succeeds when OID A sorts after OID B.
oid_gt() {
	a=${1#.}
	b=${2#.}
	while :; do
		[ -z "$a" ] && return 1
		[ -z "$b" ] && return 0
		x=${a%%.*}
		y=${b%%.*}
		[ "$x" -gt "$y" ] && return 0
		[ "$x" -lt "$y" ] && return 1
		case $a in *.*) a=${a#*.} ;; *) a= ;; esac
		case $b in *.*) b=${b#*.} ;; *) b= ;; esac
	done
}

# The counter moves by polls, not by the clock: the rate a poller computes
# then depends on its own clock only, not on when snmpd got round to running
# this script (a loaded machine delays that by a good part of a second).
counter() {
	v=$(cat "$dir/counter")
	echo "$v"
	[ "$mode" = -g ] || return 0
	echo "$v" >>"$dir/counter.log"
	if [ -f "$dir/counter.step" ]; then
		echo $(((v + $(cat "$dir/counter.step")) % 4294967296)) >"$dir/counter.new" &&
		    mv "$dir/counter.new" "$dir/counter"
	fi
}

value() {
	case $1 in
	$base.1.0) echo "$1"; echo integer; cat "$dir/cpu" ;;
	$base.2.1.1.*) echo "$1"; echo integer; cat "$dir/if${1##*.}.status" ;;
	$base.2.1.2.*) echo "$1"; echo string; cat "$dir/if${1##*.}.name" ;;
	$base.3.0) echo "$1"; echo counter; counter ;;
	esac
}

case $mode in
-g)
	for o in $oids; do
		if [ "$o" = "$req" ]; then
			value "$o"
			exit 0
		fi
	done
	;;
-n)
	for o in $oids; do
		if oid_gt "$o" "$req"; then
			value "$o"
			exit 0
		fi
	done
	;;
esac
exit 0
