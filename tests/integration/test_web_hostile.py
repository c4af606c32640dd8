"""Hostile clients on the web port during a run against the shop simulator: 2,000 idle
connections and a slowloris (one byte of a request head every second). The API still answers
within 1 s, the run's counts equal the shop's (no stats lost), and the server's limits close
every hostile connection: the bound on connections replaces the oldest silent ones, the head
timeout (10 s from a head's first byte) ends the slowloris while it is still sending, and the
idle timeout (30 s) the rest. The request rate beside a quiet run is bench/web-hostile's job (a
benchmark, not a timed test). Only 127.0.0.1."""
import resource
import selectors
import socket
import threading
import time
import unittest

from harness import LoadgenProcess, LoadgenTestCase, free_port, port_open, wait_for
from shop_harness import Shop, shopsim_bin
from test_web import http, stats, total_requests

QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
         "OTEL_LOGS_EXPORTER": "none"}
USERS = 5  # the run's users; at most one request each is cut by the stop
IDLE = 2000
HEAD_TIMEOUT_S = 10
IDLE_TIMEOUT_S = 30


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Slowloris(threading.Thread):
    """Sends one byte of a never-ending request head every second until the server closes the
    connection; records when the first byte went out and when the close was seen."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.first_byte = None
        self.closed_at = None
        self.sent = 0
        self.stop = threading.Event()

    def run(self):
        head = b"GET /stats/requests HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 10000
        self.sock.settimeout(1.0)
        for i in range(len(head)):
            if self.stop.is_set():
                return
            try:
                self.sock.sendall(head[i:i + 1])
                if self.first_byte is None:
                    self.first_byte = time.monotonic()
                self.sent += 1
                if self.sock.recv(1) == b"":
                    break
            except socket.timeout:
                continue  # nothing from the server in the last second: send the next byte
            except OSError:
                break
        self.closed_at = time.monotonic()


def open_idle(port, n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(True)
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        socks.append(s)
    return socks


def wait_all_closed(socks, deadline):
    """How many of `socks` the server closed (EOF or reset) before `deadline` (monotonic)."""
    sel = selectors.DefaultSelector()
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    closed = 0
    while closed < len(socks) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            try:
                data = key.fileobj.recv(1024)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data == b"":
                sel.unregister(key.fileobj)
                closed += 1
    sel.close()
    return closed


def timed_get(port, path):
    t0 = time.monotonic()
    status, _, body = http(port, path)
    return status, time.monotonic() - t0


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class WebHostile(LoadgenTestCase):
    def test_idle_flood_and_slowloris_cannot_stall_the_api_or_lose_counts(self):
        if raise_fd_limit(IDLE + 512) < IDLE + 256:
            self.skipTest("cannot open enough file descriptors")
        port = free_port()
        with Shop() as shop:
            env = dict(shop.env())
            env.update(QUIET)
            proc = LoadgenProcess(["--scenario", "astronomy-shop", "-H", shop.url, "--web-host",
                                   "127.0.0.1", "-P", str(port), "--wait-time",
                                   "constant(0.05)"], extra_env=env)
            self.addCleanup(lambda: proc.proc.returncode is None and proc.wait(1))
            wait_for(lambda: port_open(port), 10, what="the web port")
            status, _, body = http(port, "/swarm", "POST", {"user_count": USERS, "spawn_rate": 100})
            self.assertEqual(status, 200, body)
            wait_for(lambda: total_requests(stats(port)) > 0, 15, interval=0.2,
                     what="requests")

            flood_start = time.monotonic()
            idle = open_idle(port, IDLE)
            self.addCleanup(lambda: [s.close() for s in idle])
            loris = Slowloris(port)
            self.addCleanup(loris.sock.close)
            self.addCleanup(loris.stop.set)
            loris.start()

            # The API keeps answering within 1 s while they hold on.
            slowest = 0.0
            for _ in range(12):
                for path in ("/stats/requests", "/exceptions", "/"):
                    status, took = timed_get(port, path)
                    self.assertEqual(status, 200, path)
                    slowest = max(slowest, took)
                time.sleep(1)
            self.assertLess(slowest, 1.0)
            print(f"\nslowest API answer during the flood: {slowest * 1000:.0f} ms")

            # The slowloris is closed by the head timeout, while still sending.
            loris.join(HEAD_TIMEOUT_S + 15)
            self.assertIsNotNone(loris.closed_at, "the slowloris was never closed")
            lived = loris.closed_at - loris.first_byte
            print(f"slowloris closed after {lived:.1f} s and {loris.sent} bytes")
            self.assertGreater(lived, HEAD_TIMEOUT_S - 2)
            self.assertLess(lived, IDLE_TIMEOUT_S - 5)

            # No stats lost: the run's counts are the shop's, less at most one request per user:
            # a stop kills the users (as Locust's does), so a request in flight then reaches the
            # shop but is not a finished request (CI's ASan pass saw 1524 against 1525).
            http(port, "/stop")
            wait_for(lambda: stats(port)["state"] == "stopped", 15, interval=0.2,
                     what="stopped")
            counted, served = total_requests(stats(port)), shop.requests_total()
            self.assertLessEqual(counted, served)
            self.assertLessEqual(served - counted, USERS, (counted, served))

            # Every idle connection is closed by the server's limits.
            closed = wait_all_closed(idle, flood_start + IDLE_TIMEOUT_S + 15)
            print(f"idle connections closed by the server: {closed} of {IDLE} within "
                  f"{time.monotonic() - flood_start:.0f} s")
            self.assertEqual(closed, IDLE)
            self.assertEqual(timed_get(port, "/stats/requests")[0], 200)
            proc.send_signal(2)
            self.assertExit(proc.wait(30), 0)


if __name__ == "__main__":
    unittest.main()
