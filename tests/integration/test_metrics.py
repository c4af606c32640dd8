"""Metrics over OTLP, decoded by the independent collector: http.client.request.duration
(explicit buckets by default, base2 exponential on request; cumulative or delta), whose counts
add up to the requests sent, with exemplars pointing at exported spans; the loadgen.* and
process.* instruments."""
import unittest

import otlp_collector as oc
from harness import LoadgenTestCase
from shop_harness import Shop, shopsim_bin

USERS = 4
# The HTTP semantic conventions advice for http.client.request.duration.
BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class Metrics(LoadgenTestCase):
    def run_shop(self, shop, env, run_time="3s"):
        env = dict(env)
        env.setdefault("OTEL_METRIC_EXPORT_INTERVAL", "700")
        env.setdefault("OTEL_BSP_SCHEDULE_DELAY", "300")
        env.setdefault("OTEL_LOGS_EXPORTER", "none")
        res = shop.loadgen(USERS, run_time, wait_time="between(0, 0.1)", extra_env=env).wait(60)
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
        with oc.start_collector() as col, Shop() as shop:
            res = self.run_shop(shop, dict(col.env(protocol=protocol), **env))
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
                        self.assertIn("http.request.method", a)
                        self.assertIn("server.address", a)
                        self.assertIn("loadgen.request.name", a)
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
            self.assertIn("Metrics: ", res.stdout)

    def test_http_protobuf_explicit_cumulative(self):
        self.check("http/protobuf")

    def test_grpc_exponential(self):
        self.check("grpc", exponential=True)

    def test_http_json_delta(self):
        self.check("http/json", delta=True)


if __name__ == "__main__":
    unittest.main()
