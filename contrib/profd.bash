# bash completion for profd. Subcommands and options are read from the binary's own --help, so
# they follow the installed version; the values of a few options are completed here.
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2207 # COMPREPLY=($(...)) splits on IFS, which _profd sets to newline

# _profd_help_options BIN [SUB]: prints the options `BIN [SUB] --help` lists, one per line.
_profd_help_options()
{
	"$1" ${2:+"$2"} --help 2>/dev/null | awk '/^[ \t]+-/ {
		n = split($0, w, /[ ,]+/)
		for (i = 1; i <= n; i++) {
			if (w[i] == "") continue
			if (w[i] !~ /^(-[A-Za-z0-9]|--[a-z0-9][a-z0-9-]*)$/) break
			print w[i]
		}
	}'
}

_profd_subcommands()
{
	"$1" --help 2>/dev/null | awk '/^Subcommands:/ { s = 1; next } s && !NF { s = 0 }
		s && /^  [a-z]/ { print $1 }'
}

_profd()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' bin=${COMP_WORDS[0]} sub='' i
	local IFS=$'\n'

	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# --opt=value: bash splits at the '='.
	if [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == = ]]; then
		prev=${COMP_WORDS[COMP_CWORD - 1]} cur=
	fi
	# Only a known subcommand: `profd WORD --help` would run WORD as the command to profile.
	if ((COMP_CWORD > 1)) && [[ ${COMP_WORDS[1]} != -* ]] &&
		[[ $'\n'$(_profd_subcommands "$bin")$'\n' == *$'\n'"${COMP_WORDS[1]}"$'\n'* ]]; then
		sub=${COMP_WORDS[1]}
	fi
	# After "--" comes the command to profile, then its own arguments.
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -- ]] || continue
		if ((i == COMP_CWORD - 1)); then
			COMPREPLY=($(compgen -c -- "$cur" | sort -u))
		else
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		return
	done

	case $prev in
	-o | --output | --push-ca | --push-auth-file)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--cgroup)
		# Paths relative to the cgroup v2 root, as the samples' cgroup label shows them.
		local root
		root=$(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") {
			if ($(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo 2>/dev/null | head -1)
		[[ -n $root ]] || return
		compopt -o nospace 2>/dev/null
		COMPREPLY=($(cd "$root" && compgen -d -- "${cur#/}" | sed 's|^|/|; s|$|/|'))
		return
		;;
	--store)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--format)
		COMPREPLY=($(compgen -W $'folded\nsvg\npprof' -- "$cur"))
		return
		;;
	--unwind)
		COMPREPLY=($(compgen -W $'cfi\nfp\ncopy\nauto\ndwarf' -- "$cur"))
		return
		;;
	-p | --pid)
		COMPREPLY=($(compgen -W "$(cd /proc && printf '%s\n' [0-9]*)" -- "$cur"))
		return
		;;
	-C | --cpu)
		COMPREPLY=($(compgen -W "$(cat /sys/devices/system/cpu/online 2>/dev/null)" -- "$cur"))
		return
		;;
	--comm)
		COMPREPLY=($(compgen -W "$(sort -u /proc/[0-9]*/comm 2>/dev/null)" -- "$cur"))
		return
		;;
	-F | --freq | -d | --duration | --max-stack | --stack-size | --min-block | --debuginfod | --http | \
		--http-host | --window | --retention-age | --retention-size | --push | --labels | \
		--spool-size | --unwind-memory | --from | --to | --push-header)
		return # a value only the user knows
		;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_profd_help_options "$bin" "$sub")" -- "$cur"))
	elif ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "$(_profd_subcommands "$bin")" -- "$cur"))
	elif [[ $sub == convert || $sub == serve ]]; then
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
}

complete -F _profd profd
