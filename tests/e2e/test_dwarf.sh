#!/bin/sh
# DWARF end to end: the real profd on tests/dwarf/inline_hot.c, built here by gcc and by clang at
# -O2 -g (clang 14 emits no .debug_aranges). Its time is spent in churn(), an always_inline
# helper of hot(): churn must show up as an inline frame under hot, with --lines at the lines
# addr2line gives for hot's code and hot at the call site; without --lines the frames stay plain
# names and the SVG tooltip says "inlined". With Debian's libc6-dbg, samples in qsort and memcpy
# get libc's source files and lines, read once sampling is over. A stripped copy gets its lines from a debuginfod server
# started here (--debuginfod URL), and a dead server costs one warning, not the run.
# Every output is kept in tests/artifacts/test_dwarf/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/known_answer.sh"

SRC="$TOP/tests/dwarf/inline_hot.c"
CFLAGS="-O2 -g -fno-omit-frame-pointer"
SECONDS_RUN=3
CALL=$(grep -n 'LINE-CALL' "$SRC" | cut -d: -f1)
CHURN_FIRST=$(grep -n 'LINE-CHURN' "$SRC" | head -n 1 | cut -d: -f1)
CHURN_LAST=$(grep -n 'LINE-CHURN' "$SRC" | tail -n 1 | cut -d: -f1)

# share FOLDED COMM ERE: percent of COMM's samples whose stack matches ERE.
share() {
	awk -v comm="$2" -v re="$3" '
		{ n = $NF; s = $0; sub(/ [0-9]+$/, "", s)
		  if (index(s, comm ";") != 1) next
		  total += n; if (s ~ re) hit += n }
		END { printf "%.2f", total ? 100 * hit / total : 0 }' "$1"
}

# Lines addr2line gives churn() anywhere in hot(): the only lines profd may show for it.
churn_lines() {
	exe=$1
	set -- $(nm -S "$exe" | awk '$4 == "hot" { print $1, $2 }')
	start=$((0x$1)) size=$((0x$2)) i=0
	while [ $i -lt $size ]; do
		printf '0x%x\n' $((start + i))
		i=$((i + 1))
	done | addr2line -f -i -e "$exe" |
		awk '/^churn$/ { getline loc; sub(/ \(discriminator.*/, "", loc); sub(/.*:/, "", loc); print loc }' |
		sort -un | tr '\n' ' '
}

# inline_checks PREFIX FOLDED EXE COMM: churn under hot, at the right lines.
inline_checks() {
	pfx=$1 folded=$2 exe=$3 comm=$4
	got=$(share "$folded" "$comm" "hot \\(inline_hot\\.c:$CALL\\);churn \\(inline_hot\\.c:[0-9]+\\)$")
	atleast "$pfx.inline_frame" "$got" 80 "samples ending in hot (inline_hot.c:$CALL);churn (inline_hot.c:N)"
	allowed=$(churn_lines "$exe")
	bad=$(grep -o 'churn (inline_hot\.c:[0-9]*)' "$folded" | sed 's/.*://; s/)//' | sort -un |
		while read -r l; do
			case " $allowed " in *" $l "*) ;; *) printf '%s ' "$l" ;; esac
		done)
	if [ -z "$allowed" ]; then
		fail "$pfx.lines_vs_addr2line" "addr2line gave no churn lines for $exe"
	elif [ -n "$bad" ]; then
		fail "$pfx.lines_vs_addr2line" "churn at lines $bad; addr2line says only $allowed"
	else
		pass "$pfx.lines_vs_addr2line"
	fi
	if grep -q 'churn (inline_hot\.c:[0-9]*)' "$folded" &&
		! grep -o 'churn (inline_hot\.c:[0-9]*)' "$folded" | sed 's/.*://; s/)//' |
		awk -v a="$CHURN_FIRST" -v b="$CHURN_LAST" '$1 < a - 1 || $1 > b + 3 { bad = 1 } END { exit !bad }'; then
		pass "$pfx.lines_in_churn_body"
	else
		fail "$pfx.lines_in_churn_body" "churn lines outside $((CHURN_FIRST - 1))..$((CHURN_LAST + 3)): $(grep -o 'churn ([^)]*)' "$folded" | sort -u | tr '\n' ' ')"
	fi
}

need_root dwarf || exit 0
unset DEBUGINFOD_URLS

