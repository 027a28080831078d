#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A process's CPU time along the wall clock, as an outside truth for time ranges.

  cpu_log.py record PID LOG     every 20 ms until PID exits, one line "WALL_NS CPU_NS": the
                                CLOCK_REALTIME ns, and the on-CPU ns of PID's threads
                                (/proc/PID/task/*/schedstat).
  cpu_log.py range LOG START_NS BEFORE_S IN_S
                                a range [A, B] of whole seconds since START_NS (CLOCK_REALTIME
                                ns, as profd's /api/profile gives it) in which the process had
                                at least IN_S of CPU, after BEFORE_S of it before A; prints
                                "A B CPU_NS", CPU_NS a lower bound of its CPU within [A, B].
                                Exits 1 when the log holds no such range yet.
"""
import glob
import math
import sys
import time


def cpu_ns(pid):
    total = 0
    for path in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            total += int(open(path).read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def record(pid, log):
    with open(log, "a") as out:
        while True:
            try:
                state = open("/proc/%d/stat" % pid).read().rpartition(")")[2].split()[0]
            except (OSError, IndexError):
                return 0
            if state in ("Z", "X"):
                return 0
            out.write("%d %d\n" % (time.time_ns(), cpu_ns(pid)))
            out.flush()
            time.sleep(0.02)


def pick_range(log, start_ns, before_s, in_s):
    rows = [((int(w) - start_ns) / 1e9, int(c)) for w, c in
            (line.split() for line in open(log) if len(line.split()) == 2)]
    if not rows:
        return 1
    base = rows[0][1]
    # A: the first whole second by which the process had had BEFORE_S; its CPU at A is at most
    # that of the first line at or after A.
    a_row = next((r for r in rows if r[1] - base >= before_s * 1e9), None)
    if not a_row:
        return 1
    a = math.ceil(a_row[0])
    cpu_a = next((c for t, c in rows if t >= a), None)
    if cpu_a is None:
        return 1
    # B: the first whole second by which it has had IN_S more; its CPU at B is at least that of
    # the last line at or before B.
    for b in range(a + 1, math.floor(rows[-1][0]) + 1):
        cpu_b = max(c for t, c in rows if t <= b)
        if cpu_b - cpu_a >= in_s * 1e9:
            print("%d %d %d" % (a, b, cpu_b - cpu_a))
            return 0
    return 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "record":
        return record(int(sys.argv[2]), sys.argv[3])
    if len(sys.argv) == 6 and sys.argv[1] == "range":
        return pick_range(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
