"""Self-test of faultserver.py (no loadgen needed): each route misbehaves
exactly as the integration tests assume."""

import gzip
import json
import socket
import time
import unittest
import zlib

import faultserver
from harness import FaultServer


class FaultServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def exchange(self, target, extra=b"", timeout=3.0):
        """Send one request; return (bytes received, how it ended)."""
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=timeout)
        try:
            s.sendall(f"GET {target} HTTP/1.1\r\nHost: t\r\n".encode() + extra + b"\r\n")
            got = b""
            while True:
                try:
                    d = s.recv(65536)
                except ConnectionResetError:
                    return got, "reset"
                except socket.timeout:
                    return got, "timeout"
                if not d:
                    return got, "eof"
                got += d
                if self._complete(got):
                    return got, "complete"
        finally:
            s.close()

    @staticmethod
    def _complete(data):
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            return False
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                return len(body) >= int(v)
            if k.strip().lower() == b"transfer-encoding":
                return body.endswith(b"\r\n\r\n")
        return False

    def test_ok(self):
        got, how = self.exchange("/ok")
        self.assertEqual(how, "complete")
        self.assertTrue(got.startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertTrue(got.endswith(faultserver.OK_BODY))

    def test_gzip(self):
        got, how = self.exchange("/gzip")
        self.assertEqual(how, "complete")
        self.assertIn(b"Content-Encoding: gzip", got)
        self.assertEqual(gzip.decompress(got.partition(b"\r\n\r\n")[2]), faultserver.GZIP_TEXT)

    def test_chunked(self):
        got, how = self.exchange("/chunked")
        self.assertEqual(how, "complete")
        self.assertIn(b";ext=", got)
        self.assertIn(b"X-Trailer: done", got)

    def test_status(self):
        got, _ = self.exchange("/status/503")
        self.assertTrue(got.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"))

    def test_redirects(self):
        got, _ = self.exchange("/redirect/2")
        self.assertIn(b"Location: /redirect/1\r\n", got)
        got, _ = self.exchange("/redirect/1")
        self.assertIn(b"Location: /ok\r\n", got)
        got, _ = self.exchange("/redirect-loop")
        self.assertIn(b"Location: /redirect-loop\r\n", got)
        got, _ = self.exchange("/redirect-abs")
        self.assertIn(f"Location: http://127.0.0.1:{self.server.port}/ok\r\n".encode(), got)

    def test_framing_faults(self):
        got, how = self.exchange("/bad-status")
        self.assertEqual(how, "eof")
        self.assertFalse(got.startswith(b"HTTP/1.1 "))
        got, how = self.exchange("/huge-headers")
        self.assertGreater(got.find(b"\r\n\r\n"), 64 * 1024)
        got, how = self.exchange("/bad-chunk")
        self.assertIn(b"\r\n\r\nzz\r\n", got)
        got, how = self.exchange("/short-body")
        self.assertEqual(how, "eof")
        self.assertTrue(got.endswith(b"\r\n\r\n0123456789"))

    def test_resets(self):
        got, how = self.exchange("/reset")
        self.assertEqual(how, "reset")
        got, how = self.exchange("/reset-early")
        self.assertEqual((got, how), (b"", "reset"))

    def test_close_after(self):
        got, how = self.exchange("/close-after")
        self.assertNotIn(b"Connection: close", got)

    def test_hang_and_slow(self):
        got, how = self.exchange("/hang", timeout=0.5)
        self.assertEqual((got, how), (b"", "timeout"))
        t0 = time.monotonic()
        got, how = self.exchange("/slow?ms=200")
        self.assertEqual(how, "complete")
        self.assertGreaterEqual(time.monotonic() - t0, 0.19)

    def test_cookies(self):
        got, _ = self.exchange("/cookie/set?a=b")
        self.assertIn(b"Set-Cookie: a=b; Path=/", got)
        got, _ = self.exchange("/cookie/check?a=b")
        self.assertTrue(got.startswith(b"HTTP/1.1 400 "))
        got, _ = self.exchange("/cookie/check?a=b", extra=b"Cookie: x=y; a=b\r\n")
        self.assertTrue(got.startswith(b"HTTP/1.1 200 "))

    def test_echo_counts_last(self):
        self.server.reset_counts()
        got, _ = self.exchange("/echo?q=1", extra=b"X-A: 1\r\n")
        body = json.loads(got.partition(b"\r\n\r\n")[2])
        self.assertEqual(body["method"], "GET")
        self.assertEqual(body["path"], "/echo?q=1")
        self.assertIn(["X-A", "1"], body["headers"])
        self.assertEqual(self.server.last_request()["path"], "/echo?q=1")
        counts = self.server.counts()
        self.assertEqual(counts["paths"], {"/echo": 1})
        self.assertEqual(counts["targets"], {"/echo?q=1": 1})

    def test_keep_alive(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=3)
        with s:
            for _ in range(3):
                s.sendall(b"GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
                got = b""
                while not self._complete(got):
                    got += s.recv(4096)
                self.assertTrue(got.startswith(b"HTTP/1.1 200 OK"))


    # -- hostile routes: endless or huge responses, read only in part ------
    def read_prefix(self, target, at_least, timeout=5.0, until=None):
        """Send one request, read until `at_least` bytes arrived (or until(got)
        holds); return them. The socket is then closed (the server must notice
        and stop)."""
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=timeout)
        with s:
            s.sendall(f"GET {target} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
            got = bytearray()
            while len(got) < at_least and not (until and until(got)):
                d = s.recv(1 << 20)
                if not d:
                    break
                got += d
            return bytes(got)

    @staticmethod
    def dechunk(data):
        """Decodes complete chunks of a chunked body; returns (payload, ended)."""
        out = bytearray()
        pos = 0
        while True:
            eol = data.find(b"\r\n", pos)
            if eol < 0:
                return bytes(out), False
            size = int(data[pos:eol].split(b";")[0], 16)
            if size == 0:
                return bytes(out), True
            if eol + 2 + size + 2 > len(data):
                return bytes(out), False
            out += data[eol + 2:eol + 2 + size]
            pos = eol + 2 + size + 2

    def test_huge_body(self):
        got = self.read_prefix("/huge-body", 4 << 20)
        head, _, body = got.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: 10000000000", head)
        self.assertGreaterEqual(len(body), (4 << 20) - len(head) - 4)
        self.assertEqual(body.strip(b"x"), b"")
        # The client left mid-body: the server still answers others.
        got, how = self.exchange("/huge-body?bytes=100000")
        self.assertEqual(how, "complete")
        self.assertEqual(got.partition(b"\r\n\r\n")[2], b"x" * 100000)

    def test_endless_chunks(self):
        got = self.read_prefix("/endless-chunks", 2 << 20)
        head, _, body = got.partition(b"\r\n\r\n")
        self.assertIn(b"Transfer-Encoding: chunked", head)
        payload, ended = self.dechunk(body)
        self.assertFalse(ended)
        self.assertGreaterEqual(len(payload), 1 << 20)

    def test_endless_continue(self):
        got = self.read_prefix("/endless-continue", 256 * 1024)
        heads = got.split(b"\r\n\r\n")
        complete = heads[:-1]
        self.assertGreater(len(complete), 5000)
        self.assertEqual(set(complete), {b"HTTP/1.1 100 Continue"})

    def test_gzip_bomb(self):
        # A small one, read to the end, is a valid gzip of zeros.
        got = self.read_prefix("/gzip-bomb?mib=8", 1 << 30, timeout=10,
                               until=lambda b: b.endswith(b"\r\n0\r\n\r\n"))
        head, _, body = got.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Encoding: gzip", head)
        payload, ended = self.dechunk(body)
        self.assertTrue(ended)
        self.assertLess(len(payload), 16 * 1024)
        self.assertEqual(gzip.decompress(payload), bytes(8 << 20))
        # The default one: 250 KB of it inflate to > 128 MiB.
        got = self.read_prefix("/gzip-bomb", 250 * 1000)
        payload, ended = self.dechunk(got.partition(b"\r\n\r\n")[2])
        self.assertFalse(ended)
        inflated = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(payload)
        self.assertGreater(len(inflated), 128 << 20)
        self.assertEqual(inflated.count(0), len(inflated))

    def test_cookie_flood(self):
        self.server.reset_counts()
        names = set()
        for cookie in (b"", b"Cookie: a=b\r\n"):
            got, how = self.exchange("/cookie-flood", extra=cookie)
            self.assertEqual(how, "complete")
            head, _, body = got.partition(b"\r\n\r\n")
            sets = [l for l in head.split(b"\r\n") if l.startswith(b"Set-Cookie: ")]
            self.assertEqual(len(sets), faultserver.COOKIE_FLOOD_COUNT)
            for line in sets:
                self.assertGreaterEqual(len(line), 1000)
                names.add(line[len(b"Set-Cookie: "):].partition(b"=")[0])
            self.assertEqual(int(body), len(cookie) - len(b"Cookie: \r\n") if cookie else 0)
        self.assertEqual(len(names), 2 * faultserver.COOKIE_FLOOD_COUNT)  # new names each time
        self.assertEqual(self.server.counts()["max_cookie_bytes"], len("a=b"))


if __name__ == "__main__":
    unittest.main()