for cc in gcc clang; do
	if ! command -v $cc >/dev/null; then
		missing "dwarf.$cc" "$cc is not installed"
		continue
	fi
	exe="$TMP/ih_$cc"
	if ! $cc $CFLAGS "$SRC" -o "$exe" 2>"$ART/build_$cc.txt"; then
		fail "dwarf.$cc.build" "$(tail -n 3 "$ART/build_$cc.txt" | tr '\n' ' ')"
		continue
	fi
	out="$ART/inline_$cc.folded" err="$ART/inline_$cc.stderr"
	timeout 60 "$PROFD" -F 499 --lines -o "$out" -- "$exe" $SECONDS_RUN inline >/dev/null 2>"$err"
	ran "dwarf.$cc" $? 0 "$out" "$err" && inline_checks "dwarf.$cc" "$out" "$exe" "ih_$cc"
done

# Without --lines: plain names, inline frames still frames, and the SVG says which are inlined.
exe="$TMP/ih_gcc"
if [ -x "$exe" ]; then
	out="$ART/inline_gcc.svg" err="$ART/inline_gcc_svg.stderr"
	timeout 60 "$PROFD" -F 499 -o "$out" -- "$exe" 2 inline >/dev/null 2>"$err"
	if ran dwarf.svg $? 0 "$out" "$err"; then
		if grep -q '<title>churn ([0-9,]* samples, [0-9.]*%, inlined)</title>' "$out"; then
			pass dwarf.svg.inlined_tooltip
		else
			fail dwarf.svg.inlined_tooltip "no churn tooltip saying inlined: $(grep -o '<title>churn[^<]*' "$out" | head -n 2 | tr '\n' ' ')"
		fi
		if grep -q 'inline_hot\.c:' "$out"; then
			fail dwarf.svg.no_lines_by_default "file:line in frame names without --lines"
		else
			pass dwarf.svg.no_lines_by_default
		fi
	fi
fi

