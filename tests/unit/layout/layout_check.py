#!/usr/bin/env python3
"""layout_check.py [--only=cycles,size,state] SRCDIR [LIBRARY] - the guest kernel's layout.

Checks src/guestkernel of SRCDIR:
 1. includes: the folders' #include "..." lines form no cycle
    (../shared/tools/folder-cycles.py's rule, restated here so the suite
    does not depend on a file outside the project);
 2. symbols (with LIBRARY, the built libuvk_guestkernel.a): a folder whose
    objects call a function another folder defines depends on it, whatever
    the headers say; those edges form no cycle either (a header that
    declares a function defined above it would pass check 1 and fail this);
 3. size: no .c or .h file over MAX_LINES lines;
 4. state: no object in LIBRARY has writable file-scope or function-scope
    static data (local objects in .data or .bss, by objdump -t; constant
    tables, .rodata and .data.rel.ro, are fine): kernel-wide state lives in
    struct gk_kernel, so several virtual CPUs can share or split it knowingly.
Prints one line per offence and exits 1, or exits 0; 99 on a usage error.
"""
import os, re, subprocess, sys

MAX_LINES = 700

def cycle(edges):
    """A cycle in {node: set(nodes)} as a list, or None."""
    state = {}
    def visit(n, path):
        state[n] = 1
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return path[path.index(m):] + [m]
            if not state.get(m):
                c = visit(m, path + [m])
                if c:
                    return c
        state[n] = 2
        return None
    for n in sorted(edges):
        if not state.get(n):
            c = visit(n, [n])
            if c:
                return c
    return None

def folder_of(root, path):
    rel = os.path.relpath(path, root).split(os.sep)
    return rel[0] if len(rel) > 1 else '.'

def include_edges(root):
    where = {}
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith('.h'):
                where.setdefault(f, set()).add(folder_of(root, os.path.join(d, f)))
    edges = {}
    for d, _, fs in os.walk(root):
        top = folder_of(root, os.path.join(d, 'x'))
        if top == '.':
            continue
        for f in fs:
            if not f.endswith(('.c', '.h')):
                continue
            text = open(os.path.join(d, f), errors='replace').read()
            for inc in re.findall(r'#include\s+"([^"]+)"', text):
                full = os.path.normpath(os.path.join(d, inc))
                if os.path.exists(full) and full.startswith(root + os.sep):
                    tgt = folder_of(root, full)
                else:
                    base = os.path.basename(inc)
                    tgt = next(iter(where[base])) if len(where.get(base, ())) == 1 else None
                if tgt and tgt not in ('.', top):
                    edges.setdefault(top, set()).add(tgt)
    return edges

def nm(lib):
    out = subprocess.run(['nm', '-A', lib], capture_output=True, text=True, check=True).stdout
    objs = {}
    for line in out.splitlines():
        m = re.match(r'^[^:]*:([^:]+\.o):\s*([0-9a-f]*)\s+(\S)\s+(\S+)$', line)
        if m:
            objs.setdefault(m.group(1), []).append((m.group(3), m.group(4)))
    return objs

# Writable statics that must stay: a host signal handler gets no argument to
# find the kernel by, so what it records lives in static storage; there is
# one host process, so this is no kernel state that virtual CPUs share.
STATE_ALLOWED = {
    'fs_console.c.o': {'host_pending', 'host_handled', 'sig_pipe', 'old_actions'},
}

def writable_statics(lib):
    """(object, symbol) of every local data object in .data or .bss."""
    out = subprocess.run(['objdump', '-t', lib], capture_output=True, text=True, check=True).stdout
    obj, found = None, []
    for line in out.splitlines():
        m = re.match(r'^(\S+\.o):\s+file format', line)
        if m:
            obj = m.group(1)
            continue
        f = line.split()
        # value, flags ("l" and "O" may be separate columns), section, size, name
        if len(f) >= 6 and f[1] == 'l' and 'O' in f[2:-3] and f[-3] in ('.data', '.bss'):
            if f[-1] not in STATE_ALLOWED.get(os.path.basename(obj), ()):
                found.append((obj, f[-1]))
    return found

def obj_folder(obj):
    # meson names objects after their source path: fs_file.c.o, kern_wait.c.o ...
    obj = os.path.basename(obj)
    return obj.split('_', 1)[0] if '_' in obj else '.'

def main():
    only = {'cycles', 'size', 'state'}
    if len(sys.argv) > 1 and sys.argv[1].startswith('--only='):
        only = set(sys.argv.pop(1)[len('--only='):].split(','))
    if len(sys.argv) not in (2, 3):
        print('usage: layout_check.py SRCDIR [LIBRARY]', file=sys.stderr)
        return 99
    root = os.path.join(sys.argv[1], 'src', 'guestkernel')
    if not os.path.isdir(root):
        print('no ' + root, file=sys.stderr)
        return 99
    bad = 0
    c = cycle(include_edges(root)) if 'cycles' in only else None
    if c:
        print('include cycle between folders: ' + ' -> '.join(c))
        bad = 1
    for d, _, fs in os.walk(root):
        for f in fs:
            if f.endswith(('.c', '.h')):
                n = sum(1 for _ in open(os.path.join(d, f), errors='replace'))
                if n > MAX_LINES and 'size' in only:
                    print(f'{os.path.relpath(os.path.join(d, f), root)}: {n} lines (> {MAX_LINES})')
                    bad = 1
    if len(sys.argv) == 3:
        objs = nm(sys.argv[2])
        defined = {}
        for o, syms in objs.items():
            for t, s in syms:
                if t in 'TDBR':
                    defined[s] = obj_folder(o)
        edges = {}
        for o, syms in objs.items():
            me = obj_folder(o)
            for t, s in syms:
                if t == 'U' and s in defined and defined[s] != me:
                    edges.setdefault(me, set()).add(defined[s])
        if 'state' in only:
            for o, s in writable_statics(sys.argv[2]):
                print(f'{o}: writable static {s} (kernel state belongs in struct gk_kernel)')
                bad = 1
        c = cycle(edges) if 'cycles' in only else None
        if c:
            print('call cycle between folders: ' + ' -> '.join(c))
            for a, b in zip(c, c[1:]):
                calls = sorted(s for o, syms in objs.items() if obj_folder(o) == a
                               for t, s in syms if t == 'U' and defined.get(s) == b)
                print(f'  {a} calls {b}: ' + ' '.join(calls[:8]))
            bad = 1
    return bad

sys.exit(main())
