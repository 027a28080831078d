#!/bin/sh
# A fleet's view: cgroups and containers on every sample, and delivery over TLS with auth.
#
# Two cgroups shaped as systemd services (a.service, b.service) each run a known workload in a
# PID and mount namespace of its own (unshare --pid --mount --fork), so each sees itself as
# PID 1. Checked against the cgroups' own CPU accounting (cpu.stat) and with go tool pprof:
# the cgroup label splits the samples as the kernel says the CPU was split; --cgroup keeps one;
# profd agent --cgroup stores only those, and profd query --cgroup agrees with the store. A JIT
# workload whose perf map is /tmp/perf-1.map in a private /tmp is named. Pushes go over HTTPS
# to a receiver with a CA made here by openssl, with basic auth and X-Scope-OrgID, a series per
# unit; with the wrong CA or password the agent says so once, counts it and keeps sampling and
# spooling. A push to a name that does not resolve goes through the proxy the environment
# names. Outputs are kept in tests/artifacts/test_fleet/.
. "$(dirname "$0")/lib.sh"

TAGS="$TOP/tests/e2e/pprof_tags.py"
FOLDED="$TOP/tests/e2e/folded.py"

need_root fleet || exit 0
for t in recurse split3; do
	if [ ! -x "$WL/$t" ]; then
		skip fleet "$WL/$t not built (make test-binaries)"
		exit 0
	fi
done
if ! command -v unshare >/dev/null 2>&1; then
	skip fleet "unshare (util-linux) is not installed"
	exit 0
fi
CGMNT=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo | head -1)
REL="/profd-fleet-$$"
P="$CGMNT$REL"
if [ -z "$CGMNT" ] || ! mkdir "$P" 2>/dev/null || ! mkdir "$P/a.service" "$P/b.service"; then
	skip fleet "no writable cgroup v2 hierarchy (${CGMNT:-none mounted})"
	rmdir "$P" 2>/dev/null
	exit 0
