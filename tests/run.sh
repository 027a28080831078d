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
trap 'rm -f "$results"' EXIT

want() { [ -z "${PROFD_TEST_ONLY:-}" ] || [ "$PROFD_TEST_ONLY" = "$1" ]; }
picked() { [ -z "${PROFD_TEST_FILTER:-}" ] || case "$1" in *"$PROFD_TEST_FILTER"*) true ;; *) false ;; esac; }

if want unit; then
	for t in $(find "$BUILD/tests/unit" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort); do
		picked "$t" || continue
		echo "== $t" >>"$LOG"
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$results.out" 2>&1
		rc=$?
		cat "$results.out" >>"$LOG"
		name=$(basename "$t")
		sed -n "s/^ok [0-9]* - \(.*\)/PASS $name.\1/p; s/^not ok [0-9]* - \(.*\)/FAIL $name.\1/p" \
			"$results.out" | tee -a "$results"
		# A crash before any TAP line, or a non-zero exit with no failure reported, is a failure.
		if [ $rc -ne 0 ] && ! grep -q '^not ok' "$results.out"; then
			echo "FAIL $name: exited with status $rc" | tee -a "$results"
		fi
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
		if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$results.out"; then
			echo "FAIL $(basename "$t"): exited with status $rc" | tee -a "$results"
		fi
	done
fi

passed=$(grep -c '^PASS ' "$results")
failed=$(grep -c '^FAIL ' "$results")
skipped=$(grep -c '^SKIP ' "$results")
echo "$skipped skipped (each says why above)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
