#!/usr/bin/python3
"""Tests of charts/edgekit-gateway, rendered with tests/chart/helm-render (no helm here).

One ctest test per case: chart_test.py --case NAME --bin BUILD/bin --source SRC [--crds F].
Each case renders the chart and checks behaviour: structure and wiring, the real Istio
CRD schemas, the real broker's --check-config, equality with `edgekit render ext-authz`,
values.schema.json rejections, the istio/gateway values file, and copied files.
Every chart render goes through helm_template.py: the merged values are checked against
values.schema.json with python3-jsonschema first, and invalid values are not rendered.
Exit 0 pass, 1 fail (a missing CRD file fails: ../shared/schemas must be next to the
repository, where CI has it).
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import helm_template  # noqa: E402  (tests/chart/helm_template.py)

RELEASE, NAMESPACE = "istio-ingressgateway", "istio-system"


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class Ctx:
    def __init__(self, args):
        self.bin = args.bin
        self.src = args.source
        self.crds = args.crds
        self.chart = os.path.join(self.src, "charts", "edgekit-gateway")
        self.testdata = os.path.join(self.src, "tests", "chart", "testdata")
        self.tmp = tempfile.mkdtemp(prefix="chart-test-")
        self.helm_render = os.path.join(self.bin, "helm-render")

    def run(self, argv, **kw):
        return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)

    def helm_args(self, *extra, notes=False):
        return (["--name", RELEASE, "--namespace", NAMESPACE] + list(extra) +
                (["--notes"] if notes else []) + [self.chart])

    def render_raw(self, *extra, notes=False):
        """Like `helm template`: schema check (helm_template.py), then helm-render."""
        return helm_template.render(self.helm_render, self.helm_args(*extra, notes=notes))

    def schema_errors(self, *extra):
        """[(path, jsonschema keyword, message)] for the merged values."""
        errors, r = helm_template.schema_errors(self.helm_render, self.helm_args(*extra))
        check(errors is not None, f"helm-render --values-json {extra} failed: {r.stderr}")
        return [(helm_template.error_path(e), e.validator, e.message) for e in errors]

    def merged_values(self, *extra):
        r = self.run([self.helm_render, "--values-json"] + self.helm_args(*extra))
        check(r.returncode == 0, f"helm-render --values-json {extra} failed: {r.stderr}")
        return json.loads(r.stdout)

    def render(self, *extra):
        """Renders and parses; returns (text, [docs])."""
        r = self.render_raw(*extra)
        check(r.returncode == 0, f"helm-render {extra} failed: {r.stderr}")
        docs = [d for d in yaml.safe_load_all(r.stdout) if d is not None]
        return r.stdout, docs

    def values(self, name):
        return ["-f", os.path.join(self.testdata, name)]


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def one(docs, kind, name=None):
    found = [d for d in by_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    check(len(found) == 1, f"want one {kind} {name or ''}, got {len(found)}")
    return found[0]


def broker_container(docs):
    dep = one(docs, "Deployment")
    cs = {c["name"]: c for c in dep["spec"]["template"]["spec"]["containers"]}
    check(set(cs) == {"istio-proxy", "edgekit-broker"}, f"containers: {sorted(cs)}")
    return cs["edgekit-broker"]


def broker_config(docs):
    dep = one(docs, "Deployment")
    vols = dep["spec"]["template"]["spec"]["volumes"]
    cm_name = [v["configMap"]["name"] for v in vols if v["name"] == "edgekit-broker-config"][0]
    return one(docs, "ConfigMap", cm_name)["data"]["broker.yaml"]


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def check_structure(ctx, docs, expect):
    """Common checks of a rendered chart; `expect` names the settings that vary."""
    kinds = sorted({d["kind"] for d in docs})
    for k in expect["present"]:
        check(k in kinds, f"{k} missing; kinds: {kinds}")
    for k in expect["absent"]:
        check(k not in kinds, f"{k} should be absent; kinds: {kinds}")
    for d in docs:
        check(d["metadata"].get("namespace") in (NAMESPACE, expect.get("dashboard_ns")),
              f"{d['kind']} {d['metadata']['name']}: namespace {d['metadata'].get('namespace')}")

    dep = one(docs, "Deployment")
    pod = dep["spec"]["template"]
    labels, ann = pod["metadata"]["labels"], pod["metadata"]["annotations"]
    sel = dep["spec"]["selector"]["matchLabels"]
    check(matches(sel, labels), f"Deployment selector {sel} does not match pod labels {labels}")
    for k, v in expect["gateway_labels"].items():
        check(labels.get(k) == v, f"pod label {k}={labels.get(k)}, want {v}")
    check(labels.get("sidecar.istio.io/inject") == "true", "pod label sidecar.istio.io/inject")
    check(ann.get("inject.istio.io/templates") == "gateway", "inject.istio.io/templates")
    check(len(ann.get("checksum/config", "")) == 64, "checksum/config annotation")
    if expect["hpa"]:
        check("replicas" not in dep["spec"], "replicas set although the HPA owns them")
        hpa = one(docs, "HorizontalPodAutoscaler")
        check(hpa["apiVersion"] == "autoscaling/v2", "HPA apiVersion")
        check(hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                "name": dep["metadata"]["name"]}, "HPA target")
        check(hpa["spec"]["minReplicas"] == expect["hpa"][0] and
              hpa["spec"]["maxReplicas"] == expect["hpa"][1], "HPA min/max")
    else:
        check(dep["spec"]["replicas"] == 2, "replicas")

    spec = pod["spec"]
    proxy = [c for c in spec["containers"] if c["name"] == "istio-proxy"][0]
    check(proxy["image"] == "auto", "istio-proxy image must be auto")
    b = broker_container(docs)
    check(b["command"] == ["/usr/local/bin/edgekit-broker"], f"command {b['command']}")
    check(b["image"] == expect["image"], f"image {b['image']}")
    check(f"--shutdown-delay={expect['shutdown_delay']}" in b["args"], f"args {b['args']}")
    check("--config=/etc/edgekit-broker/broker.yaml" in b["args"], f"args {b['args']}")
    mounts = {m["name"]: m for m in b["volumeMounts"]}
    check(mounts["edgekit-broker-config"]["mountPath"] == "/etc/edgekit-broker", "config mount")
    check(mounts["edgekit-broker-config"].get("readOnly") is True, "config mount readOnly")

    # Probes on the metrics port, which serves /healthz and /readyz.
    mport = expect["metrics_port"]
    ports = {p["name"]: p["containerPort"] for p in b["ports"]}
    check(ports.get("broker-metrics") == mport, f"metrics port {ports}")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", expect["readiness"])):
        g = b[probe]["httpGet"]
        port = ports.get(g["port"], g["port"])  # a name resolves to the container port
        check(g["path"] == path and port == mport, f"{probe} {g}")

    # Restrictive securityContext, and resources with requests and limits.
    sc = b["securityContext"]
    check(sc.get("runAsNonRoot") is True, "runAsNonRoot")
    check(isinstance(sc.get("runAsUser"), int) and sc["runAsUser"] > 0, "numeric non-root runAsUser")
    check(sc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem")
    check(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation")
    check(sc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities drop ALL")
    check(sc.get("seccompProfile") == {"type": "RuntimeDefault"}, "seccompProfile")
    for part in ("requests", "limits"):
        check({"cpu", "memory"} <= set(b["resources"].get(part, {})), f"resources.{part}")

    # Grace period covers shutdown delay + drain timeout.
    check(spec["terminationGracePeriodSeconds"] == expect["grace"],
          f"terminationGracePeriodSeconds {spec['terminationGracePeriodSeconds']}, want {expect['grace']}")

    # The broker config listens where the ServiceEntry points.
    cfg = yaml.safe_load(broker_config(docs))
    check(cfg["listen"] == f"127.0.0.1:{expect['port']}", f"listen {cfg['listen']}")
    check(cfg["metrics_listen"] == f"0.0.0.0:{mport}", f"metrics_listen {cfg['metrics_listen']}")
    se = one(docs, "ServiceEntry")
    check(se["spec"]["ports"][0]["number"] == expect["port"], "ServiceEntry port")

    svc = [s for s in by_kind(docs, "Service") if s["spec"]["type"] == "LoadBalancer"]
    check(len(svc) == 1, "one LoadBalancer Service")
    svc = svc[0]
    check(matches(svc["spec"]["selector"], labels), "Service selector does not match the pod")
    check({p["port"] for p in svc["spec"]["ports"]} == {80, 443, 15021}, "Service ports")
    check(all(p["port"] != mport for p in svc["spec"]["ports"]), "metrics port exposed publicly")
    pdb = one(docs, "PodDisruptionBudget")
    check(matches(pdb["spec"]["selector"]["matchLabels"], labels), "PDB selector")
    check(pdb["spec"] == {"selector": pdb["spec"]["selector"], **expect["pdb"]}, f"PDB {pdb['spec']}")
    ap = one(docs, "AuthorizationPolicy")
    check(matches(ap["spec"]["selector"]["matchLabels"], labels), "AuthorizationPolicy selector")

    pm = by_kind(docs, "PodMonitor")
    if expect["podmonitor"]:
        check(len(pm) == 1, "PodMonitor")
        check(matches(pm[0]["spec"]["selector"]["matchLabels"], labels), "PodMonitor selector")
        ep = pm[0]["spec"]["podMetricsEndpoints"][0]
        check(ep["port"] == "broker-metrics" and ep["path"] == "/metrics", f"PodMonitor endpoint {ep}")

    dash = [d for d in by_kind(docs, "ConfigMap") if d["metadata"]["labels"].get("grafana_dashboard") == "1"]
    check(len(dash) == 1, "dashboard ConfigMap")
    with open(os.path.join(ctx.src, "charts", "dashboards", "edgekit-broker.json")) as f:
        check(json.loads(dash[0]["data"]["edgekit-broker.json"]) == json.load(f),
              "dashboard ConfigMap content differs from the dashboard JSON")
    check(dash[0]["metadata"]["namespace"] == expect.get("dashboard_ns", NAMESPACE), "dashboard namespace")


def case_render(ctx):
    text, docs = ctx.render()
    check(text.startswith("---\n# Source: edgekit-gateway/templates/"), "helm template style output")
    check("<no value>" not in text, "<no value> in output")
    check_structure(ctx, docs, {
        "present": ["Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "ServiceAccount",
                    "Role", "RoleBinding", "ServiceEntry", "AuthorizationPolicy"],
        "absent": ["HorizontalPodAutoscaler", "PodMonitor", "ServiceMonitor", "PrometheusRule"],
        "gateway_labels": {"istio": "ingressgateway"}, "hpa": None, "podmonitor": False,
        "image": "ghcr.io/edgekit/edgekit:0.1.0", "shutdown_delay": "5s",
        "metrics_port": 9464, "port": 9191, "grace": 30, "pdb": {"minAvailable": 1},
        "readiness": "/readyz"})
    print(f"default render: {len(docs)} documents, {len(text)} bytes")

    nd = ctx.values("nondefault-values.yaml")
    _, docs2 = ctx.render(*nd)
    check_structure(ctx, docs2, {
        "present": ["HorizontalPodAutoscaler", "PodMonitor", "PrometheusRule"],
        "absent": ["ServiceMonitor"],
        "gateway_labels": {"istio": "edge", "team": "platform"}, "hpa": (3, 12), "podmonitor": True,
        "image": "registry.example.com/edgekit-broker:0.1.0-test", "shutdown_delay": "10s",
        "metrics_port": 9565, "port": 9292, "grace": 35, "pdb": {"maxUnavailable": 1},
        "dashboard_ns": "monitoring", "readiness": "/healthz"})
    b = broker_container(docs2)
    check(b["args"][-1] == "--worker-threads=4", "extraArgs")
    cfg = yaml.safe_load(broker_config(docs2))
    check(cfg["limits"]["max_message_bytes"] == 8388608, "large integers must stay integers")
    check(cfg["hedging"]["budget"] == 0.05 and cfg["hedging"]["max_attempts"] == 3, "hedging")
    ann = one(docs2, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    check(ann.get("example.com/owner") == "platform", "podAnnotations")

    # The PrometheusRule carries the rules of charts/alerts unchanged.
    pr = one(docs2, "PrometheusRule")
    with open(os.path.join(ctx.src, "charts", "alerts", "edgekit-broker.prometheusrule.yaml")) as f:
        check(pr["spec"] == yaml.safe_load(f)["spec"], "PrometheusRule spec differs from charts/alerts")

    # The checksum changes with the config, and only then.
    def checksum(*extra):
        return one(ctx.render(*extra)[1], "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
    base = checksum()
    check(checksum("--set", "replicaCount=3") == base, "checksum changed without a config change")
    check(checksum("--set", "broker.config.hedging.max_attempts=3") != base, "checksum ignores broker.config")
    check(checksum("--set", "broker.port=9300") != base, "checksum ignores broker.port")

    # ServiceMonitor variant: a headless metrics Service that the ServiceMonitor selects.
    _, docs3 = ctx.render("--set", "metrics.serviceMonitor.enabled=true")
    sm = one(docs3, "ServiceMonitor")
    msvc = [s for s in by_kind(docs3, "Service") if s["spec"].get("clusterIP") == "None"]
    check(len(msvc) == 1, "headless metrics Service")
    check(matches(sm["spec"]["selector"]["matchLabels"], msvc[0]["metadata"]["labels"]),
          "ServiceMonitor does not select the metrics Service")
    pod_labels = one(docs3, "Deployment")["spec"]["template"]["metadata"]["labels"]
    check(matches(msvc[0]["spec"]["selector"], pod_labels), "metrics Service selector")
    check(sm["spec"]["endpoints"][0]["port"] == msvc[0]["spec"]["ports"][0]["name"] == "broker-metrics",
          "ServiceMonitor port")
    r = ctx.render_raw("--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.podMonitor.enabled=true")
    check(r.returncode != 0 and "enable one" in r.stderr, f"both monitors must fail: {r.stderr}")

    # The transcoder's descriptor ConfigMap (what `edgekit render` writes past 256 KiB),
    # mounted into istio-proxy where the EnvoyFilter's proto_descriptor points.
    check(not one(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0].get("volumeMounts"),
          "no descriptor mount by default")
    _, docs5 = ctx.render("--set", "proxy.transcodingDescriptorConfigMap=edgekit-transcoding-descriptor")
    pod = one(docs5, "Deployment")["spec"]["template"]["spec"]
    proxy = [c for c in pod["containers"] if c["name"] == "istio-proxy"][0]
    mount = proxy["volumeMounts"][0]
    check(mount["mountPath"] == "/etc/edgekit/transcoding" and mount["readOnly"], f"descriptor mount: {mount}")
    vol = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    check(len(vol) == 1 and vol[0]["configMap"]["name"] == "edgekit-transcoding-descriptor",
          f"descriptor volume: {pod['volumes']}")

    # Toggles off.
    _, docs4 = ctx.render("--set", "dashboard.enabled=false,extAuthz.enabled=false,podDisruptionBudget.enabled=false")
    kinds = {d["kind"] for d in docs4}
    check(not kinds & {"ServiceEntry", "AuthorizationPolicy", "PodDisruptionBudget"}, f"toggles: {kinds}")
    check(len(by_kind(docs4, "ConfigMap")) == 1, "dashboard toggle")

    notes = ctx.render_raw(notes=True)
    check(notes.returncode == 0 and "meshConfig:" in notes.stdout, "NOTES.txt")


def istio_docs(docs):
    return [d for d in docs if d.get("apiVersion", "").split("/")[0].endswith("istio.io")]


def case_istio_crds(ctx):
    if not os.path.exists(ctx.crds):
        print(f"FAIL: Istio CRD schemas not found at {ctx.crds} (../shared/schemas next to "
              "the repository)", file=sys.stderr)
        return 1
    for name, extra in (("default", []), ("nondefault", ctx.values("nondefault-values.yaml"))):
        _, docs = ctx.render(*extra)
        ist = istio_docs(docs)
        check({d["kind"] for d in ist} == {"ServiceEntry", "AuthorizationPolicy"}, f"{name}: Istio kinds")
        path = os.path.join(ctx.tmp, f"istio-{name}.yaml")
        with open(path, "w") as f:
            yaml.safe_dump_all(ist, f)
        # edgekit validate reports "no CRD schema" for core kinds, so only Istio objects go in.
        r = ctx.run([os.path.join(ctx.bin, "edgekit"), "validate", "--crds", ctx.crds, path])
        check(r.returncode == 0, f"{name}: edgekit validate failed:\n{r.stderr}")
        print(f"{name}: {r.stderr.strip().splitlines()[-1]}")
    # The check can fail: a bad enum value is caught.
    _, docs = ctx.render()
    bad = copy.deepcopy(istio_docs(docs))
    for d in bad:
        if d["kind"] == "ServiceEntry":
            d["spec"]["resolution"] = "STATICALLY"
    path = os.path.join(ctx.tmp, "istio-bad.yaml")
    with open(path, "w") as f:
        yaml.safe_dump_all(bad, f)
    r = ctx.run([os.path.join(ctx.bin, "edgekit"), "validate", "--crds", ctx.crds, path])
    check(r.returncode == 1 and "resolution" in r.stderr, f"validator accepted a bad ServiceEntry: {r.stderr}")


def run_check_config(ctx, docs, tag):
    """Runs the real broker with the rendered args and ConfigMap; returns the result."""
    cfg = os.path.join(ctx.tmp, f"broker-{tag}.yaml")
    with open(cfg, "w") as f:
        f.write(broker_config(docs))
    args = [a.replace("/etc/edgekit-broker/broker.yaml", cfg) for a in broker_container(docs)["args"]]
    check(any(cfg in a for a in args), f"no --config in args {args}")
    return ctx.run([os.path.join(ctx.bin, "edgekit-broker")] + args + ["--check-config"])


def case_check_config(ctx):
    for tag, extra, want in (("default", [], "shutdown_delay=5s"),
                             ("nondefault", ctx.values("nondefault-values.yaml"),
                              "cache=[authorization,cookie] ttl=30s")):
        _, docs = ctx.render(*extra)
        r = run_check_config(ctx, docs, tag)
        check(r.returncode == 0, f"{tag}: --check-config exit {r.returncode}: {r.stderr}{r.stdout}")
        check(want in r.stdout + r.stderr, f"{tag}: summary lacks {want}: {r.stdout}{r.stderr}")
        print(f"{tag}: {(r.stdout + r.stderr).strip()}")
    # Direct responses, rules-only: the broker takes the rendered rules, and the pods are
    # not rolled on a config change (the broker reloads the ConfigMap itself).
    _, docs = ctx.render(*ctx.values("direct-responses-values.yaml"))
    r = run_check_config(ctx, docs, "rules")
    check(r.returncode == 0, f"rules: --check-config exit {r.returncode}: {r.stderr}{r.stdout}")
    check("direct_responses=2 rules (1 CIDRs) rules_only" in r.stdout and "upstream=none" in r.stdout,
          f"rules: summary {r.stdout}")
    ann = one(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    check("checksum/config" not in ann, f"restartOnConfigChange false still rolls pods: {ann}")
    _, default_docs = ctx.render()
    check("checksum/config" in one(default_docs, "Deployment")["spec"]["template"]["metadata"]
          ["annotations"], "by default a config change rolls the pods")
    r = ctx.render_raw(*ctx.values("bad-rule-schema-values.yaml"))
    check(r.returncode == 1 and "broker.config.direct_responses.rules.0.name" in r.stderr,
          f"a bad rule name is refused by the schema: {r.returncode} {r.stderr}")
    # Rejected by the schema, before the broker sees it.
    r = ctx.render_raw(*ctx.values("bad-hedging-schema-values.yaml"))
    check(r.returncode == 1 and r.stdout == "" and
          "- broker.config.hedging.max_attempts: 9 is greater than the maximum of 5" in r.stderr,
          f"max_attempts 9 not rejected by the schema: {r.stderr}")
    r = ctx.render_raw(*ctx.values("bad-cache-schema-values.yaml"))
    check(r.returncode == 1 and r.stdout == "" and
          "broker.config.cache.key_headers.0" in r.stderr,
          f"an uppercase cache key header not rejected by the schema: {r.stderr}")
    # Valid per field, so the schema passes it; the broker refuses it.
    _, docs = ctx.render(*ctx.values("bad-hedging-broker-values.yaml"))
    r = run_check_config(ctx, docs, "bad")
    check(r.returncode == 2 and "hedging.delay_min: must be <= hedging.delay_max" in r.stderr,
          f"broker accepted delay_min > delay_max: exit {r.returncode} {r.stderr}")


def ext_authz_flags(values):
    """`edgekit render ext-authz` flags for the chart's values."""
    e, b = values["extAuthz"], values["broker"]
    flags = ["--namespace", NAMESPACE, "--upstream", b["config"]["upstream"]["target"],
             "--provider-name", e["providerName"], "--port", str(b["port"]), "--host", e["host"],
             "--service-entry-name", e["serviceEntryName"], "--policy-name", e["policyName"],
             "--timeout", e["timeout"], "--status-on-error", str(e["statusOnError"])]
    for k, v in values["labels"].items():
        flags += ["--selector", f"{k}={v}"]
    if e["failOpen"]:
        flags.append("--fail-open")
    for p in e["excludePaths"]:
        flags += ["--exclude-path", p]
    for c in e["excludeCidrs"]:
        flags += ["--exclude-cidr", c]
    return flags


