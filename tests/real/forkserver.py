# SPDX-License-Identifier: BSD-2-Clause
"""A fork-per-request TCP server and its client, for tests/real/forkexec.sh.

  forkserver.py server PORTFILE   serve on 127.0.0.1 (port written to
                                  PORTFILE once listening): each request is
                                  handled in a forked child, every 10th runs
                                  sort(1) through subprocess (fork and exec
                                  from the child); 'quit' ends the server
  forkserver.py client PORTFILE N N requests, then quit; prints a digest
                                  of the replies

The server prints how many requests it served; the client's output depends
only on the requests."""
import hashlib
import os
import socketserver
import subprocess
import sys


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().strip()
        if line == b"quit":
            self.wfile.write(b"bye\n")
            return
        n = int(line)
        # Some work that allocates: a dict and a few MB of bytes.
        d = {i: b"%d" % (i * n) for i in range(20000 + n % 1000)}
        blob = b"".join(d.values()) * 20
        reply = hashlib.sha256(blob).hexdigest()
        if n % 10 == 0:
            words = b"\n".join(b"w%d" % ((i * 7919 + n) % 5003) for i in range(3000)) + b"\n"
            out = subprocess.run(["sort", "-u"], input=words, stdout=subprocess.PIPE, check=True).stdout
            reply += " sorted " + hashlib.sha256(out).hexdigest()[:16]
        self.wfile.write(reply.encode() + b"\n")


class Server(socketserver.ForkingMixIn, socketserver.TCPServer):
    allow_reuse_address = True


def server(portfile):
    served = 0
    with Server(("127.0.0.1", 0), Handler) as srv:
        with open(portfile + ".tmp", "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(portfile + ".tmp", portfile)
        while True:
            srv.handle_request()
            served += 1
            # Requests are handled in children: the client leaves a marker
            # before its last request, 'quit'.
            if os.path.exists(portfile + ".quit"):
                break
        srv.collect_children(blocking=True)
    print("served %d requests" % served)


def client(portfile, n):
    import socket
    port = int(open(portfile).read())
    h = hashlib.sha256()
    for i in range(n + 1):
        if i == n:
            open(portfile + ".quit", "w").close()
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"%d\n" % i if i < n else b"quit\n")
            h.update(s.makefile("rb").readline())
    print("client: %d replies, digest %s" % (n, h.hexdigest()[:32]))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2])
    else:
        client(sys.argv[2], int(sys.argv[3]))
