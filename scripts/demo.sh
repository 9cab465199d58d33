#!/usr/bin/env bash
# README command (1): the local demo. Installs what is missing, builds what the demo
# needs, then runs fake-authz with a latency tail behind no broker, a broker without
# hedging and a broker with hedging, and prints p50/p99/p99.9 and the extra upstream
# load side by side. Everything it starts is stopped when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
echo "building (first time: a few minutes on 2 cores) ..."
cmake --build build -j"$(nproc)" --target edgekit-broker fake-authz fake-authz-ctl \
  edgekit-loadgen naive-forwarder >/dev/null
exec /usr/bin/python3 tests/bench/bench.py demo
