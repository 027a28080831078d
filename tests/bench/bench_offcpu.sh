#!/bin/bash
# Off-CPU cost on a context-switch-heavy load, in one run: profd -a --off-cpu beside bcc's
# offcputime (the libbpf-tools build: the Python one needs kernel headers to compile its BPF),
# both on the whole machine, over tests/bench/pingpong.c (two threads passing a byte over pipes,
# each blocking in read() every round). Prints per tool the load's slowdown (median of paired
# runs), the tool's own CPU seconds per second and peak RSS, and the BPF time per call of its
# sched_switch program from kernel.bpf_stats_enabled (set for the run, restored after).
. "$(dirname "$0")/lib.sh"
PAIRS=${PAIRS:-5}
ROUNDS=${ROUNDS:-200000}
OFFCPUTIME=${OFFCPUTIME:-/usr/sbin/offcputime}
[ -x "$OFFCPUTIME" ] || { echo "offcputime missing (make deps installs libbpf-tools)"; exit 1; }
clang -O2 -fno-omit-frame-pointer -pthread -o "$BT/pingpong" "$TOP/tests/bench/pingpong.c"
WORKLOAD="$BT/pingpong"

stats_was=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$stats_was"; rm -rf "$TMP"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

# sampling LOG: until profd says it samples (its start first loads every process's unwind tables,
# seconds on a busy machine), at most 60 s.
sampling() {
	for _ in $(seq 600); do
		grep -q '^profd: sampling .* and time off CPU$' "$1" 2>/dev/null && return
		sleep 0.1
	done
}

start_profiler() { # NAME: starts it in the background, sets PPID_RUN
	case "$1" in
	profd)
		"$PROFD" -v -a --off-cpu -o "$TMP/off.folded" 2>"$TMP/profd.stderr" &
		PPID_RUN=$!
		sampling "$TMP/profd.stderr"
		;;
	offcputime)
		"$OFFCPUTIME" >/dev/null 2>&1 &
		PPID_RUN=$!
		;;
	esac
	settle
}

# switch_cost PID: "run_ns run_cnt" of the process's BPF programs named *switch*, found by the
# program ids of its file descriptors (bpftool cannot tell whose a program is here).
switch_cost() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '/^prog_id:/ {print $2}' | sort -u |
		while read -r id; do bpftool prog show id "$id" -j; echo; done |
		python3 -c 'import json, sys
ns = cnt = 0
for line in sys.stdin:
    if line.strip():
        p = json.loads(line)
        if "switch" in p.get("name", ""):
            ns += p.get("run_time_ns", 0)
            cnt += p.get("run_cnt", 0)
print(ns, cnt)'
}

# measure (lib.sh) stops each run through this: read the programs' cost first.
stop_profiler() {
	switch_cost "$PPID_RUN" >>"$TMP/$name.bpf"
	kill -INT "$PPID_RUN"
	wait "$PPID_RUN" 2>/dev/null || true
}

per_call() { # NAME: median BPF ns per sched_switch call over its runs
	awk '$2 > 0 {print $1 / $2}' "$TMP/$1.bpf" | median
}

load=$("$WORKLOAD" "$ROUNDS")
echo "workload: pingpong $ROUNDS round trips ($load alone), $PAIRS runs with and $PAIRS"
echo "          without each tool, on every CPU"
printf '%-10s %10s %14s %13s %10s %10s %12s %9s %14s\n' tool slowdown% cpu_s_per_s peak_rss_MiB \
	with_s without_s start_cpu_s spread% bpf_ns_per_sw
for t in profd offcputime; do
	r=$(measure "$t")
	# shellcheck disable=SC2086
	printf '%-10s %10s %14s %13s %10s %10s %12s %9s %14.0f\n' $r "$(per_call "$t")"
done
echo "profd, last run: $(grep -o '^profd: [0-9]* samples.*' "$TMP/profd.stderr" | cut -c8-600)"
pn=$(per_call profd)
on=$(per_call offcputime)
echo "ratio profd/offcputime: bpf ns per switch $(echo "$pn / $on" | bc -l | cut -c1-5)"
