#!/usr/bin/env bash
# README command (2): the whole test suite on a fresh Debian 12 / Ubuntu machine.
# Installs the Debian packages, checks the C++ is formatted (scripts/format.sh --check),
# builds Release (gcc) and runs every ctest label; then
# builds everything with clang, whose -Wthread-safety checks the lock annotations
# (ABSL_GUARDED_BY, ABSL_EXCLUSIVE_LOCKS_REQUIRED; warnings are errors in our code, see
# edgekit_warnings in CMakeLists.txt), and runs the unit tests there; then builds again
# with AddressSanitizer + UndefinedBehaviorSanitizer and runs the unit and integration
# tests there, failing on any sanitizer report; then builds the libFuzzer targets with
# clang and runs each for EDGEKIT_FUZZ_SECONDS (default 60), failing on any finding
# (tests/fuzz/run.sh).
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

phase "clang build (-Wthread-safety)"
# Every target, at -O0 without -g (no debugger looks at these objects): the cheapest
# build that still compiles all of our code. Its unit tests run too (half a minute).
CXX=clang++ cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0 \
  >/dev/null
cmake --build build-clang -j"$jobs"
phase "Tests (clang: unit)"
ctest --test-dir build-clang --output-on-failure -j"$jobs" -L unit

phase "ASan + UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DEDGEKIT_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
phase "Tests (ASan + UBSan: unit, integration)"
# halt_on_error makes any report fail the test; gRPC keeps process-wide state alive
# until exit, which LeakSanitizer would report as leaks that are not ours: see
# tests/sanitizer/lsan.supp.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0"
ctest --test-dir build-asan --output-on-failure -j"$jobs" -L 'unit|integration'

phase "Fuzzing (clang libFuzzer + ASan + UBSan, ${EDGEKIT_FUZZ_SECONDS:-60} s per target)"
CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGEKIT_FUZZ=ON \
  -DEDGEKIT_BUILD_TESTS=ON >/dev/null
cmake --build build-fuzz -j"$jobs" --target edgekit_fuzzers
tests/fuzz/run.sh "${EDGEKIT_FUZZ_SECONDS:-60}" build-fuzz
