#!/usr/bin/python3
"""Keeps the Dockerfile honest without a Docker engine.

  dockerfile_test.py --source-dir DIR --bin DIR [--protobuf-include DIR]

Checks, against the binaries this build produced:
  (a) the runtime stage's `apt-get install` list,
  (b) ... covers the Debian package of every shared library `ldd` shows for the binaries
      the runtime stage copies (`dpkg -S`), except the C/C++ runtime every image has;
  (c) the builder stage runs scripts/install-deps.sh and builds the binaries it copies,
      and those binaries exist in this build's bin directory;
  (d) USER is numeric and not root; plus ENTRYPOINT, EXPOSE, the protobuf well-known
      .proto files the CLI reads at run time, and .dockerignore.
Then it runs the same checks on broken copies of the Dockerfile and expects each to fail,
so the checks are known to be able to fail.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

# In every Debian 12 image, debian:12-slim included (essential or required by apt).
BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
EXPECTED_PORTS = {"9191", "9464"}
# Sanitizer runtimes (an EDGEKIT_SANITIZE=ON build runs this test too): the image is a
# Release build without them.
SANITIZER_LIB = re.compile(r"^lib(asan|ubsan|lsan|tsan)\.so")


class Stage:
    def __init__(self, base, name):
        self.base = base
        self.name = name
        self.instructions = []  # (KEYWORD, argument text)


def parse_dockerfile(text):
    """Returns the stages, each with its instructions; continuation lines joined."""
    logical, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue  # comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current:
        logical.append(current)
    stages = []
    for line in logical:
        keyword, _, arg = line.partition(" ")
        keyword = keyword.upper()
        arg = arg.strip()
        if keyword == "FROM":
            words = arg.split()
            words = [w for w in words if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif not stages:
            if keyword != "ARG":
                raise ValueError(f"{keyword} before the first FROM")
        else:
            stages[-1].instructions.append((keyword, arg))
    if not stages:
        raise ValueError("no FROM")
    return stages


def shell_commands(run_arg):
    """Splits a RUN's shell form into simple commands (on &&, ||, ;) as word lists."""
    try:
        words = shlex.split(run_arg, comments=True)
    except ValueError as e:
        raise ValueError(f"cannot split RUN {run_arg!r}: {e}")
    commands, current = [], []
    for w in words:
        if w in ("&&", "||", ";", "|"):
            if current:
                commands.append(current)
            current = []
        else:
            current.append(w)
    if current:
        commands.append(current)
    return commands


def apt_install_packages(stage):
    packages = []
    for keyword, arg in stage.instructions:
        if keyword != "RUN":
            continue
        for cmd in shell_commands(arg):
            if len(cmd) >= 2 and os.path.basename(cmd[0]) in ("apt-get", "apt") and \
                    "install" in cmd[1:]:
                after = cmd[cmd.index("install") + 1:]
                packages += [w for w in after if not w.startswith("-")]
    return packages


def copy_args(arg):
    words = shlex.split(arg)
    flags = {}
    while words and words[0].startswith("--"):
        key, _, value = words.pop(0)[2:].partition("=")
        flags[key] = value
    return flags, words[:-1], words[-1] if words else None


_ldd_cache = {}


def ldd_libraries(binary):
    """(soname, path) for each shared library ldd lists; path None if not found."""
    if binary not in _ldd_cache:
        _ldd_cache[binary] = _ldd(binary)
    return _ldd_cache[binary]


def _ldd(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"ldd {binary} failed: {out.stderr.strip()}")
    libs = []
    for line in out.stdout.splitlines():
        line = line.strip()
        m = re.match(r"^(\S+) => (\S+)", line)
        if m:
            libs.append((m.group(1), None if m.group(2) == "not" else m.group(2)))
            continue
        m = re.match(r"^(/\S+) \(0x", line)
        if m:
            libs.append((os.path.basename(m.group(1)), m.group(1)))
        # linux-vdso.so.1 (0x...) has no file: nothing to install.
    return libs


def toggle_usr(path):
    return path[len("/usr"):] if path.startswith("/usr/") else "/usr" + path


_dpkg_cache = {}


