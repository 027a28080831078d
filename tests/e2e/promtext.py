#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Strict check of a Prometheus text exposition (format 0.0.4), for when promtool is absent.

  promtext.py FILE [NAME...]   exit 0 if FILE parses and every NAME has a sample;
                               prints "NAME VALUE" for each NAME (the first sample's value)

Refused: lines that are neither "# HELP", "# TYPE", another comment nor a sample; bad metric
or label names; unescaped quotes in label values; values that are not floats; a TYPE after the
metric's first sample or declared twice; a type other than the five known; a counter not ending
in _total; samples of one metric not grouped together; a missing final newline.
"""
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(rf"^({NAME})(\{{(?:{LABEL}(?:,{LABEL})*,?)?\}})? (\S+)( -?[0-9]+)?$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def fail(msg):
    print(f"promtext: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) < 2:
        fail("usage: promtext.py FILE [NAME...]")
    text = open(sys.argv[1], encoding="utf-8").read()
    if not text.endswith("\n"):
        fail("no newline at the end")
    types, helps, seen, first = {}, set(), [], {}
    for no, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not re.fullmatch(NAME, name):
                    fail(f"line {no}: bad metric name {name!r}")
                if parts[1] == "HELP":
                    if name in helps:
                        fail(f"line {no}: second HELP for {name}")
                    helps.add(name)
                    continue
                if len(parts) != 4 or parts[3] not in TYPES:
                    fail(f"line {no}: bad TYPE line")
                if name in types or name in first:
                    fail(f"line {no}: TYPE for {name} repeated or after its samples")
                if parts[3] == "counter" and not name.endswith("_total"):
                    fail(f"line {no}: counter {name} does not end in _total")
                types[name] = parts[3]
            continue
        m = SAMPLE.match(line)
        if not m:
            fail(f"line {no}: not a sample: {line!r}")
        name, value = m.group(1), m.group(3)
        try:
            float(value)
        except ValueError:
            if value not in ("NaN", "+Inf", "-Inf"):
                fail(f"line {no}: bad value {value!r}")
        if name in first and seen[-1] != name:
            fail(f"line {no}: samples of {name} not together")
        if name not in first:
            first[name] = value
            seen.append(name)
    for name in sys.argv[2:]:
        if name not in first:
            fail(f"no sample of {name}")
        print(name, first[name])


main()
