"""Traces exported over OTLP/HTTP (protobuf and JSON) and OTLP/gRPC, gzip on and off, decoded by
the independent collector (otlp_collector.py: python3-protobuf from our .proto files, strict
OTLP/JSON checks): names, kinds, parent links, attributes, status, resource; the trace ids the
shop saw are the exported ones; faults of the collector do not stop the run; gRPC status codes
are retried or not as OTLP says; gRPC over TLS with OTEL_EXPORTER_OTLP_CERTIFICATE."""
import json
import os
import re
import subprocess
import tempfile
import unittest
import urllib.request

import otlp_collector as oc
from harness import LoadgenTestCase
from shop_harness import Shop, shopsim_bin
from trace_checks import TASK_SPANS, USERS, ShopTraceChecks, shop_trace_ids


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class Traces(ShopTraceChecks, LoadgenTestCase):
    def test_nested_trace_shape_on_request(self):
        """LOADGEN_TRACE_NESTING=nested: a task run inside another task's span is its child
        (user_index in user_session_start, user_add_to_cart in the checkouts)."""
        with oc.start_collector() as col, Shop() as shop:
            env = col.env(protocol="http/protobuf")
            env["LOADGEN_TRACE_NESTING"] = "nested"
            self.run_shop(shop, env)
            spans = col.spans()
            by_id = {s["span_id"]: s for s in spans}
            index_in_session = [s for s in spans if s["name"] == "user_index" and s["parent_span_id"]
                                and by_id[s["parent_span_id"]]["name"] == "user_session_start"]
            self.assertEqual(len(index_in_session), USERS)  # each user's on_start
            for s in index_in_session:
                self.assertEqual(s["trace_id"], by_id[s["parent_span_id"]]["trace_id"])
            for s in spans:
                if s["name"] == "user_add_to_cart" and s["parent_span_id"]:
                    self.assertIn(by_id[s["parent_span_id"]]["name"],
                                  {"user_checkout_single", "user_checkout_multi"})

    def test_tasks_cut_short_by_the_stop_are_cancelled_not_errors(self):
        """The index page answers after 30 s: every user is inside user_session_start /
        user_index when the 2 s run ends and is killed. Those spans end without an error status
        and say loadgen.task.cancelled=true (no `exception` event: nothing failed)."""
        shop = Shop()
        shop.sim.args += ["--latency", "index=30s"]  # shopsim's own option, before it starts
        shop.start()
        self.addCleanup(shop.stop)
        with oc.start_collector() as col:
            env = col.env(protocol="http/protobuf")
            res = shop.loadgen(USERS, "2s", extra_env=dict(
                env, OTEL_BSP_SCHEDULE_DELAY="300", OTEL_LOGS_EXPORTER="none",
                OTEL_METRICS_EXPORTER="none")).wait(60)
            self.assertExit(res, 0)
            tasks = [s for s in col.spans() if s["name"] in TASK_SPANS]
            self.assertEqual(sorted(s["name"] for s in tasks),
                             ["user_index"] * USERS + ["user_session_start"] * USERS)
            for s in tasks:
                self.assertEqual(s["status"]["code"], 0, s)
                self.assertIs(s["attributes"].get("loadgen.task.cancelled"), True, s)
                self.assertEqual([e["name"] for e in s["events"]
                                  if e["name"] == "exception"], [], s)

    def test_bad_trace_nesting_is_rejected(self):
        with Shop() as shop:
            res = shop.loadgen(1, "1s", extra_env={"LOADGEN_TRACE_NESTING": "sideways"}).wait(30)
            self.assertExit(res, 2)
            self.assertIn("LOADGEN_TRACE_NESTING='sideways'", res.stdout + res.stderr)

    def test_http_protobuf(self):
        self.check_traces("http/protobuf", None)

    def test_http_protobuf_gzip(self):
        self.check_traces("http/protobuf", "gzip")

    def test_http_json(self):
        self.check_traces("http/json", None)

    def test_http_json_gzip(self):
        self.check_traces("http/json", "gzip")

    def test_grpc(self):
        self.check_traces("grpc", None)

    def test_grpc_gzip(self):
        self.check_traces("grpc", "gzip")

    def test_service_name_and_resource_attributes(self):
        with oc.start_collector(grpc_enabled=False) as col, Shop() as shop:
            env = col.env(protocol="http/protobuf")
            env["OTEL_SERVICE_NAME"] = "load-generator"
            env["OTEL_RESOURCE_ATTRIBUTES"] = "service.criticality=low,deployment.environment=test"
            self.run_shop(shop, env, run_time="2s")
            res = col.spans()[0]["resource"]
            self.assertEqual(res["service.name"], "load-generator")
            self.assertEqual(res["service.criticality"], "low")
            self.assertEqual(res["deployment.environment"], "test")

    def test_collector_down_does_not_stop_the_run(self):
        with Shop() as shop:
            env = {"OTEL_EXPORTER_OTLP_ENDPOINT": oc.refused_endpoint(),
                   "OTEL_EXPORTER_OTLP_TIMEOUT": "1000", "OTEL_BSP_EXPORT_TIMEOUT": "2000"}
            res = self.run_shop(shop, env)
            self.assertGreater(shop.stats()["requests_total"], 50)
            self.assertIn("Spans:", res.stderr)
            self.assertNotIn("Spans: 0 exported, 0 dropped, 0 in failed", res.stderr)

    def test_503_with_retry_after_is_retried(self):
        with oc.start_collector(grpc_enabled=False) as col, Shop() as shop:
            col.fail_next(1, status=503, retry_after=1)
            self.run_shop(shop, col.env(protocol="http/protobuf"), run_time="3s")
            reqs = col.requests("traces")
            self.assertEqual(reqs[0].status, 503)
            self.assertTrue(any(r.status == 200 for r in reqs[1:]), [r.status for r in reqs])
            self.assertTrue(col.spans())

    # ---- OTLP/gRPC faults ----

    def spans_summary(self, res):
        m = re.search(r"Spans: (\d+) exported, (\d+) dropped, (\d+) in failed exports "
                      r"\((\d+) failed exports, (\d+) retries\)", res.stderr)
        self.assertIsNotNone(m, res.describe())
        return dict(zip(("exported", "dropped", "failed_spans", "failed_exports", "retries"),
                        map(int, m.groups())))

    def test_grpc_collector_refusing_connections(self):
        with Shop() as shop:
            env = {"OTEL_EXPORTER_OTLP_ENDPOINT": oc.refused_endpoint(),
                   "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
                   "OTEL_EXPORTER_OTLP_TIMEOUT": "1000", "OTEL_BSP_EXPORT_TIMEOUT": "2000"}
            res = self.run_shop(shop, env)
            self.assertGreater(shop.stats()["requests_total"], 50)
            summary = self.spans_summary(res)
            self.assertEqual(summary["exported"], 0, summary)
            self.assertGreater(summary["failed_exports"], 0, summary)
            self.assertIn("otlp grpc", res.stderr)
            self.assertIn("UNAVAILABLE", res.stderr)

    def test_grpc_unavailable_is_retried(self):
        with oc.start_collector() as col, Shop() as shop:
            col.fail_next(2, status=503, grpc_code=14, message="collector warming up")
            res = self.run_shop(shop, col.env(protocol="grpc"), run_time="4s")
            reqs = col.requests("traces")
            self.assertEqual([r.grpc_code for r in reqs[:3]], [14, 14, 0], reqs)
            # The same batch, sent again.
            self.assertEqual(reqs[0].raw_body, reqs[1].raw_body)
            self.assertEqual(reqs[0].raw_body, reqs[2].raw_body)
            self.assertTrue(col.spans())
            self.assertEqual(col.errors(), [])
            self.assertGreaterEqual(self.spans_summary(res)["retries"], 2)

    def test_grpc_resource_exhausted_with_retry_info_is_retried(self):
        with oc.start_collector() as col, Shop() as shop:
            col.fail_next(1, status=429, grpc_code=8, retry_after=1, message="slow down")
            self.run_shop(shop, col.env(protocol="grpc"), run_time="3s")
            reqs = col.requests("traces")
            self.assertEqual([r.grpc_code for r in reqs[:2]], [8, 0], reqs)
            self.assertEqual(reqs[0].raw_body, reqs[1].raw_body)
            # RetryInfo.retry_delay (1 s) replaced the computed back-off.
            self.assertGreaterEqual(reqs[1].monotonic - reqs[0].monotonic, 0.9)

    def test_grpc_resource_exhausted_without_retry_info_is_not_retried(self):
        with oc.start_collector() as col, Shop() as shop:
            col.fail_next(1, status=429, grpc_code=8, message="quota exceeded")
            res = self.run_shop(shop, col.env(protocol="grpc"), run_time="3s")
            reqs = col.requests("traces")
            self.assertEqual(reqs[0].grpc_code, 8)
            self.assertTrue(all(r.raw_body != reqs[0].raw_body for r in reqs[1:]), reqs)
            self.assertTrue(col.spans())  # later batches arrive
            summary = self.spans_summary(res)
            self.assertEqual(summary["failed_exports"], 1, summary)
            self.assertEqual(summary["retries"], 0, summary)
            self.assertIn("RESOURCE_EXHAUSTED", res.stderr)

    def self_signed(self, d):
        key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                       check=True, capture_output=True, timeout=60)
        with open(key, "rb") as k, open(cert, "rb") as c:
            return cert, (k.read(), c.read())

    def test_grpc_tls_with_trusted_certificate(self):
        with tempfile.TemporaryDirectory() as d:
            cert_path, pems = self.self_signed(d)
            with oc.start_collector(grpc_tls=pems) as col, Shop() as shop:
                env = col.env(protocol="grpc")
                self.assertTrue(env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("https://"))
                env["OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE"] = cert_path
                res = self.run_shop(shop, env, run_time="2s")
                self.assertTrue(col.spans())
                self.assertEqual(col.errors(), [])
                self.assertEqual(self.spans_summary(res)["failed_exports"], 0)

    def test_grpc_tls_untrusted_certificate_fails_clearly(self):
        with tempfile.TemporaryDirectory() as d:
            _, pems = self.self_signed(d)
            with oc.start_collector(grpc_tls=pems) as col, Shop() as shop:
                env = col.env(protocol="grpc")
                env.update({"OTEL_EXPORTER_OTLP_TIMEOUT": "1000", "OTEL_BSP_EXPORT_TIMEOUT": "2000"})
                res = self.run_shop(shop, env, run_time="2s")
                self.assertEqual(col.requests(), [])
                summary = self.spans_summary(res)
                self.assertEqual(summary["exported"], 0, summary)
                self.assertGreater(summary["failed_exports"], 0, summary)
                self.assertRegex(res.stderr, r"trace export failed \(otlp grpc.*https://127\.0\.0\.1")

    def test_grpc_unreadable_certificate_is_named(self):
        with oc.start_collector() as col, Shop() as shop:
            env = col.env(protocol="grpc")
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = env["OTEL_EXPORTER_OTLP_ENDPOINT"].replace(
                "http://", "https://")
            env["OTEL_EXPORTER_OTLP_CERTIFICATE"] = "/nonexistent/ca.pem"
            res = self.run_shop(shop, env, run_time="1s")
            self.assertIn("OTEL_EXPORTER_OTLP_CERTIFICATE", res.stderr)
            self.assertIn("/nonexistent/ca.pem", res.stderr)

    def test_file_exporter_writes_otlp_json_lines(self):
        with Shop() as shop, tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "traces.jsonl")
            # LOADGEN_OTLP_FILE adds the file exporter to every signal (also with
            # OTEL_LOGS_EXPORTER=none, which run_shop sets).
            self.run_shop(shop, {"LOADGEN_OTLP_FILE": path}, run_time="2s")
            with open(path) as f:
                every = [json.loads(line) for line in f if line.strip()]
            # The file is shared by the signals: whole lines of TracesData, LogsData and
            # MetricsData.
            lines = [line for line in every if "resourceSpans" in line]
            self.assertTrue(any("resourceLogs" in line for line in every))
            self.assertTrue(any("resourceMetrics" in line for line in every))
            self.assertTrue(all(len(line) == 1 for line in every))
            self.assertTrue(all(next(iter(line)) in ("resourceSpans", "resourceLogs", "resourceMetrics")
                                for line in every))
            self.assertTrue(lines)
            names = {s["name"] for line in lines for rs in line["resourceSpans"]
                     for ss in rs["scopeSpans"] for s in ss["spans"]}
            self.assertIn("GET", names)
            self.assertIn("user_index", names)


if __name__ == "__main__":
    unittest.main()
