#!/usr/bin/env python3
"""Probe: what Redis-protocol clients that pipeline large reads and never read the replies cost a node.

Sets `big` to a 1 MB value, opens CONNS connections that each send their reads (256 GETs of it, or 4 MGETs of 64
copies of it) and read nothing, and prints the node process's resident memory before and 5 s and 10 s after; then
times a well-behaved client's GET of the value. Against a running cluster on this machine, e.g. the local one
(`java -jar target/raftline.jar`, leader's port from its banner, its process id from `pgrep -f raftline.jar`):

    bin/resp-unread.py --port 6381 --pid "$(pgrep -f raftline.jar)" --conns 8 --kind get

Loopback only; it stops by itself (the connections close when it exits).
"""
import argparse
import socket
import time

VALUE_BYTES = 1_000_000


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(f.read().split("VmRSS:")[1].split()[0]) // 1024


def command(*words):
    out = b"*%d\r\n" % len(words)
    for w in words:
        out += b"$%d\r\n%s\r\n" % (len(w), w)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True, help="the node's Redis-protocol port (127.0.0.1)")
    p.add_argument("--pid", type=int, required=True, help="the node's process id, for its resident memory")
    p.add_argument("--conns", type=int, default=8, help="connections that do not read (default 8)")
    p.add_argument("--kind", choices=["get", "mget"], default="get")
    a = p.parse_args()

    setter = socket.create_connection(("127.0.0.1", a.port))
    setter.sendall(command(b"SET", b"big", b"v" * VALUE_BYTES))
    if not setter.recv(100).startswith(b"+OK"):
        raise SystemExit("SET big failed")
    time.sleep(2)
    before = rss_mib(a.pid)
    silent = []
    for _ in range(a.conns):
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.connect(("127.0.0.1", a.port))
        if a.kind == "get":
            c.sendall(command(b"GET", b"big") * 256)
        else:
            c.sendall(command(b"MGET", *([b"big"] * 64)) * 4)
        silent.append(c)
    for t in (5, 10):
        time.sleep(5)
        print(f"{a.conns} connections of {a.kind.upper()}s that do not read: resident {before} MiB before,"
              f" {rss_mib(a.pid)} MiB after {t} s", flush=True)
    reader = socket.create_connection(("127.0.0.1", a.port))
    reader.settimeout(120)
    start = time.time()
    reader.sendall(command(b"GET", b"big"))
    got = 0
    while got < VALUE_BYTES + 12:
        chunk = reader.recv(1 << 20)
        if not chunk:
            break
        got += len(chunk)
    print(f"a client that reads: GET answered in {time.time() - start:.1f} s ({got} bytes)")


if __name__ == "__main__":
    main()
