#!/bin/sh
# Agent mode: 1 s windows on disk while split3 runs, the --http page's store listing and
# wall-clock ranges (equal to profd query's), /metrics against the disk, profd query over the
# whole range and a sub-range, retention by size and by age, a damaged window skipped with one
# warning, kill -9 at random moments leaving nothing half-written for query to see, and --push
# with its bounded spool while the receiver is down, drained when it is up and after a restart;
# every /metrics scrape passes promtool. Each step waits for what it needs (a log line, a window
# on disk, a metric, a port), never a fixed time. Outputs are kept in tests/artifacts/test_agent/.
. "$(dirname "$0")/lib.sh"

FOLDED="$TOP/tests/e2e/folded.py"
TOL=3
KILLS=${PROFD_AGENT_KILLS:-20}

need_root agent || exit 0
if [ ! -x "$WL/split3" ]; then
	fail agent "$WL/split3 not built (make test-binaries)"
	exit 0
fi

ST="$TMP/store"
rm -f "$ART"/* # never judge a run by the files of an earlier one

# windows DIR: the window files of a store, oldest first (names sort by start time: same width).
windows() { ls "$1" | grep -E '^[0-9]+-[0-9]+\.pb\.zst$' | sort -n; }
nwindows() { windows "$1" | wc -l; }
start_of() { echo "${1%%-*}"; }
end_of() { e=${1#*-}; echo "${e%.pb.zst}"; }
# rfc3339 NS: nanoseconds since the epoch as 2026-11-25T14:00:00.123456789Z
rfc3339() { date -u -d "@$(($1 / 1000000000)).$(printf %09d $(($1 % 1000000000)))" +%Y-%m-%dT%H:%M:%S.%NZ; }
# total FOLDED: samples in a folded file
total() { python3 "$FOLDED" total "$1" 2>/dev/null || echo 0; }
# store_bytes DIR: bytes of its window files
store_bytes() { (cd "$1" && windows . | xargs -r stat -c %s | awk '{ s += $1 } END { print s + 0 }'); }
# tiled DIR: its windows follow each other without gap or overlap (each starts where one ends)
tiled() { windows "$1" | awk -F- '{ e = $2; sub(/\.pb\.zst$/, "", e) } NR > 1 && $1 != last { bad = 1 } { last = e } END { exit bad }'; }
# window_after DIR NS: a window of DIR ends at or after NS (its samples up to NS are on disk)
window_after() {
	for w in $(windows "$1"); do
		[ "$(end_of "$w")" -ge "$2" ] && return 0
	done
	return 1
}
# metric FILE NAME: the value of NAME's unlabelled sample in a /metrics scrape, or "none"
# stop PID: ends the agent PID as systemd does (SIGTERM) and waits; its exit status is in $rc.
stop() {
	kill -TERM "$1"
	wait "$1"
	rc=$?
}
metric() { awk -v n="$2" '$1 == n { v = $2 } END { print v == "" ? "none" : v }' "$1" 2>/dev/null || echo none; }
READY='^profd: agent: sampling '

# ---- a run: whole machine, split3 for 12 s in the middle, /metrics read at the end ----
# split3 runs as a copy named a3-PID: the agent sees the whole machine, and the same workload
# run by anyone else must not count.
A3="a3-$$"
cp "$WL/split3" "$TMP/$A3"
PORT=$(freeport)
BASE="http://127.0.0.1:$PORT"
"$PROFD" agent --store "$ST" --window 1 -F 199 --http "127.0.0.1:$PORT" 2>"$ART/agent_main.err" &
AGENT=$!
PIDS="$PIDS $AGENT"
wait_for 30 said "$ART/agent_main.err" "$READY" || fail agent.ready "no '$READY' line in 30 s"
"$TMP/$A3" 12 >"$ART/split3.truth"
# Everything split3 did is on disk once a window ends after it.
split3_end=$(date +%s%N)
wait_for 30 window_after "$ST" "$split3_end" || fail agent.ready "no window after split3 within 30 s"
# /metrics beside what the disk holds just before and just after it.
files0=$(nwindows "$ST") bytes0=$(store_bytes "$ST")
curl -sf "$BASE/metrics" >"$ART/metrics.txt"
files1=$(nwindows "$ST") bytes1=$(store_bytes "$ST")
# The page's view of the store while the agent writes it: the listing, then a wall-clock range
# of windows already on disk (written once, so the same bytes profd query reads below).
curl -sf "$BASE/api/store" >"$ART/store.json"
set -- $(windows "$ST")
web_from=$(rfc3339 "$(start_of "$(eval echo "\${$(($# / 2 - 3))}")")")
web_to=$(rfc3339 "$(end_of "$(eval echo "\${$(($# / 2 + 2))}")")")
curl -sf "$BASE/folded?from=$web_from&to=$web_to" >"$ART/web_range.folded"
curl -sf "$BASE/folded?comm=$A3&from=$web_from&to=$web_to" >"$ART/web_range_split3.folded"
web_codes=""
for q in "from=2026-02-30T00:00:00Z&to=2026-03-01T00:00:00Z" "from=$web_from" \
	"from=$web_from&to=5" "from=2026-11-25T14:00:00%2B0100&to=$web_to" "from=$web_to&to=$web_from" \
	"from=2026-11-25T14:00:00.Z&to=$web_to" "from=9999-01-01T00:00:00Z&to=9999-01-02T00:00:00Z" \
	"from=yesterday&to=$web_to" "from=2026-11-25T14:00:00.1234567890Z&to=$web_to"; do
	web_codes="$web_codes $(curl -s -o "$TMP/bad.json" -w '%{http_code}' "$BASE/folded?$q"):$(grep -c '"error"' "$TMP/bad.json")"
done
kill -INT "$AGENT"
wait "$AGENT"
rc=$?

# Ctrl-C: exit 0, the last window written, and the summary's count and bytes are the disk's.
n=$(nwindows "$ST")
said=$(sed -n 's/.*agent: [0-9]* windows written, 0 failed, \([0-9]*\) in the store (\([0-9]*\) bytes).*/\1 \2/p' "$ART/agent_main.err")
if [ "$rc" = 0 ] && [ "$said" = "$n $(store_bytes "$ST")" ] && [ "$n" -ge 12 ] && tiled "$ST"; then
	pass agent.sigint_writes_whole_store
