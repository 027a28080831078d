#!/bin/sh
# The stack-copy unwinder (--unwind copy: user stacks copied to profd, unwound with libunwind),
# the reference the in-kernel walker is tested against (test_cfi.sh), on code built -O2 without
# frame pointers: known-answer shares within 3 points of the measured truth, stacks that reach
# main (or the thread start), a C++ hot path through libstdc++, a deep recursion cut at the
# copied stack size and marked, a process that execs, one that maps and unmaps code, a binary
# replaced on disk, a corrupt .eh_frame (no crash); and --unwind fp on the same code as evidence
# the mode matters.
# Workloads are built here from tests/workloads and tests/unwind; outputs stay in
# tests/artifacts/test_unwind/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/known_answer.sh"

TOL=3		# percentage points, measured share vs profd's
ROOTED_MIN=95	# % of a workload's samples whose stack reaches main / the thread start
U="$BUILD/tests/unwind"

need_root unwind || exit 0
RUN=$(date +%s)

# --- build: the spine's known-answer workloads and ours, -O2 without frame pointers ------------
mkdir -p "$U"
if ! { clang $NOFP -pthread -o "$U/split3" "$TOP/tests/workloads/split3.c" &&
	clang $NOFP -pthread -o "$U/threads2" "$TOP/tests/workloads/threads2.c" &&
	clang $NOFP -o "$U/recurse" "$TOP/tests/workloads/recurse.c" &&
	clang $NOFP -o "$U/deep" "$TOP/tests/unwind/deep.c" &&
	clang $NOFP -o "$U/execer" "$TOP/tests/unwind/execer.c" &&
	clang $NOFP -o "$U/dlcycle" "$TOP/tests/unwind/dlcycle.c" -ldl &&
	clang $NOFP -shared -fPIC -o "$U/libdlwork.so" "$TOP/tests/unwind/dlwork.c" &&
	clang++ $NOFP -o "$U/sortcmp" "$TOP/tests/unwind/sortcmp.cpp" &&
	clang -O2 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
		-o "$U/split3fp" "$TOP/tests/workloads/split3.c"; } >"$ART/build.log" 2>&1; then
	fail unwind.build "workloads did not build: $(tail -n 3 "$ART/build.log" | tr '\n' ' ')"
	exit 0
fi
pass unwind.build
# The premise: no frame pointers in the workload (gcc/clang CFI would define the CFA from rbp).
if readelf -wf "$U/split3" 2>/dev/null | grep -q 'DW_CFA_def_cfa_register: r6'; then
	fail unwind.build.no_frame_pointers "$U/split3 sets up frame pointers; the tests below would prove nothing"
else
	pass unwind.build.no_frame_pointers
fi

# --- split3 in copy mode: shares and whole stacks ---------------------------------------------
out="$ART/split3_copy.folded" err="$ART/split3_copy.stderr" tr="$ART/split3_copy.truth"
timeout 60 "$PROFD" --unwind copy -F 499 -d 10 -o "$out" -- "$U/split3" 6 >"$tr" 2>"$err"
if ran unwind.copy.split3.run $? 0 "$out" "$err"; then
	shares unwind.copy.split3 "$out" "$tr" split3 work_a work_b work_c
	rooted unwind.copy.split3.rooted "$out" split3 main
	q rooted "$out" --comm split3 --roots main && copy_rooted=$Q
	if grep -q 'ring buffer full' "$err"; then
		fail unwind.copy.split3.no_loss "$(tail -n 1 "$err")"
	else
		pass unwind.copy.split3.no_loss
	fi
fi

