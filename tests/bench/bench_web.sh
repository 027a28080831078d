#!/bin/bash
# The web server under load while profd -a samples at 99 Hz: wrk against /flamegraph.svg and
# /api/top at once for DURATION seconds (default 30). Prints requests per second and p50/p99
# latency per endpoint, profd's peak RSS and CPU, and the samples lost during the load.
. "$(dirname "$0")/lib.sh"
DURATION=${DURATION:-30}
CONNS=${CONNS:-8}

command -v wrk >/dev/null || { echo "wrk missing (make deps installs it)"; exit 1; }
clang -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -o "$BT/split3" \
	"$TOP/tests/workloads/split3.c"

"$BT/split3" $((DURATION + 20)) >/dev/null &
wl=$!
"$PROFD" -a -F 99 --http 127.0.0.1:0 2>"$TMP/srv.err" &
srv=$!
trap 'kill $wl $srv 2>/dev/null; rm -rf "$TMP"' EXIT
port=""
for _ in $(seq 100); do
	port=$(sed -n 's|^profd: serving http://.*:\([0-9][0-9]*\)/$|\1|p' "$TMP/srv.err")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "profd did not start: $(cat "$TMP/srv.err")"; exit 1; }
base="http://127.0.0.1:$port"
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
status() { curl -s "$base/api/profile"; }

# Ten quiet seconds first: the loss and memory of sampling alone, to compare with the load.
sleep 2
q0=$(status)
sleep 10
q1=$(status)
rss_quiet=$(peak_rss_mib "$srv")
qsecs=$(echo "$(echo "$q1" | field elapsed_s) - $(echo "$q0" | field elapsed_s)" | bc -l)

s0=$(status)
samples0=$(echo "$s0" | field samples)
lost0=$(echo "$s0" | field lost)
el0=$(echo "$s0" | field elapsed_s)
c0=$(cpu_seconds "$srv")
svg_bytes=$(curl -s "$base/flamegraph.svg" | wc -c)
top_bytes=$(curl -s "$base/api/top" | wc -c)

wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$base/flamegraph.svg" >"$TMP/svg.txt" 2>&1 &
w1=$!
wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency "$base/api/top" >"$TMP/top.txt" 2>&1 &
w2=$!
wait $w1 $w2

c1=$(cpu_seconds "$srv")
s1=$(status)
samples1=$(echo "$s1" | field samples)
lost1=$(echo "$s1" | field lost)
el1=$(echo "$s1" | field elapsed_s)
rss=$(peak_rss_mib "$srv")
alive=yes
curl -sf "$base/healthz" >/dev/null || alive=no
kill -INT $srv
wait $srv 2>/dev/null
rc=$?

# wrk: "Requests/sec: N", latency distribution lines "50% 1.23ms" / "99% 4.56ms", errors.
summary() {
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$1")
	p50=$(awk '$1 == "50%" { print $2 }' "$1")
	p99=$(awk '$1 == "99%" { print $2 }' "$1")
	reqs=$(awk '/requests in/ { print $1 }' "$1")
	errs=$(awk '/Non-2xx|Socket errors/ { printf "%s ", $0 }' "$1")
	printf '%-16s %10s %10s %10s %10s  %s\n' "$2" "$rps" "$p50" "$p99" "$reqs" "${errs:-no errors}"
}

echo "profd -a -F 99 with split3 running; wrk -t1 -c$CONNS for ${DURATION} s on each endpoint at once"
printf 'sampling before the load: %d samples in %.1f s, %d lost; peak RSS %s MiB\n' \
	"$(($(echo "$q1" | field samples) - $(echo "$q0" | field samples)))" "$qsecs" \
	"$(($(echo "$q1" | field lost) - $(echo "$q0" | field lost)))" "$rss_quiet"
echo "response sizes: /flamegraph.svg $svg_bytes bytes, /api/top $top_bytes bytes"
printf '%-16s %10s %10s %10s %10s  %s\n' endpoint req/s p50 p99 requests errors
summary "$TMP/svg.txt" /flamegraph.svg
summary "$TMP/top.txt" /api/top
secs=$(echo "$el1 - $el0" | bc -l)
printf 'sampling during the load: %d samples in %.1f s (%.0f/s), %d lost\n' \
	"$((samples1 - samples0))" "$secs" "$(echo "($samples1 - $samples0) / $secs" | bc -l)" \
	"$((lost1 - lost0))"
printf 'profd: peak RSS %s MiB, CPU %.2f s per s during the load, /healthz after: %s, exit %d\n' \
	"$rss" "$(echo "($c1 - $c0) / $DURATION" | bc -l)" "$alive" "$rc"
