#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Real programs run unchanged under the shim: python3 building and dropping
# large containers in threads, sort on a few MB of text, each compared with
# its own output without the shim.  python3 is armed (report and strict
# mode) 100 ms after start-up, while it sleeps before its work, so the work
# runs armed however fast the machine is.
. "${srcdir:-$(dirname "$0")}/lib.sh"
# The interpreter itself, not a wrapper script (pyenv's would fork after arming).
need_python

cat > "$TMPD/work.py" <<'PY'
import hashlib, threading, sys, time
time.sleep(0.4)
def work(seed, out):
    h = hashlib.sha256()
    for round in range(6):
        d = {i: str(i * seed) * (i % 7) for i in range(60000)}
        l = [bytes(range(i % 256)) for i in range(8000)]
        s = {x for x in d.values() if len(x) % 3 == 0}
        h.update(repr(sorted(d.items())[:1000]).encode())
        h.update(b"".join(l[:500]))
        h.update(str(len(s)).encode())
        del d, l, s
    out[seed] = h.hexdigest()
out = {}
ts = [threading.Thread(target=work, args=(k, out)) for k in range(1, 4)]
for t in ts: t.start()
for t in ts: t.join()
print(sorted(out.items()))
PY
plain=$("$PY" "$TMPD/work.py") || fail "python3 failed without the shim"
for mode in report strict; do
	under=$(PTFREEZE_MODE=$mode PTFREEZE_ARM=delay:100ms PTFREEZE_REPORT="$TMPD/py-$mode-%p.jsonl" \
		shim "$PY" "$TMPD/work.py") || fail "python3 failed under the shim ($mode)"
	[ "$plain" = "$under" ] || fail "python3 output differs under the shim ($mode)"
	# Its arenas come from the pool and go back to it: no violation of its own.
	grep -h '"type":"site"' "$TMPD"/py-$mode-*.jsonl | grep -E '"kind":"(mmap|munmap|mremap|madvise|pool-exhausted)"' &&
		fail "python3's own memory management caused violations ($mode)"
	grep -q '"armed":true' "$TMPD"/py-$mode-*.jsonl || fail "python3 was never armed ($mode)"
done

"$PY" -c 'import random
random.seed(7)
for i in range(300000): print(random.random(), "x" * random.randint(0, 40))' > "$TMPD/in.txt"
sort "$TMPD/in.txt" > "$TMPD/plain.txt" || fail "sort failed without the shim"
shim sort "$TMPD/in.txt" > "$TMPD/shim.txt" || fail "sort failed under the shim"
cmp -s "$TMPD/plain.txt" "$TMPD/shim.txt" || fail "sort output differs under the shim"
shim sort -S 1M --parallel=2 -T "$TMPD" "$TMPD/in.txt" > "$TMPD/shim2.txt" || fail "sort with temp files failed"
cmp -s "$TMPD/plain.txt" "$TMPD/shim2.txt" || fail "sort -S 1M output differs under the shim"
exit 0
