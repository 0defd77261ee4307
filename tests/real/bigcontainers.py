# SPDX-License-Identifier: BSD-2-Clause
"""A Python workload for tests/real/python.sh: builds and drops large
containers (lists, dicts, sets, bytes and bytearrays of tens to hundreds of
MB) in the main thread and in a pool of threads, and prints digests of what
it built.  Deterministic: the same output with or without the shim."""
import hashlib
import sys
import threading
import time

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 2


def digest(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, (bytes, bytearray)) else repr(p).encode())
    return h.hexdigest()[:16]


def big_bytes(r):
    # 4 x 30 MB immutable bytes, a bytearray grown to 100 MB by extend
    # (realloc growth), sliced, joined and dropped.
    blocks = [bytes([(r + i) % 251]) * (30 << 20) for i in range(4)]
    ba = bytearray()
    chunk = bytes(range(256)) * 4096
    while len(ba) < (100 << 20):
        ba += chunk
    ba[::4097] = bytes(len(ba[::4097]))
    d = digest(blocks[1][-100:], len(b"".join(blocks)), ba[-4096:], ba.count(0))
    del blocks, ba
    return d


def big_list_dict(r):
    # About 150 MB of Python objects: a list of 2M ints, a dict of 600k
    # str keys, a set, then sorting and dropping them.
    l = [(i * 2654435761 + r) % 1000003 for i in range(2000000)]
    d = {"k%07d" % i: l[i] for i in range(600000)}
    s = set(l)
    l.sort()
    top = sorted(d.items(), key=lambda kv: (kv[1], kv[0]))[:5]
    out = digest(l[:100], l[-100:], len(s), top)
    del l, d, s
    return out


def worker(k, out):
    acc = []
    for j in range(3):
        m = {(k, i): [i] * (i % 17) for i in range(100000)}
        t = [str(i) * 3 for i in range(150000)]
        acc.append(digest(len(m), sum(len(v) for v in m.values()), "".join(t[:1000]), len(b"x".join(x.encode() for x in t))))
        del m, t
    out[k] = digest(acc)


def main():
    # Start-up: what a warm program has built before it arms.
    warm = {i: str(i) for i in range(100000)}
    print("warm", digest(len(warm)), flush=True)
    time.sleep(0.6)  # past PTFREEZE_ARM=delay:300ms
    for r in range(ROUNDS):
        print("round", r, "bytes", big_bytes(r), "objects", big_list_dict(r), flush=True)
        out = {}
        ts = [threading.Thread(target=worker, args=(k, out)) for k in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        print("round", r, "threads", digest(sorted(out.items())), flush=True)
    print("done", len(warm))


main()
