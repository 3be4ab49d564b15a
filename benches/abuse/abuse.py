#!/usr/bin/env python3
"""Abuse run of `sio-replay serve`: what misbehaving clients make the mock hold, and whether it
still answers others meanwhile. Each scenario starts a fresh server on 127.0.0.1, so its peak
resident memory (VmHWM) is the scenario's own, and every loop is bounded in count and time.

  a) refusal flood: one WebSocket client writes up to 1.5 M refused CONNECTs
     (`40/chatomni,{"token":"bad"}`) and never reads;
  b) 1000 idle WebSocket connections;
  c) slowloris: 100 connections trickle a request head, 100 trickle a polling POST body;
  d) admin flood: 20 000 admin requests (half without the token) on keep-alive connections.

usage: benches/abuse/run.sh   (builds the release binary, then runs this)
       python3 benches/abuse/abuse.py --binary target/release/sio-replay [--only a,b,c,d]
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

ROOM = "tomato.tpos.vn"
ADMIN_TOKEN = "abuse-run-admin-token-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`sio-replay serve` on a free port, with a fixed admin token."""

    def __init__(self, binary, extra=()):
        self.port = free_port()
        env = dict(os.environ, SIO_ADMIN_TOKEN=ADMIN_TOKEN, RUST_LOG="warn")
        self.proc = subprocess.Popen(
            [binary, "serve", "--port", str(self.port), "--auth", "claims", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the server did not start")

    def status(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])  # KiB
        return 0

    def rss_mb(self):
        return self.status("VmRSS") / 1024

    def peak_mb(self):
        return self.status("VmHWM") / 1024

    def alive_ms(self):
        """Milliseconds for a polling handshake from a well-behaved client (None: no answer)."""
        start = time.time()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", f"/socket.io/?EIO=4&transport=polling&room={ROOM}")
            ok = conn.getresponse().status == 200
            conn.close()
        except OSError:
            return None
        return round((time.time() - start) * 1000, 1) if ok else None

    def stats(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        conn.request("GET", "/__admin/stats", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        body = conn.getresponse().read()
        conn.close()
        return json.loads(body)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def masked_text(payload):
    mask = b"\x12\x34\x56\x78"
    assert len(payload) < 126
    return bytes([0x81, 0x80 | len(payload)]) + mask + bytes(
        b ^ mask[i % 4] for i, b in enumerate(payload))


def websocket(port, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.sendall((f"GET /socket.io/?EIO=4&transport=websocket&room={ROOM} HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
               ).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            raise OSError("closed during the handshake")
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        raise OSError(head.split(b"\r\n")[0].decode())
    return s


def refusal_flood(binary):
    server = Server(binary)
    before = server.rss_mb()
    s = websocket(server.port, rcvbuf=4096)
    batch = masked_text(b'40/chatomni,{"token":"bad"}') * 1000
    written, cut, start = 0, False, time.time()
    s.settimeout(5)
    while written < 1_500_000 and time.time() - start < 120:
        try:
            s.sendall(batch)
            written += 1000
        except OSError:
            cut = True
            break
    during = server.alive_ms()
    time.sleep(1)
    result = {
        "scenario": "a) 1.5 M refused CONNECTs, never reading",
        "frames_written": written, "cut_by_server": cut,
        "rss_before_mb": round(before, 1), "peak_rss_mb": round(server.peak_mb(), 1),
        "rss_after_mb": round(server.rss_mb(), 1), "handshake_ms_after": during,
        "slow_clients": server.stats().get("slow_clients"),
    }
    s.close()
    server.stop()
    return result


def many_connections(binary, count=1000):
    server = Server(binary)
    before = server.rss_mb()
    sockets = []
    start = time.time()
    for _ in range(count):
        s = websocket(server.port)
        s.recv(4096)  # the open packet
        sockets.append(s)
    connected_s = time.time() - start
    connected = server.rss_mb()
    alive = server.alive_ms()
    stats = server.stats()
    for s in sockets:
        s.close()
    time.sleep(1)
    result = {
        "scenario": f"b) {count} idle WebSocket connections",
        "connect_all_s": round(connected_s, 2), "sessions_open": stats["sessions_open"],
        "rss_before_mb": round(before, 1), "rss_connected_mb": round(connected, 1),
        "per_connection_kib": round((connected - before) * 1024 / count, 1),
        "peak_rss_mb": round(server.peak_mb(), 1), "rss_after_mb": round(server.rss_mb(), 1),
        "handshake_ms_during": alive,
    }
    server.stop()
    return result


def slowloris(binary, each=100):
    server = Server(binary)
    before = server.rss_mb()
    heads, bodies = [], []
    for _ in range(each):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        s.sendall(b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHo")
        heads.append(s)
    for _ in range(each):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", f"/socket.io/?EIO=4&transport=polling&room={ROOM}")
        sid = json.loads(conn.getresponse().read()[1:])["sid"]
        conn.close()
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        s.sendall((f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\n"
                   f"Host: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n4").encode())
        bodies.append(s)
    start = time.time()
    open_heads, open_bodies = set(range(each)), set(range(each))
    answered_408 = 0
    alive = server.alive_ms()
    while (open_heads or open_bodies) and time.time() - start < 40:
        for group, opened in ((heads, open_heads), (bodies, open_bodies)):
            for i in list(opened):
                try:
                    group[i].sendall(b"x")
                    group[i].settimeout(0.001)
                    data = group[i].recv(4096)
                    if data.startswith(b"HTTP/1.1 408"):
                        answered_408 += 1
                    if data.startswith(b"HTTP/1.1") or not data:
                        opened.discard(i)
                except socket.timeout:
                    pass
                except OSError:
                    opened.discard(i)
        time.sleep(1)
    result = {
        "scenario": f"c) slowloris: {each} trickled heads, {each} trickled POST bodies",
        "all_cut_after_s": round(time.time() - start, 1),
        "still_open": len(open_heads) + len(open_bodies), "posts_answered_408": answered_408,
        "rss_before_mb": round(before, 1), "peak_rss_mb": round(server.peak_mb(), 1),
        "handshake_ms_during": alive,
    }
    for s in heads + bodies:
        s.close()
    server.stop()
    return result


def admin_flood(binary, threads=20, per_thread=1000):
    server = Server(binary)
    before = server.rss_mb()
    codes = {}
    lock = threading.Lock()

    def hammer(with_token):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"} if with_token else {}
        for _ in range(per_thread):
            try:
                conn.request("GET", "/__admin/sessions", headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except OSError:
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                status = "error"
            with lock:
                codes[status] = codes.get(status, 0) + 1

    start = time.time()
    workers = [threading.Thread(target=hammer, args=(i % 2 == 0,)) for i in range(threads)]
    for w in workers:
        w.start()
    alive = server.alive_ms()
    for w in workers:
        w.join()
    elapsed = time.time() - start
    result = {
        "scenario": f"d) admin flood: {threads * per_thread} requests, half without the token",
        "requests_per_s": round(threads * per_thread / elapsed), "statuses": codes,
        "rss_before_mb": round(before, 1), "peak_rss_mb": round(server.peak_mb(), 1),
        "handshake_ms_during": alive,
    }
    server.stop()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default="target/release/sio-replay")
    parser.add_argument("--only", default="a,b,c,d")
    args = parser.parse_args()
    runs = {"a": refusal_flood, "b": many_connections, "c": slowloris, "d": admin_flood}
    for key in args.only.split(","):
        print(json.dumps(runs[key](args.binary)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
