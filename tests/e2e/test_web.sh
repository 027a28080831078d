#!/bin/sh
# The web server, over real HTTP with curl: every endpoint's status and content type, the gate
# (Host header 403, methods 405, bad and hostile parameters 400, unknown paths 404), hostile
# names escaped in JSON and SVG, 200 concurrent connections, a slow client that holds a
# connection open, 300 held open from one address, and the --http options. `profd serve` runs without root; the live part
# (profd -a --http) needs root. Bodies are kept in tests/artifacts/test_web/.
. "$(dirname "$0")/lib.sh"

HOSTILE='<img src=x onerror=alert(1)>'

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
	PORT=""
	for _ in $(seq 100); do
		PORT=$(sed -n 's|^profd: serving http://.*:\([0-9][0-9]*\)/$|\1|p' "$TMP/srv.err")
		[ -n "$PORT" ] && break
		kill -0 "$SRV" 2>/dev/null || break
		sleep 0.1
	done
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

# Options after the file names, as GNU tools take them.
if start serve.starts serve "$TMP/a.folded" "$TMP/b.folded" --http 127.0.0.1:0; then
	pass serve.starts
	expect serve.healthz /healthz 200 text/plain
	expect serve.page / 200 text/html
	grep -q '<script type="module" src="/app.js"' "$TMP/body" && pass serve.page_has_script ||
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
assert "std::vector<int>::push_back" in f, list(f)
' "$TMP/body" 2>"$TMP/err"; then
		pass serve.top_self_and_total
	else
		fail serve.top_self_and_total "$(tail -1 "$TMP/err")"
	fi
	# Short names as perf shows them by default; the whole C++ name on request.
	get '/api/top?fullnames=1'
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "std::vector<int>::push_back(int&&)" in [x["name"] for x in d["functions"]], d' "$TMP/body" 2>"$TMP/err" &&
		pass serve.top_full_names || fail serve.top_full_names "$(tail -1 "$TMP/err")"
	get '/api/top?sort=total&limit=1'
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [x["name"] for x in d["functions"]]==["main"], d' "$TMP/body" 2>"$TMP/err" &&
		pass serve.top_sort_total || fail serve.top_sort_total "$(tail -1 "$TMP/err")"

	get '/api/top?by=comm&limit=50'
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
rows = {(x["comm"], x["name"]): x for x in d["functions"]}
assert rows[("app", "main")]["total"] == 180 and rows[(sys.argv[2], "main")]["total"] == 20, rows
assert rows[("app", "work_a")]["self"] == 80, rows
' "$TMP/body" "$HOSTILE" 2>"$TMP/err" && pass serve.top_by_comm || fail serve.top_by_comm "$(tail -1 "$TMP/err")"
	bad params.top_by_bogus '/api/top?by=pid'
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
	# The C++ frame: short by default, whole with fullnames=1.
	if grep -q 'push_back(int&amp;&amp;)' "$ART/serve_flamegraph.svg" ||
		! grep -q 'std::vector&lt;int&gt;::push_back (' "$ART/serve_flamegraph.svg"; then
		fail serve.flamegraph_short_names "want std::vector<int>::push_back, not the whole name"
	else
		pass serve.flamegraph_short_names
	fi
	expect serve.flamegraph_full_names '/flamegraph.svg?fullnames=1' 200 image/svg+xml
	if grep -q 'std::vector&lt;int&gt;::push_back(int&amp;&amp;) (' "$TMP/body"; then
		pass serve.flamegraph_full_names_text
	else
		fail serve.flamegraph_full_names_text "no frame std::vector<int>::push_back(int&&)"
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
	grep -q "<text id=\"title\"[^>]*>Differential Flame Graph: $TMP/b.folded vs $TMP/a.folded</text>" "$TMP/body" &&
		grep -q "red: more in $TMP/b.folded, blue: less" "$TMP/body" && pass serve.diff_named_by_files ||
		fail serve.diff_named_by_files "$(grep -o '<text id="title"[^<]*' "$TMP/body")"

	# The page's tree: counts along paths as the folded files give them, read back by tree.py.
	expect serve.tree /api/tree 200 application/json
	cp "$TMP/body" "$ART/serve_tree.json"
	TREE="python3 $TOP/tests/e2e/tree.py"
	if n=$($TREE check "$TMP/body" 2>"$TMP/err") && [ "$($TREE count "$TMP/body" 'app;main;work_a')" = 80 ] &&
		[ "$($TREE count "$TMP/body" '')" = 200 ] &&
		[ "$($TREE count "$TMP/body" "$HOSTILE;main;std::vector<int>::push_back")" = 20 ]; then
		pass serve.tree_counts
	else
		fail serve.tree_counts "$n nodes $(cat "$TMP/err")"
	fi
	grep -q '[<>]' "$TMP/body" && fail serve.tree_escapes_markup "raw < or > in the tree" ||
		pass serve.tree_escapes_markup
	# The page's "Full names" box: the whole C++ name, and no short one.
	expect serve.tree_full_names '/api/tree?fullnames=1' 200 application/json
	[ "$($TREE count "$TMP/body" "$HOSTILE;main;std::vector<int>::push_back(int&&)" 2>&1)" = 20 ] &&
		! $TREE count "$TMP/body" "$HOSTILE;main;std::vector<int>::push_back" 2>/dev/null &&
		pass serve.tree_full_names_text || fail serve.tree_full_names_text "$(head -c 300 "$TMP/body")"
	expect serve.tree_range '/api/tree?comm=app&from=1&to=2' 200 application/json
	[ "$($TREE count "$TMP/body" 'app;main;work_b' 2>&1)" = 70 ] &&
		! $TREE count "$TMP/body" "$HOSTILE" 2>/dev/null && pass serve.tree_range_and_comm ||
		fail serve.tree_range_and_comm "$(head -c 300 "$TMP/body")"
	# detail: work_b (100 of 200) stays at detail 2; work_a (80) and the hostile comm go.
	expect serve.tree_detail '/api/tree?detail=2' 200 application/json
	[ "$($TREE count "$TMP/body" 'app;main;work_b' 2>&1)" = 100 ] &&
		! $TREE count "$TMP/body" 'app;main;work_a' 2>/dev/null && pass serve.tree_detail_prunes ||
		fail serve.tree_detail_prunes "$(head -c 300 "$TMP/body")"
	# focus=: measured from the focused frame, push_back (20 of 200) comes back at detail 2.
	focus=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1] + ";main"))' "$HOSTILE")
	expect serve.tree_focus "/api/tree?detail=2&focus=$focus" 200 application/json
	[ "$($TREE count "$TMP/body" "$HOSTILE;main;std::vector<int>::push_back" 2>&1)" = 20 ] &&
		grep -q '"focus":2,' "$TMP/body" && pass serve.tree_focus_measures_from_the_frame ||
		fail serve.tree_focus_measures_from_the_frame "$(head -c 300 "$TMP/body")"
	expect serve.tree_focus_missing '/api/tree?focus=app%3Bnope' 404 application/json
	expect serve.tree_diff '/api/tree?a=0-1&b=1-2' 200 application/json
	[ "$($TREE count "$TMP/body" 'app;main;work_a')" = 20 ] &&
		[ "$($TREE base "$TMP/body" 'app;main;work_a')" = 60 ] && pass serve.tree_diff_base ||
		fail serve.tree_diff_base "$(head -c 300 "$TMP/body")"
	bad params.tree_detail_zero '/api/tree?detail=0'
	bad params.tree_diff_half '/api/tree?a=0-1'
	bad params.tree_diff_and_range '/api/tree?a=0-1&b=1-2&from=0'
	bad params.tree_focus_control '/api/tree?focus=a%0ab'

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
		skip serve.pprof_go_tool_reads_it "go is not installed"
	fi
	bad params.pprof_lines '/pprof?lines=1'

	# ---- load: 200 connections at once, then it still answers. One address may hold at most
	# 32 (see below): the clients come from 8 loopback addresses, 25 each.
	: >"$TMP/codes"
	seq 200 | sed "s|.*|$BASE/healthz\n$BASE/api/top\n$BASE/flamegraph.svg\n$BASE/api/targets|" | head -200 |
		awk '{ print "--interface"; print "127.0.1." (NR % 8 + 1); print }' |
		xargs -P 200 -n 3 curl -s --max-time 30 -o /dev/null -w '%{http_code}\n' >>"$TMP/codes" 2>/dev/null
	ok=$(grep -c '^200$' "$TMP/codes")
	if kill -0 "$SRV" 2>/dev/null && [ "$ok" = 200 ]; then
		pass load.concurrent_200
	else
		fail load.concurrent_200 "$ok of 200 answered 200; codes: $(sort "$TMP/codes" | uniq -c | tr '\n' ' ')"
	fi
	expect load.healthz_after /healthz 200 text/plain

	# A client that sends half a request holds a connection, not the server; idle ones are closed.
	python3 - "$PORT" >"$TMP/slow.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
