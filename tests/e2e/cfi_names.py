#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks profd's names for code without symbols against readelf and nm.

  cfi_names.py FOLDED MODULE STRIPPED UNSTRIPPED OUT

Every frame "MODULE+0xOFF" of FOLDED must lie where an FDE of STRIPPED starts: the pc= starts of
`readelf --debug-dump=frames`, turned into file offsets through the PT_LOAD headers of
`readelf -lW`. FOLDED is then written to OUT with each such frame named by the symbol of
UNSTRIPPED (nm) whose value is that start, so the usual known-answer checks can run on it.
Prints "FRAMES FDES": distinct unnamed frames of MODULE, FDEs of STRIPPED. Exits 1 with the
reason on stderr when an offset is no FDE start or no symbol starts there, or when MODULE has no
unnamed frame at all.
"""
import re
import subprocess
import sys


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def loads(path):
    """(file offset, vaddr, file size) of each PT_LOAD."""
    out = []
    for line in run("readelf", "-lW", path).splitlines():
        w = line.split()
        if w and w[0] == "LOAD":
            out.append((int(w[1], 16), int(w[2], 16), int(w[4], 16)))
    return out


def fde_starts(path):
    starts = set()
    for line in run("readelf", "--debug-dump=frames", path).splitlines():
        m = re.search(r" FDE .*pc=([0-9a-f]+)\.\.", line)
        if m:
            starts.add(int(m.group(1), 16))
    return starts


def to_offset(segs, vaddr):
    for off, va, size in segs:
        if va <= vaddr < va + size:
            return vaddr - va + off
    return None


def symbols(path):
    names = {}
    for line in run("nm", "--defined-only", path).splitlines():
        w = line.split()
        if len(w) == 3 and w[1] in "TtWw":
            names.setdefault(int(w[0], 16), w[2])
    return names


def main(argv):
    folded, module, stripped, unstripped, out = argv[1:6]
    segs = loads(stripped)
    starts = fde_starts(stripped)
    by_offset = {}
    for s in starts:
        off = to_offset(segs, s)
        if off is not None:
            by_offset[off] = s
    names = symbols(unstripped)
    frame_re = re.compile(re.escape(module) + r"\+0x([0-9a-f]+)$")
    seen, bad = set(), []
    lines = []
    for line in open(folded):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        frames = stack.split(";")
        for i, f in enumerate(frames):
            m = frame_re.match(f)
            if not m:
                continue
            off = int(m.group(1), 16)
            seen.add(off)
            vaddr = by_offset.get(off)
            if vaddr is None:
                bad.append("%s: no FDE starts at file offset 0x%x" % (f, off))
            elif vaddr not in names:
                bad.append("%s: no symbol of %s starts at 0x%x" % (f, unstripped, vaddr))
            else:
                frames[i] = names[vaddr]
        lines.append(";".join(frames) + " " + count)
    if bad:
        sys.stderr.write("; ".join(sorted(set(bad))[:5]) + "\n")
        return 1
    if not seen:
        sys.stderr.write("no frame %s+0x... in %s\n" % (module, folded))
        return 1
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(len(seen), len(starts))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