else
	fail agent.sigint_writes_whole_store "exit $rc; summary '$said' for $n windows of $(store_bytes "$ST") bytes on disk (want >= 12, tiled: $(tiled "$ST" && echo yes || echo no))"
fi

# /metrics agree with the disk at the moment of the scrape, and with what the store holds.
"$PROFD" query --store "$ST" -o "$ART/all.folded" 2>"$ART/query_all.err" ||
	fail agent.query_all "$(tail -1 "$ART/query_all.err")"
m_files=$(metric "$ART/metrics.txt" profd_store_files)
m_bytes=$(metric "$ART/metrics.txt" profd_store_bytes)
m_written=$(metric "$ART/metrics.txt" profd_windows_written_total)
m_failed=$(metric "$ART/metrics.txt" profd_window_write_failures_total)
m_samples=$(metric "$ART/metrics.txt" profd_samples_total)
stored=$(total "$ART/all.folded")
if { [ "$m_files $m_bytes" = "$files0 $bytes0" ] || [ "$m_files $m_bytes" = "$files1 $bytes1" ]; } &&
	[ "$m_written" = "$m_files" ] && [ "$m_failed" = 0 ] &&
	[ "$m_samples" -gt 0 ] 2>/dev/null && [ "$m_samples" -le "$stored" ]; then
	pass agent.metrics_match_disk
else
	fail agent.metrics_match_disk "files/bytes $m_files/$m_bytes vs disk $files0/$bytes0..$files1/$bytes1, written $m_written, failed $m_failed, samples $m_samples (the store holds $stored)"
fi
# profd's own footprint: resident memory (now and peak) and the BPF maps' kernel memory, each
# above 1 MiB (the maps alone are sized far above it).
footprint=""
for f in profd_resident_memory_bytes profd_resident_memory_peak_bytes profd_bpf_map_bytes; do
	footprint="$footprint $f=$(metric "$ART/metrics.txt" $f)"
done
if echo "$footprint" | tr ' ' '\n' | awk -F= 'NF == 2 && $2 ~ /^[0-9][0-9.e+]*$/ && $2 + 0 > 1048576 { n++ } END { exit n != 3 }'; then
	pass agent.metrics_footprint
else
	fail agent.metrics_footprint "want each above 1 MiB:$footprint"
fi

# ---- the page's wall-clock view of the store ----
# Windows tile time, so those on disk that end by the listing's last are exactly what it saw.
listed=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["windows"], d["last_ns"], d["first_ns"])' "$ART/store.json" 2>/dev/null)
set -- $listed
seen=$(windows "$ST" | awk -v l="${2:-0}" '{ split($0, a, "-"); sub(/\.pb\.zst$/, "", a[2]); if (a[2] + 0 <= l + 0) n++ } END { print n + 0 }')
first=$(start_of "$(windows "$ST" | head -1)")
if [ -n "$listed" ] && [ "$1" = "$seen" ] && [ "$1" -ge 10 ] && [ "$3" = "$first" ]; then
	pass web.store_listing
else
	fail web.store_listing "listing '$listed', $seen windows on disk by then, first $first"
