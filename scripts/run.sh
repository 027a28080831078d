#!/bin/sh
# `make run`: profile the whole machine and serve the live flame graph page until Ctrl-C.
# PROFD_HTTP=ADDR:PORT picks another address (default 127.0.0.1:7070).
set -eu
cd "$(dirname "$0")/.."
listen=${PROFD_HTTP:-127.0.0.1:7070}
echo "profd: sampling every process; open http://$listen/ in a browser (Ctrl-C to stop)"
exec ./profd -a --http "$listen"
