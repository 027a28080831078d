#!/bin/sh
# The in-kernel walker (--unwind cfi, the default) on code without frame pointers:
# known-answer workloads built -O2 by gcc and by clang (shares within 1 point of the measured
# truth, at least 99 % of stacks reaching main or the thread start), Debian's own xz, gzip and
# python3 unwound through libc and their libraries, signal-handler frames, PLT stubs, a library
# loaded with dlopen after the start, an exec into a new image under the same pid, 300-deep
# recursion with --max-stack 512, a process profiled by -p, node's JIT frames (perf map) inside
# whole stacks, table memory too small for a file (refused, counted, marked), a loop of short
# gzip runs under profd -a, the walker against the stack-copy unwinder on the same workload
# (every stack's share within 1 point), and the agent's defaults.
# Workloads are built here; outputs stay in tests/artifacts/test_cfi/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/known_answer.sh"

TOL=1		# percentage points, measured share vs profd's
ROOTED_MIN=99	# % of a workload's samples whose stack reaches main / the thread start
U="$BUILD/tests/cfi"
# Many samples, so a share's sampling error stays well inside a point.
HZ=4999
HZ_OTHER=3989 # a second sampler's: shares no period with HZ

# whole NAME FOLDED COMM MIN_FRAMES WANT: % of COMM's stacks walked whole >= WANT.
whole() {
	if q whole "$2" --comm "$3" --min-frames "$4"; then
		atleast "$1" "$Q" "$5" "% of $3 stacks whole (no marker, $4 frames or more)"
	else
		fail "$1" "$Q"
	fi
}

need_root cfi || exit 0
RUN=$(date +%s)

# --- build: known-answer workloads by both compilers, and the walker's own cases ---------------
mkdir -p "$U/gcc" "$U/clang"
if ! {
	for cc in gcc clang; do
		$cc $NOFP -pthread -o "$U/$cc/split3" "$TOP/tests/workloads/split3.c" &&
			$cc $NOFP -pthread -o "$U/$cc/threads2" "$TOP/tests/workloads/threads2.c" &&
			$cc $NOFP -o "$U/$cc/recurse" "$TOP/tests/workloads/recurse.c" || exit 1
	done
	clang $NOFP -o "$U/deep" "$TOP/tests/unwind/deep.c" &&
		clang $NOFP -o "$U/execer" "$TOP/tests/unwind/execer.c" &&
		clang $NOFP -o "$U/dlcycle" "$TOP/tests/unwind/dlcycle.c" -ldl &&
		clang $NOFP -shared -fPIC -o "$U/libdlwork.so" "$TOP/tests/unwind/dlwork.c" &&
		clang $NOFP -o "$U/sigwork" "$TOP/tests/unwind/sigwork.c" &&
		clang $NOFP -shared -fPIC -o "$U/libpltlib.so" "$TOP/tests/unwind/pltlib.c" &&
		clang $NOFP -o "$U/pltwork" "$TOP/tests/unwind/pltwork.c" -L"$U" -lpltlib \
			-Wl,-rpath,"$U"
} >"$ART/build.log" 2>&1; then
	fail cfi.build "workloads did not build: $(tail -n 3 "$ART/build.log" | tr '\n' ' ')"
	exit 0
fi
pass cfi.build
# The premise: no frame pointers (their CFI would define the CFA from rbp).
for cc in gcc clang; do
	if readelf -wf "$U/$cc/split3" 2>/dev/null | grep -q 'DW_CFA_def_cfa_register: r6'; then
		fail cfi.build.$cc.no_frame_pointers "$U/$cc/split3 sets up frame pointers"
	else
		pass cfi.build.$cc.no_frame_pointers
	fi
done

