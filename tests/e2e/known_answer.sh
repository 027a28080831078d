# Helpers for known-answer tests: sourced after lib.sh by tests that compare profd's shares with
# what a workload measured. The sourcing test sets FOLDED (tests/e2e/folded.py) and TOL (points).

# q ARGS...: runs a folded.py query; the answer is in $Q. On failure returns 1 with the reason in $Q.
q() {
	if Q=$(python3 "$FOLDED" "$@" 2>"$TMP/q.err"); then
		return 0
	fi
	Q="folded.py $1: $(tr '\n' ' ' <"$TMP/q.err")"
	return 1
}

is_num() {
	case "$1" in '' | *[!0-9.]* | *.*.*) return 1 ;; esac
}

# near NAME GOT WANT WHAT: PASS if |GOT - WANT| <= TOL.
near() {
	if ! is_num "$2" || ! is_num "$3"; then
		fail "$1" "$4: got '$2', truth '$3'"
	elif awk -v g="$2" -v w="$3" -v t="$TOL" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= t) }'; then
		pass "$1"
	else
		fail "$1" "$4: profd ${2}% vs truth ${3}% (allowed ±$TOL)"
	fi
}

# atleast NAME GOT MIN WHAT: PASS if GOT >= MIN.
atleast() {
	if ! is_num "$2"; then
		fail "$1" "$4: got '$2'"
	elif awk -v g="$2" -v m="$3" 'BEGIN { exit !(g >= m) }'; then
		pass "$1"
	else
		fail "$1" "$4: ${2}, want >= $3"
	fi
}

# truth FILE FUNCTION: the percentage the workload printed for FUNCTION.
truth() {
	awk -v f="$2" '$1 == "truth" && $2 == f { print $3 }' "$1"
}

# ran NAME RC WANT_RC FOLDED STDERR: a run worked (exit status as wanted, output written). Says
# nothing when it did: that alone proves nothing, the checks on its output do. When it did not,
# one FAIL line stands for them.
ran() {
	if [ "$2" != "$3" ]; then
		fail "$1" "profd exited $2, want $3; stderr: $(tail -n 3 "$5" | tr '\n' ' ')"
		return 1
	elif [ ! -s "$4" ]; then
		fail "$1" "no output in $4; stderr: $(tail -n 3 "$5" | tr '\n' ' ')"
		return 1
	fi
}

# callchains_free: no perf event with call chains is open on the machine, so profd --max-stack
# can raise kernel.perf_event_max_stack (the kernel refuses any write while one is: writing the
# value back as it is tells, and changes nothing).
callchains_free() {
	cf_v=$(cat /proc/sys/kernel/perf_event_max_stack) &&
		{ echo "$cf_v" >/proc/sys/kernel/perf_event_max_stack; } 2>/dev/null
}

# shares PREFIX FOLDED TRUTHFILE COMM FUNC...: each FUNC's share of COMM's samples near truth.
shares() {
	pfx=$1 folded=$2 tfile=$3 comm=$4
	shift 4
	for fn in "$@"; do
		want=$(truth "$tfile" "$fn")
		if [ -z "$want" ]; then
			fail "$pfx.$fn" "workload printed no truth for $fn: $(tr '\n' ' ' <"$tfile")"
		elif q share "$folded" "$fn" --comm "$comm"; then
			near "$pfx.$fn" "$Q" "$want" "$fn"
		else
			fail "$pfx.$fn" "$Q"
		fi
	done
}
