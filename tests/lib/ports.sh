# Sourced by tests/lib/http_common.sh, snmp_common.sh, the benchmarks and the
# soak: loopback ports that no other test and no outgoing connection can take
# (tests/lib/free_port.py says how).
#
#   free_port          prints a port of 127.0.0.1 free for TCP and UDP, below
#                      the ephemeral range, reserved for this test ($$)
#   free_port_release  drops this test's reservations (the cleanups call it)

free_port() {
	python3 "$top_srcdir/tests/lib/free_port.py" "$$"
}

free_port_release() {
	python3 "$top_srcdir/tests/lib/free_port.py" --release "$$" 2>/dev/null || :
}
