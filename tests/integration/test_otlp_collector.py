#!/usr/bin/python3
"""Self-test of otlp_collector.py: requests built with the runtime-generated protobuf
classes and with hand-written OTLP/JSON (no loadgen code), posted over HTTP (gzip and
not) and gRPC, checked through the collector's neutral view; fault answers too."""

import gzip
import json
import threading
import time
import unittest
import urllib.error
import urllib.request

import otlp_collector as oc

TRACE_ID = bytes.fromhex("5b8efff798038103d269b633813fc60c")
ROOT_ID = bytes.fromhex("eee19b7ec3c1b174")
CHILD_ID = bytes.fromhex("eee19b7ec3c1b173")


def build_traces(pb):
    req = pb.trace_svc.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "loadgen"
    ss = rs.scope_spans.add()
    ss.scope.name, ss.scope.version = "loadgen", "0.1.0"
    root = ss.spans.add()
    root.trace_id, root.span_id, root.name = TRACE_ID, ROOT_ID, "user_browse_product"
    root.kind = pb.trace.Span.SPAN_KIND_INTERNAL
    root.start_time_unix_nano, root.end_time_unix_nano = 1544712660000000000, 1544712661000000000
    a = root.attributes.add()
    a.key, a.value.string_value = "product.id", "OLJCESPC7Z"
    root.flags = 0x101
    child = ss.spans.add()
    child.trace_id, child.span_id, child.parent_span_id = TRACE_ID, CHILD_ID, ROOT_ID
    child.name, child.kind = "GET", pb.trace.Span.SPAN_KIND_CLIENT
    child.start_time_unix_nano, child.end_time_unix_nano = 1544712660100000000, 1544712660200000000
    for key, field, val in (("http.request.method", "string_value", "GET"),
                            ("http.response.status_code", "int_value", 503),
                            ("error.type", "string_value", "503"),
                            ("ratio", "double_value", 0.5), ("ok", "bool_value", False)):
        a = child.attributes.add()
        a.key = key
        setattr(a.value, field, val)
    a = child.attributes.add()
    a.key = "list"
    a.value.array_value.values.add().int_value = 1
    a.value.array_value.values.add().string_value = "two"
    child.status.code, child.status.message = pb.trace.Status.STATUS_CODE_ERROR, "boom"
    return req


TRACES_JSON = {
    "resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "loadgen"}}]},
        "scopeSpans": [{
            "scope": {"name": "loadgen", "version": "0.1.0"},
            "spans": [
                {"traceId": TRACE_ID.hex(), "spanId": ROOT_ID.hex(),
                 "name": "user_browse_product", "kind": 1,
                 "startTimeUnixNano": "1544712660000000000",
                 "endTimeUnixNano": "1544712661000000000",
                 "attributes": [{"key": "product.id", "value": {"stringValue": "OLJCESPC7Z"}}],
                 "flags": 257},
                {"traceId": TRACE_ID.hex(), "spanId": CHILD_ID.hex(),
                 "parentSpanId": ROOT_ID.hex(), "name": "GET", "kind": 3,
                 "startTimeUnixNano": "1544712660100000000",
                 "endTimeUnixNano": "1544712660200000000",
                 "attributes": [
                     {"key": "http.request.method", "value": {"stringValue": "GET"}},
                     {"key": "http.response.status_code", "value": {"intValue": "503"}},
                     {"key": "error.type", "value": {"stringValue": "503"}},
                     {"key": "ratio", "value": {"doubleValue": 0.5}},
                     {"key": "ok", "value": {"boolValue": False}},
                     {"key": "list", "value": {"arrayValue": {"values": [
                         {"intValue": "1"}, {"stringValue": "two"}]}}}],
                 "status": {"code": 2, "message": "boom"}},
            ]}]}]}


