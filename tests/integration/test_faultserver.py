"""Self-test of faultserver.py (no loadgen needed): each route misbehaves
exactly as the integration tests assume."""

import gzip
import json
import socket
import time
import unittest

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


if __name__ == "__main__":
    unittest.main()
