#!/bin/bash
# Symbolization of the same >= 50,000 addresses by profd's symbolizer (tests/bench/
# bench_symbolize.c: a resolver on a live process, the path profd takes), llvm-symbolizer,
# binutils' addr2line -f -i and elfutils' eu-addr2line -f -i, in one run.
#
# The addresses: every instruction of the .text of a C++ program built here with g++ -O2 -g
# (tests/bench/symbolize_work.cpp: std::sort, std::map, std::regex ...) and LIBC_ADDRS
# instructions spread evenly over libc's .text (its DWARF from libc6-dbg), as link-time
# addresses. Each tool gets one file's addresses on stdin, one process per file, all inline
# frames asked for. Cold: a fresh resolver (or process); warm: more passes of the same resolver
# (the median of 5), a second run of the others (they keep nothing between runs). The page cache
# holds every file before the first run. eu-addr2line takes ~10 ms per address in a large C++
# unit, so it gets every k-th address, at most EU_MAX per file; its rate is over those.
#
# Names: the innermost function of each address, demangled (c++filt for what llvm-symbolizer 14
# leaves mangled), compared without return type, parameters, clone suffix or spaces, lambdas
# spelled alike, a name that only adds namespaces or classes the other leaves out counted as the
# same; agreement is counted where the other tools agree among themselves: all three
# on eu-addr2line's share, llvm-symbolizer and addr2line on every address. Every difference is
# written to build/bench/symbolize.diffs.
. "$(dirname "$0")/lib.sh"
LIBC_ADDRS=${LIBC_ADDRS:-25000}
EU_MAX=${EU_MAX:-3000}
MIN_ADDRS=50000
unset DEBUGINFOD_URLS # nobody fetches anything

# Debian's llvm package provides llvm-symbolizer; llvm-N alone only llvm-symbolizer-N.
LLVM_SYMBOLIZER=$(command -v llvm-symbolizer ||
	ls /usr/bin/llvm-symbolizer-* 2>/dev/null | sort -V | tail -n 1)
for t in g++ objdump readelf addr2line eu-addr2line python3 /usr/bin/time "$LLVM_SYMBOLIZER"; do
	command -v "$t" >/dev/null || { echo "$t missing (make deps installs it)"; exit 1; }
done

# --- the helper, the program, the addresses ---
make -s -C "$TOP" build/bench/bench_symbolize
PROG="$BT/symbolize_work"
g++ -O2 -g -o "$PROG" "$TOP/tests/bench/symbolize_work.cpp"
LIBC=$(readlink -f "$(ldd "$PROG" | awk '$1 == "libc.so.6" {print $3}')")
BID=$(readelf -n "$LIBC" | awk '/Build ID:/ {print $3}')
LIBC_DEBUG=/usr/lib/debug/.build-id/${BID:0:2}/${BID:2}.debug
[ -r "$LIBC_DEBUG" ] || { echo "no $LIBC_DEBUG (make deps installs libc6-dbg)"; exit 1; }

text_addrs() { # FILE -> every instruction address of its .text
	objdump -d -j .text --no-show-raw-insn "$1" |
		awk '/^ +[0-9a-f]+:/ {sub(":", "", $1); print "0x" $1}'
}
text_addrs "$PROG" >"$TMP/prog.list"
text_addrs "$LIBC" >"$TMP/libc.all"
awk -v want="$LIBC_ADDRS" 'NR == FNR {n++; next} FNR == 1 {step = n / want}
	FNR - 1 >= next_at && taken < want {print; taken++; next_at = taken * step}' \
	"$TMP/libc.all" "$TMP/libc.all" >"$TMP/libc.list"