def post(url, body, ctype, gz=False, timeout=5):
    headers = {"Content-Type": ctype}
    if gz:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class CollectorTest(unittest.TestCase):
    def setUp(self):
        self.cm = oc.start_collector()
        self.col = self.cm.__enter__()
        self.pb = self.col.pb
        self.url = self.col.endpoint

    def tearDown(self):
        self.cm.__exit__(None, None, None)

    def check_trace_view(self, protocol):
        spans = self.col.spans()
        self.assertEqual(len(spans), 2)
        by_name = {s["name"]: s for s in spans}
        root, child = by_name["user_browse_product"], by_name["GET"]
        self.assertEqual(root["trace_id"], TRACE_ID.hex())
        self.assertEqual(root["parent_span_id"], "")
        self.assertEqual(child["parent_span_id"], root["span_id"])
        self.assertEqual(root["kind"], 1)
        self.assertEqual(child["kind"], 3)
        self.assertEqual(root["flags"], 0x101)
        self.assertEqual(root["start"], 1544712660000000000)
        self.assertEqual(root["attributes"], {"product.id": "OLJCESPC7Z"})
        self.assertEqual(child["attributes"], {
            "http.request.method": "GET", "http.response.status_code": 503, "error.type": "503",
            "ratio": 0.5, "ok": False, "list": [1, "two"]})
        self.assertEqual(child["status"], {"code": 2, "message": "boom"})
        self.assertEqual(child["resource"], {"service.name": "loadgen"})
        self.assertEqual(child["scope"]["name"], "loadgen")
        self.assertEqual(child["scope"]["version"], "0.1.0")
        self.assertEqual(child["protocol"], protocol)
        self.assertEqual(self.col.errors(), [])

    def test_protobuf_plain_and_gzip(self):
        body = build_traces(self.pb).SerializeToString()
        for gz in (False, True):
            self.col.clear()
            status, headers, rbody = post(self.url + "/v1/traces", body,
                                          "application/x-protobuf", gz)
            self.assertEqual(status, 200)
            self.assertEqual(rbody, b"")
            self.assertEqual(headers["Content-Type"], "application/x-protobuf")
            self.check_trace_view("http/protobuf")
            r = self.col.requests()[0]
            self.assertEqual(r.path, "/v1/traces")
            self.assertEqual(r.content_encoding, "gzip" if gz else "")
            self.assertEqual(r.header("content-type"), "application/x-protobuf")
            self.assertEqual(r.payload["resource_spans"][0]["scope_spans"][0]["spans"][1]
                             ["parent_span_id"], ROOT_ID.hex())

    def test_json_plain_and_gzip(self):
        body = json.dumps(TRACES_JSON).encode()
        for gz in (False, True):
            self.col.clear()
            status, headers, rbody = post(self.url + "/v1/traces", body, "application/json", gz)
            self.assertEqual((status, rbody), (200, b"{}"))
            self.assertEqual(headers["Content-Type"], "application/json")
            self.check_trace_view("http/json")

    def test_json_and_protobuf_same_payload(self):
        post(self.url + "/v1/traces", json.dumps(TRACES_JSON).encode(), "application/json")
        post(self.url + "/v1/traces", build_traces(self.pb).SerializeToString(),
             "application/x-protobuf")
        a, b = self.col.requests()
        self.assertEqual(a.payload, b.payload)

    def test_json_rule_violations_are_recorded(self):
        bad = json.loads(json.dumps(TRACES_JSON))
        sp = bad["resourceSpans"][0]["scopeSpans"][0]["spans"][1]
        sp["kind"] = "SPAN_KIND_CLIENT"                 # enum as name
        sp["startTimeUnixNano"] = 1544712660100000000    # 64-bit int as number
        sp["parentSpanId"] = "7uGbfsPBsXQ="              # base64 id
        sp["attributes"][1]["value"] = {"intValue": 503}
        sp["trace_id"] = TRACE_ID.hex()                  # snake_case key
        sp["status"]["code"] = 2
        status, _, _ = post(self.url + "/v1/traces", json.dumps(bad).encode(), "application/json")
        self.assertEqual(status, 200)
        errs = "\n".join(self.col.errors())
        self.assertIn("enum written as name", errs)
        self.assertIn("64-bit int written as JSON number", errs)
        self.assertIn("is not a hex string", errs)
        self.assertIn("proto field name used", errs)
        self.assertEqual(len(self.col.errors()), 5, errs)  # startTime + intValue: two numbers

    def test_bad_ids_and_bodies(self):
        req = build_traces(self.pb)
        req.resource_spans[0].scope_spans[0].spans[0].trace_id = bytes(16)
        req.resource_spans[0].scope_spans[0].spans[1].span_id = b"\x01\x02"
        post(self.url + "/v1/traces", req.SerializeToString(), "application/x-protobuf")
        errs = "\n".join(self.col.errors())
        self.assertIn("trace_id is all zero", errs)
        self.assertIn("span_id has 2 bytes", errs)
        self.col.clear()
        self.assertEqual(post(self.url + "/v1/traces", b"\xff\xff\xff",
                              "application/x-protobuf")[0], 400)
        self.assertEqual(post(self.url + "/v1/traces", b"{", "application/json")[0], 400)
        self.assertEqual(post(self.url + "/v1/traces", b"x", "text/plain")[0], 415)
        self.assertEqual(post(self.url + "/v1/nothing", b"", "application/json")[0], 404)
        self.assertEqual(self.col.spans(), [])

    def test_metrics_and_logs(self):
        mreq = self.pb.metrics_svc.ExportMetricsServiceRequest()
        rm = mreq.resource_metrics.add()
        sm = rm.scope_metrics.add()
        m = sm.metrics.add()
        m.name, m.unit = "http.client.request.duration", "s"
        m.histogram.aggregation_temporality = 2
        dp = m.histogram.data_points.add()
        dp.count, dp.sum = 3, 0.6
        dp.bucket_counts.extend([1, 2, 0])
        dp.explicit_bounds.extend([0.1, 0.5])
        a = dp.attributes.add()
        a.key, a.value.string_value = "http.request.method", "GET"
        c = sm.metrics.add()
        c.name = "requests"
        c.sum.is_monotonic, c.sum.aggregation_temporality = True, 2
        c.sum.data_points.add().as_int = 42
        self.assertEqual(post(self.url + "/v1/metrics", mreq.SerializeToString(),
                              "application/x-protobuf", gz=True)[0], 200)
        mjson = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [
            {"name": "requests", "sum": {"isMonotonic": True, "aggregationTemporality": 2,
                                         "dataPoints": [{"asInt": "42"}]}}]}]}]}
        self.assertEqual(post(self.url + "/v1/metrics", json.dumps(mjson).encode(),
                              "application/json")[0], 200)
        ms = self.col.metrics()
        self.assertEqual([m["name"] for m in ms],
                         ["http.client.request.duration", "requests", "requests"])
        h = ms[0]
        self.assertEqual(h["type"], "histogram")
        self.assertEqual(h["data_points"][0]["bucket_counts"], [1, 2, 0])
        self.assertEqual(h["data_points"][0]["sum"], 0.6)
        self.assertIsNone(h["data_points"][0]["min"])
        self.assertEqual(h["data_points"][0]["attributes"], {"http.request.method": "GET"})
        self.assertEqual(ms[1]["data_points"][0]["value"], 42)
        self.assertEqual(ms[2]["data_points"][0]["value"], 42)
        self.assertTrue(ms[2]["is_monotonic"])

        ljson = {"resourceLogs": [{"scopeLogs": [{"logRecords": [
            {"timeUnixNano": "1", "severityNumber": 9, "severityText": "INFO",
             "body": {"stringValue": "hello"}, "traceId": TRACE_ID.hex(),
             "spanId": ROOT_ID.hex(), "flags": 1}]}]}]}
        self.assertEqual(post(self.url + "/v1/logs", json.dumps(ljson).encode(),
                              "application/json", gz=True)[0], 200)
        logs = self.col.log_records()
        self.assertEqual(len(logs), 1)
        self.assertEqual((logs[0]["body"], logs[0]["severity_number"], logs[0]["trace_id"]),
                         ("hello", 9, TRACE_ID.hex()))
        self.assertEqual(self.col.errors(), [])

    def test_fail_next_and_retry_after(self):
        body = build_traces(self.pb).SerializeToString()
        self.col.fail_next(2, status=503, retry_after=3)
        status, headers, rbody = post(self.url + "/v1/traces", body, "application/x-protobuf")
        self.assertEqual((status, headers.get("Retry-After")), (503, "3"))
        st = self.pb.rpc.Status.FromString(rbody)
        self.assertEqual(st.message, "test failure")
        status, headers, rbody = post(self.url + "/v1/traces", json.dumps(TRACES_JSON).encode(),
                                      "application/json")
        self.assertEqual(status, 503)
        self.assertEqual(json.loads(rbody)["message"], "test failure")
        self.assertEqual(self.col.spans(), [])  # failed answers are not accepted data
        self.assertEqual(len(self.col.spans(include_rejected=True)), 4)
        self.col.fail_next(1, status=400)
        status, headers, _ = post(self.url + "/v1/traces", body, "application/x-protobuf")
        self.assertEqual(status, 400)
        self.assertNotIn("Retry-After", headers)
        self.assertEqual(post(self.url + "/v1/traces", body, "application/x-protobuf")[0], 200)
        self.assertEqual([r.status for r in self.col.requests()], [503, 503, 400, 200])
        self.assertEqual(len(self.col.spans()), 2)

    def test_partial_success(self):
        body = build_traces(self.pb).SerializeToString()
        self.col.partial_success(1, "one span dropped")
        status, _, rbody = post(self.url + "/v1/traces", body, "application/x-protobuf")
        self.assertEqual(status, 200)
        resp = self.pb.trace_svc.ExportTraceServiceResponse.FromString(rbody)
        self.assertEqual(resp.partial_success.rejected_spans, 1)
        self.assertEqual(resp.partial_success.error_message, "one span dropped")
        self.assertEqual(post(self.url + "/v1/traces", body, "application/x-protobuf")[2], b"")
        self.col.partial_success(2, "two", count=None)
        for _ in range(2):
            _, _, rbody = post(self.url + "/v1/traces", json.dumps(TRACES_JSON).encode(),
                               "application/json")
            self.assertEqual(json.loads(rbody), {"partialSuccess": {
                "rejectedSpans": "2", "errorMessage": "two"}})

    def test_hang_and_release(self):
        body = build_traces(self.pb).SerializeToString()
        self.col.hang()
        t0 = time.monotonic()
        with self.assertRaises(OSError):  # socket timeout
            post(self.url + "/v1/traces", body, "application/x-protobuf", timeout=0.5)
        self.assertGreaterEqual(time.monotonic() - t0, 0.45)
        self.assertTrue(self.col.requests()[0].hung)
        results = []
        th = threading.Thread(target=lambda: results.append(
            post(self.url + "/v1/traces", body, "application/x-protobuf", timeout=10)))
        th.start()
        self.assertTrue(self.col.wait_for_requests(2, timeout=5))
        time.sleep(0.2)
        self.assertEqual(results, [])
        self.col.release()
        th.join(5)
        self.assertEqual(results[0][0], 200)
        self.assertEqual(self.col.spans(), [])  # hung requests are not accepted data
        self.assertEqual(post(self.url + "/v1/traces", body, "application/x-protobuf")[0], 200)
        self.assertEqual(len(self.col.spans()), 2)

    def test_stop_refuses_and_restart(self):
        port = self.col.port
        body = build_traces(self.pb).SerializeToString()
        self.assertEqual(post(self.url + "/v1/traces", body, "application/x-protobuf")[0], 200)
        self.col.stop()
        with self.assertRaises(urllib.error.URLError):
            post(self.url + "/v1/traces", body, "application/x-protobuf")
        self.col.start(port=port)
        self.assertEqual(post(self.url + "/v1/traces", body, "application/x-protobuf")[0], 200)
        with self.assertRaises(urllib.error.URLError):
            post(oc.refused_endpoint() + "/v1/traces", body, "application/x-protobuf")

    def test_env(self):
        env = self.col.env("http/json", compression="gzip")
        self.assertEqual(env, {"OTEL_EXPORTER_OTLP_ENDPOINT": self.url,
                               "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
                               "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"})


