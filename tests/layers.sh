#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The layers of src/ (docs/design.md, "Layers"; the table is src/layers.txt).
# Fails (1) on any src/*.c not listed, any #include "x.h" or call (nm of the
# built objects, src/.libs/*.o) from a module to a module of a higher layer,
# and any cycle among the modules, printing each offending edge or cycle on
# one line.  77: the objects are not built or nm is missing (the include
# edges are still checked).
#   sh tests/layers.sh [SRCDIR [BUILDDIR]]   (default: this tree)
here=$(cd "$(dirname "$0")" && pwd)
src=${1:-${abs_top_srcdir:-$here/..}}
build=${2:-${abs_top_builddir:-$src}}
# Debian's interpreter: python3 on PATH may be a wrapper script.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || { echo "SKIP: python3 is not installed" >&2; exit 77; }
exec "$PY" - "$src" "$build" "${NM:-nm}" <<'PYEOF'
import glob, os, re, shutil, subprocess, sys

src, build, nm = sys.argv[1], sys.argv[2], sys.argv[3]
bad = []

# The table: module -> (layer number, layer name).
layer = {}
order = []
for n, line in enumerate(open(os.path.join(src, "src/layers.txt")), 1):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    m = re.fullmatch(r"(\d+)\s+([\w-]+)\s*:\s*(.*)", line)
    if not m:
        print("layers: src/layers.txt:%d: not `N name: module ...`: %s" % (n, line))
        sys.exit(1)
    num, name = int(m.group(1)), m.group(2)
    order.append(num)
    for mod in m.group(3).split():
        if mod in layer:
            bad.append("src/layers.txt:%d: %s is listed twice" % (n, mod))
        layer[mod] = (num, name)
if order != sorted(order) or len(set(order)) != len(order):
    bad.append("src/layers.txt: layers are not numbered lowest first, each once")

def where(mod):
    return "%s (%d %s)" % (mod, layer[mod][0], layer[mod][1])

# (a) every module with a .c is listed.
for path in sorted(glob.glob(os.path.join(src, "src", "*.c"))):
    mod = os.path.basename(path)[:-2]
    if mod not in layer:
        bad.append("not listed in src/layers.txt: src/%s.c" % mod)

edges = {}  # (a, b) -> set of reasons

def edge(a, b, why):
    if a != b and a in layer and b in layer:
        edges.setdefault((a, b), set()).add(why)

# (b) #include "x.h" (and "x.inc") in src/*.c and src/*.h.
inc = re.compile(r'^\s*#\s*include\s+"([^"/]+)\.(h|inc)"')
for path in sorted(glob.glob(os.path.join(src, "src", "*.[ch]"))):
    base = os.path.basename(path)
    for line in open(path, errors="replace"):
        m = inc.match(line)
        if m:
            edge(base[:-2], m.group(1), "include")

# (c) calls and data references: U in A, defined in B.
objs = sorted(glob.glob(os.path.join(build, "src", ".libs", "*.o")))
skip = None
if not objs:
    skip = "no objects in %s/src/.libs (build first)" % build
elif not shutil.which(nm):
    skip = "%s is not installed (binutils)" % nm
else:
    defs, uses = {}, {}
    for o in objs:
        # libptfreeze_core_la-guard.o, libptfreeze_la-init.o -> guard, init
        mod = os.path.basename(o)[:-2].split("-", 1)[-1]
        out = subprocess.run([nm, "-P", o], stdout=subprocess.PIPE,
                             universal_newlines=True, check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) < 2:
                continue
            sym, t = f[0], f[1]
            if t == "U":
                uses.setdefault(mod, set()).add(sym)
            elif t in "TDBRVWGS":
                defs.setdefault(sym, set()).add(mod)
    for a, syms in uses.items():
        for sym in syms:
            for b in defs.get(sym, ()):
                edge(a, b, sym)

# Upward edges.
for (a, b), why in sorted(edges.items()):
    if layer[a][0] < layer[b][0]:
        calls = sorted(w for w in why if w != "include")
        kinds = (["include"] if "include" in why else []) + (["call"] if calls else [])
        print("layers: upward %s: %s -> %s%s" % (
            "+".join(kinds), where(a), where(b),
            (": " + " ".join(calls[:6]) + (" ..." if len(calls) > 6 else "")) if calls else ""))
        bad.append(None)

# (d) cycles in the union graph: Tarjan's strongly connected components;
# for each, the shortest cycle through each member (deduplicated).
succ = {}
for a, b in edges:
    succ.setdefault(a, []).append(b)
for a in succ:
    succ[a].sort()
index, low, stack, onstack, sccs = {}, {}, [], set(), []
def strong(v):
    work = [(v, iter(succ.get(v, ())))]
    index[v] = low[v] = len(index)
    stack.append(v); onstack.add(v)
    while work:
        u, it = work[-1]
        for w in it:
            if w not in index:
                index[w] = low[w] = len(index)
                stack.append(w); onstack.add(w)
                work.append((w, iter(succ.get(w, ()))))
                break
            if w in onstack:
                low[u] = min(low[u], index[w])
        else:
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[u])
            if low[u] == index[u]:
                comp = []
                while True:
                    w = stack.pop(); onstack.discard(w); comp.append(w)
                    if w == u:
                        break
                if len(comp) > 1:
                    sccs.append(sorted(comp))
for v in sorted(layer):
    if v not in index:
        strong(v)

def shortest_cycle(v, comp):
    prev, frontier = {v: None}, [v]
    while frontier:
        nxt = []
        for u in frontier:
            for w in succ.get(u, ()):
                if w == v:
                    path = [u]
                    while prev[path[-1]] is not None:
                        path.append(prev[path[-1]])
                    return list(reversed(path)) + [v]
                if w in comp and w not in prev:
                    prev[w] = u
                    nxt.append(w)
        frontier = nxt
    return None

for comp in sorted(sccs):
    if len(comp) > 2:
        print("layers: cycle among %d modules: %s" % (len(comp), " ".join(comp)))
    seen = set()
    for v in comp:
        c = shortest_cycle(v, set(comp))
        key = frozenset(zip(c, c[1:]))
        if key in seen:
            continue
        seen.add(key)
        # start the cycle at its lowest-named module, so it reads the same each run
        i = c.index(min(c[:-1]))
        c = c[i:-1] + c[:i] + [c[i]]
        print("layers: cycle: " + " -> ".join(c))
    bad.append(None)

for b in bad:
    if b:
        print("layers: " + b)
missing = sorted(m for m in layer if not glob.glob(os.path.join(src, "src", m + ".[ch]")))
if missing:
    print("# listed, not written yet: " + " ".join(missing))
print("# %d modules, %d edges (%s)" % (len(layer) - len(missing), len(edges),
      "includes only: " + skip if skip else "includes and nm of %d objects" % len(objs)))
if bad:
    sys.exit(1)
if skip:
    print("SKIP: " + skip, file=sys.stderr)
    sys.exit(77)
PYEOF