fi
rm -f "$ART"/*
have_go() { command -v go >/dev/null 2>&1; }
# made CHECK GO_CHECK RC NAME: true where profd (exit RC) wrote $ART/NAME.pb.gz and go is here to
# read it; else FAIL CHECK (with the end of $ART/NAME.err), or SKIP GO_CHECK without go.
made() {
	if [ "$3" != 0 ] || [ ! -s "$ART/$4.pb.gz" ]; then
		fail "$1" "exit $3: $(tail -2 "$ART/$4.err" | tr '\n' ' ')"
	elif ! have_go; then
		skip "$2" "go is not installed"
	else
		return 0
	fi
	return 1
}

# The workloads end on their own; cleanup waits for them to leave before removing the cgroups.
cleanup_fleet() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for c in "$P/a.service" "$P/b.service" "$P/jit" "$P/brief.scope" "$P"; do
		for p in $(cat "$c/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	i=0
	rmdir "$P/brief.scope" 2>/dev/null
	while [ $i -lt 50 ] && ! rmdir "$P/a.service" "$P/b.service" "$P/jit" "$P" 2>/dev/null; do
		[ -d "$P" ] || break
		sleep 0.1
		i=$((i + 1))
	done
	rm -rf "$TMP"
}
trap cleanup_fleet EXIT

# in_cgroup CG CMD...: CMD in cgroup CG, in a PID and mount namespace of its own (it is PID 1).
in_cgroup() {
	cg=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec unshare --pid --mount --fork "$@"' "$cg" "$@"
}
# mostly FILE NAME: NAME has 95 % or more of the samples in FILE ("COUNT NAME" lines).
mostly() { awk -v n="$2" '{ all += $1 } $2 == n { mine += $1 } END { exit !(all && mine >= 0.95 * all) }' "$1"; }
# usage CG: CPU microseconds the cgroup's tasks have used, from the kernel's accounting.
usage() { awk '$1 == "usage_usec" { print $2 }' "$1/cpu.stat"; }
# wait_for FILE PATTERN SECONDS: until FILE has a line matching PATTERN.
wait_for() {
	i=0
	while [ $i -lt $(($3 * 10)) ] && ! grep -q "$2" "$1" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "$2" "$1" 2>/dev/null
}
# both SECONDS: recurse in a.service and split3 in b.service, side by side; waits for both.
both() {
	in_cgroup "$P/a.service" "$WL/recurse" 20 "$1" >/dev/null &
	a=$!
	in_cgroup "$P/b.service" "$WL/split3" "$1" >/dev/null &
	b=$!
	PIDS="$PIDS $a $b"
	wait "$a" "$b"
}
# record NAME ARGS...: profd ARGS -v until both workloads have run; sampling starts first.
record() {
	name=$1
	shift
	"$PROFD" "$@" -F 499 -v 2>"$ART/$name.err" &
	p=$!
	PIDS="$PIDS $p"
	wait_for "$ART/$name.err" "sampling .* at 499 Hz" 20 || echo "profd did not start" >>"$ART/$name.err"
	both 4
	kill -INT "$p"
	wait "$p"
}

# ---- the cgroup label splits samples as the kernel split the CPU ----
ua0=$(usage "$P/a.service")
ub0=$(usage "$P/b.service")
record two --cgroup "$REL" -o "$ART/two.pb.gz"
rc=$?
ua=$(($(usage "$P/a.service") - ua0))
ub=$(($(usage "$P/b.service") - ub0))
if made fleet.two_cgroups.run fleet.two_cgroups.split "$rc" two; then
	python3 "$TAGS" "$ART/two.pb.gz" cgroup >"$ART/two.cgroups" 2>&1
	sa=$(awk -v c="$REL/a.service" '$2 == c { print $1 }' "$ART/two.cgroups")
	sb=$(awk -v c="$REL/b.service" '$2 == c { print $1 }' "$ART/two.cgroups")
	others=$(awk -v a="$REL/a.service" -v b="$REL/b.service" '$2 != a && $2 != b' "$ART/two.cgroups" | wc -l)
	# Shares of a: sampled, and the truth from cpu.stat; within 10 points of each other, or
	# three standard deviations of a sample of that size if more.
	verdict=$(awk -v sa="${sa:-0}" -v sb="${sb:-0}" -v ua="$ua" -v ub="$ub" 'BEGIN {
		n = sa + sb; if (n < 50 || ua + ub == 0) { print "few samples"; exit }
		s = 100 * sa / n; t = 100 * ua / (ua + ub); d = s - t; if (d < 0) d = -d
		tol = 300 * sqrt(t / 100 * (1 - t / 100) / n); if (tol < 10) tol = 10
		printf "%s sampled %.1f%% truth %.1f%% of %d samples", (d <= tol && s > 25 && s < 75) ? "ok" : "off", s, t, n }')
	case "$verdict" in
	ok*) [ "$others" = 0 ] && pass fleet.two_cgroups.split || fail fleet.two_cgroups.split "samples outside both cgroups: $(tr '\n' ' ' <"$ART/two.cgroups")" ;;
	*) fail fleet.two_cgroups.split "${verdict}: $(tr '\n' ' ' <"$ART/two.cgroups")" ;;
	esac
	echo "# a.service share: $verdict" >&2
	# What the paths name: the unit; each program where it ran (its sh and unshare may catch a
	# sample as they start); PID 1 inside is a host pid here.
	python3 "$TAGS" "$ART/two.pb.gz" systemd_unit >"$ART/two.units"
	python3 "$TAGS" "$ART/two.pb.gz" comm "cgroup=^$REL/a\\.service\$" >"$ART/two.comm_a"
	python3 "$TAGS" "$ART/two.pb.gz" comm "cgroup=^$REL/b\\.service\$" >"$ART/two.comm_b"
	python3 "$TAGS" "$ART/two.pb.gz" pid >"$ART/two.pids"
	if [ "$(awk '{ print $2 }' "$ART/two.units" | sort | tr '\n' ' ')" = "a.service b.service " ] &&
		mostly "$ART/two.comm_a" recurse && mostly "$ART/two.comm_b" split3 &&
		! awk '$2 == 1 { found = 1 } END { exit !found }' "$ART/two.pids"; then
		pass fleet.two_cgroups.labels
	else
		fail fleet.two_cgroups.labels "units: $(tr '\n' ' ' <"$ART/two.units"); a: $(tr '\n' ' ' <"$ART/two.comm_a"); b: $(tr '\n' ' ' <"$ART/two.comm_b")"
	fi
fi

# ---- --cgroup keeps one, filtered in the kernel ----
record only_a --cgroup "$CGMNT$REL/a.service" -o "$ART/only_a.pb.gz"
rc=$?
if made fleet.cgroup_filter fleet.cgroup_filter "$rc" only_a; then
	python3 "$TAGS" "$ART/only_a.pb.gz" cgroup >"$ART/only_a.cgroups" 2>&1
	python3 "$TAGS" "$ART/only_a.pb.gz" comm >"$ART/only_a.comms" 2>&1
	if [ "$(awk '{ print $2 }' "$ART/only_a.cgroups")" = "$REL/a.service" ] &&
		mostly "$ART/only_a.comms" recurse && ! grep -q " split3$" "$ART/only_a.comms" &&
		[ "$(awk '{ s += $1 } END { print s + 0 }' "$ART/only_a.cgroups")" -ge 50 ]; then
		pass fleet.cgroup_filter
	else
		fail fleet.cgroup_filter "cgroups: $(tr '\n' ' ' <"$ART/only_a.cgroups"); comms: $(tr '\n' ' ' <"$ART/only_a.comms")"
	fi
fi
# Off CPU too: a sleeper in each cgroup, asleep before sampling starts, so only the start-up scan
# of waiting threads can count it; --cgroup keeps a.service's, labelled, for the whole run.
in_cgroup "$P/a.service" sleep 30 >/dev/null &
PIDS="$PIDS $!"
in_cgroup "$P/b.service" sleep 30 >/dev/null &
PIDS="$PIDS $!"
i=0
while [ $i -lt 100 ] && [ "$(cat "$P/a.service/cgroup.procs" "$P/b.service/cgroup.procs" | wc -l)" -lt 4 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$PROFD" --off-cpu --cgroup "$CGMNT$REL/a.service" -d 3 -o "$ART/off_a.pb.gz" 2>"$ART/off_a.err"
rc=$?
if made fleet.off_cpu_cgroup fleet.off_cpu_cgroup "$rc" off_a; then
	PPROF_SAMPLE_INDEX=off_cpu PPROF_UNIT=ms python3 "$TAGS" "$ART/off_a.pb.gz" cgroup >"$ART/off_a.cgroups" 2>&1
	PPROF_SAMPLE_INDEX=off_cpu PPROF_UNIT=ms python3 "$TAGS" "$ART/off_a.pb.gz" comm >"$ART/off_a.comms" 2>&1
	# The sleeper waited the whole 3 s: at least 2 s of it, whatever the load.
	if [ "$(awk '{ print $2 }' "$ART/off_a.cgroups")" = "$REL/a.service" ] &&
		[ "$(awk '$2 == "sleep" { print $1 }' "$ART/off_a.comms")" -ge 2000 ] 2>/dev/null; then
		pass fleet.off_cpu_cgroup
	else
		fail fleet.off_cpu_cgroup "cgroups (ms): $(tr '\n' ' ' <"$ART/off_a.cgroups"); comms: $(tr '\n' ' ' <"$ART/off_a.comms")"
	fi
fi
"$PROFD" --cgroup /no/such/cgroup -d 1 -o "$TMP/x.folded" 2>"$ART/nocgroup.err"
rc=$?
if [ "$rc" = 1 ] && [ "$(wc -l <"$ART/nocgroup.err")" = 1 ] && grep -q "^profd: --cgroup /no/such/cgroup: No such file or directory" "$ART/nocgroup.err"; then
	pass fleet.cgroup_missing_one_line
else
	fail fleet.cgroup_missing_one_line "exit $rc: $(tr '\n' ' ' <"$ART/nocgroup.err")"
fi

# ---- a cgroup removed before profd's last read of the samples still has its path ----
mkdir "$P/brief.scope"
"$PROFD" --cgroup "$REL" -F 499 -v -o "$ART/removed.pb.gz" 2>"$ART/removed.err" &
p=$!
PIDS="$PIDS $p"
wait_for "$ART/removed.err" "sampling .* at 499 Hz" 20 || echo "profd did not start" >>"$ART/removed.err"
in_cgroup "$P/brief.scope" "$WL/recurse" 20 1 >/dev/null
i=0 # its tasks leave it as they are reaped
while [ $i -lt 50 ] && ! rmdir "$P/brief.scope" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
gone=yes
[ -d "$P/brief.scope" ] && gone=no
kill -INT "$p"
wait "$p"
rc=$?
if ! have_go; then
	skip fleet.removed_cgroup_keeps_path "go is not installed"
else
	python3 "$TAGS" "$ART/removed.pb.gz" cgroup >"$ART/removed.cgroups" 2>&1
	n=$(awk -v c="$REL/brief.scope" '$2 == c { print $1 }' "$ART/removed.cgroups")
	if [ "$rc" = 0 ] && [ "$gone" = yes ] && [ "${n:-0}" -ge 50 ]; then
		pass fleet.removed_cgroup_keeps_path
	else
		fail fleet.removed_cgroup_keeps_path "exit $rc, removed: $gone; cgroups: $(tr '\n' ' ' <"$ART/removed.cgroups")"
	fi
fi

# ---- a JIT's perf map in its own root: /tmp/perf-1.map of a process that is PID 1 inside ----
if ! command -v node >/dev/null 2>&1; then
	skip fleet.jit_in_namespace "node is not installed"
else
	mkdir "$P/jit"
	"$PROFD" --cgroup "$REL/jit" -F 199 -v -o "$ART/jit.folded" 2>"$ART/jit.err" &
	p=$!
	PIDS="$PIDS $p"
	wait_for "$ART/jit.err" "sampling .* at 199 Hz" 20 || echo "profd did not start" >>"$ART/jit.err"
	# The script is read before the private /tmp hides it (the checkout may be under /tmp).
	in_cgroup "$P/jit" sh -c 'js=$(cat "$0") && mount -t tmpfs profd-jit /tmp &&
		printf "%s\n" "$js" >/tmp/hot.js && exec node --perf-basic-prof \
		--logfile=/tmp/v8.log --no-logfile-per-isolate /tmp/hot.js 3' \
		"$TOP/tests/workloads/hot.js" >"$ART/jit.stdout" 2>&1
	kill -INT "$p"
	wait "$p"
	rc=$?
	if [ "$rc" = 0 ] && [ ! -e /tmp/perf-1.map ] &&
		q=$(python3 "$FOLDED" share "$ART/jit.folded" 're:hotJsFunction' --comm node 2>&1) &&
		awk -v q="$q" 'BEGIN { exit !(q >= 50) }'; then
		pass fleet.jit_in_namespace
	else
		fail fleet.jit_in_namespace "exit $rc; ${q:-no share}% of node samples in hotJsFunction; $(tail -1 "$ART/jit.stdout")"
	fi
fi

# ---- TLS: a CA, a server certificate for 127.0.0.1, and a CA that signed nothing here ----
if ! command -v openssl >/dev/null 2>&1; then
	skip fleet.push_tls "openssl is not installed"
	exit 0
fi
PKI="$TMP/pki"
mkdir -p "$PKI"
(
	cd "$PKI" &&
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
			-subj "/CN=profd test CA" &&
		openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" &&
		printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >ext &&
		openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem \
			-days 2 -extfile ext &&
		openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 \
			-subj "/CN=another CA"
) >"$ART/openssl.log" 2>&1 || { fail fleet.push_tls "openssl: $(tail -1 "$ART/openssl.log")"; exit 0; }
PASSWORD="pw-$$-Zq7"
printf 'alice:%s\n' "$PASSWORD" >"$PKI/auth"
chmod 600 "$PKI/auth"
TPORT=$(freeport)
RECV="$TMP/recv"
python3 "$TOP/tests/e2e/pyroscope_recv.py" "$TPORT" "$RECV" --tls "$PKI/srv.pem" "$PKI/srv.key" \
	--auth "alice:$PASSWORD" 2>"$ART/recv.err" &
PIDS="$PIDS $!"

# ---- the agent: --cgroup into the store, pushed over HTTPS with auth and a tenant header ----
ST="$TMP/store"
HPORT=$(freeport)
"$PROFD" agent --store "$ST" --window 1 -F 499 --cgroup "$REL" --http "127.0.0.1:$HPORT" \
	--push "https://127.0.0.1:$TPORT" --push-ca "$PKI/ca.pem" --push-auth-file "$PKI/auth" \
	--push-header "X-Scope-OrgID: tenant-7" 2>"$ART/agent.err" &
p=$!
PIDS="$PIDS $p"
wait_for "$ART/agent.err" "agent: sampling" 20
both 5
curl -sf "http://127.0.0.1:$HPORT/api/targets" >"$ART/targets.json"
curl -sf "http://127.0.0.1:$HPORT/folded?cgroup=$REL/b.service" >"$ART/web_b.folded"
# The page in Chromium: the picker groups by unit; a unit, or a program in one, is a choice.
if need_browser fleet.browser; then
	MODE=units PW_CORE="$PW_CORE" BASE="http://127.0.0.1:$HPORT" ART="$ART" CGROUP_ROOT="$REL" \
		UNIT_A=a.service UNIT_B=b.service timeout 120 node "$TOP/tests/e2e/browser.mjs" \
		>"$TMP/units.out" 2>"$ART/units.node.err"
	rc=$?
	sed 's/^\(PASS\|FAIL\|SKIP\) browser\./\1 fleet.browser./' "$TMP/units.out"
	if [ $rc != 0 ] && ! grep -q '^FAIL ' "$TMP/units.out"; then
		fail fleet.browser.run "node exited $rc: $(tail -5 "$ART/units.node.err" | tr '\n' ' ')"
	fi
fi
# Until the windows of the workloads went out: nothing queued or spooled, 7 windows sent.
i=0
while [ $i -lt 100 ]; do
	curl -sf "http://127.0.0.1:$HPORT/metrics" >"$ART/metrics.txt"
	awk '$1 == "profd_push_sent_total" { s = $2 }
		$1 == "profd_push_queued" || $1 == "profd_push_spool_files" { q += $2 }
		END { exit !(s >= 7 && q == 0) }' "$ART/metrics.txt" && break
	sleep 0.2
	i=$((i + 1))
done
kill -TERM "$p"
wait "$p"
rc=$?
[ "$rc" = 0 ] && pass fleet.agent_exit_0 || fail fleet.agent_exit_0 "exit $rc: $(tail -2 "$ART/agent.err" | tr '\n' ' ')"

# The store and profd query --cgroup agree: each cgroup's samples in the whole store are what
# the query for that cgroup returns, and nothing else was stored.
"$PROFD" query --store "$ST" -o "$ART/store_all.pb.gz" 2>"$ART/query.err"
"$PROFD" query --store "$ST" --cgroup "$REL/a.service" -o "$ART/store_a.folded" 2>>"$ART/query.err"
"$PROFD" query --store "$ST" --cgroup "$REL/b.service/" -o "$ART/store_b.folded" 2>>"$ART/query.err"
qa=$(python3 "$FOLDED" total "$ART/store_a.folded" 2>/dev/null || echo 0)
qb=$(python3 "$FOLDED" total "$ART/store_b.folded" 2>/dev/null || echo 0)
if ! have_go; then
	skip fleet.store_query_cgroup "go is not installed"
else
	python3 "$TAGS" "$ART/store_all.pb.gz" cgroup >"$ART/store.cgroups" 2>&1
	sa=$(awk -v c="$REL/a.service" '$2 == c { print $1 }' "$ART/store.cgroups")
	sb=$(awk -v c="$REL/b.service" '$2 == c { print $1 }' "$ART/store.cgroups")
	if [ "$qa" -ge 50 ] && [ "$qb" -ge 50 ] && [ "$qa" = "${sa:-}" ] && [ "$qb" = "${sb:-}" ] &&
		[ "$(wc -l <"$ART/store.cgroups")" = 2 ] &&
		python3 "$FOLDED" comms "$ART/store_a.folded" >"$ART/store_a.comms" &&
		mostly "$ART/store_a.comms" recurse; then
		pass fleet.store_query_cgroup
	else
		fail fleet.store_query_cgroup "query a=$qa b=$qb; store: $(tr '\n' ' ' <"$ART/store.cgroups")"
	fi
fi
# The page: processes carry their cgroup and unit; cgroup= filters the graph.
if python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["targets"]
units = {x.get("systemd_unit") for x in t if x.get("cgroup", "").startswith(sys.argv[2] + "/")}
sys.exit(units != {"a.service", "b.service"})' "$ART/targets.json" "$REL" &&
	python3 "$FOLDED" comms "$ART/web_b.folded" >"$ART/web_b.comms" 2>&1 &&
	mostly "$ART/web_b.comms" split3; then
	pass fleet.page_targets_and_filter
else
	fail fleet.page_targets_and_filter "$(head -c 300 "$ART/targets.json")"
fi

# The pushes: every request authenticated as alice with the tenant header, a series per unit
# named after it with its systemd_unit label, bodies that go tool pprof reads with cgroup labels.
reqs=$(wc -l <"$RECV/index.txt" 2>/dev/null || echo 0)
if [ "$reqs" -ge 2 ] && [ ! -s "$RECV/unauthorized.txt" ] && [ ! -s "$RECV/errors.txt" ] &&
	awk '$2 != "alice" || $3 != "tenant-7" { bad = 1 } END { exit bad }' "$RECV/headers.txt"; then
	pass fleet.push_tls_auth_headers
else
	fail fleet.push_tls_auth_headers "$reqs requests; $(head -2 "$RECV/headers.txt" 2>/dev/null | tr '\n' ' ') $(head -2 "$RECV/errors.txt" 2>/dev/null | tr '\n' ' ')"
fi
host=$(hostname)
if grep -q "^[0-9]* a{hostname=$host,systemd_unit=a.service} " "$RECV/index.txt" &&
	grep -q "^[0-9]* b{hostname=$host,systemd_unit=b.service} " "$RECV/index.txt" &&
	! awk '$2 !~ /^[ab]\{/' "$RECV/index.txt" | grep -q .; then
	pass fleet.push_series_per_service
else
	fail fleet.push_series_per_service "$(awk '{ print $2 }' "$RECV/index.txt" 2>/dev/null | sort | uniq -c | head -5 | tr '\n' ' ')"
fi
if ! have_go; then
	skip fleet.push_bodies_read_by_go_pprof "go is not installed"
else
	bad=0
	for f in "$RECV"/*.pb.gz; do
		[ -e "$f" ] || continue
		python3 "$TAGS" "$f" cgroup >"$TMP/tags" 2>&1 && grep -q "$REL/[ab].service" "$TMP/tags" || bad=$((bad + 1))
	done
	[ "$reqs" -ge 2 ] && [ "$bad" = 0 ] && pass fleet.push_bodies_read_by_go_pprof ||
		fail fleet.push_bodies_read_by_go_pprof "$bad of $reqs bodies unreadable or without a cgroup label"
fi
if grep -q "$PASSWORD" "$ART/agent.err" "$ART/metrics.txt" "$ART/targets.json"; then
	fail fleet.push_secret_kept "the password appears in the agent's messages or /metrics"
else
	pass fleet.push_secret_kept
fi

# ---- the wrong CA: said once, counted, and the agent keeps sampling and spooling ----
# denied NAME ARGS...: an agent pushing with ARGS until its spool holds $SPOOLED_WANT windows
# (3 unless set) and the store 4 (at most 30 s); leaves its stderr and last /metrics in the
# artifacts.
denied() {
	name=$1
	shift
	st="$TMP/store_$name"
	port=$(freeport)
	"$PROFD" agent --store "$st" --window 1 --http "127.0.0.1:$port" "$@" 2>"$ART/$name.err" &
	p=$!
	PIDS="$PIDS $p"
	i=0
	while [ $i -lt 60 ]; do
		sleep 0.5
		i=$((i + 1))
		[ "$(ls "$st/spool" 2>/dev/null | grep -c '\.pb\.gz$')" -ge "${SPOOLED_WANT:-3}" ] &&
			[ "$(ls "$st" 2>/dev/null | grep -c '\.pb\.zst$')" -ge 4 ] && break
	done
	curl -sf "http://127.0.0.1:$port/metrics" >"$ART/$name.metrics"
	spooled=$(ls "$st/spool" 2>/dev/null | grep -c '\.pb\.gz$')
	kill -TERM "$p"
	wait "$p"
	rc=$?
}
# metric FILE NAME: the value of the sample NAME (without labels) in a /metrics scrape
metric() { awk -v n="$2" '$1 == n { v = $2 } END { if (v != "") print v }' "$1" 2>/dev/null; }

denied wrong_ca --push "https://alice:$PASSWORD@127.0.0.1:$TPORT" --push-ca "$PKI/other.pem"
lines=$(grep -c "push: https://127.0.0.1:$TPORT/ingest: TLS: " "$ART/wrong_ca.err")
n=$(metric "$ART/wrong_ca.metrics" profd_push_tls_failures_total)
if [ "$rc" = 0 ] && [ "$lines" = 1 ] && [ "${n:-0}" -ge 1 ] && [ "$spooled" -ge 3 ] &&
	[ "$(metric "$ART/wrong_ca.metrics" profd_push_sent_total)" = 0 ] &&
	! grep -q "$PASSWORD" "$ART/wrong_ca.err" "$ART/wrong_ca.metrics"; then
	pass fleet.push_wrong_ca_once_and_spooled
else
	fail fleet.push_wrong_ca_once_and_spooled "exit $rc; $lines lines, ${n:-?} counted, $(metric "$ART/wrong_ca.metrics" profd_push_sent_total) sent, $spooled spooled: $(grep push: "$ART/wrong_ca.err" | head -2 | tr '\n' ' ')"
fi

denied wrong_password --push "https://alice:nope@127.0.0.1:$TPORT" --push-ca "$PKI/ca.pem"
lines=$(grep -c "HTTP status 401: the credentials were refused" "$ART/wrong_password.err")
n=$(metric "$ART/wrong_password.metrics" profd_push_auth_failures_total)
if [ "$rc" = 0 ] && [ "$lines" = 1 ] && [ "${n:-0}" -ge 1 ] && [ "$spooled" -ge 3 ] &&
	! grep -q "nope" "$ART/wrong_password.err"; then
	pass fleet.push_refused_login_once_and_spooled
else
	fail fleet.push_refused_login_once_and_spooled "exit $rc; $lines lines, ${n:-?} counted, $spooled spooled: $(grep push: "$ART/wrong_password.err" | head -2 | tr '\n' ' ')"
fi

# ---- proxies from the environment: a push to a name nothing here resolves goes to http_proxy ----
PPORT=$(freeport)
python3 "$TOP/tests/e2e/pyroscope_recv.py" "$PPORT" "$TMP/proxied" 2>"$ART/proxy_recv.err" &
PIDS="$PIDS $!"
http_proxy="http://127.0.0.1:$PPORT" no_proxy="" NO_PROXY="" "$PROFD" agent \
	--store "$TMP/store_proxy" --window 1 --push "http://pyroscope.invalid:4040" \
	2>"$ART/proxy_agent.err" &
p=$!
PIDS="$PIDS $p"
i=0 # until a window went through the proxy (the agent retries while it is not listening yet)
while [ $i -lt 60 ] && [ ! -s "$TMP/proxied/targets.txt" ]; do
	sleep 0.5
	i=$((i + 1))
done
kill -TERM "$p"
wait "$p"
rc=$?
if [ "$rc" = 0 ] && grep -q ' pyroscope\.invalid:4040$' "$TMP/proxied/targets.txt" &&
	[ ! -s "$TMP/proxied/errors.txt" ]; then
	pass fleet.push_proxy_from_environment
else
	fail fleet.push_proxy_from_environment "exit $rc; through the proxy: $(head -2 "$TMP/proxied/targets.txt" 2>/dev/null | tr '\n' ' '); $(grep push: "$ART/proxy_agent.err" | head -2 | tr '\n' ' ')"
fi

# ---- a window without samples is not sent, and not counted as sent ----
# --comm of a program that never runs: every window is empty; the backend answers, so before
# the fix the first empty window counted as "sent" and reset the backoff of a refused push.
EPORT=$(freeport)
python3 "$TOP/tests/e2e/pyroscope_recv.py" "$EPORT" "$TMP/empty_recv" 2>"$ART/empty_recv.err" &
PIDS="$PIDS $!"
SPOOLED_WANT=0 denied empty_windows --comm "profd-no-such-$$" --push "http://127.0.0.1:$EPORT"
sent=$(metric "$ART/empty_windows.metrics" profd_push_sent_total)
if [ "$rc" = 0 ] && [ "$(ls "$TMP/store_empty_windows" | grep -c '\.pb\.zst$')" -ge 4 ] &&
	[ "$sent" = 0 ] && [ ! -s "$TMP/empty_recv/index.txt" ]; then
	pass fleet.push_empty_windows_not_sent
else
	fail fleet.push_empty_windows_not_sent "exit $rc; sent ${sent:-?}; $(wc -l <"$TMP/empty_recv/index.txt" 2>/dev/null || echo 0) requests"
fi
