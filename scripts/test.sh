#!/usr/bin/env bash
# README command (2): the whole test suite on a fresh Debian 12 / Ubuntu machine.
# Installs the Debian packages, checks the C++ is formatted (scripts/format.sh --check),
# builds Release (gcc) and runs every ctest label; then builds everything once more with
# clang under AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer's coverage
# instrumentation. That one build serves three checks: clang's -Wthread-safety checks the
# lock annotations (ABSL_GUARDED_BY, ABSL_EXCLUSIVE_LOCKS_REQUIRED; warnings are errors in
# our code, see edgekit_warnings in CMakeLists.txt), the unit and integration tests run
# under the sanitizers (any report fails them), and the libFuzzer targets run for
# EDGEKIT_FUZZ_SECONDS each (default 45: seven targets two at a time fit in the 3 min
# that six took at 60 s), failing on any finding (tests/fuzz/run.sh).
# (Until 2026-12-06 these were three builds: clang -O0, gcc ASan, clang fuzz; one build
# does the same checks in 7.4 min instead of 12.5.)
set -euo pipefail
cd "$(dirname "$0")/.."

# Each phase's heading says when it starts, so a log shows where the time goes.
phase() { echo "== $* (at $((SECONDS / 60))m$((SECONDS % 60))s)"; }
trap 'phase done' EXIT

scripts/install-deps.sh
jobs=$(nproc)

phase "Format (.clang-format)"
scripts/format.sh --check

phase "Release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
phase "Tests (Release)"
ctest --test-dir build --output-on-failure -j"$jobs"

phase "clang build: ASan + UBSan + fuzzing coverage, -Wthread-safety"
# -O1: the sanitizers' recommended level (faster tests and fuzzing than -O0, stack traces
# still exact); line tables only, which is all a stack trace needs.
CXX=clang++ cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O1 \
  -DEDGEKIT_SANITIZE=ON -DEDGEKIT_FUZZ=ON >/dev/null
cmake --build build-sanitize -j"$jobs"
phase "Tests (clang, ASan + UBSan: unit, integration)"
# halt_on_error makes any report fail the test; gRPC keeps process-wide state alive
# until exit, which LeakSanitizer would report as leaks that are not ours: see
# tests/sanitizer/lsan.supp.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0"
ctest --test-dir build-sanitize --output-on-failure -j"$jobs" -L 'unit|integration'

phase "Fuzzing (libFuzzer + ASan + UBSan, ${EDGEKIT_FUZZ_SECONDS:-45} s per target)"
tests/fuzz/run.sh "${EDGEKIT_FUZZ_SECONDS:-45}" build-sanitize
