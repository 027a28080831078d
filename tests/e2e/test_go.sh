#!/bin/sh
# A Go program under the default unwinding (cfi): Go binaries carry .debug_frame, not
# .eh_frame (readelf shows which), and keep frame pointers. tests/workloads/gowork does a fixed
# amount of work in main.goLeaf <- main.goMiddle <- main.goWork <- main.main (the chain is
# checked against the binary's own symbols, go tool nm). Known answers: at least 99 % of its
# stacks whole (no marker), and at least 99 % of the samples in main.goLeaf named along the
# whole chain up to main.main. Outputs stay in tests/artifacts/test_go/.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/known_answer.sh"

MIN=99

need_root go || exit 0
if ! command -v go >/dev/null 2>&1; then
	fail go.toolchain "no go (scripts/install-deps.sh installs golang-go)"
	exit 0
fi
bin="$TMP/gowork"
if ! (cd "$TOP/tests/workloads/gowork" && go build -o "$bin" .) >"$TMP/build.err" 2>&1; then
	fail go.build "$(tail -n 3 "$TMP/build.err" | tr '\n' ' ')"
	exit 0
fi
readelf -SW "$bin" >"$ART/sections"
if grep -q ' \.note\.go\.buildid ' "$ART/sections" &&
	grep -q ' \.debug_frame ' "$ART/sections"; then
	pass go.binary
else
	fail go.binary "readelf shows no .note.go.buildid or no .debug_frame in $bin"
fi
chain='main.main;main.goWork;main.goMiddle;main.goLeaf'
missing=""
go tool nm "$bin" >"$TMP/nm"
for fn in $(echo "$chain" | tr ';' ' '); do
	grep -q " T $fn\$" "$TMP/nm" || missing="$missing $fn"
done
[ -z "$missing" ] || fail go.oracle "go tool nm finds no$missing in $bin"

out="$ART/gowork.folded" err="$ART/gowork.stderr"
timeout 300 "$PROFD" -F 499 -o "$out" -- "$bin" 200 >"$ART/gowork.truth" 2>"$err"
ran go.run $? 0 "$out" "$err" || exit 0
if q whole "$out" --comm gowork --min-frames 3; then
	atleast go.whole "$Q" $MIN "% of gowork stacks whole"
else
	fail go.whole "$Q"
fi
if q named "$out" --comm gowork --with main.goLeaf --path "$chain"; then
	atleast go.main_reached "$Q" $MIN "% of samples in main.goLeaf named up to main.main"
else
	fail go.main_reached "$Q"
fi
