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
expect usage.duration_negative 2 '^profd: -d -1: ' -a -d -1
expect usage.duration_word 2 '^profd: -d soon: ' -a -d soon
expect usage.unknown_extension 2 'x\.png: unknown extension' -a -d 1 -o "$TMP/x.png"
expect usage.unknown_format 2 'unknown format "xml"' -a -d 1 --format xml
expect usage.unknown_option 2 'unknown option --bogus' --bogus
expect usage.missing_value 2 '^profd: -p: needs a value' -p
expect usage.bad_pid_list 2 '^profd: -p 12,x: ' -p 12,x
expect usage.exclusive_targets 2 'exclude each other' -a -p 1
expect usage.exclusive_threads 2 'exclude each other' -t 1 -p 1
expect usage.max_stack_zero 2 '^profd: --max-stack 0: ' -a --max-stack 0
expect usage.cpu_list 2 '^profd: -C 0-x: expected a CPU list' -a -C 0-x -d 1
expect usage.cpu_offline 2 '^profd: -C 4096: CPU 4096 is not online' -a -C 4096 -d 1
expect usage.cpu_off_cpu 2 '^profd: -C applies to CPU samples' -a -C 0 --off-cpu -d 1
expect agent.cpu_offline 2 '^profd: agent: -C 4096: CPU 4096 is not online' agent \
	--store "$TMP/st" -C 4096
expect query.time_no_such_day 2 '^profd: query: --from: .*2026-02-31' query --store "$TMP" \
	--from 2026-02-31T00:00:00Z -o "$TMP/q.folded"
expect query.time_past_2262 2 '^profd: query: --to: .*9999-01-01' query --store "$TMP" \
	--to 9999-01-01T00:00:00Z -o "$TMP/q.folded"
expect convert.unknown_option 2 '^profd: convert: unknown option --bogus ' convert --bogus x.folded
expect convert.missing_value 2 '^profd: convert: -o needs a value ' convert x.folded -o
expect convert.missing_input 1 "$TMP/nope.folded" convert "$TMP/nope.folded" -o "$TMP/x.svg"

expect convert.two_inputs 2 '^profd: convert: .*expected one input file' convert "$TMP/a" "$TMP/b" -o "$TMP/x.svg"
expect serve.no_files 2 '^profd: serve: .*expected one or more profile files' serve --http 127.0.0.1:0
expect serve.missing_value 2 '^profd: serve: --http needs a value ' serve "$TMP/nope.folded" --http
expect serve.unknown_option 2 '^profd: serve: unknown option --bogus ' serve "$TMP/nope.folded" --bogus
# Push settings are checked before the agent samples, not at its first push.
PUSH="https://127.0.0.1:1"
expect agent.push_ca_missing 1 "^profd: push: --push-ca $TMP/nope.pem: No such file" \
	agent --store "$TMP/st" --push "$PUSH" --push-ca "$TMP/nope.pem"
expect agent.push_auth_file_missing 1 "^profd: push: --push-auth-file $TMP/nope: No such file" \
	agent --store "$TMP/st" --push "$PUSH" --push-auth-file "$TMP/nope"
expect agent.push_header_bad 2 "^profd: agent: --push-header: expected 'Name: value'" \
	agent --store "$TMP/st" --push "$PUSH" --push-header bogus
expect agent.push_ca_needs_push 2 '^profd: agent: .*need --push' agent --store "$TMP/st" \
	--push-ca "$TMP/nope.pem"
expect agent.push_bad_scheme 1 '^profd: push: --push: expected http' agent --store "$TMP/st" \
	--push ftp://127.0.0.1/

# GNU style: options after the file names work, also under POSIXLY_CORRECT, and "--" ends them.
printf 'app;main;work 3\n' >"$TMP/ok.folded"
for how in default posix; do
	rm -f "$TMP/after.svg"
	if [ $how = posix ]; then
		POSIXLY_CORRECT=1 "$PROFD" convert "$TMP/ok.folded" -o "$TMP/after.svg" 2>"$TMP/err"
	else
		"$PROFD" convert "$TMP/ok.folded" -o "$TMP/after.svg" 2>"$TMP/err"
	fi
	rc=$?
	[ $rc = 0 ] && grep -q 'work (3 samples' "$TMP/after.svg" 2>/dev/null &&
		pass convert.options_after_input_$how ||
		fail convert.options_after_input_$how "exit $rc: $(cat "$TMP/err")"
