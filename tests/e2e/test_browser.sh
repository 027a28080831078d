#!/bin/sh
# The page in headless Chromium while profd -a samples known-answer workloads: split3 (work_a
# designed at 60 % of its CPU, three processes of it) and a process named
# "<img src=x onerror=alert(1)>"; then profd serve with two folded files (the diff); then profd
# -p of a process gone quiet; then profd agent, the history picker over its store. The checks
# are in browser.mjs; screenshots land in tests/artifacts/test_browser/.
. "$(dirname "$0")/lib.sh"

need_root browser || exit 0
need_browser browser || exit 0
SPLIT3="$WL/split3"
[ -x "$SPLIT3" ] || { fail browser "no $SPLIT3 (make test-binaries)"; exit 0; }

# port_of FILE: the port profd said it serves on, in its stderr FILE
port_of() { sed -n 's|^profd: serving http://.*:\([0-9][0-9]*\)/$|\1|p' "$1"; }

# browse NAME SECONDS VAR=VALUE...: runs browser.mjs, whose checks print the PASS and FAIL lines,
# with PW_CORE, ART and the variables given. Its lines are printed and kept in $ART/browser.out;
# a node that ends badly without a FAIL line is a FAIL of NAME.run.
browse() {
	b_name=$1 b_secs=$2
	shift 2
	env PW_CORE="$PW_CORE" ART="$ART" "$@" timeout "$b_secs" node "$TOP/tests/e2e/browser.mjs" \
		>"$TMP/$b_name.out" 2>"$TMP/$b_name.node.err"
	b_rc=$?
	cat "$TMP/$b_name.out"
	if [ $b_rc != 0 ] && ! grep -q '^FAIL ' "$TMP/$b_name.out"; then
		fail "$b_name.run" "node exited $b_rc: $(tail -5 "$TMP/$b_name.node.err" | tr '\n' ' ')"
	fi
	cat "$TMP/$b_name.out" >>"$ART/browser.out"
}

