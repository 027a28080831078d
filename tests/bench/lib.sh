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

# CPU seconds (user+system) a live process has used so far.
cpu_seconds() {
	awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}

# Peak resident set size of a live process, in MiB.
peak_rss_mib() {
	awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"
}