done
cp "$TMP/ok.folded" "$TMP/-o"
"$PROFD" convert -o "$TMP/dashdash.folded" -- "$TMP/-o" 2>"$TMP/err" && cmp -s "$TMP/ok.folded" "$TMP/dashdash.folded" &&
	pass convert.double_dash_ends_options ||
	fail convert.double_dash_ends_options "$(cat "$TMP/err") got '$(cat "$TMP/dashdash.folded" 2>/dev/null)'"

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

# Endless and huge inputs: one line, fast, and memory stays small (peak RSS in KiB from time(1)).
# expect_small NAME MAX_KIB PATTERN ARGS...: as expect with status 1, and a peak under MAX_KIB.
expect_small() {
	name=$1 max=$2 pattern=$3
	shift 3
	PROFD_REAL=$PROFD PROFD="$TMP/timed"
	printf '#!/bin/sh\nexec /usr/bin/time -f %%M -o "%s/rss" "%s" "$@"\n' "$TMP" "$PROFD_REAL" >"$PROFD"
	chmod +x "$PROFD"
	out=$(expect "$name" 1 "$pattern" "$@")
	PROFD=$PROFD_REAL
	rss=$(tail -n 1 "$TMP/rss" 2>/dev/null)
	case "$out" in
	PASS*)
		if [ -n "$rss" ] && [ "$rss" -lt "$max" ]; then
			pass "$name"
		else
			fail "$name" "peak RSS ${rss:-?} KiB, want < $max"
		fi
		;;
	*) echo "$out" ;;
	esac
}
truncate -s 1G "$TMP/sparse.folded"
truncate -s 1G "$TMP/sparse.pb.gz"
expect_small convert.dev_zero 65536 '/dev/zero: line 1: not text' convert /dev/zero -o "$TMP/x.svg"
expect_small convert.sparse_1g 65536 'sparse\.folded: 1024 MiB, above the 256 MiB' \
	convert "$TMP/sparse.folded" -o "$TMP/x.svg"
expect_small convert.sparse_1g_pprof 65536 'sparse\.pb\.gz: 1024 MiB, above the 256 MiB' \
	convert "$TMP/sparse.pb.gz" -o "$TMP/x.svg"
expect_small serve.dev_zero 65536 '/dev/zero: line 1: not text' serve --http 127.0.0.1:0 /dev/zero
head -c 20000000 /dev/zero | tr '\0' x | sed 's/^/app;/' >"$TMP/long.folded"
expect_small convert.long_line 131072 'long\.folded: line 1: longer than 16 MiB' \
	convert "$TMP/long.folded" -o "$TMP/x.svg"
rm -f "$TMP/sparse.folded" "$TMP/sparse.pb.gz" "$TMP/long.folded"

# Counts that add up past INT64_MAX: refused with the line, never wrapped into an empty profile.
printf 'c;f 9223372036854775807\nc;f 1\n' >"$TMP/overflow.folded"
expect convert.count_overflow 1 'overflow\.folded: line 2: count 1 takes the total past' \
	convert "$TMP/overflow.folded" -o "$TMP/x.folded"
printf 'c;f 9223372036854775000\n' >"$TMP/big1.folded"
printf 'c;f 1000\n' >"$TMP/big2.folded"
expect serve.count_overflow 1 'big2\.folded: its counts take the total of the files past' \
	serve --http 127.0.0.1:0 "$TMP/big1.folded" "$TMP/big2.folded"

# -o into a FIFO or through a symlink: written into, never replaced by a regular file.
printf 'app;main 3\n' >"$TMP/in.folded"
mkfifo "$TMP/fifo.folded"
cat "$TMP/fifo.folded" >"$TMP/from_fifo" &
reader=$!
PIDS="$PIDS $reader"
if timeout 20 "$PROFD" convert "$TMP/in.folded" -o "$TMP/fifo.folded" 2>"$TMP/err" &&
	wait "$reader" && [ -p "$TMP/fifo.folded" ] && cmp -s "$TMP/in.folded" "$TMP/from_fifo"; then
	pass output.fifo
else
	fail output.fifo "fifo $(stat -c %F "$TMP/fifo.folded"), got '$(cat "$TMP/from_fifo")': $(cat "$TMP/err")"
fi
: >"$TMP/target.folded"
ln -s target.folded "$TMP/link.folded"
if "$PROFD" convert "$TMP/in.folded" -o "$TMP/link.folded" 2>"$TMP/err" &&
	[ -L "$TMP/link.folded" ] && cmp -s "$TMP/in.folded" "$TMP/target.folded"; then
	pass output.symlink
