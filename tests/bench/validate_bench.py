#!/usr/bin/env python3
"""Time of `edgekit validate` on Istio's and Gateway API's CRDs plus 1,000 objects.

Generates 1,000 objects a platform's CI would check: VirtualServices with timeouts and
header matches, DestinationRules, ServiceEntries with ports, AuthorizationPolicies,
RequestAuthentications, Gateway API HTTPRoutes with path matches, and EnvoyFilters, in
one file; all valid, so every CEL rule on them runs to true. Three cases, each round
running each once in a rotating order (these machines are shared and noisy: compare the
cases of one run, not runs):
  cel       the real CRDs: OpenAPI check + every CEL rule (what `validate` does)
  no-cel    the same CRDs with x-kubernetes-validations removed (the OpenAPI check alone)
  load      the real CRDs and one object (the cost of loading and compiling the CRDs)
Prints the median wall time and the spread per case, and the CEL evaluations counted.

usage: validate_bench.py [--edgekit build/bin/edgekit] [--rounds 7] [--objects 1000]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SCHEMAS = os.path.normpath(os.path.join(ROOT, "..", "shared", "schemas"))
CRD_FILES = ["istio-crds.gen.yaml", "gateway-api-crds.v1.5.1-standard.yaml"]


def objects(n):
    kinds = [virtual_service, destination_rule, service_entry, authorization_policy,
             request_authentication, http_route, envoy_filter]
    return "---\n".join(kinds[i % len(kinds)](i) for i in range(n))


def virtual_service(i):
    return f"""apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs-{i}, namespace: team-{i % 5}}}
spec:
  hosts: [svc-{i}.example.com]
  gateways: [istio-ingress/edge]
  http:
  - name: api
    match:
    - uri: {{prefix: /api/{i}/}}
      headers: {{x-tenant: {{exact: t{i}}}}}
    route:
    - destination: {{host: svc-{i}.team-{i % 5}.svc.cluster.local, port: {{number: 8080}}}}
    timeout: 2s
    retries: {{attempts: 2, perTryTimeout: 500ms}}
  - route:
    - destination: {{host: svc-{i}.team-{i % 5}.svc.cluster.local}}
"""


def destination_rule(i):
    return f"""apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: dr-{i}, namespace: team-{i % 5}}}
spec:
  host: svc-{i}.team-{i % 5}.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp: {{maxConnections: 100, connectTimeout: 3s}}
      http: {{idleTimeout: 60s}}
    outlierDetection: {{consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s}}
"""


def service_entry(i):
    return f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: se-{i}, namespace: istio-ingress}}
spec:
  hosts: [ext-{i}.internal.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - {{number: 443, name: https, protocol: TLS}}
  - {{number: 9000, name: grpc, protocol: GRPC}}
"""


def authorization_policy(i):
    return f"""apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {{name: ap-{i}, namespace: istio-ingress}}
spec:
  selector: {{matchLabels: {{istio: ingressgateway}}}}
  action: CUSTOM
  provider: {{name: edgekit-broker}}
  rules:
  - to:
    - operation: {{paths: [/api/{i}/*], methods: [GET, POST]}}
"""


def request_authentication(i):
    return f"""apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {{name: ra-{i}, namespace: istio-ingress}}
spec:
  selector: {{matchLabels: {{istio: ingressgateway}}}}
  jwtRules:
  - issuer: https://issuer-{i}.example.com
    jwksUri: https://issuer-{i}.example.com/keys
"""


def http_route(i):
    return f"""apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {{name: route-{i}, namespace: team-{i % 5}}}
spec:
  parentRefs: [{{name: edge, namespace: istio-ingress}}]
  hostnames: [svc-{i}.example.com]
  rules:
  - matches:
    - path: {{type: PathPrefix, value: /api/{i}}}
      headers: [{{name: x-tenant, value: t{i}}}]
    backendRefs: [{{name: svc-{i}, port: 8080}}]
  - matches:
    - path: {{type: Exact, value: /health}}
    backendRefs: [{{name: svc-{i}, port: 8080}}]
"""


def envoy_filter(i):
    return f"""apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {{name: ef-{i}, namespace: istio-ingress}}
spec:
  workloadSelector: {{labels: {{istio: ingressgateway}}}}
  configPatches:
  - applyTo: HTTP_FILTER
    match:
      context: GATEWAY
      listener: {{filterChain: {{filter: {{name: envoy.filters.network.http_connection_manager}}}}}}
    patch:
      operation: INSERT_BEFORE
      value: {{name: envoy.filters.http.compressor.{i}}}
"""


def strip_cel(node):
    if isinstance(node, dict):
        node.pop("x-kubernetes-validations", None)
        for v in node.values():
            strip_cel(v)
    elif isinstance(node, list):
        for v in node:
            strip_cel(v)


def run(edgekit, crds, manifest):
    args = [edgekit, "validate", "--allow-unknown-groups"]
    for c in crds:
        args += ["--crds", c]
    start = time.perf_counter()
    p = subprocess.run(args + [manifest], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"validate failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return elapsed, p.stderr.strip().splitlines()[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--edgekit", default=os.path.join(ROOT, "build", "bin", "edgekit"))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--objects", type=int, default=1000)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="validate-bench-")
    real = [os.path.join(SCHEMAS, f) for f in CRD_FILES]
    stripped = []
    for f in CRD_FILES:
        docs = list(yaml.safe_load_all(open(os.path.join(SCHEMAS, f))))
        strip_cel(docs)
        out = os.path.join(work, "no-cel-" + f)
        with open(out, "w") as w:
            yaml.safe_dump_all(docs, w)
        stripped.append(out)
    manifest = os.path.join(work, "objects.yaml")
    with open(manifest, "w") as w:
        w.write(objects(a.objects))
    one = os.path.join(work, "one.yaml")
    with open(one, "w") as w:
        w.write(objects(1))
    cases = {"cel": (real, manifest), "no-cel": (stripped, manifest), "load": (real, one)}
    times = {k: [] for k in cases}
    summary = {}
    names = list(cases)
    for r in range(a.rounds):
        for k in names[r % len(names):] + names[:r % len(names)]:
            t, last = run(a.edgekit, *cases[k])
            times[k].append(t)
            summary[k] = last
    print(f"edgekit validate, {a.objects} objects, {a.rounds} interleaved rounds (median, min-max):")
    for k in names:
        ts = sorted(times[k])
        print(f"  {k:7s} {statistics.median(ts) * 1000:8.0f} ms  ({ts[0] * 1000:.0f}-{ts[-1] * 1000:.0f})"
              f"   {summary[k]}")
    cel, no_cel, load = (statistics.median(times[k]) for k in names)
    evals = re.search(r"(\d+) CEL rule evaluations", summary["cel"])
    print(f"  with CEL / without: {cel / no_cel:.2f}x; the objects after loading: "
          f"{(cel - load) * 1000:.0f} ms ({(cel - load) / a.objects * 1e6:.0f} us per object)")
    if evals:
        n = int(evals.group(1))
        # The difference also holds compiling the rules at load: an upper bound.
        print(f"  {n} CEL evaluations: at most {(cel - no_cel) / n * 1e6:.1f} us each")


if __name__ == "__main__":
    main()
