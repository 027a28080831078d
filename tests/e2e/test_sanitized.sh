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
if wait_for "$TMP/serve.err" 'serving http://' 60; then
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

# ---- a drain stalled for 6 s: more distinct user and kernel stacks in one window than the
# stack map holds ----
"$WL/manystacks" 16 >/dev/null &
PIDS="$PIDS $!"
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

# ---- the agent killed with -9 and restarted, then stopped cleanly; query reads the store ----
ST="$TMP/store"
: >"$TMP/agent.err"
for round in 1 2; do
	"$SAN" agent --store "$ST" --window 1 -F 49 2>>"$TMP/agent.err" &
	agent=$!
	PIDS="$PIDS $agent"
	have=$(ls "$ST" 2>/dev/null | grep -c '\.pb\.zst$')
	i=0
	while [ $i -lt 300 ] && [ "$(ls "$ST" 2>/dev/null | grep -c '\.pb\.zst$')" -le "$have" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$agent"
	wait "$agent" 2>/dev/null
done
"$SAN" agent --store "$ST" --window 1 -F 49 2>>"$TMP/agent.err" &
agent=$!
PIDS="$PIDS $agent"
if wait_for "$TMP/agent.err" 'windows into' 60; then
	sleep 2
fi
kill -INT "$agent"
wait "$agent"
rc=$?
"$SAN" query --store "$ST" -o "$TMP/agent.folded" 2>>"$TMP/agent.err"
qrc=$?
if clean sanitized.agent_kill9 "$TMP/agent.err"; then
	if [ $rc = 0 ] && [ $qrc = 0 ] && [ -s "$TMP/agent.folded" ]; then
		pass sanitized.agent_kill9_restart
	else
		fail sanitized.agent_kill9_restart "agent exit $rc, query exit $qrc: $(tail -n 2 "$TMP/agent.err" | tr '\n' ' ')"
	fi
fi