rm -f "$ART"/*.png "$ART"/download.folded
: >"$ART/browser.out"
"$SPLIT3" 150 >/dev/null &
wl=$!
PIDS="$PIDS $wl"
# prctl(PR_SET_NAME) renames the thread itself; `exec -a` would only change argv[0].
python3 -c '
import ctypes, time
ctypes.CDLL(None).prctl(15, b"<img src=x onerror=alert(1)>", 0, 0, 0)
while True:  # until the test is done with it
    pass
' &
hostile=$!
PIDS="$PIDS $hostile"
# Renamed before profd starts, so every sample of it carries the hostile name (the kernel keeps
# 15 bytes of it); python's start can take seconds on a loaded machine.
wait_for 60 exec_done $hostile '<img src=x oner' ||
	{ fail browser.hostile "the python process did not rename itself in 60 s"; exit 0; }

: >"$TMP/srv.err" # the background shell may open it after we start reading it
"$PROFD" -v -a --http 127.0.0.1:0 -o "$TMP/browser.folded" >"$TMP/srv.out" 2>"$TMP/srv.err" &
srv=$!
PIDS="$PIDS $srv"
wait_for 20 said "$TMP/srv.err" '^profd: serving http://'
port=$(port_of "$TMP/srv.err")
[ -n "$port" ] || { fail browser.start "profd did not serve: $(cat "$TMP/srv.err")"; exit 0; }
base="http://127.0.0.1:$port"
# Two more copies, brief, once profd samples (-v says when): the picker must group the three under one program.
wait_for 30 said "$TMP/srv.err" '^profd: sampling '
cpu0=$(cpu_ms $wl)
for _ in 1 2; do
	"$SPLIT3" 1 >/dev/null &
	PIDS="$PIDS $!"
done

# Enough samples of split3 for a share within the tolerance: 600 at 99 Hz are 6.1 s of its CPU,
# however long a loaded machine takes to give it them; and all three copies seen.
# ready N COPIES: the page has N samples of split3's first copy and COPIES copies of it, and
# samples of the hostile process
ready() {
	[ "$(curl -s "$base/folded?pid=$wl" | awk '{ s += $NF } END { print s + 0 }')" -ge "$1" ] &&
		[ "$(curl -s "$base/folded?pid=$hostile" | awk '{ s += $NF } END { print s + 0 }')" -ge 10 ] &&
		[ "$(curl -s "$base/api/targets" | python3 -c 'import json,sys; print(sum(t["comm"] == "split3" for t in json.load(sys.stdin)["targets"]))')" -ge "$2" ]
}
if ! wait_for 600 had_cpu $wl $((${cpu0:-0} + 6600)); then
	fail browser.samples "split3 did not get 6.6 s of CPU in 600 s"
	exit 0
fi
wait_for 30 ready 600 3 || {
	fail browser.samples "for 6.6 s of split3's CPU at 99 Hz, want 600 samples of it, 3 copies and 10 samples of the hostile process: $(curl -s "$base/folded?pid=$wl" | awk '{ s += $NF } END { print s + 0 }') samples, $(curl -s "$base/folded?pid=$hostile" | awk '{ s += $NF } END { print s + 0 }') of the hostile process"
	exit 0
}

browse browser 240 MODE=live BASE="$base" WL_PID=$wl WL_COPIES=3 HOSTILE_PID=$hostile SHARE=60 TOL=5

# Ctrl-C: exit 0, and the -o file holds split3 with work_a at its designed share.
kill -INT $srv
wait $srv
rc=$?
got=$(python3 "$TOP/tests/e2e/folded.py" share "$TMP/browser.folded" work_a --comm split3 2>&1)
if [ $rc = 0 ] && awk -v g="$got" 'BEGIN { d = g - 60; if (d < 0) d = -d; exit !(g ~ /^[0-9.]+$/ && d <= 5) }'; then
	pass browser.ctrl_c_writes_output
else
	fail browser.ctrl_c_writes_output "exit $rc; work_a '$got'% of split3 in -o, want 60 ± 5: $(tail -3 "$TMP/srv.err" | tr '\n' ' ')"
fi

# ---- profd serve: the diff of two files, labelled with their names; a zoom past the detail ----
printf 'app;main;work_a 60\napp;main;work_b 30\napp;main;work_c 10\n' >"$TMP/a.folded"
printf 'app;main;work_a 20\napp;main;work_b 70\napp;main;work_c 10\n' >"$TMP/b.folded"
awk 'BEGIN { print "big;main;hot 100000"; for (i = 0; i < 2000; i++) printf "big;main;small;leaf%d 1\n", i }' >"$TMP/c.folded"
printf 'cxx;main;long ns::Box<int>::get(long) const 100\n' >"$TMP/d.folded"
: >"$TMP/serve.err"
"$PROFD" serve "$TMP/a.folded" "$TMP/b.folded" "$TMP/c.folded" "$TMP/d.folded" --http 127.0.0.1:0 \
	2>"$TMP/serve.err" &
srv=$!
PIDS="$PIDS $srv"
wait_for 20 said "$TMP/serve.err" '^profd: serving http://'
port=$(port_of "$TMP/serve.err")
if [ -n "$port" ]; then
	browse browser.serve 120 MODE=serve BASE="http://127.0.0.1:$port" FILE_A="$TMP/a.folded" \
		FILE_B="$TMP/b.folded" FILE_C="$TMP/c.folded" FILE_D="$TMP/d.folded"
else
	fail browser.serve.start "profd serve did not serve: $(cat "$TMP/serve.err")"
fi
kill -INT $srv
wait $srv

# ---- profd -p of a process that burns CPU for a moment, once profd samples it, then sleeps ----
sh -c 'while [ ! -e "$1" ]; do sleep 0.1; done; i=0; while [ $i -lt 200000 ]; do i=$((i + 1)); done
exec sleep 60' quiet "$TMP/go" &
quiet=$!
PIDS="$PIDS $quiet"
: >"$TMP/quiet.err"
"$PROFD" -v -p $quiet --http 127.0.0.1:0 2>"$TMP/quiet.err" &
srv=$!
PIDS="$PIDS $srv"
wait_for 20 said "$TMP/quiet.err" '^profd: serving http://'
port=$(port_of "$TMP/quiet.err")
# status FIELD: a number from the page's /api/profile
status() { curl -s "http://127.0.0.1:$port/api/profile" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" 2>/dev/null; }
# applied_since ELAPSED: the page has applied two whole windows after ELAPSED and has samples
applied_since() {
	python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(not (d["samples"] > 0 and d["elapsed_s"] >= float(sys.argv[1]) + 2 * d["window_s"]))' "$1" \
		<<EOF 2>/dev/null
$(curl -s "http://127.0.0.1:$port/api/profile")
EOF
}
quiet_since=""
if [ -n "$port" ] && wait_for 30 said "$TMP/quiet.err" '^profd: sampling '; then
	touch "$TMP/go"
	# Quiet once it sleeps; every sample it had is on the page two windows later.
	wait_for 60 exec_done $quiet sleep && quiet_since=$(status elapsed_s)
fi
if [ -n "$quiet_since" ] && wait_for 30 applied_since "$quiet_since"; then
	browse browser.quiet 60 MODE=quiet BASE="http://127.0.0.1:$port"
else
	fail browser.quiet.start "profd -p did not serve samples of a busy-then-quiet process: $(tail -3 "$TMP/quiet.err")"
fi
kill -INT $srv
wait $srv
kill $quiet 2>/dev/null

# ---- profd --off-cpu -p of four waiting threads and a burner: the measure picker ----
OFFCPU="$WL/offcpu"
"$OFFCPU" 60 >"$TMP/offcpu.out" &
offwl=$!
PIDS="$PIDS $offwl"
wait_for 10 said "$TMP/offcpu.out" '^ready$'
: >"$TMP/offcpu.err"
"$PROFD" --off-cpu -p $offwl --http 127.0.0.1:0 2>"$TMP/offcpu.err" &
srv=$!
PIDS="$PIDS $srv"
wait_for 10 said "$TMP/offcpu.err" '^profd: serving http://'
port=$(port_of "$TMP/offcpu.err")
# waited US: the page has US microseconds off CPU (a few seconds of waits, so a quarter is a quarter)
waited() {
	[ "$(curl -s "http://127.0.0.1:$port/api/profile" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["off_cpu_us"])' 2>/dev/null)" -ge "$1" ] 2>/dev/null
}
if [ -n "$port" ] && wait_for 30 waited 12000000; then
	browse browser.offcpu 120 MODE=offcpu BASE="http://127.0.0.1:$port" TOL=3
else
	fail browser.offcpu.start "profd --off-cpu -p did not serve 12 s of waits: $(tail -3 "$TMP/offcpu.err")"
fi
kill -INT $srv
wait $srv
kill $offwl 2>/dev/null

# ---- profd agent: a wall-clock range picked over its store, while split3 still runs ----
APORT=$(freeport)
# split3 alone, at 499 Hz: enough of its samples in a 5 s range for its share, small windows.
"$PROFD" agent --store "$TMP/store" --window 1 -F 499 -p "$wl" --http "127.0.0.1:$APORT" \
	2>"$TMP/agent.err" &
agent=$!
PIDS="$PIDS $agent"
wait_for 30 said "$TMP/agent.err" '^profd: agent: sampling '
# The range: 5 s from now (whole seconds). The page and the link must read the same windows, so
# wait until a window ending a second past the range's rounded-up end is on disk.
from_ms=$(($(date +%s%N) / 1000000))
to_ms=$((from_ms + 5000))
# stored_past MS: the store's last window ends after MS
stored_past() {
	curl -sf "http://127.0.0.1:$APORT/api/store" >"$TMP/store.json" &&
		python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["last_ns"] < int(sys.argv[2]) * 1000000)' \
			"$TMP/store.json" "$1"
}
wait_for 30 stored_past $(((to_ms / 1000 + 2) * 1000))
if kill -0 "$wl" 2>/dev/null && [ -s "$TMP/store.json" ]; then
	browse browser.agent 120 MODE=agent BASE="http://127.0.0.1:$APORT" WALL_FROM_MS=$from_ms \
		WALL_TO_MS=$to_ms SHARE=60 TOL=5
else
	fail browser.agent.start "split3 gone or the agent does not serve: $(tail -3 "$TMP/agent.err")"
fi
# Ctrl-C: exit 0, and the store on disk is what the agent's summary says.
kill -INT $agent
wait $agent
rc=$?
n=$(ls "$TMP/store" | grep -cE '^[0-9]+-[0-9]+\.pb\.zst$')
if [ $rc = 0 ] && grep -q "agent: [0-9]* windows written, 0 failed, $n in the store" "$TMP/agent.err"; then
	pass browser.agent_ctrl_c_store_whole
else
	fail browser.agent_ctrl_c_store_whole "exit $rc, $n windows on disk: $(tail -2 "$TMP/agent.err" | tr '\n' ' ')"
fi
kill "$wl" "$hostile" 2>/dev/null
