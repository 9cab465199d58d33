#!/usr/bin/python3
"""Runs edgekit's benchmark scenarios and the README demo; prints numbers side by side.

Every scenario starts its own processes on free loopback ports (fake-authz, brokers,
the naive and h2 forwarders), drives them with edgekit-loadgen, reads the upstream's counters
through fake-authz-ctl and the broker's /metrics, and stops everything it started.
Numbers are compared within one run (this machine is shared and noisy): ratios mean
something, absolute times less so.

  bench.py demo      the README demo: tail model, direct vs broker vs broker hedging
  bench.py tail      the same at the issue's full length (500 req/s for 20 s each)
  bench.py regime    the upstream's base latency jumps 1 ms -> 5 ms mid-run
  bench.py overhead  added p50 at concurrency 1, peak QPS at 64 in flight, broker RSS
  bench.py rules     direct-response rules: the rules stage's added latency (16 header
                     rules + 100,000 CIDRs vs no rules), a rule's answer vs the auth
                     service's, rule load time and RSS
  bench.py cache     the decision cache: Zipf-distributed tokens at 2,000 req/s, upstream
                     calls per request and p50/p99 with and without the cache, a hit's
                     added latency vs the naive forwarder's, RSS
  bench.py transport what the transport costs (issue 19): naive-forwarder (gRPC C++),
                     edgekit-broker --max-attempts 1 and h2-forwarder (bare HTTP/2 on
                     libnghttp2, one thread) in front of one fake-authz answering at once;
                     added p50 at concurrency 1 over direct, and each proxy's CPU per call
                     at 2,000 req/s open loop; ratios h2/naive and broker/naive
  bench.py capacity  issue 19's targets and the numbers to size pods by: added p50 over a
                     1 ms upstream (broker vs naive), CPU per Check at 2,000 req/s for the
                     naive forwarder and the broker forwarding, answering by rule and
                     from the cache (Checks/s per core), peak QPS at 64 in flight
  bench.py versus --baseline-broker PATH
                     this build's broker against another broker binary (an earlier
                     commit's): added p50, peak QPS, CPU per call, interleaved
  bench.py all       tail + regime + overhead + rules + cache + transport

Binaries come from build/bin, or --build-dir DIR's bin/. --quick runs transport with one
round of 1 s: it proves the scenario runs end to end; its numbers mean nothing.
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


def broker(procs, upstream_port, extra=(), binary=None):
    port, metrics = free_port(), free_port()
    child = procs.start([binary or os.path.join(BIN, "edgekit-broker"),
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


def h2_forwarder(procs, upstream_port):
    port = free_port()
    return port, procs.start([os.path.join(BIN, "h2-forwarder"), "--listen", f"127.0.0.1:{port}",
                              "--upstream", f"127.0.0.1:{upstream_port}"], "listening on",
                             f"h2-{port}")


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


def load(target_port, *, rate=None, concurrency=None, seconds, warmup=0, extra=()):
    args = [os.path.join(BIN, "edgekit-loadgen"), "--target", f"127.0.0.1:{target_port}",
            "--duration", f"{seconds}s", "--warmup", f"{warmup}s", "--json"] + list(extra)
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


def transport(rounds=5, seconds=4, rate=2000):
    """Three one-hop forwarders in front of one fake-authz that answers at once: the gRPC
    C++ baseline, the broker with hedging off (one attempt, so every proxy makes exactly
    one upstream call per call) and the nghttp2 forwarder. Rounds interleave the
    targets, rotating their order; each forwarder's added p50 is paired with the direct
    p50 of its own round. CPU per call is the proxy process's utime + stime over an open-
    loop run (fixed rate, so all three do the same work per second), divided by the calls
    it forwarded (the loadgen's preflight included)."""
    procs = Processes()
    try:
        up = fake_authz(procs, ["--latency-median", "0ms", "--latency-sigma", "0"])
        naive, naive_child = naive_forwarder(procs, up)
        broker_port, _, broker_child = broker(procs, up, ["--max-attempts", "1"])
        h2, h2_child = h2_forwarder(procs, up)
        names = ["naive", "broker", "h2"]
        targets = {"direct": up, "naive": naive, "broker": broker_port, "h2": h2}
        pids = {"naive": naive_child.pid, "broker": broker_child.pid, "h2": h2_child.pid}
        labels = {"naive": "naive-forwarder (gRPC C++)", "broker": "broker --max-attempts 1",
                  "h2": "h2-forwarder (nghttp2)"}
        print(f"transport: upstream answers at once; {rounds} interleaved rounds of {seconds} s "
              f"each (concurrency 1, then {rate} req/s open loop), medians")
        added = {k: [] for k in names}
        cpu_us = {k: [] for k in names}
        errors = 0
        for round_index in range(rounds):
            order = names[round_index % 3:] + names[:round_index % 3]
            p50 = {}
            for name in ["direct"] + order:
                r = load(targets[name], concurrency=1, seconds=seconds, warmup=1)
                p50[name] = r["p50_us"]
                errors += r["error_total"]
            for name in order:
                added[name].append(p50[name] - p50["direct"])
            for name in order:
                cpu_before = cpu_seconds(pids[name])
                r = load(targets[name], rate=rate, seconds=seconds)
                cpu = cpu_seconds(pids[name]) - cpu_before
                cpu_us[name].append(cpu / (r["sent"] + 1) * 1e6)
                errors += r["error_total"]
        med = {k: statistics.median(v) for k, v in added.items()}
        cpu = {k: statistics.median(v) for k, v in cpu_us.items()}
        print(f"{'':28} {'added p50 us':>12} {'CPU us/call':>12}   each round: added p50; CPU")
        for name in names:
            print(f"{labels[name]:28} {med[name]:+12.0f} {cpu[name]:12.1f}   "
                  f"{', '.join(f'{a:+.0f}' for a in added[name])}; "
                  f"{', '.join(f'{c:.1f}' for c in cpu_us[name])}")
        ratio = lambda a, b: a / b if b > 0 else float("nan")
        print(f"RESULT transport: CPU per call h2/naive = {ratio(cpu['h2'], cpu['naive']):.2f}, "
              f"broker/naive = {ratio(cpu['broker'], cpu['naive']):.2f}; added p50 h2/naive = "
              f"{ratio(med['h2'], med['naive']):.2f}, broker/naive = "
              f"{ratio(med['broker'], med['naive']):.2f}; errors {errors} (CPU from "
              f"/proc/PID/stat, {1e6 / os.sysconf('SC_CLK_TCK') / (rate * seconds):.1f} us per "
              f"call resolution)")
        return errors == 0
    finally:
        procs.stop_all()


def versus(baseline, rounds=5, seconds=4, rate=2000):
    """This build's broker against another edgekit-broker binary (a build of an earlier
    commit, say), both with their defaults, in front of one fake-authz that answers at
    once: added p50 at concurrency 1, peak QPS and CPU per call at 64 in flight, CPU per
    call at `rate` req/s open loop. Rounds interleave the two, alternating which goes
    first; the ratios are this build over the baseline."""
    procs = Processes()
    try:
        up = fake_authz(procs, ["--latency-median", "0ms", "--latency-sigma", "0"])
        new_port, _, new_child = broker(procs, up)
        old_port, _, old_child = broker(procs, up, binary=baseline)
        targets = {"this": new_port, "baseline": old_port}
        pids = {"this": new_child.pid, "baseline": old_child.pid}
        keys = ["p50_added", "qps64", "cpu64", "cpu_rate"]
        got = {name: {k: [] for k in keys} for name in targets}
        errors = 0
        print(f"versus {baseline}: upstream answers at once; {rounds} interleaved rounds of "
              f"{seconds} s, medians")
        for round_index in range(rounds):
            order = ["this", "baseline"] if round_index % 2 == 0 else ["baseline", "this"]
            direct = load(up, concurrency=1, seconds=seconds, warmup=1)["p50_us"]
            for name in order:
                r = load(targets[name], concurrency=1, seconds=seconds, warmup=1)
                got[name]["p50_added"].append(r["p50_us"] - direct)
                errors += r["error_total"]
            for name in order:
                before = cpu_seconds(pids[name])
                r = load(targets[name], concurrency=64, seconds=seconds)
                got[name]["qps64"].append(r["achieved_rps"])
                got[name]["cpu64"].append((cpu_seconds(pids[name]) - before) / max(r["sent"], 1) * 1e6)
                errors += r["error_total"]
            for name in order:
                before = cpu_seconds(pids[name])
                r = load(targets[name], rate=rate, seconds=seconds)
                got[name]["cpu_rate"].append((cpu_seconds(pids[name]) - before) / max(r["sent"], 1) * 1e6)
                errors += r["error_total"]
        med = {n: {k: statistics.median(v) for k, v in got[n].items()} for n in got}
        print(f"{'':10} {'added p50 us':>12} {'QPS @64':>9} {'CPU us @64':>11} {'CPU us @' + str(rate) + '/s':>14}")
        for name in targets:
            m = med[name]
            print(f"{name:10} {m['p50_added']:+12.0f} {m['qps64']:9.0f} {m['cpu64']:11.1f} "
                  f"{m['cpu_rate']:14.1f}")
        ratio = {k: med["this"][k] / med["baseline"][k] if med["baseline"][k] else float("nan")
                 for k in keys}
        print(f"RESULT versus: this/baseline added p50 {ratio['p50_added']:.2f}, peak QPS "
              f"{ratio['qps64']:.2f}, CPU per call at 64 in flight {ratio['cpu64']:.2f}, at "
              f"{rate}/s {ratio['cpu_rate']:.2f}; errors {errors}")
        return errors == 0
    finally:
        procs.stop_all()


def capacity(rounds=5, seconds=4, rate=2000):
    """Issue 19's targets and the numbers to size pods by, in one interleaved run.
    (1) Added p50 at concurrency 1 over a 1 ms upstream, broker vs naive forwarder.
    (2) CPU per Check at `rate` req/s open loop (process utime + stime / calls; no
    batching: each call is its own wake-up, a gateway at moderate load) for the naive
    forwarder and the broker in three modes: forwarding (opaque), answered by a rule
    (16 header rules + 100,000 CIDRs, rule 16 answering), and cache hits (one token, so
    every call after the first is a hit). Checks per second per core = 1e6 / CPU us.
    (3) Peak QPS at 64 in flight, broker vs naive."""
    import tempfile
    procs = Processes()
    workdir = tempfile.mkdtemp(prefix="edgekit-bench-capacity-")
    try:
        up = fake_authz(procs, ["--latency-median", "1ms", "--latency-sigma", "0"])
        instant = fake_authz(procs, ["--latency-median", "0ms", "--latency-sigma", "0"])
        naive, naive_child = naive_forwarder(procs, up)
        opaque, _, opaque_child = broker(procs, up)
        rules_port, _, rules_child = broker(procs, up, ["--config", write_rules_config(workdir)])
        cached, _, cached_child = broker(procs, up, CACHE_FLAGS)
        naive0, naive0_child = naive_forwarder(procs, instant)
        opaque0, _, opaque0_child = broker(procs, instant)
        modes = {"naive forwarder": (naive, naive_child.pid, []),
                 "broker, forwarded": (opaque, opaque_child.pid, []),
                 "broker, rule answers": (rules_port, rules_child.pid,
                                          ["--header", "x-block-15=yes"]),
                 "broker, cache hits": (cached, cached_child.pid, ["--tokens", "1"])}
        print(f"capacity: {rounds} interleaved rounds of {seconds} s, medians (spread)")
        added = {"naive": [], "broker": []}
        cpu = {name: [] for name in modes}
        qps = {"naive": [], "broker": []}
        errors = 0
        for round_index in range(rounds):
            first = round_index % 2 == 0
            direct = load(up, concurrency=1, seconds=seconds, warmup=1)["p50_us"]
            for name, port in ([("naive", naive), ("broker", opaque)] if first
                               else [("broker", opaque), ("naive", naive)]):
                r = load(port, concurrency=1, seconds=seconds, warmup=1)
                added[name].append(r["p50_us"] - direct)
                errors += r["error_total"]
            names = list(modes)
            for name in names[round_index % len(names):] + names[:round_index % len(names)]:
                port, pid, extra = modes[name]
                before = cpu_seconds(pid)
                r = load(port, rate=rate, seconds=seconds, extra=extra)
                cpu[name].append((cpu_seconds(pid) - before) / (r["sent"] + 1) * 1e6)
                errors += r["error_total"]
            for name, port in ([("naive", naive0), ("broker", opaque0)] if first
                               else [("broker", opaque0), ("naive", naive0)]):
                r = load(port, concurrency=64, seconds=seconds)
                qps[name].append(r["achieved_rps"])
                errors += r["error_total"]
        med = statistics.median
        spread = lambda xs: f"{min(xs):.0f}-{max(xs):.0f}"
        print(f"added p50 at concurrency 1 over a 1 ms upstream: naive {med(added['naive']):+.0f} us "
              f"({spread(added['naive'])}), broker {med(added['broker']):+.0f} us "
              f"({spread(added['broker'])})")
        print(f"{'CPU per Check at ' + str(rate) + ' req/s':28} {'us':>8} {'Checks/s per core':>18}   each round")
        for name in modes:
            m = med(cpu[name])
            print(f"{name:28} {m:8.1f} {1e6 / m:18.0f}   {', '.join(f'{c:.1f}' for c in cpu[name])}")
        print(f"peak QPS at 64 in flight (upstream answering at once): naive {med(qps['naive']):.0f} "
              f"({spread(qps['naive'])}), broker {med(qps['broker']):.0f} ({spread(qps['broker'])})")
        ratio = lambda a, b: a / b if b else float("nan")
        p50_ratio = ratio(med(added["broker"]), med(added["naive"]))
        cpu_ratio = ratio(med(cpu["broker, forwarded"]), med(cpu["naive forwarder"]))
        qps_ratio = ratio(med(qps["broker"]), med(qps["naive"]))
        print(f"RESULT capacity: added p50 broker/naive = {p50_ratio:.2f} (target <= 0.8); CPU "
              f"per Check broker/naive = {cpu_ratio:.2f} (target <= 0.7); peak QPS broker/naive "
              f"= {qps_ratio:.2f} (target >= 1.25); cache hit {med(cpu['broker, cache hits']):.1f} "
              f"us, rule answer {med(cpu['broker, rule answers']):.1f} us per Check; errors {errors}")
        return p50_ratio <= 0.8 and cpu_ratio <= 0.7 and qps_ratio >= 1.25 and errors == 0
    finally:
        procs.stop_all()


def write_rules_config(directory, cidrs=100_000, as_yaml_list=False):
    """16 header rules no benchmark request matches, then a blocklist of `cidrs` networks
    (random /24s and /48s, never the loadgen's client 203.0.113.7), in a cidrs_file or as
    a YAML list. Returns the config path."""
    import random
    rng = random.Random(20261202)
    entries = []
    while len(entries) < cidrs:
        if rng.random() < 0.2:
            entries.append(f"2001:{rng.randrange(65536):x}:{rng.randrange(65536):x}::/48")
        else:
            a = rng.randrange(1, 223)
            if a != 203:
                entries.append(f"{a}.{rng.randrange(256)}.{rng.randrange(256)}.0/24")
    lines = ["direct_responses:", "  num_trusted_proxies: 1", "  rules:"]
    for i in range(16):
        lines.append(f"    - {{name: header-{i}, when: {{header: {{name: x-block-{i}, "
                     f"exact: 'yes'}}}}, respond: {{status: 403, body: blocked}}}}")
    lines += ["    - name: blocklist", "      respond: {status: 403, body: blocked}",
              "      when:", "        client_ip:"]
    if as_yaml_list:
        lines.append("          cidrs:")
        lines += [f"            - '{e}'" for e in entries]
    else:
        with open(os.path.join(directory, "blocklist.txt"), "w") as f:
            f.write("\n".join(entries) + "\n")
        lines.append("          cidrs_file: blocklist.txt")
    path = os.path.join(directory, "list.yaml" if as_yaml_list else "rules.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def check_config_seconds(config, runs=3):
    """Median wall time of `edgekit-broker --check-config` (start, load, validate, exit)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([os.path.join(BIN, "edgekit-broker"), "--config", config,
                        "--upstream", "127.0.0.1:1", "--check-config"],
                       check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stage_microbench(directory):
    """edgekit-rules-bench: the stage's own cost per call, in ns (None if not built)."""
    tool = os.path.join(BIN, "edgekit-rules-bench")
    if not os.access(tool, os.X_OK):
        return None
    out = subprocess.run([tool, "--benchmark_format=json", "--benchmark_repetitions=3",
                          "--benchmark_report_aggregates_only=true", directory],
                         check=True, capture_output=True, text=True).stdout
    times = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            unit = {"ns": 1, "us": 1e3, "ms": 1e6}[b["time_unit"]]
            times[b["run_name"]] = b["real_time"] * unit
    return times


def rules(rounds=9, seconds=4):
    import tempfile
    procs = Processes()
    workdir = tempfile.mkdtemp(prefix="edgekit-bench-rules-")
    try:
        config = write_rules_config(workdir)
        yaml_list = write_rules_config(workdir, as_yaml_list=True)
        empty = os.path.join(workdir, "empty.yaml")
        open(empty, "w").write("{}\n")
        load_s = {"none": check_config_seconds(empty), "file": check_config_seconds(config),
                  "yaml": check_config_seconds(yaml_list)}
        up = fake_authz(procs, ["--latency-median", "1ms", "--latency-sigma", "0.3"])
        plain_port, _, plain_child = broker(procs, up)
        rules_port, rules_metrics, rules_child = broker(procs, up, ["--config", config])
        rss = {"none": rss_mib(plain_child.pid), "rules": rss_mib(rules_child.pid)}
        targets = {"direct": up, "no rules": plain_port, "rules": rules_port}
        print(f"rules: upstream 1 ms lognormal (sigma 0.3); broker 'rules' has 16 header "
              f"rules + 100,000 CIDRs (none matching), 'no rules' none; {rounds} interleaved "
              f"rounds of {seconds} s, medians")
        c1 = {k: {"p50": [], "p99": []} for k in targets}
        open_loop = {k: {"p50": [], "p99": []} for k in targets}
        answered = {"rule": {"p50": [], "p99": []}, "upstream": {"p50": [], "p99": []}}
        errors = []
        answered_upstream_calls = 0
        names = list(targets)
        for round_index in range(rounds):
            # The order rotates each round, so no target is always measured last.
            order = names[round_index % len(names):] + names[:round_index % len(names)]
            for name in order:
                port = targets[name]
                r = load(port, concurrency=1, seconds=seconds, warmup=1)
                c1[name]["p50"].append(r["p50_us"])
                c1[name]["p99"].append(r["p99_us"])
                r = load(port, rate=500, seconds=seconds, warmup=1)
                open_loop[name]["p50"].append(r["p50_us"])
                open_loop[name]["p99"].append(r["p99_us"])
                errors.append(r["error_total"])
            # The same request with the header rule header-15 answers: from the rules
            # broker (the rule answers, after 15 header rules) and, as a request the auth
            # service answers, from the broker without rules.
            before = upstream_calls(up)
            r = load_with_header(rules_port, "x-block-15=yes", seconds)
            answered_upstream_calls += upstream_calls(up) - before
            answered["rule"]["p50"].append(r["p50_us"])
            answered["rule"]["p99"].append(r["p99_us"])
            r = load_with_header(plain_port, "x-block-15=yes", seconds)
            answered["upstream"]["p50"].append(r["p50_us"])
            answered["upstream"]["p99"].append(r["p99_us"])
        med = lambda xs: statistics.median(xs)
        # Paired per round: the rules broker's extra p50 over the plain one, in the same
        # round (drift between rounds cancels).
        paired = {"c1": [r - n for r, n in zip(c1["rules"]["p50"], c1["no rules"]["p50"])],
                  "rate": [r - n for r, n in zip(open_loop["rules"]["p50"],
                                                 open_loop["no rules"]["p50"])]}
        rows = []
        for name in targets:
            rows.append((name, med(c1[name]["p50"]), med(c1[name]["p99"]),
                         med(open_loop[name]["p50"]), med(open_loop[name]["p99"])))
        print(f"{'':10} {'c1 p50 us':>10} {'c1 p99 us':>10} {'500/s p50':>10} {'500/s p99':>10}")
        for name, a, b, c, d in rows:
            print(f"{name:10} {a:10.0f} {b:10.0f} {c:10.0f} {d:10.0f}")
        added = {}
        for name in ("no rules", "rules"):
            added[name] = {
                "c1": med(c1[name]["p50"]) - med(c1["direct"]["p50"]),
                "rate": med(open_loop[name]["p50"]) - med(open_loop["direct"]["p50"])}
        # The ratio of added latencies, the rules broker's taken as the plain one's plus the
        # median paired difference (the unpaired medians wander by tens of us between runs).
        ratio_c1 = 1 + med(paired_diff(c1)) / added["no rules"]["c1"]
        ratio_rate = 1 + med(paired_diff(open_loop)) / added["no rules"]["rate"]
        print(f"added p50 over direct: no rules +{added['no rules']['c1']:.0f} us (c1), "
              f"+{added['no rules']['rate']:.0f} us (500/s); rules +{added['rules']['c1']:.0f} "
              f"us (c1), +{added['rules']['rate']:.0f} us (500/s)")
        print(f"answered by a rule: p50 {med(answered['rule']['p50']):.0f} us, p99 "
              f"{med(answered['rule']['p99']):.0f} us, upstream calls {answered_upstream_calls}; "
              f"the same request answered by the auth service: p50 "
              f"{med(answered['upstream']['p50']):.0f} us, p99 "
              f"{med(answered['upstream']['p99']):.0f} us")
        print(f"loading (edgekit-broker --check-config, median of 3): no rules "
              f"{load_s['none'] * 1000:.0f} ms, 100,000 CIDRs in a cidrs_file "
              f"{load_s['file'] * 1000:.0f} ms, as a YAML list {load_s['yaml'] * 1000:.0f} ms; "
              f"RSS after the runs: no rules {rss_mib(plain_child.pid):.1f} MiB, rules "
              f"{rss_mib(rules_child.pid):.1f} MiB (at start {rss['none']:.1f} / "
              f"{rss['rules']:.1f})")
        print(f"errors over the 500/s runs: {sum(errors)}")
        print(f"rules - no rules, p50, paired per round (us): c1 "
              f"{', '.join(f'{d:+.0f}' for d in paired['c1'])}; 500/s "
              f"{', '.join(f'{d:+.0f}' for d in paired['rate'])}")
        micro = stage_microbench(workdir)
        if micro:
            stage_us = (micro["BM_RulesNoMatch"] - micro["BM_NoRules"]) / 1000
            print(f"the stage alone (edgekit-rules-bench, in-process): no rules "
                  f"{micro['BM_NoRules']:.0f} ns, 16 header rules + 100,000 CIDRs, no match "
                  f"{micro['BM_RulesNoMatch']:.0f} ns, answered by rule 16 "
                  f"{micro['BM_RulesAnswered']:.0f} ns; compiling the 100,000-line list "
                  f"{micro['BM_Load100kCidrs'] / 1e6:.1f} ms")
            print(f"so the stage adds {stage_us:.1f} us per call: {stage_us / added['no rules']['c1'] * 100:.1f}% "
                  f"of the plain broker's added p50 at c1, "
                  f"{stage_us / added['no rules']['rate'] * 100:.1f}% at 500/s")
        # End to end, the stage's few microseconds are far below what p50 wanders between
        # rounds here (paired differences spread over +-100 us): the ratio from the
        # in-process cost is the figure; the end-to-end one is printed to show it agrees
        # within that noise.
        stage_ratio = {k: 1 + stage_us / added["no rules"][k] for k in ("c1", "rate")} \
            if micro else {"c1": float("nan"), "rate": float("nan")}
        print(f"RESULT rules: added p50 rules/no-rules = {stage_ratio['c1']:.3f} at concurrency "
              f"1, {stage_ratio['rate']:.3f} at 500/s from the stage's in-process cost (target "
              f"<= 1.1; end to end, paired medians: {ratio_c1:.2f} and {ratio_rate:.2f}, within "
              f"this machine's noise); upstream calls for answered requests "
              f"{answered_upstream_calls} (target 0); 100,000 CIDRs load in "
              f"{load_s['file'] * 1000:.0f} ms (target well under 1 s)")
        return (stage_ratio["c1"] <= 1.1 and stage_ratio["rate"] <= 1.1
                and answered_upstream_calls == 0 and load_s["file"] < 0.5)
    finally:
        procs.stop_all()
        import shutil
        shutil.rmtree(workdir, ignore_errors=True)


CACHE_FLAGS = ["--cache-key-header", "authorization", "--cache-ttl", "30s"]


def cache(rounds=5, seconds=5, tokens=10000, zipf_s=1.1, rate=2000):
    procs = Processes()
    try:
        up = fake_authz(procs, ["--latency-median", "1ms", "--latency-sigma", "0.3"])
        plain_port, plain_metrics, plain_child = broker(procs, up)
        cached_port, cached_metrics, cached_child = broker(procs, up, CACHE_FLAGS)
        naive, _ = naive_forwarder(procs, up)
        zipf = ["--tokens", str(tokens), "--zipf-s", str(zipf_s)]
        print(f"cache: upstream 1 ms lognormal (sigma 0.3); {tokens} tokens Zipf s={zipf_s}, "
              f"open loop {rate} req/s; broker with and without "
              f"`{' '.join(CACHE_FLAGS)}`; {rounds} interleaved rounds of {seconds} s")
        names = ["no cache", "cache"]
        ports = {"no cache": plain_port, "cache": cached_port}
        p50 = {k: [] for k in names}
        p99 = {k: [] for k in names}
        per_request = {k: [] for k in names}
        totals = {k: [0, 0] for k in names}   # upstream calls, requests
        errors = 0
        for round_index in range(rounds):
            order = names[round_index % 2:] + names[:round_index % 2]
            for name in order:
                before = upstream_calls(up)
                # A new token sequence each round (both brokers see the same ones): the
                # cache broker meets new tokens as well as ones it has stored.
                r = load(ports[name], rate=rate, seconds=seconds,
                         extra=zipf + ["--seed", str(round_index + 1)])
                calls = upstream_calls(up) - before
                per_request[name].append(calls / (r["sent"] + 1))
                totals[name][0] += calls
                totals[name][1] += r["sent"] + 1
                p50[name].append(r["p50_us"])
                p99[name].append(r["p99_us"])
                errors += r["error_total"]
        med = statistics.median
        print(f"{'':10} {'p50 ms':>8} {'p99 ms':>8} {'upstream calls/request (each round)':>40}")
        for name in names:
            print(f"{name:10} {ms(med(p50[name]))} {ms(med(p99[name]))}   "
                  f"{', '.join(f'{c:.3f}' for c in per_request[name])}")
        overall = {k: totals[k][0] / totals[k][1] for k in names}
        m = metrics(cached_metrics)
        hits = m["edgekit_broker_cache_hits_total"]
        misses = m["edgekit_broker_cache_misses_total"]
        coalesced = m["edgekit_broker_cache_coalesced_total"]
        calls = sum(v for k, v in m.items() if k.startswith("edgekit_broker_requests_total"))
        hedges = m["edgekit_broker_hedges_total"]
        primaries = m['edgekit_broker_upstream_attempts_total{attempt="primary"}']
        print(f"cache broker: hit rate {hits / calls * 100:.1f}%, coalesced "
              f"{coalesced / calls * 100:.2f}%, entries {m['edgekit_broker_cache_entries']:.0f}, "
              f"bytes {m['edgekit_broker_cache_bytes'] / 1024:.0f} KiB, errors {errors}")
        hedge_rate = hedges / calls
        per_upstream = hedges / max(primaries, 1)
        print(f"hedge rate over requests {hedge_rate * 100:.2f}% = (1 - hit - coalesced share "
              f"= {(1 - (hits + coalesced) / calls) * 100:.1f}%) x hedges per upstream call "
              f"{per_upstream * 100:.2f}% = {(1 - (hits + coalesced) / calls) * per_upstream * 100:.2f}%")

        # A hit's added latency against the naive forwarder's, over direct calls to an
        # upstream that answers at once (as in `overhead`): one token, so every call after
        # the first is a hit; concurrency 1.
        set_latency(up, "--latency-median", "0ms", "--latency-sigma", "0")
        one_token = ["--tokens", "1"]
        added = {"naive": [], "hit": []}
        c1 = {"direct": [], "naive": [], "hit": []}
        targets = {"direct": up, "naive": naive, "hit": cached_port}
        for round_index in range(rounds):
            order = list(targets)[round_index % 3:] + list(targets)[:round_index % 3]
            got = {}
            for name in order:
                got[name] = load(targets[name], concurrency=1, seconds=seconds, warmup=1,
                                 extra=one_token)["p50_us"]
                c1[name].append(got[name])
            added["naive"].append(got["naive"] - got["direct"])
            added["hit"].append(got["hit"] - got["direct"])
        rss = {"no cache": rss_mib(plain_child.pid), "cache": rss_mib(cached_child.pid)}
        print(f"p50 at concurrency 1, upstream answering at once: direct "
              f"{med(c1['direct']):.0f} us, naive forwarder {med(c1['naive']):.0f} us, cache hit "
              f"{med(c1['hit']):.0f} us; added over direct, paired per round (us): naive "
              f"{', '.join(f'{d:+.0f}' for d in added['naive'])}; hit "
              f"{', '.join(f'{d:+.0f}' for d in added['hit'])}")
        # Memory when the cache is full: 300,000 tokens, nearly uniform, closed loop, into
        # a broker with the default bounds (32 MiB), then its RSS and gauges.
        fill_port, fill_metrics, fill_child = broker(procs, up, CACHE_FLAGS)
        rss_empty = rss_mib(fill_child.pid)
        load(fill_port, concurrency=64, seconds=5 * seconds,
             extra=["--tokens", "300000", "--zipf-s", "0.01"])
        fm = metrics(fill_metrics)
        rss_full = rss_mib(fill_child.pid)
        print(f"filled: {fm['edgekit_broker_cache_entries']:.0f} entries charged "
              f"{fm['edgekit_broker_cache_bytes'] / 2**20:.1f} MiB, "
              f"{fm['edgekit_broker_cache_evictions_total']:.0f} evictions; RSS "
              f"{rss_empty:.1f} MiB empty, {rss_full:.1f} MiB full "
              f"(+{rss_full - rss_empty:.1f} MiB for "
              f"{fm['edgekit_broker_cache_bytes'] / 2**20:.1f} MiB charged; "
              f"{(rss_full - rss_empty) * 2**20 / max(fm['edgekit_broker_cache_entries'], 1):.0f} "
              f"bytes of RSS per entry, charged "
              f"{fm['edgekit_broker_cache_bytes'] / max(fm['edgekit_broker_cache_entries'], 1):.0f})")
        reduction = 1 - overall["cache"] / overall["no cache"]
        added_hit, added_naive = med(added["hit"]), med(added["naive"])
        print(f"RESULT cache: upstream calls/request over the run {overall['cache']:.3f} with "
              f"the cache vs {overall['no cache']:.3f} without ({reduction * 100:.0f}% "
              f"fewer); p50 {med(p50['cache']) / 1000:.2f} vs {med(p50['no cache']) / 1000:.2f} "
              f"ms, p99 {med(p99['cache']) / 1000:.2f} vs {med(p99['no cache']) / 1000:.2f} ms; "
              f"a hit adds {added_hit:+.0f} us over direct, the naive forwarder "
              f"{added_naive:+.0f} us (target: hit below naive); RSS cache broker "
              f"{rss['cache']:.1f} MiB, no cache {rss['no cache']:.1f} MiB, filled cache "
              f"{rss_full:.1f} MiB (target <= 64)")
        return (added_hit < added_naive and max(rss["cache"], rss_full) <= 64
                and errors == 0)
    finally:
        procs.stop_all()


def paired_diff(samples):
    return [r - n for r, n in zip(samples["rules"]["p50"], samples["no rules"]["p50"])]


def load_with_header(target_port, header, seconds):
    args = [os.path.join(BIN, "edgekit-loadgen"), "--target", f"127.0.0.1:{target_port}",
            "--duration", f"{seconds}s", "--warmup", "1s", "--json", "--concurrency", "1",
            "--header", header]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario",
                        choices=["demo", "tail", "regime", "overhead", "rules", "cache",
                                 "transport", "versus", "capacity", "all"])
    parser.add_argument("--broker-arg", action="append", default=[],
                        help="extra edgekit-broker flag for every broker started "
                             "(repeat; e.g. --broker-arg=--worker-threads=1)")
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"),
                        help="CMake build directory whose bin/ holds the tools (default: "
                             "build/)")
    parser.add_argument("--baseline-broker",
                        help="versus: the other edgekit-broker binary to compare with")
    parser.add_argument("--quick", action="store_true",
                        help="transport: 1 round of 1 s, to check the scenario runs (numbers "
                             "meaningless)")
    args = parser.parse_args()
    global BIN
    BIN = os.path.join(os.path.abspath(args.build_dir), "bin")
    BROKER_ARGS.extend(args.broker_arg)
    tools = ["fake-authz", "fake-authz-ctl", "edgekit-broker", "edgekit-loadgen"]
    if args.scenario in ("transport", "all"):
        tools += ["naive-forwarder", "h2-forwarder"]
    if args.scenario == "capacity":
        tools += ["naive-forwarder"]
    for tool in tools:
        if not os.access(os.path.join(BIN, tool), os.X_OK):
            sys.exit(f"{tool} is not built: run cmake --build {args.build_dir} first")
    ok = True
    if args.scenario == "demo":
        ok = tail(seconds=12)
    if args.scenario in ("tail", "all"):
        ok &= tail(seconds=20)
    if args.scenario in ("regime", "all"):
        ok &= regime()
    if args.scenario in ("overhead", "all"):
        ok &= overhead()
    if args.scenario in ("rules", "all"):
        ok &= rules()
    if args.scenario in ("cache", "all"):
        ok &= cache()
    if args.scenario in ("transport", "all"):
        ok &= transport(**({"rounds": 1, "seconds": 1} if args.quick else {}))
    if args.scenario == "capacity":
        ok &= capacity()
    if args.scenario == "versus":
        if not args.baseline_broker or not os.access(args.baseline_broker, os.X_OK):
            sys.exit("versus needs --baseline-broker PATH (an edgekit-broker binary)")
        ok &= versus(args.baseline_broker)
    print("all targets met" if ok else "some targets missed (see RESULT lines)")


if __name__ == "__main__":
    main()
