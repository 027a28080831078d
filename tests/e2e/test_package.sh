#!/bin/sh
# The .deb, end to end: build it, install it with apt-get, run the installed binary, man page
# and completion, score the unit with systemd-analyze, then run the agent the way the unit
# would (its user, exactly its capabilities, its command line) against another user's
# programs, one of them deleted, and check whole, named stacks with kernel frames, no missing
# capability and no system call outside the unit's filter. Then remove and purge, and check
# nothing is left. Whatever happens midway, the trap takes the package, the user and the
# processes away again. Outputs are kept in tests/artifacts/test_package/.
. "$(dirname "$0")/lib.sh"

FOLDED="$TOP/tests/e2e/folded.py"
VERSION=$(cat "$TOP/VERSION")
STORE=/var/lib/profd
DEPTH=20

need_root package || exit 0
for tool in dpkg-deb apt-get setpriv capsh python3; do
	if ! command -v "$tool" >/dev/null; then
		missing package "$tool not installed"
		exit 0
	fi
done
# One run at a time on this machine: the package, its user and /var/lib/profd are global.
LOCK=/run/lock
[ -d "$LOCK" ] || LOCK=/tmp
exec 9>"$LOCK/profd-test-package.lock"
if ! flock -w 900 9; then
	skip package "another test_package.sh held $LOCK/profd-test-package.lock for 15 minutes"
	exit 0
fi
if dpkg-query -W -f='${Status}' profd 2>/dev/null | grep -Eq 'installed|config-files'; then
	skip package "a profd package is already on this machine; this test installs and purges its own"
	exit 0
fi
if getent passwd profd >/dev/null || getent group profd >/dev/null || [ -e "$STORE" ]; then
	skip package "a profd user, group or $STORE exists that no package made; not touching them"
	exit 0
