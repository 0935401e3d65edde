#!/usr/bin/env bash
# Toolchain install benchmark, all on 127.0.0.1:
#   1. install throughput: `muslbuild toolchain install` (download + sha256 + unpack) of a
#      musl-cross-style archive from a loopback HTTP server, against `curl` fetching the
#      same file, and against `curl + sha256sum + tar x` (the same work done by hand).
#      Prints ratios (goal: muslbuild/curl >= 0.9).
#   2. the time of a build whose toolchain is already installed, with MUSLBUILD_OFFLINE=1
#      (proof that no network is touched).
# Usage: benches/install.sh [SIZE_MB] (default 256). Needs curl, python3, the GNU aarch64
# cross gcc and musl-dev:arm64 (scripts/setup-test-env.sh installs them).
set -euo pipefail

size_mb=${1:-256}
here=$(cd "$(dirname "$0")/.." && pwd)
for program in curl python3 aarch64-linux-gnu-gcc sha256sum tar awk; do
  command -v "$program" >/dev/null || { echo "bench: $program is missing (scripts/setup-test-env.sh)" >&2; exit 2; }
done

cargo build --release --quiet --manifest-path "$here/Cargo.toml"
muslbuild=$here/target/release/muslbuild

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A musl-cross-style set: wrappers around the GNU cross gcc with musl's specs, plus
# incompressible payload so the archive has a realistic size.
root=$work/src/aarch64-linux-musl-cross
mkdir -p "$root/bin" "$root/share"
printf '#!/bin/sh\nexec %s -specs /usr/lib/aarch64-linux-musl/musl-gcc.specs "$@"\n' "$(command -v aarch64-linux-gnu-gcc)" >"$root/bin/aarch64-linux-musl-gcc"
for tool in ar ranlib strip; do
  printf '#!/bin/sh\nexec %s "$@"\n' "$(command -v aarch64-linux-gnu-$tool)" >"$root/bin/aarch64-linux-musl-$tool"
done
chmod 755 "$root"/bin/*
head -c "$((size_mb * 1024 * 1024))" /dev/urandom >"$root/share/payload.bin"
mkdir -p "$work/www"
archive=$work/www/aarch64-linux-musl-cross.tgz
tar -C "$work/src" -cf - aarch64-linux-musl-cross | gzip -1 >"$archive"
sha=$(sha256sum "$archive" | cut -d' ' -f1)
bytes=$(stat -c %s "$archive")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
url=http://127.0.0.1:$port/aarch64-linux-musl-cross.tgz

host=$(uname -m)
cat >"$work/manifest.toml" <<EOF
[[toolchain]]
name = "musl-cross-bench-aarch64"
provider = "musl-cross"
version = "bench"
host = "$host"
targets = ["aarch64"]
urls = ["$url"]
sha256 = "$sha"
size = $bytes
format = "tar.gz"
root = "aarch64-linux-musl-cross"
prefix = "aarch64-linux-musl"
EOF

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
best() { sort -g | head -1; }
runs=3

curl_times=() manual_times=() install_times=()
for i in $(seq $runs); do
  rm -f "$work/curl.out"
  t0=$(now); curl -sf -o "$work/curl.out" "$url"; t1=$(now)
  curl_times+=("$(calc "$t1 - $t0")")

  rm -rf "$work/manual"; mkdir -p "$work/manual"
  t0=$(now)
  curl -sf -o "$work/manual/a.tgz" "$url"
  echo "$sha  $work/manual/a.tgz" | sha256sum -c --quiet
  tar -C "$work/manual" -xzf "$work/manual/a.tgz"
  t1=$(now)
  manual_times+=("$(calc "$t1 - $t0")")

  rm -rf "$work/home"
  t0=$(now)
  MUSLBUILD_HOME=$work/home MUSLBUILD_MANIFEST=$work/manifest.toml "$muslbuild" -q toolchain install aarch64 --provider musl-cross >/dev/null
  t1=$(now)
  install_times+=("$(calc "$t1 - $t0")")
done
curl_t=$(printf '%s\n' "${curl_times[@]}" | best)
manual_t=$(printf '%s\n' "${manual_times[@]}" | best)
install_t=$(printf '%s\n' "${install_times[@]}" | best)
mbps() { calc "$bytes / 1048576 / $1"; }

echo "archive: $((bytes / 1048576)) MiB over 127.0.0.1 (best of $runs)"
printf '  curl download only          %6.2fs  %7s MiB/s\n' "$curl_t" "$(mbps "$curl_t")"
printf '  curl + sha256sum + tar x    %6.2fs  %7s MiB/s\n' "$manual_t" "$(mbps "$manual_t")"
printf '  muslbuild toolchain install %6.2fs  %7s MiB/s  (download + sha256 + unpack + publish)\n' "$install_t" "$(mbps "$install_t")"
echo "  ratio muslbuild/curl download:        $(calc "$curl_t / $install_t")"
echo "  ratio muslbuild/curl+sha256sum+tar:   $(calc "$manual_t / $install_t")"

# A build with the toolchain installed: offline, so any download attempt would fail.
kill "$server_pid"; server_pid=
out=$work/dist
t0=$(now)
MUSLBUILD_OFFLINE=1 MUSLBUILD_HOME=$work/home "$muslbuild" -q --toolchain musl-cross --target aarch64 --out-dir "$out" "$here/examples/hello.c"
t1=$(now)
t2=$(now)
MUSLBUILD_OFFLINE=1 MUSLBUILD_HOME=$work/home "$muslbuild" -q --toolchain musl-cross --target aarch64 --out-dir "$out" "$here/examples/hello.c"
t3=$(now)
printf 'offline build of examples/hello.c for aarch64 (server stopped, MUSLBUILD_OFFLINE=1):\n'
printf '  first (probes the toolchain) %ss, second %ss\n' "$(calc "$t1 - $t0")" "$(calc "$t3 - $t2")"
