#!/usr/bin/env python3
"""Benchmark for the corpus of real programs. Prints tables, never asserts.

The corpus is tests/corpus/<program>/muslbuild.toml with the Debian source tarballs from
target/test-sources (scripts/setup-test-env.sh). Measured, per program and target:

1. cold: the vendored project in a new folder (library prefixes, probes and zig's cache
   warm in the cache home given), and the artifact sizes;
2. one .c edit: one source file of the project changed (a comment appended, so the
   build really recompiles it), then `muslbuild build` again: make re-runs in the kept
   build tree, configure does not. Goal: <= 0.10 of the cold build;
3. no-op: `muslbuild build` again with nothing changed (median of N). Goal: <= 0.3 s;
4. sizes against Debian's dynamic build: the program from Debian's binary package plus
   every shared library it needs (DT_NEEDED, transitively) except glibc's own, read from
   the packages `apt-get download` fetches for that architecture. Goal: ratio <= 1.0.

Usage: python3 benches/corpus.py [programs,comma,separated] [path/to/muslbuild]
Environment: BENCH_HOME (cache home, default target/tmp/bench-corpus-home), RUNS (5).
"""
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = os.path.join(ROOT, "target", "test-sources")
PROGRAMS = (sys.argv[1] if len(sys.argv) > 1 else "less,htop,lua,sqlite3").split(",")
BINARY = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "target", "debug", "muslbuild")
HOME = os.environ.get("BENCH_HOME", os.path.join(ROOT, "target", "tmp", "bench-corpus-home"))
RUNS = int(os.environ.get("RUNS", "5"))
TARGETS = ["x86_64", "aarch64", "armv7"]
DEBIAN_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7": "armhf"}

# program -> (source tarball, file edited, Debian binary package, path of the program in it)
CORPUS = {
    "less": ("less_590.orig.tar.gz", "less-590/version.c", "less", "usr/bin/less"),
    "htop": ("htop_3.2.2.orig.tar.gz", "htop-3.2.2/Meter.c", "htop", "usr/bin/htop"),
    "lua": ("lua5.4_5.4.4.orig.tar.gz", "lua-5.4.4/src/lua.c", "lua5.4", "usr/bin/lua5.4"),
    "sqlite3": ("sqlite3_3.40.1.orig.tar.xz", "sqlite3-3.40.1/src/shell.c.in", "sqlite3", "usr/bin/sqlite3"),
}
# Debian packages that hold the shared libraries the corpus needs.
LIBRARY_PACKAGES = ["libtinfo6", "libncursesw6", "libreadline8", "liblua5.4-0", "libsqlite3-0", "zlib1g", "libnl-3-200", "libnl-genl-3-200"]
GLIBC = ("libc.so", "libm.so", "libdl.so", "libpthread.so", "ld-linux", "librt.so")


def build(project, target, extra=()):
    env = dict(os.environ, MUSLBUILD_HOME=HOME, MUSLBUILD_OFFLINE="1", MUSLBUILD_SOURCE_DIRS=SOURCES)
    start = time.perf_counter()
    subprocess.run([BINARY, "build", "--target", target, "-q", *extra], cwd=project, env=env, check=True)
    return time.perf_counter() - start


def unpack(workdir, program):
    archive, *_ = CORPUS[program]
    project = os.path.join(workdir, program)
    os.makedirs(project)
    shutil.copy(os.path.join(ROOT, "tests", "corpus", program, "muslbuild.toml"), project)
    subprocess.run(["tar", "-xf", os.path.join(SOURCES, archive), "-C", project], check=True)
    return project


def readelf_needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    return [line.split("[")[1].split("]")[0] for line in out.splitlines() if "(NEEDED)" in line]


def debian_size(program, arch, downloads):
    """Size of Debian's program plus its non-glibc shared libraries, or None."""
    _, _, package, path = CORPUS[program]
    root = os.path.join(downloads, arch)
    if not os.path.isdir(root):
        os.makedirs(root)
        for name in [package for _, _, package, _ in CORPUS.values()] + LIBRARY_PACKAGES:
            subprocess.run(["apt-get", "download", f"{name}:{arch}"], cwd=root, capture_output=True)
        for deb in glob.glob(os.path.join(root, "*.deb")):
            subprocess.run(["dpkg-deb", "-x", deb, os.path.join(root, "x")], check=True)
    binary = os.path.join(root, "x", path)
    if not os.path.isfile(binary):
        return None
    sonames = {}
    for lib in glob.glob(os.path.join(root, "x", "**", "*.so*"), recursive=True):
        sonames.setdefault(os.path.basename(lib), os.path.realpath(lib))
    total, seen, todo, missing = os.path.getsize(binary), set(), readelf_needed(binary), []
    while todo:
        name = todo.pop()
        if name in seen or name.startswith(GLIBC):
            continue
        seen.add(name)
        if name not in sonames:
            missing.append(name)
            continue
        total += os.path.getsize(sonames[name])
        todo.extend(readelf_needed(sonames[name]))
    return total, sorted(seen), missing


def main():
    print(f"muslbuild: {BINARY}\ncache home: {HOME}\n")
    rows = []
    downloads = tempfile.mkdtemp(prefix="bench-corpus-debs-")
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as work:
        for program in PROGRAMS:
            for target in TARGETS:
                project = unpack(os.path.join(work, f"{program}-{target}"), program)
                cold = build(project, target)
                edited = os.path.join(project, CORPUS[program][1])
                with open(edited, "a") as f:
                    f.write("\n/* benchmark edit */\n")
                edit = build(project, target)
                noops = [build(project, target) for _ in range(RUNS)]
                size = os.path.getsize(os.path.join(project, "dist", target, program))
                debian = debian_size(program, DEBIAN_ARCH[target], downloads)
                rows.append((program, target, cold, edit, statistics.median(noops), size, debian))
                print(f"{program:8} {target:8} cold {cold:7.1f}s  edit {edit:6.1f}s ({edit / cold:.3f}x)  "
                      f"no-op {statistics.median(noops):.3f}s  size {size / 1024:.1f} KiB", flush=True)
    print("\n| program | target | cold | one .c edit | edit/cold | no-op | size | Debian (dynamic + libs) | size ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for program, target, cold, edit, noop, size, debian in rows:
        if debian:
            dsize, libs, missing = debian
            deb = f"{dsize / 1024:.1f} KiB ({', '.join(libs) or 'no libs'}{'; missing ' + ', '.join(missing) if missing else ''})"
            ratio = f"{size / dsize:.2f}"
        else:
            deb, ratio = "n/a (package not downloadable)", "n/a"
        print(f"| {program} | {target} | {cold:.1f} s | {edit:.1f} s | {edit / cold:.3f} | {noop:.3f} s | "
              f"{size / 1024:.1f} KiB | {deb} | {ratio} |")
    shutil.rmtree(downloads, ignore_errors=True)


if __name__ == "__main__":
    main()
