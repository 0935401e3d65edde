#!/usr/bin/env bash
# Go build overhead: `muslbuild` against the very `go build` it runs (same env, same
# flags, copied from `muslbuild -v`), warm Go build cache, median of N runs each,
# alternating so machine noise hits both alike. Goal: ratio <= 1.05.
# Two muslbuild cases: `miss` empties muslbuild's own artifact cache (builds/) before
# each run, so `go build` really runs (plus the `go list -deps` that records what the
# artifact depends on); `hit` is the usual warm rebuild, where muslbuild's cache answers.
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

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# Wall time and CPU time (user+sys, children included) in ms; CPU time is the steadier
# number on a busy machine.
timed() {
  local f=$work/time
  /usr/bin/time -f '%e %U %S' -o "$f" "$@"
  awk '{printf "%d %d\n", $1*1000, ($2+$3)*1000}' "$f"
}

bench() {
  local example=$1 target=$2 mode=$3
  local src=$here/examples/go/$example
  local out=$work/dist-$example-$target
  # Warm-up: fills the Go build cache and muslbuild's probe records; captures the command.
  local direct
  rm -rf "$MUSLBUILD_HOME/builds"
  direct=$("$muslbuild" -v -t "$target" --out-dir "$out" "$src" 2>&1 >/dev/null | awk '/^\+ cd .*\/go build / && !f { sub(/^\+ /, ""); print; f = 1 }')
  [ -n "$direct" ] || { echo "benches/go.sh: no go build line in muslbuild -v output" >&2; exit 1; }
  direct=$(printf '%s' "$direct" | sed -E "s# -o [^ ]+ # -o $work/direct-$example-$target #")
  (eval "$direct")
  local mw=() mc=() dw=() dc=() i w c
  # Alternate which one goes first, so neither always runs right after the other.
  for ((i = 0; i < runs; i++)); do
    if ((i % 2)); then
      read -r w c < <(timed bash -c "$direct"); dw+=("$w"); dc+=("$c")
      [ "$mode" = hit ] || rm -rf "$MUSLBUILD_HOME/builds"
      read -r w c < <(timed "$muslbuild" -q -t "$target" --out-dir "$out" "$src"); mw+=("$w"); mc+=("$c")
    else
      [ "$mode" = hit ] || rm -rf "$MUSLBUILD_HOME/builds"
      read -r w c < <(timed "$muslbuild" -q -t "$target" --out-dir "$out" "$src"); mw+=("$w"); mc+=("$c")
      read -r w c < <(timed bash -c "$direct"); dw+=("$w"); dc+=("$c")
    fi
  done
  local a b x y
  a=$(printf '%s\n' "${mw[@]}" | median); b=$(printf '%s\n' "${dw[@]}" | median)
  x=$(printf '%s\n' "${mc[@]}" | median); y=$(printf '%s\n' "${dc[@]}" | median)
  awk -v e="$example $mode" -v t="$target" -v a="$a" -v b="$b" -v x="$x" -v y="$y" \
    'BEGIN { printf "%-13s %-7s wall: muslbuild %6.0f ms  go build %6.0f ms  ratio %.3f   cpu: %6.0f ms  %6.0f ms  ratio %.3f\n", e, t, a, b, a/b, x, y, x/y }'
}

echo "overhead (median of $runs, warm cache):"
for target in x86_64 armv7; do
  bench hello "$target" miss
done
bench netuser x86_64 miss
bench hello x86_64 hit

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
