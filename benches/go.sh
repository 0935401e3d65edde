#!/usr/bin/env bash
# Go build overhead: `muslbuild` against the very `go build` it runs (same env, same
# flags, copied from `muslbuild -v`), warm Go build cache, median of N runs each,
# alternating so machine noise hits both alike. Goal: ratio <= 1.05.
# Then the sizes of the hello and net/http examples per target.
#
#   benches/go.sh [RUNS]          (default 9; MUSLBUILD=path overrides the binary)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-9}
muslbuild=${MUSLBUILD:-$here/target/release/muslbuild}
if [ ! -x "$muslbuild" ]; then
  (cd "$here" && cargo build --release --quiet)
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MUSLBUILD_HOME=${MUSLBUILD_HOME:-$work/cache}
export GOPROXY=off GOTOOLCHAIN=local
unset GOFLAGS CGO_CFLAGS CGO_LDFLAGS

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

bench() {
  local example=$1 target=$2
  local src=$here/examples/go/$example
  local out=$work/dist-$example-$target
  # Warm-up: fills the Go build cache and muslbuild's probe records; captures the command.
  local direct
  direct=$("$muslbuild" -v -t "$target" --out-dir "$out" "$src" 2>&1 >/dev/null | grep -m1 '^+ cd .* go build ' | sed 's/^+ //')
  [ -n "$direct" ] || { echo "benches/go.sh: no go build line in muslbuild -v output" >&2; exit 1; }
  direct=$(printf '%s' "$direct" | sed -E "s# -o [^ ]+ # -o $work/direct-$example-$target #")
  (eval "$direct")
  local m=() d=() i t0
  for ((i = 0; i < runs; i++)); do
    t0=$(now); "$muslbuild" -q -t "$target" --out-dir "$out" "$src"; m+=($(( $(now) - t0 )))
    t0=$(now); (eval "$direct"); d+=($(( $(now) - t0 )))
  done
  local mm dm
  mm=$(printf '%s\n' "${m[@]}" | median)
  dm=$(printf '%s\n' "${d[@]}" | median)
  awk -v e="$example" -v t="$target" -v m="$mm" -v d="$dm" \
    'BEGIN { printf "%-8s %-8s muslbuild %7.1f ms   go build %7.1f ms   ratio %.3f\n", e, t, m/1e6, d/1e6, m/d }'
}

echo "overhead (median of $runs, warm cache):"
for target in x86_64 armv7; do
  bench hello "$target"
done
bench netuser x86_64

echo
echo "sizes (stripped, static):"
printf '%-8s %10s %10s %10s\n' example x86_64 aarch64 armv7
for example in hello netuser; do
  out=$work/sizes-$example
  "$muslbuild" -q -t all --out-dir "$out" "$here/examples/go/$example"
  printf '%-8s' "$example"
  for target in x86_64 aarch64 armv7; do
    printf ' %10s' "$(stat -c %s "$out/$target/$example")"
  done
  echo
done
