#!/usr/bin/python3
"""`helm template` for the chart tests: values.schema.json check, then helm-render.

    helm_template.py HELM_RENDER [helm-render options] CHART_DIR

helm refuses to render values that break the chart's values.schema.json. helm-render
(tests/chart/helm-render) only renders, so this wrapper first asks it for the merged
values (`--values-json`: values.yaml, then each -f, then each --set, exactly what the
templates would see), validates them with python3-jsonschema using the draft the schema
names in "$schema" (draft-07 for charts/edgekit-gateway), and renders only if they pass.
On a schema error it prints, like helm,

    Error: values don't meet the specifications of the schema(s) in the following chart(s):
    <chart>:
    - <dotted.path or (root)>: <jsonschema message>

to stderr, nothing to stdout, and exits 1. Other exits are helm-render's (1 render
error, 2 bad command line). chart_test.py imports render() and schema_errors().
"""
import json
import os
import subprocess
import sys

import yaml

try:
    import jsonschema
except ImportError:  # a test dependency (scripts/install-deps.sh)
    jsonschema = None

# helm-render options that take a value; anything else not starting with "-" is CHART_DIR.
VALUE_OPTIONS = {"-f", "--values", "--set", "--api-versions", "--name", "-n", "--namespace"}


def chart_dir(args):
    """CHART_DIR from helm-render's arguments, or None if there is not exactly one."""
    found, i = [], 0
    while i < len(args):
        if args[i] in VALUE_OPTIONS:
            i += 1
        elif not args[i].startswith("-"):
            found.append(args[i])
        i += 1
    return found[0] if len(found) == 1 else None


def _run(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def load_schema(chart):
    """The chart's values.schema.json and its validator class, or (None, None)."""
    path = os.path.join(chart, "values.schema.json")
    if not os.path.exists(path):
        return None, None
    if jsonschema is None:
        raise RuntimeError("python3-jsonschema is not installed (scripts/install-deps.sh)")
    with open(path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    try:
        cls.check_schema(schema)  # a broken schema is an error, not "everything passes"
    except jsonschema.exceptions.SchemaError as e:
        where = "/".join(str(p) for p in e.absolute_path)
        raise RuntimeError(f"{path}: not a valid {cls.__name__} schema at {where or '(root)'}: {e.message}")
    return schema, cls


def error_path(err):
    return ".".join(str(p) for p in err.absolute_path) or "(root)"


def schema_errors(helm_render, args):
    """(errors, values_result): the schema violations of the merged values, sorted by
    path and message ([] if none or the chart has no schema), and helm-render's
    --values-json result. errors is None if helm-render failed (see values_result)."""
    r = _run([helm_render, "--values-json"] + list(args))
    if r.returncode != 0:
        return None, r
    chart = chart_dir(args)
    schema, cls = load_schema(chart) if chart else (None, None)
    if schema is None:
        return [], r
    errs = cls(schema).iter_errors(json.loads(r.stdout))
    return sorted(errs, key=lambda e: (error_path(e), e.message)), r


def chart_name(chart):
    with open(os.path.join(chart, "Chart.yaml")) as f:
        return (yaml.safe_load(f) or {}).get("name", os.path.basename(chart))


def format_errors(chart, errors):
    lines = [f"- {error_path(e)}: {e.message}" for e in errors]
    return ("Error: values don't meet the specifications of the schema(s) in the following "
            f"chart(s):\n{chart_name(chart)}:\n" + "\n".join(lines) + "\n")


def render(helm_render, args):
    """Validates, then renders; returns a subprocess.CompletedProcess either way."""
    args = list(args)
    errors, r = schema_errors(helm_render, args)
    if errors is None:
        return r
    if errors:
        return subprocess.CompletedProcess([helm_render] + args, 1, "",
                                           format_errors(chart_dir(args), errors))
    return _run([helm_render] + args)


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    try:
        r = render(argv[1], argv[2:])
    except RuntimeError as e:  # no jsonschema, or a broken values.schema.json
        print(f"Error: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    return r.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