nprog=$(wc -l <"$TMP/prog.list")
nlibc=$(wc -l <"$TMP/libc.list")
total=$((nprog + nlibc))
[ "$total" -ge "$MIN_ADDRS" ] || { echo "only $total addresses; raise LIBC_ADDRS"; exit 1; }
{ sed "s|^|$PROG |" "$TMP/prog.list"; sed "s|^|$LIBC |" "$TMP/libc.list"; } >"$TMP/all.list"
# eu-addr2line's share: every k-th address of each file.
every() { awk -v k="$2" '(NR - 1) % k == 0' "$1"; }
kprog=$(((nprog + EU_MAX - 1) / EU_MAX))
klibc=$(((nlibc + EU_MAX - 1) / EU_MAX))
every "$TMP/prog.list" "$kprog" >"$TMP/prog.eu.list"
every "$TMP/libc.list" "$klibc" >"$TMP/libc.eu.list"
neu=$(($(wc -l <"$TMP/prog.eu.list") + $(wc -l <"$TMP/libc.eu.list")))
cat "$PROG" "$LIBC" "$LIBC_DEBUG" >/dev/null # page cache

# --- profd ---
set -- $("$BT/bench_symbolize" "$PROG" "$TMP/all.list" "$TMP/profd.names")
[ "$1" = addresses ] && [ "$2" = "$total" ] || { echo "bench_symbolize failed"; exit 1; }
p_cold=$4 p_warm=$6 p_base=$8 p_peak=${10} p_moved=${12} p_unnamed=${14} p_frames=${16}
p_cache=${20} p_debug=${22}

# --- the others: NAME LIST-SUFFIX COMMAND... (the file follows the command) ---
# Sets <name>_cold, <name>_warm (seconds for both files) and <name>_rss (KiB, the larger).
run_tool() {
	name=$1 suffix=$2
	shift 2
	for run in cold warm; do
		s=0 rss=0
		for f in prog libc; do
			file=$PROG
			[ $f = libc ] && file=$LIBC
			t0=$(date +%s.%N)
			/usr/bin/time -f %M -o "$TMP/rss" "$@" "$file" <"$TMP/$f$suffix.list" \
				>"$TMP/$name.$f.out" 2>/dev/null
			t1=$(date +%s.%N)
			s=$(echo "$s + $t1 - $t0" | bc -l)
			r=$(tail -n 1 "$TMP/rss")
			if [ "$r" -gt "$rss" ]; then rss=$r; fi
		done
		eval "${name}_$run=$s"
	done
	eval "${name}_rss=$rss"
}
run_tool llvm "" "$LLVM_SYMBOLIZER" --obj
run_tool a2l "" addr2line -a -f -i -C -e
run_tool eu .eu eu-addr2line -a -f -i -C -e

# --- the table ---
rate() { awk -v n="$1" -v s="$2" 'BEGIN {printf "%.0f", n / s}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
echo "addresses: $nprog in symbolize_work (g++ -O2 -g, every instruction of .text)" \
	"+ $nlibc in $(basename "$LIBC") (evenly spread, libc6-dbg) = $total"
printf '%-30s %10s %12s %12s %13s\n' tool addresses cold_addr/s warm_addr/s peak_rss_MiB
printf '%-30s %10s %12s %12s %13s\n' "profd (sym_resolver)" "$total" "$(rate $total $p_cold)" \
	"$(rate $total $p_warm)" "$(mib $p_peak)"
printf '%-30s %10s %12s %12s %13s\n' "$(basename "$LLVM_SYMBOLIZER")" "$total" \
	"$(rate $total $llvm_cold)" "$(rate $total $llvm_warm)" "$(mib $llvm_rss)"
printf '%-30s %10s %12s %12s %13s\n' "addr2line -f -i" "$total" "$(rate $total $a2l_cold)" \
	"$(rate $total $a2l_warm)" "$(mib $a2l_rss)"
printf '%-30s %10s %12s %12s %13s\n' "eu-addr2line -f -i" "$neu" "$(rate $neu $eu_cold)" \
	"$(rate $neu $eu_warm)" "$(mib $eu_rss)"
echo "profd: cold $(awk -v s="$p_cold" 'BEGIN {printf "%.3f", s}') s (resolver made, process" \
	"added), warm $(awk -v s="$p_warm" 'BEGIN {printf "%.3f", s}') s; RSS $(mib $p_base) MiB" \
	"before the resolver; cache $(mib $((p_cache / 1024))) MiB, of it DWARF" \
	"$(mib $((p_debug / 1024))) MiB; $p_frames frames, $p_unnamed unnamed," \
	"$p_moved normalized elsewhere"
best=$(printf '%s %s\n%s %s\n%s %s\n' \
	"$(rate $total $llvm_warm)" "$(basename "$LLVM_SYMBOLIZER")" \
	"$(rate $total $a2l_warm)" "addr2line" "$(rate $neu $eu_warm)" "eu-addr2line" |
	sort -g -r | head -n 1)
best_cold=$(printf '%s %s\n%s %s\n%s %s\n' \
	"$(rate $total $llvm_cold)" "$(basename "$LLVM_SYMBOLIZER")" \
	"$(rate $total $a2l_cold)" "addr2line" "$(rate $neu $eu_cold)" "eu-addr2line" |
	sort -g -r | head -n 1)
set -- $best
bw=$1 bwn=$2
set -- $best_cold
bc_=$1 bcn=$2
awk -v pw="$(rate $total $p_warm)" -v pc="$(rate $total $p_cold)" -v bw="$bw" -v bwn="$bwn" \
	-v bc="$bc_" -v bcn="$bcn" 'BEGIN {
	printf "ratio profd/fastest other: warm %.1fx (%s), cold %.2fx (%s)\n",
		pw / bw, bwn, pc / bc, bcn }'

