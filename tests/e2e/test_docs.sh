#!/bin/sh
# Documentation in step with the binary, for every subcommand: the options `profd SUB --help`
# lists are those man/profd-SUB.1 (man/profd.1 without one) describes, every long option the
# sources declare is in some --help, every page renders without warnings, --version answers,
# and the bash completion offers what --help lists. Needs neither root nor the package.
. "$(dirname "$0")/lib.sh"

MAN="$TOP/man"
VERSION=$(cat "$TOP/VERSION")

# help_options: the options an --help text on stdin lists: the leading -x/--long words of its
# indented lines that start with a dash.
help_options() {
	awk '/^[ \t]+-/ {
		n = split($0, w, /[ ,]+/)
		for (i = 1; i <= n; i++) {
			if (w[i] == "") continue
			if (w[i] !~ /^(-[A-Za-z0-9]|--[a-z0-9][a-z0-9-]*)$/) break
			print w[i]
		}
	}' | sort -u
}

# man_options PAGE: the options of the .TP entries of a roff page (the line after each .TP).
man_options() {
	awk 'tp {
		line = $0
		gsub(/\\f[BIRP]/, "", line)
		gsub(/\\-/, "-", line)
		n = split(line, w, /[ ,]+/)
		for (i = 1; i <= n; i++) {
			if (w[i] == "") continue
			if (w[i] !~ /^(-[A-Za-z0-9]|--[a-z0-9][a-z0-9-]*)$/) break
			print w[i]
		}
	}
	{ tp = /^\.TP/ }' "$1" | sort -u
}

subcommands() {
	"$PROFD" --help | awk '/^Subcommands:/ { s = 1; next } s && !NF { s = 0 }
		s && /^  [a-z]/ { print $1 }'
}

page_of() {
	if [ -n "$1" ]; then echo "$MAN/profd-$1.1"; else echo "$MAN/profd.1"; fi
}

if [ ! -x "$PROFD" ]; then
	fail docs "$PROFD not built"
	exit 0
fi
subs=$(subcommands)
if [ -z "$subs" ]; then
	fail docs.subcommands "profd --help lists no Subcommands:"
fi

# ---- --help and the man page list the same options, per subcommand ----
for sub in "" $subs; do
	name=docs.options.${sub:-record}
	page=$(page_of "$sub")
	if [ ! -f "$page" ]; then
		fail "$name" "no man page $page for 'profd $sub'"
		continue
	fi
	# shellcheck disable=SC2086
	"$PROFD" $sub --help >"$TMP/help" 2>&1
	help_options <"$TMP/help" >"$TMP/h"
	man_options "$page" >"$TMP/m"
	only_help=$(comm -23 "$TMP/h" "$TMP/m" | tr '\n' ' ')
	only_man=$(comm -13 "$TMP/h" "$TMP/m" | tr '\n' ' ')
	if [ ! -s "$TMP/h" ]; then
		fail "$name" "profd $sub --help lists no options"
	elif [ -n "$only_help$only_man" ]; then
		fail "$name" "in --help only: ${only_help:-none}; in ${page##*/} only: ${only_man:-none}"
	else
		pass "$name"
	fi
	cat "$TMP/h" >>"$TMP/all_help"
done

# A page without a subcommand is a page nobody keeps up to date.
stale=""
for page in "$MAN"/profd-*.1; do
	sub=${page##*/profd-}
	sub=${sub%.1}
	echo "$subs" | grep -qx "$sub" || stale="$stale ${page##*/}"
done
if [ -z "$stale" ]; then pass docs.no_stale_pages; else fail docs.no_stale_pages "no such subcommand:$stale"; fi

# ---- every long option in the sources is documented in some --help ----
if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$TOP" ls-files -z '*.c' '*.h' ':!:tests/*' | (cd "$TOP" && xargs -0 cat) |
		grep -oE '\{"[a-z][a-z0-9-]*", *(no|required|optional)_argument' |
		sed 's/^{"\([^"]*\)".*/--\1/' | sort -u >"$TMP/src"
	undocumented=$(sort -u "$TMP/all_help" | comm -23 "$TMP/src" - | tr '\n' ' ')
	if [ ! -s "$TMP/src" ]; then
		fail docs.source_options "found no getopt_long option table in the sources"
	elif [ -n "$undocumented" ]; then
		fail docs.source_options "accepted but in no --help: $undocumented"
	else
		pass docs.source_options
	fi
else
	skip docs.source_options "not a git checkout: cannot list the sources"
fi

# ---- the pages render cleanly ----
if command -v groff >/dev/null; then
	for page in "$MAN"/*.1; do
		if out=$(groff -man -ww -z "$page" 2>&1) && [ -z "$out" ]; then
			pass "docs.man_renders.${page##*/}"
		else
			fail "docs.man_renders.${page##*/}" "$(echo "$out" | head -n 3 | tr '\n' ' ')"
		fi
	done
else
	skip docs.man_renders "groff not installed"
fi

# ---- --version on every subcommand ----
bad=""
for sub in "" $subs; do
	# shellcheck disable=SC2086
	out=$("$PROFD" $sub --version 2>&1) && [ "$out" = "profd $VERSION" ] || bad="$bad [${sub:-record}: $out]"
done
if [ -z "$bad" ]; then pass docs.version_every_subcommand; else fail docs.version_every_subcommand "want 'profd $VERSION':$bad"; fi

# ---- bash completion ----
if ! command -v bash >/dev/null; then
	skip docs.completion "bash not installed"
	exit 0
fi
# complete WORDS...: what the completion offers for the last word, space-separated.
complete_words() {
	PATH="$TMP/bin:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_profd; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		sh "$TOP/contrib/profd.bash" "$PROFD" "$@"
}
# expect_completion NAME WANT WORDS...
expect_completion() {
	name=$1 want=$2
	shift 2
	got=$(complete_words "$@")
	if [ "$got" = "$want" ]; then pass "$name"; else fail "$name" "got '$got', want '$want'"; fi
}
expect_completion docs.completion.subcommands "$(echo "$subs" | sort | tr '\n' ' ')" ''
for sub in "" $subs; do
	# shellcheck disable=SC2086
	want=$("$PROFD" $sub --help | help_options | grep '^--' | sort | tr '\n' ' ')
	# shellcheck disable=SC2086
	expect_completion "docs.completion.options.${sub:-record}" "$want" $sub --
done
expect_completion docs.completion.format "folded pprof svg " -a --format ''
expect_completion docs.completion.unwind "cfi copy " agent --unwind c
expect_completion docs.completion.option_equals "svg " --format = s
mkdir -p "$TMP/files/dir" "$TMP/bin" && : >"$TMP/files/a.folded"
printf '#!/bin/sh\ntouch "%s/ran"\n' "$TMP" >"$TMP/bin/profd-test-cmd"
chmod +x "$TMP/bin/profd-test-cmd"
expect_completion docs.completion.store_dirs "$TMP/files/dir " query --store "$TMP/files/d"
expect_completion docs.completion.convert_files "$TMP/files/a.folded " convert "$TMP/files/a."
expect_completion docs.completion.command_after_dashes "profd-test-cmd " -a -- profd-test-
# A word that is no subcommand is never run with --help: `profd WORD --help` would profile WORD.
expect_completion docs.completion.unknown_word_safe "--help " "$TMP/bin/profd-test-cmd" --he
if [ -e "$TMP/ran" ]; then
	fail docs.completion.runs_nothing "completing after an unknown word ran it"
else
	pass docs.completion.runs_nothing
fi
