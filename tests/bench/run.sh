#!/bin/sh
# `make bench`: every benchmark, each printing its figures and ratios against peers run alongside.
set -u
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "benchmarks need root (BPF and perf events)"; exit 1; }
for b in tests/bench/bench_*.sh; do
	case "$b" in *"${PROFD_BENCH_FILTER:-}"*) ;; *) continue ;; esac
	echo "== $b"
	bash "$b" || echo "benchmark $b failed"
done
