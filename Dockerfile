# syntax=docker/dockerfile:1
# edgekit container image: edgekit-broker (the entrypoint, a sidecar in the Istio ingress
# gateway pod) and the edgekit CLI (for CI: `docker run --entrypoint edgekit ...`).
#
#   docker build -t edgekit:0.1.0 .
#
# tests/packaging/dockerfile_test.py checks this file without a Docker engine: the
# runtime apt list must cover every shared library the built binaries load (ldd +
# dpkg -S), the builder must use scripts/install-deps.sh, USER must be numeric non-root.

# ---- builder: the same Debian 12 packages as a developer machine and CI --------------
FROM debian:12 AS build
WORKDIR /src
# Dependencies first, so source edits do not reinstall them.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DEDGEKIT_BUILD_TESTS=OFF \
 && cmake --build /build -j"$(nproc)" --target edgekit-broker edgekit \
 && /build/bin/edgekit-broker --version \
 && /build/bin/edgekit version
# The CLI reads the protobuf well-known types (google/protobuf/*.proto) at run time from
# the include directory it was built against (/usr/include, cli/CMakeLists.txt
# EDGEKIT_PROTOBUF_INCLUDE_DIR). Only libprotobuf-dev ships them, with 12 MB of headers
# and static libraries; take just the .proto files (about 120 KB).
RUN mkdir -p /out/include \
 && cd /usr/include \
 && find google/protobuf -name '*.proto' -exec cp --parents {} /out/include/ \;

# ---- runtime: shared libraries only -----------------------------------------------------
FROM debian:12-slim
# One package per shared library the binaries load, found with
# `ldd build/bin/edgekit-broker build/bin/edgekit` and `dpkg -S` on each library.
# libc6, libgcc-s1 and libstdc++6 are in every Debian 12 image already. libprotoc32:
# the Release binaries do not load it but the sanitizer build's do; installed either way.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libabsl20220623 \
      libc-ares2 \
      libgrpc++1.51 \
      libgrpc29 \
      libprometheus-cpp-core1.0 \
      libprotobuf32 \
      libprotoc32 \
      libre2-9 \
      libssl3 \
      libyaml-cpp0.7 \
      zlib1g \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/include/google/protobuf/ /usr/include/google/protobuf/
COPY --from=build /build/bin/edgekit-broker /build/bin/edgekit /usr/local/bin/
# Numeric, so Kubernetes runAsNonRoot can verify it without an /etc/passwd entry.
USER 65532:65532
# 9191: ext_authz Check service (the broker listens on 127.0.0.1 by default: Envoy in
# the same pod calls it). 9464: /metrics, /healthz, /readyz.
EXPOSE 9191 9464
ENTRYPOINT ["edgekit-broker"]
