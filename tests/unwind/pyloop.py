# SPDX-License-Identifier: MIT
# A Python loop for the in-kernel walker: main -> mid -> leaf in the interpreter, so stacks go
# through CPython's eval loop, libc and the interpreter's start.
# Usage: python3 pyloop.py [SECONDS]   (default 3)
import sys, time
def leaf(n):
    s = 0
    for i in range(n):
        s += i * i
    return s
def mid(n):
    return leaf(n) + leaf(n // 2)
t = time.time()
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
while time.time() - t < seconds:
    mid(20000)
