#!/usr/bin/env bash
# Smoke benchmark of the "one extra hop" baseline: fake-authz alone vs behind
# naive-forwarder, closed loop, one JSON line per run on stdout (progress on stderr).
#   tests/bench/forwarder_smoke.sh [BUILD_DIR]
# Environment: DURATION (10s), CONCURRENCY ("1 32"), FAKE_ARGS (extra fake-authz flags).
set -euo pipefail

build_dir=${1:-build}
bin=$build_dir/bin
duration=${DURATION:-10s}
concurrency=${CONCURRENCY:-"1 32"}
fake_args=${FAKE_ARGS:-}

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME CMD...: runs CMD in the background and sets $addr from its
# "NAME listening on HOST:PORT" line. Not meant for $(...): the pid must reach `pids`.
start() {
  local name=$1; shift
  "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do
    addr=$(sed -n 's/.* listening on //p' "$tmp/$name.out" 2>/dev/null)
    if [[ -n $addr ]]; then return 0; fi
    sleep 0.1
  done
  echo "$name did not start:" >&2
  cat "$tmp/$name.err" >&2
  return 1
}

# shellcheck disable=SC2086
start fake-authz "$bin/fake-authz" --listen 127.0.0.1:0 $fake_args
fake=$addr
start naive-forwarder "$bin/naive-forwarder" --listen 127.0.0.1:0 --upstream "$fake"
forwarder=$addr
echo "fake-authz on $fake, naive-forwarder on $forwarder" >&2

for c in $concurrency; do
  for target in "direct=$fake" "forwarder=$forwarder"; do
    name=${target%%=*}
    addr=${target#*=}
    echo "closed loop, concurrency $c, $name ($addr), $duration" >&2
    json=$("$bin/edgekit-loadgen" --target "$addr" --concurrency "$c" \
      --duration "$duration" --warmup 1s --json)
    echo "{\"path\":\"$name\",${json#\{}"
  done
done

# Clean shutdown check: both must exit 0 on SIGTERM.
for pid in "${pids[@]}"; do
  kill -TERM "$pid"
  if ! wait "$pid"; then
    echo "process $pid did not exit cleanly" >&2
    exit 1
  fi
done
pids=()
