#!/bin/bash
# Sampling overhead, profd -a -F 99 against perf record -F 99 -g -a, in one run:
# slowdown of a fixed CPU-bound workload (median of paired runs), the profiler's own CPU seconds
# per second, and its peak RSS.
. "$(dirname "$0")/lib.sh"
PAIRS=${PAIRS:-7}
clang -O2 -fno-omit-frame-pointer -o "$BT/cpuwork" "$TOP/tests/bench/cpuwork.c"
ROUNDS=${ROUNDS:-40000000}
WORKLOAD="$BT/cpuwork"

# start_profiler NAME: starts it in the background, sets PPID_RUN
start_profiler() {
	case "$1" in
	profd) "$PROFD" -a -F 99 -o "$TMP/p.folded" 2>/dev/null & ;;
	perf) perf record -F 99 -g -a -o "$TMP/perf.data" 2>/dev/null >/dev/null & ;;
	esac
	PPID_RUN=$!
	settle
}


command -v perf >/dev/null || { echo "perf missing (make deps installs linux-perf)"; exit 1; }
echo "workload: cpuwork $ROUNDS rounds, $PAIRS runs with and $PAIRS without each profiler"
printf '%-6s %10s %14s %10s %10s %10s %12s %9s\n' tool slowdown% cpu_s_per_s peak_rss_MiB with_s without_s start_cpu_s spread%
r_profd=$(measure profd)
r_perf=$(measure perf)
printf '%-6s %10s %14s %10s %10s %10s %12s %9s\n' $r_profd
printf '%-6s %10s %14s %10s %10s %10s %12s %9s\n' $r_perf
set -- $r_profd; pc=$3; pr=$4
set -- $r_perf; fc=$3; fr=$4
# perf defers its work (raw samples to a file, unwinding and symbols at report time), so its CPU
# while recording can round to 0: then there is no ratio to print.
ratio() { if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then echo "$1 / $2" | bc -l | cut -c1-5; else echo "n/a (perf ~0)"; fi; }
echo "ratio profd/perf: cpu $(ratio "$pc" "$fc"), rss $(ratio "$pr" "$fr")"
