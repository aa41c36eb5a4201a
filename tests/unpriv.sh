#!/bin/sh
# unpriv.sh TEST GUEST... - run an integration test as an unprivileged user.
#
# uvk must work without root and without capabilities. When the suite runs
# as root, the test binary and its guests are copied to a fresh directory
# anyone can read and run from there as nobody (uid/gid 65534) with every
# capability dropped. As any other user it runs as is. There is no skip:
# if setpriv is missing, the test fails.
set -eu
test_exe=$1
shift
if [ "$(id -u)" != 0 ]; then
	dir=$(dirname "$1")
	UVK_TEST_GUESTS=$dir exec "$test_exe"
fi
command -v setpriv >/dev/null || { echo "unpriv.sh: setpriv (util-linux) is required" >&2; exit 1; }
tmp=$(mktemp -d /tmp/uvk-unpriv.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp "$test_exe" "$@" "$tmp/"
chmod 755 "$tmp"
chmod a+rx "$tmp"/*
cd "$tmp"
UVK_TEST_GUESTS=$tmp setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all -- "$tmp/$(basename "$test_exe")"
