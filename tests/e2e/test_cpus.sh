#!/bin/sh
# -C: only the listed CPUs are sampled. Two busy processes, each pinned to a CPU of its own (a
# hard link of yes under a name of its own); profiling one CPU sees the process pinned there and
# never the other, which its affinity keeps off that CPU. Then the other way round.
. "$(dirname "$0")/lib.sh"

need_root cpus || exit 0
if [ "$(nproc)" -lt 2 ]; then
	skip cpus "needs two CPUs"
	exit 0
fi
yes=$(command -v yes)
for n in 0 1; do
	ln "$yes" "$TMP/pinned$n" 2>/dev/null || cp "$yes" "$TMP/pinned$n"
	bg taskset -c $n "$TMP/pinned$n" >/dev/null
	eval "pid$n=\$BG_PID"
done
if ! wait_for 20 had_cpu "$pid0" 50 || ! wait_for 20 had_cpu "$pid1" 50; then
	fail cpus.setup "the pinned processes did not run"
	exit 0
fi

# on CPU OTHER: profd -a -C CPU sees pinnedCPU and never pinnedOTHER.
on() {
	cpu=$1 other=$2
	if ! "$PROFD" -a -C "$cpu" -d 2 -o "$TMP/c$cpu.folded" 2>"$TMP/c$cpu.err"; then
		fail "cpus.run_$cpu" "profd -a -C $cpu failed: $(tail -n 1 "$TMP/c$cpu.err")"
		return
	fi
	cp "$TMP/c$cpu.folded" "$ART/c$cpu.folded"
	mine=$(grep -c "^pinned$cpu;" "$TMP/c$cpu.folded")
	theirs=$(grep -c "^pinned$other;" "$TMP/c$cpu.folded")
	if [ "$mine" -gt 0 ]; then
		pass "cpus.listed_$cpu"
	else
		fail "cpus.listed_$cpu" "no sample of pinned$cpu, pinned to CPU $cpu"
	fi
	if [ "$theirs" = 0 ]; then
		pass "cpus.unlisted_$cpu"
	else
		fail "cpus.unlisted_$cpu" "$theirs stacks of pinned$other, pinned to CPU $other"
	fi
}
on 0 1
on 1 0
