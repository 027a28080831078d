#!/bin/sh
# pprof, checked by go tool pprof (Debian's golang-go): profd's .pb.gz of a known-answer workload
# has the totals and hot functions that profd's own folded output has; what go tool pprof -raw
# decodes of it (mappings, build-ids, each location's lines innermost first, pid/tid/comm labels)
# agrees with readelf, addr2line and the workload's own getpid/gettid; a profile written by Go's
# runtime/pprof is read by profd with the totals go tool pprof reports; bad input is refused
# with one line and exit 1. No network: Go builds with GOPROXY=off.
. "$(dirname "$0")/lib.sh"

if ! command -v go >/dev/null 2>&1; then
	missing pprof.go "go is not installed (golang-go)"
	exit 0
fi
export HOME="$TMP/home" GOCACHE="$TMP/gocache" GOPATH="$TMP/gopath" GO111MODULE=off \
	GOPROXY=off GOFLAGS= GOTOOLCHAIN=local GOTELEMETRY=off
mkdir -p "$HOME"

# Sum of the counts of a folded file.
folded_total() { awk '{n += $NF} END {print n + 0}' "$1"; }

# flat and cum of function $2 in folded file $1, as pprof counts them: flat when it is the leaf,
# cum once per stack that has it (the first field is the comm, not a frame).
folded_flat_cum() {
	awk -v f="$2" '{
		c = $NF; sub(/ [0-9]+$/, "")
		n = split($0, a, ";")
		if (a[n] == f) flat += c
		for (i = 2; i <= n; i++) if (a[i] == f) { cum += c; break }
	} END {print flat + 0, cum + 0}' "$1"
}

# Sum of the per-trace counts of go tool pprof -traces: the first line of a trace that is not a
# label ("comm:  split3") starts with its count.
traces_total() {
	go tool pprof -sample_index=samples -traces "$1" 2>/dev/null |
		awk '/^-+\+-+$/ {t = 1; next} t && $1 ~ /:$/ {next}
			t && $1 ~ /^[0-9]+$/ {n += $1} {t = 0} END {print n + 0}'
}

# Total of go tool pprof -top ("... of N total").
top_total() {
	go tool pprof -sample_index=samples -top "$1" 2>/dev/null |
		awk '/^Showing nodes/ {print $(NF - 1)}'
}

# flat and cum of function $2 in go tool pprof -top.
top_flat_cum() {
	go tool pprof -sample_index=samples -top -nodefraction=0 -nodecount=100000 "$1" 2>/dev/null |
		awk -v f="$2" '$6 == f && NF == 6 {print $1, $4; found = 1} END {if (!found) print "0 0"}'
}

# ---- a Go program's own CPU profile, read by profd ----

mkdir -p "$TMP/gowork"
cat >"$TMP/gowork/main.go" <<'EOF'
package main

import (
	"os"
	"runtime/pprof"
	"time"
)

var sink uint64

//go:noinline
func spin(d time.Duration) {
	end := time.Now().Add(d)
	x := sink
	for time.Now().Before(end) {
		for i := 0; i < 10000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	sink = x
}

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		panic(err)
	}
	spin(time.Second)
	pprof.StopCPUProfile()
	f.Close()
}
EOF
if ! (cd "$TMP/gowork" && go build -o gowork main.go) >"$TMP/gobuild.log" 2>&1; then
	fail go_profile.build "go build failed: $(tail -n 3 "$TMP/gobuild.log" | tr '\n' ' ')"
elif ! "$TMP/gowork/gowork" "$TMP/go.pb.gz" 2>"$TMP/err"; then
	fail go_profile.run "$(cat "$TMP/err")"
elif ! "$PROFD" convert "$TMP/go.pb.gz" -o "$TMP/go.folded" 2>"$TMP/err"; then
	fail go_profile.convert "$(cat "$TMP/err")"
