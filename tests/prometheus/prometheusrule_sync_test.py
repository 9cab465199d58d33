#!/usr/bin/python3
"""Checks charts/alerts/edgekit-broker.prometheusrule.yaml against the plain rules file.

The PrometheusRule's spec.groups must equal the plain file's groups (parsed), and the file
must be exactly what charts/alerts/generate-prometheusrule.py writes (so it is regenerated,
not hand-edited). Also checks the dashboard JSON parses and every panel query filters on
the namespace and pod variables.
"""
import importlib.util
import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALERTS = os.path.join(ROOT, "charts", "alerts")
failures = []

with open(os.path.join(ALERTS, "edgekit-broker.rules.yaml")) as f:
    plain = yaml.safe_load(f)
with open(os.path.join(ALERTS, "edgekit-broker.prometheusrule.yaml")) as f:
    text = f.read()
rule = yaml.safe_load(text)

if rule.get("apiVersion") != "monitoring.coreos.com/v1" or rule.get("kind") != "PrometheusRule":
    failures.append(f"not a monitoring.coreos.com/v1 PrometheusRule: {rule.get('apiVersion')} {rule.get('kind')}")
if set(rule.get("spec", {})) != {"groups"}:
    failures.append(f"spec has keys {sorted(rule.get('spec', {}))}, want only groups")
if set(plain) != {"groups"}:
    failures.append(f"plain rules file has keys {sorted(plain)}, want only groups")
if rule.get("spec", {}).get("groups") != plain.get("groups"):
    failures.append("PrometheusRule spec.groups differ from edgekit-broker.rules.yaml groups")

spec = importlib.util.spec_from_file_location(
    "gen", os.path.join(ALERTS, "generate-prometheusrule.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
if gen.render() != text:
    failures.append("edgekit-broker.prometheusrule.yaml is stale: run "
                    "charts/alerts/generate-prometheusrule.py")

names = {r.get("record") or r.get("alert") for g in plain["groups"] for r in g["rules"]}
want = {"edgekit_broker:hedge_rate:ratio_rate5m", "edgekit_broker:hedge_win_rate:ratio_rate5m",
        "EdgekitBrokerHedgeRateHigh", "EdgekitBrokerHedgesThrottled",
        "EdgekitBrokerUpstreamErrors", "EdgekitBrokerNotReady", "EdgekitBrokerConfigReloadFailing",
        "edgekit_broker:cache_hit:ratio_rate5m", "EdgekitBrokerServingStaleDecisions"}
if names != want:
    failures.append(f"rules {sorted(names)}, want {sorted(want)}")
for g in plain["groups"]:
    for r in g["rules"]:
        if "alert" in r:
            a = r.get("annotations", {})
            if not a.get("summary") or not a.get("description"):
                failures.append(f"{r['alert']}: summary and description annotations required")
            if "severity" not in r.get("labels", {}):
                failures.append(f"{r['alert']}: severity label required")

with open(os.path.join(ROOT, "charts", "dashboards", "edgekit-broker.json")) as f:
    dash = json.load(f)
variables = {v["name"]: v for v in dash["templating"]["list"]}
if variables.get("datasource", {}).get("query") != "prometheus":
    failures.append("dashboard: datasource variable of type prometheus missing")
for v in ("namespace", "pod"):
    if v not in variables:
        failures.append(f"dashboard: variable {v} missing")
for p in dash["panels"]:
    if p.get("datasource", {}).get("uid") != "${datasource}":
        failures.append(f"panel {p['title']!r}: datasource is not ${{datasource}}")
    for t in p.get("targets", []):
        expr = t["expr"]
        selectors = re.findall(r"edgekit_broker_\w+\{([^}]*)\}", expr)
        bare = re.findall(r"edgekit_broker_\w+(?![\w{])", expr)
        if bare or not selectors or any(
                'namespace=~"$namespace"' not in s or 'pod=~"$pod"' not in s for s in selectors):
            failures.append(f"panel {p['title']!r}: query does not filter every metric on "
                            f"namespace/pod: {expr}")

for msg in failures:
    print("FAIL:", msg)
print(f"{len(names)} rules, {len(dash['panels'])} panels checked")
sys.exit(1 if failures else 0)
