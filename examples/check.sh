#!/bin/sh
# check.sh - run an example guest kernel and compare its stdout and exit
# status with what is expected; used by the integration tests in
# examples/meson.build.
#
# Usage: check.sh EXPECTED_STATUS EXPECTED_STDOUT_FILE COMMAND [ARG...]
# Exits 0 on a match; otherwise shows the difference and exits 1. The
# command's stderr passes through untouched, for the test log.
set -u

if [ $# -lt 3 ]; then
    echo "usage: check.sh EXPECTED_STATUS EXPECTED_STDOUT_FILE COMMAND [ARG...]" >&2
    exit 2
fi
want_status=$1
want_out=$2
shift 2

out=$(mktemp) || exit 2
trap 'rm -f "$out"' EXIT

"$@" >"$out"
status=$?

ok=0
if ! cmp -s "$want_out" "$out"; then
    echo "check.sh: stdout of '$*' differs from $want_out:" >&2
    diff -u "$want_out" "$out" >&2
    ok=1
fi
if [ "$status" -ne "$want_status" ]; then
    echo "check.sh: '$*' exited $status, expected $want_status" >&2
    ok=1
fi
exit $ok
