#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reads the in-kernel loss counters of a running profd, from outside it (even while it is
stopped): its "counters" map is found among the BPF maps the process holds open
(/proc/PID/fdinfo), dumped with bpftool, and summed over CPUs.

Usage: bpf_counters.py PID NAME...   prints the sum of the named counters (PROFD_CNT_NAME,
                                     e.g. USTACK_FULL), read by their place in bpf/profile.h.
"""
import json
import os
import re
import subprocess
import sys

HEADER = os.path.join(os.path.dirname(__file__), "..", "..", "bpf", "profile.h")


def counter_index():
    body = re.search(r"enum profd_counter \{(.*?)\};", open(HEADER).read(), re.S).group(1)
    names = re.findall(r"^\s*PROFD_CNT_(\w+),", body, re.M)
    return {n: i for i, n in enumerate(names)}


def map_ids(pid):
    ids = set()
    fdinfo = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fdinfo):
        try:
            text = open(os.path.join(fdinfo, fd)).read()
        except OSError:
            continue
        m = re.search(r"^map_id:\s*(\d+)$", text, re.M)
        if m:
            ids.add(int(m.group(1)))
    return ids


def bpftool(*args):
    return json.loads(subprocess.run(["bpftool", "-j", *args], check=True,
                                     capture_output=True, text=True).stdout)


def main():
    pid, wanted = int(sys.argv[1]), sys.argv[2:]
    index = counter_index()
    for mid in sorted(map_ids(pid)):
        if bpftool("map", "show", "id", str(mid)).get("name") != "counters":
            continue
        total = 0
        for entry in bpftool("map", "dump", "id", str(mid)):
            if entry["formatted"]["key"] in [index[n] for n in wanted]:
                total += sum(v["value"] for v in entry["formatted"]["values"])
        print(total)
        return 0
    sys.exit("pid %d holds no BPF map named counters" % pid)


if __name__ == "__main__":
    sys.exit(main())
