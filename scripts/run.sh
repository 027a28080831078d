#!/bin/sh
# `make run`: profile the whole machine for 10 seconds and write profile.svg.
set -eu
cd "$(dirname "$0")/.."
echo "profd: sampling every process for 10 s..."
./profd -a -d 10 -o profile.svg
echo "profd: wrote $(pwd)/profile.svg (open it in a browser)"