t = time.time()
s.settimeout(20)
try:
    data = s.recv(100)
except Exception as e:
    data = b"error " + str(e).encode()
print("closed after %.1f s: %r" % (time.time() - t, data))
EOF
	slow=$!
	sleep 0.5
	t0=$(date +%s%N)
	get /healthz
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$CODE" = 200 ] && [ $ms -lt 2000 ]; then
		pass load.slow_client_does_not_block
	else
		fail load.slow_client_does_not_block "/healthz took $ms ms with a slow client connected ($CODE)"
	fi
	wait $slow
	secs=$(sed -n 's/^closed after \([0-9.]*\) s.*/\1/p' "$TMP/slow.out")
	if [ -n "$secs" ] && awk -v s="$secs" 'BEGIN { exit !(s >= 5 && s <= 15) }'; then
		pass load.idle_timeout
	else
		fail load.idle_timeout "half-sent request: $(cat "$TMP/slow.out")"
	fi

	# 300 connections held open from one address (half-sent requests) do not lock others out:
	# each address gets at most 32, so a request from another answers within a second.
	python3 - "$PORT" >"$TMP/flood.out" 2>&1 <<'EOF' &
import socket, sys, time
held = []
for i in range(300):
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    try:
        s.connect(("127.0.0.1", int(sys.argv[1])))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    except OSError:
        pass
    held.append(s)
