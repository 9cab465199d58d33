#!/usr/bin/python3
"""Runs edgekit's benchmark scenarios and the README demo; prints numbers side by side.

Every scenario starts its own processes on free loopback ports (fake-authz, brokers,
the naive forwarder), drives them with edgekit-loadgen, reads the upstream's counters
through fake-authz-ctl and the broker's /metrics, and stops everything it started.
Numbers are compared within one run (this machine is shared and noisy): ratios mean
something, absolute times less so.

  bench.py demo      the README demo: tail model, direct vs broker vs broker hedging
  bench.py tail      the same at the issue's full length (500 req/s for 20 s each)
  bench.py regime    the upstream's base latency jumps 1 ms -> 5 ms mid-run
  bench.py overhead  added p50 at concurrency 1, peak QPS at 64 in flight, broker RSS
  bench.py all       tail + regime + overhead
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "bin")
TAIL_MODEL = ["--latency-median", "1ms", "--latency-sigma", "0.3",
              "--stall-probability", "0.03", "--stall", "50ms"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Starts children, waits for their ready line, kills them all on exit."""

    def __init__(self):
        self.children = []

    def start(self, args, ready_text, name):
        log = open(f"/tmp/edgekit-bench-{name}-{os.getpid()}.log", "w+")
        child = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.children.append((child, log))
        deadline = time.time() + 15
        while time.time() < deadline:
            log.seek(0)
            if ready_text in log.read():
                return child
            if child.poll() is not None:
                log.seek(0)
                sys.exit(f"{name} exited early:\n{log.read()}")
            time.sleep(0.05)
        sys.exit(f"{name} did not become ready")

    def stop_all(self):
        for child, log in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child, log in self.children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
            log.close()
            os.unlink(log.name)
        self.children = []


def fake_authz(procs, model):
    port = free_port()
    procs.start([os.path.join(BIN, "fake-authz"), "--listen", f"127.0.0.1:{port}"] + model,
                "listening on", f"fake-authz-{port}")
    return port


BROKER_ARGS = []   # --broker-arg: extra flags for every broker this run starts


def broker(procs, upstream_port, extra=()):
    port, metrics = free_port(), free_port()
    child = procs.start([os.path.join(BIN, "edgekit-broker"),
                         "--listen", f"127.0.0.1:{port}",
                         "--metrics-listen", f"127.0.0.1:{metrics}",
                         "--upstream", f"127.0.0.1:{upstream_port}"] + list(extra) + BROKER_ARGS,
                        "listening on", f"broker-{port}")
    wait_ready(metrics)
    return port, metrics, child


def naive_forwarder(procs, upstream_port):
    port = free_port()
    return port, procs.start([os.path.join(BIN, "naive-forwarder"), "--listen", f"127.0.0.1:{port}",
                 "--upstream", f"127.0.0.1:{upstream_port}"], "listening on",
                f"naive-{port}")


def wait_ready(metrics_port):
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/readyz") as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit("broker not ready after 10 s")


