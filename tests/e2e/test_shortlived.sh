#!/bin/sh
# Short-lived processes keep their stacks and names (the kernel's mapping history), under
# profd -a, in one run: a storm of processes living 20-50 ms of CPU each (the shortlived
# workload, exec'd anew each time, most gone before /proc/PID/maps can be read) and a loop of
# ~40 ms gzip runs (Debian's stripped gzip, no frame pointers). Known answers:
# - at least 95 % of the storm's samples whole and named; at least 95 % of those in storm_burn
#   under main;storm_child;storm_burn (the workload's own call chain, from nm of its build);
# - at least 95 % of gzip's samples whole (reaching __libc_start_call_main) and named;
# Samples taken in exec or exit, when the process has no user stack (perf has none either),
# are left out: under load they are a larger share, and there is nothing to walk or name.
# - the summary says how many exited processes were named from the history;
# - code mapped after exec: three node runs of 400 ms of CPU each, most of it in one JIT
#   function, named from node's perf map (--perf-basic-prof) after the process is gone.
# Both workloads are fixed amounts of CPU work, so a loaded machine changes only how long the
# run takes. Outputs stay in tests/artifacts/test_shortlived/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/known_answer.sh"

STORM=${PROFD_STORM:-120} # processes
RUNS=${PROFD_GZIP_RUNS:-80}
MIN=95

need_root shortlived || exit 0
if [ ! -x "$WL/shortlived" ]; then
	fail shortlived "$WL/shortlived missing (make test-binaries)"
	exit 0
fi
for fn in main storm_child storm_burn; do
	if ! nm "$WL/shortlived" | grep -q " T $fn\$"; then
		fail shortlived.oracle "nm finds no $fn in $WL/shortlived"
		exit 0
	fi
done

# named NAME FOLDED COMM WHAT [folded.py named options]: % whole and named >= MIN.
named() {
	name=$1 f=$2 comm=$3 what=$4
	shift 4
	if q named "$f" --comm "$comm" "$@"; then
		atleast "$name" "$Q" "$MIN" "% of $comm samples $what"
	else
		fail "$name" "$Q"
	fi
}

# ~40 ms of gzip -9 CPU time per run.
head -c 300000 /usr/bin/python3.11 >"$TMP/input" 2>/dev/null ||
	head -c 300000 /dev/urandom >"$TMP/input"
out="$ART/storm.folded" err="$ART/storm.stderr"
timeout 600 "$PROFD" -v -a -F 499 -o "$out" 2>"$err" &
ap=$!
PIDS="$PIDS $ap"
if ! wait_for 60 said "$err" '^profd: sampling '; then
	fail shortlived.start "profd did not start sampling: $(tail -n 3 "$err" | tr '\n' ' ')"
	exit 0
fi
# The first processes of a binary new to profd are walked by frame pointers until its table is
# built, and marked [incomplete]: a few of 2,000, but 4 % of a storm this short. A hard link (same
# inode, same table; another name, so another comm) runs first, until the table is there.
if ln "$WL/shortlived" "$TMP/warmup" 2>/dev/null; then
	"$TMP/warmup" 2 >/dev/null
	wait_for 60 said "$err" "cfi: .*/(shortlived|warmup): [0-9]+ rows" ||
		fail shortlived.warmup "no table built for $WL/shortlived"
fi
"$WL/shortlived" "$STORM" >"$ART/storm.truth"
storm_rc=$?
# gzip runs under a name of its own (a hard link), so that gzip run by anyone else on the
# machine does not count; its table built first, by another link, as for the storm: on a loaded
# machine the loop that builds it fell seconds behind, and 5 % of gzip's samples were walked by
# frame pointers. On another file system: gzip itself, warmed on no input (a millisecond).
own_gzip
wait_for 60 said "$err" "cfi: .*/(gzip|gzwarm): [0-9]+ rows" || fail shortlived.gzip_warmup "no table built for gzip"
i=0
while [ $i -lt "$RUNS" ]; do
	"$gzip" -9 -c "$TMP/input" >/dev/null
	i=$((i + 1))
done
# Code mapped after exec: node's JIT code, named by the perf map it writes.
if command -v node >/dev/null; then
	cat >"$TMP/jit.js" <<-'EOF'
		'use strict';
		// Spends 400 ms of CPU in one JIT-compiled function, then exits.
		function jitHotLoop() {
			let x = 1;
			while (process.cpuUsage().user < 400000) {
				for (let i = 0; i < 100000; i++) x = (x * 1103515245 + 12345) % 2147483648;
			}
			return x;
		}
		console.log(jitHotLoop());
	EOF
	# Under a name of its own too: node run by anyone else (another suite's) must not count.
	node=$(command -v node) NODE=node
	ln "$node" "$TMP/node-$$" 2>/dev/null && node="$TMP/node-$$" NODE="node-$$"
	for i in 1 2 3; do
		(cd "$TMP" && "$node" --perf-basic-prof jit.js >/dev/null)
	done
fi
kill -INT $ap
wait $ap
rc=$?
if [ $storm_rc != 0 ] || ! grep -q "^truth children $STORM\$" "$ART/storm.truth"; then
	fail shortlived.workload "shortlived exited $storm_rc: $(cat "$ART/storm.truth")"
fi
ran shortlived.run $rc 0 "$out" "$err" || exit 0

named shortlived.storm.named "$out" shortlived "whole and named" --user-only
if q share "$out" 'storm_burn' --comm shortlived; then
	named shortlived.storm.chain "$out" shortlived "in storm_burn under main;storm_child" \
		--with storm_burn --path 'main;storm_child;storm_burn'
else
	fail shortlived.storm.chain "$Q"
fi
named shortlived.gzip.named "$out" "$GZ" "whole (to __libc_start_call_main) and named" \
	--path __libc_start_call_main --user-only
pat='s/.*; \([0-9]*\) exited processes named from the kernel.s mapping history.*/\1/p'
got=$(sed -n "$pat" "$err")
atleast shortlived.history_used "${got:-none}" 1 "exited processes named from the history"
if command -v node >/dev/null; then
	if q share "$out" 're:jitHotLoop' --comm "$NODE"; then
		atleast shortlived.node.jit_named "$Q" 50 "% of node samples in jitHotLoop, by its perf map"
	else
		fail shortlived.node.jit_named "$Q"
	fi
else
	skip shortlived.node "no node"
fi
