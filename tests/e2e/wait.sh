# Readiness waits for end-to-end tests: sourced after lib.sh by tests that wait on a process's
# own words (a workload's "ready", profd's "sampling" line) rather than on a fixed sleep.

# wait_line FILE PATTERN SECONDS: waits until FILE has a line matching PATTERN (grep -E);
# 1 on timeout.
wait_line() {
	n=0
	while ! grep -qE "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt $(($3 * 20)) ] && return 1
		sleep 0.05
	done
	return 0
}
