#!/bin/sh
# Installs the Debian packages profd needs to build, test and benchmark, if any are missing.
# Safe to run again: does nothing when everything is present.
set -eu

BUILD_PKGS="make gcc clang llvm bpftool libbpf-dev libelf-dev libdw-dev libunwind-dev \
libzstd-dev zlib1g-dev libmicrohttpd-dev libdebuginfod-dev libcurl4-gnutls-dev libiberty-dev \
pkg-config dpkg-dev"
# The package test: man pages read with man, the unit scored by systemd-analyze, the agent's
# system calls listed by strace. prometheus: for promtool, which checks the agent's /metrics.
TEST_PKGS="libcmocka-dev libxml2-utils elfutils binutils python3 curl util-linux libcap2-bin \
golang-go chromium debuginfod libc6-dbg procps time man-db groff-base strace systemd prometheus \
openssl"
BENCH_PKGS="linux-perf stress-ng hyperfine wrk bc g++ libbpf-tools"

missing=""
for p in $BUILD_PKGS $TEST_PKGS $BENCH_PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
# Node runs the browser tests and the JIT perf-map test; any node >= 18 will do.
command -v node >/dev/null 2>&1 || missing="$missing nodejs npm"

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "profd: missing packages:$missing; run 'make deps' as root" >&2
		exit 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The browser test drives Debian's chromium with playwright-core (no browser download: it only
# speaks the DevTools protocol). Kept in the build folder, installed once.
cd "$(dirname "$0")/.."
NODE_DIR=${BUILD:-build}/node
if [ ! -f "$NODE_DIR/node_modules/playwright-core/package.json" ]; then
	echo "installing: playwright-core (npm) into $NODE_DIR"
	mkdir -p "$NODE_DIR"
	npm install --silent --no-audit --no-fund --prefix "$NODE_DIR" playwright-core@1 >/dev/null ||
		echo "profd: npm could not install playwright-core; the browser test will be skipped" >&2
fi
