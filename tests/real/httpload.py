# SPDX-License-Identifier: BSD-2-Clause
"""The checking client of tests/real/nginx.sh (never under the shim).

  httpload.py files DIR          writes the site's files (deterministic)
  httpload.py wait PORT          until 127.0.0.1:PORT accepts (10 s at most)
  httpload.py load PORT DIR STOP THREADS MAX SECONDS
                                 THREADS threads request the files of DIR
                                 and /hello in turn, a new connection each,
                                 until the file STOP exists (at most MAX
                                 requests and SECONDS seconds), checking
                                 every status and body

'load' prints, on lines that two runs can compare: whether every request
was answered correctly, and which of the server's workers (the X-Pid
header) answered, by generation: the test writes each generation's worker
pids, one line each, to STOP.gens.  Counts go to standard error (the log).
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
    port, d, stop, threads, maxreq, seconds = (int(sys.argv[2]), sys.argv[3], sys.argv[4],
                                               int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]))
    want = {"/" + n: open(os.path.join(d, n), "rb").read() for n in FILES}
    want["/hello"] = b"hello from nginx\n"
    paths = sorted(want)
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
    gens = []
    try:
        gens = [set(l.split()) for l in open(stop + ".gens")]
    except OSError:
        pass
    sys.stderr.write("load: %d requests, %d answered correctly, %d wrong, %d failed; worker pids %s\n" % (
        st["n"], st["ok"], len(st["wrong"]), len(st["failed"]), " ".join(sorted(st["pids"]))))
    for e in (st["wrong"] + st["failed"])[:10]:
        sys.stderr.write("load: %s\n" % e)
    print("requests: %s" % ("all answered correctly" if st["n"] and st["ok"] == st["n"] else
                            "%d wrong, %d failed" % (len(st["wrong"]), len(st["failed"]))))
    for g, pids in enumerate(gens):
        print("generation %d of workers answered: %s" % (g, "yes" if pids & st["pids"] else "no"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
