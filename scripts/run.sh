#!/bin/sh
# run.sh [--example | PROGRAM ARG...] - install what is needed, build, and run
# the main job: busybox in the guest, through the uvk command. Arguments run
# that program instead; --example runs the minimal example guest kernel
# (examples/minimal.c) on the project's hello program, which exits with 7.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh build >/dev/null
if [ "${1:-}" = --example ]; then
	exec build/examples/minimal
fi
if [ $# -eq 0 ]; then
	echo "uvk /bin/busybox ls -la /   (in the guest, guest pid 1; counters at exit)" >&2
	exec build/src/cli/uvk --stats /bin/busybox ls -la /
fi
exec build/src/cli/uvk "$@"