# --- fp mode: whole stacks with frame pointers, almost none without -------------------------
# The control: split3fp keeps frame pointers, so a working --unwind fp reaches main.
out="$ART/split3fp_fp.folded" err="$ART/split3fp_fp.stderr" tr="$ART/split3fp_fp.truth"
timeout 60 "$PROFD" --unwind fp -F 499 -d 10 -o "$out" -- "$U/split3fp" 4 >"$tr" 2>"$err"
fp_rooted=
if ran unwind.fp.split3fp.run $? 0 "$out" "$err"; then
	shares unwind.fp.split3fp "$out" "$tr" split3fp work_a work_b work_c
	rooted unwind.fp.split3fp.rooted "$out" split3fp main
	q rooted "$out" --comm split3fp --roots main && fp_rooted=$Q
fi
out="$ART/split3_fp.folded" err="$ART/split3_fp.stderr" tr="$ART/split3_fp.truth"
timeout 60 "$PROFD" --unwind fp -F 499 -d 10 -o "$out" -- "$U/split3" 4 >"$tr" 2>"$err"
if ran unwind.fp.split3.run $? 0 "$out" "$err" && q rooted "$out" --comm split3 --roots main; then
	echo "fp mode: $Q % of split3 samples reach main, ${fp_rooted:-?} % of split3fp's (copy mode: ${copy_rooted:-?} %)" \
		>"$ART/fp_evidence.txt"
	# Without frame pointers the chain breaks at once (0 % measured); that proves the mode
	# matters only where the same mode reaches main through frame pointers.
	if ! awk -v f="$Q" 'BEGIN { exit !(f < 5) }'; then
		fail unwind.fp.split3.few_reach_main "$Q % reach main in fp mode: is $U/split3 built without frame pointers?"
	elif ! awk -v f="${fp_rooted:-0}" -v m="$ROOTED_MIN" 'BEGIN { exit !(f >= m) }'; then
		fail unwind.fp.split3.few_reach_main "$Q % reach main, but so do only ${fp_rooted:-?} % with frame pointers (split3fp): fp unwinding is broken"
	else
		pass "unwind.fp.split3.few_reach_main ($Q % reach main with --unwind fp, $fp_rooted % with frame pointers, ${copy_rooted:-?} % with copy)"
	fi
fi

# --- the old mode name: dwarf is copy -----------------------------------------------------------
out="$ART/split3_dwarfname.folded" err="$ART/split3_dwarfname.stderr"
timeout 60 "$PROFD" -v --unwind dwarf -F 199 -d 3 -o "$out" -- "$U/split3" 2 >/dev/null 2>"$err"
if ran unwind.dwarf_is_copy.run $? 0 "$out" "$err"; then
	says unwind.dwarf_is_copy "$err" 'user stacks: --unwind copy, 16384-byte stack copies' \
		"-v line 'user stacks: --unwind copy'"
fi

# --- threads2 by -p: two threads, stacks down to their start routines ---------------------------
out="$ART/threads2.folded" err="$ART/threads2.stderr" tr="$ART/threads2.truth"
bg sh -c "exec '$U/threads2' 7 >'$tr'"
wl=$BG_PID
wait_for 10 exec_done "$wl" threads2
timeout 60 "$PROFD" --unwind copy -F 499 -d 6 -p "$wl" -o "$out" 2>"$err"
rc=$?
wait "$wl"
if ran unwind.threads2.run $rc 0 "$out" "$err"; then
	shares unwind.threads2 "$out" "$tr" threads2 spin_alpha spin_beta
	rooted unwind.threads2.rooted "$out" threads2 alpha_thread,beta_thread
fi

# --- recurse 60: every frame ------------------------------------------------------------------
out="$ART/recurse60.folded" err="$ART/recurse60.stderr" tr="$ART/recurse60.truth"
timeout 60 "$PROFD" --unwind copy -F 499 -d 10 -o "$out" -- "$U/recurse" 60 4 >"$tr" 2>"$err"
if ran unwind.recurse60.run $? 0 "$out" "$err"; then
	all_frames unwind.recurse60.all_frames "$out" rec 60 recurse rec_leaf
	rooted unwind.recurse60.rooted "$out" recurse main
fi