def deep_merge(base, over):
    """Helm's merge of a values file: maps merge, anything else replaces, null deletes."""
    out = dict(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def case_ext_authz(ctx):
    with open(os.path.join(ctx.chart, "values.yaml")) as f:
        defaults = yaml.safe_load(f)
    for name, files in (("default", []), ("nondefault", ["nondefault-values.yaml"])):
        values = defaults
        extra = []
        for fn in files:
            with open(os.path.join(ctx.testdata, fn)) as f:
                values = deep_merge(values, yaml.safe_load(f))
            extra += ctx.values(fn)
        _, docs = ctx.render(*extra)
        # The stream carries the cluster objects; the istiod values are asked for by name.
        r = ctx.run([os.path.join(ctx.bin, "edgekit"), "render", "ext-authz"] + ext_authz_flags(values) +
                    ["--only", "ext-authz.yaml", "--only", "ext-authz-istiod-values.yaml"])
        check(r.returncode == 0, f"edgekit render ext-authz: {r.stderr}")
        rendered = [d for d in yaml.safe_load_all(r.stdout) if d]
        for kind in ("ServiceEntry", "AuthorizationPolicy"):
            mine, theirs = one(docs, kind), one(rendered, kind)
            check(mine["spec"] == theirs["spec"],
                  f"{name} {kind} spec differs:\nchart: {mine['spec']}\nedgekit: {theirs['spec']}")
            check((mine["apiVersion"], mine["metadata"]["name"], mine["metadata"]["namespace"]) ==
                  (theirs["apiVersion"], theirs["metadata"]["name"], theirs["metadata"]["namespace"]),
                  f"{name} {kind} apiVersion/name/namespace differ")
        # NOTES.txt's istiod values equal the CLI's istiod values document.
        notes = ctx.render_raw(*extra, notes=True).stdout
        begin, end = "# --- istiod values begin ---\n", "# --- istiod values end ---"
        check(begin in notes and end in notes, "NOTES.txt lacks the istiod values")
        mine = yaml.safe_load(notes.split(begin)[1].split(end)[0])
        theirs = [d for d in rendered if "meshConfig" in d and "kind" not in d]
        check(len(theirs) == 1 and mine == theirs[0], f"{name}: NOTES istiod values {mine} != {theirs}")
        print(f"{name}: ServiceEntry, AuthorizationPolicy and meshConfig provider match edgekit render ext-authz")


def case_schema(ctx):
    """values.schema.json, checked by python3-jsonschema in helm_template.py."""
    check(helm_template.jsonschema is not None, "python3-jsonschema missing (scripts/install-deps.sh)")
    jsonschema = helm_template.jsonschema
    with open(os.path.join(ctx.chart, "values.schema.json")) as f:
        schema = json.load(f)
    check(jsonschema.validators.validator_for(schema, default=None) is jsonschema.Draft7Validator,
          f"values.schema.json should declare draft-07, has $schema {schema.get('$schema')!r}")
    jsonschema.Draft7Validator.check_schema(schema)

    # A bad values file: exactly these errors, each naming the bad key or value.
    bad = ctx.values("bad-schema-values.yaml")
    errs = ctx.schema_errors(*bad)
    want = [("(root)", "additionalProperties", "'replicas' was unexpected"),
            ("broker.config.hedging", "additionalProperties", "'maxAttempts' was unexpected"),
            ("replicaCount", "type", "'two' is not of type 'integer'")]
    check([(p, k) for p, k, _ in errs] == [(p, k) for p, k, _ in want] and
          all(w in m for (_, _, m), (_, _, w) in zip(errs, want)), f"bad-schema-values.yaml: {errs}")
    r = ctx.render_raw(*bad)
    check(r.returncode == 1, f"bad values accepted (exit {r.returncode})")
    for msg in ("Error: values don't meet the specifications of the schema(s) in the following chart(s):\n"
                "edgekit-gateway:\n",
                "- (root): Additional properties are not allowed ('replicas' was unexpected)",
                "- replicaCount: 'two' is not of type 'integer'",
                "- broker.config.hedging: Additional properties are not allowed ('maxAttempts' was unexpected)"):
        check(msg in r.stderr, f"missing {msg!r} in:\n{r.stderr}")
    check(r.stdout == "", "output written despite the schema error")

    # --set values: one error each, at the bad key, from the expected keyword.
    for bad, path, keyword, msg in (
            (["--set", "broker.shutdownDelay=5"], "broker.shutdownDelay", "type", "5 is not of type 'string'"),
            (["--set", "broker.shutdownDelay=5 seconds"], "broker.shutdownDelay", "pattern",
             "'5 seconds' does not match"),
            (["--set", "service.type=Ingress"], "service.type", "enum", "'Ingress' is not one of"),
            (["--set", "broker.config.listen=0.0.0.0:9191"], "broker.config", "additionalProperties",
             "('listen' was unexpected)"),
            (["--set", "broker.config.upstream.target=null"], "broker.config.upstream", "required",
             "'target' is a required property")):
        errs = ctx.schema_errors(*bad)
        check(len(errs) == 1 and errs[0][:2] == (path, keyword) and msg in errs[0][2],
              f"{bad}: want one {keyword} error at {path} ({msg!r}), got {errs}")
        r = ctx.render_raw(*bad)
        check(r.returncode == 1 and r.stdout == "" and f"- {path}: " in r.stderr and msg in r.stderr,
              f"{bad}: want {path}: {msg!r}, got exit {r.returncode}: {r.stderr}")
        r = ctx.render_raw(*bad, notes=True)
        check(r.returncode == 1 and r.stdout == "", f"{bad}: NOTES rendered despite the schema error")

    # Verdicts on the test values files; the values validated are the ones rendered
    # (helm-render --values-json equals values.yaml merged with the file).
    with open(os.path.join(ctx.chart, "values.yaml")) as f:
        defaults = deep_merge({}, yaml.safe_load(f))  # a null in values.yaml deletes its key too
    for fn, valid in (("nondefault-values.yaml", True), ("bad-schema-values.yaml", False),
                      ("bad-hedging-schema-values.yaml", False), ("bad-hedging-broker-values.yaml", True),
                      (None, True)):
        values, extra = defaults, []
        if fn:
            with open(os.path.join(ctx.testdata, fn)) as f:
                values = deep_merge(defaults, yaml.safe_load(f))
            extra = ctx.values(fn)
        check(ctx.merged_values(*extra) == values, f"{fn or 'defaults'}: helm-render --values-json "
              "differs from values.yaml merged with the file")
        errs = ctx.schema_errors(*extra)
        check((errs == []) == valid, f"{fn or 'defaults'}: want valid={valid}, schema errors {errs}")
        r = ctx.render_raw(*extra)
        check((r.returncode == 0) == valid, f"{fn or 'defaults'}: want valid={valid}, exit {r.returncode}")
    print("schema rejections OK (python3-jsonschema %s, draft-07)" % jsonschema_version())


def jsonschema_version():
    try:
        from importlib import metadata
        return metadata.version("jsonschema")
    except Exception:
        return "?"


def check_same_broker_pod(docs, container, volumes, grace, what):
    """`container` (from `what`) equals the chart's default broker container field by
    field, its mounts have volumes, and the pod's grace period is the chart's."""
    mine = broker_container(docs)
    for key in sorted(set(mine) | set(container)):
        check(mine.get(key) == container.get(key),
              f"{key} differs:\nchart: {mine.get(key)}\n{what}: {container.get(key)}")
    mounts = {m["name"] for m in container["volumeMounts"]}
    check(mounts <= {v["name"] for v in volumes}, "volumeMounts without a volume")
    chart_grace = one(docs, "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    check(grace == chart_grace, "terminationGracePeriodSeconds")


def case_istio_gateway_values(ctx):
    path = os.path.join(ctx.src, "charts", "istio-gateway-values", "edgekit-broker-values.yaml")
    with open(path) as f:
        vals = yaml.safe_load(f)
    _, docs = ctx.render()
    mine = broker_container(docs)
    theirs = [c for c in vals["additionalContainers"] if c["name"] == "edgekit-broker"]
    check(len(theirs) == 1, "no edgekit-broker in additionalContainers")
    check_same_broker_pod(docs, theirs[0], vals["volumes"], vals["terminationGracePeriodSeconds"],
                          "values file")
    with open(os.path.join(ctx.src, "charts", "istio-gateway-values", "broker.yaml")) as f:
        check(yaml.safe_load(f) == yaml.safe_load(broker_config(docs)),
              "istio-gateway-values/broker.yaml differs from the chart's default broker config")
    print("istio/gateway values file matches the chart's broker container")


def case_gateway_api_parameters(ctx):
    """The broker container `edgekit render` adds on a Gateway API gateway (through the
    Gateway's parametersRef ConfigMap) is the chart's, as the multi-team-gateway-api
    example's checked-in output has it."""
    path = os.path.join(ctx.src, "examples", "multi-team-gateway-api", "rendered",
                        "gateway-parameters.yaml")
    with open(path) as f:
        maps = [d for d in yaml.safe_load_all(f) if d]
    params = [m for m in maps if m["metadata"]["name"].endswith("-edgekit")]
    check(len(params) == 1, "no parameters ConfigMap in gateway-parameters.yaml")
    # istiod refuses a parameters ConfigMap with any other key.
    allowed = {"deployment", "service", "serviceAccount", "horizontalPodAutoscaler",
               "podDisruptionBudget"}
    check(set(params[0]["data"]) <= allowed, f"keys istiod refuses: {sorted(params[0]['data'])}")
    pod = yaml.safe_load(params[0]["data"]["deployment"])["spec"]["template"]["spec"]
    theirs = [c for c in pod["containers"] if c["name"] == "edgekit-broker"]
    check(len(theirs) == 1, "no edgekit-broker container in the deployment overlay")
    _, docs = ctx.render()
    check_same_broker_pod(docs, theirs[0], pod["volumes"], pod["terminationGracePeriodSeconds"],
                          "edgekit render")
    config_maps = {m["metadata"]["name"] for m in maps}
    for v in pod["volumes"]:
        check(v["configMap"]["name"] in config_maps, f"volume {v['name']}: ConfigMap not rendered")
    print("edgekit render's broker container on Gateway API matches the chart's")


def case_files_sync(ctx):
    pairs = (("charts/dashboards/edgekit-broker.json", "charts/edgekit-gateway/dashboards/edgekit-broker.json"),
             ("charts/alerts/edgekit-broker.prometheusrule.yaml",
              "charts/edgekit-gateway/alerts/edgekit-broker.prometheusrule.yaml"))
    for src, copy_ in pairs:
        with open(os.path.join(ctx.src, src), "rb") as a, open(os.path.join(ctx.src, copy_), "rb") as b:
            check(a.read() == b.read(), f"{copy_} differs from {src}: run `cp {src} {copy_}`")
    print("chart copies are byte-identical")


def case_renderer(ctx):
    """tests/chart/helm-render (and helm_template.py's schema check) against hand-written
    expectations of Helm's behaviour."""
    chart = os.path.join(ctx.testdata, "semantics")
    hr = os.path.join(ctx.bin, "helm-render")
    r = ctx.run([hr, "--name", "rel", "--namespace", "ns", "-f", os.path.join(chart, "override.yaml"),
                 "--set", "keep=b,flag=true,count=007", "--set", "num=12", chart])
    check(r.returncode == 0, f"render failed: {r.stderr}")
    with open(os.path.join(ctx.testdata, "semantics.golden.yaml")) as f:
        want = f.read()
    check(r.stdout == want, f"output differs from semantics.golden.yaml:\n{r.stdout}")
    r = ctx.run([hr, "--set", "needIt.other=1", chart])
    check(r.returncode == 1 and "Error: execution error at (semantics/templates/c-required.yaml:2:10): "
          "needIt.value is required" in r.stderr, f"required: {r.stderr}")
    # --values-json: the merged .Values the templates see (drop deleted by null, numbers
    # from files and --set integers as JSON numbers, "007" a string), nothing rendered.
    r = ctx.run([hr, "--values-json", "-f", os.path.join(chart, "override.yaml"),
                 "--set", "keep=b,flag=true,count=007", "--set", "num=12", chart])
    check(r.returncode == 0 and r.stdout.endswith("}\n") and r.stdout.count("\n") == 1, f"values-json: {r.stdout!r}")
    check(json.loads(r.stdout) == {"big": 4194304, "small": 1, "ratio": 0.5, "keep": "b", "flag": True,
                                   "count": "007", "num": 12, "nested": {"p": 1, "q": 3, "r": 4},
                                   "list": ["b", "a"], "tplText": "{{ .Release.Name }}-tpl"},
          f"values-json: {r.stdout}")
    # values.schema.json: helm-render alone renders anything; helm_template.py refuses
    # values that break the schema, as helm does, and names the key.
    r = ctx.run([hr, "--set", "small=0", chart])
    check(r.returncode == 0 and "  small: 0\n" in r.stdout, f"helm-render alone: {r.returncode} {r.stderr}")
    r = helm_template.render(hr, ["--set", "small=0", chart])
    check(r.returncode == 1 and r.stdout == "" and "\nsemantics:\n- small: 0 is less than the minimum of 1\n"
          in r.stderr, f"schema: {r.stderr}")
    r = helm_template.render(hr, ["--name", "rel", "--namespace", "ns", "-f", os.path.join(chart, "override.yaml"),
                                  "--set", "keep=b,flag=true,count=007", "--set", "num=12", chart])
    check(r.returncode == 0 and r.stdout == want, f"helm_template.py output differs from helm-render's: {r.stderr}")
    r = ctx.run([hr, "--notes", "--name", "rel", chart])
    check(r.stdout == "Notes for rel.\n", f"notes: {r.stdout!r}")
    r = ctx.run([hr, "--bogus", chart])
    check(r.returncode == 2 and "usage:" in r.stderr, f"usage error: {r.stderr}")
    r = helm_template.render(hr, ["--bogus", chart])
    check(r.returncode == 2 and "usage:" in r.stderr and r.stdout == "", f"usage error via helm_template.py: {r.stderr}")
    print("helm-render semantics OK")


CASES = {"renderer": case_renderer, "render": case_render, "istio_crds": case_istio_crds, "check_config": case_check_config,
         "ext_authz": case_ext_authz, "schema": case_schema,
         "istio_gateway_values": case_istio_gateway_values, "files_sync": case_files_sync,
         "gateway_api_parameters": case_gateway_api_parameters}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--case", required=True, choices=sorted(CASES))
    p.add_argument("--bin", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--crds", default="")
    args = p.parse_args()
    try:
        rc = CASES[args.case](Ctx(args)) or 0
    except (Fail, RuntimeError) as e:  # RuntimeError: helm_template.py without jsonschema
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
