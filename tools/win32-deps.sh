#!/bin/sh
# tools/win32-deps.sh PREFIX - cross-build the libraries neolith.exe and its
# tests need (jansson, libtelnet, libxcrypt, Check) for x86_64-w64-mingw32
# into PREFIX, as static libraries with pkg-config files.
#
# The sources are Debian's own upstream tarballs (the .orig archives from
# the Debian pool), pinned by SHA-256: the same code the Linux build gets
# from the -dev packages.  Debian ships no mingw builds of these four, so
# we build them; everything else comes from gcc-mingw-w64-x86-64.
#
# Idempotent: a PREFIX already built by this exact script is left alone.
# Exit status 0 on success; anything else means the Windows build cannot
# be configured (the caller says so).
set -eu

prefix=${1:?usage: tools/win32-deps.sh PREFIX}
host=${NEOLITH_WIN32_HOST:-x86_64-w64-mingw32}
pool=${NEOLITH_DEBIAN_POOL:-http://deb.debian.org/debian/pool/main}
jobs=$(nproc 2>/dev/null || echo 2)

# name  pool path  sha256
PINS="
jansson-2.14 j/jansson/jansson_2.14.orig.tar.gz c739578bf6b764aa0752db9a2fdadcfe921c78f1228c7ec0bb47fa804c55d17b
libtelnet-0.23 libt/libtelnet/libtelnet_0.23.orig.tar.gz ef510d32f9131433cc4c8b6789e40087d515a187e55f8fdcd72a975c66d3a90b
libxcrypt-4.4.33 libx/libxcrypt/libxcrypt_4.4.33.orig.tar.xz 5e2da5cb5f263e9ac4c4b3f49c75e3b8523889210f45c60bb7e97b229c75a10b
check-0.15.2 c/check/check_0.15.2.orig.tar.gz 8451b68ac5d6f3157b24f22eceff575bcf566264f6d78f3852f89d4e08cf42e1
"
# the stamp covers the host, the pins and this script's build recipes: a
# changed recipe rebuilds
stamp_want=$( (printf '%s\n' "$host"; cat "$0") | sha256sum | cut -c1-16)
if [ -f "$prefix/.neolith-deps" ] && [ "$(cat "$prefix/.neolith-deps")" = "$stamp_want" ]; then
  echo "win32-deps: $prefix is up to date"
  exit 0
fi

command -v "$host-gcc" >/dev/null 2>&1 || { echo "win32-deps: $host-gcc not found (Debian: gcc-mingw-w64-x86-64)" >&2; exit 1; }
mkdir -p "$prefix/src"
prefix=$(cd "$prefix" && pwd)
# Only the cross prefix may answer pkg-config (never the host's .pc files).
PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig"; PKG_CONFIG_PATH=""
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH

echo "$PINS" | while read -r name path sum; do
  [ -n "$name" ] || continue
  file="$prefix/src/${path##*/}"
  if [ ! -f "$file" ] || ! echo "$sum  $file" | sha256sum -c --status; then
    echo "win32-deps: fetching $pool/$path"
    curl -fsSL --retry 3 -o "$file.part" "$pool/$path" || { echo "win32-deps: download of $path failed" >&2; exit 1; }
    mv "$file.part" "$file"
  fi
  echo "$sum  $file" | sha256sum -c --status || { echo "win32-deps: $path: checksum mismatch" >&2; exit 1; }
  rm -rf "$prefix/src/$name"
  tar -xf "$file" -C "$prefix/src"
  log="$prefix/src/$name.log"
  echo "win32-deps: building $name (log: $log)"
  (
    cd "$prefix/src/$name"
    [ -x configure ] || autoreconf -fi
    common="--host=$host --prefix=$prefix --disable-shared --enable-static"
    case $name in
      jansson-*)   ./configure $common; make -j"$jobs" install ;;
      # libtelnet's config.h defines HAVE_ZLIB to 0 and its source tests
      # `defined(HAVE_ZLIB)`: compile without config.h (DEFS=) so the
      # optional zlib support stays off.
      libtelnet-*) ./configure $common --disable-util; make -j"$jobs" install DEFS= ;;
      # gensalt entropy comes from the driver (port_random_bytes), so the
      # library's own /dev/urandom fallback is never needed.
      libxcrypt-*) ./configure $common --disable-werror --disable-obsolete-api --enable-hashes=strong,glibc
                   make -j"$jobs" install ;;
      # Check formats its messages (%jd) with mingw's C99 printf, and its
      # header then says so (gnu_printf), matching how we build our code.
      check-*)     ./configure $common --disable-subunit CPPFLAGS=-D__USE_MINGW_ANSI_STDIO=1
                   make -j"$jobs" install
                   sed -i 's/CK_ATTRIBUTE_FORMAT(printf,/CK_ATTRIBUTE_FORMAT(gnu_printf,/' "$prefix/include/check.h" ;;
    esac
  ) >"$log" 2>&1 || { echo "win32-deps: $name failed; last lines of $log:" >&2; tail -n 20 "$log" >&2; exit 1; }
done
echo "$stamp_want" > "$prefix/.neolith-deps"
echo "win32-deps: done: $prefix"
