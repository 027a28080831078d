#!/bin/sh
# The write path of the agent's store and push spool, proven rather than left to luck: profd
# agent runs with tests/e2e/killshim.c preloaded, which kills it (SIGKILL) halfway through
# writing a window file, or after writing one and before renaming it into place. Afterwards the
# folder must hold only whole windows under their final names (profd query reads every one,
# none damaged; gzip -t passes every spooled body), the unfinished file only under a temporary
# name, and a restart must clear it and go on. Outputs are kept in tests/artifacts/test_store_atomic/.
. "$(dirname "$0")/lib.sh"

READY='^profd: agent: sampling '
WINDOW='^[0-9]+-[0-9]+\.pb\.zst$'
SPOOLED='^[0-9]{19}-[0-9]{19}\.pb\.gz$'

need_root store_atomic || exit 0
rm -f "$ART"/*
SHIM="$TMP/killshim.so"
if ! cc -Wall -Wextra -shared -fPIC -O1 -o "$SHIM" "$TOP/tests/e2e/killshim.c" -ldl \
	2>"$ART/build.log"; then
	fail store_atomic.build "$(tail -n 3 "$ART/build.log" | tr '\n' ' ')"
	exit 0
fi

# others DIR ERE: the names in DIR that do not match ERE
others() { ls -A "$1" | grep -vE "$2"; }
# query_windows DIR: "N" windows profd query read from DIR, or "damaged" if it skipped one
query_windows() {
	"$PROFD" query --store "$1" -o "$TMP/q.folded" 2>"$TMP/q.err"
	if grep -q damaged "$TMP/q.err"; then
		echo damaged
	else
		sed -n 's/.*query: \([0-9]*\) windows.*/\1/p' "$TMP/q.err"
	fi
}

# killed NAME DIR MODE AT AGENT-ARGS...: profd agent with the shim, until it kills the agent at
# the AT-th MODE (write|rename) into DIR (30 s at most). The shim's line is in $TMP/NAME.log.
# Returns 1 after a FAIL line if the agent did not die that way.
killed() {
	kname=$1 kdir=$2 kmode=$3 kat=$4
	shift 4
	KILLSHIM_DIR=$kdir KILLSHIM_MODE=$kmode KILLSHIM_AT=$kat KILLSHIM_LOG="$TMP/$kname.log" \
		LD_PRELOAD="$SHIM" timeout 30 "$PROFD" agent --window 1 -F 49 "$@" 2>"$ART/$kname.err"
	krc=$?
	cp "$TMP/$kname.log" "$ART/" 2>/dev/null
	if [ $krc = 137 ] && [ -s "$TMP/$kname.log" ]; then
		return 0
	fi
	fail "$kname" "the agent was not stopped at $kmode $kat into $kdir: exit $krc, shim: '$(cat "$TMP/$kname.log" 2>/dev/null)'"
	return 1
}

# restarted NAME DIR ERE AGENT-ARGS...: a clean agent start on what a kill left, stopped once it
# says it samples (and DONE, when set, succeeds); afterwards DIR holds only names matching ERE.
restarted() {
	rname=$1 rdir=$2 rere=$3
	shift 3
	"$PROFD" agent --window 1 -F 49 "$@" 2>"$ART/$rname.err" &
	rp=$!
	PIDS="$PIDS $rp"
	wait_for 20 said "$ART/$rname.err" "$READY" && wait_for 30 ${DONE:-true}
	kill -INT "$rp"
	wait "$rp"
	rrc=$?
	left=$(others "$rdir" "$rere" | tr '\n' ' ')
	[ "$rrc" = 0 ] && [ -z "$left" ] && return 0
	fail "$rname" "restart: exit $rrc, left in $rdir: ${left:-nothing}"
	return 1
}

