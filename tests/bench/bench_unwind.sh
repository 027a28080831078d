#!/bin/bash
# The stack-copy unwinder's cost (--unwind copy), in one run, on a CPU workload built -O2
# without frame pointers: slowdown of the workload (median of paired runs), the profiler's own
# CPU seconds per second and peak RSS for profd --unwind fp, profd --unwind copy and perf record
# --call-graph dwarf, all at -F 99 on every CPU; perf's own unwinding (perf script over what it
# recorded) beside profd's, which unwinds as it goes; and the stacks per second profd's unwinder
# manages alone.
. "$(dirname "$0")/lib.sh"
PAIRS=${PAIRS:-5}
ROUNDS=${ROUNDS:-40000000}
NOFP="-O2 -g -fomit-frame-pointer -momit-leaf-frame-pointer"
command -v perf >/dev/null || { echo "perf missing (make deps installs linux-perf)"; exit 1; }
clang $NOFP -o "$BT/cpuwork_nofp" "$TOP/tests/bench/cpuwork.c"
WORKLOAD="$BT/cpuwork_nofp"
clang $NOFP -o "$BT/recurse_nofp" "$TOP/tests/workloads/recurse.c"
make -s -C "$TOP" build/bench/bench_unwind

start_profiler() { # NAME: starts it in the background, sets PPID_RUN
	case "$1" in
	fp | copy) "$PROFD" --unwind "$1" -a -F 99 -o "$TMP/$1.folded" 2>"$TMP/$1.stderr" & ;;
	perf) perf record -F 99 -a --call-graph dwarf -o "$TMP/perf.data" >/dev/null 2>&1 & ;;
	esac
	PPID_RUN=$!
	settle
}


echo "workload: cpuwork $ROUNDS rounds built without frame pointers, one worker per CPU;"
echo "          $PAIRS runs with and $PAIRS without each profiler (-a -F 99)"
printf '%-6s %10s %14s %13s %10s %10s %12s %9s\n' tool slowdown% cpu_s_per_s peak_rss_MiB with_s without_s start_cpu_s spread%
r_fp=$(measure fp)
r_copy=$(measure copy)
r_perf=$(measure perf)
for r in "$r_fp" "$r_copy" "$r_perf"; do
	printf '%-6s %10s %14s %13s %10s %10s %12s %9s\n' $r
done
echo "profd --unwind copy, last run: $(grep -o '[0-9]* samples.*' "$TMP/copy.stderr" | head -c 400)"

# perf unwinds after the fact: the CPU of `perf script` over the last recording is the work
# profd does while sampling.
s=$(date +%s.%N)
/usr/bin/time -f '%U %S' -o "$TMP/script.time" perf script -i "$TMP/perf.data" >/dev/null 2>&1 || true
e=$(date +%s.%N)
perf_script_cpu=$(awk '{print $1 + $2}' "$TMP/script.time" 2>/dev/null || echo "?")
perf_samples=$(perf report -i "$TMP/perf.data" --stdio --sort comm 2>/dev/null |
	awk '/^# Samples:/ {print $3; exit}')
set -- $r_copy
d_cpu=$3
set -- $r_perf
p_cpu=$3
echo "perf script (perf's unwinding of one recording, ${perf_samples:-?} samples): ${perf_script_cpu} CPU s"
echo "ratio copy/perf record: cpu $(echo "$d_cpu / $p_cpu" | bc -l | cut -c1-5)"

# The unwinder alone, on copies of a 30-deep no-frame-pointer stack.
"$BT/recurse_nofp" 30 60 >/dev/null &
wl=$!
sleep 0.5
echo "unwinder alone (30-deep recursion, 256 copies of 16 KiB): $("$BT/bench_unwind" "$wl" 3)"
kill "$wl" 2>/dev/null || true
wait "$wl" 2>/dev/null || true