# --- known answers, gcc and clang: shares within a point, stacks whole to main ------------------
for cc in gcc clang; do
	out="$ART/split3_$cc.folded" err="$ART/split3_$cc.stderr" tr="$ART/split3_$cc.truth"
	timeout 60 "$PROFD" -F $HZ -d 10 -o "$out" -- "$U/$cc/split3" 8 >"$tr" 2>"$err"
	if ran cfi.$cc.split3.run $? 0 "$out" "$err"; then
		shares cfi.$cc.split3 "$out" "$tr" split3 work_a work_b work_c
		rooted cfi.$cc.split3.rooted "$out" split3 main
		whole cfi.$cc.split3.whole "$out" split3 5 $ROOTED_MIN
	fi
	out="$ART/recurse_$cc.folded" err="$ART/recurse_$cc.stderr" tr="$ART/recurse_$cc.truth"
	timeout 60 "$PROFD" -F 999 -d 8 -o "$out" -- "$U/$cc/recurse" 60 4 >"$tr" 2>"$err"
	if ran cfi.$cc.recurse60.run $? 0 "$out" "$err"; then
		all_frames cfi.$cc.recurse60.all_frames "$out" rec 60 recurse rec_leaf
	fi
done
# The walker itself ran: a walker the verifier refuses leaves profd copying stacks instead, with
# profiles as right as the walker's, so only its warning tells.
if grep -q 'cannot walk user stacks in the kernel' "$ART/split3_gcc.stderr"; then
	fail cfi.walker_loads "$(grep -m 1 'cannot walk' "$ART/split3_gcc.stderr")"
else
	pass cfi.walker_loads
fi
# Two threads: stacks down to their start routines (the whole run: the truth covers it all).
out="$ART/threads2.folded" err="$ART/threads2.stderr" tr="$ART/threads2.truth"
timeout 60 "$PROFD" -F 1999 -o "$out" -- "$U/gcc/threads2" 6 >"$tr" 2>"$err"
if ran cfi.threads2.run $? 0 "$out" "$err"; then
	shares cfi.threads2 "$out" "$tr" threads2 spin_alpha spin_beta
	rooted cfi.threads2.rooted "$out" threads2 alpha_thread,beta_thread
fi
# A process that was running before profd: its mappings are loaded before the first sample.
bg sh -c "exec '$U/clang/split3' 8 >/dev/null"
wl=$BG_PID
out="$ART/split3_pid.folded" err="$ART/split3_pid.stderr"
timeout 60 "$PROFD" -F 999 -d 5 -p "$wl" -o "$out" 2>"$err"
rc=$?
wait "$wl"
if ran cfi.pid.run $rc 0 "$out" "$err"; then
	rooted cfi.pid.rooted "$out" split3 main
	whole cfi.pid.whole "$out" split3 5 $ROOTED_MIN
fi

# --- Debian's own binaries, through libc and their libraries --------------------------------------
# Whole walks; and of the stacks the symbolizer could name (a process can exit before it maps
# its libraries: naming those from the kernel's mappings is another matter), the share that
# goes through libc's start of main.
head -c 6000000 /usr/bin/python3.11 >"$TMP/input" 2>/dev/null || head -c 6000000 /dev/urandom >"$TMP/input"
out="$ART/xz.folded" err="$ART/xz.stderr"
timeout 60 "$PROFD" -F 999 -d 20 -o "$out" -- sh -c "xz -9 -T1 -c '$TMP/input' >/dev/null" 2>"$err"
if ran cfi.xz.run $? 0 "$out" "$err"; then
	whole cfi.xz.whole "$out" xz 5 $ROOTED_MIN
	rooted cfi.xz.rooted "$out" xz __libc_start_call_main --without '[unknown]'
	rooted cfi.xz.liblzma_rooted "$out" xz __libc_start_call_main --with 're:^liblzma|^lzma_' \
		--without '[unknown]'
fi
out="$ART/gzip.folded" err="$ART/gzip.stderr"
timeout 60 "$PROFD" -F 999 -d 20 -o "$out" -- sh -c \
	"for i in 1 2 3 4; do gzip -9 -c '$TMP/input' >/dev/null; done" 2>"$err"
if ran cfi.gzip.run $? 0 "$out" "$err"; then
	whole cfi.gzip.whole "$out" gzip 5 $ROOTED_MIN
	rooted cfi.gzip.rooted "$out" gzip __libc_start_call_main --without '[unknown]'
