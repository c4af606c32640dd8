"""The web UI over HTTPS (--tls-cert/--tls-key, LOCUST_TLS_CERT/LOCUST_TLS_KEY, as Locust 2.12):
a self-signed certificate made by `openssl req` at test time; the API answers over TLS with the
certificate verified, a plain-HTTP client gets no answer and does not disturb the server; the
options go together, and a file that is unreadable or not a matching pair is exit 2 naming it.
Only 127.0.0.1."""
import json
import os
import shutil
import socket
import ssl
import tempfile
import unittest
import urllib.request

from harness import (LoadgenProcess, LoadgenTestCase, free_port, make_self_signed_cert,
                     port_open, run_loadgen, wait_for)

QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
         "OTEL_LOGS_EXPORTER": "none"}
# The target is never contacted: no run is started.
BASE = ["--scenario", "get", "-H", "http://127.0.0.1:9", "--web-host", "127.0.0.1"]


def https_get(port, path, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    with urllib.request.urlopen(f"https://127.0.0.1:{port}{path}", context=ctx, timeout=10) as r:
        return r.status, r.read().decode()


class WebTls(LoadgenTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="web-tls-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.cert, self.key = make_self_signed_cert(self.dir)

    def serve(self, args, extra_env=None):
        port = free_port()
        env = dict(QUIET)
        env.update(extra_env or {})
        proc = LoadgenProcess(BASE + ["-P", str(port)] + args, extra_env=env)
        self.addCleanup(lambda: proc.proc.returncode is None and proc.wait(1))
        wait_for(lambda: port_open(port) or proc.proc.poll() is not None, 10,
                 what="the web port")
        self.assertIsNone(proc.proc.poll(), proc.stderr_text())
        return proc, port

    def stop(self, proc):
        proc.send_signal(2)
        self.assertExit(proc.wait(30), 0)

    def test_api_over_https_and_plain_http_gets_nothing(self):
        proc, port = self.serve(["--tls-cert", self.cert, "--tls-key", self.key])
        status, body = https_get(port, "/stats/requests", self.cert)
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["state"], "ready")
        # A plain-HTTP request on the TLS port: the handshake fails, the connection closes
        # without an HTTP answer.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /stats/requests HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            self.assertNotIn(b"HTTP/1.1 200", data)
        # The server is unharmed; the log names the https URL.
        self.assertEqual(https_get(port, "/exceptions", self.cert)[0], 200)
        self.assertIn(f"https://127.0.0.1:{port}", proc.stderr_text())
        self.stop(proc)

    def test_env_variables(self):
        proc, port = self.serve([], {"LOCUST_TLS_CERT": self.cert, "LOCUST_TLS_KEY": self.key})
        self.assertEqual(https_get(port, "/stats/requests", self.cert)[0], 200)
        self.stop(proc)

    def test_both_or_neither(self):
        for args, missing in ((["--tls-cert", self.cert], "--tls-key"),
                              (["--tls-key", self.key], "--tls-cert")):
            res = run_loadgen(BASE + args, timeout=20, extra_env=QUIET)
            self.assertExit(res, 2)
            self.assertIn(missing, res.stderr, res.describe())

    def test_unreadable_or_mismatched_files_are_named(self):
        missing = os.path.join(self.dir, "absent.pem")
        res = run_loadgen(BASE + ["--tls-cert", missing, "--tls-key", self.key], timeout=20,
                          extra_env=QUIET)
        self.assertExit(res, 2)
        self.assertIn(missing, res.stderr, res.describe())
        # Readable, but the key belongs to another certificate.
        other_cert, other_key = make_self_signed_cert(self.dir, stem="other")
        res = run_loadgen(BASE + ["-P", str(free_port()), "--tls-cert", self.cert, "--tls-key",
                                  other_key], timeout=20, extra_env=QUIET)
        self.assertExit(res, 2)
        self.assertIn(other_key, res.stderr, res.describe())
        # Not PEM at all.
        res = run_loadgen(BASE + ["-P", str(free_port()), "--tls-cert", self.key, "--tls-key",
                                  self.key], timeout=20, extra_env=QUIET)
        self.assertExit(res, 2)
        self.assertIn(self.key, res.stderr, res.describe())


if __name__ == "__main__":
    unittest.main()