# --- C++: std::sort with a comparator, hashing through libstdc++.so ----------------------------
out="$ART/sortcmp.folded" err="$ART/sortcmp.stderr"
timeout 60 "$PROFD" --unwind copy -F 499 -d 10 -o "$out" -- "$U/sortcmp" 4 >"$ART/sortcmp.stdout" 2>"$err"
if ran unwind.sortcmp.run $? 0 "$out" "$err"; then
	rooted unwind.sortcmp.rooted "$out" sortcmp main
	# Samples in libstdc++.so's hash function still reach main, through the sort's frames.
	# (std::sort itself is inlined; its helpers std::__introsort_loop, std::__insertion_sort ...
	# are frames. std::_Hash_bytes has one underscore.)
	if q share "$out" 're:std::__[a-z_]+<' --comm sortcmp --with 're:_Hash_bytes'; then
		atleast unwind.sortcmp.through_std_sort "$Q" "$ROOTED_MIN" "% of _Hash_bytes samples under std::sort's helpers"
	else
		fail unwind.sortcmp.through_std_sort "$Q"
	fi
	rooted unwind.sortcmp.libstdcxx_rooted "$out" sortcmp main --with 're:_Hash_bytes'
	if q share "$out" 're:_Hash_bytes' --comm sortcmp; then
		atleast unwind.sortcmp.hot_in_libstdcxx "$Q" 20 "% of sortcmp samples in std::_Hash_bytes (libstdc++.so)"
	else
		fail unwind.sortcmp.hot_in_libstdcxx "$Q"
	fi
fi

# --- deep recursion: 300 frames of 144 bytes do not fit in 16 KiB -----------------------------
out="$ART/deep300.folded" err="$ART/deep300.stderr" tr="$ART/deep300.truth"
timeout 60 "$PROFD" --unwind copy -F 499 -d 10 -o "$out" -- "$U/deep" 300 3 >"$tr" 2>"$err"
if ran unwind.deep300.run $? 0 "$out" "$err"; then
	if q truncated "$out" --at-root --comm deep --with deep_leaf; then
		atleast unwind.deep300.truncated_at_root "$Q" "$ROOTED_MIN" "% of deep_leaf samples starting with [truncated]"
	else
		fail unwind.deep300.truncated_at_root "$Q"
	fi
	says unwind.deep300.counted "$err" '[0-9]+ stacks truncated at the 16384-byte stack copy' \
		"'N stacks truncated at the 16384-byte stack copy'"
	if q maxdepth "$out" --comm deep && awk -v d="$Q" 'BEGIN { exit !(d > 60 && d < 127) }'; then
		pass "unwind.deep300.kept_leaf_end ($Q frames)"
	else
		fail unwind.deep300.kept_leaf_end "deepest stack $Q frames: want the leaf end of what 16 KiB holds"
	fi
fi
# With room for it (64 KiB, 512 frames) the whole stack is there.
out="$ART/deep300_64k.folded" err="$ART/deep300_64k.stderr" tr="$ART/deep300_64k.truth"
# (--max-stack 512 raises kernel.perf_event_max_stack, refused while another profiler runs;
# profd then keeps the kernel's depth and says so.)
for try in 1 2 3; do
	wait_for 60 callchains_free
	timeout 60 "$PROFD" --unwind copy --stack-size 65536 --max-stack 512 -F 499 -d 10 \
		-o "$out" -- "$U/deep" 300 3 >"$tr" 2>"$err"
	rc=$?
	grep -q 'cannot raise kernel.perf_event_max_stack' "$err" || break
done
if grep -q 'cannot raise kernel.perf_event_max_stack' "$err"; then
	skip unwind.deep300_64k "kernel.perf_event_max_stack stays below 512 while another profiler runs"
elif ran unwind.deep300_64k.run $rc 0 "$out" "$err"; then
	all_frames unwind.deep300_64k.all_frames "$out" deep 300 deep deep_leaf
	rooted unwind.deep300_64k.rooted "$out" deep main
fi

