#!/usr/bin/python3
"""Runs examples/ci/check-edge.sh the way a CI job does.

  check_edge_test.py --script check-edge.sh --bin DIR --crds FILE --edge edge.yaml
                     --broken broken-edge.yaml

Fails when the CRD file is absent: the tests need ../shared/schemas next to the
repository (where CI has it), and a missing file must not pass as a skip.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile


def run(script, args, env):
    p = subprocess.run(["/bin/bash", script] + args, capture_output=True, text=True,
                       env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    ap = argparse.ArgumentParser()
    for a in ("--script", "--bin", "--crds", "--edge", "--broken"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()
    if not os.path.isfile(args.crds):
        print(f"FAIL: no CRD file at {args.crds} (../shared/schemas next to the repository)",
              file=sys.stderr)
        return 1
    edgekit = os.path.join(args.bin, "edgekit")
    if not os.access(edgekit, os.X_OK):
        print(f"FAIL: {edgekit} was not built", file=sys.stderr)
        return 1

    base = {k: v for k, v in os.environ.items() if k not in ("EDGEKIT", "EDGEKIT_CRDS",
                                                             "GITHUB_ACTIONS",
                                                             "GITHUB_STEP_SUMMARY")}
    base["PATH"] = "/usr/bin:/bin"  # no edgekit on it unless a case adds the bin dir
    failures = []

    def expect(cond, what, rc, out, err):
        if not cond:
            failures.append(f"{what}\n  exit {rc}\n  stdout: {out.strip()}\n"
                            f"  stderr: {err.strip()}")

    with tempfile.TemporaryDirectory(prefix="check-edge-") as tmp:
        # 1. The example, edgekit found on PATH: succeeds, writes and lists its files.
        out = os.path.join(tmp, "good")
        env = dict(base, PATH=f"{args.bin}:{base['PATH']}", EDGEKIT_CRDS=args.crds)
        rc, so, se = run(args.script, [args.edge, out], env)
        expect(rc == 0, "example edge.yaml: want exit 0", rc, so, se)
        written = sorted(os.listdir(out)) if os.path.isdir(out) else []
        for want in ("gzip.yaml", "ext-authz.yaml"):
            expect(want in written, f"example edge.yaml: {want} not written ({written})",
                   rc, so, se)
        for f in written:
            path = os.path.join(out, f)
            expect(os.path.getsize(path) > 0, f"{f} is empty", rc, so, se)
            expect(path in so, f"{f} is not in the script's list of what it produced",
                   rc, so, se)
        expect(re.search(r"gzip\.yaml\s+object\s+EnvoyFilter", so) is not None,
               "gzip.yaml not reported as a validated object", rc, so, se)
        expect(re.search(r"broker\.yaml\s+config\s", so) is not None,
               "broker.yaml not reported as a config (not a Kubernetes object)", rc, so, se)
        expect("documents checked, 0 errors" in se or "document checked, 0 errors" in se,
               "edgekit validate did not run on the objects", rc, so, se)

        # 2. The same again into the now non-empty directory: refused.
        rc, so, se = run(args.script, [args.edge, out], env)
        expect(rc != 0 and "is not empty" in se, "non-empty OUT_DIR: want refusal",
               rc, so, se)

        # 3. A broken edge.yaml, edgekit given by $EDGEKIT: fails, names the key path.
        env = dict(base, EDGEKIT=edgekit, EDGEKIT_CRDS=args.crds)
        rc, so, se = run(args.script, [args.broken, os.path.join(tmp, "broken")], env)
        expect(rc != 0, "broken edge.yaml: want a non-zero exit", rc, so, se)
        expect("gzip.chunk_sise" in se, "broken edge.yaml: error does not name the key "
               "path gzip.chunk_sise", rc, so, se)
        expect("FAILED: edgekit render rejected" in se,
               "broken edge.yaml: no clear FAILED line", rc, so, se)

        # 4. Rendered objects that fail validation fail the job: CRDs without EnvoyFilter.
        with open(args.crds) as f:
            docs = re.split(r"(?m)^---[ \t]*$", f.read())
        kept = [d for d in docs if not re.search(r"(?m)^\s+kind: EnvoyFilter\s*$", d)]
        if len(kept) == len(docs):
            failures.append(f"{args.crds} has no EnvoyFilter CRD to leave out")
        partial = os.path.join(tmp, "crds-without-envoyfilter.yaml")
        with open(partial, "w") as f:
            f.write("---".join(kept))
        env = dict(base, EDGEKIT=edgekit, EDGEKIT_CRDS=partial)
        rc, so, se = run(args.script, [args.edge, os.path.join(tmp, "invalid")], env)
        expect(rc != 0 and "FAILED: edgekit validate" in se and "EnvoyFilter" in se,
               "objects the CRDs do not accept: want a validate failure", rc, so, se)

        # 5. A transcoder descriptor over 256 KiB: transcoding.yaml holds its ConfigMap (a
        #    core object no CRD describes, which edgekit validate checks itself) and the
        #    EnvoyFilter, both validated in full.
        big = os.path.join(tmp, "big")
        os.makedirs(big)
        proto = ['syntax = "proto3";', "package big.v1;", 'import "google/api/annotations.proto";',
                 'service Big { rpc Get(M0) returns (M0) { option (google.api.http) = '
                 '{get: "/v1/big"}; } }']
        for m in range(120):
            fields = [f"  string a_rather_long_field_name_number_{i} = {i};" for i in range(1, 61)]
            if m == 0:
                fields += [f"  M{k} m{k} = {100 + k};" for k in range(1, 120)]
            proto.append(f"message M{m} {{\n" + "\n".join(fields) + "\n}")
        with open(os.path.join(big, "big.proto"), "w") as f:
            f.write("\n".join(proto) + "\n")
        with open(os.path.join(big, "edge.yaml"), "w") as f:
            f.write("transcoding:\n  proto_files: [big.proto]\n"
                    "  destination: {host: big.big.svc.cluster.local, port: 9000}\n")
        env = dict(base, EDGEKIT=edgekit, EDGEKIT_CRDS=args.crds)
        rc, so, se = run(args.script, [os.path.join(big, "edge.yaml"), os.path.join(tmp, "bigout")],
                         env)
        expect(rc == 0, "a descriptor in a ConfigMap: want exit 0", rc, so, se)
        expect(re.search(r"transcoding\.yaml\s+object\s+ConfigMap,EnvoyFilter", so) is not None,
               "transcoding.yaml with its ConfigMap not reported as such", rc, so, se)
        expect("no CRD schema" not in se and "0 errors, 0 warnings" in se,
               "the ConfigMap file was not validated in full", rc, so, se)

        # 6. Setup mistakes get a clear message, not a bash error.
        env = dict(base, EDGEKIT_CRDS=args.crds)
        rc, so, se = run(args.script, [args.edge, os.path.join(tmp, "nopath")], env)
        expect(rc != 0 and "edgekit is not on PATH" in se, "no edgekit: want a message",
               rc, so, se)
        env = dict(base, EDGEKIT=edgekit)
        rc, so, se = run(args.script, [args.edge, os.path.join(tmp, "nocrds")], env)
        expect(rc != 0 and "EDGEKIT_CRDS is not set" in se,
               "no EDGEKIT_CRDS: want a message", rc, so, se)
        env = dict(base, EDGEKIT=edgekit, EDGEKIT_CRDS=args.crds)
        rc, so, se = run(args.script, [os.path.join(tmp, "missing.yaml"),
                                       os.path.join(tmp, "x")], env)
        expect(rc != 0 and "no such file" in se, "missing edge.yaml: want a message",
               rc, so, se)

    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    if failures:
        return 1
    print("ok: check-edge.sh renders and validates the example, and fails on a broken "
          "edge.yaml, invalid objects and setup mistakes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
