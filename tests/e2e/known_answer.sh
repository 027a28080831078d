# Helpers for known-answer tests: sourced after lib.sh by tests that compare profd's shares with
# what a workload measured. The sourcing test sets TOL (points).

FOLDED="$TOP/tests/e2e/folded.py"
# How workloads are built without frame pointers, for the unwinders to walk.
NOFP="-O2 -g -fomit-frame-pointer -momit-leaf-frame-pointer"

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

# holds NAME GOT WANT TOL CONDITION NOT_A_NUMBER WRONG: PASS if GOT and WANT are numbers and the
# awk CONDITION on g, w and t holds; else FAIL with the message that says which went wrong.
holds() {
	if ! is_num "$2" || ! is_num "$3"; then
		fail "$1" "$6"
	elif awk -v g="$2" -v w="$3" -v t="$4" "BEGIN { exit !($5) }"; then
		pass "$1"
	else
		fail "$1" "$7"
	fi
}

# near NAME GOT WANT WHAT: PASS if |GOT - WANT| <= TOL.
near() {
	holds "$1" "$2" "$3" "$TOL" 'g - w <= t && w - g <= t' "$4: got '$2', truth '$3'" \
		"$4: profd ${2}% vs truth ${3}% (allowed ±$TOL)"
}

# within NAME GOT WANT PCT WHAT: PASS if GOT is within PCT % of WANT.
within() {
	holds "$1" "$2" "$3" "$4" 'g - w <= t / 100 * w && w - g <= t / 100 * w' \
		"$5: got '$2', want '$3'" "$5: $2, want $3 ±$4 %"
}

# atleast NAME GOT MIN WHAT: PASS if GOT >= MIN.
atleast() {
	holds "$1" "$2" "$3" 0 'g >= w' "$4: got '$2'" "$4: ${2}, want >= $3"
}

# below NAME GOT MAX WHAT: PASS if GOT < MAX.
below() {
	holds "$1" "$2" "$3" 0 'g < w' "$4: got '$2'" "$4: $2, want < $3"
}

# truth FILE FUNCTION: the percentage the workload printed for FUNCTION.
truth() {
	awk -v f="$2" '$1 == "truth" && $2 == f { print $3 }' "$1"
}

# ran NAME RC WANT_RC FOLDED STDERR: a run worked (exit status as wanted, output written, no
# frame left with the stand-in of a name read at the end). Says nothing when it did: that alone
# proves nothing, the checks on its output do. When it did not, one FAIL line stands for them.
ran() {
	if [ "$2" != "$3" ]; then
		fail "$1" "profd exited $2, want $3; stderr: $(tail -n 3 "$5" | tr '\n' ' ')"
		return 1
	elif [ ! -s "$4" ]; then
		fail "$1" "no output in $4; stderr: $(tail -n 3 "$5" | tr '\n' ' ')"
		return 1
	elif grep -qF '[not named yet]' "$4"; then
		fail "$1" "$(grep -cF '[not named yet]' "$4") stacks in $4 keep a frame never named"
		return 1
	fi
}

# rooted NAME FOLDED COMM ROOTS [--with FRAME]: >= ROOTED_MIN % of COMM's samples reach one of
# ROOTS (and hold FRAME).
rooted() {
	name=$1 f=$2 comm=$3 roots=$4
	shift 4
	if q rooted "$f" --comm "$comm" --roots "$roots" "$@"; then
		atleast "$name" "$Q" "$ROOTED_MIN" "% of $comm samples reaching $roots"
	else
		fail "$name" "$Q"
	fi
}

# all_frames NAME FOLDED FUNC N COMM LEAF: >= ROOTED_MIN % of the samples of COMM in LEAF hold
# FUNC exactly N times (every frame of a deep recursion kept).
all_frames() {
	if q exactly "$2" "$3" "$4" --comm "$5" --with "$6"; then
		atleast "$1" "$Q" "$ROOTED_MIN" "% of $6 samples with $3 exactly $4 times"
	else
		fail "$1" "$Q"
	fi
}

# stored_after STORE NS: STORE holds a window that ends at NS (wall clock) or later
stored_after() {
	for w in $(ls "$1" 2>/dev/null | grep -E '^[0-9]+-[0-9]+\.pb\.zst$'); do
		e=${w#*-}
		[ "${e%.pb.zst}" -ge "$2" ] && return 0
	done
	return 1
}

# agent_rooted NAME SPLIT3 OPTION...: `profd agent` with the options while SPLIT3 (a build of
# tests/workloads/split3.c) runs 4 s; stopped once a window past that is stored, the store's
# split3 samples must reach main. Outputs in $ART/agent*.
agent_rooted() {
	ar_name=$1 ar_split3=$2
	shift 2
	"$PROFD" agent "$@" -F 99 --window 1 --store "$TMP/agent_store" 2>"$ART/agent.stderr" &
	ar_pid=$!
	PIDS="$PIDS $ar_pid"
	wait_for 30 said "$ART/agent.stderr" '^profd: agent: sampling ' ||
		fail "$ar_name.start" "the agent did not start"
	"$ar_split3" 4 >"$ART/agent_split3.truth"
	wait_for 10 stored_after "$TMP/agent_store" "$(date +%s%N)"
	kill -INT "$ar_pid"
	wait "$ar_pid"
	ar_rc=$?
	"$PROFD" query --store "$TMP/agent_store" --comm split3 -o "$ART/agent.folded" \
		2>"$ART/agent_query.stderr"
	if ran "$ar_name.run" "$((ar_rc + $?))" 0 "$ART/agent.folded" "$ART/agent.stderr"; then
		rooted "$ar_name.rooted" "$ART/agent.folded" split3 main
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
