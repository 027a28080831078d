#!/bin/sh
# Accuracy against known answers: workloads in tests/workloads print the CPU shares they really
# spent (thread CPU clock) as "truth FUNCTION PERCENT"; profd's folded output must agree within
# 3 percentage points, keep whole stacks (down to main or the thread's start routine), mark stacks
# cut at the depth limit, name JIT frames and escape hostile names in SVG.
# Every output is kept in tests/artifacts/test_accuracy/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/known_answer.sh"

TOL=3		# percentage points, designed share vs measured
ROOTED_MIN=98	# % of a workload's samples whose stack reaches main / the thread start

# none NAME GOT WHAT: PASS if GOT is 0 (a share that must be exactly nothing).
none() {
	holds "$1" "$2" 0 0 'g == w' "$3: got '$2'" "$3: ${2}%, want 0"
}

# conserved NAME FOLDED TRUTH QUERY_ARG...: sample conservation. A workload busy for T
# CPU-seconds (truth_total_cpu_ms in TRUTH) gets T x 499 samples within 5 %, as counted by
# `folded.py total FOLDED QUERY_ARG...`.
conserved() {
	c_name=$1 c_out=$2
	c_ms=$(awk '$1 == "truth_total_cpu_ms" { print $2 }' "$3")
	shift 3
	if q total "$c_out" "$@" && is_num "$c_ms"; then
		within "$c_name" "$Q" "$(awk -v ms="$c_ms" 'BEGIN { printf "%d", ms / 1000 * 499 }')" 5 \
			"samples for $c_ms ms of CPU at 499 Hz"
	else
		fail "$c_name" "$Q (truth cpu '$c_ms'); comms: $(python3 "$FOLDED" comms "$c_out" 2>&1 |
			head -5 | tr '\n' ' ')"
	fi
}

# recursion_whole NAME FOLDED DEPTH: tests/workloads/recurse's samples in rec_leaf hold rec
# DEPTH times and reach main, and no stack is marked [truncated].
recursion_whole() {
	all_frames "$1.all_frames" "$2" rec "$3" recurse rec_leaf
	rooted "$1.rooted" "$2" recurse main
	if q truncated "$2"; then
		none "$1.not_truncated" "$Q" "[truncated] stacks"
	else
		fail "$1.not_truncated" "$Q"
	fi
}

# nolost NAME FOLDED STDERR: no sample of the run lost its stack (e.g. to a full stack map).
nolost() {
	if q share "$2" 're:^\[lost stack'; then
		none "$1" "$Q" "samples without a stack ($(grep -o '[0-9]* stacks lost to a full stack map' "$3" | head -1))"
	else
		fail "$1" "$Q"
	fi
}

need_root accuracy || exit 0
for w in split3 threads2 recurse renamed kernel_split; do
	if [ ! -x "$WL/$w" ]; then
		fail "accuracy.workloads" "$WL/$w missing (make test-binaries)"
		exit 0
	fi
done
RUN=$(date +%s)

# --- split3: one thread, 60/30/10 % over three call paths, profiled from exec to exit ---------
out="$ART/split3.folded" err="$ART/split3.stderr" tf="$ART/split3.truth"
timeout 60 "$PROFD" -F 499 -o "$out" -- "$WL/split3" 9 >"$tf" 2>"$err"
if ran accuracy.split3 $? 0 "$out" "$err"; then
	shares accuracy.split3 "$out" "$tf" split3 work_a work_b work_c
	nolost accuracy.split3.no_lost_stacks "$out" "$err"
	rooted accuracy.split3.rooted "$out" split3 main
	conserved accuracy.split3.samples "$out" "$tf" --comm split3
fi

# --- threads2: two threads, about 80/20 % of the process's samples, profiled by -p -----------
out="$ART/threads2.folded" err="$ART/threads2.stderr" tf="$ART/threads2.truth"
bg "$WL/threads2" 11 >"$tf"
wl=$BG_PID
wait_for 10 exec_done "$wl" threads2
timeout 60 "$PROFD" -F 499 -d 10 -p "$wl" -o "$out" 2>"$err"
rc=$?
wait "$wl"
if ran accuracy.threads2 $rc 0 "$out" "$err"; then
	shares accuracy.threads2 "$out" "$tf" threads2 spin_alpha spin_beta
	nolost accuracy.threads2.no_lost_stacks "$out" "$err"
	# glibc has no symbols here, so start_thread may show as libc.so.6+0x...; the thread's own
	# start routine (alpha_thread, beta_thread) is the root we can name.
	rooted accuracy.threads2.rooted "$out" threads2 \
		start_thread,clone3,__clone,__clone3,alpha_thread,beta_thread
fi

