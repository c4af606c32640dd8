"""OTLP/HTTP over TLS: OTEL_EXPORTER_OTLP_CERTIFICATE trusts a private CA, CLIENT_CERTIFICATE +
CLIENT_KEY present a client certificate (mTLS); an untrusted collector or a missing client
certificate makes exports fail (counted in the summary) without touching the run; a CA file
that cannot be read is reported with the variable and the path."""
import os
import re
import ssl
import tempfile
import unittest

import otlp_collector as oc
from harness import LoadgenTestCase, make_ca, make_ca_signed_cert
from shop_harness import Shop, shopsim_bin

SPANS_LINE = re.compile(r"Spans: (\d+) exported, (\d+) dropped, (\d+) in failed exports")


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class OtlpTls(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        cls.ca = make_ca(d)
        cls.server = make_ca_signed_cert(d, cls.ca, names=("localhost",), ips=("127.0.0.1",))
        cls.client = make_ca_signed_cert(d, cls.ca, names=("loadgen-client",), ips=(),
                                         stem="client", usage="clientAuth")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def server_context(self, require_client_cert=False):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self.server)
        if require_client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(self.ca[0])
        return ctx

    def run_against(self, col, extra_env):
        with Shop() as shop:
            env = col.env(protocol="http/protobuf")
            env.update({"OTEL_BSP_SCHEDULE_DELAY": "300", "OTEL_EXPORTER_OTLP_TIMEOUT": "2000",
                        "OTEL_BSP_EXPORT_TIMEOUT": "3000"})
            env.update(extra_env)
            res = shop.loadgen(3, "2s", wait_time="between(0, 0.1)", extra_env=env).wait(60)
            self.assertExit(res, 0)
            self.assertGreater(shop.stats()["requests_total"], 20)
        m = SPANS_LINE.search(res.stderr)
        self.assertIsNotNone(m, res.stderr)
        return res, int(m.group(1)), int(m.group(3))

    def start(self, **kw):
        col = oc.OtlpCollector(grpc_enabled=False)
        col.start(http_tls=self.server_context(**kw))
        self.addCleanup(col.stop)
        self.assertTrue(col.endpoint.startswith("https://"))
        return col

    def test_private_ca_is_trusted_via_certificate(self):
        col = self.start()
        _, exported, failed = self.run_against(col, {"OTEL_EXPORTER_OTLP_CERTIFICATE": self.ca[0]})
        self.assertEqual(col.errors(), [])
        self.assertGreater(exported, 0)
        self.assertEqual(failed, 0)
        self.assertEqual(len(col.spans()), exported)

    def test_untrusted_collector_fails_exports(self):
        col = self.start()
        res, exported, failed = self.run_against(col, {})
        self.assertEqual(exported, 0)
        self.assertGreater(failed, 0)
        self.assertEqual(col.spans(), [])
        self.assertIn("certificate verify failed", res.stderr)

    def test_mtls_with_client_certificate(self):
        col = self.start(require_client_cert=True)
        _, exported, failed = self.run_against(col, {
            "OTEL_EXPORTER_OTLP_CERTIFICATE": self.ca[0],
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": self.client[0],
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": self.client[1]})
        self.assertGreater(exported, 0)
        self.assertEqual(failed, 0)
        self.assertEqual(len(col.spans()), exported)

    def test_mtls_without_client_certificate_fails(self):
        col = self.start(require_client_cert=True)
        _, exported, failed = self.run_against(col, {"OTEL_EXPORTER_OTLP_CERTIFICATE": self.ca[0]})
        self.assertEqual(exported, 0)
        self.assertGreater(failed, 0)
        self.assertEqual(col.spans(), [])

    def test_unreadable_ca_file_is_named(self):
        col = self.start()
        missing = os.path.join(self.tmp.name, "no-such-ca.pem")
        res, exported, _ = self.run_against(col, {"OTEL_EXPORTER_OTLP_CERTIFICATE": missing})
        self.assertEqual(exported, 0)
        self.assertIn("OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE", res.stderr)
        self.assertIn(missing, res.stderr)


if __name__ == "__main__":
    unittest.main()
