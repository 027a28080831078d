#!/bin/sh
# The page in headless Chromium while profd -a samples known-answer workloads: split3 (work_a
# designed at 60 % of its CPU) and a process named "<img src=x onerror=alert(1)>"; then against
# profd agent, the history picker over its store. The checks are in browser.mjs; screenshots
# land in tests/artifacts/test_browser/.
. "$(dirname "$0")/lib.sh"

need_root browser || exit 0
CHROMIUM=/usr/bin/chromium
PW_CORE="$TOP/build/node/node_modules/playwright-core"
[ -x "$CHROMIUM" ] || { missing browser "no $CHROMIUM (Debian's chromium)"; exit 0; }
command -v node >/dev/null 2>&1 || { missing browser "no node (nodejs)"; exit 0; }
if [ ! -f "$PW_CORE/package.json" ]; then
	mkdir -p "$TOP/build/node"
	npm install --silent --no-audit --no-fund --prefix "$TOP/build/node" playwright-core@1 >/dev/null 2>&1
fi
[ -f "$PW_CORE/package.json" ] || { missing browser "playwright-core is not installed"; exit 0; }
SPLIT3="$WL/split3"
[ -x "$SPLIT3" ] || { fail browser "no $SPLIT3 (make test-binaries)"; exit 0; }

rm -f "$ART"/*.png "$ART"/download.folded
"$SPLIT3" 150 >/dev/null &
wl=$!
PIDS="$PIDS $wl"
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

# Enough samples of split3 for a share within the tolerance: ~6 s at 99 Hz.
n=0
for _ in $(seq 60); do
	n=$(curl -s "$base/folded?pid=$wl" | awk '{ s += $NF } END { print s + 0 }')
	[ "$n" -ge 600 ] && break
	sleep 0.5
done
[ "$n" -ge 300 ] || { fail browser.samples "only $n samples of split3 after 30 s"; exit 0; }

PW_CORE="$PW_CORE" BASE="$base" ART="$ART" WL_PID=$wl HOSTILE_PID=$hostile SHARE=60 TOL=5 \
	timeout 180 node "$TOP/tests/e2e/browser.mjs" >"$TMP/browser.out" 2>"$TMP/browser.err"
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

# ---- profd agent: a wall-clock range picked over its store, while split3 still runs ----
APORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PROFD" agent --store "$TMP/store" --window 1 -F 99 --http "127.0.0.1:$APORT" 2>"$TMP/agent.err" &
agent=$!
PIDS="$PIDS $agent"
from_ms=$(($(date +%s%N) / 1000000))
sleep 5
to_ms=$(($(date +%s%N) / 1000000))
if kill -0 "$wl" 2>/dev/null && curl -sf "http://127.0.0.1:$APORT/api/store" >/dev/null; then
	PW_CORE="$PW_CORE" BASE="http://127.0.0.1:$APORT" ART="$ART" AGENT=1 WALL_FROM_MS=$from_ms \
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
