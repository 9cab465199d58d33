#!/usr/bin/env python3
"""The CLI's layering, checked on the #include lines (cli/CMakeLists.txt draws it), and
the broker's config library (broker/CMakeLists.txt: edgekit_broker_config), which the
CLI links to check the broker.yaml it writes with the broker's own rules: it may use
only itself, common, rules and the cache key, and never gRPC or Prometheus (the CLI
would then carry the broker's runtime).

Each folder may include only itself and the folders listed for it, so the libraries
depend one way: commands -> render | explain | validate | proto -> edge -> common. A cycle of
includes between files, anywhere in cli/ or common/, fails too, and so does a file under
cli/ longer than the size a reader can hold (600 lines; main.cc 150).

usage: layering_test.py SOURCE_DIR
"""
import os
import re
import sys

ALLOWED = {
    "cli/edge": {"cli/edge", "common"},
    "cli/proto": {"cli/proto", "common"},
    "cli/validate": {"cli/validate", "common"},
    # broker/config.h is the broker's config library (no gRPC): broker.yaml is checked
    # with the broker's own rules.
    "cli/render": {"cli/render", "cli/edge", "cli/proto", "common", "broker/config.h", "rules"},
    # explain reads what render wrote: its file types and names, not its renderers.
    "cli/explain": {"cli/explain", "cli/proto", "cli/edge", "common", "broker/config.h",
                    "rules", "cli/render/rendered_file.h", "cli/render/output_files.h"},
    "cli/commands": {"cli/commands", "cli/render", "cli/explain", "cli/validate", "cli/proto",
                     "cli/edge", "common"},
    "cli/main.cc": {"cli/commands"},
    "common": {"common"},
    "rules": {"rules", "common"},
    "broker-config": {"broker/config.h", "broker/settings.h", "broker/upstream_target.h",
                      "common", "rules", "cache/cache_key.h"},
}
# The broker config library's files (a layer named for the library, not a folder).
BROKER_CONFIG = ["broker/config.h", "broker/config.cc", "broker/settings.h",
                 "broker/upstream_target.h", "broker/upstream_target.cc"]
# Libraries the broker config library must not include.
RUNTIME_ONLY = ("grpcpp/", "grpc/", "prometheus/")
MAX_LINES = 600
MAX_MAIN_LINES = 150
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
OURS = ("cli/", "common/", "broker/", "rules/", "cache/")


def layer_of(path):
    """The ALLOWED key a file belongs to (longest match)."""
    if path in BROKER_CONFIG:
        return "broker-config"
    best = None
    for key in ALLOWED:
        if path == key or path.startswith(key + "/"):
            if best is None or len(key) > len(best):
                best = key
    return best


def permitted(layer, header):
    for target in ALLOWED[layer]:
        if header == target or header.startswith(target + "/"):
            return True
    return False


def sources(root):
    for top in ("cli", "common", "rules"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if name.endswith((".h", ".cc")):
                    full = os.path.join(dirpath, name)
                    yield os.path.relpath(full, root), full
    for rel in BROKER_CONFIG:
        yield rel, os.path.join(root, rel)


def find_cycle(graph):
    """One include cycle as a list of files, or None (iterative DFS, three colours)."""
    colour = {}
    for start in sorted(graph):
        if colour.get(start):
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
                continue
            if child not in graph:
                continue
            if colour.get(child) == 1:
                return path[path.index(child):] + [child]
            if not colour.get(child):
                colour[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return None


def main():
    root = sys.argv[1]
    problems = []
    graph = {}
    for rel, full in sources(root):
        with open(full, encoding="utf-8") as f:
            text = f.read()
        headers = [h for h in INCLUDE.findall(text) if h.startswith(OURS)]
        graph[rel] = set(headers)
        layer = layer_of(rel)
        if layer is None:
            problems.append(f"{rel}: in no layer of this test; add its folder to ALLOWED")
            continue
        if layer == "broker-config":
            for header in INCLUDE.findall(text):
                if header.startswith(RUNTIME_ONLY):
                    problems.append(f"{rel}: includes {header}: the broker config library "
                                    f"stays free of the broker's runtime (gRPC, Prometheus)")
        for header in headers:
            if not permitted(layer, header):
                problems.append(f"{rel}: includes {header}, which {layer} may not use "
                                f"(allowed: {', '.join(sorted(ALLOWED[layer]))})")
        if rel.startswith("cli/"):
            lines = text.count("\n")
            limit = MAX_MAIN_LINES if rel == "cli/main.cc" else MAX_LINES
            if lines > limit:
                problems.append(f"{rel}: {lines} lines, over {limit}: split it by concern")
    cycle = find_cycle(graph)
    if cycle:
        problems.append("include cycle: " + " -> ".join(cycle))
    for problem in problems:
        print(problem)
    print(f"{len(graph)} files checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
