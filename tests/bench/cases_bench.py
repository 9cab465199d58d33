#!/usr/bin/env python3
"""What `edgekit test` costs on a large composed gateway, against the render it starts with.

Generates compose_bench.py's 50-team platform (2,000 HTTP routes, 100 gRPC services with
3 bindings each, one direct-response rule per team) and gives every team a case file:
one case per route (its destination), one per gRPC binding (the method and the
destination) and one for its rule (the direct answer), 2,350 cases in all, listed under
teams[].cases. Each round runs `edgekit render -f platform.yaml -o DIR` and `edgekit test
-f platform.yaml` in alternating order; wall time and peak RSS come from wait4() of each
process alone. test's extra time over render is what checking the cases costs.

usage: cases_bench.py [--edgekit build/bin/edgekit] [--rounds 5] [--teams 50]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compose_bench  # noqa: E402


def team_cases(team):
    cases = []
    for r in range(compose_bench.ROUTES_PER_TEAM):
        kind = r % 4
        host = f"t{team}.example.com"
        if kind == 0:
            req = f"{{host: {host}, path: /t{team}/r{r}/x}}"
        elif kind == 1:
            req = f"{{method: POST, host: {host}, path: /t{team}/r{r}}}"
        elif kind == 2:
            req = f"{{host: {host}, path: /t{team}/r{r}/42}}"
        else:
            req = f"{{host: {host}, path: /t{team}/r{r}/x, headers: {{x-tenant: t{r}}}}}"
        cases.append(f"- name: route r{r}\n  request: {req}\n"
                     f"  expect: {{route: {{destination: s{r}.team{team}.svc.cluster.local:8080,"
                     f" name: team{team}.r{r}}}}}\n")
    for s in range(compose_bench.SERVICES_PER_TEAM):
        for m in range(3):
            cases.append(
                f"- name: grpc s{s} Get{m}\n"
                f"  request: {{host: api.example.com, path: /t{team}/s{s}/v1/things{m}/7}}\n"
                f"  expect: {{grpc_method: t{team}.s{s}.v1.Api{s}/Get{m},"
                f" route: {{destination: grpc{s}.team{team}.svc.cluster.local:9000}}}}\n")
    cases.append(f"- name: blocked\n  request: {{host: t{team}.example.com, path: /t{team}/r0/x,"
                 f" headers: {{x-blocked: yes}}}}\n  expect: {{direct: {{status: 403}}}}\n")
    return "".join(cases), len(cases)


def write(root, teams):
    platform = compose_bench.write_case(root, teams, composed=True)
    text = open(platform).read()
    total = 0
    for t in range(teams):
        cases, n = team_cases(t)
        total += n
        with open(os.path.join(root, "teams", f"team{t}", "cases.yaml"), "w") as f:
            f.write(cases)
        entry = f"    config: teams/team{t}/edge.yaml\n"
        text = text.replace(entry, entry + f"    cases: [teams/team{t}/cases.yaml]\n", 1)
    with open(platform, "w") as f:
        f.write(text)
    return platform, total


def run(args):
    """The first, untimed run: every case must pass, or the timings mean nothing."""
    proc = subprocess.run(args, capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def timed(args):
    start = time.monotonic()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(args)} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edgekit", default="build/bin/edgekit")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--teams", type=int, default=50)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="edgekit-cases-bench-")
    try:
        platform, total = write(root, args.teams)
        code, out, err = run([args.edgekit, "test", "-f", platform])
        if code != 0:
            sys.exit(f"edgekit test failed (exit {code}):\n{out[-3000:]}{err[-2000:]}")
        print(out.strip().splitlines()[-1])
        render = [args.edgekit, "render", "-f", platform, "-o", os.path.join(root, "out")]
        test = [args.edgekit, "test", "-f", platform]
        results = {"render": [], "test": []}
        for r in range(args.rounds):
            order = ["render", "test"] if r % 2 == 0 else ["test", "render"]
            for name in order:
                shutil.rmtree(os.path.join(root, "out"), ignore_errors=True)
                results[name].append(timed(render if name == "render" else test))
        print(f"{'command':8} {'wall s (median, min-max)':>26} {'peak RSS MiB':>13}")
        for name in ("render", "test"):
            walls = [w for w, _ in results[name]]
            rss = [m for _, m in results[name]]
            print(f"{name:8} {statistics.median(walls):>10.3f} ({min(walls):.3f}-{max(walls):.3f})"
                  f"      {statistics.median(rss):>8.1f}")
        extra = statistics.median(w for w, _ in results["test"]) - statistics.median(
            w for w, _ in results["render"])
        print(f"{total} cases over {args.teams} teams: test / render "
              f"{statistics.median(w for w, _ in results['test']) / statistics.median(w for w, _ in results['render']):.2f}x, "
              f"{extra * 1e6 / total:.0f} us per case")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
