#!/bin/sh
# The web server, over real HTTP with curl: every endpoint's status and content type, the gate
# (Host header 403, methods 405, bad and hostile parameters 400, unknown paths 404), hostile
# names escaped in JSON and SVG, 200 concurrent connections, a slow client that holds a
# connection open, and the --http options. `profd serve` runs without root; the live part
# (profd -a --http) needs root. Bodies are kept in tests/artifacts/test_web/.
. "$(dirname "$0")/lib.sh"

HOSTILE='<img src=x onerror=alert(1)>'

# serving_or_gone: profd said where it serves, or exited without
serving_or_gone() { grep -q '^profd: serving http' "$TMP/srv.err" || ! kill -0 "$SRV" 2>/dev/null; }

# start NAME ARGS...: runs profd ARGS in the background with --http on a free port; sets PORT,
# BASE and SRV. Returns 1 (after a FAIL line) if it does not come up.
start() {
	sname=$1
	shift
	# Empty first: the background shell may open the file after we start reading it.
	: >"$TMP/srv.err"
	"$PROFD" "$@" >"$TMP/srv.out" 2>"$TMP/srv.err" &
	SRV=$!
	PIDS="$PIDS $SRV"
	wait_for 20 serving_or_gone
	PORT=$(sed -n 's|^profd: serving http://.*:\([0-9][0-9]*\)/$|\1|p' "$TMP/srv.err")
	if [ -z "$PORT" ]; then
		fail "$sname" "profd $* did not start serving: $(head -c 300 "$TMP/srv.err")"
		return 1
	fi
	BASE="http://127.0.0.1:$PORT"
	return 0
}

# get PATH [CURL ARGS...]: sets CODE, TYPE; the body is in $TMP/body.
get() {
	p=$1
	shift
	set -- -s --max-time 20 -o "$TMP/body" -w '%{http_code} %{content_type}' "$@" "$BASE$p"
	out=$(curl "$@") || out="000 curl-failed"
	CODE=${out%% *}
	TYPE=${out#* }
}

# expect NAME PATH CODE TYPE-PREFIX [CURL ARGS...]
expect() {
	ename=$1 epath=$2 ecode=$3 etype=$4
	shift 4
	get "$epath" "$@"
	case "$TYPE" in "$etype"*) tok=1 ;; *) tok=0 ;; esac
	if [ "$CODE" = "$ecode" ] && [ $tok = 1 ]; then
		pass "$ename"
	else
		fail "$ename" "GET $epath: $CODE $TYPE, want $ecode $etype: $(head -c 200 "$TMP/body")"
	fi
}

# bad NAME PATH: a 400 whose body is a JSON {"error": "..."}.
bad() {
	get "$2"
	if [ "$CODE" = 400 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d["error"], str) and d["error"]' "$TMP/body" 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "GET $2: $CODE $TYPE, want 400 with a JSON error: $(head -c 200 "$TMP/body")"
	fi
}

json_ok() {
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>&1
}

# ---------------------------------------------------------------- profd serve: no root needed

cat >"$TMP/a.folded" <<EOF
app;main;work_a 60
app;main;work_b 30
$HOSTILE;main;std::vector<int>::push_back(int&&) 10
EOF
cat >"$TMP/b.folded" <<EOF
app;main;work_a 20
app;main;work_b 70
$HOSTILE;main;std::vector<int>::push_back(int&&) 10
EOF

if start serve.starts serve --http 127.0.0.1:0 "$TMP/a.folded" "$TMP/b.folded"; then
	expect serve.healthz /healthz 200 text/plain
	expect serve.page / 200 text/html
	grep -q '<script src="/app.js"' "$TMP/body" && pass serve.page_has_script ||
		fail serve.page_has_script "no app.js in the page"
	expect serve.app_js /app.js 200 text/javascript
	expect serve.style /style.css 200 text/css
	expect serve.favicon /favicon.svg 200 image/svg+xml
	expect serve.api_profile /api/profile 200 application/json
	cp "$TMP/body" "$ART/serve_profile.json"
	check serve.api_profile_json json_ok "$TMP/body"
	if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["mode"]=="files" and d["samples"]==200 and len(d["files"])==2, d' "$TMP/body" 2>"$TMP/err"; then
		pass serve.api_profile_fields
	else
		fail serve.api_profile_fields "$(tail -1 "$TMP/err")"
	fi

	expect serve.api_targets /api/targets 200 application/json
	cp "$TMP/body" "$ART/serve_targets.json"
	if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert sys.argv[2] in [t["comm"] for t in d["targets"]], d' "$TMP/body" "$HOSTILE" 2>"$TMP/err"; then
		pass serve.targets_hostile_name_round_trips
	else
		fail serve.targets_hostile_name_round_trips "$(tail -1 "$TMP/err")"
	fi
	if grep -q '[<>]' "$TMP/body"; then
		fail serve.targets_json_escapes_markup "raw < or > in $(cat "$TMP/body")"
	else
		pass serve.targets_json_escapes_markup
	fi

	expect serve.api_top '/api/top?limit=5' 200 application/json
	cp "$TMP/body" "$ART/serve_top.json"
	if python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