fi
rm -f "$ART"/* # never judge a run by the files of an earlier one

installed=0
AGENT="" TRACER="" W=""
package_cleanup() {
	for p in $AGENT $TRACER; do kill -9 "$p" 2>/dev/null; done
	[ -z "$TRACER" ] || wait "$TRACER" 2>/dev/null
	[ -z "$W" ] || rm -rf "$W"
	if [ "$installed" = 1 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o DPkg::Lock::Timeout=300 profd \
			>>"$ART/apt.log" 2>&1
	fi
	cleanup
}
trap package_cleanup EXIT
trap 'exit 1' INT TERM HUP

apt() {
	DEBIAN_FRONTEND=noninteractive apt-get "$@" -y -q -o DPkg::Lock::Timeout=300 >>"$ART/apt.log" 2>&1
}
# apt_step CHECK ARGS...: apt ARGS, or FAIL CHECK with apt-get's last lines and end the test.
apt_step() {
	check=$1
	shift
	apt "$@" && return 0
	fail "$check" "apt-get $1: $(tail -n 3 "$ART/apt.log" | tr '\n' ' ')"
	exit 0
}

# ---- build ----
ARCH=$(dpkg --print-architecture)
DEB="$BUILD/profd_${VERSION}_$ARCH.deb"
rm -f "$DEB"
if ! make -s -C "$TOP" BUILD="$BUILD" deb >"$ART/deb.log" 2>&1 || [ ! -s "$DEB" ]; then
	fail package.build "make deb: $(tail -n 3 "$ART/deb.log" | tr '\n' ' ')"
	exit 0
fi
dpkg-deb -I "$DEB" >"$ART/control.txt"
field() { sed -n "s/^ $1: //p" "$ART/control.txt"; }
if [ "$(field Package)" = profd ] && [ "$(field Version)" = "$VERSION" ] &&
	[ "$(field Architecture)" = "$ARCH" ]; then
	pass package.build
else
	fail package.build "control says $(field Package) $(field Version) $(field Architecture)"
fi

# Depends names the package of every library the binary links.
depends=$(field Depends)
echo "package: Depends: $depends"
mkdir -p "$TMP/deb" && dpkg-deb -x "$DEB" "$TMP/deb"
# owner LIB: the package that ships a library (dpkg knows it under /lib or /usr/lib).
owner() {
	path=$(ldconfig -p | awk -v l="$1" '$1 == l && $NF ~ /^\// { print $NF; exit }')
	[ -n "$path" ] || return
	{ dpkg -S "$path" || dpkg -S "$(readlink -f "$path")" || dpkg -S "/usr$path"; } 2>/dev/null |
		head -n 1 | cut -d: -f1
}
missing=""
for lib in $(readelf -d "$TMP/deb/usr/bin/profd" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
	owner=$(owner "$lib")
	case ", $depends" in
	*", $owner "* | *", $owner,"* | *", $owner") ;;
	*) missing="$missing $lib(${owner:-no package})" ;;
	esac
done
if [ -z "$missing" ]; then pass package.depends; else fail package.depends "not in Depends:$missing"; fi
# libdebuginfod (and curl, gnutls, krb5 behind it) is opened only when servers are set.
if readelf -d "$TMP/deb/usr/bin/profd" | grep -q 'NEEDED.*libdebuginfod'; then
	fail package.debuginfod_not_linked "the binary links libdebuginfod"
elif [ "$(field Recommends)" != libdebuginfod1 ]; then
	fail package.debuginfod_not_linked "Recommends: $(field Recommends), want libdebuginfod1"
else
	pass package.debuginfod_not_linked
fi
# libcurl (and gnutls behind it) is opened only by an agent given --push, so Depends names it.
if readelf -d "$TMP/deb/usr/bin/profd" | grep -q 'NEEDED.*libcurl'; then
	fail package.curl_not_linked "the binary links libcurl"
else
	case ", $depends," in
	*", libcurl3-gnutls,"* | *", libcurl3-gnutls "*) pass package.curl_not_linked ;;
	*) fail package.curl_not_linked "Depends lacks libcurl3-gnutls (opened for --push)" ;;
	esac
fi

# ---- install ----
installed=1 # from here the trap purges, a half-installed package too
apt_step package.install install "$DEB"
dpkg -L profd >"$ART/files.txt"
if [ "$(stat -c '%U:%G %a' "$STORE" 2>/dev/null)" = "profd:profd 750" ] &&
	[ "$(getent passwd profd | cut -d: -f7)" = /usr/sbin/nologin ]; then
	pass package.install
else
	fail package.install "user profd: '$(getent passwd profd)', $STORE: $(stat -c '%U:%G %a' "$STORE" 2>&1)"
fi

bad=""
for sub in "" convert serve agent query; do
	# shellcheck disable=SC2086
	out=$(/usr/bin/profd $sub --version 2>&1) && [ "$out" = "profd $VERSION" ] || bad="$bad [${sub:-record}: $out]"
done
if [ -z "$bad" ]; then pass package.version; else fail package.version "want 'profd $VERSION':$bad"; fi

if grep -rqs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
	skip package.man "dpkg on this machine excludes /usr/share/man (path-exclude)"
elif ! command -v man >/dev/null; then
	missing package.man "man-db not installed"
elif LC_ALL=C MANPAGER=cat MANWIDTH=80 man profd 2>"$ART/man.err" >"$ART/man.txt" &&
	grep -q 'profd-agent(1)' "$ART/man.txt" &&
	LC_ALL=C MANPAGER=cat man profd-agent 2>>"$ART/man.err" | grep -q 'CAP_CHECKPOINT_RESTORE'; then
	pass package.man
else
	fail package.man "man profd: $(head -c 200 "$ART/man.err")"
fi

# The installed completion, with the installed binary found on PATH as `profd`.
comp=/usr/share/bash-completion/completions/profd
got=$(bash -c '. "$1"; COMP_WORDS=(profd agent --retention-); COMP_CWORD=2; _profd
	echo "${COMPREPLY[*]}"' sh "$comp" 2>&1)
if [ "$got" = "--retention-age --retention-size" ]; then
	pass package.completion
else
	fail package.completion "profd agent --retention-<TAB> gave '$got'"
fi

# ---- the unit ----
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
UNIT=${UNITDIR:-/lib/systemd/system}/profd-agent.service
unit() { sed -n "s/^$1=//p" "$UNIT"; }
if [ ! -f "$UNIT" ]; then
	fail package.unit "$UNIT not installed"
	exit 0
fi
if command -v systemd-analyze >/dev/null; then
	systemd-analyze security --offline=yes "$UNIT" >"$ART/security.txt" 2>&1
	exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$ART/security.txt")
	if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 4.0) }'; then
		pass package.unit_exposure
		echo "# package: exposure $exposure (systemd-analyze security --offline=yes, at most 4.0)"
	else
		fail package.unit_exposure "exposure '${exposure:-none}', want <= 4.0: $(tail -n 1 "$ART/security.txt")"
	fi
else
	missing package.unit_exposure "systemd-analyze not installed"
fi

# The capabilities systemd would give: ambient, within the bounding set, minus what the
# unit's Protect*= settings take away.
caps=$(unit AmbientCapabilities | tr ' ' '\n' | grep . | sort -u)
bounding=$(unit CapabilityBoundingSet | tr ' ' '\n' | grep . | sort -u)
caps=$(echo "$caps" | grep -Fx "$bounding")
dropped=""
[ "$(unit ProtectKernelLogs)" = yes ] && dropped="$dropped CAP_SYSLOG"
[ "$(unit ProtectKernelModules)" = yes ] && dropped="$dropped CAP_SYS_MODULE"
[ "$(unit ProtectClock)" = yes ] && dropped="$dropped CAP_SYS_TIME CAP_WAKE_ALARM"
[ "$(unit PrivateDevices)" = yes ] && dropped="$dropped CAP_MKNOD CAP_SYS_RAWIO"
for c in $dropped; do caps=$(echo "$caps" | grep -vx "$c"); done
user=$(unit User)
exec_start=$(unit ExecStart)
if [ -z "$caps" ] || echo "$caps" | grep -qx CAP_SYS_ADMIN || [ "$user" != profd ] ||
	[ ! -x "${exec_start%% *}" ]; then
	fail package.unit "User=$user, capabilities '$(echo "$caps" | paste -sd' ' -)', ExecStart=$exec_start"
	exit 0
fi
pass package.unit
setpriv_caps=$(echo "$caps" | sed 's/^CAP_/+/' | tr '[:upper:]' '[:lower:]' | paste -sd, -)

# ---- the agent as the unit runs it, against programs of another user ----
W=$(mktemp -d)
cp "$WL/recurse" "$W/pkgtest_rec" && cp "$WL/recurse" "$W/pkgtest_gone" && cp "$WL/kernel_split" "$W/pkgtest_ks"
chown -R nobody:nogroup "$W" && chmod 0700 "$W" "$W"/*
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups"

# A program whose file is gone before the agent starts: only /proc/PID/map_files has it.
# shellcheck disable=SC2086
bg $NOBODY "$W/pkgtest_gone" "$DEPTH" 60
GONE=$BG_PID
# exe_is PID FILE: PID runs FILE (it has exec'd)
exe_is() { [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$2" ]; }
wait_for 10 exe_is "$GONE" "$W/pkgtest_gone"
rm -f "$W/pkgtest_gone"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DEAD=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Its ExecStart, sampling faster, with the page and a push that never answers as a drop-in
# would add them. UMask= and NoNewPrivileges= as the unit sets them.
tracer=""
command -v strace >/dev/null && tracer="strace -f -qq -o $TMP/strace.txt"
# shellcheck disable=SC2086
(
	umask "$(unit UMask)"
	exec $tracer setpriv --reuid="$user" --regid="$(unit Group)" --clear-groups \
		--inh-caps=-all,"$setpriv_caps" --ambient-caps=-all,"$setpriv_caps" \
		--bounding-set=-all,"$setpriv_caps" --no-new-privs -- \
		$exec_start -F 99 --window 1 --http "127.0.0.1:$PORT" --push "http://127.0.0.1:$DEAD"
) 2>"$ART/agent.err" &
TRACER=$!
# sampling_or_gone: the agent said it samples, or exited without
sampling_or_gone() { said "$ART/agent.err" 'agent: sampling' || ! kill -0 "$TRACER" 2>/dev/null; }
wait_for 30 sampling_or_gone
AGENT=$TRACER
[ -z "$tracer" ] || AGENT=$(pgrep -P "$TRACER" | head -n 1)
if ! grep -q 'agent: sampling' "$ART/agent.err"; then
	fail package.agent_runs "no 'agent: sampling' line: $(tail -n 3 "$ART/agent.err" | tr '\n' ' ')"
	exit 0
fi

# Exactly the unit's capabilities, as the unit's user.
status=$(cat "/proc/$AGENT/status" 2>/dev/null)
have=$(capsh --decode="$(echo "$status" | awk '$1 == "CapEff:" { print $2 }')" | sed 's/.*=//' |
	tr ',' '\n' | tr '[:lower:]' '[:upper:]' | sort | paste -sd' ' -)
want=$(echo "$caps" | sort | paste -sd' ' -)
uid=$(echo "$status" | awk '$1 == "Uid:" { print $3 }')
if [ "$have" = "$want" ] && [ "$uid" = "$(id -u profd)" ]; then
	pass package.agent_capabilities
else
	fail package.agent_capabilities "pid $AGENT uid $uid, CapEff '$have', want uid $(id -u profd) '$want'"
fi

# shellcheck disable=SC2086
$NOBODY "$W/pkgtest_rec" "$DEPTH" 5 >"$ART/rec.truth" &
REC=$!
# 70 % of its CPU in the kernel, by its own clock: kernel frames to be named.
# shellcheck disable=SC2086
$NOBODY "$W/pkgtest_ks" 6 >"$ART/ks.truth" &
KS=$!
wait "$REC"
wait "$KS"
curl -sf "http://127.0.0.1:$PORT/metrics" >"$ART/metrics.txt" || true
# Two more windows: the last one that holds the workloads is on disk.
windows() { find "$STORE" -maxdepth 1 -name '*.pb.zst' | wc -l; }
# windows_at_least N: the store holds N windows
windows_at_least() { [ "$(windows)" -ge "$1" ]; }
wait_for 30 windows_at_least $(($(windows) + 2))
kill -TERM "$AGENT"
wait "$TRACER"
rc=$?
AGENT="" TRACER=""
kill "$GONE" 2>/dev/null
if [ "$rc" = 0 ]; then pass package.agent_sigterm_exit_0; else fail package.agent_sigterm_exit_0 "exit status $rc"; fi

files=$(find "$STORE" -maxdepth 1 -name '*.pb.zst' | wc -l)
modes=$(find "$STORE" -maxdepth 1 -name '*.pb.zst' -printf '%u:%g %m\n' | sort -u | paste -sd' ' -)
if [ "$files" -ge 3 ] && [ "$modes" = "profd:profd 640" ]; then
	pass package.agent_store
else
	fail package.agent_store "$files windows in $STORE, owners and modes '$modes' (want profd:profd 640)"
fi
missing_caps=$(grep 'needs CAP_' "$ART/agent.err" | head -n 2 | tr '\n' ' ')
if [ -z "$missing_caps" ]; then pass package.agent_lacks_nothing; else fail package.agent_lacks_nothing "$missing_caps"; fi

/usr/bin/profd query --store "$STORE" -p "$REC" -o "$ART/rec.folded" 2>"$ART/query.err"
/usr/bin/profd query --store "$STORE" -p "$GONE" -o "$ART/gone.folded" 2>>"$ART/query.err"
/usr/bin/profd query --store "$STORE" -p "$KS" -o "$ART/ks.folded" 2>>"$ART/query.err"
# at_least NAME FILE MIN QUERY...: a folded.py percentage of FILE's samples is >= MIN.
at_least() {
	name=$1 file=$2 min=$3 query=$4
	shift 4
	if got=$(python3 "$FOLDED" "$query" "$file" "$@" 2>&1) &&
		awk -v g="$got" -v m="$min" 'BEGIN { exit !(g >= m) }'; then
		pass "$name"
	else
		fail "$name" "folded.py $query $*: $got, want >= $min"
	fi
}
# Another user's program, its binary in a folder only that user may read: every sample in
# rec_leaf under exactly DEPTH rec frames, and some in the kernel, every kernel frame named.
at_least package.other_user_named "$ART/rec.folded" 95 share rec_leaf
at_least package.other_user_whole_stacks "$ART/rec.folded" 95 exactly rec "$DEPTH"
# kernel_split: its samples with a kernel frame are its kernel share (600 samples at 99 Hz: 3
# standard deviations are about 6 points).
want=$(awk '$1 == "truth_kernel_pct" { print $2 }' "$ART/ks.truth")
got=$(python3 "$FOLDED" kernel "$ART/ks.folded" 2>&1)
if [ -n "$want" ] && awk -v g="$got" -v w="$want" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g ~ /^[0-9.]+$/ && d <= 6) }'; then
	pass package.kernel_frames
else
	fail package.kernel_frames "kernel_split: ${got}% of samples with a kernel frame, truth ${want:-?}% (allowed ±6)"
fi
unnamed=$(python3 "$FOLDED" share "$ART/ks.folded" 're:^\[unknown\]_\[k\]$' 2>&1)
if [ "$unnamed" = "0.00" ]; then
	pass package.kernel_frames_named
else
	fail package.kernel_frames_named "$unnamed% of samples have [unknown]_[k]"
fi
at_least package.deleted_binary_named "$ART/gone.folded" 95 share rec_leaf

if [ -z "$tracer" ]; then
	missing package.syscall_filter "strace not installed"
elif ! command -v systemd-analyze >/dev/null; then
	missing package.syscall_filter "systemd-analyze not installed"
elif refused=$(python3 "$TOP/tests/e2e/syscall_filter.py" "$UNIT" "$TMP/strace.txt" \
	"${exec_start%% *}" 2>&1); then
	pass package.syscall_filter
else
	fail package.syscall_filter "refused by SystemCallFilter=: $(echo "$refused" | tr '\n' ' ')"
fi

# ---- remove keeps the user and the history; purge takes everything ----
apt_step package.remove remove profd
left=$(while read -r f; do [ -f "$f" ] && echo "$f"; done <"$ART/files.txt" | paste -sd' ' -)
if [ -z "$left" ] && getent passwd profd >/dev/null && [ -d "$STORE" ]; then
	pass package.remove
else
	fail package.remove "left: ${left:-nothing}; user: $(getent passwd profd || echo gone); $STORE: $(ls -d "$STORE" 2>&1)"
fi
apt_step package.purge purge profd
installed=0
status=$(dpkg-query -W -f='${Status}' profd 2>/dev/null)
left=""
getent passwd profd >/dev/null && left="$left user"
getent group profd >/dev/null && left="$left group"
[ -e "$STORE" ] && left="$left $STORE"
[ -e /usr/bin/profd ] && left="$left /usr/bin/profd"
case "$status" in *installed* | *config-files*) left="$left dpkg:'$status'" ;; esac
if [ -z "$left" ]; then pass package.purge; else fail package.purge "left:$left"; fi
