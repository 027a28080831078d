#!/bin/bash
# pprof encode and decode of a 100,000-unique-stack profile (tests/bench/bench_pprof.c), beside
# `go tool pprof -proto` decoding and re-encoding the same file in the same run.
. "$(dirname "$0")/lib.sh"
STACKS=${STACKS:-100000}
ROUNDS=${ROUNDS:-5}
command -v go >/dev/null || { echo "go missing (make deps installs golang-go)"; exit 1; }
export HOME="$TMP/home" GOCACHE="$TMP/gocache" GOPROXY=off GOFLAGS= GOTOOLCHAIN=local
mkdir -p "$HOME"
make -s -C "$TOP" build/bench/bench_pprof
set -- $("$BT/bench_pprof" "$TMP/p.pb.gz" "$STACKS" "$ROUNDS")
stacks=$2 locations=$4 enc=$6 dec=$8 bytes=${10}
raw=$(gzip -dc "$TMP/p.pb.gz" | wc -c)

# go tool pprof -proto: decode + re-encode; the first run also warms the Go build cache.
go tool pprof -proto "$TMP/p.pb.gz" >"$TMP/go.pb.gz" 2>/dev/null
for i in $(seq "$ROUNDS"); do
	wall go tool pprof -proto -output "$TMP/go.pb.gz" "$TMP/p.pb.gz" >>"$TMP/go.s"
done
go_ms=$(median <"$TMP/go.s" | awk '{printf "%.1f", $1 * 1000}')
go_bytes=$(wc -c <"$TMP/go.pb.gz")
# Its start-up alone: the same command on a one-stack profile.
printf 'a;b 1\n' >"$TMP/tiny.folded"
"$PROFD" convert "$TMP/tiny.folded" -o "$TMP/tiny.pb.gz"
for i in $(seq "$ROUNDS"); do
	wall go tool pprof -proto -output "$TMP/tiny2.pb.gz" "$TMP/tiny.pb.gz" >>"$TMP/tiny.s"
done
go_start=$(median <"$TMP/tiny.s" | awk '{printf "%.1f", $1 * 1000}')

echo "profile: $stacks unique stacks, $locations locations"
printf '%-28s %12s %12s %14s\n' tool encode_ms decode_ms gzip_bytes
printf '%-28s %12s %12s %14s\n' "profd (best of $ROUNDS)" "$enc" "$dec" "$bytes"
printf '%-28s %12s %12s %14s\n' "go tool pprof -proto (median)" "-" "$go_ms (both)" "$go_bytes"
echo "uncompressed protobuf: $raw bytes; go tool pprof start-up (one-stack profile): $go_start ms"
awk -v g="$go_ms" -v s="$go_start" -v e="$enc" -v d="$dec" -v gb="$go_bytes" -v b="$bytes" 'BEGIN {
	printf "ratio go/profd: decode+encode %.1fx (%.1fx without go start-up), size %.3f\n",
		g / (e + d), (g - s) / (e + d), gb / b }'
