#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz for SECONDS each (default 60), after
# replaying its regression inputs (tests/fuzz/regressions/<target>/: inputs that once
# hung, exploded or crashed; each must now pass). Fails on any finding.
#   tests/fuzz/run.sh [SECONDS] [BUILD_DIR]   (BUILD_DIR default: build-fuzz)
# Build first:
#   CXX=clang++ cmake -S . -B build-fuzz -DEDGEKIT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build build-fuzz --target edgekit_fuzzers
# Findings land in BUILD_DIR/fuzz/artifacts/<target>-crash-* (or -timeout-, -oom-, -leak-);
# reproduce with BUILD_DIR/fuzz/<target> FILE, and once fixed copy FILE to
# tests/fuzz/regressions/<target>/ so it stays found.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
build=${2:-build-fuzz}
bin="$build/fuzz"
work="$build/fuzz/work"
artifacts="$build/fuzz/artifacts"
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export EDGEKIT_CRDS="${EDGEKIT_CRDS:-$PWD/../shared/schemas/istio-crds.gen.yaml}"
export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0"

# Seed corpora from the repository's own inputs: configs for the config loaders,
# manifests for the validator.
seed() {
  local target=$1 dir="$work/seed-$1"
  rm -rf "$dir" && mkdir -p "$dir"
  case "$target" in
    manifest)
      cp examples/helloworld/rendered/*.yaml tests/cli/testdata/render/*.yaml \
         tests/cli/testdata/validate/*.yaml tests/cli/testdata/crd/*.yaml "$dir"/ ;;
    *)
      cp examples/edge/edge.yaml "$dir"/examples-edge.yaml
      cp examples/helloworld/edge.yaml "$dir"/helloworld-edge.yaml
      cp examples/helloworld/rendered/broker.yaml "$dir"/helloworld-broker.yaml
      cp charts/istio-gateway-values/broker.yaml "$dir"/chart-broker.yaml
      for f in tests/cli/testdata/direct_response/*.yaml; do
        cp "$f" "$dir/direct-response-$(basename "$f")"
      done
      cp tests/cli/testdata/transcoding/edge.yaml "$dir"/transcoding-edge.yaml ;;
  esac
}

failed=0
mkdir -p "$artifacts"
crds=$EDGEKIT_CRDS
for target in yaml_proto edge_config manifest broker_config; do
  if [ "$target" = manifest ] && [ ! -f "$crds" ]; then
    echo "== manifest: skipped: no Istio CRDs at $crds (set EDGEKIT_CRDS)" >&2
    continue
  fi
  fuzzer="$bin/${target}_fuzzer"
  [ -x "$fuzzer" ] || { echo "fuzz: $fuzzer not built" >&2; exit 1; }
  echo "== $target: regressions"
  if ! "$fuzzer" -timeout=10 -rss_limit_mb=2048 tests/fuzz/regressions/"$target"/* \
       > "$work-$target-regressions.log" 2>&1; then
    tail -40 "$work-$target-regressions.log" >&2
    echo "fuzz: $target: a regression input fails again" >&2
    failed=1
    continue
  fi
  seed "$target"
  corpus="$work/corpus-$target"
  mkdir -p "$corpus"
  echo "== $target: ${seconds}s"
  if ! "$fuzzer" "$corpus" "$work/seed-$target" -max_total_time="$seconds" -timeout=10 \
       -rss_limit_mb=2048 -max_len=65536 -dict=tests/fuzz/yaml.dict -print_final_stats=1 \
       -artifact_prefix="$artifacts/$target-" > "$work-$target.log" 2>&1; then
    tail -60 "$work-$target.log" >&2
    echo "fuzz: $target: finding in $artifacts" >&2
    failed=1
    continue
  fi
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added" \
    "$work-$target.log" | sed "s/^/  /"
  echo "  corpus: $(ls "$corpus" | wc -l) inputs"
done
exit $failed
