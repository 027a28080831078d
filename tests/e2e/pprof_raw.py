#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks what `go tool pprof -raw` decoded from a profile against binutils, not against profd.

  pprof_raw.py lines RAW EXE       every location in EXE's mapping has the inline chain
                                   (function and file:line, innermost first) that
                                   `addr2line -f -i` gives for its address (or address - 1,
                                   for return addresses); prints "N locations, M inline"
  pprof_raw.py mappings RAW        every mapping of a file is one of the file's executable
                                   LOAD segments (start = p_vaddr, limit = p_vaddr + p_memsz,
                                   offset = p_offset, readelf -lW) with the file's build-id
                                   (readelf -n); prints "N mappings"
  pprof_raw.py samples RAW         one line per sample: "COUNT comm=C pid=P tid=T STACK", STACK
                                   its functions leaf first, inline frames included, joined by ;

Exit 1 with the reason on stderr when a check fails or RAW is not -raw output.
"""
import os
import re
import subprocess
import sys


class Error(Exception):
    pass


def sections(path):
    """The -raw text split by its headings: {"Samples": [...], "Locations": [...], ...}."""
    out, cur = {}, None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.fullmatch(r"(Samples|Locations|Mappings):?", line)
            if m:
                cur = out.setdefault(m.group(1), [])
            elif cur is not None:
                cur.append(line)
    for need in ("Samples", "Locations", "Mappings"):
        if not out.get(need):
            raise Error(f"{path}: no {need} in go tool pprof -raw output")
    return out


def parse_line(text):
    """'name file:line s=N' -> (name, file, line); names may hold spaces, so parse from the end."""
    m = re.fullmatch(r"\s*(.*) (\S*):(-?\d+) s=-?\d+", text)
    if not m:
        raise Error(f"not a location line: {text!r}")
    return m.group(1), m.group(2), int(m.group(3))


def locations(sec):
    """{id: (address, mapping id, [(name, file, line), ...])}, lines as -raw lists them."""
    locs, cur = {}, None
    for text in sec["Locations"]:
        m = re.fullmatch(r"\s*(\d+): (0x[0-9a-f]+) M=(\d+) (.*)", text)
        if m:
            cur = locs[int(m.group(1))] = (int(m.group(2), 16), int(m.group(3)), [])
            cur[2].append(parse_line(m.group(4)))
        elif text.strip():
            if cur is None:
                raise Error(f"inline line before any location: {text!r}")
            cur[2].append(parse_line(text))
    return locs


def mappings(sec):
    """[(id, start, limit, offset, file, build_id)] for mappings of files (absolute paths)."""
    out = []
    for text in sec["Mappings"]:
        m = re.fullmatch(r"(\d+): (0x[0-9a-f]+)/(0x[0-9a-f]+)/(0x[0-9a-f]+) (.*?)((?: ?\[\w+\])*)",
                         text.strip())
        if not m:
            continue
        rest = m.group(5).rsplit(" ", 1)
        path, bid = (rest[0], rest[1]) if len(rest) == 2 and re.fullmatch(r"[0-9a-f]{8,}", rest[1]) \
            else (m.group(5), "")
        if path.startswith("/"):
            out.append((int(m.group(1)), int(m.group(2), 16), int(m.group(3), 16),
                        int(m.group(4), 16), path, bid))
    return out


def addr2line(exe, addrs):
    """{address: [(name, file basename, line)]} from addr2line -a -f -i, innermost first."""
    res = subprocess.run(["addr2line", "-a", "-f", "-i", "-e", exe] + [hex(a) for a in addrs],
                         capture_output=True, text=True, check=True)
    out, cur, lines = {}, None, res.stdout.split("\n")
    i = 0
    while i < len(lines):
        if re.fullmatch(r"0x[0-9a-f]+", lines[i]):
            cur = out.setdefault(int(lines[i], 16), [])
            i += 1
        elif cur is not None and i + 1 < len(lines):
            where = re.sub(r" \(discriminator \d+\)$", "", lines[i + 1])
            file, _, line = where.rpartition(":")
            file = "" if file == "??" else os.path.basename(file)  # no line table here
            cur.append((lines[i], file, int(line) if line.isdigit() else 0))
            i += 2
        else:
            i += 1
    return out


def cmd_lines(raw, exe):
    sec = sections(raw)
    ids = [m[0] for m in mappings(sec) if os.path.realpath(m[4]) == os.path.realpath(exe)]
    if not ids:
        raise Error(f"no mapping of {exe}")
    locs = [l for l in locations(sec).values() if l[1] in ids]
    addrs = sorted({a for a, _, _ in locs} | {a - 1 for a, _, _ in locs})
    truth = addr2line(exe, addrs)
    bad, inline = [], 0
    for addr, _, chain in locs:
        got = [(n, os.path.basename(f), l) for n, f, l in chain]
        if got not in (truth.get(addr), truth.get(addr - 1)):
            bad.append(f"{hex(addr)}: pprof {got}, addr2line {truth.get(addr)}")
        inline += len(chain) > 1
    if bad:
        raise Error(f"{len(bad)} of {len(locs)} locations differ from addr2line: " + "; ".join(bad[:3]))
    if not locs:
        raise Error(f"no locations in the mapping of {exe}")
    print(f"{len(locs)} locations, {inline} inline")


def load_segments(path):
    res = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True, check=True)
    segs = []
    for line in res.stdout.split("\n"):
        f = line.split()
        if len(f) >= 8 and f[0] == "LOAD" and "E" in f[6:-1]:
            off, vaddr, memsz = int(f[1], 16), int(f[2], 16), int(f[5], 16)
            segs.append((vaddr, vaddr + memsz, off))
    return segs


def build_id(path):
    res = subprocess.run(["readelf", "-n", path], capture_output=True, text=True, check=True)
    m = re.search(r"Build ID: ([0-9a-f]+)", res.stdout)
    return m.group(1) if m else ""


def cmd_mappings(raw):
    maps = mappings(sections(raw))
    if not maps:
        raise Error("no mappings of files")
    for mid, start, limit, offset, path, bid in maps:
        segs = load_segments(path)
        if (start, limit, offset) not in segs:
            raise Error(f"mapping {mid} {path}: {start:#x}/{limit:#x}/{offset:#x}, "
                        f"readelf's executable LOAD segments: "
                        + " ".join(f"{a:#x}/{b:#x}/{c:#x}" for a, b, c in segs))
        if bid != build_id(path):
            raise Error(f"mapping {mid} {path}: build-id {bid or 'none'}, readelf {build_id(path)}")
    print(f"{len(maps)} mappings")


def cmd_samples(raw):
    sec = sections(raw)
    locs = locations(sec)
    cur = None
    for text in sec["Samples"][1:] + [""]:
        m = re.fullmatch(r"\s*(\d+)\s+\d+: ([\d ]+)", text)
        if m or not text.strip():
            if cur:
                print(f"{cur['n']} comm={cur.get('comm', '')} pid={cur.get('pid', '')} "
                      f"tid={cur.get('tid', '')} {cur['stack']}")
            cur = None
        if m:
            ids = [int(i) for i in m.group(2).split()]
            names = [n for i in ids for n, _, _ in (locs[i][2] if i in locs else [("?", "", 0)])]
            cur = {"n": m.group(1), "stack": ";".join(names)}
        elif text.strip() and cur is not None:
            for key, val in re.findall(r"(\w+):\[([^\]]*)\]", text):
                cur[key] = val


def main():
    try:
        if len(sys.argv) == 4 and sys.argv[1] == "lines":
            cmd_lines(sys.argv[2], sys.argv[3])
        elif len(sys.argv) == 3 and sys.argv[1] == "mappings":
            cmd_mappings(sys.argv[2])
        elif len(sys.argv) == 3 and sys.argv[1] == "samples":
            cmd_samples(sys.argv[2])
        else:
            raise Error(__doc__.strip().split("\n\n")[1])
    except (Error, OSError, subprocess.CalledProcessError) as e:
        print(f"pprof_raw: {e}", file=sys.stderr)
        sys.exit(1)


main()
