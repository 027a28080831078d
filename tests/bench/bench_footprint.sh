#!/bin/bash
# What profd holds, in one run, on one load (a fixed CPU job on every CPU and short-lived
# processes of several executables):
#  - peak RSS (the kernel's ru_maxrss, from GNU time) and BPF map memory (memlock, from -v) of
#    profd -a, profd -p PID and profd agent, each for SECONDS (default 20), in their default modes,
#    beside perf record -g and perf record --call-graph dwarf of the whole machine;
#  - start-up CPU: what profd used before its first sample (its -v line), for -p and -a, and
#    again STARTS runs each (default 5) of -a, -p and the agent: it varies with what runs then;
#  - the 999 Hz paired slowdown of the fixed job, whole machine, profd against perf record -g
#    (and what on_sample costs per sample, from the kernel's BPF statistics),
#    with the job started 1 s after the profiler, so start-up work competes with it.
# The agent's RSS over a churn soak is bench_agent.sh (BENCH_SOAK_MINUTES).
. "$(dirname "$0")/lib.sh"
SECONDS_EACH=${SECONDS_EACH:-20}
PAIRS=${PAIRS:-5}
ROUNDS=${ROUNDS:-40000000}
command -v perf >/dev/null || { echo "perf missing (make deps installs linux-perf)"; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time missing (make deps installs time)"; exit 1; }
clang -O2 -fno-omit-frame-pointer -o "$BT/cpuwork" "$TOP/tests/bench/cpuwork.c"

# Short-lived processes, as in bench_agent.sh: a whole machine has files coming and going.
churn() {
	while :; do
		sh -c 'i=0; while [ $i -lt 3000 ]; do i=$((i + 1)); done'
		awk 'BEGIN { for (i = 0; i < 200000; i++) s += i }'
		seq 1 20000 | sort -rn | gzip -c >/dev/null
		sleep 0.5
	done
}
churn &
churner=$!
# The process profd -p samples: libc with its DWARF (libc6-dbg) and kernel frames (write).
yes >/dev/null &
target=$!
stop_load() {
	kill $churner $target 2>/dev/null || true
	wait $churner $target 2>/dev/null || true
}
trap 'stop_load; rm -rf "$TMP"' EXIT

# peak NAME CMD...: runs CMD under GNU time; prints "NAME peak_MiB bpf_MiB start_cpu_ms". A
# command that does not stop by itself (the agent) gets SIGINT after SECONDS_EACH.
peak() {
	name=$1
	shift
	/usr/bin/time -f '%M' -o "$TMP/$name.time" "$@" >/dev/null 2>"$TMP/$name.err" &
	timer=$!
	for _ in $(seq $((SECONDS_EACH + 10))); do
		sleep 1
		kill -0 $timer 2>/dev/null || break
	done
	pkill -INT -P $timer 2>/dev/null || true
	wait $timer || true
	kib=$(tail -n 1 "$TMP/$name.time")
	bpf=$(sed -n 's/.*footprint: .*BPF maps \([0-9.]*\) MiB.*/\1/p' "$TMP/$name.err" | tail -n 1)
	start=$(sed -n 's/.*sampling .* after \([0-9]*\) ms of CPU.*/\1/p' "$TMP/$name.err" | head -n 1)
	printf '%-16s %10.1f %10s %14s\n' "$name" "$(echo "$kib / 1024" | bc -l)" "${bpf:--}" \
		"${start:--}"
}

echo "load: cpuwork on every CPU, process churn; each profiler ${SECONDS_EACH} s"
"$BT/cpuwork" 4000000000 >/dev/null &
steady=$!
printf '%-16s %10s %10s %14s\n' tool peak_rss_MiB bpf_MiB start_cpu_ms
peak "profd -a" "$PROFD" -v -a -d "$SECONDS_EACH" -o "$TMP/a.folded"
peak "profd -p" "$PROFD" -v -p $target -d "$SECONDS_EACH" -o "$TMP/p.folded"
peak "profd agent" "$PROFD" agent -v --store "$TMP/store"
peak "perf -g" perf record -g -a -o "$TMP/perf.data" -- sleep "$SECONDS_EACH"
peak "perf dwarf" perf record --call-graph dwarf -a -o "$TMP/perf.data" -- sleep "$SECONDS_EACH"

# start_ms WHAT: the start-up CPU of one run of profd -a, -p or agent (the agent stopped with
# SIGINT once it says it samples), in ms.
start_ms() {
	: >"$TMP/start.err"
	case $1 in
	a) "$PROFD" -v -a -d 1 -o "$TMP/s.folded" 2>"$TMP/start.err" >/dev/null ;;
	p) "$PROFD" -v -p $target -d 1 -o "$TMP/s.folded" 2>"$TMP/start.err" >/dev/null ;;
	agent)
		rm -rf "$TMP/store.start"
		"$PROFD" agent -v --store "$TMP/store.start" 2>"$TMP/start.err" >/dev/null &
		agent=$!
		for _ in $(seq 300); do
			grep -q ' ms of CPU' "$TMP/start.err" && break
			kill -0 $agent 2>/dev/null || break
			sleep 0.1
		done
		kill -INT $agent 2>/dev/null || true
		wait $agent || true
		;;
	esac
	sed -n 's/.*sampling .* after \([0-9]*\) ms of CPU.*/\1/p' "$TMP/start.err" | head -n 1
}
STARTS=${STARTS:-5}
echo "start-up CPU (ms) of $STARTS runs each, same load"
for what in a p agent; do
	runs=$(for _ in $(seq "$STARTS"); do start_ms $what; done | tr '\n' ' ')
	med=$(echo "$runs" | tr ' ' '\n' | grep . | median)
	case $what in agent) name="profd agent" ;; *) name="profd -$what" ;; esac
	printf '%-16s %s median %s\n' "$name" "$runs" "$med"