f={x["name"]:x for x in d["functions"]}
assert d["total"]==200, d["total"]
assert f["work_a"]["self"]==80 and f["work_b"]["self"]==100, f
assert f["main"]["self"]==0 and f["main"]["total"]==200, f["main"]
assert "std::vector<int>::push_back(int&&)" in f, list(f)
' "$TMP/body" 2>"$TMP/err"; then
		pass serve.top_self_and_total
	else
		fail serve.top_self_and_total "$(tail -1 "$TMP/err")"
	fi
	get '/api/top?sort=total&limit=1'
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [x["name"] for x in d["functions"]]==["main"], d' "$TMP/body" 2>"$TMP/err" &&
		pass serve.top_sort_total || fail serve.top_sort_total "$(tail -1 "$TMP/err")"

	expect serve.flamegraph /flamegraph.svg 200 image/svg+xml
	cp "$TMP/body" "$ART/serve_flamegraph.svg"
	check serve.flamegraph_xml xmllint --noout "$TMP/body"
	if grep -q '<img' "$TMP/body"; then
		fail serve.flamegraph_escapes_names "a raw <img in the SVG"
	elif grep -q '&lt;img src=x onerror=alert(1)&gt;' "$TMP/body"; then
		pass serve.flamegraph_escapes_names
	else
		fail serve.flamegraph_escapes_names "the hostile name is not in the SVG as text"
	fi
	expect serve.flamegraph_options '/flamegraph.svg?icicle=1&lines=1&width=800&search=work_%5Ba%5D%3C%2Fscript%3E' 200 image/svg+xml
	cp "$TMP/body" "$ART/serve_icicle_search.svg"
	check serve.flamegraph_options_xml xmllint --noout "$TMP/body"
	if grep -q 'Icicle Graph' "$TMP/body" && grep -qF 'var term = "work_[a\u005d\u003c/script\u003e"' "$TMP/body"; then
		pass serve.flamegraph_search_escaped
	else
		fail serve.flamegraph_search_escaped "no icicle title or no escaped search term: $(grep -o 'var term = [^;]*' "$TMP/body")"
	fi
	expect serve.flamegraph_by_comm "/flamegraph.svg?comm=app" 200 image/svg+xml
	grep -q 'work_a' "$TMP/body" && ! grep -q 'push_back' "$TMP/body" &&
		pass serve.flamegraph_comm_filter || fail serve.flamegraph_comm_filter "comm=app did not filter"

	# File i is the range [i, i+1): the first file alone, then a diff of the two.
	expect serve.folded_range '/folded?from=0&to=1' 200 text/plain
	cp "$TMP/body" "$ART/serve_range.folded"
	if grep -qx 'app;main;work_a 60' "$TMP/body" && [ "$(wc -l <"$TMP/body")" = 3 ]; then
		pass serve.folded_range_first_file
	else
		fail serve.folded_range_first_file "$(head -c 300 "$TMP/body")"
	fi
	expect serve.folded_all /folded 200 text/plain
	grep -qx 'app;main;work_a 80' "$TMP/body" && pass serve.folded_all_sums ||
		fail serve.folded_all_sums "$(head -c 300 "$TMP/body")"
	expect serve.diff '/diff.svg?a=0-1&b=1-2' 200 image/svg+xml
	cp "$TMP/body" "$ART/serve_diff.svg"
	check serve.diff_xml xmllint --noout "$TMP/body"
	grep -q 'vs base' "$TMP/body" && pass serve.diff_is_differential ||
		fail serve.diff_is_differential "no 'vs base' in the diff's frames"

	hdr=$(curl -s -I --max-time 5 "$BASE/")
	if printf '%s' "$hdr" | grep -q '^HTTP/1.1 200' &&
		printf '%s' "$hdr" | grep -qi "^content-security-policy: .*script-src 'self'"; then
		pass serve.head_and_csp
	else
		fail serve.head_and_csp "HEAD /: $(printf '%s' "$hdr" | head -3 | tr '\r\n' '  ')"
	fi
	len=$(curl -s -I --max-time 5 -o /dev/null -w '%{size_download}' "$BASE/api/targets")
	[ "${len:-1}" = 0 ] && pass serve.head_no_body || fail serve.head_no_body "HEAD returned $len bytes"

	# ---- the gate
	expect gate.host_evil /healthz 403 application/json -H 'Host: evil.example'
	expect gate.host_evil_port /healthz 403 application/json -H "Host: evil.example:$PORT"
	expect gate.host_wrong_port /healthz 403 application/json -H 'Host: 127.0.0.1:1'
	expect gate.host_rebind_suffix /healthz 403 application/json -H 'Host: 127.0.0.1.evil.example'
	expect gate.host_missing /healthz 403 application/json -H 'Host:'
	expect gate.host_localhost /healthz 200 text/plain -H "Host: localhost:$PORT"
	expect gate.host_localhost_noport /healthz 200 text/plain -H 'Host: LOCALHOST'
	expect gate.host_v6 /healthz 200 text/plain -H "Host: [::1]:$PORT"
	expect gate.post /healthz 405 application/json -X POST -d x=1
	if curl -s -D - -o /dev/null -X POST "$BASE/api/top" | grep -qi '^allow: GET, HEAD'; then
		pass gate.post_allow_header
	else
		fail gate.post_allow_header "no Allow: GET, HEAD on a 405"
	fi
	expect gate.put /folded 405 application/json -X PUT -d x
	expect gate.delete / 405 application/json -X DELETE
	expect gate.options / 405 application/json -X OPTIONS
	expect gate.not_found /nope 404 application/json
	expect gate.dotdot '/../../etc/passwd' 404 application/json --path-as-is
	expect gate.dotdot_static '/static/../../../etc/passwd' 404 application/json --path-as-is
	expect gate.source_path /web/static/index.html 404 application/json
	expect gate.encoded_dotdot '/%2e%2e/%2e%2e/etc/passwd' 404 application/json --path-as-is

	bad params.pid_negative '/flamegraph.svg?pid=-1'
	bad params.pid_huge '/flamegraph.svg?pid=99999999999999999999'
	bad params.pid_over_max '/api/top?pid=4194305'
	bad params.pid_dotdot '/flamegraph.svg?pid=../../etc/passwd'
	bad params.pid_hex '/folded?pid=0x10'
	bad params.from_negative '/flamegraph.svg?from=-5'
	bad params.from_huge '/flamegraph.svg?from=99999999999'
	bad params.from_exponent '/flamegraph.svg?from=1e999'
	bad params.from_nan '/folded?from=nan'
	bad params.to_inf '/folded?to=inf'
	bad params.from_dotdot '/folded?from=../'
	bad params.range_reversed '/flamegraph.svg?from=5&to=2'
	bad params.range_empty '/flamegraph.svg?from=3&to=3'
	bad params.icicle_word '/flamegraph.svg?icicle=yes-please'
	bad params.width_small '/flamegraph.svg?width=10'
	bad params.unknown '/flamegraph.svg?bogus=1'
	bad params.unknown_for_route '/folded?icicle=1'
	bad params.twice '/flamegraph.svg?pid=1&pid=2'
	bad params.limit_zero '/api/top?limit=0'
	bad params.sort_bogus '/api/top?sort=name;drop'
	bad params.diff_missing '/diff.svg?a=0-1'
	bad params.diff_dotdot '/diff.svg?a=../etc&b=0-1'
	bad params.diff_negative '/diff.svg?a=-1-1&b=0-1'
	bad params.diff_reversed '/diff.svg?a=2-1&b=0-1'
	bad params.comm_nul '/flamegraph.svg?comm=a%00b'
	bad params.comm_control '/flamegraph.svg?comm=a%0ab'
	bad params.comm_not_utf8 '/flamegraph.svg?comm=%ff%fe'
	long=$(python3 -c 'print("A" * 4000)')
	bad params.search_long "/flamegraph.svg?search=$long"
	bad params.comm_long "/flamegraph.svg?comm=$(python3 -c 'print("c" * 300)')"
	bad params.many "/folded?$(python3 -c 'print("&".join("x%d=1" % i for i in range(40)))')"
	get "/flamegraph.svg?comm=$(python3 -c 'print("A" * 100000)')"
	case "$CODE" in
	400 | 414 | 431) pass params.huge_url ;;
	*) fail params.huge_url "200 kB URL: $CODE" ;;
	esac
	# A comm may hold '/' (kworker/0:1) and even "../": it is compared, never used as a path.
	expect params.comm_with_slash '/folded?comm=..%2F..%2Fetc%2Fpasswd' 200 text/plain
	[ -s "$TMP/body" ] && fail params.comm_with_slash_empty "matched something" ||
		pass params.comm_with_slash_empty
	expect serve.pprof /pprof 200 application/octet-stream
	cp "$TMP/body" "$ART/serve.pb.gz"
	if [ "$(head -c 2 "$TMP/body" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
		pass serve.pprof_is_gzip
	else
		fail serve.pprof_is_gzip "not gzip: $(head -c 20 "$TMP/body" | od -An -c | head -1)"
	fi
	if curl -s -D - -o /dev/null "$BASE/pprof?comm=app" | grep -qi '^content-disposition: attachment; filename="profd.pb.gz"'; then
		pass serve.pprof_attachment
	else
		fail serve.pprof_attachment "no Content-Disposition"
	fi
	if command -v go >/dev/null 2>&1; then
		if timeout 60 go tool pprof -top "$TMP/body" >"$TMP/top.txt" 2>&1 && grep -q work_a "$TMP/top.txt"; then
			pass serve.pprof_go_tool_reads_it
		else
			fail serve.pprof_go_tool_reads_it "$(tail -3 "$TMP/top.txt" | tr '\n' ' ')"
		fi
	else
		missing serve.pprof_go_tool_reads_it "go is not installed"
	fi
	bad params.pprof_lines '/pprof?lines=1'

	# ---- load: 200 connections at once, then it still answers
	: >"$TMP/codes"
	seq 200 | sed "s|.*|$BASE/healthz\n$BASE/api/top\n$BASE/flamegraph.svg\n$BASE/api/targets|" | head -200 |
		xargs -P 200 -n 1 curl -s --max-time 30 -o /dev/null -w '%{http_code}\n' >>"$TMP/codes" 2>/dev/null
	ok=$(grep -c '^200$' "$TMP/codes")
	if kill -0 "$SRV" 2>/dev/null && [ "$ok" = 200 ]; then
		pass load.concurrent_200
	else
		fail load.concurrent_200 "$ok of 200 answered 200; codes: $(sort "$TMP/codes" | uniq -c | tr '\n' ' ')"
	fi
	expect load.healthz_after /healthz 200 text/plain

	# A client that sends half a request holds a connection, not the server; idle ones are closed.
	python3 - "$PORT" "$TMP/slow.sent" >"$TMP/slow.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
open(sys.argv[2], "w").close()
t = time.time()
s.settimeout(20)
try:
    data = s.recv(100)
except Exception as e:
    data = b"error " + str(e).encode()
print("closed after %.1f s: %r" % (time.time() - t, data))
EOF
	slow=$!
	wait_for 10 test -e "$TMP/slow.sent"
	# Answered while the slow client still holds its connection (it has not been closed yet).
	get /healthz
	if [ "$CODE" = 200 ] && [ ! -s "$TMP/slow.out" ] && kill -0 "$slow" 2>/dev/null; then
		pass load.slow_client_does_not_block
	else
		fail load.slow_client_does_not_block "/healthz: $CODE; slow client: $(cat "$TMP/slow.out")"
	fi
	wait $slow
	secs=$(sed -n 's/^closed after \([0-9.]*\) s.*/\1/p' "$TMP/slow.out")
	if [ -n "$secs" ] && awk -v s="$secs" 'BEGIN { exit !(s >= 5 && s <= 15) }'; then
		pass load.idle_timeout
	else
		fail load.idle_timeout "half-sent request: $(cat "$TMP/slow.out")"
	fi

	# After all of the above (hostile parameters, 200 at once, a slow client): Ctrl-C exits 0,
	# and profd logged nothing but where it served (libmicrohttpd's own lines aside).
	kill -INT "$SRV"
	wait "$SRV"
	rc=$?
	if [ $rc = 0 ] && [ "$(grep '^profd:' "$TMP/srv.err" | grep -vc '^profd: serving http')" = 0 ]; then
		pass serve.ctrl_c_exits_0_quietly
	else
		fail serve.ctrl_c_exits_0_quietly "exit $rc; stderr: $(head -c 300 "$TMP/srv.err" | tr '\n' '|')"
	fi
fi

# --http-host: an extra name the Host header may carry.
if start serve.http_host serve --http 127.0.0.1:0 --http-host profd.test "$TMP/a.folded"; then
	expect serve.http_host_allowed /healthz 200 text/plain -H "Host: profd.test:$PORT"
	expect serve.http_host_other /healthz 403 application/json -H "Host: other.test:$PORT"
	kill -INT "$SRV"
	wait "$SRV"
fi

# serve reads pprof too: the download above, served again, gives the same stacks.
if [ -s "$ART/serve.pb.gz" ] && start serve.pprof_file serve --http 127.0.0.1:0 "$ART/serve.pb.gz"; then
	get /folded
	if grep -qx 'app;main;work_a 80' "$TMP/body" && [ "$(awk '{ s += $NF } END { print s }' "$TMP/body")" = 200 ]; then
		pass serve.pprof_file_round_trip
	else
		fail serve.pprof_file_round_trip "$(head -c 300 "$TMP/body")"
	fi
	kill -INT "$SRV"
	wait "$SRV"
fi

# ---- options
usage() {
	uname=$1 pattern=$2
	shift 2
	timeout 10 "$PROFD" "$@" >/dev/null 2>"$TMP/err"
	rc=$?
	if [ $rc = 2 ] && grep -Eq -e "$pattern" "$TMP/err" && [ "$(wc -l <"$TMP/err")" = 1 ]; then
		pass "$uname"
	else
		fail "$uname" "exit $rc: $(cat "$TMP/err")"
	fi
}
usage options.public_needs_flag 'not a loopback address.*--http-public' serve --http 0.0.0.0:0 "$TMP/a.folded"
usage options.public_needs_flag_record 'not a loopback address' -a --http 0.0.0.0:0
usage options.bad_listen '--http 70x: expected' -a --http 70x
usage options.bad_port '--http 99999: expected' -a --http 99999
usage options.hostname_not_numeric '--http localhost:7070: expected' -a --http localhost:7070
usage options.bad_http_host '--http-host a/b: ' -a --http 7070 --http-host a/b
usage options.http_host_needs_http 'needs --http' -a --http-host x.test
usage options.serve_no_files 'expected one or more' serve
if start options.public_warns serve --http 0.0.0.0:0 --http-public "$TMP/a.folded"; then
	grep -q 'warning: serving on 0.0.0.0' "$TMP/srv.err" && pass options.public_warns ||
		fail options.public_warns "no warning: $(cat "$TMP/srv.err")"
	kill -INT "$SRV"
	wait "$SRV"
fi
timeout 10 "$PROFD" serve --http 127.0.0.1:0 "$TMP/nope.folded" >/dev/null 2>"$TMP/err"
rc=$?
[ $rc = 1 ] && grep -q 'nope.folded' "$TMP/err" && pass serve.missing_file ||
	fail serve.missing_file "exit $rc: $(cat "$TMP/err")"

# ---------------------------------------------------------------- live: profd -a --http
need_root live || exit 0
SPLIT3="$WL/split3"
[ -x "$SPLIT3" ] || { fail live "no $SPLIT3 (make test-binaries)"; exit 0; }

# split3 starts once profd samples, so the page holds all of it; at 499 Hz, 3000 of its samples
# put work_a's share within a point or so of the truth it prints at exit.
if start live.starts -v -a -F 499 --http 127.0.0.1:0 -o "$TMP/live.folded"; then
	wait_for 30 said "$TMP/srv.err" '^profd: sampling ' || fail live.sampling "no 'sampling' line in 30 s"
	"$SPLIT3" 10 >"$TMP/truth" &
	wl=$!
	PIDS="$PIDS $wl"
	# split3_samples N: the page has at least N samples of split3
	split3_samples() {
		get "/folded?pid=$wl"
		[ "$(awk '{ s += $NF } END { print s + 0 }' "$TMP/body")" -ge "$1" ]
	}
	if wait_for 60 split3_samples 3000; then
		pass live.samples_arrive
	else
		fail live.samples_arrive "fewer than 3000 split3 samples after 60 s"
	fi
	get /api/profile
	cp "$TMP/body" "$ART/live_profile.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["mode"]=="live" and d["freq"]==499 and d["windows"]>=2 and d["elapsed_s"]>=2, d' "$TMP/body" 2>"$TMP/err" &&
		pass live.profile_status || fail live.profile_status "$(tail -1 "$TMP/err")"
	get /api/targets
	cp "$TMP/body" "$ART/live_targets.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert any(t["pid"]==int(sys.argv[2]) and t["comm"]=="split3" for t in d["targets"]), d' "$TMP/body" "$wl" 2>"$TMP/err" &&
		pass live.targets_has_workload || fail live.targets_has_workload "$(tail -1 "$TMP/err")"
	expect live.flamegraph "/flamegraph.svg?pid=$wl" 200 image/svg+xml
	cp "$TMP/body" "$ART/live_split3.svg"
	check live.flamegraph_xml xmllint --noout "$TMP/body"
	grep -q '<title>work_a (' "$TMP/body" && pass live.flamegraph_has_work_a ||
		fail live.flamegraph_has_work_a "no work_a frame"
	get "/api/top?pid=$wl&limit=20"
	cp "$TMP/body" "$ART/live_top.json"
	share=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(round([f for f in d["functions"] if f["name"]=="work_a"][0]["total_pct"], 2))' "$TMP/body" 2>/dev/null)
	expect live.range "/folded?pid=$wl&from=1&to=3" 200 text/plain
	n_range=$(awk '{ s += $NF } END { print s + 0 }' "$TMP/body")
	get "/folded?pid=$wl"
	n_all=$(awk '{ s += $NF } END { print s + 0 }' "$TMP/body")
	if [ "$n_range" -gt 50 ] && [ "$n_range" -lt "$n_all" ]; then
		pass live.range_is_part
	else
		fail live.range_is_part "2 s range has $n_range samples, the whole run $n_all"
	fi
	expect live.diff "/diff.svg?pid=$wl&a=0-2&b=2-4" 200 image/svg+xml
	check live.diff_xml xmllint --noout "$TMP/body"
	# The truth comes at split3's exit; its greedy split keeps every prefix of the run near it.
	wait "$wl"
	want=$(awk '$1 == "truth" && $2 == "work_a" { print $3 }' "$TMP/truth")
	if [ -n "$share" ] && [ -n "$want" ] &&
		awk -v s="$share" -v w="$want" 'BEGIN { d = s - w; if (d < 0) d = -d; exit !(d <= 3) }'; then
		pass live.top_work_a_share
	else
		fail live.top_work_a_share "work_a total share ${share:-?}% in /api/top, truth ${want:-?}% (allowed ±3)"
	fi
	# Ctrl-C: exit 0, the -o file written with split3's stacks, nothing on stdout.
	kill -INT "$SRV"
	wait "$SRV"
	rc=$?
	if [ $rc = 0 ] && grep -q '^split3;.*work_a' "$TMP/live.folded" 2>/dev/null && [ ! -s "$TMP/srv.out" ]; then
		pass live.ctrl_c_writes_output
	else
		fail live.ctrl_c_writes_output "exit $rc; -o: $(head -c 200 "$TMP/live.folded" 2>/dev/null); stdout: $(head -c 100 "$TMP/srv.out")"
	fi
fi

# -p PID --http: when the target exits, sampling stops but the page stays until Ctrl-C.
"$SPLIT3" 2 >/dev/null &
wl=$!
PIDS="$PIDS $wl"
if start live.pid_exit -p "$wl" --http 127.0.0.1:0; then
	wait_for 30 said "$TMP/srv.err" 'still serving'
	get /api/profile
	if grep -q 'still serving' "$TMP/srv.err" && grep -q '"mode":"stopped"' "$TMP/body"; then
		pass live.pid_exit_keeps_serving
	else
		fail live.pid_exit_keeps_serving "$(tail -2 "$TMP/srv.err" | tr '\n' ' ') $(head -c 200 "$TMP/body")"
	fi
	get "/folded?pid=$wl"
	grep -q '^split3;' "$TMP/body" && pass live.pid_exit_profile_kept ||
		fail live.pid_exit_profile_kept "no split3 stacks after the target exited"
	kill -INT "$SRV"
	wait "$SRV"
	rc=$?
	if [ $rc = 0 ] && [ ! -s "$TMP/srv.out" ]; then
		pass live.pid_exit_ctrl_c_no_output
	else
		fail live.pid_exit_ctrl_c_no_output "exit $rc; stdout without -o: $(head -c 100 "$TMP/srv.out")"
	fi
fi
