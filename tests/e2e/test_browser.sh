#!/bin/sh
# The page in headless Chromium while profd -a samples known-answer workloads: split3 (work_a
# designed at 60 % of its CPU, three processes of it) and a process named
# "<img src=x onerror=alert(1)>"; then profd serve with two folded files (the diff); then profd
# agent, the history picker over its store. The checks are in browser.mjs; screenshots land in
# tests/artifacts/test_browser/.
. "$(dirname "$0")/lib.sh"

need_root browser || exit 0
need_browser browser || exit 0
SPLIT3="$WL/split3"
[ -x "$SPLIT3" ] || { skip browser "no $SPLIT3 (make test-binaries)"; exit 0; }

rm -f "$ART"/*.png "$ART"/download.folded
"$SPLIT3" 150 >/dev/null &
wl=$!
PIDS="$PIDS $wl"
# Two more, briefly: the picker must group the three under one program.
for _ in 1 2; do
	"$SPLIT3" 3 >/dev/null &
	PIDS="$PIDS $!"
done
# prctl(PR_SET_NAME) renames the thread itself; `exec -a` would only change argv[0].
python3 -c '
import ctypes, time
ctypes.CDLL(None).prctl(15, b"<img src=x onerror=alert(1)>", 0, 0, 0)
end = time.time() + 90
while time.time() < end:
    pass
' &
hostile=$!
PIDS="$PIDS $hostile"

: >"$TMP/srv.err"
"$PROFD" -a --http 127.0.0.1:0 >"$TMP/srv.out" 2>"$TMP/srv.err" &
srv=$!
PIDS="$PIDS $srv"
port=""
for _ in $(seq 100); do
	port=$(sed -n 's|^profd: serving http://.*:\([0-9][0-9]*\)/$|\1|p' "$TMP/srv.err")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { fail browser.start "profd did not serve: $(cat "$TMP/srv.err")"; exit 0; }
base="http://127.0.0.1:$port"

# Enough samples of split3 for a share within the tolerance: ~6 s at 99 Hz; all three copies seen.
n=0
copies=0
for _ in $(seq 60); do
	n=$(curl -s "$base/folded?pid=$wl" | awk '{ s += $NF } END { print s + 0 }')
	copies=$(curl -s "$base/api/targets" | python3 -c 'import json,sys; print(sum(t["comm"] == "split3" for t in json.load(sys.stdin)["targets"]))')
	[ "$n" -ge 600 ] && [ "$copies" -ge 3 ] && break
	sleep 0.5
done
[ "$n" -ge 300 ] || { fail browser.samples "only $n samples of split3 after 30 s"; exit 0; }

MODE=live PW_CORE="$PW_CORE" BASE="$base" ART="$ART" WL_PID=$wl WL_COPIES=$copies HOSTILE_PID=$hostile \
	SHARE=60 TOL=5 timeout 240 node "$TOP/tests/e2e/browser.mjs" >"$TMP/browser.out" 2>"$TMP/browser.err"
rc=$?
cat "$TMP/browser.out"
if [ $rc != 0 ] && ! grep -q '^FAIL ' "$TMP/browser.out"; then
	fail browser.run "node exited $rc: $(tail -5 "$TMP/browser.err" | tr '\n' ' ')"
fi
cp "$TMP/browser.out" "$ART/browser.out"

kill -INT $srv
wait $srv
rc=$?
[ $rc = 0 ] && pass browser.profd_exits_0 || fail browser.profd_exits_0 "exit $rc: $(tail -3 "$TMP/srv.err")"

# ---- profd serve: the diff of two files, labelled with their names; a zoom past the detail ----
printf 'app;main;work_a 60\napp;main;work_b 30\napp;main;work_c 10\n' >"$TMP/a.folded"
printf 'app;main;work_a 20\napp;main;work_b 70\napp;main;work_c 10\n' >"$TMP/b.folded"
awk 'BEGIN { print "big;main;hot 100000"; for (i = 0; i < 2000; i++) printf "big;main;small;leaf%d 1\n", i }' >"$TMP/c.folded"
printf 'cxx;main;long ns::Box<int>::get(long) const 100\n' >"$TMP/d.folded"
: >"$TMP/serve.err" # the background shell may open it after we start reading it
"$PROFD" serve "$TMP/a.folded" "$TMP/b.folded" "$TMP/c.folded" "$TMP/d.folded" --http 127.0.0.1:0 \
	2>"$TMP/serve.err" &
srv=$!
PIDS="$PIDS $srv"
port=""
for _ in $(seq 100); do
	port=$(sed -n 's|^profd: serving http://.*:\([0-9][0-9]*\)/$|\1|p' "$TMP/serve.err")
	[ -n "$port" ] && break
	sleep 0.1
done
if [ -n "$port" ]; then
	MODE=serve PW_CORE="$PW_CORE" BASE="http://127.0.0.1:$port" ART="$ART" FILE_A="$TMP/a.folded" \
		FILE_B="$TMP/b.folded" FILE_C="$TMP/c.folded" FILE_D="$TMP/d.folded" timeout 120 node "$TOP/tests/e2e/browser.mjs" >"$TMP/serve.out" 2>"$TMP/serve.node.err"
	rc=$?
	cat "$TMP/serve.out"
	if [ $rc != 0 ] && ! grep -q '^FAIL ' "$TMP/serve.out"; then
		fail browser.serve.run "node exited $rc: $(tail -5 "$TMP/serve.node.err" | tr '\n' ' ')"
	fi
	cat "$TMP/serve.out" >>"$ART/browser.out"
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
"$PROFD" -p $quiet --http 127.0.0.1:0 2>"$TMP/quiet.err" &
srv=$!
PIDS="$PIDS $srv"
port=""
for _ in $(seq 100); do
	port=$(sed -n 's|^profd: serving http://.*:\([0-9][0-9]*\)/$|\1|p' "$TMP/quiet.err")
	[ -n "$port" ] && break
	sleep 0.1
done
touch "$TMP/go"
# Quiet once it sleeps: the samples stop growing.
for _ in $(seq 60); do
	[ "$(ps -o comm= -p $quiet)" = sleep ] && break
	sleep 0.5
done
# Its samples reach the page with the next window.
n=0
for _ in $(seq 40); do
	n=$(curl -s "http://127.0.0.1:$port/api/profile" | python3 -c 'import json,sys; print(json.load(sys.stdin)["samples"])' 2>/dev/null)
	[ "${n:-0}" -gt 0 ] && break
	sleep 0.25
done
if [ -n "$port" ] && [ "${n:-0}" -gt 0 ]; then
	sleep 2 # the last window with samples is applied
	MODE=quiet PW_CORE="$PW_CORE" BASE="http://127.0.0.1:$port" ART="$ART" timeout 60 \
		node "$TOP/tests/e2e/browser.mjs" >"$TMP/quiet.out" 2>"$TMP/quiet.node.err"
	rc=$?
	cat "$TMP/quiet.out"
	if [ $rc != 0 ] && ! grep -q '^FAIL ' "$TMP/quiet.out"; then
		fail browser.quiet.run "node exited $rc: $(tail -5 "$TMP/quiet.node.err" | tr '\n' ' ')"
	fi
	cat "$TMP/quiet.out" >>"$ART/browser.out"
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
for _ in $(seq 100); do
	grep -q '^ready$' "$TMP/offcpu.out" && break
	sleep 0.1
done
: >"$TMP/offcpu.err"
"$PROFD" --off-cpu -p $offwl --http 127.0.0.1:0 2>"$TMP/offcpu.err" &
srv=$!
PIDS="$PIDS $srv"
port=""
for _ in $(seq 100); do
	port=$(sed -n 's|^profd: serving http://.*:\([0-9][0-9]*\)/$|\1|p' "$TMP/offcpu.err")
	[ -n "$port" ] && break
	sleep 0.1
done
# A few seconds of waits, so that a quarter is a quarter.
us=0
for _ in $(seq 60); do
	us=$(curl -s "http://127.0.0.1:$port/api/profile" | python3 -c 'import json,sys; print(json.load(sys.stdin)["off_cpu_us"])' 2>/dev/null)
	[ "${us:-0}" -ge 12000000 ] && break
	sleep 0.5
done
if [ -n "$port" ] && [ "${us:-0}" -ge 12000000 ]; then
	MODE=offcpu PW_CORE="$PW_CORE" BASE="http://127.0.0.1:$port" ART="$ART" TOL=3 timeout 120 \
		node "$TOP/tests/e2e/browser.mjs" >"$TMP/offcpu.out2" 2>"$TMP/offcpu.node.err"
	rc=$?
	cat "$TMP/offcpu.out2"
	if [ $rc != 0 ] && ! grep -q '^FAIL ' "$TMP/offcpu.out2"; then
		fail browser.offcpu.run "node exited $rc: $(tail -5 "$TMP/offcpu.node.err" | tr '\n' ' ')"
	fi
	cat "$TMP/offcpu.out2" >>"$ART/browser.out"
else
	fail browser.offcpu.start "profd --off-cpu -p did not serve 12 s of waits: $(tail -3 "$TMP/offcpu.err")"
fi
kill -INT $srv
wait $srv
kill $offwl 2>/dev/null

# ---- profd agent: a wall-clock range picked over its store, while split3 still runs ----
APORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PROFD" agent --store "$TMP/store" --window 1 -F 99 --http "127.0.0.1:$APORT" 2>"$TMP/agent.err" &
agent=$!
PIDS="$PIDS $agent"
from_ms=$(($(date +%s%N) / 1000000))
sleep 5
to_ms=$(($(date +%s%N) / 1000000))
if kill -0 "$wl" 2>/dev/null && curl -sf "http://127.0.0.1:$APORT/api/store" >/dev/null; then
	MODE=agent PW_CORE="$PW_CORE" BASE="http://127.0.0.1:$APORT" ART="$ART" WALL_FROM_MS=$from_ms \
		WALL_TO_MS=$to_ms timeout 120 node "$TOP/tests/e2e/browser.mjs" >"$TMP/agent.out" 2>"$TMP/agent.node.err"
	rc=$?
	cat "$TMP/agent.out"
	if [ $rc != 0 ] && ! grep -q '^FAIL ' "$TMP/agent.out"; then
		fail browser.agent.run "node exited $rc: $(tail -5 "$TMP/agent.node.err" | tr '\n' ' ')"
	fi
	cat "$TMP/agent.out" >>"$ART/browser.out"
else
	fail browser.agent.start "split3 gone or the agent does not serve: $(tail -3 "$TMP/agent.err")"
fi
kill -INT $agent
wait $agent
rc=$?
[ $rc = 0 ] && pass browser.agent_exits_0 || fail browser.agent_exits_0 "exit $rc: $(tail -3 "$TMP/agent.err")"
kill "$wl" "$hostile" 2>/dev/null
