#!/bin/sh
# `make fuzz`: builds every tests/fuzz/fuzz_*.c as a libFuzzer target (clang, ASan + UBSan) and
# runs each for FUZZ_SECONDS (default 30) from its seeds in tests/fuzz/seeds/NAME/.
# `make fuzz-long` (FUZZ_LONG=1): each target until FUZZ_RUNS executions (default 10^7) or
# FUZZ_SECONDS (default 1800), whichever comes first; not for CI.
#
# A target names the folders it is built from in a line "fuzz-sources: DIR...", extra libraries
# in "fuzz-libs: -lX..." and compiler flags in "fuzz-cflags: -DX=Y...". Seeds that are binaries
# are not kept in the tree: a line "fuzz-seed-gen: SCRIPT" names a script run as
# `sh SCRIPT DIR` to build them into build/fuzz/NAME.seeds/ first. The corpus grows in
# build/fuzz/NAME.corpus/ from run to run; crashes land in build/fuzz/NAME.crashes/. One line
# per target with runs, time and coverage; ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
OUT=build/fuzz
if [ -n "${FUZZ_LONG:-}" ]; then
	SECONDS_EACH=${FUZZ_SECONDS:-1800}
	RUNS="-runs=${FUZZ_RUNS:-10000000}"
else
	SECONDS_EACH=${FUZZ_SECONDS:-30}
	RUNS=""
fi
CLANG=${CLANG:-clang}
mkdir -p "$OUT"
passed=0 failed=0
for src in tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	case "$name" in *"${PROFD_TEST_FILTER:-}"*) ;; *) continue ;; esac
	dirs=$(sed -n 's/.*fuzz-sources: *//p' "$src" | head -n 1)
	libs=$(sed -n 's/.*fuzz-libs: *//p' "$src" | head -n 1)
	cflags=$(sed -n 's/.*fuzz-cflags: *//p' "$src" | head -n 1)
	gen=$(sed -n 's/.*fuzz-seed-gen: *//p' "$src" | head -n 1)
	files=""
	for d in ${dirs:-formats common}; do files="$files $(ls "$d"/*.c)"; done
	# shellcheck disable=SC2086
	if ! $CLANG -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -I build $cflags \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o "$OUT/$name" "$src" $files $libs >"$OUT/$name.build.log" 2>&1; then
		echo "FAIL $name: does not build (see $OUT/$name.build.log)"
		failed=$((failed + 1))
		continue
	fi
	corpus="$OUT/$name.corpus"
	crashes="$OUT/$name.crashes"
	mkdir -p "$corpus" "$crashes"
	[ -d "tests/fuzz/seeds/$name" ] && cp tests/fuzz/seeds/"$name"/* "$corpus/" 2>/dev/null
	if [ -n "$gen" ]; then
		rm -rf "$OUT/$name.seeds"
		if ! sh "$gen" "$OUT/$name.seeds" >"$OUT/$name.seeds.log" 2>&1; then
			echo "FAIL $name: no seeds (see $OUT/$name.seeds.log)"
			failed=$((failed + 1))
			continue
		fi
		cp "$OUT/$name.seeds"/* "$corpus/"
	fi
	start=$(date +%s)
	# shellcheck disable=SC2086
	if "./$OUT/$name" -max_total_time="$SECONDS_EACH" $RUNS -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" >"$OUT/$name.log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$name.log")
		cov=$(grep -o ' cov: [0-9]*' "$OUT/$name.log" | tail -n 1 | tr -dc 0-9)
		echo "PASS $name: ${runs:-?} runs in $(($(date +%s) - start)) s, coverage ${cov:-?} edges, no crash"
		passed=$((passed + 1))
	else
		echo "FAIL $name: crash, see $OUT/$name.log and $crashes/"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
