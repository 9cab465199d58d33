#!/usr/bin/env python3
"""Render time and peak RSS of a composed gateway (`edgekit render -f platform.yaml`).

Generates platforms of 10..50 teams at 40 HTTP routes and 2 gRPC services per team
(50 teams: 2,000 routes, 100 services, each service its own proto file, backend and
destination; one direct-response rule per team), plus the same 2,000 routes and 100
services written as one edge.yaml without teams (the baseline: what composition itself
costs). Every round renders each case once, in a rotating order, and each render's wall
time and peak RSS come from wait4() of that process alone. Prints medians and the spread.

usage: compose_bench.py [--edgekit build/bin/edgekit] [--rounds 5] [--keep DIR]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROUTES_PER_TEAM = 40
SERVICES_PER_TEAM = 2


def proto(team, svc):
    pkg = f"t{team}.s{svc}.v1"
    methods = []
    messages = []
    for m in range(3):
        methods.append(
            f"  rpc Get{m}(Get{m}Request) returns (Thing{m}) {{\n"
            f"    option (google.api.http) = {{get: \"/t{team}/s{svc}/v1/things{m}/{{id}}\"}};\n  }}\n")
        messages.append(f"message Get{m}Request {{ string id = 1; }}\n"
                        f"message Thing{m} {{ string id = 1; string name = 2; int64 n = 3; "
                        f"repeated string tags = 4; }}\n")
    return (f'syntax = "proto3";\npackage {pkg};\nimport "google/api/annotations.proto";\n'
            f"service Api{svc} {{\n{''.join(methods)}}}\n{''.join(messages)}")


def team_routes(team, indent=""):
    lines = []
    for r in range(ROUTES_PER_TEAM):
        kind = r % 4
        if kind == 0:
            match = f"{{prefix: /t{team}/r{r}/}}"
        elif kind == 1:
            match = f"{{exact: /t{team}/r{r}, methods: [GET, POST]}}"
        elif kind == 2:
            match = f'{{regex: "/t{team}/r{r}/[0-9]+"}}'
        else:
            match = f"{{prefix: /t{team}/r{r}/, headers: {{x-tenant: {{exact: t{r}}}}}}}"
        lines.append(f"{indent}    - name: r{r}\n{indent}      match: {match}\n"
                     f"{indent}      destination: {{host: s{r}.team{team}.svc.cluster.local, port: 8080}}\n")
    return "".join(lines)


def write_case(root, teams, composed):
    os.makedirs(root, exist_ok=True)
    hosts = ", ".join(f"t{t}.example.com" for t in range(teams))
    head = (f"gateway:\n  namespace: istio-system\n  hosts: [api.example.com, {hosts}]\n"
            "routes:\n  default_destination: {host: web.web.svc.cluster.local, port: 80}\n")
    if composed:
        team_list = []
        for t in range(teams):
            d = os.path.join(root, "teams", f"team{t}")
            os.makedirs(d, exist_ok=True)
            os.makedirs(os.path.join(d, "protos", f"t{t}"), exist_ok=True)
            for s in range(SERVICES_PER_TEAM):
                with open(os.path.join(d, "protos", f"t{t}", f"s{s}.proto"), "w") as f:
                    f.write(proto(t, s))
            backends = "".join(
                f"    - proto_files: [t{t}/s{s}.proto]\n      include_paths: [protos]\n"
                f"      destination: {{host: grpc{s}.team{t}.svc.cluster.local, port: 9000}}\n"
                for s in range(SERVICES_PER_TEAM))
            with open(os.path.join(d, "edge.yaml"), "w") as f:
                f.write("routes:\n  http:\n" + team_routes(t) +
                        "transcoding:\n  backends:\n" + backends +
                        "direct_responses:\n  rules:\n    - name: blocked\n"
                        "      when: {header: {name: x-blocked, present: true}}\n"
                        "      respond: {status: 403}\n")
            team_list.append(
                f"  - name: team{t}\n    config: teams/team{t}/edge.yaml\n"
                f"    hosts: [t{t}.example.com, api.example.com]\n"
                f"    path_prefixes: [/t{t}/]\n    grpc_packages: [t{t}]\n")
        with open(os.path.join(root, "platform.yaml"), "w") as f:
            f.write(head + "teams:\n" + "".join(team_list))
        return os.path.join(root, "platform.yaml")
    # The same routes and services in one file: names made unique, hosts written out.
    routes = []
    backends = []
    for t in range(teams):
        routes.append(team_routes(t).replace("    - name: r", f"    - name: t{t}-r")
                      .replace("      match:", f"      hosts: [t{t}.example.com, api.example.com]\n      match:"))
        for s in range(SERVICES_PER_TEAM):
            with open(os.path.join(root, f"t{t}s{s}.proto"), "w") as f:
                f.write(proto(t, s))
            backends.append(f"    - proto_files: [t{t}s{s}.proto]\n"
                            f"      destination: {{host: grpc{s}.team{t}.svc.cluster.local, port: 9000}}\n")
    with open(os.path.join(root, "edge.yaml"), "w") as f:
        f.write(head.replace("routes:\n", "routes:\n  http:\n" + "".join(routes), 1)
                + "transcoding:\n  backends:\n" + "".join(backends))
    return os.path.join(root, "edge.yaml")


def render(edgekit, config, out):
    shutil.rmtree(out, ignore_errors=True)
    start = time.monotonic()
    proc = subprocess.Popen([edgekit, "render", "-f", config, "-o", out],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"render {config} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024.0  # KiB -> MiB


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edgekit", default="build/bin/edgekit")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", help="generate into this directory and keep it")
    args = parser.parse_args()
    root = args.keep or tempfile.mkdtemp(prefix="edgekit-compose-bench-")
    cases = [(f"{n} teams", n, True) for n in (10, 20, 30, 40, 50)]
    cases.append(("50 teams' routes in one edge.yaml", 50, False))
    configs = {}
    for name, teams, composed in cases:
        configs[name] = write_case(os.path.join(root, name.replace(" ", "_").replace("'", "")),
                                   teams, composed)
    results = {name: [] for name, _, _ in cases}
    for r in range(args.rounds):
        order = cases[r % len(cases):] + cases[:r % len(cases)]
        for name, _, _ in order:
            results[name].append(render(args.edgekit, configs[name], os.path.join(root, "out")))
    print(f"{'case':36} {'routes':>6} {'grpc':>5} {'wall s (median, min-max)':>26} {'peak RSS MiB':>13}")
    for name, teams, _ in cases:
        walls = [w for w, _ in results[name]]
        rss = [m for _, m in results[name]]
        print(f"{name:36} {teams * ROUTES_PER_TEAM:>6} {teams * SERVICES_PER_TEAM:>5} "
              f"{statistics.median(walls):>10.3f} ({min(walls):.3f}-{max(walls):.3f})      "
              f"{statistics.median(rss):>8.1f}")
    base = statistics.median(w for w, _ in results[cases[-1][0]])
    top = statistics.median(w for w, _ in results[cases[-2][0]])
    print(f"composition / one file (50 teams): {top / base:.2f}x wall time")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