# --- names ---
python3 - "$TMP" "$kprog" "$klibc" "$BT/symbolize.diffs" <<'EOF'
import re, subprocess, sys

tmp, kprog, klibc, diffs_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def gnu(path):
    """addr2line -a / eu-addr2line -a: the line after each address is the innermost function."""
    out, want = [], False
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if re.fullmatch(r"0x[0-9a-f]{16}", line):
            want = True
        elif want:
            out.append(line.split(" inlined at ")[0])
            want = False
    return out

def llvm(path):
    """llvm-symbolizer: a blank line after each address; its first line is the innermost."""
    out, first = [], True
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if not line:
            first = True
        elif first:
            out.append(line)
            first = False
    return out

lists = {f: [l.strip() for l in open(f"{tmp}/{f}.list")] for f in ("prog", "libc")}
profd = [l.rstrip("\n") for l in open(f"{tmp}/profd.names", errors="replace")]
names = {"profd": {}, "llvm": {}, "a2l": {}, "eu": {}}
i = 0
for f in ("prog", "libc"):
    for a in lists[f]:
        names["profd"][(f, a)] = profd[i]
        i += 1
    for tool, parse in (("llvm", llvm), ("a2l", gnu), ("eu", gnu)):
        addrs = lists[f][:: kprog if f == "prog" else klibc] if tool == "eu" else lists[f]
        got = parse(f"{tmp}/{tool}.{f}.out")
        if len(got) != len(addrs):
            sys.exit(f"{tool} {f}: {len(got)} answers for {len(addrs)} addresses")
        names[tool].update(zip(((f, a) for a in addrs), got))

# llvm-symbolizer 14 leaves some names mangled: demangle those with c++filt, as the others do.
mangled = sorted({n for t in names.values() for n in t.values() if n.startswith("_Z")})
if mangled:
    out = subprocess.run(["c++filt"], input="\n".join(mangled) + "\n", capture_output=True,
                         text=True).stdout.split("\n")
    demangled = dict(zip(mangled, out))
    for t in names.values():
        for k, n in t.items():
            if n in demangled:
                t[k] = demangled[n]

QUAL = re.compile(r"\s*(const|volatile|&&|&|noexcept)$")
# "[clone .isra.0]" (libiberty), "(.isra.0)" (LLVM), ".cold" (a raw symbol)
CLONE = re.compile(r"\s*(\[clone [^\]]*\]|\(\.[A-Za-z_]+(\.[0-9]+)?\)"
                   r"|\.(isra|part|constprop|cold|lto_priv)(\.[0-9]+)?)$")