else
	cp "$TMP/go.pb.gz" "$TMP/go.folded" "$ART/"
	ft=$(folded_total "$TMP/go.folded")
	tt=$(traces_total "$TMP/go.pb.gz")
	rt=$(go tool pprof -raw "$TMP/go.pb.gz" 2>/dev/null |
		awk '/^Samples:/ {s = 1; getline; next} /^[A-Z]/ {s = 0} s && $2 ~ /:$/ {n += $1} END {print n + 0}')
	if [ "$ft" -gt 0 ] && [ "$ft" = "$tt" ] && [ "$ft" = "$rt" ]; then
		pass go_profile.totals
	else
		fail go_profile.totals "folded $ft, go tool pprof -traces $tt, -raw $rt"
	fi
	if grep -q '^gowork;.*main\.main;main\.spin' "$TMP/go.folded"; then
		pass go_profile.stacks
	else
		fail go_profile.stacks "no gowork;...main.main;main.spin stack: $(head -c 300 "$TMP/go.folded")"
	fi
	# Back to pprof and through go tool pprof once more: the same total.
	"$PROFD" convert "$TMP/go.pb.gz" -o "$TMP/go2.pb.gz" 2>"$TMP/err" &&
		t2=$(top_total "$TMP/go2.pb.gz")
	if [ "${t2:-}" = "$ft" ]; then
		pass go_profile.pprof_again
	else
		fail go_profile.pprof_again "total ${t2:-none}, want $ft: $(cat "$TMP/err")"
	fi
fi

# ---- folded -> pprof -> folded, and convert to SVG ----

printf 'app;main;work;memcpy_[k] 3\napp;main;idle 1\nother;main;f 5\n' >"$TMP/in.folded"
if "$PROFD" convert "$TMP/in.folded" -o "$TMP/in.pb.gz" 2>"$TMP/err" &&
	"$PROFD" convert "$TMP/in.pb.gz" -o "$TMP/back.folded" 2>>"$TMP/err" &&
	"$PROFD" convert "$TMP/in.pb.gz" -o "$TMP/in.svg" 2>>"$TMP/err" &&
	"$PROFD" convert "$TMP/in.folded" -o "$TMP/in.bin" --format pprof 2>>"$TMP/err" &&
	cmp -s "$TMP/in.pb.gz" "$TMP/in.bin" &&
	sort "$TMP/in.folded" | cmp -s - "$TMP/back.folded" && grep -q '<svg' "$TMP/in.svg" &&
	[ "$(top_total "$TMP/in.pb.gz")" = 9 ]; then
	pass convert.round_trip
else
	fail convert.round_trip "$(cat "$TMP/err"; diff "$TMP/in.folded" "$TMP/back.folded" | head -5)"
fi

# ---- bad input: one line, exit 1, bounded memory ----

# expect_bad NAME PATTERN FILE: profd convert FILE exits 1 with one stderr line matching PATTERN.
expect_bad() {
	name=$1 pattern=$2 file=$3
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f '%M' -o "$TMP/rss" "$PROFD" convert "$file" -o "$TMP/bad.folded" \
			2>"$TMP/err"
	else
		"$PROFD" convert "$file" -o "$TMP/bad.folded" 2>"$TMP/err"
	fi
	rc=$?
	rss=$(tail -n 1 "$TMP/rss" 2>/dev/null || echo 0)
	if [ $rc != 1 ]; then
		fail "$name" "exit $rc, want 1: $(head -c 300 "$TMP/err")"
	elif [ "$(wc -l <"$TMP/err")" != 1 ]; then
		fail "$name" "want one line on stderr: $(head -c 300 "$TMP/err" | tr '\n' '|')"
	elif ! grep -Eq "$pattern" "$TMP/err"; then
		fail "$name" "stderr '$(cat "$TMP/err")' does not match '$pattern'"
	elif [ "$rss" -gt $((320 * 1024)) ]; then
		fail "$name" "peak RSS $((rss / 1024)) MiB"
	elif [ -e "$TMP/bad.folded" ]; then
		fail "$name" "an output file was left behind"
	else
		pass "$name"
	fi
}

head -c 4096 "$PROFD" >"$TMP/garbage.pb.gz"
expect_bad bad_input.garbage 'garbage\.pb\.gz: not a pprof profile: malformed protobuf at byte 0$' \
	"$TMP/garbage.pb.gz"
printf '\037\213\010\000garbage after a gzip magic' >"$TMP/badgz.pb.gz"
expect_bad bad_input.bad_gzip 'badgz\.pb\.gz: (bad gzip data|gzip data truncated)' "$TMP/badgz.pb.gz"
printf 'these are words, not a profile\n' >"$TMP/text.pb"
expect_bad bad_input.text 'text\.pb: not a pprof profile' "$TMP/text.pb"
if [ -s "$TMP/go.pb.gz" ]; then
	head -c $(($(wc -c <"$TMP/go.pb.gz") / 2)) "$TMP/go.pb.gz" >"$TMP/truncated.pb.gz"
	expect_bad bad_input.truncated_gzip 'truncated\.pb\.gz: gzip data truncated' "$TMP/truncated.pb.gz"
