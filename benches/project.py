#!/usr/bin/env python3
"""Benchmark for `muslbuild build`. Prints a table, never asserts.

The project: three C programs (one linked with readline when muslbuild has libraries),
one Go program and an [image], for x86_64, aarch64 and armv7. Measured:

1. cold: a fresh copy of the project in a new folder with an empty build cache (`builds/`)
   and an empty Go build cache, but warm library prefixes, probes and zig's own cache:
   what a first build on a set-up machine costs;
2. no-op: `muslbuild build` again with nothing changed (median of N runs): no compiler,
   configure or `go build` runs; the report says `cached` for every artifact;
3. one file: one .c file changed: that artifact is rebuilt for the three targets.

Usage: python3 benches/project.py [runs] [path/to/muslbuild]
(default: target/debug/muslbuild, built with `cargo build`; pass a release binary to
measure what users get).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
BINARY = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "target", "debug", "muslbuild")
READLINE = os.environ.get("BENCH_READLINE", "1") == "1"

FILES = {
    "src/hello.c": '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n',
    "src/count.c": '#include <stdio.h>\nint main(int c, char **v) { (void)v; printf("%d\\n", c - 1); return 0; }\n',
    "src/repl.c": (
        "#include <stdio.h>\n#include <stdlib.h>\n"
        "#include <readline/readline.h>\n#include <readline/history.h>\n"
        "int main(void) { char *l; while ((l = readline(\"> \"))) { add_history(l); puts(l); free(l); } return 0; }\n"
    ),
    "go.mod": "module example.com/bench\n\ngo 1.21\n",
    "cmd/server/main.go": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("server") }\n',
}


def project_toml(readline):
    repl = (
        '[c.repl]\nsources = ["src/repl.c"]\nlibs = ["readline"]\n'
        if readline
        else '[c.repl]\nsources = ["src/hello.c"]\n'
    )
    return f"""[project]
targets = ["x86_64", "aarch64", "armv7"]

[c.hello]
sources = ["src/hello.c"]

[c.count]
sources = ["src/count.c"]

{repl}
[go.server]
package = "./cmd/server"

[image]
tag = "bench:1"
"""


def write_project(folder, readline):
    for name, text in FILES.items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    with open(os.path.join(folder, "muslbuild.toml"), "w") as f:
        f.write(project_toml(readline))


def build(folder, env):
    start = time.perf_counter()
    out = subprocess.run(
        [BINARY, "build", "--json"], cwd=folder, env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"muslbuild build failed:\n{out.stderr}")
    report = json.loads(out.stdout)
    built = sum(1 for a in report["artifacts"] if a["state"] == "built")
    return elapsed, built, len(report["artifacts"])


def main():
    if not os.path.exists(BINARY):
        subprocess.run(["cargo", "build", "--quiet"], cwd=ROOT, check=True)
    home = os.environ.get("MUSLBUILD_HOME") or tempfile.mkdtemp(prefix="muslbuild-bench-home-")
    env = dict(os.environ, MUSLBUILD_HOME=home)
    env.pop("SOURCE_DATE_EPOCH", None)
    work = tempfile.mkdtemp(prefix="muslbuild-bench-")
    try:
        # Warm up libraries, probes and zig's libc, in a folder of its own.
        warm = os.path.join(work, "warm")
        write_project(warm, READLINE)
        try:
            build(warm, env)
            readline = READLINE
        except SystemExit as e:
            if not READLINE:
                raise
            print(f"(readline unavailable, building without it: {str(e).splitlines()[-1]})")
            readline = False
            write_project(warm, False)
            build(warm, env)

        # Cold: a new folder, no build cache, no Go build cache.
        for sub in ["builds", "go-build"]:
            shutil.rmtree(os.path.join(home, sub), ignore_errors=True)
        project = os.path.join(work, "project")
        write_project(project, readline)
        cold, cold_built, total = build(project, env)

        noops = []
        for _ in range(RUNS):
            elapsed, built, _ = build(project, env)
            assert built == 0, f"no-op rebuild built {built} artifacts"
            noops.append(elapsed)
        noop = statistics.median(noops)

        with open(os.path.join(project, "src/count.c"), "a") as f:
            f.write("/* changed */\n")
        one, one_built, _ = build(project, env)

        what = "3 C (one with readline)" if readline else "3 C"
        print(f"\nmuslbuild build: {what} + 1 Go + image, 3 targets ({total} artifacts)")
        print(f"binary: {os.path.relpath(BINARY, ROOT)}, no-op median of {RUNS} runs\n")
        print(f"| {'build':<34} | {'time':>8} | {'built':>5} | {'vs cold':>7} |")
        print(f"|{'-' * 36}|{'-' * 10}|{'-' * 7}|{'-' * 9}|")
        print(f"| {'cold (warm library cache)':<34} | {cold:>7.2f}s | {cold_built:>5} | {1:>6.2f}x |")
        print(f"| {'no-op rebuild':<34} | {noop:>7.3f}s | {0:>5} | {noop / cold:>6.3f}x |")
        print(f"| {'one .c file changed':<34} | {one:>7.2f}s | {one_built:>5} | {one / cold:>6.2f}x |")
        print(f"\ngoals: no-op <= 0.3 s ({'met' if noop <= 0.3 else 'missed'}), "
              f"<= 0.1x cold ({'met' if noop <= 0.1 * cold else 'missed'})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
