#!/bin/sh
# Seeds of fuzz_unwind_table, built at fuzz time into $1 (no binaries are kept in the tree).
# Each seed is the target's input: a first byte that picks the parser (0 .eh_frame walk,
# 1 .eh_frame_hdr over .eh_frame, 2 .debug_frame rewrite, 3 whole ELF image), two bytes that
# split header from .eh_frame, then the bytes: sections of tests/unwind/deep.c built -O2
# without frame pointers by gcc and clang, with and without .eh_frame, and the files themselves.
# Usage: unwind_table_seeds.sh OUT_DIR
set -u
out=$1
src=$(dirname "$0")/../../unwind/deep.c
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# seed NAME MODE FILE...: MODE byte, a little-endian 16-bit split (the first file's size), files.
seed() {
	name=$1 mode=$2
	shift 2
	split=$(wc -c <"$1")
	{
		printf "\\$(printf '%03o' "$mode")"
		printf "\\$(printf '%03o' $((split & 255)))\\$(printf '%03o' $((split >> 8 & 255)))"
		cat "$@"
	} >"$out/$name"
}

for cc in gcc clang; do
	command -v $cc >/dev/null || continue
	$cc -O2 -g -fomit-frame-pointer -o "$tmp/eh" "$src" 2>/dev/null || continue
	$cc -O2 -g -fomit-frame-pointer -fno-asynchronous-unwind-tables -o "$tmp/dbg" "$src" \
		2>/dev/null || continue
	objcopy --dump-section .eh_frame="$tmp/eh_frame" \
		--dump-section .eh_frame_hdr="$tmp/eh_frame_hdr" "$tmp/eh" "$tmp/x" 2>/dev/null || continue
	objcopy --dump-section .debug_frame="$tmp/debug_frame" "$tmp/dbg" "$tmp/y" 2>/dev/null ||
		continue
	seed "$cc-eh_frame" 0 "$tmp/eh_frame"
	seed "$cc-eh_frame_hdr" 1 "$tmp/eh_frame_hdr" "$tmp/eh_frame"
	seed "$cc-debug_frame" 2 "$tmp/debug_frame"
	strip -o "$tmp/eh.stripped" "$tmp/eh" && seed "$cc-elf" 3 /dev/null "$tmp/eh.stripped"
done
ls "$out" | grep -q . || { echo "no seed could be built (gcc, clang, objcopy?)" >&2; exit 1; }