# --- recurse 60: every frame of a 60-deep recursion, down to main -----------------------------
out="$ART/recurse60.folded" err="$ART/recurse60.stderr" tf="$ART/recurse60.truth"
timeout 60 "$PROFD" -F 499 -d 10 -o "$out" -- "$WL/recurse" 60 4 >"$tf" 2>"$err"
if ran accuracy.recurse60 $? 0 "$out" "$err"; then
	shares accuracy.recurse60 "$out" "$tf" recurse rec_leaf
	nolost accuracy.recurse60.no_lost_stacks "$out" "$err"
	recursion_whole accuracy.recurse60 "$out" 60
fi

# --- recurse 200, default --max-stack (127): cut at the root end, marked, and said so ---------
out="$ART/recurse200.folded" err="$ART/recurse200.stderr" tf="$ART/recurse200.truth"
timeout 60 "$PROFD" -F 499 -d 10 -o "$out" -- "$WL/recurse" 200 3 >"$tf" 2>"$err"
if ran accuracy.recurse200 $? 0 "$out" "$err"; then
	if q truncated "$out" --at-root --comm recurse --with rec_leaf; then
		atleast accuracy.recurse200.truncated_at_root "$Q" "$ROOTED_MIN" "% of rec_leaf samples starting with [truncated]"
	else
		fail accuracy.recurse200.truncated_at_root "$Q"
	fi
	# The kept part is the leaf end: rec_leaf is on nearly every sample, main on none.
	shares accuracy.recurse200 "$out" "$tf" recurse rec_leaf
	if q share "$out" main --comm recurse --with rec_leaf; then
		none accuracy.recurse200.no_main "$Q" "rec_leaf samples reaching main through 200 frames at depth 127"
	else
		fail accuracy.recurse200.no_main "$Q"
	fi
	if grep -q 'truncated' "$err"; then
		pass accuracy.recurse200.summary_says_truncated
	else
		fail accuracy.recurse200.summary_says_truncated "stderr: $(tr '\n' ' ' <"$err")"
	fi
fi

# --- recurse 200 with --max-stack 512: whole stack, no marker, sysctl put back -----------------
out="$ART/recurse200_deep.folded" err="$ART/recurse200_deep.stderr" tf="$ART/recurse200_deep.truth"
# Another profiler on the machine (perf, or a test of a sibling checkout) pins the sysctl while it
# runs: wait for none, and try again if one started in between.
busy='cannot raise kernel.perf_event_max_stack'
for try in 1 2 3; do
	wait_for 60 callchains_free
	before=$(cat /proc/sys/kernel/perf_event_max_stack)
	timeout 60 "$PROFD" -F 499 -d 10 --max-stack 512 -o "$out" -- "$WL/recurse" 200 3 >"$tf" 2>"$err"
	rc=$?
	after=$(cat /proc/sys/kernel/perf_event_max_stack)
	said "$err" "$busy" || break
done
if said "$err" "$busy"; then
	skip accuracy.max_stack512 "another profiler kept call chains open through 3 tries: $(grep "$busy" "$err")"
elif ran accuracy.max_stack512 $rc 0 "$out" "$err"; then
	recursion_whole accuracy.max_stack512 "$out" 200
fi
if [ "$before" = "$after" ]; then
	pass accuracy.max_stack512.sysctl_restored
else
	fail accuracy.max_stack512.sysctl_restored "kernel.perf_event_max_stack was $before, is $after after profd exited; stderr: $(tr '\n' ' ' <"$err")"
	echo "$before" >/proc/sys/kernel/perf_event_max_stack
fi

# --- -a: the whole machine, kernel frames included ---------------------------------------------
# Two workloads run from start to end inside the sampled time: split3 (user code) and
# kernel_split (70 % of its CPU in read(), measured by its own clock). Copies with names of
# their own, so that the same workloads run by anyone else on the machine are not counted.
out="$ART/all.folded" err="$ART/all.stderr"
S3="s3-$$" KS="ks-$$"
cp "$WL/split3" "$TMP/$S3" && cp "$WL/kernel_split" "$TMP/$KS"
timeout 90 "$PROFD" -v -a -F 499 -d 60 -o "$out" 2>"$err" &
ap=$!
PIDS="$PIDS $ap"
wait_for 30 said "$err" '^profd: sampling ' || fail accuracy.all "no 'sampling' line from profd -v -a in 30 s"
bg "$TMP/$S3" 6 >"$ART/all_split3.truth"
s3=$BG_PID
"$TMP/$KS" 6 >"$ART/all_kernel_split.truth"
wait "$s3"
kill -INT "$ap"
wait "$ap"
if ran accuracy.all $? 0 "$out" "$err"; then
	want=$(awk '$1 == "truth_kernel_pct" { print $2 }' "$ART/all_kernel_split.truth")
	if q kernel "$out" --comm "$KS"; then
		near accuracy.all.kernel_frames "$Q" "$want" "kernel_split samples with a kernel frame (_[k])"
	else
		fail accuracy.all.kernel_frames "$Q"
	fi
	# Named too: in work_a/b/c.
	conserved accuracy.all.split3 "$out" "$ART/all_split3.truth" --comm "$S3" --with work_a \
		--with work_b --with work_c
