#!/bin/sh
# deps.sh - install the Debian 12 packages uvk needs to build and test.
# Idempotent: installs only what is missing. Needs root or sudo for apt.
set -eu
# python3, xz-utils, coreutils and nodejs are real threaded programs the programs
# suite runs in the guest (tests/programs/run.sh: py_threads, xz_threads,
# sort_parallel, node_digest).
PKGS="meson ninja-build pkg-config gcc libc6-dev libseccomp-dev libelf-dev libcmocka-dev
musl-tools busybox-static util-linux python3 xz-utils coreutils nodejs"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps.sh: installing:$missing" >&2
if [ "$(id -u)" = 0 ]; then
	SUDO=
elif command -v sudo >/dev/null; then
	SUDO=sudo
else
	echo "deps.sh: need root or sudo to install:$missing" >&2
	exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