fi
# A short command: its file's and its libraries' tables are built before it runs, so it is
# walked whole from its first sample (built after its exec, 1 to 5 % of its stacks were cut).
head -c 3000000 "$TMP/input" >"$TMP/short"
out="$ART/gzip_short.folded" err="$ART/gzip_short.stderr"
timeout 60 "$PROFD" -F 999 -d 20 -o "$out" -- gzip -9 -c "$TMP/short" >/dev/null 2>"$err"
if ran cfi.gzip_short.run $? 0 "$out" "$err"; then
	whole cfi.gzip_short.whole "$out" gzip 5 $ROOTED_MIN
fi
if [ -x /usr/bin/python3 ]; then
	out="$ART/python3.folded" err="$ART/python3.stderr"
	timeout 60 "$PROFD" -F 999 -d 10 -o "$out" -- /usr/bin/python3 "$TOP/tests/unwind/pyloop.py" 3 \
		>/dev/null 2>"$err"
	if ran cfi.python3.run $? 0 "$out" "$err"; then
		whole cfi.python3.whole "$out" python3 5 $ROOTED_MIN
		rooted cfi.python3.rooted "$out" python3 __libc_start_call_main --without '[unknown]'
		rooted cfi.python3.eval_rooted "$out" python3 __libc_start_call_main \
			--with _PyEval_EvalFrameDefault --without '[unknown]'
	fi
else
	skip cfi.python3 "no /usr/bin/python3"
fi

# --- signal handlers: through the kernel's signal frame into the interrupted code --------------
out="$ART/sigwork.folded" err="$ART/sigwork.stderr" tr="$ART/sigwork.truth"
timeout 60 "$PROFD" -F 1999 -d 10 -o "$out" -- "$U/sigwork" 4 >"$tr" 2>"$err"
if ran cfi.signal.run $? 0 "$out" "$err"; then
	rooted cfi.signal.through_frame "$out" sigwork spin_main --with sig_burn
	rooted cfi.signal.rooted "$out" sigwork main --with sig_burn
	# Samples in the handler's own syscall land in the kernel's signal delivery: 2 points.
	TOL=2
	shares cfi.signal "$out" "$tr" sigwork sig_burn
	TOL=1
fi