else
	fail output.symlink "link $(stat -c %F "$TMP/link.folded"), target '$(cat "$TMP/target.folded")': $(cat "$TMP/err")"
fi
ln -s nowhere.folded "$TMP/dangling.folded"
expect output.dangling_symlink 1 'dangling\.folded: a symlink to nothing' \
	convert "$TMP/in.folded" -o "$TMP/dangling.folded"

need_root exits || exit 0

# A target that exits mid-run: the output is still written and the summary says it exited.
# It burns (no child processes) until profd samples it (-v says when), then 2 s more, and exits.
bash -c 'while [ ! -e "$1" ]; do :; done; end=$((SECONDS + 2)); while [ $SECONDS -lt $end ]; do :; done' \
	burner "$TMP/go" &
burner=$!
PIDS="$PIDS $burner"
wait_for 10 exec_done "$burner" bash
: >"$TMP/err"
timeout 60 "$PROFD" -v -p "$burner" -d 20 -o "$TMP/exit.folded" 2>"$TMP/err" &
prof=$!
PIDS="$PIDS $prof"
wait_for 30 said "$TMP/err" '^profd: sampling '
touch "$TMP/go"
wait "$prof"
rc=$?
if [ $rc != 0 ]; then
	fail runtime.pid_exits "exit $rc: $(grep -v 'libbpf: ' "$TMP/err" | tail -n 4 | tr '\n' '|')"
elif ! grep -q "^bash;" "$TMP/exit.folded"; then
	fail runtime.pid_exits "no bash samples in the output: $(head -c 200 "$TMP/exit.folded")"
elif ! grep -q "pid $burner exited" "$TMP/err" || ! grep -q "1 process exited: $burner (bash)" "$TMP/err"; then
	fail runtime.pid_exits "stderr does not say pid $burner exited: $(grep -v 'libbpf: ' "$TMP/err" | tail -n 4 | tr '\n' '|')"
else
	pass runtime.pid_exits
fi

# -p with a thread id says whose thread it is; -t samples that thread alone: the beta thread
# (its id as threads2 prints it), whose spin_beta is then the only spin function sampled.
bg "$WL/threads2" 20 >"$TMP/threads2.truth"
tp=$BG_PID
wait_for 10 said "$TMP/threads2.truth" '^truth_tid spin_beta '
tid=$(awk '$1 == "truth_tid" && $2 == "spin_beta" { print $3 }' "$TMP/threads2.truth")
expect threads.pid_is_thread 2 "^profd: -p $tid: $tid is a thread of process $tp " -p "$tid" -d 1
timeout 30 "$PROFD" -t "$tid" -d 2 -o "$TMP/tid.folded" 2>"$TMP/err"
rc=$?
alpha=$(grep -c 'spin_alpha' "$TMP/tid.folded")
beta=$(grep -c 'spin_beta' "$TMP/tid.folded")
if [ $rc != 0 ]; then
	fail threads.tid_only "exit $rc: $(cat "$TMP/err")"
elif [ "$beta" = 0 ] || [ "$alpha" != 0 ]; then
	fail threads.tid_only "-t of spin_beta's thread: spin_beta in $beta stacks, spin_alpha in $alpha"
else
	pass threads.tid_only
fi
kill "$tp" 2>/dev/null
expect threads.no_such_thread 1 "thread $((max + 1)): no such thread" -t $((max + 1)) -d 1

# kill -9 of profd -o leaves its temporary file; the next run writing to that folder removes it.
mkdir -p "$TMP/killed"
"$PROFD" -a -d 60 -o "$TMP/killed/a.folded" 2>"$TMP/err" &
victim=$!
PIDS="$PIDS $victim"
# temp_made: profd -o has made its temporary file
temp_made() { ls -A "$TMP/killed" | grep -q '^\.profd-out\.'; }
wait_for 30 temp_made
kill -9 "$victim"
wait "$victim" 2>/dev/null
left=$(ls -A "$TMP/killed" | grep -c '^\.profd-out\.')
"$PROFD" convert "$TMP/in.folded" -o "$TMP/killed/b.folded" 2>"$TMP/err"
after=$(ls -A "$TMP/killed" | grep -c '^\.profd-out\.')
if [ "$left" != 1 ]; then
	fail output.stale_temp_removed "$left temporary files after kill -9, want 1 to clean"
elif [ "$after" != 0 ] || ! cmp -s "$TMP/in.folded" "$TMP/killed/b.folded"; then
	fail output.stale_temp_removed "$after temporary files left after the next run: $(ls -A "$TMP/killed")"
else
	pass output.stale_temp_removed
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
