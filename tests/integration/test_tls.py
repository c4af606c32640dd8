"""HTTPS against a private nginx: certificate verification on by default,
--insecure, SNI for host names, and a private CA trusted via SSL_CERT_FILE.

OpenSSL's SSL_CTX_set_default_verify_paths reads the SSL_CERT_FILE and
SSL_CERT_DIR environment variables (X509_get_default_cert_file_env), which
is how a user trusts a private CA without a flag; loadgen uses that call.
"""

import os
import shutil
import tempfile
import unittest

from harness import (LoadgenTestCase, Nginx, headless_args, make_ca, make_ca_signed_cert,
                     run_loadgen)

PAGE = "/index.html"


def _clean_env(**extra):
    """The caller's environment minus LOCUST_*/SSL_CERT_* (so the system trust
    store applies), plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LOCUST_", "SSL_CERT_"))}
    env.update(extra)
    return env


class TlsTestCase(LoadgenTestCase):
    def lg(self, host, out, extra=(), users=2, run_time="1s", **kw):
        args = headless_args(host, users=users, spawn_rate=100, run_time=run_time,
                             paths=[PAGE], wait_time="constant(0.01)", extra=extra)
        return run_loadgen(args + out.args(), timeout=30, **kw)

    def assertAllOk(self, res, out):
        self.assertNoCrash(res)
        self.assertExit(res, 0)
        by_name = out.stats_by_name()
        self.assertGreater(int(by_name[PAGE]["Request Count"]), 0, res.describe())
        self.assertEqual(int(by_name["Aggregated"]["Failure Count"]), 0, res.describe())
        _, rows = out.failures()
        self.assertEqual(rows, [], res.describe())

    def assertAllTls(self, res, out, host_in_detail):
        """Every request failed with kind tls, naming certificate verification."""
        self.assertNoCrash(res)
        self.assertExit(res, 1)
        by_name = out.stats_by_name()
        agg = by_name["Aggregated"]
        self.assertGreater(int(agg["Request Count"]), 0, res.describe())
        self.assertEqual(int(agg["Failure Count"]), int(agg["Request Count"]), res.describe())
        self.assertEqual(out.failure_kinds(), {"tls": int(agg["Failure Count"])},
                         res.describe())
        _, rows = out.failures()
        for r in rows:
            self.assertEqual(r["Method"], "GET")
            self.assertEqual(r["Name"], PAGE)
            self.assertIn("certificate verify failed", r["Error"], res.describe())
            self.assertIn(host_in_detail, r["Error"], res.describe())
        self.assertIn("Error report", res.stderr, res.describe())
        self.assertIn("certificate verify failed", res.stderr, res.describe())


class SelfSignedTest(TlsTestCase):
    """nginx with a self-signed certificate for localhost and 127.0.0.1."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nginx = Nginx(tls=True).start()
        cls.addClassCleanup(cls.nginx.stop)

    def test_verification_fails_without_insecure(self):
        out = self.outputs()
        res = self.lg(self.nginx.host, out, env=_clean_env())
        self.assertAllTls(res, out, "127.0.0.1:%d" % self.nginx.port)

    def test_verification_fails_for_host_name(self):
        out = self.outputs()
        res = self.lg(self.nginx.url(host="localhost"), out, env=_clean_env())
        self.assertAllTls(res, out, "localhost:%d" % self.nginx.port)

    def test_verification_failures_under_load_never_crash(self):
        # Many users in the handshake when --run-time stops them: stopping a
        # user must not free the TLS stream under a pending handshake.
        for _ in range(3):
            out = self.outputs()
            res = self.lg(self.nginx.host, out, users=20, run_time="1s",
                          env=_clean_env())
            self.assertNoCrash(res)
            self.assertExit(res, 1)

    def test_insecure_succeeds(self):
        out = self.outputs()
        res = self.lg(self.nginx.host, out, extra=["--insecure"])
        self.assertAllOk(res, out)

    def test_https_response_is_not_read_a_nap_late(self):
        # An HTTPS response has no kernel receive time stamp: its time is when loadgen reads
        # it. So while a TLS read is pending the loop naps at most 20 us, whatever
        # --loop-nap says; a 1 ms nap after each request went out would add ~1 ms to each.
        avg = {}
        for nap in ("0", "1ms"):
            out = self.outputs()
            res = self.lg(self.nginx.host, out, users=1, run_time="2s",
                          extra=["--insecure", "--loop-nap", nap])
            self.assertAllOk(res, out)
            avg[nap] = float(out.stats_by_name()[PAGE]["Average Response Time"])
        self.assertLess(avg["1ms"], avg["0"] + 0.5, avg)

    def test_insecure_with_host_name(self):
        # https://localhost: a name, so the client sends SNI (RFC 6066 section 3).
        out = self.outputs()
        res = self.lg(self.nginx.url(host="localhost"), out, extra=["--insecure"])
        self.assertAllOk(res, out)

    def test_insecure_from_environment(self):
        out = self.outputs()
        res = self.lg(self.nginx.host, out, env=_clean_env(LOADGEN_INSECURE="true"))
        self.assertAllOk(res, out)


class PrivateCaTest(TlsTestCase):
    """A private CA trusted through SSL_CERT_FILE; verification stays on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if shutil.which("openssl") is None:
            raise unittest.SkipTest("openssl CLI not installed")
        cls.pki = tempfile.mkdtemp(prefix="loadgen-pki-")
        cls.addClassCleanup(shutil.rmtree, cls.pki, True)
        cls.ca = make_ca(cls.pki)
        good = make_ca_signed_cert(cls.pki, cls.ca, stem="good")
        # Signed by the same CA but for other names: host name check must fail.
        wrong = make_ca_signed_cert(cls.pki, cls.ca, names=("other.example",),
                                    ips=("192.0.2.1",), stem="wrong")
        cls.nginx = Nginx(tls=True, cert=good).start()
        cls.addClassCleanup(cls.nginx.stop)
        cls.wrong = Nginx(tls=True, cert=wrong).start()
        cls.addClassCleanup(cls.wrong.stop)

    def trust(self):
        return _clean_env(SSL_CERT_FILE=self.ca[0])

    def test_trusted_ca_ip_literal(self):
        out = self.outputs()
        res = self.lg(self.nginx.host, out, env=self.trust())
        self.assertAllOk(res, out)

    def test_trusted_ca_host_name(self):
        out = self.outputs()
        res = self.lg(self.nginx.url(host="localhost"), out, env=self.trust())
        self.assertAllOk(res, out)

    def test_untrusted_without_env(self):
        out = self.outputs()
        res = self.lg(self.nginx.host, out, env=_clean_env())
        self.assertAllTls(res, out, "127.0.0.1:%d" % self.nginx.port)

    def test_trusted_ca_wrong_ip(self):
        out = self.outputs()
        res = self.lg(self.wrong.host, out, env=self.trust())
        self.assertAllTls(res, out, "127.0.0.1:%d" % self.wrong.port)

    def test_trusted_ca_wrong_name(self):
        out = self.outputs()
        res = self.lg(self.wrong.url(host="localhost"), out, env=self.trust())
        self.assertAllTls(res, out, "localhost:%d" % self.wrong.port)

    def test_trusted_ca_wrong_name_insecure(self):
        out = self.outputs()
        res = self.lg(self.wrong.url(host="localhost"), out, extra=["--insecure"],
                      env=self.trust())
        self.assertAllOk(res, out)


if __name__ == "__main__":
    unittest.main()
