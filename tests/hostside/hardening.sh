#!/bin/sh
# hardening.sh FILE... - each ELF file was built with the hardening the top
# meson.build turns on: position-independent (type DYN), full RELRO
# (GNU_RELRO segment and BIND_NOW), no executable stack, the stack
# protector (__stack_chk_fail), fortified libc calls (__*_chk), and IBT
# landing pads (endbr64) from -fcf-protection. Exit 1 on the first miss.
set -u
command -v readelf >/dev/null && command -v objdump >/dev/null ||
	{ echo "FAIL: readelf and objdump (binutils) are needed"; exit 1; }
st=0
check() {
	if eval "$2"; then
		echo "check: $f: $1: yes"
	else
		echo "FAIL: $f: $1: no"
		st=1
	fi
}
for f; do
	[ -f "$f" ] || { echo "FAIL: no file $f"; exit 1; }
	check "type DYN (PIE or shared object)" "readelf -hW '$f' | grep -q 'Type: *DYN'"
	check "GNU_RELRO segment" "readelf -lW '$f' | grep -q GNU_RELRO"
	check "BIND_NOW (full RELRO)" "readelf -dW '$f' | grep -Eq 'BIND_NOW|Flags:.* NOW'"
	check "stack not executable" "readelf -lW '$f' | grep GNU_STACK | grep -qv RWE"
	check "stack protector (__stack_chk_fail)" "readelf --dyn-syms -W '$f' | grep -q __stack_chk_fail"
	check "fortified calls (__*_chk)" "readelf --dyn-syms -W '$f' | grep -Eq '__[a-z0-9_]+_chk@'"
	check "IBT landing pads (endbr64)" "objdump -d '$f' | grep -q endbr64"
done
[ $st = 0 ] && echo PASS
exit $st
