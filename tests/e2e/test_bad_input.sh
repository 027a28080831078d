#!/bin/sh
# Bad input: each case gets one clear line on stderr and exit 2 (usage) or 1 (runtime), never a
# crash or a hang; a target that exits mid-run still gets its output written.
. "$(dirname "$0")/lib.sh"

# expect NAME STATUS PATTERN ARGS...: profd ARGS exits with STATUS, its stderr has exactly one
# line, and that line matches PATTERN (grep -E).
expect() {
	name=$1 status=$2 pattern=$3
	shift 3
	timeout 20 "$PROFD" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	if [ "$rc" != "$status" ]; then
		fail "$name" "exit $rc, want $status; stderr: $(head -c 300 "$TMP/err")"
	elif [ "$lines" != 1 ]; then
		fail "$name" "$lines lines on stderr, want 1: $(head -c 300 "$TMP/err" | tr '\n' '|')"
	elif ! grep -Eq "$pattern" "$TMP/err"; then
		fail "$name" "stderr '$(cat "$TMP/err")' does not match '$pattern'"
	else
		pass "$name"
	fi
}

expect usage.no_target 2 'nothing to profile'
expect usage.freq_zero 2 '^profd: -F 0: ' -a -F 0
expect usage.freq_huge 2 '^profd: -F 1000000: .*perf_event_max_sample_rate' -a -F 1000000
expect usage.duration_negative 2 '^profd: -d -1: ' -a -d -1
expect usage.duration_word 2 '^profd: -d soon: ' -a -d soon
expect usage.unknown_extension 2 'x\.png: unknown extension' -a -d 1 -o "$TMP/x.png"
expect usage.unknown_format 2 'unknown format "xml"' -a -d 1 --format xml
expect usage.unknown_option 2 'unknown option --bogus' --bogus
expect usage.missing_value 2 '^profd: -p: needs a value' -p
expect usage.bad_pid_list 2 '^profd: -p 12,x: ' -p 12,x
expect usage.exclusive_targets 2 'exclude each other' -a -p 1
expect usage.max_stack_zero 2 '^profd: --max-stack 0: ' -a --max-stack 0
expect convert.missing_input 1 "$TMP/nope.folded" convert "$TMP/nope.folded" -o "$TMP/x.svg"

# A pid no process has: the kernel's pid_max bounds real pids.
max=$(cat /proc/sys/kernel/pid_max)
expect runtime.unknown_pid 1 "pid $((max + 1)): no such process" -p $((max + 1)) -d 1

# An unwritable output is refused before sampling: fast, and nothing is left behind.
start=$(date +%s)
expect runtime.unwritable_output 1 "cannot write $TMP/no/such/dir/x.svg" -a -d 30 -o "$TMP/no/such/dir/x.svg"
if [ $(($(date +%s) - start)) -lt 10 ]; then
	pass runtime.unwritable_output_before_sampling
else
	fail runtime.unwritable_output_before_sampling "took $(($(date +%s) - start)) s; -d was 30"
fi
mkdir -p "$TMP/ro" && chmod 500 "$TMP/ro"
if [ "$(id -u)" = 0 ]; then
	# Root ignores directory modes: a read-only bind would need mount; /proc is never writable.
	expect runtime.readonly_output 1 'cannot write /proc/x.folded' -a -d 30 -o /proc/x.folded
fi

# A folded file that is not one: one line naming the line that is wrong.
printf 'app;main 5\napp;main;work\n' >"$TMP/bad.folded"
expect convert.bad_folded 1 'bad\.folded: line 2: missing count' convert "$TMP/bad.folded" -o "$TMP/x.svg"

need_root exits || exit 0

# A target that exits mid-run: the output is still written and the summary says it exited.
bash -c 'end=$((SECONDS + 2)); while [ $SECONDS -lt $end ]; do :; done' &
burner=$!
PIDS="$PIDS $burner"
wait_for 10 exec_done "$burner" bash
timeout 30 "$PROFD" -p "$burner" -d 20 -o "$TMP/exit.folded" 2>"$TMP/err"
rc=$?
if [ $rc != 0 ]; then
	fail runtime.pid_exits "exit $rc: $(cat "$TMP/err")"
elif ! grep -q "^bash;" "$TMP/exit.folded"; then
	fail runtime.pid_exits "no bash samples in the output: $(head -c 200 "$TMP/exit.folded")"
elif ! grep -q "pid $burner exited" "$TMP/err" || ! grep -q "1 process exited: $burner (bash)" "$TMP/err"; then
	fail runtime.pid_exits "stderr does not say pid $burner exited: $(cat "$TMP/err")"
else
	pass runtime.pid_exits
fi

# Without CAP_BPF and CAP_PERFMON (and CAP_SYS_ADMIN, which implies them) the message names them.
if command -v capsh >/dev/null 2>&1; then
	capsh --drop=cap_bpf,cap_perfmon,cap_sys_admin -- -c \
		"exec '$PROFD' -a -d 1 -o '$TMP/caps.folded'" >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc = 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
		grep -q 'missing CAP_BPF and CAP_PERFMON' "$TMP/err"; then
		pass runtime.no_capabilities
	else
		fail runtime.no_capabilities "exit $rc: $(cat "$TMP/err")"
	fi
	capsh --drop=cap_perfmon,cap_sys_admin -- -c \
		"exec '$PROFD' -a -d 1 -o '$TMP/caps.folded'" >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc = 1 ] && grep -q 'missing CAP_PERFMON' "$TMP/err" && ! grep -q 'CAP_BPF and' "$TMP/err"; then
		pass runtime.no_perfmon
	else
		fail runtime.no_perfmon "exit $rc: $(cat "$TMP/err")"
	fi
else
	missing runtime.no_capabilities "capsh (libcap2-bin) is not installed"
fi
