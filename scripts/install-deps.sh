#!/usr/bin/env bash
# Installs edgekit's build and test dependencies from Debian 12 packages.
# Used by both README commands and by .ci/run, so a fresh machine and CI agree.
# Works as root or through sudo; installs only what is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev libprotoc-dev protobuf-compiler
  libabsl-dev libcli11-dev libyaml-cpp-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev libnghttp2-dev nghttp2-client
  clang libclang-rt-14-dev llvm clang-format
  libre2-dev libssl-dev prometheus curl nghttp2-server python3 python3-yaml openssl
  golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev python3-jsonschema
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