@unittest.skipIf(oc.grpc is None, "python3-grpcio not installed")
class GrpcTest(unittest.TestCase):
    def setUp(self):
        self.cm = oc.start_collector()
        self.col = self.cm.__enter__()
        self.pb = self.col.pb
        import grpc
        self.grpc = grpc
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.col.grpc_port}")
        self.export = self.channel.unary_unary(
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            request_serializer=lambda m: m.SerializeToString(),
            response_deserializer=self.pb.trace_svc.ExportTraceServiceResponse.FromString)

    def tearDown(self):
        self.channel.close()
        self.cm.__exit__(None, None, None)

    def test_export_plain_and_gzip(self):
        req = build_traces(self.pb)
        self.export(req, timeout=5, metadata=(("x-test", "1"),))
        self.export(req, timeout=5, compression=self.grpc.Compression.Gzip)
        self.assertEqual(len(self.col.spans()), 4)
        self.assertEqual(self.col.spans()[1]["parent_span_id"], ROOT_ID.hex())
        self.assertEqual(self.col.spans()[0]["protocol"], "grpc")
        self.assertEqual(self.col.requests()[0].header("x-test"), "1")
        self.assertEqual(self.col.errors(), [])

    def test_unavailable_with_retry_info_then_partial(self):
        req = build_traces(self.pb)
        self.col.fail_next(1, status=503, retry_after=2)
        with self.assertRaises(self.grpc.RpcError) as cm:
            self.export(req, timeout=5)
        self.assertEqual(cm.exception.code(), self.grpc.StatusCode.UNAVAILABLE)
        details = dict(cm.exception.trailing_metadata())["grpc-status-details-bin"]
        st = self.pb.rpc.Status.FromString(details)
        self.assertEqual(st.details[0].type_url, "type.googleapis.com/google.rpc.RetryInfo")
        info = self.pb.rpc.RetryInfo.FromString(st.details[0].value)
        self.assertEqual(info.retry_delay.seconds, 2)
        self.col.partial_success(1, "dropped one")
        resp = self.export(req, timeout=5)
        self.assertEqual(resp.partial_success.rejected_spans, 1)
        self.assertEqual(self.col.requests()[0].grpc_code, 14)

    def test_hang_past_deadline(self):
        req = build_traces(self.pb)
        self.col.hang()
        with self.assertRaises(self.grpc.RpcError) as cm:
            self.export(req, timeout=0.5)
        self.assertEqual(cm.exception.code(), self.grpc.StatusCode.DEADLINE_EXCEEDED)
        self.col.release()
        self.export(req, timeout=5)
        self.assertEqual(len(self.col.spans()), 2)


if __name__ == "__main__":
    unittest.main()