# --- a process that execs another program while sampled ----------------------------------------
out="$ART/execer.folded" err="$ART/execer.stderr"
timeout 60 "$PROFD" --unwind copy -F 499 -d 10 -o "$out" -- "$U/execer" 2 "$U/split3" 2 >"$ART/execer.stdout" 2>"$err"
if ran unwind.exec.run $? 0 "$out" "$err"; then
	rooted unwind.exec.before_rooted "$out" execer main --with before_exec_work
	if q share "$out" before_exec_work --comm execer; then
		atleast unwind.exec.before_named "$Q" 90 "% of the old image's samples named before_exec_work"
	else
		fail unwind.exec.before_named "$Q"
	fi
	rooted unwind.exec.after_rooted "$out" split3 main
fi

# --- a process that maps and unmaps code while sampled -----------------------------------------
out="$ART/dlcycle.folded" err="$ART/dlcycle.stderr"
timeout 60 "$PROFD" --unwind copy -F 499 -d 10 -o "$out" -- "$U/dlcycle" "$U/libdlwork.so" 4 \
	>"$ART/dlcycle.stdout" 2>"$err"
if ran unwind.dlcycle.run $? 0 "$out" "$err"; then
	rooted unwind.dlcycle.rooted "$out" dlcycle main --with dl_spin
fi

# --- a binary replaced on disk while it runs ---------------------------------------------------
cp "$U/split3" "$TMP/victim" && cp "$U/deep" "$TMP/other"
bg sh -c "exec '$TMP/victim' 6 >'$ART/replaced.truth'"
wl=$BG_PID
wait_for 10 exec_done "$wl" victim
mv -f "$TMP/other" "$TMP/victim"
out="$ART/replaced.folded" err="$ART/replaced.stderr"
timeout 60 "$PROFD" --unwind copy -F 499 -d 4 -p "$wl" -o "$out" 2>"$err"
rc=$?
wait "$wl"
if ran unwind.replaced.run $rc 0 "$out" "$err"; then
	rooted unwind.replaced.rooted "$out" victim main
fi

# --- a corrupt .eh_frame: no crash, stacks within the limits -----------------------------------
cp "$U/split3" "$TMP/corrupt"
set -- $(readelf -SW "$TMP/corrupt" | awk '$2 == ".eh_frame" { print $5, $6 }')
if [ -n "${1:-}" ] && python3 - "$TMP/corrupt" "$1" "$2" <<'EOF'
import random, sys
path, off, size = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3], 16)
rng = random.Random(4)
with open(path, "r+b") as f:
    f.seek(off)
    data = bytearray(f.read(size))
    for i in range(8, len(data)):  # keep the first CIE's length: the walk starts
        if rng.random() < 0.3:
            data[i] = rng.randrange(256)
    f.seek(off)
    f.write(data)
EOF
then
	out="$ART/corrupt.folded" err="$ART/corrupt.stderr" tr="$ART/corrupt.truth"
	timeout 60 "$PROFD" --unwind copy -F 499 -d 10 -o "$out" -- "$TMP/corrupt" 3 >"$tr" 2>"$err"
	# Garbage CFI may well read as "end of stack": what matters is bounded work and samples
	# still where the CPU went (the leaf comes from the sampled address, not from the CFI).
	if ran unwind.corrupt_eh_frame.run $? 0 "$out" "$err" && q maxdepth "$out"; then
		atleast unwind.corrupt_eh_frame.bounded "$((2 * 127 + 3 - Q))" 0 "deepest stack $Q frames, over the limits"
		shares unwind.corrupt_eh_frame "$out" "$tr" corrupt work_a work_b work_c
	fi
else
	fail unwind.corrupt_eh_frame "cannot corrupt the .eh_frame of a copy of $U/split3"
fi

# --- the agent with --unwind copy: the same whole stacks, from the store -----------------------
agent_rooted unwind.agent_copy "$U/split3" --unwind copy

echo "test_unwind: $(($(date +%s) - RUN)) s" >&2