# --- PLT stubs: samples in the stub itself (GNU ld's CFI expression) -----------------------------
out="$ART/pltwork.folded" err="$ART/pltwork.stderr"
timeout 60 "$PROFD" -F 1999 -d 10 -o "$out" -- "$U/pltwork" 3 >/dev/null 2>"$err"
set -- $(readelf -SW "$U/pltwork" | awk '$2 == ".plt" { print $4, $6 }')
if ran cfi.plt.run $? 0 "$out" "$err" && [ -n "${1:-}" ]; then
	# Unnamed frames are "module+0xOFFSET": the stub's file offsets.
	lo=$((0x$1)) hi=$((0x$1 + 0x$2))
	stub=$(grep -oE 'pltwork\+0x[0-9a-f]+' "$out" | sort -u | while read -r f; do
		o=$((${f#pltwork+})); [ "$o" -ge "$lo" ] && [ "$o" -lt "$hi" ] && echo "$f"; done |
		paste -sd'|')
	if [ -n "$stub" ] && q share "$out" "re:^($(echo "$stub" | sed 's/+/\\+/g'))\$" --comm pltwork; then
		atleast cfi.plt.in_stub "$Q" 5 "% of pltwork samples in its PLT stub"
		rooted cfi.plt.rooted "$out" pltwork main --with "re:^($(echo "$stub" | sed 's/+/\\+/g'))\$"
	else
		fail cfi.plt.in_stub "no sample in the PLT stub ($1 +$2): ${Q:-}"
	fi
fi

# --- a library loaded with dlopen after the start, unloaded, and again ----------------------------
out="$ART/dlcycle.folded" err="$ART/dlcycle.stderr"
timeout 60 "$PROFD" -F 999 -d 10 -o "$out" -- "$U/dlcycle" "$U/libdlwork.so" 4 >/dev/null 2>"$err"
if ran cfi.dlopen.run $? 0 "$out" "$err"; then
	rooted cfi.dlopen.rooted "$out" dlcycle main --with dl_spin
fi

# --- an exec into a new image under the same pid -------------------------------------------------
out="$ART/execer.folded" err="$ART/execer.stderr"
timeout 60 "$PROFD" -F 999 -d 10 -o "$out" -- "$U/execer" 2 "$U/gcc/split3" 2 >/dev/null 2>"$err"
if ran cfi.exec.run $? 0 "$out" "$err"; then
	rooted cfi.exec.before_rooted "$out" execer main --with before_exec_work
	rooted cfi.exec.after_rooted "$out" split3 main
fi

# --- 300 frames deep, with room for 512 -----------------------------------------------------------
out="$ART/deep300.folded" err="$ART/deep300.stderr" tr="$ART/deep300.truth"
# (--max-stack 512 raises kernel.perf_event_max_stack, refused while another profiler runs.)
for try in 1 2 3; do
	timeout 60 "$PROFD" --max-stack 512 -F 999 -d 10 -o "$out" -- "$U/deep" 300 3 >"$tr" 2>"$err"
	rc=$?
	grep -q 'cannot raise kernel.perf_event_max_stack' "$err" || break
	sleep 3
done
if grep -q 'cannot raise kernel.perf_event_max_stack' "$err"; then
	skip cfi.deep300 "kernel.perf_event_max_stack stays below 512 while another profiler runs"
elif ran cfi.deep300.run $rc 0 "$out" "$err"; then
	all_frames cfi.deep300.all_frames "$out" deep 300 deep deep_leaf
	rooted cfi.deep300.rooted "$out" deep main --with deep_leaf
fi

# --- JIT frames (node --perf-basic-prof) inside whole stacks --------------------------------------
if command -v node >/dev/null; then
	out="$ART/node.folded" err="$ART/node.stderr"
	timeout 60 "$PROFD" -F 999 -d 10 -o "$out" -- node --perf-basic-prof \
		--logfile="$TMP/v8.log" --no-logfile-per-isolate "$TOP/tests/workloads/hot.js" 3 \
		>/dev/null 2>"$err"
	if ran cfi.node.run $? 0 "$out" "$err"; then
		if q share "$out" 're:hotJsFunction' --comm node; then
			atleast cfi.node.jit_named "$Q" 50 "% of node samples in the JIT frame"
		else
			fail cfi.node.jit_named "$Q"
		fi
		rooted cfi.node.jit_rooted "$out" node __libc_start_call_main --with 're:hotJsFunction'
	fi
	# Table memory too small for node's table: refused, counted, and its stacks marked.
	out="$ART/node_1m.folded" err="$ART/node_1m.stderr"
	timeout 60 "$PROFD" --unwind-memory 1M -F 499 -d 10 -o "$out" -- node \
		"$TOP/tests/workloads/hot.js" 2 >/dev/null 2>"$err"
	if ran cfi.memory_bound.run $? 0 "$out" "$err"; then
		says cfi.memory_bound.counted "$err" 'through a file without its table \([1-9][0-9]* refused for room\)' \
			"'N through a file without its table (N refused for room)'"
		if q whole "$out" --comm node; then
			atleast cfi.memory_bound.marked "$((100 - ${Q%.*}))" 50 "% of node stacks marked [incomplete]"
		else
			fail cfi.memory_bound.marked "$Q"
		fi
	fi
else
	skip cfi.node "no node"
fi

# --- short-lived processes: 40 ms gzip runs under profd -a ---------------------------------------
head -c 600000 "$TMP/input" >"$TMP/small"
out="$ART/gzip_loop.folded" err="$ART/gzip_loop.stderr"
timeout 120 "$PROFD" -v -a -F 999 -d 90 -o "$out" 2>"$err" &
ap=$!
wait_for 30 said "$err" '^profd: sampling ' || fail cfi.gzip_loop.start "profd did not start sampling"
# gzip under a name of its own (a hard link), so that anyone else's gzip does not count, and
# its table built first through another link: a loaded machine built it seconds late, and the
# runs before it were walked by frame pointers. On another file system: gzip itself.
own_gzip
wait_for 30 said "$err" "cfi: .*/(gzip|gzwarm): [0-9]+ rows" || fail cfi.gzip_loop.warmup "no table built for gzip"
end=$(($(date +%s) + 10))
runs=0
while [ "$(date +%s)" -lt $end ]; do
	"$gzip" -9 -c "$TMP/small" >/dev/null
	runs=$((runs + 1))
done
kill -INT $ap
wait $ap
if ran cfi.gzip_loop.run $? 0 "$out" "$err"; then
	echo "gzip runs: $runs" >"$ART/gzip_loop.runs"
	# A whole gzip stack has _start, __libc_start_main, __libc_start_call_main, main and more.
	whole cfi.gzip_loop.whole "$out" "$GZ" 5 95
fi

# --- the walker against the stack-copy unwinder on the same run: every stack's share -----------
# Both sample one process at once, so the load on the machine shapes both alike. At one
# frequency their timers lock in phase and the one started second samples just after the
# other's handler, moving 1 to 2.5 points into the system call that follows (cfi against cfi
# too); at two frequencies that share no period, two cfi samplers agreed within 0.2 points.
# Both see the same run of split3, stopped until both sample and stopped again before both end:
# with -d each, a loaded machine started them seconds apart, and the two windows held
# different phases of split3 (1.7 points apart on work_c).
bg sh -c "exec '$U/clang/split3' 60 >/dev/null"
wl=$BG_PID
# In its loop, not just exec'd: stopped while ld.so mapped libc, the copy unwinder's snapshot
# of the mappings lacked libc, and 80 % of its stacks stopped at main.
wait_for 30 had_cpu "$wl" 100
kill -STOP "$wl"
timeout 120 "$PROFD" -v --unwind cfi -F $HZ -p "$wl" -o "$ART/diff_cfi.folded" \
	2>"$ART/diff_cfi.stderr" &
pid_cfi=$!
timeout 120 "$PROFD" -v --unwind copy -F $HZ_OTHER -p "$wl" -o "$ART/diff_copy.folded" \
	2>"$ART/diff_copy.stderr" &
pid_copy=$!
wait_for 30 said "$ART/diff_cfi.stderr" '^profd: sampling ' &&
	wait_for 30 said "$ART/diff_copy.stderr" '^profd: sampling '
cpu0=$(cpu_ms "$wl")
kill -CONT "$wl"
wait_for 60 had_cpu "$wl" $((${cpu0:-0} + 3000)) # 3 s of split3: about 15000 and 12000 samples
kill -STOP "$wl"
kill -INT "$pid_cfi" "$pid_copy"
wait "$pid_cfi"
rc_cfi=$?
wait "$pid_copy"
rc_copy=$?
kill "$wl"
kill -CONT "$wl"
wait "$wl"
if ran cfi.differential.cfi.run $rc_cfi 0 "$ART/diff_cfi.folded" "$ART/diff_cfi.stderr" &&
	ran cfi.differential.copy.run $rc_copy 0 "$ART/diff_copy.folded" "$ART/diff_copy.stderr" &&
	q diff "$ART/diff_cfi.folded" "$ART/diff_copy.folded" --comm split3 --min-share 0.5; then
	set -- $Q
	if awk -v d="$1" 'BEGIN { exit !(d <= 1) }'; then
		pass "cfi.differential.shares (largest difference $1 points)"
	else
		fail cfi.differential.shares "stack $2: $1 points apart between cfi and copy"
	fi
fi

# --- the agent's defaults: whole stacks in the store ---------------------------------------------
agent_rooted cfi.agent "$U/clang/split3"

echo "test_cfi: $(($(date +%s) - RUN)) s" >&2
