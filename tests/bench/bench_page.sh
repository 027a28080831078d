#!/bin/bash
# The page at fleet scale (tests/bench/bench_page.mjs, headless Chromium):
# - a 100,000-stack whole-machine profile (tests/bench/page_profile.c: 60 programs, about 4,600
#   processes) served by `profd serve`: time from navigation to the first drawn graph, server
#   included, and bytes transferred; beside it, the standalone SVG of the same profile;
# - a live page (`profd -a --http`, split3 running) left open SECONDS (default 20): the share of
#   the time the browser's main thread was busy.
# Prints figures; targets: first graph <= 1 s, <= 3 MB, live page <= 2 % busy.
. "$(dirname "$0")/lib.sh"
STACKS=${STACKS:-100000}
SECONDS_OPEN=${SECONDS_OPEN:-20}
PW_CORE="$TOP/build/node/node_modules/playwright-core"
[ -x /usr/bin/chromium ] && [ -f "$PW_CORE/package.json" ] ||
	{ echo "chromium or playwright-core missing (make deps installs them)"; exit 1; }

make -s -C "$TOP" build/libformats.a build/libcommon.a
gcc -O2 -std=gnu11 -D_GNU_SOURCE -I"$TOP" -o "$BT/page_profile" "$TOP/tests/bench/page_profile.c" \
	"$TOP/build/libformats.a" "$TOP/build/libcommon.a" -lz -lm
"$BT/page_profile" "$TMP/page.pb.gz" "$STACKS" >"$TMP/gen.txt"

# serve PROFD-ARGS...: starts profd with --http on a free port; sets SRV and BASE.
serve() {
	: >"$TMP/srv.err"
	"$PROFD" "$@" --http 127.0.0.1:0 2>"$TMP/srv.err" &
	SRV=$!
	port=""
	for _ in $(seq 600); do
		port=$(sed -n 's|^profd: serving http://.*:\([0-9][0-9]*\)/$|\1|p' "$TMP/srv.err")
		[ -n "$port" ] && break
		kill -0 $SRV 2>/dev/null || break
		sleep 0.1
	done
	[ -n "$port" ] || { echo "profd $* did not serve: $(cat "$TMP/srv.err")"; exit 1; }
	BASE="http://127.0.0.1:$port"
}

serve serve "$TMP/page.pb.gz"
trap 'kill $SRV 2>/dev/null; rm -rf "$TMP"' EXIT
set -- $(cat "$TMP/gen.txt")
echo "profd serve of a $2-stack profile: $4 processes, $6 programs, $8 samples (pprof, $(($(wc -c <"$TMP/page.pb.gz") / 1024)) KiB); load average $(cut -d' ' -f1 /proc/loadavg)"
page() { MODE=$1 PW_CORE="$PW_CORE" BASE="$BASE" node "$TOP/tests/bench/bench_page.mjs"; }
# The first load builds the tree (the server's cache is cold); later loads reuse it.
c0=$(cpu_seconds $SRV)
set -- $(page first)
c1=$(cpu_seconds $SRV)
printf 'first load, server cache cold: first graph after %s ms, %.2f MB in %s requests; profd used %.2f s of CPU\n' \
	"$1" "$(echo "$2 / 1000000" | bc -l)" "$3" "$(echo "$c1 - $c0" | bc -l)"
for i in 1 2 3; do page first >>"$TMP/warm"; done
set -- $(sort -n "$TMP/warm" | sed -n 2p)
printf 'later loads (median of 3): first graph after %s ms, %.2f MB in %s requests\n' "$1" \
	"$(echo "$2 / 1000000" | bc -l)" "$3"
set -- $(page svg)
printf 'for comparison, /flamegraph.svg of the same profile: loaded after %s ms, %.2f MB, %s frames\n' \
	"$1" "$(echo "$2 / 1000000" | bc -l)" "$3"
nodes() { curl -s "$BASE/api/tree?detail=$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["nodes"]) // d["stride"])'; }
echo "its tree: $(nodes 100000000) frames; the page gets the $(nodes 25200) at least 0.1 px wide at 2x zoom"
kill -INT $SRV
wait $SRV 2>/dev/null

clang -O1 -g -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -o "$BT/split3" \
	"$TOP/tests/workloads/split3.c"
"$BT/split3" $((SECONDS_OPEN + 40)) >/dev/null &
wl=$!
serve -a -F 99
trap 'kill $SRV $wl 2>/dev/null; rm -rf "$TMP"' EXIT
sleep 3
echo "profd -a -F 99 --http, split3 running; load average $(cut -d' ' -f1 /proc/loadavg):"
MODE=idle PW_CORE="$PW_CORE" BASE="$BASE" SECONDS="$SECONDS_OPEN" node "$TOP/tests/bench/bench_page.mjs"
kill -INT $SRV
wait $SRV 2>/dev/null
kill $wl 2>/dev/null