fi
# 100 MB of zeros: below the size cap, refused as protobuf; 300 MB: refused at the cap.
head -c 100000000 /dev/zero | gzip -1 >"$TMP/bomb100.pb.gz"
expect_bad bad_input.bomb_100mb 'bomb100\.pb\.gz: not a pprof profile: malformed protobuf at byte 0' \
	"$TMP/bomb100.pb.gz"
head -c 300000000 /dev/zero | gzip -1 >"$TMP/bomb300.pb.gz"
expect_bad bad_input.bomb_300mb 'bomb300\.pb\.gz: decompressed size above 256 MiB' \
	"$TMP/bomb300.pb.gz"
rm -f "$TMP"/bomb*.pb.gz

# ---- profd's own profile of a known-answer workload ----

need_root pprof.record || exit 0
for w in split3 threads2; do
	if [ ! -x "$WL/$w" ]; then
		fail pprof.record "no $WL/$w (make test-binaries)"
		exit 0
	fi
done
RAWQ="$TOP/tests/e2e/pprof_raw.py"

# record NAME SECONDS: profd --lines on workload NAME from exec to exit into $TMP/NAME.pb.gz, and
# go tool pprof -raw's reading of it into $TMP/NAME.raw; the workload's truth in $TMP/NAME.truth.
# A failure is one FAIL line for the checks that depend on it.
record() {
	if ! timeout 60 "$PROFD" -F 499 --lines -o "$TMP/$1.pb.gz" -- "$WL/$1" "$2" \
		>"$TMP/$1.truth" 2>"$TMP/$1.err"; then
		fail "pprof.$1" "profd failed: $(tail -n 3 "$TMP/$1.err" | tr '\n' ' ')"
		return 1
	fi
	cp "$TMP/$1.pb.gz" "$TMP/$1.err" "$ART/"
	if ! go tool pprof -raw "$TMP/$1.pb.gz" >"$TMP/$1.raw" 2>"$TMP/err"; then
		fail "pprof.$1" "go tool pprof -raw cannot read it: $(tail -n 3 "$TMP/err" | tr '\n' ' ')"
		return 1
	fi
	cp "$TMP/$1.raw" "$ART/$1.raw.txt"
}

