#!/bin/sh
# profd -a's start-up puts off what the first samples do not need, and those samples stay whole:
# - xz (Debian's, without frame pointers) running since before profd starts: its tables are
#   loaded before the first sample, so at least 99 % of its stacks are whole from the start;
# - node (a binary of 8 MiB or more) running since before profd starts: its table is built
#   after sampling starts, as -v says in that order, and it is built.
# - a process whose first thread sleeps (in pthread_join) while another runs is running: its
#   table too is built before the first sample; a process that only sleeps is not, its table is
#   built after sampling starts (the kernel's task iterator says which thread is running);
# Outputs stay in tests/artifacts/test_startup/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/known_answer.sh"

need_root startup || exit 0

# --- a running process without frame pointers: whole from the first sample ---------------------
XZ="xz-$$"
if ln "$(command -v xz)" "$TMP/$XZ" 2>/dev/null || cp "$(command -v xz)" "$TMP/$XZ"; then
	seq 1 3000000 >"$TMP/input"
	bg sh -c "exec '$TMP/$XZ' -9 -T1 -c '$TMP/input' >/dev/null"
	wl=$BG_PID
	wait_for 30 had_cpu "$wl" 200
	out="$ART/xz.folded" err="$ART/xz.stderr"
	"$PROFD" -v -a -F 499 -d 3 -o "$out" 2>"$err"
	rc=$?
	kill "$wl" 2>/dev/null
	if [ $rc -ne 0 ]; then
		fail startup.xz.run "profd exited $rc: $(tail -n 1 "$err")"
	elif ! grep -qE "cfi: .*/$XZ: [0-9]+ rows" "$err"; then
		fail startup.xz.loaded "no table built for $XZ (see $err)"
	elif [ "$(sed -n "/cfi: .*\/$XZ: [0-9]* rows/=" "$err" | head -n 1)" -gt \
		"$(sed -n '/^profd: sampling /=' "$err" | head -n 1)" ]; then
		fail startup.xz.loaded "$XZ's table was built after sampling started"
	elif q whole "$out" --comm "$XZ" --min-frames 5; then
		pass startup.xz.loaded
		atleast startup.xz.whole "$Q" 99 "% of $XZ stacks whole"
	else
		fail startup.xz.whole "$Q"
	fi
else
	skip startup.xz "cannot link or copy xz"
fi

# --- running means any thread running; a sleeper waits until sampling runs ---------------------
# built_before ERR FILE: whether FILE's table came in ERR before the line "sampling" (2: either
# line is missing).
built_before() {
	bb_table=$(sed -n "/cfi: .*\/$2: [0-9]* rows/=" "$1" | head -n 1)
	bb_start=$(sed -n '/^profd: sampling /=' "$1" | head -n 1)
	[ -n "$bb_table" ] && [ -n "$bb_start" ] || return 2
	[ "$bb_table" -lt "$bb_start" ]
}
T2="threads2-$$" SL="sleep-$$"
if clang $NOFP -pthread -o "$TMP/$T2" "$TOP/tests/workloads/threads2.c" &&
	cp "$(command -v sleep)" "$TMP/$SL"; then
	bg sh -c "exec '$TMP/$T2' 30 >/dev/null"
	wl=$BG_PID
	bg "$TMP/$SL" 30
	sl=$BG_PID
	wait_for 30 had_cpu "$wl" 200
	err="$ART/threads.stderr"
	"$PROFD" -v -a -d 1 -o "$ART/threads.folded" 2>"$err"
	rc=$?
	kill "$wl" "$sl" 2>/dev/null
	if [ $rc -ne 0 ]; then
		fail startup.threads.run "profd exited $rc: $(tail -n 1 "$err")"
	else
		built_before "$err" "$T2"
		case $? in
		0) pass startup.threads.any_thread_running ;;
		1) fail startup.threads.any_thread_running "$T2's table was built after sampling started" ;;
		*) fail startup.threads.any_thread_running "no table built for $T2 (see $err)" ;;
		esac
		built_before "$err" "$SL"
		case $? in
		1) pass startup.threads.sleeper_after ;;
		0) fail startup.threads.sleeper_after "$SL's table was built before the first sample" ;;
		*) fail startup.threads.sleeper_after "no table built for $SL (see $err)" ;;
		esac
	fi
else
	fail startup.threads.build "cannot build threads2 or copy sleep"
fi

# --- a big binary: its table after the first sample --------------------------------------------
if command -v node >/dev/null 2>&1 &&
	[ "$(stat -Lc %s "$(command -v node)")" -ge $((8 << 20)) ]; then
	bg node -e 'for (;;) {}'
	wl=$BG_PID
	wait_for 30 had_cpu "$wl" 200
	err="$ART/node.stderr"
	"$PROFD" -v -a -d 2 -o "$ART/node.folded" 2>"$err"
	rc=$?
	kill "$wl" 2>/dev/null
	table=$(sed -n '/cfi: .*\/node: [0-9]* rows/=' "$err" | head -n 1)
	start=$(sed -n '/^profd: sampling /=' "$err" | head -n 1)
	if [ $rc -ne 0 ]; then
		fail startup.node.run "profd exited $rc: $(tail -n 1 "$err")"
	elif [ -z "$table" ]; then
		fail startup.node.after "node's table was never built (see $err)"
	elif [ "$table" -lt "${start:-0}" ]; then
		fail startup.node.after "node's table was built before the first sample"
	else
		pass startup.node.after
	fi
else
	skip startup.node "no node of 8 MiB or more"
fi
