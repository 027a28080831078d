#!/bin/sh
# More than the machine can take: -F above kernel.perf_event_max_sample_rate is clamped with one
# warning, and at the highest rate the kernel allows, on every CPU, -d still ends the run soon
# after the duration and memory stays bounded (the stack-copy ring, the maps and a window of
# samples), however far behind unwinding and symbolizing fall. With --unwind copy, a sample
# whose stack copy finds the ring full is kept by frame pointers: dropping it kept only kernel
# threads' samples (they need no copy), and threads2 had 1 % of what it ran.
. "$(dirname "$0")/lib.sh"

need_root overload.clamped || exit 0

# The kernel may lower the sysctl when sampling interrupts take too long: put it back.
rate=$(cat /proc/sys/kernel/perf_event_max_sample_rate)
trap 'echo "$rate" >/proc/sys/kernel/perf_event_max_sample_rate; cleanup' EXIT

# threads2 outlives the runs, however long a loaded machine makes profd's start and its drain
# behind: its samples are symbolized while it still runs. It is sampled once both threads run.
"$WL/threads2" 600 >"$TMP/threads2.out" &
tw=$!
PIDS="$PIDS $tw"
wait_for 30 said "$TMP/threads2.out" '^truth_tid spin_beta '

# overload NAME [PROFD ARGS...]: one run at rate + 1 Hz on every CPU for 2 s, and its checks.
overload() {
	name=$1 o="$TMP/$1"
	shift
	timeout 120 /usr/bin/time -f "%e s\n%M" -o "$o.time" "$PROFD" -a -F $((rate + 1)) -d 2 "$@" \
		-o "$o.folded" 2>"$o.err"
	rc=$?
	cp "$o.err" "$o.time" "$ART/" # wall seconds, peak RSS KiB
	cp "$o.folded" "$ART/" 2>/dev/null
	# Exit 0, not timeout's 124: the run ended by itself (the checks below say how soon, in samples).
	if [ $rc = 0 ] && grep -q "^profd: -F $((rate + 1)): above kernel.perf_event_max_sample_rate; sampling at $rate Hz$" "$o.err"; then
		pass "$name.clamped"
	else
		fail "$name.clamped" "exit $rc: $(head -n 2 "$o.err" | tr '\n' ' ')"
	fi
	# Sampling stops at 2 s whatever the loop is busy with: samples taken plus lost fit in 2 s
	# on every CPU (timing free: counted, not clocked). What is left after it is bounded work.
	summary=$(grep -E '^profd: [0-9]+ samples \(' "$o.err")
	samples=$(echo "$summary" | sed -n 's/^profd: \([0-9]*\) samples .*/\1/p')
	lost=$(echo "$summary" | sed -n 's/^profd: [0-9]* samples .*), \([0-9]*\) samples lost.*/\1/p')
	cpus=$(nproc)
	if [ -n "$lost" ] && [ $((samples + lost)) -le $((rate * cpus * 5 / 2)) ]; then
		pass "$name.stops_on_time"
	else
		fail "$name.stops_on_time" "${samples:-?} + ${lost:-?} samples taken and lost, want <= $((rate * cpus * 5 / 2)) (2.5 s on $cpus CPUs)"
	fi
	rss_kib=$(tail -n 1 "$o.time")
	if [ -n "$rss_kib" ] && [ "$rss_kib" -le 307200 ]; then
		pass "$name.memory_bounded"
	else
		fail "$name.memory_bounded" "peak RSS ${rss_kib:-?} KiB at $rate Hz (want <= 300 MiB)"
	fi
	# Samples are kept when the machine cannot keep up: at most 5 % lost (what user space could
	# not read in time), and what was kept is all in the output, both of threads2's threads
	# among them.
	in_output=$(awk '{ s += $NF } END { print s + 0 }' "$o.folded" 2>/dev/null)
	if [ -n "$lost" ] && [ "$samples" = "$in_output" ] && [ $((lost * 20)) -le $((samples + lost)) ] &&
		grep -q '^threads2;.*;spin_alpha[; ]' "$o.folded" && grep -q '^threads2;.*;spin_beta[; ]' "$o.folded"; then
		pass "$name.samples_kept"
	else
		fail "$name.samples_kept" "summary '${samples:-none}' samples, ${lost:-?} lost, output $in_output; threads2's spin_alpha and spin_beta: $(grep -c 'spin_alpha\|spin_beta' "$o.folded") lines"
	fi
}

overload overload
overload overload.copy --unwind copy
kill "$tw"
