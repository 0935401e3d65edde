#!/usr/bin/env bash
# Vendored project benchmark. Prints ratios, never asserts on time.
#
#   edit:  one `.c` edit in a vendored autotools program (less 590, with ncurses) against
#          its cold build (configure + make + install), per target. Goal: ratio <= 0.10.
#   no-op: `muslbuild build` again with nothing changed. Goal: <= 0.3 s.
#
# The ncurses prefixes are built (or found in the cache) before the cold build is timed,
# so the cold time is the program's own.
#
# Usage: benches/vendor.sh [targets]   (default "x86_64 aarch64 armv7")
# Needs: a muslbuild in target/ (MUSLBUILD_BIN to choose), the toolchains and sources
# that scripts/setup-test-env.sh installs. Uses the cache in $MUSLBUILD_HOME (default: a
# fresh one in the work folder, so library builds are paid once).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
targets=${1:-"x86_64 aarch64 armv7"}
bin=${MUSLBUILD_BIN:-$here/target/debug/muslbuild}
sources=$here/target/test-sources
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MUSLBUILD_HOME=${MUSLBUILD_HOME:-$work/cache}
[ -x "$bin" ] || { echo "bench: build muslbuild first (cargo build)" >&2; exit 2; }
[ -f "$sources/less_590.orig.tar.gz" ] || { echo "bench: run scripts/setup-test-env.sh first" >&2; exit 2; }

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

echo "vendored project: less 590 (autotools, ncurses), musl-gcc / GNU cross gcc + musl specs"
printf '%-8s %10s %10s %8s %10s\n' target cold_s edit_s ratio noop_s
for target in $targets; do
  dir=$work/$target
  mkdir -p "$dir"
  tar -xzf "$sources/less_590.orig.tar.gz" -C "$dir"
  cat > "$dir/muslbuild.toml" <<EOF
[project]
targets = ["$target"]
toolchain = "musl-gcc"
source-dirs = ["$sources"]

[vendor.less]
path = "less-590"
libs = ["ncurses"]
programs = ["less"]
EOF
  (cd "$dir" && "$bin" -q lib build ncurses --target "$target" --toolchain musl-gcc --source-dir "$sources" >/dev/null)
  t0=$(now); (cd "$dir" && "$bin" -q build >/dev/null); t1=$(now)
  echo "int bench_edit_marker;" >> "$dir/less-590/version.c"
  t2=$(now); (cd "$dir" && "$bin" -q build >/dev/null); t3=$(now)
  t4=$(now); (cd "$dir" && "$bin" -q build >/dev/null); t5=$(now)
  cold=$(calc "$t1 - $t0"); edit=$(calc "$t3 - $t2"); noop=$(calc "$t5 - $t4")
  printf '%-8s %10s %10s %8s %10s\n' "$target" "$cold" "$edit" "$(calc "$edit / $cold")" "$noop"
done
