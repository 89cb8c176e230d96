#!/bin/sh
# Build the qemu-oracle firmware from src/ into oracle.elf next to this
# script (the prebuilt firmware the runner loads), or into the file given as
# the first argument. The build is reproducible: no debug information, no
# build id, so the same sources and compiler give the same bytes wherever
# the checkout is.
# Needs: gcc-arm-none-eabi, binutils-arm-none-eabi (Debian package names).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SRC="$HERE/src"
OUT=${1:-"$HERE/oracle.elf"}
CC=${CROSS_COMPILE:-arm-none-eabi-}gcc

TMP=$(mktemp -d -t qemu-oracle-build.XXXXXX)   # honours $TMPDIR
trap 'rm -rf "$TMP"' EXIT

CFLAGS="-march=armv7ve -marm -mfloat-abi=soft -mno-unaligned-access \
  -O2 -ffreestanding -fno-builtin -fno-common -fno-pic \
  -Wall -Wextra -Werror -Wno-unused-parameter"

"$CC" $CFLAGS -c "$SRC/start.S" -o "$TMP/start.o"
"$CC" $CFLAGS -c "$SRC/oracle.c" -o "$TMP/oracle.o"
"$CC" $CFLAGS -nostdlib -nostartfiles -static -T "$SRC/link.ld" \
  -Wl,--build-id=none -Wl,-Map="$TMP/oracle.map" \
  "$TMP/start.o" "$TMP/oracle.o" -o "$TMP/oracle.elf"

# Publish atomically so a concurrent runner never sees a half-written ELF.
cp "$TMP/oracle.elf" "$OUT.tmp.$$" && mv -f "$OUT.tmp.$$" "$OUT"
echo "built $OUT"
