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

# Seed corpora, collected fresh on every run from the repository's own inputs (nothing is
# copied into tests/fuzz): configs for the three config loaders, manifests for the
# validator, and each target's regression inputs (they pass now; mutating them stays
# close to what once broke). Files are named after their path, so none collide.
add() {  # add DIR FILE...
  local dir=$1 f
  shift
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "$dir/$(echo "$f" | tr '/' '_')"
  done
  return 0
}
seed() {
  local target=$1 dir="$work/seed-$1"
  rm -rf "$dir" && mkdir -p "$dir"
  case "$target" in
    manifest)
      add "$dir" examples/helloworld/rendered/*.yaml tests/cli/testdata/render/*.yaml \
        tests/cli/testdata/validate/*.yaml tests/cli/testdata/crd/*.yaml \
        tests/chart/testdata/semantics.golden.yaml ;;
    rules_config)
      # Every YAML file with rules, as it is (the fuzzer needs the section alone, but
      # mutations of the whole file still reach it), and each file's rules as the section
      # itself: edge.yaml's direct_responses without its edge-only keys, with gateway.hosts.
      local files
      files=$(git ls-files 'examples/*.yaml' 'tests/*.yaml' |
        xargs grep -l -E 'direct_responses|rules:' 2>/dev/null || true)
      add "$dir" $files
      /usr/bin/python3 - "$dir" $files <<'PY' || true
import os, sys, yaml
for path in sys.argv[2:]:
    try:
        docs = list(yaml.safe_load_all(open(path)))
    except Exception:
        continue
    for n, doc in enumerate(docs):
        if not isinstance(doc, dict):
            continue
        section = doc.get("direct_responses")
        if not isinstance(section, dict) or not section.get("rules"):
            continue
        section = {k: v for k, v in section.items() if k not in ("enabled", "engine", "wasm")}
        gateway = doc.get("gateway")
        hosts = gateway.get("hosts") if isinstance(gateway, dict) else None
        if hosts and "hosts" not in section:
            section = {"hosts": hosts, **section}
        name = path.replace("/", "_").replace(".yaml", f"-direct-responses-{n}.yaml")
        with open(os.path.join(sys.argv[1], name), "w") as out:
            yaml.safe_dump(section, out, sort_keys=False)
PY
      ;;
    cel)
      # Every CEL rule of the CRDs `edgekit validate` loads (x-kubernetes-validations), one
      # file each, and the expressions of the evaluator's unit tests.
      /usr/bin/python3 - "$dir" ../shared/schemas/istio-crds.gen.yaml \
        ../shared/schemas/gateway-api-crds.v1.5.1-standard.yaml tests/cli/cel_test.cc <<'PY' || true
import os, re, sys, yaml
rules = []
def walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "x-kubernetes-validations" and isinstance(value, list):
                rules.extend(v["rule"] for v in value if isinstance(v, dict) and "rule" in v)
            walk(value)
    elif isinstance(node, list):
        for item in node:
            walk(item)
for path in sys.argv[2:4]:
    try:
        for doc in yaml.safe_load_all(open(path)):
            walk(doc)
    except Exception:
        continue
try:
    for line in open(sys.argv[4]):
        m = re.match(r'\s*\{"((?:[^"\\]|\\.)*)",', line)
        if m:
            rules.append(m.group(1).encode().decode("unicode_escape"))
except Exception:
    pass
for n, rule in enumerate(dict.fromkeys(rules)):
    with open(os.path.join(sys.argv[1], f"cel-rule-{n}.txt"), "w") as out:
        out.write(rule)
PY
      ;;
    check_request)
      # Valid serialized CheckRequests, written by the fuzzer itself (nothing binary is
      # kept in the repository).
      EDGEKIT_FUZZ_WRITE_SEEDS="$dir" "$bin/check_request_fuzzer" > /dev/null 2>&1 ||
        { echo "fuzz: check_request: cannot write its seeds to $dir" >&2; return 1; } ;;
    *)
      add "$dir" $(find examples tests/cli/testdata -name edge.yaml | sort) \
        tests/cli/testdata/direct_response/*.yaml \
        examples/helloworld/rendered/broker.yaml charts/istio-gateway-values/broker.yaml
      # The broker configs inside the chart's values files (broker.config).
      /usr/bin/python3 - "$dir" charts/edgekit-gateway/values.yaml tests/chart/testdata/*.yaml <<'PY' || true
import os, sys, yaml
for path in sys.argv[2:]:
    try:
        values = yaml.safe_load(open(path))
        config = values["broker"]["config"]
    except Exception:
        continue
    if isinstance(config, dict) and config:
        name = path.replace("/", "_").replace(".yaml", "-broker-config.yaml")
        with open(os.path.join(sys.argv[1], name), "w") as out:
            yaml.safe_dump(config, out, sort_keys=False)
PY
      ;;
  esac
  add "$dir" tests/fuzz/regressions/"$target"/*
}

# One target: its regressions, then SECONDS of fuzzing. Its report goes to
# $work-<target>.report (printed in target order once all are done); exit 1 on a finding.
fuzz_one() {
  local target=$1 fuzzer="$bin/${1}_fuzzer" report="$work-$1.report"
  {
    echo "== $target: regressions"
    local regressions=(tests/fuzz/regressions/"$target"/*)
    if [ -e "${regressions[0]}" ] &&
       ! "$fuzzer" -timeout=10 -rss_limit_mb=2048 "${regressions[@]}" \
         > "$work-$target-regressions.log" 2>&1; then
      tail -40 "$work-$target-regressions.log"
      echo "fuzz: $target: a regression input fails again"
      return 1
    fi
    seed "$target"
    local corpus="$work/corpus-$target"  # fresh each run: what this run found, nothing older
    rm -rf "$corpus" && mkdir -p "$corpus"
    echo "== $target: ${seconds}s"
    local dict=(-dict=tests/fuzz/yaml.dict)  # YAML tokens; a CheckRequest is binary protobuf
    if [ "$target" = check_request ]; then dict=(); fi
    if [ "$target" = cel ]; then dict=(-dict=tests/fuzz/cel.dict); fi
    if ! "$fuzzer" "$corpus" "$work/seed-$target" -max_total_time="$seconds" -timeout=10 \
         -rss_limit_mb=2048 -max_len=65536 "${dict[@]}" -print_final_stats=1 \
         -artifact_prefix="$artifacts/$target-" > "$work-$target.log" 2>&1; then
      tail -60 "$work-$target.log"
      echo "fuzz: $target: finding in $artifacts"
      return 1
    fi
    grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::new_units_added" \
      "$work-$target.log" | sed "s/^/  /"
    echo "  corpus: $(ls "$work/seed-$target" | wc -l) seeds, $(ls "$corpus" | wc -l) new inputs"
  } > "$report" 2>&1
}

failed=0
mkdir -p "$artifacts"
crds=$EDGEKIT_CRDS
targets=(yaml_proto edge_config manifest broker_config rules_config check_request cel)
for target in "${targets[@]}"; do
  [ -x "$bin/${target}_fuzzer" ] || { echo "fuzz: $bin/${target}_fuzzer not built" >&2; exit 1; }
done
if [ ! -f "$crds" ]; then
  echo "fuzz: manifest: no Istio CRDs at $crds (../shared/schemas next to the repository, or set EDGEKIT_CRDS)" >&2
  exit 1
fi
# One target per core at a time: each still fuzzes for SECONDS on a core of its own, and
# the run takes SECONDS x targets / cores instead of SECONDS x targets.
parallel=$(nproc)
pids=()
for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  fuzz_one "$target" &
  pids+=($!)
done
for i in "${!targets[@]}"; do
  if ! wait "${pids[$i]}"; then failed=1; fi
  cat "$work-${targets[$i]}.report" >&2
done
exit $failed
