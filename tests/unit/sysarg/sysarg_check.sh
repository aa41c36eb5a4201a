#!/bin/sh
# sysarg_check.sh - the syscall handlers read their arguments only through
# src/guestkernel/sys/sysarg.h, and t_highbits has a row for every handler.
#
#   sysarg_check.sh SRCDIR
#
# 1. No sys_*.c file reads a register raw: no "a[N]" (the handlers' argument
#    set is a struct, so a[0] would be the whole set) and no "->reg[" (the
#    registers inside it, which only sysarg.h's accessors touch).
# 2. Every entry of systab.c that has a handler has a row in
#    tests/guests/t_highbits.c: T(name, ...) calls it with high bits set,
#    SKIP(name, "why") says why it cannot be called.
# Exit 0 when both hold, 1 with one line per offence otherwise, 99 on a
# usage error.
set -u
[ $# -eq 1 ] || { echo "usage: sysarg_check.sh SRCDIR" >&2; exit 99; }
src=$1
gk=$src/src/guestkernel/sys
guest=$src/tests/guests/t_highbits.c
[ -f "$gk/systab.c" ] && [ -f "$guest" ] || { echo "no $gk/systab.c or $guest" >&2; exit 99; }

bad=0
raw=$(grep -nE '(^|[^A-Za-z0-9_])a\[[0-9]\]|->reg\[' "$gk"/sys_*.c)
if [ -n "$raw" ]; then
    echo "$raw" | sed 's/^/raw argument read (use sysarg.h): /'
    bad=1
fi

names=$(sed -n 's/^[[:space:]]*\[__NR_[a-z0-9_]*\] = {"\([a-z0-9_]*\)", gk_sys_[a-z0-9_]*,.*/\1/p' \
    "$gk/systab.c")
[ -n "$names" ] || { echo "no handler found in $gk/systab.c" >&2; exit 99; }
count=0
for n in $names; do
    count=$((count + 1))
    if ! grep -qE "(T|SKIP)\($n," "$guest"; then
        echo "no row in t_highbits.c for the handler of $n"
        bad=1
    fi
done
echo "$count handlers in systab.c checked"
exit $bad
