#!/bin/sh
# The real profd built with ASan + UBSan (make asan-profd, build/asan/profd) over the runs that
# once broke it: a drain stalled by SIGSTOP while thousands of distinct stacks pile up,
# convert and serve of hostile files, and the agent killed with -9 and restarted. Any sanitizer
# report fails the check that ran it.
. "$(dirname "$0")/lib.sh"

SAN="$TOP/build/asan/profd"
# Leak checks included; symbolized reports, so a failure names the line.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

if ! make -s -C "$TOP" asan-profd >"$ART/build.log" 2>&1; then
	fail sanitized.build "make asan-profd failed: $(tail -n 3 "$ART/build.log" | tr '\n' ' ')"
	exit 0
fi

# clean NAME STDERR: PASS unless a sanitizer wrote a report to STDERR (kept in the artifacts).
clean() {
	if grep -Eq 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$2"; then
		cp "$2" "$ART/$1.stderr"
		fail "$1" "$(grep -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:|^ +#[0-2] 0x' "$2" |
			head -n 4 | tr '\n' ' ' | head -c 600)"
		return 1
	fi
	pass "$1"
}

# wait_for FILE PATTERN SECONDS: until FILE has a line matching PATTERN.
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ]; do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

need_root sanitized.stalled_drain || exit 0

# ---- a drain stalled for 6 s: more distinct user and kernel stacks in one window than the
# stack map holds ----
bg "$WL/manystacks" 16
bg sh -c 'while :; do find / -xdev >/dev/null 2>&1; done'
walker=$BG_PID
"$SAN" -v -a -F 999 --unwind fp -d 10 -o "$TMP/stall.folded" 2>"$TMP/stall.err" &
san=$!
PIDS="$PIDS $san"
if wait_for "$TMP/stall.err" 'sampling .* at 999 Hz' 30; then
	sleep 1
	kill -STOP "$san"
	sleep 6
	kill -CONT "$san"
fi
wait "$san"
rc=$?
kill "$walker" 2>/dev/null
if clean sanitized.stalled_drain "$TMP/stall.err"; then
	if [ "$rc" != 0 ]; then
		fail sanitized.stalled_drain_output "exit $rc: $(tail -n 2 "$TMP/stall.err" | tr '\n' ' ')"
	elif ! stacks=$(grep -c '^manystacks;' "$TMP/stall.folded") || [ "$stacks" -lt 500 ]; then
		fail sanitized.stalled_drain_output "${stacks:-0} distinct manystacks stacks, want >= 500"
	else
		pass sanitized.stalled_drain_output
	fi
fi

# The summary keeps units apart: its samples are the output's, and stacks lost to the full map
# are counted apart from samples lost (each such sample is in the output, under its marker).
summary=$(grep -E '^profd: [0-9]+ samples \(' "$TMP/stall.err")
samples=$(echo "$summary" | sed -n 's/^profd: \([0-9]*\) samples (.*/\1/p')
stacks=$(echo "$summary" | sed -n 's/.*, \([0-9]*\) stacks lost to a full stack map.*/\1/p')
in_output=$(awk '{ s += $NF } END { print s + 0 }' "$TMP/stall.folded")
marked=$(grep -F '[lost stack: map full]' "$TMP/stall.folded" | awk '{ s += $NF } END { print s + 0 }')
if [ -z "$samples" ] || ! echo "$summary" | grep -q ' samples lost'; then
	fail summary.units "no summary in the form 'N samples (...), M samples lost': $summary"
elif [ "$samples" != "$in_output" ]; then
	fail summary.units "summary says $samples samples, the output holds $in_output"
elif [ -z "$stacks" ]; then
	[ "$marked" = 0 ] && skip summary.units "the stack map did not overflow this run" ||
		fail summary.units "$marked samples under [lost stack] but no lost stacks in: $summary"
elif [ "$marked" -le "$stacks" ] && [ "$stacks" -le $((2 * marked)) ]; then
	pass summary.units
else
	fail summary.units "$stacks stacks lost, but $marked samples carry the marker (want marked <= lost <= 2 * marked)"
fi