print("holding", len(held), flush=True)
time.sleep(6)
EOF
	flood=$!
	PIDS="$PIDS $flood"
	i=0
	while [ $i -lt 100 ] && ! grep -q '^holding' "$TMP/flood.out"; do
		sleep 0.1
		i=$((i + 1))
	done
	get /healthz --max-time 1
	if [ "$CODE" = 200 ] && grep -q '^holding 300' "$TMP/flood.out"; then
		pass load.held_connections_do_not_lock_out
	else
		fail load.held_connections_do_not_lock_out "/healthz: $CODE within 1 s while $(cat "$TMP/flood.out")"
	fi
	wait $flood
	# 268 refused connections, but a few lines on stderr: libmicrohttpd's messages are limited.
	http_lines=$(grep -vc '^profd: serving ' "$TMP/srv.err")
	if [ "$http_lines" -ge 1 ] && [ "$http_lines" -le 6 ] && ! grep -v '^profd: ' "$TMP/srv.err" | grep -q .; then
		pass logs.refused_connections_limited
	else
		fail logs.refused_connections_limited "$http_lines lines on stderr, want 1 to 6, each from profd's logger: $(grep -vm 3 '^profd: serving' "$TMP/srv.err" | tr '\n' '|')"
	fi
	# A port in use: one line, profd's, not libmicrohttpd's as well.
	timeout 20 "$PROFD" serve --http "127.0.0.1:$PORT" "$TMP/a.folded" >/dev/null 2>"$TMP/busy.err"
	rc=$?
	if [ $rc = 1 ] && [ "$(wc -l <"$TMP/busy.err")" = 1 ] &&
		grep -q "^profd: http: cannot listen on 127.0.0.1:$PORT: Address already in use" "$TMP/busy.err"; then
		pass logs.port_in_use_one_line
	else
		fail logs.port_in_use_one_line "exit $rc: $(tr '\n' '|' <"$TMP/busy.err")"
	fi

	kill -INT "$SRV"
	wait "$SRV"
	rc=$?
	[ $rc = 0 ] && pass serve.ctrl_c_exits_0 || fail serve.ctrl_c_exits_0 "exit $rc"
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

