#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that a unit's SystemCallFilter= allows every system call a program made.

  syscall_filter.py UNIT STRACE_LOG PROGRAM

STRACE_LOG is `strace -f -o FILE` output; only the calls after PROGRAM's successful execve
count (what ran before, e.g. setpriv, is not the service). Groups (@system-service...) are
expanded with `systemd-analyze syscall-filter`, the way systemd reads the lines: in order, a
line adds its calls, a line starting with ~ removes them. Prints the calls the filter would
refuse, one per line, and exits 1 if there is any; exits 2 if the inputs cannot be read.
"""
import re
import subprocess
import sys

CALL = re.compile(r"^\d+\s+(?:<\.\.\. ([a-z0-9_]+) resumed>|([a-z0-9_]+)\()")


def group(name, seen):
    """The system calls of @name, nested groups expanded."""
    if name in seen:
        return set()
    seen.add(name)
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True,
                         text=True, check=True).stdout
    calls = set()
    for line in out.splitlines()[1:]:
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        calls |= group(word, seen) if word.startswith("@") else {word}
    return calls


def allowed(unit):
    calls = set()
    with open(unit, encoding="utf-8") as f:
        for line in f:
            key, sep, value = line.strip().partition("=")
            if key != "SystemCallFilter" or not sep:
                continue
            deny = value.startswith("~")
            names = set()
            for word in value.lstrip("~").split():
                names |= group(word, set()) if word.startswith("@") else {word}
            calls = calls - names if deny else calls | names
    return calls


def made(log, program):
    calls, started = set(), False
    exec_ok = re.compile(r'execve\("%s",.*\) = 0' % re.escape(program))
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not started:
                started = bool(exec_ok.search(line))
                continue
            m = CALL.match(line)
            if m:
                calls.add(m.group(1) or m.group(2))
    if not started:
        raise ValueError(f"{log}: no successful execve of {program}")
    return calls


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        ok = allowed(sys.argv[1])
        used = made(sys.argv[2], sys.argv[3])
    except (OSError, ValueError, subprocess.CalledProcessError) as e:
        print(e, file=sys.stderr)
        return 2
    if not ok:
        print(f"{sys.argv[1]}: no SystemCallFilter=", file=sys.stderr)
        return 2
    refused = sorted(used - ok)
    for name in refused:
        print(name)
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
