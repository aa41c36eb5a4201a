#!/bin/sh
# test.sh - the whole test suite on a fresh Debian 12 machine: install what
# is needed, build, run every suite (unit, integration, programs). The
# integration suite also runs its core cases as nobody when run as root.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh build
meson test -C build --print-errorlogs --num-processes 2 "$@"
