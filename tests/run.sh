#!/bin/sh
# Runs every test and ends with "N passed, N failed".
#
# Unit tests are cmocka binaries (TAP output); end-to-end tests are tests/e2e/test_*.sh scripts
# that print one "PASS name", "FAIL name: why" or "SKIP name: why" line per check.
# PROFD_TEST_ONLY=unit|e2e runs one kind; PROFD_TEST_FILTER=substring runs matching files only.
set -u
cd "$(dirname "$0")/.."
BUILD=${PROFD_BUILD:-build}
export PROFD_BUILD="$BUILD"
ART=tests/artifacts
mkdir -p "$ART"
LOG="$ART/test.log"
: >"$LOG"

make -s BUILD="$BUILD" test-binaries >>"$LOG" 2>&1 || { echo "test binaries did not build; see $LOG"; tail -20 "$LOG"; echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp)
trap 'rm -f "$results" "$results".*' EXIT

want() { [ -z "${PROFD_TEST_ONLY:-}" ] || [ "$PROFD_TEST_ONLY" = "$1" ]; }
picked() { [ -z "${PROFD_TEST_FILTER:-}" ] || case "$1" in *"$PROFD_TEST_FILTER"*) true ;; *) false ;; esac; }

# TAP from cmocka: "ok N - name", "not ok N - name", and "not ok N # SKIP name" after the
# "# skip: why" line of tests/unit/helpers.c. "1..N" is the plan: tests a crash cut off fail.
tap_results() {
	awk -v bin="$1" -v logfile="$LOG" '
		/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0; next }
		/^# skip: / { why = substr($0, 9); next }
		/^ok [0-9]+ - / { sub(/^ok [0-9]+ - /, ""); print "PASS " bin "." $0; n++; next }
		/^not ok [0-9]+ # SKIP / {
			sub(/^not ok [0-9]+ # SKIP /, "")
			print "SKIP " bin "." $0 ": " (why != "" ? why : "skipped without saying why")
			why = ""; n++; next
		}
		/^not ok [0-9]+ - / { sub(/^not ok [0-9]+ - /, ""); print "FAIL " bin "." $0 ": see " logfile; n++; next }
		END { if (n < plan) print "FAIL " bin ": " plan " tests planned, " n + 0 " reported" }' "$2"
}

if want unit; then
	for t in $(find "$BUILD/tests/unit" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort); do
		picked "$t" || continue
		# A binary left in build/ by a test that has since moved or gone is not a test.
		[ -e "tests/unit/${t#"$BUILD"/tests/unit/}.c" ] || continue
		echo "== $t" >>"$LOG"
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$results.out" 2>&1
		rc=$?
		cat "$results.out" >>"$LOG"
		name=$(basename "$t")
		tap_results "$name" "$results.out" >"$results.tap"
		# A crash before any TAP line, or a non-zero exit with no failure reported, is a failure.
		if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$results.tap"; then
			echo "FAIL $name: exited with status $rc" >>"$results.tap"
		fi
		tee -a "$results" <"$results.tap"
	done
fi

if want e2e; then
	for t in tests/e2e/test_*.sh; do
		[ -e "$t" ] || continue
		picked "$t" || continue
		echo "== $t" >>"$LOG"
		sh "$t" >"$results.out" 2>>"$LOG"
		rc=$?
		cat "$results.out" >>"$LOG"
		grep -E '^(PASS|FAIL|SKIP) ' "$results.out" | tee -a "$results"
		# Exit 1 goes with FAIL lines; any other status (set -u, a signal) cut the script short.
		if [ $rc -gt 1 ] || { [ $rc = 1 ] && ! grep -q '^FAIL ' "$results.out"; }; then
			echo "FAIL $(basename "$t"): exited with status $rc" | tee -a "$results"
		fi
	done
fi

# Each check is counted once: a name reported twice is a failure of the suite's bookkeeping.
sed -n 's/^\(PASS\|FAIL\|SKIP\) \([^: ]*\).*/\2/p' "$results" | sort | uniq -d |
	sed 's/.*/FAIL &: reported more than once/' | tee -a "$results"

passed=$(grep -c '^PASS ' "$results")
failed=$(grep -c '^FAIL ' "$results")
skipped=$(grep -c '^SKIP ' "$results")
echo "$skipped skipped (each says why above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
