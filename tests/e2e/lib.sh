# Shared helpers for end-to-end tests: sourced by tests/e2e/test_*.sh.
# Each check prints exactly one line: "PASS name", "FAIL name: why" or "SKIP name: why".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${PROFD_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
PROFD="$TOP/profd"
WL="$BUILD/tests/workloads"
ART="$TOP/tests/artifacts/$(basename "$0" .sh)"
mkdir -p "$ART"
TMP=$(mktemp -d)
PIDS=""
cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# check NAME CMD...: PASS if CMD exits 0, else FAIL with its last output line.
check() {
	name=$1
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}

# Background a process and remember it for cleanup. Sets BG_PID.
bg() {
	"$@" &
	BG_PID=$!
	PIDS="$PIDS $BG_PID"
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		skip "$1" "needs root (BPF and perf events)"
		return 1
	fi
	return 0
}

# need_browser NAME: Debian's chromium, node and playwright-core (installed under build/node on
# first use) for tests/e2e/browser.mjs, with PW_CORE set; else SKIP NAME and return 1.
need_browser() {
	PW_CORE="$TOP/build/node/node_modules/playwright-core"
	if [ ! -x /usr/bin/chromium ]; then
		skip "$1" "no /usr/bin/chromium (make deps installs Debian's chromium)"
		return 1
	fi
	if ! command -v node >/dev/null 2>&1; then
		skip "$1" "no node (make deps installs nodejs)"
		return 1
	fi
	if [ ! -f "$PW_CORE/package.json" ]; then
		mkdir -p "$TOP/build/node"
		npm install --silent --no-audit --no-fund --prefix "$TOP/build/node" playwright-core@1 \
			>/dev/null 2>&1
	fi
	if [ ! -f "$PW_CORE/package.json" ]; then
		skip "$1" "playwright-core is not installed (make deps)"
		return 1
	fi
	return 0
}
