# SPDX-License-Identifier: BSD-2-Clause
"""The checking client of tests/real/nginx.sh (never under the shim).

  httpload.py files DIR          writes the site's files (deterministic)
  httpload.py wait PORT          until 127.0.0.1:PORT accepts (10 s at most)
  httpload.py load PORT DIR STOP THREADS MAX SECONDS [PATHS]
                                 THREADS threads request the files of DIR
                                 and /hello (or the comma-separated PATHS)
                                 in turn, a new connection each,
                                 until the file STOP exists (at most MAX
                                 requests and SECONDS seconds), checking
                                 every status and body
  httpload.py gens GENS LOG      which generations of workers answered

'load' prints, on a line that two runs can compare, whether every request
was answered correctly; the counts and the pids of the workers that
answered (the X-Pid header) go to standard error (the log, LOG).  'gens'
reads the pids of each generation of workers, a line each, from GENS and
prints, for each, how many there were and whether one of them answered.
"""
import hashlib
import http.client
import os
import socket
import sys
import threading
import time

FILES = {"small.txt": 1024, "medium.bin": 100 * 1024, "large.bin": 2 * 1024 * 1024}


def content(name, size):
    out = bytearray()
    i = 0
    while len(out) < size:
        out += hashlib.sha256(b"%s %d" % (name.encode(), i)).hexdigest().encode() + b"\n"
        i += 1
    return bytes(out[:size])


def main():
    cmd = sys.argv[1]
    if cmd == "files":
        for name, size in FILES.items():
            with open(os.path.join(sys.argv[2], name), "wb") as f:
                f.write(content(name, size))
        return 0
    if cmd == "wait":
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=1).close()
                return 0
            except OSError:
                time.sleep(0.05)
        return 1
    if cmd == "gens":
        gens = [set(l.split()) for l in open(sys.argv[2])]
        seen = set()
        for l in open(sys.argv[3]):
            if "worker pids" in l:
                seen = set(l.split("worker pids", 1)[1].split())
        for g, pids in enumerate(gens):
            print("workers of generation %d: %d, answered: %s" % (g, len(pids), "yes" if pids & seen else "no"))
        return 0
    port, d, stop, threads, maxreq, seconds = (int(sys.argv[2]), sys.argv[3], sys.argv[4],
                                               int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]))
    want = {"/" + n: open(os.path.join(d, n), "rb").read() for n in FILES}
    want["/hello"] = b"hello from the server\n"
    paths = sorted(want) if len(sys.argv) < 9 else sys.argv[8].split(",")
    lock = threading.Lock()
    st = {"n": 0, "ok": 0, "wrong": [], "failed": [], "pids": set()}
    end = time.time() + seconds

    def worker(k):
        i = k
        while not os.path.exists(stop) and time.time() < end:
            with lock:
                if st["n"] >= maxreq:
                    return
                st["n"] += 1
            path = paths[i % len(paths)]
            i += 1
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
                c.request("GET", path, headers={"Connection": "close"})
                r = c.getresponse()
                body = r.read()
                pid = r.getheader("X-Pid")
                c.close()
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    st["failed"].append("%s: %s" % (path, e))
                continue
            with lock:
                st["pids"].add(pid)
                if r.status == 200 and body == want[path]:
                    st["ok"] += 1
                else:
                    st["wrong"].append("%s: status %d, %d bytes" % (path, r.status, len(body)))

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    sys.stderr.write("load: %d requests, %d answered correctly, %d wrong, %d failed; worker pids %s\n" % (
        st["n"], st["ok"], len(st["wrong"]), len(st["failed"]), " ".join(sorted(st["pids"]))))
    for e in (st["wrong"] + st["failed"])[:10]:
        sys.stderr.write("load: %s\n" % e)
    print("requests: %s" % ("all answered correctly" if st["n"] and st["ok"] == st["n"] else
                            "%d wrong, %d failed" % (len(st["wrong"]), len(st["failed"]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