done
# The job below is measured alone with the churn: neither the steady job nor profd -p's target
# competes with it.
kill $steady $target 2>/dev/null || true
wait $steady $target 2>/dev/null || true
pkill -f "^$BT/cpuwork" 2>/dev/null || true
rm -f "$TMP/perf.data"

# --- 999 Hz slowdown, start-up included ------------------------------------------------------
SETTLE=1
WORKLOAD="$BT/cpuwork"
start_profiler() {
	case "$1" in
	profd) "$PROFD" -a -F 999 -o "$TMP/s.folded" 2>/dev/null & ;;
	perf-g) perf record -F 999 -g -a -o "$TMP/perf.data" >/dev/null 2>&1 & ;;
	esac
	PPID_RUN=$!
	settle
}
# What on_sample costs in the job's context, per sample: the kernel's BPF run-time statistics,
# read before each profd run stops (on while this part runs, set back after).
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
trap 'sysctl -qw kernel.bpf_stats_enabled="$stats_was"; stop_load; rm -rf "$TMP"' EXIT
sample_cost() {
	bpftool -j prog show 2>/dev/null | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p.get("name") == "on_sample" and p.get("run_cnt"):
        print(p["run_time_ns"], p["run_cnt"])'
}
stop_profiler() {
	[ "$name" = profd ] && sample_cost >>"$TMP/profd.bpf"
	kill -INT "$PPID_RUN"
	wait "$PPID_RUN" 2>/dev/null || true
}
echo "999 Hz, whole machine: cpuwork $ROUNDS rounds on every CPU, started 1 s after the" \
	"profiler, the churn going on; $PAIRS rounds, in each a run under profd and one under" \
	"perf -g (the order turning), each right after a run without"
printf '%-8s %10s %14s %10s %10s %10s %12s %9s\n' tool slowdown% cpu_s_per_s peak_rss_MiB with_s \
	without_s start_cpu_s spread%
pairs=$(measure profd perf-g)
r_profd=$(echo "$pairs" | sed -n 1p)
r_perf=$(echo "$pairs" | sed -n 2p)
printf '%-8s %10s %14s %10s %10s %10s %12s %9s\n' $r_profd
printf '%-8s %10s %14s %10s %10s %10s %12s %9s\n' $r_perf
printf 'profd slowdown minus perf -g slowdown, median over rounds: %.2f points\n' \
	"$(paired_gap profd perf-g)"
printf 'on_sample: %.0f ns per sample (median over profd runs)\n' \
	"$(awk '$2 > 0 {print $1 / $2}' "$TMP/profd.bpf" | median)"

