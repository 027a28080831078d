# Shared helpers for benchmarks: sourced by tests/bench/bench_*.sh.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PROFD="$TOP/profd"
BT="$TOP/build/bench"
mkdir -p "$BT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Wall seconds of a command, to the millisecond.
wall() {
	s=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# CPU seconds a live process has used so far, summed over its threads with nanosecond
# resolution (/proc/PID/stat counts in 10 ms ticks, too coarse for a profiler at 99 Hz).
cpu_seconds() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ns += $1} END {printf "%.6f\n", ns / 1e9}'
}

# Peak resident set size of a live process, in MiB.
peak_rss_mib() {
	awk '/^VmHWM:/ {printf "%.1f\n", $2 / 1024}' "/proc/$1/status"
}
