"""Secrets are never printed (issue 10): OTEL_EXPORTER_OTLP_HEADERS values (valid and malformed
entries) and userinfo in OTLP endpoint URLs (a live and a dead collector) appear in no output —
console at DEBUG, --logfile, --csv files, --json / --json-file, LOADGEN_OTLP_FILE — while the
export still works: the independent collector receives the configured headers."""
import glob
import os
import shutil
import tempfile
import unittest

import otlp_collector as oc
from harness import FaultServer, LoadgenTestCase, run_loadgen

HEADER_VALUE = "hv-S3cr3tValid1"           # a valid entry: sent, never printed
MALFORMED_NO_EQ = "S3cr3tNoEquals2"        # "Authorization Bearer <secret>" (no '=')
MALFORMED_ESCAPE = "S3cr3tBadEscape3"      # "x-bad=<secret>%zz" (bad percent escape)
MALFORMED_CTL = "S3cr3tControl4"           # "x-ctl=<secret>%0A" (a control character)
LIVE_PASSWORD = "S3cr3tLivePass5"          # userinfo of the live collector's endpoint
DEAD_PASSWORD = "S3cr3tDeadPass6"          # userinfo of a dead endpoint
SECRETS = (HEADER_VALUE, MALFORMED_NO_EQ, MALFORMED_ESCAPE, MALFORMED_CTL, LIVE_PASSWORD,
           DEAD_PASSWORD, "S3cr3t")


class Secrets(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def assertNoSecret(self, name, text):
        for s in SECRETS:
            self.assertNotIn(s, text, f"{name} shows the secret {s!r}")

    def test_no_output_shows_a_planted_secret(self):
        d = tempfile.mkdtemp(prefix="loadgen-secrets-")
        self.addCleanup(shutil.rmtree, d, True)
        out = self.outputs()
        logfile = os.path.join(d, "loadgen.log")
        otlp_file = os.path.join(d, "otlp.jsonl")
        with oc.start_collector() as col:
            live = col.endpoint.replace("http://", f"http://loaduser:{LIVE_PASSWORD}@")
            dead = oc.refused_endpoint().replace("http://", f"http://deaduser:{DEAD_PASSWORD}@")
            env = {
                "OTEL_EXPORTER_OTLP_HEADERS": (f"x-api-key={HEADER_VALUE},"
                                               f"Authorization Bearer {MALFORMED_NO_EQ},"
                                               f"x-bad={MALFORMED_ESCAPE}%zz,"
                                               f"x-ctl={MALFORMED_CTL}%0A"),
                "OTEL_EXPORTER_OTLP_ENDPOINT": live,                      # traces and logs
                "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": dead + "/v1/metrics",  # every export fails
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_TRACES_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "otlp",
                "OTEL_METRICS_EXPORTER": "otlp", "OTEL_METRIC_EXPORT_INTERVAL": "500",
                "OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_BLRP_SCHEDULE_DELAY": "200",
                "LOADGEN_OTLP_FILE": otlp_file,
            }
            res = run_loadgen(["--headless", "-u", "2", "-t", "3s", "--scenario", "get",
                               "--path", "/ok", "-H", self.server.host, "--wait-time",
                               "constant(0.05)", "--loglevel", "DEBUG", "--logfile", logfile,
                               "--json"] + out.args(), extra_env=env, timeout=60)
            self.assertNoCrash(res)
            self.assertExit(res, 0)
            # The export worked: spans and logs reached the live collector with the header.
            requests = [r for r in col.requests() if r.signal in ("traces", "logs")]
            self.assertTrue(any(r.signal == "traces" for r in requests), res.describe())
            self.assertTrue(any(r.signal == "logs" for r in requests), res.describe())
            for r in requests:
                self.assertEqual(r.header("x-api-key"), HEADER_VALUE)
            self.assertGreater(len(col.spans()), 0)

        console = res.stdout + res.stderr
        outputs = {"console": console}
        for path in [logfile, otlp_file, out.json_path] + glob.glob(out.prefix + "*"):
            self.assertTrue(os.path.exists(path), path)
            with open(path, encoding="utf-8", errors="replace") as f:
                outputs[path] = f.read()
        # With --logfile the log lines go there (as in Locust): the dead endpoint was reported,
        # redacted, and each configuration warning once (not once per signal).
        log = outputs[logfile]
        self.assertIn("metric export failed", log, console)
        self.assertIn("http://REDACTED@127.0.0.1:", log)
        for entry in ("header entry 2 skipped: no '='", 'header entry 3 (key "x-bad") skipped',
                      'header entry 4 (key "x-ctl") skipped'):
            self.assertEqual(log.count(entry), 1, log)
        self.assertGreater(len(outputs[otlp_file].splitlines()), 0)
        for name, text in outputs.items():
            self.assertNoSecret(name, text)

    def test_startup_errors_do_not_show_userinfo(self):
        for var in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
            for url in (f"http://user:{LIVE_PASSWORD}@localhost:99999",
                        f"http://user:{LIVE_PASSWORD}@localhost:abc",
                        f"ftp://user:{LIVE_PASSWORD}@localhost"):
                res = run_loadgen(["--headless", "-u", "1", "-t", "1s", "--scenario", "get",
                                   "-H", self.server.host, "--loglevel", "DEBUG"],
                                  extra_env={var: url}, timeout=30)
                self.assertExit(res, 2)
                self.assertIn(f'{var}="', res.stderr, res.describe())
                self.assertIn("REDACTED@localhost", res.stderr, res.describe())
                self.assertNoSecret("console", res.stdout + res.stderr)


if __name__ == "__main__":
    unittest.main()
