#!/bin/sh
# Seeds of fuzz_elf_dwarf, built at fuzz time into $1 (no binaries are kept in the tree): the
# small program elf_dwarf_seed.c as gcc and clang build it at -O2 -g (clang 14 emits no
# .debug_aranges), DWARF 4 and 5, zlib-compressed debug sections (and zstd where objcopy
# can), 32-bit files, separate debug files and a stripped copy. A variant the toolchain cannot
# build is skipped. Usage: elf_dwarf_seeds.sh OUT_DIR
set -u
out=$1
src=$(dirname "$0")/elf_dwarf_seed.c
mkdir -p "$out"
v() { # NAME COMPILER FLAGS...
	name=$1
	shift
	"$@" -o "$out/$name" "$src" >/dev/null 2>&1 || rm -f "$out/$name"
}
v gcc-O2-g gcc -O2 -g
v clang-O2-g clang -O2 -g
v gcc-O2-g-dwarf4 gcc -O2 -g -gdwarf-4
v clang-O2-g-dwarf4 clang -O2 -g -gdwarf-4
v gcc-O2-g-gz gcc -O2 -g -gz=zlib
v clang-O2-g-gz clang -O2 -g -gz=zlib
v gcc-O2-g-nopie gcc -O2 -g -no-pie
# 32-bit, linked without a libc (none may be installed for -m32); never run.
m32="-m32 -O2 -g -nostdlib -static -Wl,--unresolved-symbols=ignore-all -Wl,-e,main"
v gcc-m32 gcc $m32
v clang-m32-gz clang $m32 -gz=zlib
if [ -f "$out/gcc-O2-g" ]; then
	objcopy --only-keep-debug "$out/gcc-O2-g" "$out/gcc-O2-g.debug" 2>/dev/null ||
		rm -f "$out/gcc-O2-g.debug"
	strip -o "$out/gcc-O2-stripped" "$out/gcc-O2-g" 2>/dev/null || rm -f "$out/gcc-O2-stripped"
	# zstd needs a binutils built with it.
	objcopy --compress-debug-sections=zstd "$out/gcc-O2-g" "$out/gcc-O2-g-zstd" 2>/dev/null ||
		rm -f "$out/gcc-O2-g-zstd"
fi
if [ -f "$out/clang-O2-g" ]; then
	objcopy --only-keep-debug "$out/clang-O2-g" "$out/clang-O2-g.debug" 2>/dev/null ||
		rm -f "$out/clang-O2-g.debug"
fi
ls "$out" | grep -q . || { echo "no seed could be built (gcc, clang?)" >&2; exit 1; }