fi
"$PROFD" query --store "$ST" --from "$web_from" --to "$web_to" -o "$ART/query_range.folded" 2>"$ART/query_range.err"
"$PROFD" query --store "$ST" --from "$web_from" --to "$web_to" --comm "$A3" \
	-o "$ART/query_range_split3.folded" 2>/dev/null
w=$(total "$ART/web_range.folded")
q=$(total "$ART/query_range.folded")
w3=$(total "$ART/web_range_split3.folded")
q3=$(total "$ART/query_range_split3.folded")
if [ "$w" -gt 0 ] && [ "$w" = "$q" ] && [ "$w3" -gt 0 ] && [ "$w3" = "$q3" ] &&
	grep -q "query: 6 windows" "$ART/query_range.err"; then
	pass web.wall_range_equals_query
else
	fail web.wall_range_equals_query "$web_from..$web_to: web $w samples ($w3 split3), query $q ($q3 split3)"
fi
if [ "$web_codes" = " 400:1 400:1 400:1 400:1 400:1 400:1 400:1 400:1 400:1" ]; then
	pass web.bad_times_400
else
	fail web.bad_times_400 "status:error-line per bad request:$web_codes"
fi
if ls -A "$ST" | grep -vqE '^[0-9]+-[0-9]+\.pb\.zst$'; then
	fail agent.only_windows "other files left: $(ls -A "$ST" | grep -vE '\.pb\.zst$' | head -3 | tr '\n' ' ')"
else
	pass agent.only_windows
fi

# ---- query: whole range, split within TOL of the truth ----
for f in work_a work_b work_c; do
	want=$(awk -v f="$f" '$1 == "truth" && $2 == f { print $3 }' "$ART/split3.truth")
	got=$(python3 "$FOLDED" share "$ART/all.folded" "$f" --comm "$A3" 2>&1)
	if [ -n "$want" ] && awk -v g="$got" -v w="$want" -v t="$TOL" \
		'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g ~ /^[0-9.]+$/ && d <= t) }'; then
		pass "query.split_$f"
	else
		fail "query.split_$f" "profd '$got'% vs truth '$want'% (allowed ±$TOL)"
	fi
done
# The SVG of split3 in the store: well-formed, with work_a at its share of split3's samples.
if "$PROFD" query --store "$ST" --comm "$A3" -o "$ART/all.svg" 2>"$TMP/err" &&
	xmllint --noout "$ART/all.svg" 2>>"$TMP/err"; then
	n3=$(sed -n "s|.*<title>$A3 (\([0-9,]*\) samples.*|\1|p" "$ART/all.svg" | tr -d , | head -1)
	na=$(sed -n 's|.*<title>work_a (\([0-9,]*\) samples.*|\1|p' "$ART/all.svg" | tr -d , | awk '{ s += $1 } END { print s + 0 }')
	want=$(awk '$1 == "truth" && $2 == "work_a" { print $3 }' "$ART/split3.truth")
	if [ "${n3:-0}" -gt 0 ] && awk -v a="$na" -v n="$n3" -v w="$want" -v t="$TOL" \
		'BEGIN { d = 100 * a / n - w; if (d < 0) d = -d; exit !(d <= t) }'; then
		pass query.svg
	else
		fail query.svg "work_a $na of split3's ${n3:-0} samples in the SVG, truth $want %"
	fi
else
	fail query.svg "$(tail -2 "$TMP/err" | tr '\n' ' ')"
fi
if "$PROFD" query --store "$ST" --comm "$A3" -o "$ART/split3.pb.gz" 2>/dev/null &&
	"$PROFD" convert "$ART/split3.pb.gz" -o "$TMP/split3.folded" &&
	[ "$(python3 "$FOLDED" comms "$TMP/split3.folded" | awk '{ print $2 }' | sort -u)" = "$A3" ]; then
	pass query.pprof_comm_filter
else
	fail query.pprof_comm_filter "pprof of --comm split3 does not hold split3 alone"
fi

# ---- query: a sub-range is exactly those windows ----
set -- $(windows "$ST")
from_name=$(eval echo "\${$(($# / 2 - 2))}")
to_name=$(eval echo "\${$(($# / 2 + 1))}")
from=$(rfc3339 "$(start_of "$from_name")")
to=$(rfc3339 "$(end_of "$to_name")")
if "$PROFD" query --store "$ST" --from "$from" --to "$to" -o "$ART/sub.folded" 2>"$ART/query_sub.err"; then
	got=$(sed -n 's/.*query: \([0-9]*\) windows.*/\1/p' "$ART/query_sub.err")
	a=$(total "$ART/all.folded")
	b=$(total "$ART/sub.folded")
	if [ "$got" = 4 ] && [ "$b" -gt 0 ] && [ "$b" -lt "$a" ]; then
		pass query.sub_range
	else
		fail query.sub_range "$got windows (want 4), $b samples of $a"
	fi
