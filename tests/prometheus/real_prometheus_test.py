#!/usr/bin/python3
"""Real-Prometheus test for the dashboard and the rules (ctest label: prometheus).

Starts fake-authz with the latency-tail model, an edgekit-broker (defaults) in front of it
and Debian's prometheus on loopback with a temporary data dir, scraping the broker every
1 s (static labels namespace="edgekit-test", pod="broker-0") with the rules file loaded.
Drives ~300 req/s for ~40 s with edgekit-loadgen, then checks through the HTTP API:
  - every dashboard panel query returns data, and the namespace/pod variables list ours;
  - the recording rules return data;
  - the hedge rate Prometheus recorded (final counters) agrees with the extra calls the
    fake upstream saw (checks_received / loadgen calls - 1) within 1 percentage point;
  - promtool check metrics on the broker's /metrics is clean.
Stops every process it started (by PID) and removes the temp dir.

  real_prometheus_test.py [--bin DIR] [--seconds N] [--rate N]
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARD = os.path.join(ROOT, "charts", "dashboards", "edgekit-broker.json")
RULES = os.path.join(ROOT, "charts", "alerts", "edgekit-broker.rules.yaml")
TAIL_MODEL = ["--latency-median", "1ms", "--latency-sigma", "0.3",
              "--stall-probability", "0.03", "--stall", "50ms"]
NAMESPACE, POD = "edgekit-test", "broker-0"
VARIABLES = {"namespace": NAMESPACE, "pod": POD, "__rate_interval": "1m",
             "__interval": "15s", "__range": "5m", "datasource": "prometheus"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    def __init__(self, tmp):
        self.tmp = tmp
        self.children = []

    def start(self, name, args, ready=None):
        log = open(os.path.join(self.tmp, f"{name}.log"), "w+")
        child = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.children.append((name, child, log))
        deadline = time.time() + 30
        while ready is not None and time.time() < deadline:
            if ready():
                return child
            if child.poll() is not None:
                break
            time.sleep(0.1)
        if ready is None:
            return child
        raise RuntimeError(f"{name} did not become ready:\n{self.log(name)}")

    def log(self, name):
        for n, _, log in self.children:
            if n == name:
                log.flush()
                with open(log.name) as f:
                    return f.read()[-4000:]
        return ""

    def stop_all(self):
        for _, child, _ in reversed(self.children):
            if child.poll() is None:
                os.kill(child.pid, signal.SIGTERM)
        for _, child, log in reversed(self.children):
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
            log.close()
        self.children = []


def log_has(path, text):
    def check():
        with open(path) as f:
            return text in f.read()
    return check


def http_ok(url):
    def check():
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False
    return check


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode()


def query(prom, expr):
    url = f"http://{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    body = json.loads(get(url))
    if body.get("status") != "success":
        raise RuntimeError(f"query failed: {expr}: {body}")
    return body["data"]["result"]


def value(prom, expr):
    result = query(prom, expr)
    if len(result) != 1:
        raise RuntimeError(f"want one sample from {expr}, got {result}")
    return float(result[0]["value"][1])


def substitute(expr):
    def repl(m):
        name = m.group(1) or m.group(2)
        if name not in VARIABLES:
            raise RuntimeError(f"no value for dashboard variable ${name} in {expr}")
        return VARIABLES[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", repl, expr)


def upstream_calls(bin_dir, port):
    out = subprocess.run([os.path.join(bin_dir, "fake-authz-ctl"), "--target",
                          f"127.0.0.1:{port}", "stats"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["checks_received"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    parser.add_argument("--prometheus", default="/usr/bin/prometheus")
    parser.add_argument("--promtool", default="/usr/bin/promtool")
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--rate", type=int, default=300)
    args = parser.parse_args()
    for tool in [os.path.join(args.bin, t) for t in
                 ("fake-authz", "fake-authz-ctl", "edgekit-broker", "edgekit-loadgen")] + \
            [args.prometheus, args.promtool]:
        if not os.access(tool, os.X_OK):
            sys.exit(f"FAIL: {tool} is missing (build the binaries; scripts/install-deps.sh "
                     f"installs prometheus)")

    tmp = tempfile.mkdtemp(prefix="edgekit-prom-test-")
    procs = Processes(tmp)
    failures = []
    try:
        # Upstream with a latency tail, broker with defaults in front.
        up = free_port()
        fa_log = os.path.join(tmp, "fake-authz.log")
        procs.start("fake-authz", [os.path.join(args.bin, "fake-authz"), "--listen",
                                   f"127.0.0.1:{up}"] + TAIL_MODEL,
                    lambda: log_has(fa_log, "listening on")())
        port, mport = free_port(), free_port()
        # One direct-response rule the load never matches, so the rule panels have series.
        broker_config = os.path.join(tmp, "broker.yaml")
        with open(broker_config, "w") as f:
            f.write("direct_responses:\n  rules:\n"
                    "    - {name: blocklist, when: {client_ip: {cidrs: [192.0.2.0/24]}},\n"
                    "       respond: {status: 403}}\n")
        procs.start("broker", [os.path.join(args.bin, "edgekit-broker"),
                               "--listen", f"127.0.0.1:{port}",
                               "--metrics-listen", f"127.0.0.1:{mport}",
                               "--upstream", f"127.0.0.1:{up}", "--config", broker_config],
                    http_ok(f"http://127.0.0.1:{mport}/readyz"))

        # Prometheus scraping the broker every second, rules loaded.
        pport = free_port()
        prom = f"127.0.0.1:{pport}"
        config = os.path.join(tmp, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"""\
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {RULES}
scrape_configs:
  - job_name: edgekit-broker
    static_configs:
      - targets: ["127.0.0.1:{mport}"]
        labels:
          namespace: {NAMESPACE}
          pod: {POD}
