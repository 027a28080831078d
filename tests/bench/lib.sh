# Shared helpers for benchmarks: sourced by tests/bench/bench_*.sh.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PROFD="$TOP/profd"
BT="$TOP/build/bench"
mkdir -p "$BT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# A profiler left running (by hand, or by a bench stopped midway) samples every run of a bench
# and skews both sides of its ratios: refuse to start beside one, unless the bench keeps its
# load apart from it (BENCH_ISOLATED).
if [ -z "${BENCH_ISOLATED:-}" ] && other=$(pgrep -xa 'profd|perf'); then
	echo "a profiler is already running, stop it first: $(echo "$other" | head -n 1)" >&2
	exit 1
fi

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

# A profiler's start (loading symbols and DWARF of what it first samples) is over after this
# many seconds; the steady cost is measured from then, the start's CPU reported beside it.
SETTLE=${SETTLE:-5}
settle() { sleep "$SETTLE"; }

# Paired overhead runs, for scripts that define start_profiler NAME (setting PPID_RUN, then
# calling settle) and WORKLOAD, the fixed CPU-bound command whose wall time is compared with and
# without NAME.
stop_profiler() {
	kill -INT "$PPID_RUN"
	wait "$PPID_RUN" 2>/dev/null || true
}

# One run of WORKLOAD under profiler NAME, its figures appended to $TMP/NAME.*.
with_profiler() {
	name=$1
	start_profiler "$name"
	c0=$(cpu_seconds "$PPID_RUN")
	echo "$c0" >>"$TMP/$name.start"
	t0=$(date +%s.%N)
	wall "$WORKLOAD" "$ROUNDS" >>"$TMP/$name.with"
	t1=$(date +%s.%N)
	c1=$(cpu_seconds "$PPID_RUN")
	peak_rss_mib "$PPID_RUN" >>"$TMP/$name.rss"
	echo "($c1 - $c0) / ($t1 - $t0)" | bc -l >>"$TMP/$name.cpu"
	stop_profiler
}

# NAME... -> a line per NAME: "name slowdown% cpu_per_s rss_mib with_s without_s start_cpu_s
# spread%", medians. PAIRS rounds; in each, every NAME (the order turning from round to round)
# runs once right after a run without any profiler, and one more run without closes the bench.
# A run's slowdown is against the mean of the two runs without around it, so the machine's drift
# (minutes-long steps of 5 to 10 % on a shared VM) cancels; spread% is the interquartile range
# of a NAME's slowdowns: a difference between two NAMEs well below it is not resolved.
measure() {
	local names=("$@") n=$# i j
	rm -f "$TMP/rounds.without" "$TMP/rounds.order"
	for i in $(seq 0 $((PAIRS - 1))); do
		for j in $(seq 0 $((n - 1))); do
			wall "$WORKLOAD" "$ROUNDS" >>"$TMP/rounds.without"
			with_profiler "${names[(i + j) % n]}"
			echo "${names[(i + j) % n]} $(tail -n 1 "$TMP/${names[(i + j) % n]}.with")" \
				>>"$TMP/rounds.order"
		done
	done
	wall "$WORKLOAD" "$ROUNDS" >>"$TMP/rounds.without"
	# Each run's slowdown in %, against the runs without just before and after it.
	awk 'NR == FNR {wo[NR] = $1; next}
	     {printf "%s %.4f\n", $1, ($2 / ((wo[FNR] + wo[FNR + 1]) / 2) - 1) * 100}' \
		"$TMP/rounds.without" "$TMP/rounds.order" >"$TMP/rounds.slowdown"
	wo=$(median <"$TMP/rounds.without")
	for name in "${names[@]}"; do
		awk -v n="$name" '$1 == n {print $2}' "$TMP/rounds.slowdown" | sort -g >"$TMP/$name.slow"
		spread=$(awk '{a[NR] = $1} END {i = int(NR / 4) + 1; j = NR - int(NR / 4);
			printf "%.2f", a[j] - a[i]}' "$TMP/$name.slow")
		printf '%s %.2f %.4f %s %.3f %.3f %.3f %s\n' "$name" "$(median <"$TMP/$name.slow")" \
			"$(median <"$TMP/$name.cpu")" "$(median <"$TMP/$name.rss")" \
			"$(median <"$TMP/$name.with")" "$wo" "$(median <"$TMP/$name.start")" "$spread"
	done
}

# NAME OTHER: the median over rounds of NAME's slowdown minus OTHER's in the same round, in
# points (after measure): the two ran a minute apart at most, so drift cancels further.
paired_gap() {
	awk -v a="$1" -v b="$2" '$1 == a {x[++na] = $2} $1 == b {y[++nb] = $2}
		END {for (i = 1; i <= na && i <= nb; i++) print x[i] - y[i]}' "$TMP/rounds.slowdown" |
		median
}