# libc6-dbg: libc frames get libc's own source files and lines.
libc=$(ldd "$exe" 2>/dev/null | awk '/libc\.so\.6/ { print $3 }')
bid=$(readelf -n "$libc" 2>/dev/null | awk '/Build ID/ { print $3 }')
bid_rest=${bid#??}
if [ ! -x "$exe" ] || [ -z "$bid" ] || [ ! -r "/usr/lib/debug/.build-id/${bid%"$bid_rest"}/$bid_rest.debug" ]; then
	missing dwarf.libc "libc6-dbg is not installed (no debug file for libc build-id ${bid:-?})"
else
	out="$ART/libc_gcc.folded" err="$ART/libc_gcc.stderr" tf="$ART/libc_gcc.truth"
	timeout 60 "$PROFD" -v -F 499 --lines -o "$out" -- "$exe" $SECONDS_RUN libc >"$tf" 2>"$err"
	if ran dwarf.libc $? 0 "$out" "$err"; then
		# A run that writes its profile at the end reads DWARF then, not while the job runs.
		naming=$(grep -n 'naming at the end: ' "$err" | head -n 1 | cut -d: -f1)
		first=$(grep -n 'sym: .*: DWARF from ' "$err" | head -n 1 | cut -d: -f1)
		if [ -n "$naming" ] && [ -n "$first" ] && [ "$first" -gt "$naming" ]; then
			pass dwarf.libc.read_after_sampling
		else
			fail dwarf.libc.read_after_sampling "first DWARF read at stderr line ${first:-none}, naming at the end at line ${naming:-none}"
		fi
		got=$(share "$out" ih_gcc '(msort|qsort)\.c:[0-9]+\)')
		atleast dwarf.libc.qsort_lines "$got" 20 "samples in libc's msort.c/qsort.c with a line"
		# memcpy calls nothing, so its frame is the leaf end of every sample in it: each such
		# frame has its .S line, and they are no fewer than the workload's clock says. (Timer
		# sampling here gives memcpy more than its clock share, perf record -e cpu-clock as
		# much as profd: so no upper bound.)
		got=$(share "$out" ih_gcc 'mem(move|cpy)[a-z0-9_-]*\.S:[0-9]+\)(;[^;]*_\[k\])*$')
		all=$(share "$out" ih_gcc ';__mem(move|cpy)[a-z0-9_]*( \([^)]*\))?(;[^;]*_\[k\])*$')
		want=$(awk '$2 == "memcpy" { print $3 }' "$tf")
		if [ -n "$want" ] && [ "$got" = "$all" ] && awk -v g="$got" -v w="$want" 'BEGIN { exit !(g >= w - 3) }'; then
			pass dwarf.libc.memcpy_lines
		else
			fail dwarf.libc.memcpy_lines "${got}% of samples in memcpy with a .S line, ${all}% in memcpy at all, truth ${want:-none}% (want all with a line, >= truth - 3)"
		fi
	fi
fi

# debuginfod: a stripped clang build, its debug info served only by a local debuginfod.
if ! command -v debuginfod >/dev/null || ! command -v curl >/dev/null; then
	missing dwarf.debuginfod "debuginfod or curl is not installed"
elif [ ! -x "$TMP/ih_clang" ]; then
	skip dwarf.debuginfod "no clang build of the workload (see dwarf.clang)"
else
	mkdir -p "$TMP/srv" "$TMP/strip"
	objcopy --only-keep-debug "$TMP/ih_clang" "$TMP/srv/inline_hot.debug"
	strip --strip-all -R .gnu_debuglink "$TMP/ih_clang" -o "$TMP/strip/inline_hot"
	bid=$(readelf -n "$TMP/ih_clang" | awk '/Build ID/ { print $3 }')
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	bg debuginfod -F -d "$TMP/debuginfod.sqlite" -p "$port" "$TMP/srv" >"$ART/debuginfod.log" 2>&1
	if ! wait_for 30 curl -sf -o /dev/null "http://127.0.0.1:$port/buildid/$bid/debuginfo"; then
		fail dwarf.debuginfod.server "debuginfod on port $port did not serve $bid"
	else
		out="$ART/debuginfod.folded" err="$ART/debuginfod.stderr"
		DEBUGINFOD_CACHE_PATH="$TMP/cache" timeout 60 "$PROFD" -F 499 --lines \
			--debuginfod "http://127.0.0.1:$port" -o "$out" -- "$TMP/strip/inline_hot" \
			$SECONDS_RUN inline >/dev/null 2>"$err"
		if ran dwarf.debuginfod $? 0 "$out" "$err"; then
			# The first samples may come before the file: most must have it.
			got=$(share "$out" inline_hot "hot \\(inline_hot\\.c:$CALL\\);churn \\(inline_hot\\.c:[0-9]+\\)$")
			atleast dwarf.debuginfod.inline_frame "$got" 60 "samples of the stripped binary with churn inlined in hot, lines from debuginfod"
		fi
	fi
	# A server that is down: the run goes on, with one warning.
	dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	out="$ART/debuginfod_down.folded" err="$ART/debuginfod_down.stderr"
	DEBUGINFOD_CACHE_PATH="$TMP/cache2" timeout 60 "$PROFD" -F 499 --lines \
		--debuginfod "http://127.0.0.1:$dead" -o "$out" -- "$TMP/strip/inline_hot" 2 inline \
		>/dev/null 2>"$err"
	if ran dwarf.debuginfod_down $? 0 "$out" "$err"; then
		n=$(grep -c 'debuginfod' "$err")
		if [ "$n" = 1 ]; then
			pass dwarf.debuginfod_down.one_warning
		else
			fail dwarf.debuginfod_down.one_warning "$n lines about debuginfod on stderr: $(head -c 300 "$err" | tr '\n' '|')"
		fi
	fi
	# A server that takes the request and never answers: naming at the end waits for the file
	# (up to the fetch timeout, 30 s), and a stop signal then ends the wait, as it ends a run.
	hung=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	bg python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])' "$hung"
	out="$ART/debuginfod_hung.folded" err="$ART/debuginfod_hung.stderr"
	DEBUGINFOD_CACHE_PATH="$TMP/cache3" "$PROFD" -v -F 499 --debuginfod "http://127.0.0.1:$hung" \
		-o "$out" -- "$TMP/strip/inline_hot" 2 inline >/dev/null 2>"$err" &
	run=$!
	if ! wait_for 60 grep -q 'naming at the end' "$err"; then
		fail dwarf.debuginfod_hung.naming "no 'naming at the end' line in 60 s: $(tail -n 2 "$err" | tr '\n' '|')"
		kill "$run" 2>/dev/null
		wait "$run"
	else
		kill -INT "$run"
		# Well within the fetch timeout: without the signal the wait lasts 30 s.
		if wait_for 10 sh -c "! kill -0 $run 2>/dev/null"; then
			wait "$run"
			if ran dwarf.debuginfod_hung $? 0 "$out" "$err"; then
				says dwarf.debuginfod_hung.said "$err" 'stopped waiting for debug files' \
					"'stopped waiting for debug files'"
				if grep -q '^inline_hot' "$out"; then
					pass dwarf.debuginfod_hung.samples
				else
					fail dwarf.debuginfod_hung.samples "no inline_hot samples in $out"
				fi
			fi
		else
			fail dwarf.debuginfod_hung.stops "still running 10 s after SIGINT, waiting for the server"
			kill "$run" 2>/dev/null
			wait "$run"
		fi
	fi
fi