# ---- killed halfway through writing the third window ----
ST="$TMP/mid"
mkdir -p "$ST"
if killed store.atomic.kill_mid_write "$ST" write 3 --store "$ST"; then
	read -r _ partial half len <"$TMP/store.atomic.kill_mid_write.log"
	got=$(query_windows "$ST")
	if [ "$(others "$ST" "$WINDOW")" = "$partial" ] && [ "$(stat -c %s "$ST/$partial")" = "$half" ] &&
		[ "$half" -lt "$len" ] && [ "$got" = 2 ] && [ "$(ls "$ST" | grep -cE "$WINDOW")" = 2 ]; then
		pass store.atomic.kill_mid_write
	else
		fail store.atomic.kill_mid_write "half ($half of $len bytes) written to '$partial'; query read '$got' of 2 windows; folder: $(ls -A "$ST" | tr '\n' ' ')"
	fi
	# The restart removes the half-written file and adds whole windows to the two.
	if restarted store.atomic.restart_clears_partial "$ST" "$WINDOW" --store "$ST"; then
		got=$(query_windows "$ST")
		if [ "$got" != damaged ] && [ "$got" -gt 2 ]; then
			pass store.atomic.restart_clears_partial
		else
			fail store.atomic.restart_clears_partial "query read '$got' windows after the restart"
		fi
	fi
fi

# ---- killed after writing the third window, before renaming it into place ----
ST="$TMP/rename"
mkdir -p "$ST" "$TMP/alone"
if killed store.atomic.kill_before_rename "$ST" rename 3 --store "$ST"; then
	read -r _ from to <"$TMP/store.atomic.kill_before_rename.log"
	got=$(query_windows "$ST")
	# The file it was about to rename is whole: under its final name, alone, it reads.
	cp "$ST/$from" "$TMP/alone/$to" 2>/dev/null
	alone=$(query_windows "$TMP/alone")
	if [ "$(others "$ST" "$WINDOW")" = "$from" ] && [ ! -e "$ST/$to" ] && [ "$got" = 2 ] &&
		[ "$alone" = 1 ] && echo "$to" | grep -qE "$WINDOW"; then
		pass store.atomic.kill_before_rename
	else
		fail store.atomic.kill_before_rename "'$from' -> '$to': query read '$got' of 2 windows, the unrenamed file alone '$alone'; folder: $(ls -A "$ST" | tr '\n' ' ')"
	fi
	if restarted store.atomic.restart_clears_unrenamed "$ST" "$WINDOW" --store "$ST"; then
		pass store.atomic.restart_clears_unrenamed
	fi
fi

# ---- the push spool, the receiver down: killed halfway through spooling the second window ----
SP="$TMP/spool_store"
DEAD=$(freeport)
if killed push.atomic.kill_mid_spool_write "$SP/spool" write 2 --store "$SP" \
	--push "http://127.0.0.1:$DEAD"; then
	read -r _ partial half len <"$TMP/push.atomic.kill_mid_spool_write.log"
	spooled=$(ls "$SP/spool" | grep -cE "$SPOOLED")
	bad=$(cd "$SP/spool" && ls | grep -E "$SPOOLED" | while read -r f; do gzip -t "$f" 2>/dev/null || echo "$f"; done)
	if [ "$(others "$SP/spool" "$SPOOLED")" = "$partial" ] && [ "$spooled" = 1 ] && [ -z "$bad" ] &&
		[ "$(stat -c %s "$SP/spool/$partial")" = "$half" ]; then
		pass push.atomic.kill_mid_spool_write
	else
		fail push.atomic.kill_mid_spool_write "half ($half of $len bytes) to '$partial'; $spooled spooled, not gzip: '$bad'; spool: $(ls -A "$SP/spool" | tr '\n' ' ')"
	fi
	# The restart, the receiver up: the whole window goes out, the half one is gone.
	RPORT=$(freeport)
	RECV="$TMP/recv"
	python3 "$TOP/tests/e2e/pyroscope_recv.py" "$RPORT" "$RECV" &
	PIDS="$PIDS $!"
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$RPORT/"
	sent_all() { [ -z "$(ls -A "$SP/spool")" ] && [ -s "$RECV/index.txt" ]; }
	if DONE=sent_all restarted push.atomic.restart_sends_whole_only "$SP/spool" "$SPOOLED" \
		--store "$SP" --push "http://127.0.0.1:$RPORT"; then
		n=$(wc -l <"$RECV/index.txt" 2>/dev/null || echo 0)
		if [ -z "$(ls -A "$SP/spool")" ] && [ "$n" -ge 1 ] && [ ! -s "$RECV/errors.txt" ]; then
			pass push.atomic.restart_sends_whole_only
		else
			fail push.atomic.restart_sends_whole_only "spool: $(ls -A "$SP/spool" | tr '\n' ' '); $n received; errors: $(head -2 "$RECV/errors.txt" 2>/dev/null | tr '\n' ' ')"
		fi
	fi
fi
