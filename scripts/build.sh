#!/bin/sh
# build.sh [BUILDDIR] - configure (once) and build uvk with Meson.
set -eu
cd "$(dirname "$0")/.."
B=${1:-build}
[ -f "$B/build.ninja" ] || meson setup "$B" --buildtype=debugoptimized >/dev/null
ninja -C "$B"
