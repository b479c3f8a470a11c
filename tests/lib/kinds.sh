# Sourced by tests that need a kind of plugin: need_kind pollers NAME...
# exits 77 (skipped, as automake counts it) unless $POLLHOOK was built with
# every NAME, as `pollhook --version` lists them ("pollers: snmp http").
need_kind() {
	if [ ! -x "$POLLHOOK" ]; then
		echo "FAIL: $POLLHOOK not built"
		exit 1
	fi
	_kinds=$1
	shift
	_have=$("$POLLHOOK" --version 2>/dev/null | sed -n "s/^$_kinds: //p")
	for _n in "$@"; do
		case " $_have " in
		*" $_n "*) ;;
		*)
			echo "SKIP: this pollhook was built without the $_n ${_kinds%s}"
			exit 77
			;;
		esac
	done
}
