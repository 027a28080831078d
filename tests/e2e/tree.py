#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reads the page's tree (/api/tree JSON) back into paths, independently of the page's code.

  tree.py count FILE PATH   samples at PATH ("app;main;work_a"; "" is the root)
  tree.py base  FILE PATH   the base profile's samples at PATH (a diff)
  tree.py check FILE        the layout is whole: every node's children fit inside it, counts
                            add up, every name index is valid; prints the number of nodes

Exits 1 with the reason on stderr when PATH is not in the tree or the layout is broken.
"""
import json
import sys


def load(path):
    d = json.load(open(path))
    stride, flat, names = d["stride"], d["nodes"], d["names"]
    if stride not in (4, 5) or len(flat) % stride:
        raise SystemExit("bad stride %r for %d numbers" % (stride, len(flat)))
    nodes = [flat[i:i + stride] for i in range(0, len(flat), stride)]
    paths, at = {}, [0]

    def walk(prefix):
        i = at[0]
        if i >= len(nodes):
            raise SystemExit("the tree ends inside a node's children")
        name, count, nkids, flags = nodes[i][:4]
        if not 0 <= name < len(names):
            raise SystemExit("name index %d out of range" % name)
        key = (prefix + ";" if prefix else "") + names[name] if i else ""
        paths[key] = nodes[i]
        at[0] += 1
        kids = 0
        for _ in range(nkids):
            kids += walk(key)
        if kids > count:
            raise SystemExit("%r: children hold %d samples, the node %d" % (key, kids, count))
        if not flags & 8 and i and kids > count:
            raise SystemExit("%r: counts do not add up" % key)
        return count

    walk("")
    if at[0] != len(nodes):
        raise SystemExit("%d nodes after the root's subtree" % (len(nodes) - at[0]))
    if nodes[0][1] != d["total"]:
        raise SystemExit("root %d != total %d" % (nodes[0][1], d["total"]))
    return d, paths


def main():
    what, path = sys.argv[1], sys.argv[2]
    d, paths = load(path)
    if what == "check":
        print(len(paths))
        return
    key = sys.argv[3]
    if key not in paths:
        raise SystemExit("no node at %r" % key)
    if what == "count":
        print(paths[key][1])
    elif what == "base":
        print(paths[key][4])
    else:
        raise SystemExit("unknown query " + what)


if __name__ == "__main__":
    main()
