#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Answers questions about a folded-stacks file (profd, perf script | stackcollapse, bcc).

Each line is "comm;root;...;leaf COUNT"; a frame may contain spaces (V8 names do), so the count
is whatever follows the last space. Every query prints one number on stdout; a file that is not
folded stacks, or a filter that selects no sample, is an error (exit 1, reason on stderr), so a
shell test can never mistake "nothing there" for a good answer.

  folded.py total     FILE [filters]          samples selected
  folded.py share     FILE FRAME [filters]    % of selected samples whose stack has FRAME
  folded.py exactly   FILE FRAME N [filters]  % of selected samples with FRAME exactly N times
  folded.py rooted    FILE [--roots A,B] [filters]
                                              % of selected samples reaching a root frame
  folded.py truncated FILE [--at-root] [filters]
                                              % of selected samples marked [truncated]
                                              (--at-root: the marker is the first frame)
  folded.py maxdepth  FILE [filters]          most user frames on one selected stack (comm and
                                              kernel frames excluded: those depend on the moment)
  folded.py kernel    FILE [filters]          % of selected samples with a kernel frame (_[k])
  folded.py comms     FILE                    "COUNT COMM" per comm, most samples first
  folded.py whole     FILE [--min-frames N] [filters]
                                              % of selected samples whose user stack is whole:
                                              no [incomplete] or [truncated] marker, at least N
                                              user frames (default 1)
  folded.py named     FILE [--path A;B;C] [--user-only] [filters]
                                              % of selected samples whose user stack is whole
                                              and named: no marker, no [unknown] or
                                              [process unknown] frame, and (with --path) the
                                              frames A;B;C one after the other, root to leaf
                                              (--user-only: of the samples with a user frame;
                                              one taken in exec or exit has no user stack)
  folded.py diff      FILE OTHER [--min-share P] [filters]
                                              the largest difference, in points, between the
                                              shares of one user stack (kernel frames and
                                              markers left out) in the two files, over stacks
                                              with at least P % (default 1) in either; prints
                                              "POINTS STACK"

