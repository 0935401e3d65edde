#!/usr/bin/env bash
# Library build benchmark. Prints ratios, never asserts on time.
#
#   cold:  ncurses + readline for x86_64, aarch64 and armv7 with `muslbuild lib build`
#          (targets in parallel, -j2 budget) against a plain shell script doing the same
#          configure/make -j2/install one target after another. Goal: ratio <= 1.0.
#   warm:  the whole `muslbuild --target all --lib readline repl.c` with everything
#          cached. Goal: <= 2 s.
#   sizes: the readline example per target.
#
# Usage: benches/libs.sh [runs]   (default 1 run; the median is reported)
# Needs: a debug or release muslbuild in target/, the toolchains and sources that
# scripts/setup-test-env.sh installs. Uses musl-gcc / GNU cross gcc + musl specs for both
# sides so only the orchestration differs.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-1}
bin=${MUSLBUILD_BIN:-$here/target/debug/muslbuild}
sources=$here/target/test-sources
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x "$bin" ] || { echo "bench: build muslbuild first (cargo build)" >&2; exit 2; }
[ -f "$sources/ncurses_6.4.orig.tar.gz" ] || { echo "bench: run scripts/setup-test-env.sh first" >&2; exit 2; }

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

cc_for() {
  case $1 in
    x86_64) echo "musl-gcc" ;;
    aarch64) echo "aarch64-linux-gnu-gcc -specs /usr/lib/aarch64-linux-musl/musl-gcc.specs" ;;
    armv7) echo "arm-linux-gnueabihf-gcc -specs /usr/lib/arm-linux-musleabihf/musl-gcc.specs -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard -mthumb" ;;
  esac
}
host_for() {
  case $1 in
    x86_64) echo x86_64-linux-musl ;; aarch64) echo aarch64-linux-musl ;; armv7) echo armv7l-linux-musleabihf ;;
  esac
}
ar_for() {
  case $1 in x86_64) echo ar ;; aarch64) echo aarch64-linux-gnu-ar ;; armv7) echo arm-linux-gnueabihf-ar ;; esac
}

# The hand-written equivalent of what muslbuild does, one target after another.
script_build() {
  local root=$1
  for t in x86_64 aarch64 armv7; do
    local p=$root/$t
    local b=$root/build-$t
    mkdir -p "$b" "$p"
    tar -xzf "$sources/ncurses_6.4.orig.tar.gz" -C "$b"
    tar -xzf "$sources/readline_8.2.orig.tar.gz" -C "$b"
    (
      cd "$b/ncurses-6.4"
      env CC="$(cc_for $t)" AR="$(ar_for $t)" CFLAGS="-Os -ffunction-sections -fdata-sections" LDFLAGS="-static -Os" \
        BUILD_CC=cc ./configure --prefix="$p" --host="$(host_for $t)" --build=x86_64-pc-linux-gnu \
        --enable-widec --without-shared --with-normal --without-debug --without-profile --without-cxx \
        --without-cxx-binding --without-ada --without-manpages --without-progs --without-tests \
        --disable-stripping --with-termlib --disable-db-install --enable-overwrite \
        --enable-pc-files --with-pkg-config-libdir="$p/lib/pkgconfig" \
        --with-fallbacks=linux,vt100,vt220,xterm,xterm-256color,screen,screen-256color,tmux,tmux-256color \
        --with-tic-path=/usr/bin/tic --with-infocmp-path=/usr/bin/infocmp --with-build-cc=cc \
        --with-default-terminfo-dir=/usr/share/terminfo \
        --with-terminfo-dirs=/etc/terminfo:/lib/terminfo:/usr/share/terminfo >/dev/null
      make -j2 >/dev/null
      make install >/dev/null
      ln -sf libtinfow.a "$p/lib/libtinfo.a"
      ln -sf libncursesw.a "$p/lib/libncurses.a"
    )
    (
      cd "$b/readline-8.2"
      env CC="$(cc_for $t)" AR="$(ar_for $t)" CFLAGS="-Os -ffunction-sections -fdata-sections" \
        CPPFLAGS="-I$p/include" LDFLAGS="-static -Os -L$p/lib" PKG_CONFIG_LIBDIR="$p/lib/pkgconfig" \
        ./configure --prefix="$p" --host="$(host_for $t)" --build=x86_64-pc-linux-gnu \
        --disable-shared --enable-static --with-curses >/dev/null
      make -j2 static >/dev/null
      make install-static >/dev/null
    )
  done
}

ratios=()
for i in $(seq "$runs"); do
  rm -rf "$work/cache" "$work/script"
  start=$(now)
  MUSLBUILD_HOME=$work/cache "$bin" lib build readline -q --target all --toolchain musl-gcc -j2 \
    --source-dir "$sources" >/dev/null
  mid=$(now)
  script_build "$work/script"
  end=$(now)
  tool=$(calc "$mid - $start")
  script=$(calc "$end - $mid")
  ratio=$(calc "$tool / $script")
  echo "cold run $i: muslbuild ${tool}s, sequential script ${script}s, ratio $ratio"
  ratios+=("$ratio")
done
echo "cold median ratio (muslbuild / script, goal <= 1.0): $(printf '%s\n' "${ratios[@]}" | median)"

mkdir -p "$work/app"
cp "$here/examples/repl.c" "$work/app/"
(
  cd "$work/app"
  MUSLBUILD_HOME=$work/cache "$bin" -q --target all --toolchain musl-gcc --lib readline \
    --source-dir "$sources" repl.c >/dev/null
  warm=()
  for i in 1 2 3 4 5; do
    start=$(now)
    MUSLBUILD_HOME=$work/cache "$bin" -q --target all --toolchain musl-gcc --lib readline \
      --source-dir "$sources" repl.c >/dev/null
    warm+=("$(calc "$(now) - $start")")
  done
  echo "warm whole command, median of 5 (goal <= 2 s): $(printf '%s\n' "${warm[@]}" | median)s"
  for t in x86_64 aarch64 armv7; do
    echo "size of dist/$t/repl: $(stat -c %s "dist/$t/repl") bytes"
  done
)
