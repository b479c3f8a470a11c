# Sourced first by tests that need a network namespace of their own: re-runs
# the test in a new one (unshare -n) with its loopback up, or skips (exit 77)
# where namespaces cannot be made. Sysctls and interfaces the test sets there
# vanish with it.
if [ -z "${POLLHOOK_IN_NETNS:-}" ]; then
	if ! unshare -n true 2>/dev/null; then
		echo "SKIP: cannot make a network namespace here (unshare -n)"
		exit 77
	fi
	POLLHOOK_IN_NETNS=1 exec unshare -n "$BASH" "$0" "$@"
fi
ip link set lo up || { echo "FAIL: cannot bring lo up in the namespace"; exit 1; }
