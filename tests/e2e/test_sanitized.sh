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

# ---- convert and serve of hostile files: a clean refusal or a clean result, no report ----
H="$TMP/hostile"
mkdir -p "$H"
truncate -s 1G "$H/sparse.folded"
printf 'c;f 9223372036854775807\nc;f 1\n' >"$H/overflow.folded"
printf '\n\r\napp 5\n;x 1\napp;;f 1\n' >"$H/empty_parts.folded"
printf '\n\r\napp 5\napp;main 2' >"$H/blank_first.folded"
head -c 17000000 /dev/zero | tr '\0' x | sed 's/^/app;/' >"$H/long.folded"
printf '\037\213\010\000\000\000\000\000' >"$H/truncated.pb.gz"
head -c 4096 /dev/urandom >"$H/random.pb"
printf 'app;main;work 3\napp;main 1\n' >"$H/good.folded"
n=0
for f in /dev/zero "$H"/*; do
	n=$((n + 1))
	timeout 60 "$SAN" convert "$f" -o "$H/out$n.svg" >/dev/null 2>"$TMP/conv$n.err"
	rc=$?
	case $rc in 0 | 1) ;; *) echo "convert $f: exit $rc" >>"$TMP/conv$n.err" ;; esac
	cat "$TMP/conv$n.err" >>"$TMP/convert.err"
	if [ $rc -gt 1 ]; then
		fail sanitized.convert_hostile "convert $f: exit $rc: $(tail -n 2 "$TMP/conv$n.err" | tr '\n' ' ')"
		n=-1
		break
	fi
done
[ $n -ge 0 ] && clean sanitized.convert_hostile "$TMP/convert.err"

timeout 30 "$SAN" serve --http 127.0.0.1:0 /dev/zero "$H/good.folded" >/dev/null 2>"$TMP/serve_bad.err"
rc=$?
[ $rc = 1 ] || echo "serve /dev/zero: exit $rc" >>"$TMP/serve_bad.err"
"$SAN" serve --http 127.0.0.1:0 "$H/good.folded" "$H/blank_first.folded" >/dev/null 2>"$TMP/serve.err" &
srv=$!
PIDS="$PIDS $srv"
if wait_for 60 said "$TMP/serve.err" 'serving http://'; then
	url=$(sed -n 's/.*serving \(http:[^ ]*\).*/\1/p' "$TMP/serve.err" | head -n 1)
	for path in "" folded "svg?a=0-1&b=1-2" "api/top?n=5" "folded?comm=%00" "nope"; do
		curl -s -m 20 -o /dev/null "$url$path"
	done
fi
kill -TERM "$srv"
wait "$srv"
rc=$?
[ $rc = 0 ] || echo "serve: exit $rc" >>"$TMP/serve.err"
cat "$TMP/serve_bad.err" >>"$TMP/serve.err"
if clean sanitized.serve_hostile "$TMP/serve.err"; then
	grep -q 'exit' "$TMP/serve.err" && fail sanitized.serve_exit "$(grep exit "$TMP/serve.err" | tr '\n' ' ')" ||
		pass sanitized.serve_exit
fi
rm -rf "$H"

need_root sanitized.stalled_drain || exit 0

# ---- a drain stalled until more distinct user and kernel stacks than the stack map holds
# have come in one window ----
bg "$WL/manystacks" 200 >/dev/null
many=$BG_PID
bg sh -c 'while :; do find / -xdev >/dev/null 2>&1; done'
walker=$BG_PID
"$SAN" -v -a -F 999 --unwind fp -d 10 -o "$TMP/stall.folded" 2>"$TMP/stall.err" &
san=$!
PIDS="$PIDS $san"
# stack_map_full: the stopped profd's BPF program has counted stacks lost to a full map
stack_map_full() {
	[ "$(python3 "$TOP/tests/e2e/bpf_counters.py" "$san" USTACK_FULL KSTACK_FULL 2>>"$TMP/counters.err")" -gt 0 ]
}
overflowed=no
if wait_for 30 said "$TMP/stall.err" 'sampling .* Hz'; then
	kill -STOP "$san"
	wait_for 120 stack_map_full && overflowed=yes
	kill -CONT "$san"
fi
wait "$san"
rc=$?
kill "$walker" "$many" 2>/dev/null
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
elif [ $overflowed = no ]; then
	fail summary.units "the stack map did not fill in 120 s of stalled drain: $(tail -n 1 "$TMP/counters.err")"
elif [ -z "$stacks" ]; then
	fail summary.units "the stack map overflowed, but the summary counts no lost stacks: $summary"
elif [ "$marked" -le "$stacks" ] && [ "$stacks" -le $((2 * marked)) ]; then
	pass summary.units
else
	fail summary.units "$stacks stacks lost, but $marked samples carry the marker (want marked <= lost <= 2 * marked)"
fi

# ---- the agent killed with -9 and restarted, then stopped cleanly; query reads the store ----
# A workload of a name of its own, so the store's answer can be looked for.
cp "$WL/split3" "$TMP/sanwork"
bg "$TMP/sanwork" 200 >/dev/null
work=$BG_PID
ST="$TMP/store"
# windows_past N: the store holds more than N windows
windows() { ls "$ST" 2>/dev/null | grep -c '\.pb\.zst$'; }
windows_past() { [ "$(windows)" -gt "$1" ]; }
: >"$TMP/agent.err"
for round in 1 2 3; do
	"$SAN" agent --store "$ST" --window 1 -F 49 2>>"$TMP/agent.err" &
	agent=$!
	PIDS="$PIDS $agent"
	wait_for 60 windows_past "$(windows)"
	# The first two rounds end with kill -9; the last with Ctrl-C.
	[ $round = 3 ] && break
	kill -9 "$agent"
	wait "$agent" 2>/dev/null
done
kill -INT "$agent"
wait "$agent"
rc=$?
kill "$work" 2>/dev/null
"$SAN" query --store "$ST" -o "$TMP/agent.folded" 2>>"$TMP/agent.err"
qrc=$?
cp "$TMP/agent.folded" "$ART/agent.folded" 2>/dev/null
n=$(windows)
# After two kills, the last run's summary agrees with the disk, and the store's history holds
# the workload's stacks, symbolized.
if clean sanitized.agent_kill9 "$TMP/agent.err"; then
	if [ $rc = 0 ] && [ $qrc = 0 ] && grep -q "agent: [0-9]* windows written, 0 failed, $n in the store" "$TMP/agent.err" &&
		grep -q '^sanwork;.*;path_a;work_a[; ]' "$TMP/agent.folded"; then
		pass sanitized.agent_kill9_restart
	else
		fail sanitized.agent_kill9_restart "agent exit $rc, query exit $qrc, $n windows; no sanwork;...;path_a;work_a in the store? $(tail -n 2 "$TMP/agent.err" | tr '\n' ' ')"
	fi
fi
