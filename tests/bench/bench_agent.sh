#!/bin/bash
# The agent left on a host: profd agent -F 19 --window 5 on the whole machine for
# BENCH_SOAK_MINUTES (default 10) while processes come and go (several hundred a minute, each a
# few ms of CPU, from a handful of different executables) over a steady CPU-bound workload.
# Prints profd's CPU as % of one core, its RSS at start, after 1 minute and at the end, its peak
# RSS, and the store's bytes per host-hour; its RSS every 10 s after the first minute (spread, and
# the second minute's median against the last's); the share of the churn's samples whose user
# stack was walked whole (the agent's default, in-kernel unwinding); perf record -F 19 -g -a runs
# alongside over the same churn as the peer (its perf.data bytes per hour against the store's).
#
# BENCH_CGROUP=1: the load runs in a cgroup v2 of its own and the agent samples only that
# (--cgroup), so on a shared machine other people's builds and tests are neither sampled nor named
# into the agent's caches, and another profd running does not stop the bench.
[ -z "${BENCH_CGROUP:-}" ] || BENCH_ISOLATED=1
. "$(dirname "$0")/lib.sh"
MINUTES=${BENCH_SOAK_MINUTES:-${MINUTES:-10}}
clang -O2 -fno-omit-frame-pointer -o "$BT/cpuwork" "$TOP/tests/bench/cpuwork.c"
command -v perf >/dev/null || { echo "perf missing (make deps installs linux-perf)"; exit 1; }

rss_mib() { awk '/^VmRSS:/ {printf "%.1f\n", $2 / 1024}' "/proc/$1/status"; }
peak_mib() { awk '/^VmHWM:/ {printf "%.1f\n", $2 / 1024}' "/proc/$1/status"; }
bytes_of() { du -sb "$1" | cut -f1; }

# Short-lived processes: each iteration starts five, of different executables.
churn() {
	while :; do
		sh -c 'i=0; while [ $i -lt 3000 ]; do i=$((i + 1)); done'
		awk 'BEGIN { for (i = 0; i < 200000; i++) s += i }'
		seq 1 20000 | sort -rn | gzip -c >/dev/null
		"$BT/cpuwork" 200000 >/dev/null
		sleep 0.5
	done
}

CG=
if [ -n "${BENCH_CGROUP:-}" ]; then
	mnt=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo | head -n 1)
	CG=/profd-bench-$$
	mkdir "$mnt$CG" || { echo "BENCH_CGROUP: no writable cgroup v2 hierarchy" >&2; exit 1; }
fi
# Moves the calling subshell, and so all it starts, into the bench's cgroup.
enter_cgroup() { [ -z "$CG" ] || echo "$BASHPID" >"$mnt$CG/cgroup.procs"; }

"$PROFD" agent --store "$TMP/store" -F 19 --window 5 ${CG:+--cgroup "$CG"} 2>"$TMP/agent.err" &
agent=$!
perf record -F 19 -g -a -o "$TMP/perf.data" >/dev/null 2>&1 &
perf=$!
(enter_cgroup && churn) &
churner=$!
# The steady part: one core busy with a known executable, restarted as it ends.
(enter_cgroup && while :; do "$BT/cpuwork" 400000000 >/dev/null; done) &
steady=$!
# The loops first, then what they started last (a cpuwork runs on after its loop is gone).
stop_load() {
	kill $churner $steady 2>/dev/null || true
	wait $churner $steady 2>/dev/null || true
	pkill -f "^$BT/cpuwork" 2>/dev/null || true
}
# The cgroup goes once the last of the load has left it (a churn command may outlive its loop).
remove_cgroup() {
	for _ in $(seq 50); do
		[ -s "$mnt$CG/cgroup.procs" ] || break
		sleep 0.1
	done
	rmdir "$mnt$CG"
}
trap 'stop_load; kill $agent $perf 2>/dev/null || true; rm -rf "$TMP"; [ -z "$CG" ] || remove_cgroup' EXIT