if record split3 5; then
	summary=$(sed -n 's/^profd: \([0-9]*\) samples.*/\1/p' "$TMP/split3.err")
	if "$PROFD" convert "$TMP/split3.pb.gz" -o "$TMP/x.folded" 2>"$TMP/err"; then
		cp "$TMP/x.folded" "$ART/"
		ft=$(folded_total "$TMP/x.folded")
	else
		ft="none ($(cat "$TMP/err"))"
	fi
	tt=$(top_total "$TMP/split3.pb.gz")
	trt=$(traces_total "$TMP/split3.pb.gz")
	if [ "${summary:-0}" -gt 0 ] && [ "$ft" = "$summary" ] && [ "$tt" = "$summary" ] &&
		[ "$trt" = "$summary" ]; then
		pass pprof.totals
	else
		fail pprof.totals "profd summary ${summary:-?}, folded $ft, -top $tt, -traces $trt"
	fi

	# cpu/nanoseconds = samples * period, period = 1e9 / 499.
	bad_values=$(awk '/^Period:/ {p = $2} /^Samples:/ {s = 1; getline; next} /^[A-Z]/ {s = 0}
		s && $2 ~ /:$/ {v = $2; sub(/:$/, "", v); if (v + 0 != $1 * p) bad++} END {print bad + 0, p}' "$TMP/split3.raw")
	if [ "$bad_values" = "0 2004008" ]; then
		pass pprof.cpu_values
	else
		fail pprof.cpu_values "bad values, period: $bad_values"
	fi

	first=$(go tool pprof -sample_index=samples -top "$TMP/split3.pb.gz" 2>/dev/null |
		awk '/flat%/ {getline; print $6}')
	ok=1 why="top function $first"
	[ "$first" = work_a ] || ok=0
	for f in work_a work_b work_c; do
		want=$(folded_flat_cum "$TMP/x.folded" "$f")
		got=$(top_flat_cum "$TMP/split3.pb.gz" "$f")
		why="$why; $f folded $want pprof $got"
		if [ "$want" != "$got" ] || [ "${want% *}" = 0 ]; then
			ok=0
		fi
	done
	if [ $ok = 1 ]; then pass pprof.hot_functions; else fail pprof.hot_functions "$why"; fi

	# Every mapped file: start/limit/offset of one of its executable LOAD segments, its build-id.
	if m=$(python3 "$RAWQ" mappings "$TMP/split3.raw" 2>&1) &&
		grep -q "^[0-9]*: .* $WL/split3 [0-9a-f]\{40\} " "$TMP/split3.raw"; then
		pass "pprof.mappings_vs_readelf ($m)"
	else
		fail pprof.mappings_vs_readelf "$m; $(sed -n '/^Mappings/,$p' "$TMP/split3.raw" | tr '\n' '|')"
	fi

	# The mapping says it has lines and inline frames, and go tool pprof -list finds the source.
	main_map=$(grep -E "^[0-9]+: .* $WL/split3 " "$TMP/split3.raw")
	case "$main_map" in
	*"[LN]"*)
		if go tool pprof -sample_index=samples -source_path "$TOP" -list '^work_a$' \
			"$TMP/split3.pb.gz" 2>/dev/null | grep -q 'BURN_BODY\|thread_ns'; then
			pass pprof.list_source
		else
			fail pprof.list_source "go tool pprof -list work_a shows no source lines"
		fi
		;;
	*) fail pprof.list_source "no line numbers for split3, built with -g (mapping: ${main_map:-none})" ;;
	esac
	# Each location's lines, innermost first, as addr2line -i gives them for its address: some
	# must be inline (thread_ns is always_inline in work_a/b/c).
	if [ -z "${main_map##*\[IN\]*}" ] && lines=$(python3 "$RAWQ" lines "$TMP/split3.raw" "$WL/split3" 2>&1) &&
		[ "$(echo "$lines" | awk '{ print $3 }')" -gt 0 ]; then
		pass "pprof.inline_frames_vs_addr2line ($lines)"
	else
		fail pprof.inline_frames_vs_addr2line "mapping '${main_map:-none}': ${lines:-no [IN] flag}"
	fi
fi

# threads2: pid, tid and comm labels as the workload's own getpid and gettid saw them.
if record threads2 4; then
	python3 "$RAWQ" samples "$TMP/threads2.raw" >"$TMP/threads2.samples" 2>"$TMP/err"
	pid=$(awk '$1 == "truth_pid" { print $2 }' "$TMP/threads2.truth")
	ta=$(awk '$1 == "truth_tid" && $2 == "spin_alpha" { print $3 }' "$TMP/threads2.truth")
	tb=$(awk '$1 == "truth_tid" && $2 == "spin_beta" { print $3 }' "$TMP/threads2.truth")
	cp "$TMP/threads2.samples" "$TMP/threads2.truth" "$ART/"
	# Samples of each spin function: all on its thread; all of the process's on its pid. Only
	# a sample inside the execve() still carries the comm of the profd fork it was.
	got=$(awk -v p="pid=$pid" -v a="tid=$ta" -v b="tid=$tb" '
		{ n += $1 } $3 != p { bad += $1 }
		$2 != "comm=threads2" && !($2 == "comm=profd" && $5 ~ /execve/) { bad += $1 }
		$5 ~ /(^|;)spin_alpha(;|$)/ { alpha += $1; if ($4 != a) bad += $1 }
		$5 ~ /(^|;)spin_beta(;|$)/ { beta += $1; if ($4 != b) bad += $1 }
		END { print n + 0, alpha + 0, beta + 0, bad + 0 }' "$TMP/threads2.samples")
	set -- $got
	if [ -n "$pid" ] && [ "$ta" != "$tb" ] && [ "$2" -gt 0 ] && [ "$3" -gt 0 ] && [ "$4" = 0 ]; then
		pass pprof.labels_pid_tid_comm
	else
		fail pprof.labels_pid_tid_comm "of $1 samples ($2 spin_alpha, $3 spin_beta), $4 with labels other than comm=threads2 pid=$pid and tid $ta/$tb: $(cat "$TMP/err") $(head -n 3 "$TMP/threads2.samples" | tr '\n' '|')"
	fi
fi