# A repeated request: a 304 while the samples are unchanged, gzip when the body is worth it.
awk 'BEGIN { for (i = 0; i < 500; i++) printf "app;main;f%d;leaf%d %d\n", i % 50, i, i + 1 }' >"$TMP/many.folded"
if start serve.transfer serve "$TMP/many.folded" --http 127.0.0.1:0; then
	TREE="python3 $TOP/tests/e2e/tree.py"
	etag=$(curl -s -D - -o /dev/null "$BASE/api/tree" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
	code=$(curl -s -o "$TMP/body" -w '%{http_code} %{size_download}' -H "If-None-Match: $etag" "$BASE/api/tree")
	[ -n "$etag" ] && [ "$code" = "304 0" ] && pass serve.tree_etag_304 ||
		fail serve.tree_etag_304 "ETag '$etag', then $code"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/api/tree?detail=7")
	[ "$code" = 200 ] && pass serve.tree_etag_per_query || fail serve.tree_etag_per_query "$code"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/api/targets")
	etag=$(curl -s -D - -o /dev/null "$BASE/api/targets" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
	code="$code $(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/api/targets")"
	[ "$code" = "200 304" ] && pass serve.targets_etag || fail serve.targets_etag "tree's tag, own tag: $code"
	curl -s -D "$TMP/hdr" -o "$TMP/body.gz" -H 'Accept-Encoding: gzip' "$BASE/api/tree"
	if grep -qi '^content-encoding: gzip' "$TMP/hdr" && gzip -dc "$TMP/body.gz" >"$TMP/body" &&
		[ "$($TREE count "$TMP/body" 'app;main;f7;leaf457')" = 458 ]; then
		pass serve.tree_gzip
	else
		fail serve.tree_gzip "$(head -8 "$TMP/hdr" | tr '\r\n' '  ')"
	fi
	curl -s -D "$TMP/hdr" -o /dev/null -H 'Accept-Encoding: gzip;q=0, identity' "$BASE/api/tree"
	grep -qi '^content-encoding' "$TMP/hdr" && fail serve.tree_gzip_refused "gzip despite q=0" ||
		pass serve.tree_gzip_refused
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
[ -x "$SPLIT3" ] || { skip live "no $SPLIT3 (make test-binaries)"; exit 0; }

"$SPLIT3" 8 >"$TMP/truth" &
wl=$!
PIDS="$PIDS $wl"
if start live.starts -a --http 127.0.0.1:0 -o "$TMP/live.folded"; then
	pass live.starts
	samples=0
	for _ in $(seq 60); do
		get /api/profile
		samples=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["samples"])' "$TMP/body" 2>/dev/null || echo 0)
		get "/api/top?pid=$wl"
		[ "$samples" -gt 0 ] && grep -q work_a "$TMP/body" && break
		sleep 0.5
	done
	[ "$samples" -gt 0 ] && pass live.samples_arrive || fail live.samples_arrive "no samples after 30 s"
	sleep 3
	get /api/profile
	cp "$TMP/body" "$ART/live_profile.json"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["mode"]=="live" and d["freq"]==99 and d["windows"]>=2 and d["elapsed_s"]>=2, d' "$TMP/body" 2>"$TMP/err" &&
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
	share=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(round([f for f in d["functions"] if f["name"]=="work_a"][0]["total_pct"], 1))' "$TMP/body" 2>/dev/null)
	if [ -n "$share" ] && awk -v s="$share" 'BEGIN { exit !(s >= 50 && s <= 70) }'; then
		pass live.top_work_a_share
	else
		fail live.top_work_a_share "work_a total share ${share:-?}%, want 60 ± 10"
	fi
	expect live.range "/folded?pid=$wl&from=1&to=3" 200 text/plain
	n_range=$(awk '{ s += $NF } END { print s + 0 }' "$TMP/body")
	get "/folded?pid=$wl"
	n_all=$(awk '{ s += $NF } END { print s + 0 }' "$TMP/body")
	if [ "$n_range" -gt 50 ] && [ "$n_range" -lt "$n_all" ]; then
		pass live.range_is_part
	else
		fail live.range_is_part "2 s range has $n_range samples, the whole run $n_all"
	fi
	# The tree as the page gets it: work_a's share, and a new tag once new samples arrive.
	expect live.tree "/api/tree?pid=$wl" 200 application/json
	cp "$TMP/body" "$ART/live_tree.json"
	tshare=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); s, names = d["stride"], d["names"]
