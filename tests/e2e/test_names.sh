#!/bin/sh
# Frame names end to end, each against an outside oracle:
# - Code without symbols: a stripped copy (strip -s) of the split3 workload. Every frame in it
#   must be named by where its function starts, per the FDEs readelf lists; named back through
#   nm of the unstripped build, the stacks must give the CPU shares the workload measured. The
#   run ends with one line naming split3 as code without symbols; the unstripped build's does not.
# - C++ names: tests/names/cxx_names.cpp, whose hot functions are a member of a class template, an
#   operator, a lambda and a template in an anonymous namespace. Folded and SVG frames are what
#   `c++filt -p` prints for their symbols (nm), --full-names frames what c++filt prints; pprof
#   carries both (go tool pprof -raw), and converting it back gives either. profd agent
#   --full-names pushes whole names (to a stand-in Pyroscope); profd query gives either form.
# Every output is kept in tests/artifacts/test_names/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/known_answer.sh"

CFI="$TOP/tests/e2e/cfi_names.py"
TOL=3 # percentage points, profd's share vs the workload's own

need_root names || exit 0

# ---- a stripped binary: one name per function, at its FDE's start --------------------------
stripped_checks() {
	out="$ART/stripped.folded" err="$ART/stripped.stderr" tf="$ART/stripped.truth"
	named="$ART/stripped.named.folded"
	mkdir -p "$TMP/stripped"
	if ! strip -s -o "$TMP/stripped/split3" "$WL/split3"; then
		fail names.stripped.copy "strip -s $WL/split3 failed"
		return
	fi
	timeout 60 "$PROFD" -F 499 -o "$out" -- "$TMP/stripped/split3" 6 >"$tf" 2>"$err"
	ran names.stripped.run $? 0 "$out" "$err" || return
	if got=$(python3 "$CFI" "$out" split3 "$TMP/stripped/split3" "$WL/split3" "$named" \
		2>"$TMP/cfi.err"); then
		pass names.stripped.fde_starts
		echo "stripped split3: $got (distinct unnamed frames, FDEs)" >>"$err"
		shares names.stripped "$named" "$tf" split3 work_a work_b work_c
		if q rooted "$named" --comm split3 --roots main; then
			atleast names.stripped.rooted "$Q" 98 "% of split3 samples reaching main"
		else
			fail names.stripped.rooted "$Q"
		fi
	else
		fail names.stripped.fde_starts "$(cat "$TMP/cfi.err")"
	fi
	# Nearly all of split3's user time is in its own (stripped) code.
	share=$(sed -n 's/.* \([0-9]*\)% of user-space samples are in code without symbols: split3 (.*/\1/p' "$err")
	atleast names.stripped.hint "${share:-none}" 90 "% of user-space samples said to be in split3 without symbols"
	out="$ART/unstripped.folded" err="$ART/unstripped.stderr"
	timeout 60 "$PROFD" -F 99 -o "$out" -- "$WL/split3" 2 >/dev/null 2>"$err"
	if ran names.unstripped.run $? 0 "$out" "$err"; then
		if grep -q 'code without symbols' "$err"; then
			fail names.unstripped.no_hint "$(grep 'code without symbols' "$err")"
		else
			pass names.unstripped.no_hint
		fi
	fi
}

if [ -x "$WL/split3" ]; then
	stripped_checks
else
	fail names.stripped "$WL/split3 missing (make test-binaries)"
fi