def packages_of(paths):
    """Maps each path to the Debian package owning it (None if none), with one
    dpkg-query call. dpkg records one spelling of each file, /lib or /usr/lib (merged
    /usr), and ldd may show a symlink: each spelling of each path is asked for."""
    todo = [p for p in paths if p not in _dpkg_cache]
    candidates = {}
    for p in todo:
        real = os.path.realpath(p)
        candidates[p] = [p, toggle_usr(p), real, toggle_usr(real)]
    asked = sorted({c for cs in candidates.values() for c in cs})
    owner = {}
    if asked:
        out = subprocess.run(["dpkg-query", "-S"] + asked, capture_output=True, text=True)
        for line in out.stdout.splitlines():
            # "libfoo1:amd64: /usr/lib/x86_64-linux-gnu/libfoo.so.1"
            pkgs, sep, path = line.rpartition(": ")
            if sep:
                owner[path.strip()] = pkgs.split(",")[0].split(":")[0].strip()
    for p in todo:
        _dpkg_cache[p] = next((owner[c] for c in candidates[p] if c in owner), None)
    return {p: _dpkg_cache[p] for p in paths}


def package_of(path):
    return packages_of([path])[path]


def check(dockerfile_text, dockerignore_text, bin_dir, protobuf_include, notes):
    """Returns the list of problems (empty = the Dockerfile is fine)."""
    errors = []
    try:
        stages = parse_dockerfile(dockerfile_text)
    except ValueError as e:
        return [f"Dockerfile does not parse: {e}"]
    if len(stages) < 2:
        errors.append("Dockerfile is not multi-stage (want a builder and a runtime stage)")
        return errors
    runtime, by_name = stages[-1], {s.name: s for s in stages if s.name}
    if not stages[0].base.startswith("debian:12"):
        errors.append(f"builder stage is based on {stages[0].base}, want debian:12")
    if runtime.base != "debian:12-slim":
        errors.append(f"runtime stage is based on {runtime.base}, want debian:12-slim")

    # (a) the runtime apt-get install list.
    runtime_packages = apt_install_packages(runtime)
    if not runtime_packages:
        errors.append("runtime stage has no `apt-get install` of its shared libraries")
    notes.append(f"runtime packages: {' '.join(runtime_packages)}")

    # What the runtime stage copies from other stages.
    copied = []  # (stage, source path, destination)
    for keyword, arg in runtime.instructions:
        if keyword in ("COPY", "ADD"):
            flags, sources, dest = copy_args(arg)
            for src in sources:
                copied.append((flags.get("from"), src, dest))

    # (c) builder: install-deps.sh, a Release cmake build, the binaries it copies.
    builder_name = None
    binaries = []  # (name, destination dir)
    for frm, src, dest in copied:
        if frm is not None and frm in by_name and "/bin/" in src:
            builder_name = frm
            binaries.append((os.path.basename(src), dest))
    builder = by_name.get(builder_name)
    if builder is None:
        errors.append("runtime stage copies no binaries (COPY --from=<builder> .../bin/X)")
        return errors
    if builder.base != "debian:12":
        errors.append(f"builder stage {builder_name} is based on {builder.base}, "
                      "want debian:12 (the packages install-deps.sh names)")
    builder_cmds = [c for k, a in builder.instructions if k == "RUN"
                    for c in shell_commands(a)]
    if not any(os.path.normpath(w).endswith("scripts/install-deps.sh")
               for c in builder_cmds for w in c[:2]):
        errors.append(f"builder stage {builder_name} does not run scripts/install-deps.sh")
    cmake_cmds = [c for c in builder_cmds if os.path.basename(c[0]) == "cmake"]
    if not any("-DCMAKE_BUILD_TYPE=Release" in c for c in cmake_cmds):
        errors.append("builder stage does not configure with -DCMAKE_BUILD_TYPE=Release")
    targets = None
    for c in cmake_cmds:
        if "--build" in c and "--target" in c:
            targets = set(c[c.index("--target") + 1:]) - {"--"}
            targets = {t for t in targets if not t.startswith("-")}
    if not any("--build" in c for c in cmake_cmds):
        errors.append("builder stage never runs `cmake --build`")
    for name, dest in binaries:
        if targets is not None and name not in targets:
            errors.append(f"the runtime stage copies {name} but the builder only builds "
                          f"--target {' '.join(sorted(targets))}")
        path = os.path.join(bin_dir, name)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            errors.append(f"the runtime stage copies {name}, which is not a build output "
                          f"({path} does not exist)")
        if dest.rstrip("/") != "/usr/local/bin":
            errors.append(f"{name} is copied to {dest}, want /usr/local/bin/")
    names = {n for n, _ in binaries}
    for want in ("edgekit-broker", "edgekit"):
        if want not in names:
            errors.append(f"the runtime stage does not copy {want}")

    # (b) every library the binaries load comes from a listed package.
    needed = {}  # package -> set of "binary: soname"
    for name, _ in binaries:
        path = os.path.join(bin_dir, name)
        if not os.path.isfile(path):
            continue
        libs = ldd_libraries(path)
        owners = packages_of([lib for _, lib in libs if lib])
        for soname, lib in libs:
            if SANITIZER_LIB.match(soname):
                notes.append(f"{name}: ignoring sanitizer runtime {soname}")
                continue
            if lib is None:
                errors.append(f"{name}: ldd cannot find {soname} on this machine")
                continue
            pkg = owners[lib]
            if pkg is None:
                errors.append(f"{name}: {lib} belongs to no Debian package (dpkg -S); "
                              "a library built outside Debian cannot be apt-installed")
                continue
            needed.setdefault(pkg, {}).setdefault(name, []).append(soname)
    missing = sorted(p for p in needed if p not in BASE_PACKAGES
                     and p not in runtime_packages)
    for pkg in missing:
        users = []
        for binary, sonames in sorted(needed[pkg].items()):
            more = f" and {len(sonames) - 2} more" if len(sonames) > 2 else ""
            users.append(f"{binary} ({', '.join(sorted(sonames)[:2])}{more})")
        errors.append(f"runtime stage does not install {pkg}, needed by "
                      f"{'; '.join(users)}")
    if missing:
        errors.append(f"missing runtime packages: {' '.join(missing)}")
    unused = sorted(set(runtime_packages) - set(needed))
    if unused:
        notes.append(f"warning: runtime packages no binary loads a library from: "
                     f"{' '.join(unused)}")
    notes.append("needed (ldd + dpkg -S): " +
                 " ".join(sorted(p for p in needed if p not in BASE_PACKAGES)) +
                 f"; already in the base image: {' '.join(sorted(BASE_PACKAGES & needed.keys()))}")

    # The protobuf well-known types the CLI reads at run time.
    if protobuf_include:
        wkt_dir = os.path.join(protobuf_include, "google/protobuf").rstrip("/")
        provided = any(frm is not None and
                       dest.rstrip("/") == wkt_dir and src.rstrip("/").endswith(
                           "google/protobuf")
                       for frm, src, dest in copied)
        owner = package_of(os.path.join(wkt_dir, "descriptor.proto"))
        if owner and owner in runtime_packages:
            provided = True
        if not provided:
            errors.append(f"runtime stage provides no {wkt_dir}/*.proto (edgekit reads the "
                          f"well-known types there; COPY them from the builder or install "
                          f"{owner or 'the package shipping them'})")

    # (d) numeric non-root USER, in effect at the end of the runtime stage.
    users = [a for k, a in runtime.instructions if k == "USER"]
    if not users:
        errors.append("runtime stage has no USER: the container would run as root")
    else:
        user = users[-1]
        uid, _, gid = user.partition(":")
        if not uid.isdigit():
            errors.append(f"USER {user}: the user must be numeric (Kubernetes runAsNonRoot "
                          "cannot verify a name)")
        elif int(uid) == 0:
            errors.append(f"USER {user}: runs as root")
        if gid and not gid.isdigit():
            errors.append(f"USER {user}: the group must be numeric")

    entry = [a for k, a in runtime.instructions if k == "ENTRYPOINT"]
    if not entry:
        errors.append("runtime stage has no ENTRYPOINT")
    else:
        e = entry[-1]
        first = (__import__("json").loads(e)[0] if e.startswith("[") else e.split()[0])
        if os.path.basename(first) != "edgekit-broker":
            errors.append(f"ENTRYPOINT is {e}, want edgekit-broker (exec form)")
        if not e.startswith("["):
            errors.append("ENTRYPOINT is in shell form: SIGTERM would not reach the broker")
    ports = {p.split("/")[0] for k, a in runtime.instructions if k == "EXPOSE"
             for p in a.split()}
    if not EXPECTED_PORTS <= ports:
        errors.append(f"EXPOSE {' '.join(sorted(ports))}: want {' '.join(sorted(EXPECTED_PORTS))}")

    if dockerignore_text is not None:
        ignored = {l.strip().rstrip("/") for l in dockerignore_text.splitlines()
                   if l.strip() and not l.startswith("#")}
        for want in ("build*", ".git"):
            if want not in ignored:
                errors.append(f".dockerignore does not exclude {want}")
    else:
        errors.append("no .dockerignore: build trees and .git would go into the context")
    return errors


