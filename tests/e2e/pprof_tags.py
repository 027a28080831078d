#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Sample counts per value of one pprof label, as `go tool pprof -tags` reports them.

  pprof_tags.py FILE KEY [TAGFOCUS]   prints "COUNT VALUE" per value of label KEY, most first

Runs `go tool pprof -sample_index=samples -tags` (with -tagfocus=TAGFOCUS when given) and reads
its section for KEY. A file pprof cannot read is an error (exit 1, its message on stderr); a
label no sample has prints nothing. For another sample type, $PPROF_SAMPLE_INDEX names it and
$PPROF_UNIT the unit the counts are printed in (off_cpu and ms: whole milliseconds).
"""
import os
import re
import subprocess
import sys


def main():
    if len(sys.argv) not in (3, 4):
        print("usage: pprof_tags.py FILE KEY [TAGFOCUS]", file=sys.stderr)
        return 2
    path, key = sys.argv[1], sys.argv[2]
    cmd = ["go", "tool", "pprof", "-sample_index=" + os.environ.get("PPROF_SAMPLE_INDEX", "samples"), "-tags"]
    if os.environ.get("PPROF_UNIT"):
        cmd.append("-unit=" + os.environ["PPROF_UNIT"])
    if len(sys.argv) == 4:
        cmd.append("-tagfocus=" + sys.argv[3])
    run = subprocess.run(cmd + [path], capture_output=True, text=True)
    if run.returncode:
        print(run.stderr.strip(), file=sys.stderr)
        return 1
    section = None
    counts = []
    for line in run.stdout.splitlines():
        head = re.match(r"^\s*(\S+): Total ", line)
        if head:
            section = head.group(1)
            continue
        row = re.match(r"^\s*(\d+)(?:\.\d+)?[a-z]* \(\s*[0-9.]+%\): (.*)$", line)
        if row and section == key:
            counts.append((int(row.group(1)), row.group(2)))
    for n, value in sorted(counts, key=lambda c: (-c[0], c[1])):
        print(n, value)
    return 0


sys.exit(main())
