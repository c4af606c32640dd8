"""A collector that is down, answers 503 with Retry-After, hangs past the export timeout, or
cannot keep up (full queue) changes neither the request rate nor memory beyond a bound; drops
and failed exports are reported in the summary, and the run ends on time. All three signals
export to the faulty collector (metrics every 300 ms, logs every 200 ms); the shop scenario
test adds a log record per task.

The rate is checked functionally, not as a speed goal: users run at a fixed pace
(constant_throughput) far below what the machine can do, so a pipeline that blocked the
workers, even briefly, would lose requests against the fault-free baseline."""
import os
import re
import tempfile
import time
import unittest

import otlp_collector as oc
from harness import LoadgenProcess, LoadgenTestCase, Nginx, headless_args
from shop_harness import Shop, shopsim_bin

USERS = 20
PACE = 25          # tasks per second per user: 500 requests/s in all
RUN_S = 4
SPANS = re.compile(r"Spans: (\d+) exported, (\d+) dropped, (\d+) in failed exports "
                   r"\((\d+) failed exports, (\d+) retries\)")
LOGS = re.compile(r"Log records: (\d+) exported, (\d+) dropped, (\d+) in failed exports "
                  r"\((\d+) failed exports, (\d+) retries\)")
METRICS = re.compile(r"Metrics: (\d+) exports \((\d+) data points\), (\d+) failed exports")
NO_EXPORT = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
             "OTEL_LOGS_EXPORTER": "none"}