# ---- C++ names: c++filt -p by default, c++filt with --full-names -----------------------------
cxx_checks() {
	bin="$TMP/cxx_names"
	if ! g++ -O0 -g -fno-omit-frame-pointer -o "$bin" "$TOP/tests/names/cxx_names.cpp" \
		2>"$TMP/cc.err"; then
		fail names.cxx.build "$(tail -n 3 "$TMP/cc.err" | tr '\n' ' ')"
		return
	fi
	# The oracle: mangled, full and short names of every function of the binary.
	nm --defined-only "$bin" | awk '$3 ~ /^_Z/ { print $3 }' >"$TMP/mangled"
	c++filt <"$TMP/mangled" >"$TMP/full"
	c++filt -p <"$TMP/mangled" >"$TMP/short"
	paste "$TMP/mangled" "$TMP/full" "$TMP/short" >"$ART/cxx.oracle"

	pb="$ART/cxx.pb.gz" err="$ART/cxx.stderr"
	timeout 60 "$PROFD" -F 499 -o "$pb" -- "$bin" 3 2>"$err"
	ran names.cxx.run $? 0 "$pb" "$err" || return
	timeout 60 "$PROFD" -F 499 --full-names -o "$ART/cxx_full.folded" -- "$bin" 2 2>"$err.full"
	ran names.cxx.run_full_names $? 0 "$ART/cxx_full.folded" "$err.full" || return
	for f in "$ART/cxx.folded" "$ART/cxx.svg"; do
		"$PROFD" convert "$pb" -o "$f" 2>>"$err"
	done
	"$PROFD" convert --full-names "$pb" -o "$ART/cxx_pprof_full.folded" 2>>"$err"
	if xmllint --noout "$ART/cxx.svg" 2>"$TMP/xml.err"; then
		pass names.cxx.svg_xml
	else
		fail names.cxx.svg_xml "$(head -n 3 "$TMP/xml.err" | tr '\n' ' ')"
	fi
	go tool pprof -raw "$pb" >"$ART/cxx.pprof.raw" 2>"$TMP/pprof.err" ||
		fail names.cxx.pprof_raw "go tool pprof -raw: $(tail -n 1 "$TMP/pprof.err")"
	python3 - "$ART" <<'EOF'
import re, sys, xml.etree.ElementTree as ET
art = sys.argv[1]
# The hot functions, picked by their full (c++filt) names.
wanted = {
    "template_member": r"ns::Box<std::__cxx11::basic_string<.*> >::spin\(long\) const",
    "operator": r"ns::Box<std::vector<.*> >::operator<<\(long\)",
    "lambda": r"main::\{lambda\(long\)#1\}::operator\(\)\(long\) const",
    "anonymous_namespace": r"long \(anonymous namespace\)::churn<.*>\(.*\)",
}
oracle = {}
for line in open(art + "/cxx.oracle"):
    mangled, full, short = line.rstrip("\n").split("\t")
    for key, pat in wanted.items():
        if re.fullmatch(pat, full):
            oracle[key] = (full, short)

def frames(path):
    """frame -> samples with it, and the total."""
    per, total = {}, 0
    for line in open(path):
        stack, _, n = line.rstrip("\n").rpartition(" ")
        total += int(n)
        for f in set(stack.split(";")):
            per[f] = per.get(f, 0) + int(n)
    return per, total

short_f, total = frames(art + "/cxx.folded")
full_rec, _ = frames(art + "/cxx_full.folded")
full_pb, _ = frames(art + "/cxx_pprof_full.folded")
raw = set()
for line in open(art + "/cxx.pprof.raw"):
    m = re.match(r"\s*\d+: 0x[0-9a-f]+ (?:M=\d+ )?(.*) \S+:\d+ s=\d+\((.*)\)$", line)
    if m:
        raw.add((m.group(1), m.group(2)))
titles = [t.text or "" for t in ET.parse(art + "/cxx.svg").iter("{http://www.w3.org/2000/svg}title")]

for key in wanted:
    name = "names.cxx." + key
    if key not in oracle:
        print("FAIL %s: nm/c++filt found no function matching %s" % (name, wanted[key]))
        continue
    full, short = oracle[key]
    checks = [
        (short_f.get(short, 0) * 100 >= 10 * total,
         "short name %r on %d of %d samples, want >= 10%%" % (short, short_f.get(short, 0), total)),
        (full not in short_f, "the full form %r is a frame by default" % full),
        (full in full_rec, "--full-names: no frame %r" % full),
        (full in full_pb, "convert --full-names of the pprof: no frame %r" % full),
        ((short, full) in raw, "go tool pprof -raw: no function %r with system name %r" % (short, full)),
        (any(t.startswith(short + " (") for t in titles), "SVG: no frame titled %r" % short),
    ]
    bad = [why for ok, why in checks if not ok]
    print("FAIL %s: %s" % (name, "; ".join(bad)) if bad else "PASS " + name)
EOF
}