else
	fail query.sub_range "$(tail -1 "$ART/query_sub.err")"
fi
if "$PROFD" query --store "$ST" --from "2000-01-01T00:00:00Z" --to "2000-01-02T00:00:00+01:00" \
	-o "$TMP/none.folded" 2>/dev/null; then
	fail query.empty_range "exit 0 for a range without windows"
else
	pass query.empty_range
fi

# ---- retention by size: the oldest windows go, nothing else ----
cp -a "$ST" "$TMP/size"
old_total=$(du -cb "$TMP/size"/*.pb.zst | tail -1 | cut -f1)
limit=$((old_total / 2))
windows "$TMP/size" >"$TMP/size.before"
# new_under DIR LIMIT: a window the agent wrote is there, and the store is within LIMIT bytes
new_under() { windows "$1" | grep -vqxFf "$TMP/size.before" && [ "$(store_bytes "$1")" -le "$2" ]; }
"$PROFD" agent --store "$TMP/size" --window 1 --retention-size "$limit" 2>"$ART/agent_size.err" &
p=$!
wait_for 20 new_under "$TMP/size" "$limit"
stop "$p"
windows "$TMP/size" >"$TMP/size.after"
kept_old=$(grep -cxFf "$TMP/size.before" "$TMP/size.after")
new_total=$(du -cb "$TMP/size"/*.pb.zst | tail -1 | cut -f1)
tail -n "$kept_old" "$TMP/size.before" >"$TMP/size.newest_old"
head -n "$kept_old" "$TMP/size.after" >"$TMP/size.kept"
# The survivors of the old windows must be the newest ones, the new ones all there (at least
# one written), and the store under the limit.
if [ "$kept_old" -lt "$(wc -l <"$TMP/size.before")" ] && [ "$new_total" -le "$limit" ] &&
	cmp -s "$TMP/size.newest_old" "$TMP/size.kept" &&
	[ "$(wc -l <"$TMP/size.after")" -gt "$kept_old" ]; then
	pass retention.size_oldest_first
else
	fail retention.size_oldest_first "kept $kept_old old windows, $new_total bytes (limit $limit)"
fi

# ---- retention by age: windows from two days ago go, today's stay ----
cp -a "$ST" "$TMP/age"
now=$(date +%s)
any=$(windows "$TMP/age" | head -1)
for d in 3 2; do
	s=$(((now - d * 86400) * 1000000000))
	cp "$TMP/age/$any" "$TMP/age/$s-$((s + 1000000000)).pb.zst"
done
before=$(nwindows "$TMP/age")
# old_left DIR: windows that started more than a day ago
old_left() { windows "$1" | awk -v c=$(((now - 86400) * 1000000000)) '{ split($0, a, "-"); if (a[1] < c) n++ } END { print n + 0 }'; }
"$PROFD" agent --store "$TMP/age" --window 1 --retention-age 1d 2>"$ART/agent_age.err" &
p=$!
wait_for 20 said "$ART/agent_age.err" "$READY" && wait_for 10 test "$(old_left "$TMP/age")" = 0
stop "$p"
old_left=$(old_left "$TMP/age")
if [ "$old_left" = 0 ] && [ "$(nwindows "$TMP/age")" -ge $((before - 2)) ]; then
	pass retention.age
else
	fail retention.age "$old_left old windows left, $(nwindows "$TMP/age") of $before"
fi

# ---- a damaged window: skipped, one warning, the query still answers ----
cp -a "$ST" "$TMP/bad"
set -- $(windows "$TMP/bad")
victim=$(eval echo "\${$(($# / 2))}")
cut=$(eval echo "\${$(($# / 2 + 1))}")
head -c 40 /dev/urandom >"$TMP/bad/$victim"
truncate -s $(($(stat -c %s "$TMP/bad/$cut") / 2)) "$TMP/bad/$cut"
if "$PROFD" query --store "$TMP/bad" -o "$ART/bad.folded" 2>"$ART/query_bad.err"; then
	w1=$(grep -c "$victim: damaged" "$ART/query_bad.err")
	w2=$(grep -c "$cut: damaged" "$ART/query_bad.err")
	got=$(sed -n 's/.*query: \([0-9]*\) windows.*/\1/p' "$ART/query_bad.err")
	if [ "$w1" = 1 ] && [ "$w2" = 1 ] && [ "$got" = $(($# - 2)) ] &&
		[ "$(total "$ART/bad.folded")" -lt "$(total "$ART/all.folded")" ]; then
		pass store.damaged_skipped
	else
		fail store.damaged_skipped "warnings $w1 (garbage) $w2 (cut), $got of $# windows; $(tr '\n' ' ' <"$ART/query_bad.err")"
	fi
else
	fail store.damaged_skipped "query failed: $(tail -1 "$ART/query_bad.err")"
fi

# ---- kill -9 at random moments: no partial window visible, leftovers cleared on restart ----
KST="$TMP/kill"
i=0
while [ $i -lt "$KILLS" ]; do
	"$PROFD" agent --store "$KST" --window 1 2>"$TMP/kill.err" &
	p=$!
	# A random moment of its running (the fault injected), counted from when it samples.
	wait_for 20 said "$TMP/kill.err" "$READY"
	sleep "$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%.2f", 0.2 + rand() * 2.5 }')"
	kill -9 "$p"
	wait "$p" 2>/dev/null
	cat "$TMP/kill.err" >>"$ART/agent.err"
	i=$((i + 1))
done
files=$(nwindows "$KST")
if "$PROFD" query --store "$KST" -o "$TMP/kill.folded" 2>"$ART/query_kill.err"; then
	got=$(sed -n 's/.*query: \([0-9]*\) windows.*/\1/p' "$ART/query_kill.err")
	if [ "$got" = "$files" ] && ! grep -q damaged "$ART/query_kill.err"; then
		pass store.kill9_no_partial_window
	else
		fail store.kill9_no_partial_window "$got of $files windows readable: $(tr '\n' ' ' <"$ART/query_kill.err")"
	fi
else
	fail store.kill9_no_partial_window "query failed after $KILLS kills: $(tail -1 "$ART/query_kill.err")"
fi
# A restart removes what a kill left under a temporary name (when it opens the store).
"$PROFD" agent --store "$KST" --window 1 2>"$ART/agent_restart.err" &
p=$!
wait_for 20 said "$ART/agent_restart.err" "$READY"
kill -INT "$p"
wait "$p"
rc=$?
if [ "$rc" = 0 ] && ! ls -A "$KST" | grep -qvE '^[0-9]+-[0-9]+\.pb\.zst$'; then
	pass store.restart_clears_temporaries
else
	fail store.restart_clears_temporaries "exit $rc; left: $(ls -A "$KST" | grep -vE '\.pb\.zst$' | tr '\n' ' ')"
fi

# ---- push: the receiver is down at first, then up; every window arrives and reads in pprof ----
# received DIR: requests a receiver has taken (a window is a request per service);
# received_over DIR N: more than N of them; received_windows DIR: the windows among them, by
# from and until
received() { wc -l <"$1/index.txt" 2>/dev/null || echo 0; }
received_over() { [ "$(received "$1")" -gt "$2" ]; }
received_windows() { awk '{ print $3, $4 }' "$1/index.txt" 2>/dev/null | sort -u | wc -l; }
# listening PORT: something accepts connections there
listening() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/"; }
# queued DIR N: N windows in DIR while the agent has said a push failed and is retrying
queued() { [ "$(nwindows "$1")" -ge "$2" ] && said "$3" 'push: .*\(retrying\)'; }
PPORT=$(freeport)
RECV="$TMP/recv"
# A window without samples is not sent; split3 keeps every window of this run busy.
"$WL/split3" 120 >/dev/null &
BUSY=$!
PIDS="$PIDS $BUSY"
"$PROFD" agent --store "$TMP/push" --window 1 --push "http://127.0.0.1:$PPORT" \
	--labels env=test,team=perf 2>"$ART/agent_push.err" &
p=$!
wait_for 30 queued "$TMP/push" 3 "$ART/agent_push.err"
python3 "$TOP/tests/e2e/pyroscope_recv.py" "$PPORT" "$RECV" &
RP=$!
PIDS="$PIDS $RP"
wait_for 10 listening "$PPORT"
# The spool drains: every window stored arrives. The agent keeps writing one a second, so
# wait for a moment when the receiver has them all; a stop with windows still in the spool
# keeps them there for the next run, which would not be this check's failure.
all_received() { [ "$(received_windows "$RECV")" -ge "$(nwindows "$TMP/push")" ]; }
wait_for 60 all_received
stop "$p"
kill "$RP" "$BUSY" 2>/dev/null
stored=$(nwindows "$TMP/push")
got=$(received_windows "$RECV")
if [ "$rc" = 0 ] && [ "$stored" -ge 5 ] && [ "$got" = "$stored" ] && [ ! -s "$RECV/errors.txt" ] &&
	grep -q "push: .*(retrying)" "$ART/agent_push.err"; then
	pass push.spooled_until_backend_up
else
	fail push.spooled_until_backend_up "exit $rc, $got of $stored windows received; $(cat "$RECV/errors.txt" 2>/dev/null | head -2 | tr '\n' ' ')"
fi
host=$(hostname)
# Each series is named after its service (no ".cpu": Pyroscope appends the profile type), with
# the host and --labels.
if [ "$got" -gt 0 ] && awk -v h="$host" '{ n++ } $2 ~ "^[A-Za-z0-9_./-]+\\{hostname=" h ",env=test,team=perf[,}]" && $5 == 19 && $3 <= $4 { ok++ }
	$2 ~ /\.cpu\{/ { cpu++ } END { exit !(n && ok == n && !cpu) }' "$RECV/index.txt"; then
	pass push.labels_and_times
else
	fail push.labels_and_times "$(head -2 "$RECV/index.txt" 2>/dev/null | tr '\n' ' ')"
fi
# Every body passes go tool pprof -raw; together they hold what the store holds.
if command -v go >/dev/null 2>&1; then
	bad=0
	sum=0
	for f in "$RECV"/*.pb.gz; do
		[ -e "$f" ] || continue
		go tool pprof -raw "$f" >"$TMP/raw.txt" 2>&1 || { bad=$((bad + 1)); continue; }
		n=$(awk '/^Samples:/ { on = 1; next } /^Locations/ { on = 0 } on && $1 ~ /^[0-9]+$/ { s += $1 } END { print s + 0 }' "$TMP/raw.txt")
		sum=$((sum + n))
	done
	"$PROFD" query --store "$TMP/push" -o "$TMP/push.folded" 2>/dev/null
	want=$(total "$TMP/push.folded")
	if [ "$bad" = 0 ] && [ "$got" -gt 0 ] && [ "$sum" = "$want" ]; then
		pass push.bodies_read_by_go_pprof
	else
		fail push.bodies_read_by_go_pprof "$bad unreadable; $sum samples pushed, $want in the store"
	fi
else
	missing push.bodies_read_by_go_pprof "go is not installed"
fi

# ---- push spool: the receiver down, the spool stays in its bound and drops the oldest; a
# restart sends what the last run left, and the spool drains once the receiver is up ----
SST="$TMP/spool_store"
SPOOL="$SST/spool"
SPORT=$(freeport)
SMPORT=$(freeport)
SRECV="$TMP/recv_spool"
# spooled: the window files in the spool, oldest first; spool_bytes: their size
spooled() { ls "$SPOOL" 2>/dev/null | grep -E '^[0-9]{19}-[0-9]{19}\.pb\.gz$' | sort; }
spool_bytes() { (cd "$SPOOL" && spooled | xargs -r stat -c %s | awk '{ s += $1 } END { print s + 0 }'); }
"$WL/split3" 150 >/dev/null &
w=$!
PIDS="$PIDS $w"
# The bound is three windows of this run's size (a window's size depends on its stacks, so on
# the machine and the unwinder): measured first, with an unbounded spool and the receiver down,
# over the first 4 windows spooled (at most 60 s: under load a window can take seconds).
"$PROFD" agent --store "$TMP/spool_measure" --window 1 -F 499 --push "http://127.0.0.1:$SPORT" \
	2>"$ART/agent_spool_measure.err" &
p=$!
PIDS="$PIDS $p"
i=0
while [ $i -lt 60 ] && [ "$(SPOOL="$TMP/spool_measure/spool" spooled | wc -l)" -lt 4 ]; do
	sleep 1
	i=$((i + 1))
done
stop "$p"
WINDOW=$(SPOOL="$TMP/spool_measure/spool"; cd "$SPOOL" 2>/dev/null && spooled | xargs -r stat -c %s |
	sort -n | tail -n 1)
BOUND=$((3 * ${WINDOW:-16384}))
echo "push: spooled windows up to $WINDOW bytes: spool bound $BOUND"
"$PROFD" agent --store "$SST" --window 1 -F 499 --push "http://127.0.0.1:$SPORT" \
	--spool-size "$BOUND" --http "127.0.0.1:$SMPORT" 2>"$ART/agent_spool.err" &
p=$!
PIDS="$PIDS $p"
# Window sizes vary with what else runs: go on until the bound has made the spool drop some
# (at least 8 s, at most 80: windows come late when the machine is loaded).
most=0
i=0
while [ $i -lt 80 ]; do
	sleep 1
	b=$(spool_bytes)
	[ "$b" -gt "$most" ] && most=$b
	i=$((i + 1))
	curl -sf "http://127.0.0.1:$SMPORT/metrics" >"$ART/metrics_spool.txt"
	[ $i -ge 8 ] && [ "$(metric "$ART/metrics_spool.txt" profd_push_dropped_total)" != none ] &&
		[ "$(metric "$ART/metrics_spool.txt" profd_push_dropped_total)" -ge 1 ] && break
done
kill "$w" 2>/dev/null
wait "$w" 2>/dev/null
stop "$p"
spooled >"$TMP/leftovers"
left=$(wc -l <"$TMP/leftovers")
dropped=$(metric "$ART/metrics_spool.txt" profd_push_dropped_total)
gauge=$(metric "$ART/metrics_spool.txt" profd_push_spool_bytes)
if [ "$rc" = 0 ] && [ "$most" -le "$BOUND" ] && [ "$most" -gt $((BOUND / 3)) ] &&
	[ "$(spool_bytes)" -le "$BOUND" ] && [ "$left" -ge 1 ] && [ "$dropped" -ge 1 ] 2>/dev/null &&
	[ "$gauge" -gt 0 ] && [ "$gauge" -le "$BOUND" ]; then
	pass push.spool_within_bound
else
	fail push.spool_within_bound "exit $rc; at most $most bytes of $BOUND, $left files left, ${dropped:-?} dropped, gauge ${gauge:-?}"
fi

# The receiver is still down when the second run starts: its windows queue behind the leftovers
# (it has said so and spooled one of its own before the receiver comes up).
# spool_has_new: a window in the spool that is not a leftover; drained: the spool is empty, and
# the agent's gauge says so
spool_has_new() { spooled | grep -vqxFf "$TMP/leftovers"; }
drained() {
	[ -z "$(spooled)" ] && curl -sf "http://127.0.0.1:$SMPORT/metrics" >"$ART/metrics_spool2.txt" &&
		[ "$(metric "$ART/metrics_spool2.txt" profd_push_spool_files)" = 0 ]
}
"$PROFD" agent --store "$SST" --window 1 --push "http://127.0.0.1:$SPORT" \
	--http "127.0.0.1:$SMPORT" 2>"$ART/agent_spool2.err" &
p=$!
PIDS="$PIDS $p"
wait_for 20 said "$ART/agent_spool2.err" "$READY" && wait_for 20 spool_has_new
python3 "$TOP/tests/e2e/pyroscope_recv.py" "$SPORT" "$SRECV" &
RP=$!
PIDS="$PIDS $RP"
wait_for 10 listening "$SPORT"
wait_for 30 drained
stop "$p"
kill "$RP" 2>/dev/null
files=$(metric "$ART/metrics_spool2.txt" profd_push_spool_files)
if [ "$rc" = 0 ] && [ -z "$(spooled)" ] && [ "$files" = 0 ] &&
	grep -q "push: $left windows in the spool from an earlier run" "$ART/agent_spool2.err"; then
	pass push.spool_drains_when_up
else
	fail push.spool_drains_when_up "exit $rc; $(spooled | wc -l) files still spooled, gauge ${files:-?}; $(grep push: "$ART/agent_spool2.err" | head -2 | tr '\n' ' ')"
fi
# Every leftover arrived (from and until are its start and end in whole seconds), oldest first.
lost=0
while IFS=- read -r start rest; do
	start=$(echo "$start" | sed 's/^0*//')
	end=$(echo "${rest%.pb.gz}" | sed 's/^0*//')
	from=$((start / 1000000000))
	until=$(((end + 999999999) / 1000000000))
	awk -v f="$from" -v u="$until" '$3 == f && $4 == u { found = 1 } END { exit !found }' \
		"$SRECV/index.txt" 2>/dev/null || lost=$((lost + 1))
done <"$TMP/leftovers"
got=$(wc -l <"$SRECV/index.txt" 2>/dev/null || echo 0)
if [ "$left" -gt 0 ] && [ "$lost" = 0 ] && [ ! -s "$SRECV/errors.txt" ] &&
	awk '$3 < last { bad = 1 } { last = $3 } END { exit bad }' "$SRECV/index.txt"; then
	pass push.restart_sends_leftovers_oldest_first
else
	fail push.restart_sends_leftovers_oldest_first "$lost of $left leftovers missing in $got received; $(head -2 "$SRECV/errors.txt" 2>/dev/null | tr '\n' ' ')"
fi
if command -v go >/dev/null 2>&1; then
	bad=0
	for f in "$SRECV"/*.pb.gz; do
		[ -e "$f" ] || continue
		go tool pprof -raw "$f" >/dev/null 2>&1 || bad=$((bad + 1))
	done
	if [ "$bad" = 0 ] && [ "$got" -gt "$left" ]; then
		pass push.spooled_bodies_read_by_go_pprof
	else
		fail push.spooled_bodies_read_by_go_pprof "$bad of $got unreadable ($left were leftovers)"
	fi
else
	missing push.spooled_bodies_read_by_go_pprof "go is not installed"
fi

# ---- push: a series the backend refuses (400) is dropped and counted, the next ones go on ----
RPORT=$(freeport)
RREC="$TMP/recv_refuse"
python3 "$TOP/tests/e2e/pyroscope_recv.py" "$RPORT" "$RREC" 2 &
RP=$!
PIDS="$PIDS $RP"
wait_for 10 listening "$RPORT"
HPORT=$(freeport)
# refused_then_sent: two refused, two sent after them, and /metrics has counted the refusals
refused_then_sent() {
	[ "$(wc -l <"$RREC/refused.txt" 2>/dev/null || echo 0)" = 2 ] && received_over "$RREC" 1 &&
		curl -sf "http://127.0.0.1:$HPORT/metrics" >"$ART/metrics_refuse.txt" &&
		[ "$(metric "$ART/metrics_refuse.txt" profd_push_rejected_total)" = 2 ]
}
"$PROFD" agent --store "$TMP/push_refuse" --window 1 --push "http://127.0.0.1:$RPORT" \
	--http "127.0.0.1:$HPORT" 2>"$ART/agent_refuse.err" &
p=$!
wait_for 30 refused_then_sent
stop "$p"
kill "$RP" 2>/dev/null
rejected=$(metric "$ART/metrics_refuse.txt" profd_push_rejected_total)
refused=$(wc -l <"$RREC/refused.txt" 2>/dev/null || echo 0)
got=$(wc -l <"$RREC/index.txt" 2>/dev/null || echo 0)
if [ "$rc" = 0 ] && [ "$refused" = 2 ] && [ "${rejected:-0}" = 2 ] && [ "$got" -ge 2 ] &&
	grep -q "HTTP status 400 for series .*: dropped, not sent again" "$ART/agent_refuse.err"; then
	pass push.refused_series_dropped_rest_sent
else
	fail push.refused_series_dropped_rest_sent "exit $rc; $refused refused, $rejected counted, $got received after"
fi

# ---- disk full (a small tmpfs): sampling goes on, failed writes are counted, then it recovers ----
FULL="$TMP/full"
mkdir -p "$FULL"
if mount -t tmpfs -o size=256k profd-test "$FULL" 2>/dev/null; then
	trap 'umount "$FULL" 2>/dev/null; cleanup' EXIT
	mkdir "$FULL/store"
	head -c 300000 /dev/zero >"$FULL/filler" 2>/dev/null
	MPORT=$(freeport)
	# write_failed: /metrics counts at least one window the full disk refused
	write_failed() {
		curl -sf "http://127.0.0.1:$MPORT/metrics" >"$ART/metrics_full.txt" &&
			[ "$(metric "$ART/metrics_full.txt" profd_window_write_failures_total)" -ge 1 ] 2>/dev/null
	}
	two_windows() { [ "$(nwindows "$FULL/store")" -ge 2 ]; }
	"$PROFD" agent --store "$FULL/store" --window 1 --http "127.0.0.1:$MPORT" 2>"$ART/agent_full.err" &
	p=$!
	wait_for 20 write_failed
	during=$(nwindows "$FULL/store")
	rm -f "$FULL/filler"
	wait_for 20 two_windows
	curl -sf "http://127.0.0.1:$MPORT/metrics" >"$ART/metrics_after.txt"
	stop "$p"
	failed=$(metric "$ART/metrics_full.txt" profd_window_write_failures_total)
	after=$(nwindows "$FULL/store")
	if [ "$rc" = 0 ] && [ "$during" = 0 ] && [ "$failed" -ge 1 ] 2>/dev/null && [ "$after" -ge 2 ] &&
		! ls -A "$FULL/store" | grep -qvE '^[0-9]+-[0-9]+\.pb\.zst$'; then
		pass store.disk_full_counted_and_recovers
	else
		fail store.disk_full_counted_and_recovers "exit $rc; $during windows while full, $failed failures counted, $after after"
	fi
	umount "$FULL"
else
	skip store.disk_full_counted_and_recovers "cannot mount a tmpfs here"
fi

# ---- every /metrics scrape above, checked by Prometheus's own promtool ----
if command -v promtool >/dev/null 2>&1; then
	bad=""
	for f in "$ART"/metrics*.txt; do
		[ -e "$f" ] || continue
		promtool check metrics <"$f" >"$TMP/promtool.out" 2>&1 ||
			bad="$bad $(basename "$f"): $(head -3 "$TMP/promtool.out" | tr '\n' ' ')"
	done
	n=$(ls "$ART"/metrics*.txt 2>/dev/null | wc -l)
	if [ -z "$bad" ] && [ "$n" -ge 5 ]; then
		pass "agent.metrics_promtool ($n scrapes)"
	else
		fail agent.metrics_promtool "$n scrapes;$bad"
	fi
else
	missing agent.metrics_promtool "promtool is not installed (prometheus)"
fi