sleep 10
t0=$(date +%s.%N)
c0=$(cpu_seconds "$agent")
p0=$(cpu_seconds "$perf")
rss_start=$(rss_mib "$agent")
forks0=$(awk '/^processes/ {print $2}' /proc/stat)
sleep 50
rss_1m=$(rss_mib "$agent")
# Two readings are at the mercy of what the drain happens to be doing: the RSS every 10 s too.
end=$(($(date +%s) + MINUTES * 60 - 60))
while [ "$(date +%s)" -lt "$end" ]; do
	sleep 10
	rss_mib "$agent" >>"$TMP/rss.series"
done
t1=$(date +%s.%N)
c1=$(cpu_seconds "$agent")
p1=$(cpu_seconds "$perf")
rss_end=$(rss_mib "$agent")
rss_peak=$(peak_mib "$agent")
forks1=$(awk '/^processes/ {print $2}' /proc/stat)
stop_load
kill -INT $agent $perf
wait $agent $perf 2>/dev/null || true

secs=$(echo "$t1 - $t0" | bc -l)
hours=$(echo "($t1 - $t0 + 10) / 3600" | bc -l) # both recorded from the start, 10 s before t0
store=$(bytes_of "$TMP/store")
perfdata=$(bytes_of "$TMP/perf.data")
nwin=$(find "$TMP/store" -name '*.pb.zst' | wc -l)
printf 'run: %.0f s measured, %s processes started (%.0f a minute), %d windows of 5 s\n' \
	"$secs" "$((forks1 - forks0))" "$(echo "($forks1 - $forks0) * 60 / $secs" | bc -l)" "$nwin"
printf '%-6s %12s %12s %12s %12s %12s %16s\n' tool cpu_%core rss_start rss_1min rss_end rss_peak \
	bytes/host-hour
printf '%-6s %12.3f %12s %12s %12s %12s %16.0f\n' profd "$(echo "($c1 - $c0) * 100 / $secs" | bc -l)" \
	"$rss_start" "$rss_1m" "$rss_end" "$rss_peak" "$(echo "$store / $hours" | bc -l)"
printf '%-6s %12.3f %12s %12s %12s %12s %16.0f\n' perf "$(echo "($p1 - $p0) * 100 / $secs" | bc -l)" \
	- - - - "$(echo "$perfdata / $hours" | bc -l)"
printf 'profd rss growth after 1 min: %.1f %%; store/perf.data bytes: %.3f\n' \
	"$(echo "($rss_end / $rss_1m - 1) * 100" | bc -l)" "$(echo "$store / $perfdata" | bc -l)"
# The series after minute 1: spread, and whether the last minute sits above the second.
printf 'profd rss every 10 s after 1 min (MiB): %s\n' "$(paste -sd' ' "$TMP/rss.series")"
sort -g "$TMP/rss.series" | awk '{a[NR] = $1} END {
	printf "profd rss after 1 min: min %s, median %s, max %s MiB\n",
		a[1], a[int((NR + 1) / 2)], a[NR] }'
printf 'profd rss median of minute 2: %s MiB, of the last minute: %s MiB\n' \
	"$(head -n 6 "$TMP/rss.series" | median)" "$(tail -n 6 "$TMP/rss.series" | median)"
# Whole: no [incomplete] or [truncated] marker on the user stack.
"$PROFD" query --store "$TMP/store" -o "$TMP/all.folded" 2>/dev/null
printf 'whole user stacks: %s %% of the churn and cpuwork samples, %s samples\n' \
	"$(python3 "$TOP/tests/e2e/folded.py" whole "$TMP/all.folded" --comm sh --comm awk \
		--comm seq --comm sort --comm gzip --comm cpuwork)" \
	"$(python3 "$TOP/tests/e2e/folded.py" total "$TMP/all.folded" --comm sh --comm awk \
		--comm seq --comm sort --comm gzip --comm cpuwork)"
grep -v '^$' "$TMP/agent.err" | tail -n 3
