#!/bin/sh
# test.sh - the whole test suite on a fresh Debian 12 machine: install what
# is needed, build, run every suite (unit, integration, programs, hostile).
# The integration suite also runs its core cases as nobody when run as root.
#
# Then, in a second tree, build-san, built with AddressSanitizer,
# UndefinedBehaviorSanitizer and the kernel's debug assertions: the unit
# suite (the guest kernel's mechanisms against an explicit kernel context,
# tests/unit/kctx), the fuzz smoke (suite fuzz, fixed seeds, about a
# minute), the hostile guests and t_highbits. A sanitizer report, a crash,
# a hang, a leaked descriptor or process of uvk fails them.
# The longer run is `meson test -C build-san --suite fuzz-long` (README).
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh build
meson test -C build --print-errorlogs --num-processes 2 "$@"
# The guest programs and real programs again, every uvk on two virtual CPUs
# (the default setup runs them on one). The t_smp cases (smp_*) give -c
# themselves and run the same both times.
meson test -C build --no-rebuild --print-errorlogs --num-processes 2 --setup cpus2 \
	--suite integration --suite programs

# With the kernel's debug assertions (frame numbers, page-table pages, the stub).
SAN_OPTS="-Db_sanitize=address,undefined -Db_lundef=false -Ddebug_checks=true"
if [ -f build-san/build.ninja ]; then
	# --reconfigure, not configure: a tree set up before an option existed
	# must read meson_options.txt again to accept it.
	# shellcheck disable=SC2086
	meson setup --reconfigure build-san $SAN_OPTS >/dev/null
else
	# shellcheck disable=SC2086
	meson setup build-san --buildtype=debugoptimized $SAN_OPTS >/dev/null
fi
ninja -C build-san
meson test -C build-san --no-rebuild --print-errorlogs --num-processes 2 --suite unit
meson test -C build-san --no-rebuild --print-errorlogs --num-processes 2 --suite fuzz
meson test -C build-san --no-rebuild --print-errorlogs --num-processes 2 --suite hostile
meson test -C build-san --no-rebuild --print-errorlogs --num-processes 2 \
	highbits-glibc highbits-musl highbits-glibc-unpriv highbits-musl-unpriv

# A third tree, build-tsan, with ThreadSanitizer (-Dtsan=true): only the
# library, its multi-threaded tests and the two-vCPU example are built
# there (half a minute), and suite vcpu runs; a data race report fails it.
if [ -f build-tsan/build.ninja ]; then
	meson setup --reconfigure build-tsan -Dtsan=true >/dev/null
else
	meson setup build-tsan --buildtype=debugoptimized -Dtsan=true >/dev/null
fi
ninja -C build-tsan tests/integration/test_vcpu tests/integration/test_traps \
	tests/integration/g_probe examples/smp examples/smpcount
meson test -C build-tsan --no-rebuild --print-errorlogs --num-processes 2 --suite vcpu