class TraceFaults(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nginx = Nginx().start()

    @classmethod
    def tearDownClass(cls):
        cls.nginx.stop()

    @staticmethod
    def fault_env(env):
        env = dict(env)
        env.setdefault("OTEL_BSP_SCHEDULE_DELAY", "200")
        env.setdefault("OTEL_BLRP_SCHEDULE_DELAY", "200")
        env.setdefault("OTEL_METRIC_EXPORT_INTERVAL", "300")
        env.setdefault("OTEL_METRIC_EXPORT_TIMEOUT", "1000")
        env.setdefault("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")
        env.setdefault("OTEL_BSP_EXPORT_TIMEOUT", "2000")
        env.setdefault("OTEL_BLRP_EXPORT_TIMEOUT", "2000")
        return env

    def run_paced(self, env):
        args = headless_args(self.nginx.url(), users=USERS, spawn_rate=1000, run_time=f"{RUN_S}s",
                             paths=("/index.html",),
                             wait_time=f"constant_throughput({PACE})")
        return self.measure(LoadgenProcess(args, extra_env=self.fault_env(env)))

    def measure(self, proc):
        """Waits for a run: (result with .hwm_kb, final request count, the Spans: match)."""
        # Peak memory: VmHWM sampled while it runs (rusage's maxrss would include the forked
        # Python image before exec).
        hwm = 0
        deadline = time.monotonic() + RUN_S + 30
        while proc.proc.poll() is None and time.monotonic() < deadline:
            try:
                with open(f"/proc/{proc.proc.pid}/status") as f:
                    m = re.search(r"VmHWM:\s+(\d+)", f.read())
                if m:
                    hwm = max(hwm, int(m.group(1)))
            except (FileNotFoundError, ProcessLookupError):
                break
            time.sleep(0.1)
        res = proc.wait(10)
        res.hwm_kb = hwm
        self.assertExit(res, 0)
        # The final table's Aggregated row (live tables are printed before it).
        rows = re.findall(r"Aggregated\s+(\d+)\s+(\d+)\(", res.stderr)
        self.assertTrue(rows, res.describe())
        m = rows[-1]
        spans = SPANS.search(res.stderr)
        return res, int(m[0]), spans

    def assert_metrics_and_logs_failed(self, res):
        """Metrics and logs went to the same faulty collector: exports failed, none hung."""
        metrics = METRICS.search(res.stderr)
        self.assertIsNotNone(metrics, res.stderr)
        self.assertGreater(int(metrics.group(3)), 0, res.stderr)
        logs = LOGS.search(res.stderr)
        self.assertIsNotNone(logs, res.stderr)
        self.assertEqual(int(logs.group(1)), 0, res.stderr)

    def assert_same_rate(self, requests, baseline, what):
        # Same rate: within 8 % of the fault-free run (both are paced to PACE * USERS / s).
        self.assertGreaterEqual(requests, 0.92 * baseline, f"{what}: {requests} vs {baseline}")

    @classmethod
    def baseline(cls):
        return cls._baseline

    def setUp(self):
        if not hasattr(type(self), "_baseline"):
            res, n, _ = self.run_paced(NO_EXPORT)
            type(self)._baseline = (n, res.hwm_kb)
            # Paced, not saturated: close to the nominal rate.
            self.assertGreater(n, 0.8 * USERS * PACE * RUN_S, res.stderr)

    def test_collector_refusing_connections(self):
        res, n, spans = self.run_paced({"OTEL_EXPORTER_OTLP_ENDPOINT": oc.refused_endpoint()})
        self.assert_same_rate(n, self._baseline[0], "refused")
        self.assertIsNotNone(spans, res.stderr)
        self.assertEqual(int(spans.group(1)), 0)
        self.assertGreater(int(spans.group(3)) + int(spans.group(2)), 0)  # failed or dropped
        self.assertGreater(int(spans.group(4)), 0)
        self.assert_metrics_and_logs_failed(res)
        self.assertLess(res.wall, RUN_S + 8, res.describe())

    def test_503_with_retry_after(self):
        with oc.start_collector(grpc_enabled=False) as col:
            col.fail_next(10_000, status=503, retry_after=1)
            # A timeout with room for a retry after the 1 s the collector asks for.
            res, n, spans = self.run_paced(dict(col.env(protocol="http/protobuf"),
                                                OTEL_EXPORTER_OTLP_TIMEOUT="2500"))
            self.assert_same_rate(n, self._baseline[0], "503")
            self.assertEqual(int(spans.group(1)), 0)
            self.assertGreater(int(spans.group(5)), 0, res.stderr)  # retried
            self.assertGreater(int(spans.group(4)), 0, res.stderr)  # then failed
            self.assertTrue(all(r.status == 503 for r in col.requests("traces")))
            self.assert_metrics_and_logs_failed(res)
            self.assertTrue(col.requests("metrics"))
            self.assertTrue(all(r.status == 503 for r in col.requests("metrics")))
            self.assertLess(res.wall, RUN_S + 8, res.describe())

    def test_collector_hanging_past_the_timeout(self):
        with oc.start_collector(grpc_enabled=False) as col:
            col.hang()
            res, n, spans = self.run_paced(col.env(protocol="http/protobuf"))
            col.release()
            self.assert_same_rate(n, self._baseline[0], "hang")
            self.assertEqual(int(spans.group(1)), 0)
            self.assertGreater(int(spans.group(4)), 0, res.stderr)
            self.assert_metrics_and_logs_failed(res)
            # Exit within the run time + the export timeout bound (plus start-up slack).
            self.assertLess(res.wall, RUN_S + 8, res.describe())

    def test_full_queue_drops_and_bounds_memory(self):
        with oc.start_collector(grpc_enabled=False) as col:
            col.hang()
            res, n, spans = self.run_paced(dict(col.env(protocol="http/protobuf"),
                                                OTEL_BSP_MAX_QUEUE_SIZE="100",
                                                OTEL_BSP_MAX_EXPORT_BATCH_SIZE="50"))
            col.release()
            self.assert_same_rate(n, self._baseline[0], "full queue")
            dropped = int(spans.group(2))
            # ~2,000 spans against a 100-span queue behind a hung collector: most are dropped.
            self.assertGreater(dropped, n // 2, res.stderr)
            # Memory stays near the run without export (no unbounded buffering): the pipeline's
            # thread, its buffers and a 100-span queue cost a few MiB; 16 MiB is the bound.
            self.assertGreater(res.hwm_kb, 0)
            self.assertLess(res.hwm_kb, self._baseline[1] + 16 * 1024,
                            (res.hwm_kb, self._baseline[1]))

    def test_default_batching_keeps_up(self):
        """With the default OTEL_BSP_* (5 s delay, 2048-span queue, 512 per batch) ~800 spans/s
        are all exported: full batches leave as soon as they are queued (the spec's trigger),
        not only every 5 s (which would overflow the queue and drop)."""
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "traces.jsonl")
            args = headless_args(self.nginx.url(), users=USERS, spawn_rate=1000,
                                 run_time=f"{RUN_S}s", paths=("/index.html",),
                                 wait_time="constant_throughput(40)") + ["--threads", "2"]
            res, n, spans = self.measure(LoadgenProcess(args, extra_env={
                "LOADGEN_OTLP_TRACES_FILE": path, "OTEL_METRICS_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "none"}))
            self.assertIsNotNone(spans, res.stderr)
            self.assertGreater(n, 2048 + 512, res.stderr)  # more than the queue holds
            self.assertEqual(int(spans.group(2)), 0, res.stderr)  # nothing dropped
            self.assertGreaterEqual(int(spans.group(1)), n, res.stderr)

    @unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
    def test_shop_logs_and_metrics_to_a_hung_collector(self):
        """The shop scenario writes a log record per task: with a hung collector and a
        100-record log queue, records are dropped and counted, the request rate and memory
        stay those of the run without export, and the run ends on time."""
        def run(shop, env):
            # One seed for both runs: the same task sequence, so the request counts compare
            # (tasks send 1 to ~10 requests each: unseeded, 4 s of them vary by ~10 %).
            proc = shop.loadgen(USERS, f"{RUN_S}s", wait_time=f"constant_throughput({PACE // 5})",
                                spawn_rate=1000, extra=("--seed", "7"),
                                extra_env=self.fault_env(env))
            return self.measure(proc)

        with Shop() as shop:
            base_res, base_n, _ = run(shop, NO_EXPORT)
        with oc.start_collector(grpc_enabled=False) as col, Shop() as shop:
            col.hang()
            res, n, _ = run(shop, dict(col.env(protocol="http/protobuf"),
                                       OTEL_BLRP_MAX_QUEUE_SIZE="100",
                                       OTEL_BSP_MAX_QUEUE_SIZE="100",
                                       OTEL_BLRP_MAX_EXPORT_BATCH_SIZE="50"))
            col.release()
        self.assert_same_rate(n, base_n, "shop, hung collector")
        logs = LOGS.search(res.stderr)
        self.assertIsNotNone(logs, res.stderr)
        # Hundreds of task log lines against a 100-record queue behind a hung collector.
        self.assertGreater(int(logs.group(2)), 100, res.stderr)
        self.assert_metrics_and_logs_failed(res)
        self.assertLess(res.wall, RUN_S + 8, res.describe())
        self.assertLess(res.hwm_kb, base_res.hwm_kb + 16 * 1024, (res.hwm_kb, base_res.hwm_kb))


if __name__ == "__main__":
    unittest.main()
