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
# missing NAME WHY: something `make deps` installs is missing. A SKIP on a developer's machine;
# under CI=true (a clean machine after make deps) a FAIL, so a skip never hides a broken install.
missing() {
	if [ "${CI:-}" = true ]; then
		fail "$1" "$2 (make deps installs it)"
	else
		skip "$1" "$2 (make deps installs it)"
	fi
}

# says NAME FILE PATTERN WHAT: PASS if grep -E finds PATTERN in FILE.
says() {
	if grep -qE "$3" "$2"; then
		pass "$1"
	else
		fail "$1" "$4 not in $2: $(tail -n 3 "$2" | tr '\n' ' ')"
	fi
}

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

# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds (readiness: a file, a log line,
# a port, a metric); returns 1 if SECONDS (whole) pass first. Never a fixed sleep.
wait_for() {
	wf_end=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	until "$@"; do
		[ $(($(date +%s%N) / 1000000)) -lt "$wf_end" ] || return 1
		sleep 0.1
	done
}

# said FILE ERE: a line of FILE matches ERE (a log line as a readiness signal)
said() { grep -qE "$2" "$1" 2>/dev/null; }
# exec_done PID COMM: process PID runs COMM (a backgrounded program has exec'd)
exec_done() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }
# cpu_ms PID: the CPU time PID's threads have had so far, in ms (utime + stime)
cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print int(($12 + $13) * 1000 / hz) }' \
		"/proc/$1/stat" 2>/dev/null
}
# had_cpu PID MS: PID has had MS ms of CPU (a budget in CPU time: load cannot thin it)
had_cpu() { [ "$(cpu_ms "$1")" -ge "$2" ] 2>/dev/null; }
# freeport: a TCP port on 127.0.0.1 that nothing listens on now
freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

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
# first use) for tests/e2e/browser.mjs, with PW_CORE set; else `missing` NAME and return 1.
need_browser() {
	PW_CORE="$TOP/build/node/node_modules/playwright-core"
	if [ ! -x /usr/bin/chromium ]; then
		missing "$1" "no /usr/bin/chromium (Debian's chromium)"
		return 1
	fi
	if ! command -v node >/dev/null 2>&1; then
		missing "$1" "no node (nodejs)"
		return 1
	fi
	if [ ! -f "$PW_CORE/package.json" ]; then
		mkdir -p "$TOP/build/node"
		npm install --silent --no-audit --no-fund --prefix "$TOP/build/node" playwright-core@1 \
			>/dev/null 2>&1
	fi
	if [ ! -f "$PW_CORE/package.json" ]; then
		missing "$1" "playwright-core is not installed"
		return 1
	fi
	return 0
}

# own_gzip: sets $gzip to gzip under a name of its own, $GZ (a hard link in $TMP), so that gzip
# run by anyone else does not count, and builds its unwind table first by running another link
# (gzwarm) on no input. On another file system: gzip itself.
own_gzip() {
	gzip=$(command -v gzip) GZ="gz-$$"
	if ln "$gzip" "$TMP/$GZ" 2>/dev/null && ln "$gzip" "$TMP/gzwarm" 2>/dev/null; then
		gzip="$TMP/$GZ"
		"$TMP/gzwarm" -c </dev/null >/dev/null
	else
		GZ=gzip
		"$gzip" -c </dev/null >/dev/null
	fi
}
