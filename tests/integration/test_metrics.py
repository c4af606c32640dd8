"""Metrics over OTLP, decoded by the independent collector: http.client.request.duration
(explicit buckets by default, base2 exponential on request; cumulative or delta), whose counts
add up to the requests sent, with exemplars pointing at exported spans; the loadgen.* and
process.* instruments."""
import unittest

import otlp_collector as oc
from harness import LoadgenTestCase, Outputs
from shop_harness import Shop, shopsim_bin

USERS = 4
# The HTTP semantic conventions advice for http.client.request.duration.
BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]
# http.client.request.duration's attributes (HTTP client semantic conventions).
SEMCONV_ATTRIBUTES = {"http.request.method", "server.address", "server.port", "url.scheme",
                      "http.response.status_code", "error.type", "network.protocol.version"}


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class Metrics(LoadgenTestCase):
    # 5 s: loadgen.requests.rate is Locust's current_rps, the mean of the whole seconds from the
    # first request to 2 s before the last; 3 s left that window empty when a slow (ASan) start
    # delayed the first request.
    def run_shop(self, shop, env, run_time="5s", extra=()):
        env = dict(env)
        env.setdefault("OTEL_METRIC_EXPORT_INTERVAL", "700")
        env.setdefault("OTEL_BSP_SCHEDULE_DELAY", "300")
        env.setdefault("OTEL_LOGS_EXPORTER", "none")
        res = shop.loadgen(USERS, run_time, wait_time="between(0, 0.1)", extra=extra,
                           extra_env=env).wait(60)
        self.assertExit(res, 0)
        return res

    def last_export(self, col):
        reqs = [r for r in col.requests("metrics") if r.status == 200]
        self.assertTrue(reqs)
        return reqs

    def duration_points(self, col, request):
        msg = request.message
        out = []
        for rm in msg.resource_metrics:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name == "http.client.request.duration":
                        self.assertEqual(m.unit, "s")
                        out.append(m)
        return out

    def check(self, protocol, exponential=False, delta=False):
        env = {}
        if exponential:
            env["OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION"] = \
                "base2_exponential_bucket_histogram"
        if delta:
            env["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"] = "delta"
        out = Outputs()
        with oc.start_collector() as col, Shop() as shop:
            res = self.run_shop(shop, dict(col.env(protocol=protocol), **env), extra=out.args())
            self.assertEqual(col.errors(), [])
            stats = shop.stats()
            flagd = shop.flag_stats()
            exports = self.last_export(col)
            self.assertGreaterEqual(len(exports), 3)
            counts = []
            exemplar_ids = set()
            for req in exports:
                total = 0
                for m in self.duration_points(col, req):
                    kind = m.WhichOneof("data")
                    self.assertEqual(kind, "exponential_histogram" if exponential else "histogram")
                    data = getattr(m, kind)
                    self.assertEqual(data.aggregation_temporality, 1 if delta else 2)
                    for p in data.data_points:
                        a = {kv.key: kv.value for kv in p.attributes}
                        # The HTTP client semconv set; loadgen.request.name only on request
                        # (LOADGEN_METRICS_REQUEST_NAME) and never the raw URL.
                        self.assertLessEqual({"http.request.method", "server.address",
                                              "server.port", "url.scheme",
                                              "network.protocol.version"}, set(a))
                        self.assertLessEqual(set(a), SEMCONV_ATTRIBUTES, a)
                        self.assertEqual(a["network.protocol.version"].string_value, "1.1")
                        self.assertEqual(a["url.scheme"].string_value, "http")
                        if exponential:
                            n = p.zero_count + sum(p.positive.bucket_counts) + sum(p.negative.bucket_counts)
                        else:
                            self.assertEqual(list(p.explicit_bounds), BOUNDS)
                            n = sum(p.bucket_counts)
                        self.assertEqual(n, p.count)
                        total += p.count
                        for e in p.exemplars:
                            exemplar_ids.add((e.trace_id.hex(), e.span_id.hex()))
                counts.append(total)
            # Shop and flagd requests, all of them (the final export follows the stop); the
            # few killed in flight are not finished requests and are not counted.
            sent = stats["requests_total"] + flagd["requests_total"]
            got = sum(counts) if delta else counts[-1]
            self.assertLessEqual(got, sent)
            self.assertGreaterEqual(got, sent - USERS, (got, sent))
            if not delta:
                self.assertEqual(counts, sorted(counts))  # cumulative never shrinks
            spans = {(s["trace_id"], s["span_id"]) for s in col.spans()}
            self.assertTrue(exemplar_ids)
            self.assertLessEqual(exemplar_ids, spans)
            names = {m.name for req in exports for rm in req.message.resource_metrics
                     for sm in rm.scope_metrics for m in sm.metrics}
            self.assertLessEqual({"loadgen.users.active", "loadgen.users.target",
                                  "process.cpu.time", "process.memory.usage",
                                  "process.thread.count", "process.unix.file_descriptor.count"},
                                 names)
            self.assertIn("Metrics: ", res.stderr)
            self.check_loadgen_metrics(exports, delta, out)

    @staticmethod
    def metrics_named(export, name):
        return [m for rm in export.message.resource_metrics for sm in rm.scope_metrics
                for m in sm.metrics if m.name == name]

    def number_points(self, export, name):
        """{attributes tuple: value} of a Sum or Gauge in one export."""
        out = {}
        for m in self.metrics_named(export, name):
            data = getattr(m, m.WhichOneof("data"))
            for p in data.data_points:
                key = tuple(sorted((kv.key, getattr(kv.value, kv.value.WhichOneof("value")))
                                   for kv in p.attributes))
                out[key] = p.as_int if p.WhichOneof("value") == "as_int" else p.as_double
        return out

    def check_loadgen_metrics(self, exports, delta, out):
        last = exports[-1]
        # loadgen.requests: the stats table's counts, by name, method and outcome.
        by_key = {}
        for e in (exports if delta else [last]):
            for m in self.metrics_named(e, "loadgen.requests"):
                self.assertEqual(m.unit, "{request}")
                self.assertTrue(m.sum.is_monotonic)
                self.assertEqual(m.sum.aggregation_temporality, 1 if delta else 2)
            for k, v in self.number_points(e, "loadgen.requests").items():
                by_key[k] = by_key.get(k, 0) + v
        _, rows = out.stats()
        table = {(r["Type"], r["Name"]): r for r in rows}
        per_row = {}
        for k, v in by_key.items():
            a = dict(k)
            self.assertIn(a["loadgen.request.outcome"], ("ok", "http_status"), a)
            row = (a["http.request.method"], a["loadgen.request.name"])
            per_row[row] = per_row.get(row, 0) + v
        self.assertEqual(sum(per_row.values()), int(table[("", "Aggregated")]["Request Count"]))
        self.assertEqual(set(per_row), set(table) - {("", "Aggregated")})
        for row, n in per_row.items():
            self.assertEqual(n, int(table[row]["Request Count"]), row)
        failures = sum(v for k, v in by_key.items() if dict(k)["loadgen.request.outcome"] != "ok")
        self.assertEqual(failures, int(table[("", "Aggregated")]["Failure Count"]))
        # Users: all spawned, all stopped by the end.
        spawned = self.number_points(last, "loadgen.users.spawned")
        stopped = self.number_points(last, "loadgen.users.stopped")
        if delta:
            spawned = {(): sum(self.number_points(e, "loadgen.users.spawned").get((), 0)
                               for e in exports)}
            stopped = {(): sum(self.number_points(e, "loadgen.users.stopped").get((), 0)
                               for e in exports)}
        self.assertEqual(spawned, {(): USERS})
        self.assertEqual(stopped, {(): USERS})
        # Connections (docs/connections.md): some opened, requests reused them; every request
        # went on a fresh or a reused connection.
        def total(name):
            return sum(sum(self.number_points(e, name).values())
                       for e in (exports if delta else [last]))
        opened, reused = total("loadgen.connections.opened"), total("loadgen.connections.reused")
        self.assertGreater(opened, 0)
        self.assertGreater(reused, 0)
        self.assertGreaterEqual(opened + reused, int(table[("", "Aggregated")]["Request Count"]))
        for name in ("loadgen.connections.pool.taken", "loadgen.connections.pool.returned",
                     "loadgen.connections.pool.replaced", "loadgen.connections.open",
                     "loadgen.connections.pool.idle"):
            self.assertTrue(self.metrics_named(last, name), name)
        # The current rate was positive while the users ran.
        rates = [self.number_points(e, "loadgen.requests.rate").get((), 0) for e in exports]
        self.assertGreater(max(rates), 0)
        # Event loops: a delay histogram per worker thread, ~50 samples a second each; CPU
        # time per loop thread within the process's CPU time; utilization a fraction.
        threads = set()
        samples = 0
        for e in (exports if delta else [last]):
            for m in self.metrics_named(e, "loadgen.eventloop.delay"):
                self.assertEqual(m.unit, "s")
                for p in m.histogram.data_points:
                    threads.add(p.attributes[0].value.string_value)
                    samples += p.count
                    self.assertGreaterEqual(p.min, 0)
        self.assertTrue(threads)
        self.assertTrue(all(t.startswith("loadgen-w") for t in threads), threads)
        self.assertGreater(samples, 40 * len(threads))  # 3 s at one per 20 ms, per thread
        loop_cpu = self.number_points(last, "loadgen.eventloop.cpu.time")
        self.assertEqual({dict(k)["thread.name"] for k in loop_cpu}, threads)
        if not delta:
            process_cpu = sum(self.number_points(last, "process.cpu.time").values())
            self.assertLessEqual(sum(loop_cpu.values()), process_cpu + 0.05)
        utils = [v for e in exports
                 for v in self.number_points(e, "loadgen.eventloop.utilization").values()]
        self.assertTrue(utils)
        self.assertTrue(all(0 <= u <= 1.05 for u in utils), utils)
        putil = [v for e in exports
                 for v in self.number_points(e, "process.cpu.utilization").values()]
        self.assertTrue(putil and all(0 <= u <= 1.05 for u in putil), putil)

    def test_bad_request_name_switch_is_rejected(self):
        with Shop() as shop:
            res = shop.loadgen(1, "1s", extra_env={"LOADGEN_METRICS_REQUEST_NAME": "yes"}).wait(30)
            self.assertExit(res, 2)
            self.assertIn("LOADGEN_METRICS_REQUEST_NAME='yes'", res.stdout + res.stderr)

    def test_http_protobuf_explicit_cumulative(self):
        self.check("http/protobuf")

    def test_grpc_exponential(self):
        self.check("grpc", exponential=True)

    def test_http_json_delta(self):
        self.check("http/json", delta=True)


if __name__ == "__main__":
    unittest.main()
