#!/bin/bash
# Sampling overhead, profd -a -F 99 against perf record -F 99 -g -a, in one run:
# slowdown of a fixed CPU-bound workload (median of paired runs), the profiler's own CPU seconds
# per second, and its peak RSS.
. "$(dirname "$0")/lib.sh"
PAIRS=${PAIRS:-7}
clang -O2 -fno-omit-frame-pointer -o "$BT/cpuwork" "$TOP/tests/bench/cpuwork.c"
ROUNDS=${ROUNDS:-40000000}

# start_profiler NAME: starts it in the background, sets PPID_RUN
start_profiler() {
	case "$1" in
	profd) "$PROFD" -a -F 99 -o "$TMP/p.folded" 2>/dev/null & ;;
	perf) perf record -F 99 -g -a -o "$TMP/perf.data" 2>/dev/null >/dev/null & ;;
	esac
	PPID_RUN=$!
	sleep 2 # let it attach
}

stop_profiler() {
	kill -INT "$PPID_RUN"
	wait "$PPID_RUN" 2>/dev/null || true
}

measure() { # NAME -> "name slowdown% cpu_per_s rss_mib with_s without_s", medians of pairs
	name=$1
	for i in $(seq "$PAIRS"); do
		wall "$BT/cpuwork" "$ROUNDS" >>"$TMP/$name.without"
		start_profiler "$name"
		c0=$(cpu_seconds "$PPID_RUN")
		t0=$(date +%s.%N)
		wall "$BT/cpuwork" "$ROUNDS" >>"$TMP/$name.with"
		t1=$(date +%s.%N)
		c1=$(cpu_seconds "$PPID_RUN")
		peak_rss_mib "$PPID_RUN" >>"$TMP/$name.rss"
		echo "($c1 - $c0) / ($t1 - $t0)" | bc -l >>"$TMP/$name.cpu"
		stop_profiler
	done
	w=$(median <"$TMP/$name.with")
	wo=$(median <"$TMP/$name.without")
	slow=$(echo "($w / $wo - 1) * 100" | bc -l)
	printf '%s %.2f %.4f %s %.3f %.3f\n' "$name" "$slow" "$(median <"$TMP/$name.cpu")" \
		"$(median <"$TMP/$name.rss")" "$w" "$wo"
}

command -v perf >/dev/null || { echo "perf missing (make deps installs linux-perf)"; exit 1; }
echo "workload: cpuwork $ROUNDS rounds, $PAIRS runs with and $PAIRS without each profiler"
printf '%-6s %10s %14s %10s %10s %10s\n' tool slowdown% cpu_s_per_s peak_rss_MiB with_s without_s
r_profd=$(measure profd)
r_perf=$(measure perf)
printf '%-6s %10s %14s %10s %10s %10s\n' $r_profd
printf '%-6s %10s %14s %10s %10s %10s\n' $r_perf
set -- $r_profd; pc=$3; pr=$4
set -- $r_perf; fc=$3; fr=$4
# perf defers its work (raw samples to a file, unwinding and symbols at report time), so its CPU
# while recording can round to 0: then there is no ratio to print.
ratio() { if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then echo "$1 / $2" | bc -l | cut -c1-5; else echo "n/a (perf ~0)"; fi; }
echo "ratio profd/perf: cpu $(ratio "$pc" "$fc"), rss $(ratio "$pr" "$fr")"
