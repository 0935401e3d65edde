#!/usr/bin/env python3
"""Benchmark for the core build. Prints two tables, never asserts:

1. Overhead: `muslbuild --target x86_64 examples/hello.c` with its toolchain probed and
   cached, against the very compiler command muslbuild runs (taken from its `-v` output),
   median of N runs, per toolchain; both sides compile for real (a fresh -D per run), and
   muslbuild's build-cache hit is shown beside them.
2. Size of hello per target and toolchain, beside a direct `musl-gcc -static` build and a
   glibc `gcc -static` build.

Usage: python3 benches/core.py [runs]   (builds target/release/muslbuild first)
"""
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HELLO = os.path.join(ROOT, "examples", "hello.c")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15


def build_release():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "release", "muslbuild")


def timed(argv, env=None, cwd=None):
    start = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def compiler_command(muslbuild, toolchain, work, define):
    """The compile command muslbuild runs, from -v, with its output redirected."""
    out = subprocess.run(
        [muslbuild, "-v", "--toolchain", toolchain, "--target", "x86_64", f"-D{define}", HELLO],
        cwd=work, check=True, capture_output=True, text=True,
    )
    line = [l for l in out.stderr.splitlines() if l.startswith("+ ") and "-ffunction-sections" in l][-1]
    words = shlex.split(line[2:])
    env = dict(os.environ)
    while "=" in words[0] and not words[0].startswith("/"):
        key, value = words.pop(0).split("=", 1)
        env[key] = value
    words[words.index("-o") + 1] = os.path.join(work, "direct-hello")
    if "-MF" in words:
        # muslbuild records the headers through a depfile; the direct command writes one too.
        words[words.index("-MF") + 1] = os.path.join(work, "direct-hello.d")
    return words, env


def overhead(muslbuild):
    """Each run gets its own -DBENCH_RUN=i, so neither muslbuild's build cache nor zig's
    own cache can answer: both sides really compile. The last column is muslbuild's
    build-cache hit (same inputs again), for comparison."""
    print(f"Overhead: warm-toolchain build of examples/hello.c for x86_64, median of {RUNS} runs")
    print(f"{'toolchain':<10} {'muslbuild':>10} {'direct':>10} {'ratio':>7} {'cache hit':>10}")
    for toolchain in ["zig", "musl-gcc"]:
        work = tempfile.mkdtemp()
        try:
            mine, theirs, hits = [], [], []
            for i in range(RUNS):
                define = f"BENCH_RUN={toolchain}{i}{time.time_ns()}"
                # muslbuild first (its -v run is not timed), then the same command direct.
                direct, env = compiler_command(muslbuild, toolchain, work, define + "x")
                mine.append(timed([muslbuild, "-q", "--toolchain", toolchain, "--target", "x86_64",
                                   f"-D{define}", HELLO], cwd=work))
                direct[direct.index(f"-D{define}x")] = f"-D{define}y"
                theirs.append(timed(direct, env=env, cwd=work))
                hits.append(timed([muslbuild, "-q", "--toolchain", toolchain, "--target", "x86_64",
                                   f"-D{define}", HELLO], cwd=work))
            m, t, h = statistics.median(mine), statistics.median(theirs), statistics.median(hits)
            print(f"{toolchain:<10} {m * 1000:>8.1f}ms {t * 1000:>8.1f}ms {m / t:>7.3f} {h * 1000:>8.1f}ms")
        finally:
            shutil.rmtree(work)
    print()


def size_of(path):
    return os.path.getsize(path)


def sizes(muslbuild):
    print("Size of hello (bytes; stripped, static)")
    targets = ["x86_64", "aarch64", "armv7"]
    print(f"{'build':<34}" + "".join(f"{t:>10}" for t in targets))
    work = tempfile.mkdtemp()
    try:
        for toolchain in ["zig", "musl-gcc"]:
            out = os.path.join(work, toolchain)
            subprocess.run([muslbuild, "-q", "--toolchain", toolchain, "--target", "all", "--out-dir", out, HELLO],
                           check=True, cwd=work)
            row = [size_of(os.path.join(out, t, "hello")) for t in targets]
            print(f"{'muslbuild --toolchain ' + toolchain:<34}" + "".join(f"{s:>10}" for s in row))
        direct = {
            "x86_64": ["musl-gcc"],
            "aarch64": ["aarch64-linux-gnu-gcc", "-specs", "/usr/lib/aarch64-linux-musl/musl-gcc.specs"],
            "armv7": ["arm-linux-gnueabihf-gcc", "-specs", "/usr/lib/arm-linux-musleabihf/musl-gcc.specs"],
        }
        row = []
        for t in targets:
            exe = os.path.join(work, f"direct-{t}")
            subprocess.run(direct[t] + ["-static", "-Os", "-s", HELLO, "-o", exe], check=True)
            row.append(size_of(exe))
        print(f"{'direct musl-gcc -static -Os -s':<34}" + "".join(f"{s:>10}" for s in row))
        exe = os.path.join(work, "glibc")
        subprocess.run(["gcc", "-static", "-Os", "-s", HELLO, "-o", exe], check=True)
        print(f"{'glibc gcc -static -Os -s':<34}{size_of(exe):>10}{'-':>10}{'-':>10}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    binary = build_release()
    overhead(binary)
    sizes(binary)