# ---- the agent: --full-names for what it pushes; its store keeps both forms for query ---------
# received N INDEX: the stand-in Pyroscope has N windows listed in INDEX
received() { [ "$(cat "$2" 2>/dev/null | wc -l)" -ge "$1" ]; }
agent_checks() {
	bin="$TMP/cxx_names" st="$TMP/agent_store" recv="$TMP/agent_recv" err="$ART/agent.stderr"
	port=$(freeport)
	bg python3 "$TOP/tests/e2e/pyroscope_recv.py" "$port" "$recv"
	if ! wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$port/"; then
		fail names.agent.push_full_names "the stand-in Pyroscope did not listen on $port"
		return
	fi
	bg "$bin" 60
	wl=$BG_PID
	bg "$PROFD" agent --store "$st" --window 1 -F 199 -p "$wl" --full-names \
		--push "http://127.0.0.1:$port" 2>"$err"
	agent=$BG_PID
	wait_for 60 received 3 "$recv/index.txt"
	kill -TERM "$agent"
	wait "$agent"
	rc=$?
	kill "$wl"
	got=$(cat "$recv/index.txt" 2>/dev/null | wc -l)
	if [ "$rc" != 0 ] || [ "$got" -lt 3 ] || [ -s "$recv/errors.txt" ]; then
		fail names.agent.push_full_names "exit $rc, $got windows received; $(tail -n 2 "$err" | tr '\n' ' ')"
		return
	fi
	for f in "$recv"/*.pb.gz; do
		# -symbolize=none: the names as sent (pprof would shorten C++ names itself).
		go tool pprof -raw -symbolize=none "$f" 2>>"$err"
	done >"$ART/agent_pushed.raw"
	"$PROFD" query --store "$st" -o "$ART/agent_query.folded" 2>>"$err"
	"$PROFD" query --store "$st" --full-names -o "$ART/agent_query_full.folded" 2>>"$err"
	python3 - "$ART" <<'EOF2'
import re, sys
art = sys.argv[1]
oracle = [line.rstrip("\n").split("\t")[1:] for line in open(art + "/cxx.oracle")]
hot = [(full, short) for full, short in oracle if re.search(r"::spin\(long\) const$|::operator<<\(long\)$", full)]
pushed = set()  # function names; pprof shows the system name only when it differs
for line in open(art + "/agent_pushed.raw"):
    m = re.match(r"\s*\d+: 0x[0-9a-f]+ (?:M=\d+ )?(.*) \S+:\d+ s=\d+$", line)
    if m:
        pushed.add(m.group(1))
frames = {}
for kind in ("", "_full"):
    frames[kind] = set()
    for line in open(art + "/agent_query%s.folded" % kind):
        frames[kind].update(line.rpartition(" ")[0].split(";"))
checks = {
    "names.agent.push_full_names": [full in pushed and short not in pushed for full, short in hot],
    "names.agent.query_short": [short in frames[""] and full not in frames[""] for full, short in hot],
    "names.agent.query_full_names": [full in frames["_full"] for full, _ in hot],
}
for name, oks in checks.items():
    if len(hot) == 2 and all(oks):
        print("PASS " + name)
    else:
        print("FAIL %s: %d of %d hot functions (%s)" % (name, sum(oks), len(hot), "; ".join(f for f, _ in hot)))
EOF2
}

if ! command -v g++ >/dev/null || ! command -v c++filt >/dev/null; then
	missing names.cxx "needs g++ and c++filt"
elif ! command -v go >/dev/null || ! command -v xmllint >/dev/null; then
	missing names.cxx "needs go (go tool pprof) and xmllint"
else
	cxx_checks
	[ -x "$TMP/cxx_names" ] && agent_checks
fi