""")
        procs.start("prometheus", [args.prometheus, f"--config.file={config}",
                                   f"--storage.tsdb.path={os.path.join(tmp, 'data')}",
                                   f"--web.listen-address={prom}",
                                   "--storage.tsdb.retention.time=1h"],
                    http_ok(f"http://{prom}/-/ready"))
        sel = f'{{namespace="{NAMESPACE}", pod="{POD}"}}'
        deadline = time.time() + 30
        while not query(prom, f"edgekit_broker_ready{sel} == 1"):
            if time.time() > deadline:
                raise RuntimeError("prometheus never scraped a ready broker:\n"
                                   + procs.log("prometheus"))
            time.sleep(0.5)

        # Load: every call the broker answers comes from loadgen (preflight + sent).
        print(f"driving {args.rate} req/s for {args.seconds} s through the broker", flush=True)
        out = subprocess.run([os.path.join(args.bin, "edgekit-loadgen"), "--target",
                              f"127.0.0.1:{port}", "--rate", str(args.rate), "--duration",
                              f"{args.seconds}s", "--warmup", "0s", "--json"],
                             check=True, capture_output=True, text=True).stdout
        load = json.loads(out.strip().splitlines()[-1])
        calls = load["sent"] + 1   # +1: loadgen's preflight call
        print(f"loadgen: sent {load['sent']} ok {load['ok']} p50 {load['p50_us']:.0f} us "
              f"p99 {load['p99_us']:.0f} us", flush=True)
        if load["error_total"]:
            failures.append(f"loadgen saw {load['error_total']} errors: {load['errors']}")

        # Let the last scrapes and rule evaluations land.
        time.sleep(3)

        # Every dashboard panel query returns data.
        with open(DASHBOARD) as f:
            dash = json.load(f)
        n = 0
        for panel in dash["panels"]:
            for target in panel.get("targets", []):
                expr = substitute(target["expr"])
                result = query(prom, expr)
                n += 1
                shown = ", ".join(f"{r['metric']}={float(r['value'][1]):.4g}" for r in result[:4])
                print(f"  panel {panel['title']!r} [{target['refId']}]: "
                      f"{len(result)} series {shown}")
                if not result:
                    failures.append(f"panel {panel['title']!r} query returned no data: {expr}")
        print(f"{n} panel queries run")

        # The dashboard's variables (label_values queries) list our namespace and pod,
        # asked the way Grafana asks: the series API with the variable's selector.
        for var in dash["templating"]["list"]:
            if var.get("type") != "query":
                continue
            definition = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", definition.strip())
            if not m:
                failures.append(f"variable {var['name']}: not a label_values query: {definition}")
                continue
            selector, label = substitute(m.group(1)), m.group(2)
            url = (f"http://{prom}/api/v1/series?" +
                   urllib.parse.urlencode({"match[]": selector}))
            series = json.loads(get(url))["data"]
            values = sorted({s_[label] for s_ in series if label in s_})
            print(f"  variable {var['name']}: {definition} -> {values}")
            if VARIABLES[var["name"]] not in values:
                failures.append(f"variable {var['name']} does not list "
                                f"{VARIABLES[var['name']]!r}: {values}")

        # Recording rules return data for our pod.
        for rec in ("edgekit_broker:hedge_rate:ratio_rate5m",
                    "edgekit_broker:hedge_win_rate:ratio_rate5m"):
            result = query(prom, f"{rec}{sel}")
            if not result:
                failures.append(f"recording rule {rec} has no data")
            else:
                print(f"  {rec} = {float(result[0]['value'][1]):.4f}")
        recorded_rate5m = query(prom, f"edgekit_broker:hedge_rate:ratio_rate5m{sel}")

        # Hedge rate Prometheus recorded vs extra calls the upstream saw.
        hedges = value(prom, f"sum(edgekit_broker_hedges_total{sel})")
        requests = value(prom, f"sum(edgekit_broker_requests_total{sel})")
        prom_rate = hedges / requests
        received = upstream_calls(args.bin, up)
        upstream_extra = received / calls - 1
        diff = abs(prom_rate - upstream_extra)
        print(f"hedge rate from Prometheus: {hedges:.0f} hedges / {requests:.0f} calls = "
              f"{prom_rate * 100:.2f}%; upstream saw {received} checks for {calls} calls = "
              f"{upstream_extra * 100:.2f}% extra; difference {diff * 100:.2f} pp (limit 1)")
        if requests != calls:
            failures.append(f"broker answered {requests:.0f} calls per Prometheus, loadgen "
                            f"made {calls}")
        if diff > 0.01:
            failures.append(f"hedge rate {prom_rate:.4f} vs upstream extra {upstream_extra:.4f}"
                            f" differ by more than 1 pp")
        if recorded_rate5m:
            r5 = float(recorded_rate5m[0]["value"][1])
            print(f"recorded edgekit_broker:hedge_rate:ratio_rate5m {r5 * 100:.2f}% "
                  f"(over the run's window; informational)")

        # promtool check metrics on the broker's exposition.
        exposition = get(f"http://127.0.0.1:{mport}/metrics")
        check = subprocess.run([args.promtool, "check", "metrics"], input=exposition,
                               capture_output=True, text=True)
        print(f"promtool check metrics: exit {check.returncode} "
              f"{(check.stdout + check.stderr).strip()}")
        if check.returncode != 0 or (check.stdout + check.stderr).strip():
            failures.append("promtool check metrics is not clean:\n" + check.stdout + check.stderr)
    except Exception as e:   # report, then clean up
        failures.append(f"{type(e).__name__}: {e}")
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)

    for msg in failures:
        print("FAIL:", msg)
    print("PASS" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