LAMBDA = re.compile(r"\{lambda\(|'lambda\d*'\(")

def lambdas(n):
    """libiberty's "{lambda(int, int)#1}" and LLVM's "'lambda0'(int, int)" -> "{lambda}"."""
    out, i = [], 0
    while True:
        m = LAMBDA.search(n, i)
        if not m:
            return "".join(out) + n[i:]
        j, depth = m.end(), 1
        while j < len(n) and depth:
            depth += {"(": 1, ")": -1}.get(n[j], 0)
            j += 1
        if n[m.start()] == "{":
            k = n.find("}", j)
            j = k + 1 if k >= 0 else len(n)
        out.append(n[i : m.start()] + "{lambda}")
        i = j

def strip_return(n):
    """Drops what precedes the qualified name: the return type of a template function. It ends
    at the last space outside brackets before the name's "operator", if it has one (whose
    symbol, "<" or "<<", would unbalance the brackets)."""
    end = n.find("operator")
    depth, cut = 0, -1
    for j, ch in enumerate(n[: end if end >= 0 else len(n)]):
        if ch in "<({[":
            depth += 1
        elif ch in ">)}]":
            depth -= 1
        elif ch == " " and depth == 0:
            cut = j
    return n[cut + 1 :]

def norm(n):
    """Innermost function name without return type, parameters, clone suffix or spaces."""
    n = n.strip()
    if n in ("??", ""):
        return None
    while True:
        m = CLONE.search(n) or QUAL.search(n)
        if not m:
            break
        n = n[: m.start()]
    n = lambdas(n)
    if n.endswith(")"):
        depth = 0
        for j in range(len(n) - 1, -1, -1):
            depth += {")": 1, "(": -1}.get(n[j], 0)
            if depth == 0:
                if not n[:j].endswith("operator"):  # "operator()" keeps its parentheses
                    n = n[:j]
                break
    return re.sub(r"\s+", "", strip_return(n))

def same_function(a, b):
    """Equal, or equal but for scopes one side leaves out: addr2line and llvm-symbolizer name
    GCC's functions without a linkage name (internal linkage, inlined template instances) by
    DW_AT_name alone, "next" for work::next."""
    if a is None or b is None:
        return a == b
    return a == b or a.endswith("::" + b) or b.endswith("::" + a)

def agreement(tools, keys):
    agree = same = 0
    diffs = []
    for k in keys:
        ns = [norm(names[t][k]) for t in tools]
        if ns[0] is None or any(x != ns[0] for x in ns):
            continue
        agree += 1
        if same_function(norm(names["profd"][k]), ns[0]):
            same += 1
        else:
            diffs.append((k, names["profd"][k], names[tools[0]][k]))
    return agree, same, diffs

eu_keys = list(names["eu"])
all_keys = list(names["profd"])
with open(diffs_path, "w") as out:
    for label, tools, keys in (
        ("llvm-symbolizer, addr2line and eu-addr2line", ("llvm", "a2l", "eu"), eu_keys),
        ("llvm-symbolizer and addr2line", ("llvm", "a2l"), all_keys),
    ):
        agree, same, diffs = agreement(tools, keys)
        print(f"names: {label} agree on {agree} of {len(keys)} addresses; profd names the "
              f"same innermost function on {same} ({100.0 * same / max(agree, 1):.2f} %)")
        cut = lambda n: n if len(n) <= 72 else n[:69] + "..."
        firsts = {}
        for k, p, o in diffs:
            firsts.setdefault(p, (k, p, o))
        if diffs:
            print(f"  the {len(diffs)} differences are in {len(firsts)} functions, e.g.:")
        for k, p, o in list(firsts.values())[:3]:
            print(f"  {k[0]} {k[1]}: profd {cut(p)!r}, others {cut(o)!r}")
        out.write(f"# where {label} agree\n")
        out.writelines(f"{k[0]} {k[1]}: profd {p!r}, others {o!r}\n" for k, p, o in diffs)
print(f"every difference: {diffs_path}")
EOF