def metrics(metrics_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics") as r:
        values = {}
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values


def upstream_calls(upstream_port):
    out = subprocess.run([os.path.join(BIN, "fake-authz-ctl"), "--target",
                          f"127.0.0.1:{upstream_port}", "stats"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["checks_received"]


def set_latency(upstream_port, *args):
    subprocess.run([os.path.join(BIN, "fake-authz-ctl"), "--target",
                    f"127.0.0.1:{upstream_port}", "set-latency"] + list(args),
                   check=True, capture_output=True)


def load(target_port, *, rate=None, concurrency=None, seconds, warmup=0):
    args = [os.path.join(BIN, "edgekit-loadgen"), "--target", f"127.0.0.1:{target_port}",
            "--duration", f"{seconds}s", "--warmup", f"{warmup}s", "--json"]
    if rate:
        args += ["--rate", str(rate)]
    else:
        args += ["--concurrency", str(concurrency), "--connections", "2"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def measured(target_port, upstream_port, **kwargs):
    """Load with the upstream's counter read around it; extra = upstream calls per call - 1."""
    load(target_port, rate=kwargs.get("rate"), concurrency=kwargs.get("concurrency"),
         seconds=2)   # warm-up: connections, the broker's latency window
    before = upstream_calls(upstream_port)
    result = load(target_port, **kwargs)
    calls = upstream_calls(upstream_port) - before
    result["extra_load"] = calls / (result["sent"] + 1) - 1   # +1: loadgen's preflight
    return result


def ms(us):
    return f"{us / 1000:8.2f}"


def print_rows(rows):
    print(f"{'':28} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>8} {'extra load':>10} {'calls':>7}")
    for name, r in rows:
        print(f"{name:28} {ms(r['p50_us'])} {ms(r['p99_us'])} {ms(r['p999_us'])} "
              f"{r['extra_load'] * 100:9.1f}% {r['sent']:7d}")


def tail(seconds):
    procs = Processes()
    try:
        up = fake_authz(procs, TAIL_MODEL)
        plain, _, _ = broker(procs, up, ["--max-attempts", "1"])
        hedging, hedging_metrics, _ = broker(procs, up)
        print(f"tail model: lognormal 1 ms (sigma 0.3), 3% stalls of +50 ms; "
              f"open loop 500 req/s for {seconds} s each")
        rows = []
        for name, port in [("direct", up), ("broker --max-attempts 1", plain),
                           ("broker hedging (defaults)", hedging)]:
            print(f"  running {name} ...", flush=True)
            rows.append((name, measured(port, up, rate=500, seconds=seconds)))
        print_rows(rows)
        m = metrics(hedging_metrics)
        budget_suppressed = m['edgekit_broker_hedges_suppressed_total{reason="budget"}']
        direct, hedged = rows[0][1], rows[2][1]
        print(f"hedge delay in force: {m['edgekit_broker_hedge_delay_seconds'] * 1000:.2f} ms; "
              f"hedges {m['edgekit_broker_hedges_total']:.0f}, "
              f"won {m['edgekit_broker_hedge_wins_total']:.0f}, suppressed by budget "
              f"{budget_suppressed:.0f}")
        ratio = hedged["p99_us"] / direct["p99_us"]
        print(f"RESULT tail: broker-hedging p99 / direct p99 = {ratio:.3f} (target <= 0.100); "
              f"extra upstream load {hedged['extra_load'] * 100:.1f}% (target <= 6%)")
        return ratio <= 0.1 and hedged["extra_load"] <= 0.06
    finally:
        procs.stop_all()


def regime(seconds=30):
    procs = Processes()
    try:
        up = fake_authz(procs, ["--latency-median", "1ms", "--latency-sigma", "0.3"])
        port, mport, _ = broker(procs, up)
        load(port, rate=500, seconds=3)   # learn the 1 ms regime
        print(f"regime shift: 500 req/s for {seconds} s; the upstream's median goes "
              f"1 ms -> 5 ms at t={seconds // 2} s")
        loader = subprocess.Popen([os.path.join(BIN, "edgekit-loadgen"), "--target",
                                   f"127.0.0.1:{port}", "--rate", "500", "--duration",
                                   f"{seconds}s", "--warmup", "0s", "--json"],
                                  stdout=subprocess.PIPE, text=True)
        print(f"{'t s':>4} {'delay ms':>9} {'hedges/s':>9} {'calls/s':>8} {'extra':>7}")
        last = metrics(mport)
        halves = {0: [0, 0], 1: [0, 0]}
        for t in range(1, seconds + 1):
            time.sleep(1)
            if t == seconds // 2:
                set_latency(up, "--latency-median", "5ms")
            now = metrics(mport)
            hedges = now["edgekit_broker_hedges_total"] - last["edgekit_broker_hedges_total"]
            calls = (now['edgekit_broker_requests_total{code="OK"}']
                     - last['edgekit_broker_requests_total{code="OK"}'])
            half = 0 if t <= seconds // 2 else 1
            halves[half][0] += hedges
            halves[half][1] += calls
            print(f"{t:4d} {now['edgekit_broker_hedge_delay_seconds'] * 1000:9.2f} "
                  f"{hedges:9.0f} {calls:8.0f} {hedges / max(calls, 1) * 100:6.1f}%")
            last = now
        result = json.loads(loader.communicate()[0].strip().splitlines()[-1])
        before = halves[0][0] / max(halves[0][1], 1)
        after = halves[1][0] / max(halves[1][1], 1)
        print(f"RESULT regime: extra load {before * 100:.1f}% before the shift, "
              f"{after * 100:.1f}% after (budget 10%); "
              f"final delay {last['edgekit_broker_hedge_delay_seconds'] * 1000:.2f} ms; "
              f"p50 {result['p50_us'] / 1000:.2f} ms p99 {result['p99_us'] / 1000:.2f} ms")
        return after <= 0.12
    finally:
        procs.stop_all()


def cpu_seconds(pid):
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def overhead(rounds=5, seconds=4):
    procs = Processes()
    try:
        up = fake_authz(procs, ["--latency-median", "0ms", "--latency-sigma", "0"])
        naive, naive_child = naive_forwarder(procs, up)
        port, _, broker_child = broker(procs, up)
        print(f"overhead: upstream answers at once; {rounds} interleaved rounds of "
              f"{seconds} s each, medians")
        p50 = {"direct": [], "naive": [], "broker": []}
        qps = {"naive": [], "broker": []}
        cpu_us = {"naive": [], "broker": []}   # proxy CPU time per call at 64 in flight
        targets = {"direct": up, "naive": naive, "broker": port}
        pids = {"naive": naive_child.pid, "broker": broker_child.pid}
        for _ in range(rounds):
            for name, target in targets.items():
                p50[name].append(load(target, concurrency=1, seconds=seconds, warmup=1)["p50_us"])
            for name in ("naive", "broker"):
                cpu_before = cpu_seconds(pids[name])
                result = load(targets[name], concurrency=64, seconds=seconds, warmup=0)
                cpu = cpu_seconds(pids[name]) - cpu_before
                qps[name].append(result["achieved_rps"])
                cpu_us[name].append(cpu / max(result["sent"], 1) * 1e6)
        med = {k: statistics.median(v) for k, v in p50.items()}
        peak = {k: statistics.median(v) for k, v in qps.items()}
        cpu_med = {k: statistics.median(v) for k, v in cpu_us.items()}
        added_naive = med["naive"] - med["direct"]
        added_broker = med["broker"] - med["direct"]
        rss = rss_mib(broker_child.pid)
        print(f"p50 at concurrency 1: direct {med['direct']:.0f} us, naive forwarder "
              f"{med['naive']:.0f} us (+{added_naive:.0f}), broker {med['broker']:.0f} us "
              f"(+{added_broker:.0f})")
        print(f"peak QPS at 64 in flight: naive forwarder {peak['naive']:.0f}, "
              f"broker {peak['broker']:.0f} (each round: naive "
              f"{', '.join(f'{q:.0f}' for q in qps['naive'])}; broker "
              f"{', '.join(f'{q:.0f}' for q in qps['broker'])})")
        print(f"proxy CPU per call at 64 in flight: naive forwarder {cpu_med['naive']:.1f} us, "
              f"broker {cpu_med['broker']:.1f} us")
        added_ratio = added_broker / added_naive if added_naive > 0 else float("inf")
        qps_ratio = peak["broker"] / peak["naive"]
        print(f"RESULT overhead: added p50 broker/naive = {added_ratio:.2f} (target <= 1.0, "
              f"aim 0.8); peak QPS broker/naive = {qps_ratio:.2f} (target >= 1.0, aim 1.25); "
              f"broker RSS {rss:.1f} MiB (target <= 64)")
        return added_ratio <= 1.0 and qps_ratio >= 1.0 and rss <= 64
    finally:
        procs.stop_all()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["demo", "tail", "regime", "overhead", "all"])
    parser.add_argument("--broker-arg", action="append", default=[],
                        help="extra edgekit-broker flag for every broker started "
                             "(repeat; e.g. --broker-arg=--worker-threads=1)")
    args = parser.parse_args()
    BROKER_ARGS.extend(args.broker_arg)
    for tool in ["fake-authz", "fake-authz-ctl", "edgekit-broker", "edgekit-loadgen"]:
        if not os.access(os.path.join(BIN, tool), os.X_OK):
            sys.exit(f"{tool} is not built: run cmake --build build first")
    ok = True
    if args.scenario == "demo":
        ok = tail(seconds=12)
    if args.scenario in ("tail", "all"):
        ok &= tail(seconds=20)
    if args.scenario in ("regime", "all"):
        ok &= regime()
    if args.scenario in ("overhead", "all"):
        ok &= overhead()
    print("all targets met" if ok else "some targets missed (see RESULT lines)")


if __name__ == "__main__":
    main()
