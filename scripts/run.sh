#!/bin/sh
# run.sh [PROGRAM ARG...] - install what is needed, build, and run the main
# job: the minimal example guest kernel running the project's hello program
# (exit status 7 is that program's own), unless a program is given.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh build >/dev/null
if [ $# -eq 0 ]; then
	exec build/examples/minimal
fi
exec build/examples/minimal "$@"