nodes = [d["nodes"][i:i + s] for i in range(0, len(d["nodes"]), s)]
print(round(100 * sum(n[1] for n in nodes if names[n[0]] == "work_a") / d["total"], 1))' "$TMP/body" 2>&1)
	awk -v s="$tshare" 'BEGIN { exit !(s >= 50 && s <= 70) }' && pass live.tree_work_a_share ||
		fail live.tree_work_a_share "work_a ${tshare}% of the tree, want 60 ± 10"
	etag=$(curl -s -D - -o /dev/null "$BASE/api/tree?pid=$wl" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
	code=304
	for _ in $(seq 20); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$BASE/api/tree?pid=$wl")
		[ "$code" = 200 ] && break
		sleep 0.5
	done
	[ "$code" = 200 ] && pass live.tree_new_samples_new_tag ||
		fail live.tree_new_samples_new_tag "still $code for $etag after 10 s of sampling"
	expect live.diff "/diff.svg?pid=$wl&a=0-2&b=2-4" 200 image/svg+xml
	check live.diff_xml xmllint --noout "$TMP/body"
	# profd's own footprint: resident memory and the BPF maps' kernel memory, both above 1 MiB.
	expect live.metrics "/metrics" 200 text/plain
	if m=$(python3 "$TOP/tests/e2e/promtext.py" "$TMP/body" profd_resident_memory_bytes \
		profd_resident_memory_peak_bytes profd_bpf_map_bytes 2>&1) &&
		echo "$m" | awk '$2 > 1048576 { n++ } END { exit n != 3 }'; then
		pass live.metrics_footprint
	else
		fail live.metrics_footprint "$(echo "$m" | tr '\n' ' ')"
	fi
	kill -INT "$SRV"
	wait "$SRV"
	rc=$?
	[ $rc = 0 ] && pass live.ctrl_c_exits_0 || fail live.ctrl_c_exits_0 "exit $rc: $(tail -3 "$TMP/srv.err")"
	if grep -q '^split3;.*work_a' "$TMP/live.folded" 2>/dev/null; then
		pass live.writes_output_at_the_end
	else
		fail live.writes_output_at_the_end "no split3 stacks in -o: $(head -c 200 "$TMP/live.folded" 2>/dev/null)"
	fi
	[ -s "$TMP/srv.out" ] && fail live.no_stdout_with_o "stdout: $(head -c 100 "$TMP/srv.out")" ||
		pass live.no_stdout_with_o
fi

# -p PID --http: when the target exits, sampling stops but the page stays until Ctrl-C.
"$SPLIT3" 2 >/dev/null &
wl=$!
PIDS="$PIDS $wl"
if start live.pid_exit -p "$wl" --http 127.0.0.1:0; then
	for _ in $(seq 100); do
		grep -q 'still serving' "$TMP/srv.err" && break
		sleep 0.1
	done
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
	[ $rc = 0 ] && pass live.pid_exit_ctrl_c || fail live.pid_exit_ctrl_c "exit $rc"
	[ -s "$TMP/srv.out" ] && fail live.no_output_without_o "stdout: $(head -c 100 "$TMP/srv.out")" ||
		pass live.no_output_without_o
fi
