#!/usr/bin/env bash
# check-edge.sh EDGE_YAML OUT_DIR
#
# The CI step for an edge.yaml: render it with `edgekit render`, then check every
# rendered Kubernetes object against the cluster's CRD schemas with `edgekit validate`.
# Exits non-zero, with the reason on stderr, if either step fails; the job fails with it.
#
# Environment:
#   EDGEKIT       the edgekit binary (default: `edgekit` on PATH)
#   EDGEKIT_CRDS  YAML file of the target cluster's CustomResourceDefinitions, e.g.
#                 `kubectl get crd -o yaml > istio-crds.yaml` (required)
#
# OUT_DIR must be missing or empty: a file left from an earlier render (a feature since
# removed from edge.yaml) would otherwise be validated and shipped as if it were current.
#
# Not every rendered file is a Kubernetes object; each one is sorted by its content:
#   object     top-level apiVersion and kind: checked with `edgekit validate`
#   overlay    kind IstioOperator (input to `istioctl install -f`, not applied to the
#              cluster): checked only if EDGEKIT_CRDS defines IstioOperator
#   config     no apiVersion/kind (istiod Helm values, the broker's --config file):
#              written by edgekit from the validated edge.yaml, not checked against CRDs
# ConfigMaps (the transcoder's descriptor set when it is over 256 KiB, a Gateway API
# Gateway's parameters) are core objects no CRD describes: `edgekit validate` checks them
# itself, so every object file is validated in full.
set -euo pipefail

prog=check-edge

fail() {  # fail EXIT_CODE MESSAGE
  local rc=$1
  shift
  echo "$prog: FAILED: $*" >&2
  if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
    echo "::error title=$prog::$*"
  fi
  exit "$rc"
}

if [ $# -ne 2 ]; then
  echo "usage: $prog EDGE_YAML OUT_DIR  (env: EDGEKIT, EDGEKIT_CRDS)" >&2
  exit 2
fi
edge=$1
out=$2

if [ -n "${EDGEKIT:-}" ]; then
  edgekit=$EDGEKIT
  [ -x "$edgekit" ] || fail 2 "EDGEKIT=$edgekit is not an executable file"
else
  edgekit=$(command -v edgekit) ||
    fail 2 "edgekit is not on PATH; put it there or set EDGEKIT=/path/to/edgekit"
fi
[ -n "${EDGEKIT_CRDS:-}" ] ||
  fail 2 "EDGEKIT_CRDS is not set; point it at the target cluster's CRDs (kubectl get crd -o yaml > crds.yaml)"
[ -f "$EDGEKIT_CRDS" ] || fail 2 "EDGEKIT_CRDS=$EDGEKIT_CRDS: no such file"
[ -f "$edge" ] || fail 2 "$edge: no such file"
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ]; then
  fail 2 "output directory $out is not empty; remove it or give a new one (stale files would be validated and shipped)"
fi

echo "$prog: $("$edgekit" version) rendering $edge into $out"
rc=0
"$edgekit" render -f "$edge" -o "$out" || rc=$?
if [ "$rc" -ne 0 ]; then
  fail "$rc" "edgekit render rejected $edge (exit $rc); the error above names the file, line and key path"
fi

shopt -s nullglob
files=("$out"/*.yaml)
[ ${#files[@]} -gt 0 ] || fail 1 "edgekit render wrote no files into $out (is every feature off?)"

objects=()
declare -A status
crds_have_istiooperator=false
if grep -Eq '^[[:space:]]+kind:[[:space:]]+IstioOperator[[:space:]]*$' "$EDGEKIT_CRDS"; then
  crds_have_istiooperator=true
fi
for f in "${files[@]}"; do
  kinds=$(grep -E '^kind:' "$f" | awk '{print $2}' | sort -u | paste -sd, -) || true
  if [ -z "$kinds" ] || ! grep -Eq '^apiVersion:' "$f"; then
    status[$f]="config     not a Kubernetes object; not checked against CRDs"
  elif [ "$kinds" = "IstioOperator" ] && [ "$crds_have_istiooperator" = false ]; then
    status[$f]="overlay    $kinds for istioctl; not checked ($EDGEKIT_CRDS has no IstioOperator CRD)"
  else
    objects+=("$f")
    status[$f]="object     $kinds"
  fi
done

if [ ${#objects[@]} -gt 0 ]; then
  echo "$prog: validating ${#objects[@]} file(s) of Kubernetes objects against $EDGEKIT_CRDS"
  rc=0
  "$edgekit" validate --crds "$EDGEKIT_CRDS" "${objects[@]}" || rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "$rc" "edgekit validate found invalid objects in the rendered manifests (exit $rc; findings above as FILE:LINE:COL: document N: error: PATH: MESSAGE [CODE])"
  fi
fi
if [ ${#objects[@]} -eq 0 ]; then
  echo "$prog: no Kubernetes objects rendered; nothing to validate"
fi

echo "$prog: OK, $edge produced:"
summary=""
for f in "${files[@]}"; do
  line=$(printf '  %-40s %s' "$f" "${status[$f]}")
  echo "$line"
  summary+="$line"$'\n'
done
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    echo "### edgekit: $edge"
    echo '```'
    printf '%s' "$summary"
    echo '```'
  } >>"$GITHUB_STEP_SUMMARY"
fi