fi

# --- -- CMD: profd's exit status follows the command's: 1 when it failed, 0 when it did not -----
timeout 30 "$PROFD" -d 5 -o "$TMP/fail.folded" -- sh -c 'exit 3' 2>"$ART/cmd_fail.stderr"
rc_fail=$?
timeout 30 "$PROFD" -d 5 -o "$TMP/ok.folded" -- sh -c 'exit 0' 2>"$ART/cmd_ok.stderr"
rc_ok=$?
if [ $rc_fail = 1 ] && [ $rc_ok = 0 ]; then
	pass accuracy.cmd.exit_status_follows
else
	fail accuracy.cmd.exit_status_follows "profd -- sh -c 'exit 3' exited $rc_fail (want 1), 'exit 0' exited $rc_ok (want 0): $(tr '\n' ' ' <"$ART/cmd_ok.stderr")"
fi

# A command shorter than one drain window (1 s) is still symbolized: its maps are those of the
# command, not of the profd fork it was before exec.
out="$ART/cmd_short.folded" err="$ART/cmd_short.stderr"
timeout 30 "$PROFD" -F 499 -d 10 -o "$out" -- "$WL/recurse" 60 0.5 >"$ART/cmd_short.truth" 2>"$err"
if ran accuracy.cmd.short_symbolized $? 0 "$out" "$err"; then
	shares accuracy.cmd.short_symbolized "$out" "$ART/cmd_short.truth" recurse rec_leaf
fi

# --- JIT: node --perf-basic-prof names hotJsFunction through /tmp/perf-PID.map ---------------
if ! command -v node >/dev/null 2>&1; then
	missing accuracy.node_jit "node is not installed"
else
	out="$ART/hotjs.folded" err="$ART/hotjs.stderr"
	# --perf-basic-prof also turns on V8's log; keep it out of the working directory.
	timeout 60 "$PROFD" -F 499 -d 10 -o "$out" -- node --perf-basic-prof \
		--logfile="$TMP/v8.log" --no-logfile-per-isolate "$TOP/tests/workloads/hot.js" 3 \
		>"$ART/hotjs.stdout" 2>"$err"
	rc=$?
	# node leaves its perf map behind; remove the one this run made.
	for p in $(sed -n 's/.*exited: \([0-9][0-9]*\) (node).*/\1/p' "$err"); do
		rm -f "/tmp/perf-$p.map"
	done
	if ran accuracy.node_jit $rc 0 "$out" "$err"; then
		if q share "$out" 're:hotJsFunction' --comm node; then
			atleast accuracy.node_jit.hotJsFunction "$Q" 50 "% of node samples in hotJsFunction"
		else
			fail accuracy.node_jit.hotJsFunction "$Q"
		fi
	fi
fi

# --- SVG: a comm of "<svg onload=alert(1)>" is escaped, and the SVG is well-formed ------------
# (not $out: lib.sh's check() assigns that)
svg="$ART/renamed.svg" err="$ART/renamed.stderr"
timeout 60 "$PROFD" -F 199 -d 10 -o "$svg" -- "$WL/renamed" 2 >"$ART/renamed.truth" 2>"$err"
if ran accuracy.svg_escape $? 0 "$svg" "$err"; then
	if ! command -v xmllint >/dev/null 2>&1; then
		missing accuracy.svg_escape.xmllint "xmllint is not installed"
	else
		check accuracy.svg_escape.xmllint xmllint --noout "$svg"
	fi
	grep -qF '<svg onload' "$svg"
	case $? in
	1) pass accuracy.svg_escape.no_raw ;;
	0) fail accuracy.svg_escape.no_raw "raw '<svg onload' in $svg: $(grep -oE '.{0,40}<svg onload.{0,40}' "$svg" | head -1)" ;;
	*) fail accuracy.svg_escape.no_raw "cannot read $svg" ;;
	esac
	if grep -qF '&lt;svg onload' "$svg"; then
		pass accuracy.svg_escape.escaped
	else
		fail accuracy.svg_escape.escaped "'&lt;svg onload' not in $svg (was the comm shown at all?)"
	fi
fi

echo "test_accuracy: $(($(date +%s) - RUN)) s" >&2