def mutations(text):
    """Broken variants of the Dockerfile, each with the problem the check must report."""
    runtime_at = text.rindex("\nFROM ")
    head, tail = text[:runtime_at], text[runtime_at:]
    yield ("drop libgrpc++1.51 from the runtime list",
           head + re.sub(r"\n\s*libgrpc\+\+1\.51 \\", "", tail, count=1),
           ["does not install libgrpc++1.51"])
    yield ("drop libabsl20220623 and libyaml-cpp0.7",
           head + re.sub(r"\n\s*(libabsl20220623|libyaml-cpp0\.7) \\", "", tail),
           ["does not install libabsl20220623", "does not install libyaml-cpp0.7"])
    yield ("USER 0", re.sub(r"(?m)^USER .*$", "USER 0", text), ["runs as root"])
    yield ("USER nobody", re.sub(r"(?m)^USER .*$", "USER nobody", text), ["must be numeric"])
    yield ("no USER", re.sub(r"(?m)^USER .*$", "", text), ["no USER"])
    yield ("builder without install-deps.sh",
           re.sub(r"scripts/install-deps\.sh &&", "apt-get update &&", text),
           ["does not run scripts/install-deps.sh"])
    yield ("copies a binary the build does not make",
           text.replace("/build/bin/edgekit-broker /", "/build/bin/edgekit-brokerd /", 1),
           ["edgekit-brokerd, which is not a build output"])
    yield ("no well-known protos",
           re.sub(r"(?m)^COPY --from=\S+ /out/include/google/protobuf/.*$", "", text),
           ["google/protobuf/*.proto"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--bin", required=True, help="the build's bin directory")
    ap.add_argument("--protobuf-include", default="",
                    help="EDGEKIT_PROTOBUF_INCLUDE_DIR (holds google/protobuf/*.proto)")
    args = ap.parse_args()

    dockerfile = os.path.join(args.source_dir, "Dockerfile")
    with open(dockerfile) as f:
        text = f.read()
    ignore_path = os.path.join(args.source_dir, ".dockerignore")
    ignore = open(ignore_path).read() if os.path.exists(ignore_path) else None

    notes = []
    errors = check(text, ignore, args.bin, args.protobuf_include, notes)
    for n in notes:
        print(n)
    for e in errors:
        print(f"{dockerfile}: error: {e}", file=sys.stderr)

    # The checks must be able to fail: each broken copy must be reported.
    blind = []
    for what, broken, expect in mutations(text):
        if broken == text:
            blind.append(f"{what}: the mutation did not apply (Dockerfile layout changed?)")
            continue
        found = check(broken, ignore, args.bin, args.protobuf_include, [])
        if not all(any(x in e for e in found) for x in expect):
            blind.append(f"{what}: not reported (want {expect!r}; got {found})")
    if check(text, "", args.bin, args.protobuf_include, []) == errors:
        blind.append("an empty .dockerignore: not reported")
    for b in blind:
        print(f"self-check: error: {b}", file=sys.stderr)

    if errors or blind:
        print(f"FAIL: {len(errors)} problem(s) in the Dockerfile, "
              f"{len(blind)} self-check failure(s)", file=sys.stderr)
        return 1
    print(f"ok: Dockerfile matches the binaries in {args.bin}; "
          f"{sum(1 for _ in mutations(text))} broken variants all rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