# --- 999 Hz side by side ------------------------------------------------------------------------
# Sequential pairs compare runs seconds apart, and this VM's speed drifts between them by about
# as much as the 0.5-point target. Here both profilers run at the same moment, each sampling one
# CPU (-C) with its own process pinned there, and on each CPU a one-worker copy of the job and a
# copy of the churn pinned beside it: the job under profd and the job under perf share every
# moment's speed, and each profiler handles the process starts of its own CPU. The CPUs swap
# each round, so a difference between them cancels over a pair of rounds. Figure per pair: the
# job's time beside profd over its time beside perf (geometric mean of the two rounds), minus 1.
[ "$(nproc)" -ge 2 ] || { echo "side by side: needs two CPUs, skipped"; exit 0; }
kill $churner 2>/dev/null || true
wait $churner 2>/dev/null || true
taskset -c 0 bash -c "$(declare -f churn); churn" &
churn0=$!
taskset -c 1 bash -c "$(declare -f churn); churn" &
churn1=$!
trap 'kill $churn0 $churn1 2>/dev/null; sysctl -qw kernel.bpf_stats_enabled="$stats_was"
	rm -rf "$TMP"' EXIT
# side_profiler KIND CPU OUT: profd -a or perf record -g, sampling CPU and pinned to it.
side_profiler() {
	case $1 in
	profd) exec taskset -c "$2" "$PROFD" -a -C "$2" -F 999 -o "$3.folded" 2>/dev/null ;;
	perf) exec taskset -c "$2" perf record -C "$2" -F 999 -g -o "$3.data" >/dev/null 2>&1 ;;
	esac
}
# side_round A B P F: A sampling CPU P and B sampling CPU F at once; prints the job's time on P,
# then on F.
side_round() {
	side_profiler "$1" "$3" "$TMP/sa" &
	a_pid=$!
	side_profiler "$2" "$4" "$TMP/sb" &
	b_pid=$!
	settle
	# Each job's subshell pins itself first: the job and its clock readings stay on that CPU.
	(taskset -pc "$3" $BASHPID >/dev/null && wall "$BT/cpuwork" "$ROUNDS" 1 >"$TMP/ss.p") &
	jp=$!
	(taskset -pc "$4" $BASHPID >/dev/null && wall "$BT/cpuwork" "$ROUNDS" 1 >"$TMP/ss.f") &
	jf=$!
	wait $jp $jf
	kill -INT $a_pid $b_pid
	wait $a_pid $b_pid 2>/dev/null || true
	echo "$(cat "$TMP/ss.p") $(cat "$TMP/ss.f")"
}
# side_by_side A B PAIRS: the job's slowdown beside A over its time beside B, in points, per pair
# of rounds (CPUs swapped); prints the median, middle half, mean and its standard error.
side_by_side() {
	: >"$TMP/side.gap"
	for _ in $(seq "$3"); do
		x=$(side_round "$1" "$2" 0 1)
		y=$(side_round "$1" "$2" 1 0)
		echo "$x $y" | awk '{r = sqrt(($1 / $2) * ($3 / $4)); printf "%.4f\n", (r - 1) * 100}' \
			>>"$TMP/side.gap"
	done
	sort -g "$TMP/side.gap" | awk -v a="$1" -v b="$2" '{x[NR] = $1; s += $1}
		END {m = NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2
		     for (i = 1; i <= NR; i++) v += (x[i] - s / NR) ^ 2
		     printf "%s minus %s, side by side, %d pairs: median %.2f points, middle half " \
			"%.2f to %.2f; mean %.2f, standard error %.2f\n", a, b, NR, m,
			x[int(NR / 4) + 1], x[NR - int(NR / 4)], s / NR,
			(NR > 1 ? sqrt(v / (NR - 1) / NR) : 0)}'
	echo "pairs: $(sort -g "$TMP/side.gap" | tr '\n' ' ')"
}
SIDE_PAIRS=${SIDE_PAIRS:-30}
SIDE_CONTROL_PAIRS=${SIDE_CONTROL_PAIRS:-10}
echo "999 Hz side by side: profd -a -C X and perf record -C Y -g at once, each pinned to its CPU"
echo "beside a one-worker job and a churn pinned there; CPUs swapped each round"
side_by_side profd perf "$SIDE_PAIRS"
# The method's own bias and noise: the same profiler on both CPUs should come out at 0.
side_by_side perf perf "$SIDE_CONTROL_PAIRS"
