#!/bin/sh
# More than the machine can take: -F above kernel.perf_event_max_sample_rate is clamped with one
# warning, and at the highest rate the kernel allows, on every CPU, -d still ends the run soon
# after the duration and memory stays bounded (the stack-copy ring, the maps and a window of
# samples), however far behind unwinding and symbolizing fall.
. "$(dirname "$0")/lib.sh"

need_root overload.clamped || exit 0

# The kernel may lower the sysctl when sampling interrupts take too long: put it back.
rate=$(cat /proc/sys/kernel/perf_event_max_sample_rate)
trap 'echo "$rate" >/proc/sys/kernel/perf_event_max_sample_rate; cleanup' EXIT

# threads2 outlives the run, however long a loaded machine makes profd's start and its drain
# behind: its samples are symbolized while it still runs. It is sampled once both threads run.
"$WL/threads2" 600 >"$TMP/threads2.out" &
tw=$!
PIDS="$PIDS $tw"
wait_for 30 said "$TMP/threads2.out" '^truth_tid spin_beta '
timeout 120 /usr/bin/time -f "%e s\n%M" -o "$TMP/rss" "$PROFD" -a -F $((rate + 1)) -d 2 \
	-o "$TMP/over.folded" 2>"$TMP/err"
rc=$?
rss_kib=$(tail -n 1 "$TMP/rss")
kill "$tw"
cp "$TMP/err" "$ART/over.err"
cp "$TMP/rss" "$ART/over.time" # wall seconds, peak RSS KiB
cp "$TMP/over.folded" "$ART/over.folded" 2>/dev/null

# Exit 0, not timeout's 124: the run ended by itself (the checks below say how soon, in samples).
if [ $rc = 0 ] && grep -q "^profd: -F $((rate + 1)): above kernel.perf_event_max_sample_rate; sampling at $rate Hz$" "$TMP/err"; then
	pass overload.clamped
else
	fail overload.clamped "exit $rc: $(head -n 2 "$TMP/err" | tr '\n' ' ')"
fi
# Sampling stops at 2 s whatever the loop is busy with: samples taken plus lost fit in 2 s on
# every CPU (timing free: counted, not clocked). What is left after it is bounded work.
summary=$(grep -E '^profd: [0-9]+ samples \(' "$TMP/err")
taken=$(echo "$summary" | sed -n 's/^profd: \([0-9]*\) samples .*), \([0-9]*\) samples lost.*/\1 + \2/p')
cpus=$(nproc)
if [ -n "$taken" ] && [ $(($taken)) -le $((rate * cpus * 5 / 2)) ]; then
	pass overload.stops_on_time
else
	fail overload.stops_on_time "${taken:-?} samples taken or lost, want <= $((rate * cpus * 5 / 2)) (2.5 s on $cpus CPUs)"
fi
if [ -n "$rss_kib" ] && [ "$rss_kib" -le 307200 ]; then
	pass overload.memory_bounded
else
	fail overload.memory_bounded "peak RSS ${rss_kib:-?} KiB at $rate Hz (want <= 300 MiB)"
fi
# What could not be read in time is counted as lost, and what was read is all in the output:
# the summary's samples are the file's, both of threads2's threads among them.
samples=$(echo "$summary" | sed -n 's/^profd: \([0-9]*\) samples .*/\1/p')
in_output=$(awk '{ s += $NF } END { print s + 0 }' "$TMP/over.folded" 2>/dev/null)
if [ -n "$samples" ] && [ "$samples" = "$in_output" ] && grep -q '^threads2;.*;spin_alpha[; ]' "$TMP/over.folded" &&
	grep -q '^threads2;.*;spin_beta[; ]' "$TMP/over.folded"; then
	pass overload.samples_kept
else
	fail overload.samples_kept "summary '${samples:-none}' samples, output $in_output; threads2's spin_alpha and spin_beta: $(grep -c 'spin_alpha\|spin_beta' "$TMP/over.folded") lines"
fi
