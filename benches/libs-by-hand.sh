#!/usr/bin/env bash
# The hand-written equivalent that `cargo xtask bench libs` measures muslbuild against:
# ncurses + readline for x86_64, aarch64 and armv7, configure / make -j2 / install one
# target after another, with the same compilers (musl-gcc / GNU cross gcc + musl specs).
#
#   benches/libs-by-hand.sh PREFIX_ROOT SOURCES
set -euo pipefail
root=$1
sources=$2

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

script_build "$root"