Filters: --comm NAME (repeatable: the sample's comm is one of them), --with FRAME (repeatable:
the stack has one of these frames), --without FRAME (repeatable: the stack has none of them). A FRAME is matched exactly, or as a regular expression
(re.search) when written "re:PATTERN". --roots defaults to main plus the thread start frames
glibc shows when it has symbols: start_thread, clone3, __clone, __clone3, thread_start.
"""
import argparse
import re
import sys

DEFAULT_ROOTS = ["main", "start_thread", "clone3", "__clone", "__clone3", "thread_start"]
TRUNCATED = "[truncated]"
MARKERS = (TRUNCATED, "[incomplete]")
UNNAMED = ("[unknown]", "[process unknown]")


class Error(Exception):
    pass


def read_folded(path):
    """Returns [(comm, [frames root->leaf], count)]."""
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for no, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip():
                    continue
                stack, sep, count = line.rpartition(" ")
                if not sep or not count.isdigit() or not stack:
                    raise Error(f"{path}: line {no}: not 'STACK COUNT': {line[:120]!r}")
                frames = stack.split(";")
                out.append((frames[0], frames[1:], int(count)))
    except OSError as e:
        raise Error(f"{path}: {e.strerror}")
    if not out:
        raise Error(f"{path}: no stacks")
    return out


def matcher(pattern):
    if pattern.startswith("re:"):
        rx = re.compile(pattern[3:])
        return lambda frame: rx.search(frame) is not None
    return lambda frame: frame == pattern


def select(stacks, args):
    comms = set(args.comm or [])
    withs = [matcher(p) for p in (args.with_ or [])]
    withouts = [matcher(p) for p in (args.without or [])]
    sel = []
    for comm, frames, count in stacks:
        if comms and comm not in comms:
            continue
        if withs and not any(m(f) for m in withs for f in frames):
            continue
        if any(m(f) for m in withouts for f in frames):
            continue
        sel.append((comm, frames, count))
    total = sum(c for _, _, c in sel)
    if total == 0:
        what = []
        if comms:
            what.append("comm " + "|".join(sorted(comms)))
        if withs:
            what.append("frame " + "|".join(args.with_))
        if withouts:
            what.append("no frame " + "|".join(args.without))
        raise Error(f"{args.file}: no samples with {' and '.join(what)}")
    return sel, total


def percent(sel, total, pred):
    return 100.0 * sum(c for comm, frames, c in sel if pred(comm, frames)) / total


def main(argv):
    ap = argparse.ArgumentParser(description="Queries on a folded-stacks file.")
    sub = ap.add_subparsers(dest="query", required=True)

    def add(name, *extra):
        p = sub.add_parser(name)
        p.add_argument("file")
        for e in extra:
            p.add_argument(e)
        if name != "comms":
            p.add_argument("--comm", action="append")
            p.add_argument("--with", dest="with_", action="append")
            p.add_argument("--without", action="append")
        return p

    add("total")
    add("share", "frame")
    add("exactly", "frame", "n")
    add("rooted").add_argument("--roots", default=",".join(DEFAULT_ROOTS))
    add("truncated").add_argument("--at-root", action="store_true")
    add("maxdepth")
    add("kernel")
    add("comms")
    add("whole").add_argument("--min-frames", type=int, default=1)
    n = add("named")
    n.add_argument("--path", default="")
    n.add_argument("--user-only", action="store_true")
    d = add("diff", "other")
    d.add_argument("--min-share", type=float, default=1.0)
    args = ap.parse_args(argv)

    stacks = read_folded(args.file)
    if args.query == "comms":
        per = {}
        for comm, _, c in stacks:
            per[comm] = per.get(comm, 0) + c
        for comm, c in sorted(per.items(), key=lambda kv: (-kv[1], kv[0])):
            print(c, comm)
        return 0

    if args.query == "named" and args.user_only:
        stacks = [(c, fr, n) for c, fr, n in stacks if any(not f.endswith("_[k]") for f in fr)]
    sel, total = select(stacks, args)
    q = args.query
    if q == "total":
        print(total)
    elif q == "share":
        m = matcher(args.frame)
        print(f"{percent(sel, total, lambda _, fr: any(m(f) for f in fr)):.2f}")
    elif q == "exactly":
        m, n = matcher(args.frame), int(args.n)
        print(f"{percent(sel, total, lambda _, fr: sum(1 for f in fr if m(f)) == n):.2f}")
    elif q == "rooted":
        roots = [matcher(r) for r in args.roots.split(",") if r]
        print(f"{percent(sel, total, lambda _, fr: any(m(f) for m in roots for f in fr)):.2f}")
    elif q == "truncated":
        if args.at_root:
            pred = lambda _, fr: bool(fr) and fr[0] == TRUNCATED  # noqa: E731
        else:
            pred = lambda _, fr: TRUNCATED in fr  # noqa: E731
        print(f"{percent(sel, total, pred):.2f}")
    elif q == "maxdepth":
        print(max(sum(not f.endswith("_[k]") for f in fr) for _, fr, _ in sel))
    elif q == "kernel":
        print(f"{percent(sel, total, lambda _, fr: any(f.endswith('_[k]') for f in fr)):.2f}")
    elif q == "whole":
        def whole(_, fr):
            user = [f for f in fr if not f.endswith("_[k]")]
            return len(user) >= args.min_frames and not any(m in user for m in MARKERS)
        print(f"{percent(sel, total, whole):.2f}")
    elif q == "named":
        path = [p for p in args.path.split(";") if p]

        def named(_, fr):
            user = [f for f in fr if not f.endswith("_[k]")]
            if not user or any(f in MARKERS or f in UNNAMED for f in user):
                return False
            return not path or any(user[i:i + len(path)] == path for i in range(len(user)))
        print(f"{percent(sel, total, named):.2f}")
    elif q == "diff":
        other, other_total = select(read_folded(args.other), args)
        a, b = user_shares(sel, total), user_shares(other, other_total)
        worst, stack = 0.0, ""
        for k in set(a) | set(b):
            if max(a.get(k, 0), b.get(k, 0)) < args.min_share:
                continue
            d = abs(a.get(k, 0) - b.get(k, 0))
            if d >= worst:
                worst, stack = d, k
        print(f"{worst:.2f} {stack}")
    return 0


def user_shares(sel, total):
    """% of samples per user stack (comm;user frames), kernel frames and markers left out."""
    out = {}
    for comm, frames, c in sel:
        key = ";".join([comm] + [f for f in frames if not f.endswith("_[k]") and f not in MARKERS])
        out[key] = out.get(key, 0) + 100.0 * c / total
    return out


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Error as e:
        print(f"folded.py: {e}", file=sys.stderr)
        sys.exit(1)
