"""Every way a run ends: honest counts and a prompt exit.

* The final summary (stderr), the CSV (--csv) and the JSON (--json-file) agree with each other
  and with the fault server's own request count, whether the run ends at --run-time, on SIGINT,
  on SIGTERM, or with more users than the open-files limit allows.
* Telemetry: with a collector that accepts and never answers, the three signals flush at once
  within one bound (--flush-timeout, default 5 s), the summary is printed before that flush,
  and a second SIGINT/SIGTERM abandons it at once. With no collector at all (connection
  refused) the exit is not delayed. Traces, metrics and logs carry one service.instance.id.
* stdout carries only --json: it parses as JSON.
* A periodic CSV write that fails is retried at the next tick (said once); exit 3 only when the
  final write fails.

Timing bounds are the issue's (run time + flush bound), with slack for 2 shared cores and ASan
(+2.5 s), never exact times.
"""

import json
import os
import re
import resource
import signal
import time
import unittest

from harness import (FaultServer, LoadgenProcess, LoadgenTestCase, headless_args, loadgen_bin,
                     run_loadgen, wait_for)
from otlp_collector import refused_endpoint, start_collector

SLACK_S = 2.5  # 2 shared cores, ASan: generous, the bounds are far tighter than before
# The final stats table's Aggregated row on stderr: "Aggregated  <reqs>  <fails>(<pct>%) ...".
AGG_ROW = re.compile(r"^\s*Aggregated\s+(\d+)\s+(\d+)\(", re.M)


def summary_counts(stderr):
    """(requests, failures) of the last stats table printed (the final summary)."""
    rows = AGG_ROW.findall(stderr)
    return (int(rows[-1][0]), int(rows[-1][1])) if rows else None


class ExitPathCountsTest(LoadgenTestCase):
    """Summary, CSV and JSON agree with the server in every exit path."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def setUp(self):
        self.server.reset_counts()

    def args(self, out, users=4, run_time="3s", extra=()):
        # --stop-timeout: users end their request before stopping, so no request the server
        # answered is cancelled (a cancelled request is not a finished one, as in Locust).
        return (headless_args(self.server.host, users=users, spawn_rate=1000, run_time=run_time,
                              paths=["/ok"], wait_time="constant(0.01)")
                + ["--stop-timeout", "5", "--only-summary"] + list(extra) + out.args())

    def assertCountsAgree(self, res, out, connect_failures_allowed=False):
        served = self.server.counts()["paths"].get("/ok", 0)
        self.assertGreater(served, 0, res.describe())
        summary = summary_counts(res.stderr)
        self.assertIsNotNone(summary, res.describe())
        agg = out.stats_by_name()["Aggregated"]
        csv_counts = (int(agg["Request Count"]), int(agg["Failure Count"]))
        # --json-file is Locust's serialize_stats() list: one entry per name, no aggregate.
        entries = out.json()
        self.assertNotIn("Aggregated", [e["name"] for e in entries])
        json_counts = (sum(e["num_requests"] for e in entries),
                       sum(e["num_failures"] for e in entries))
        self.assertEqual(summary, csv_counts, res.describe())
        self.assertEqual(summary, json_counts, res.describe())
        requests, failures = summary
        if connect_failures_allowed:
            # Failures never reached the server: the open-files limit stopped their connect.
            kinds = out.failure_kinds()
            self.assertEqual(sum(kinds.values()), failures, kinds)
            self.assertTrue(set(kinds) <= {"connect", "connect_refused"}, kinds)
        else:
            self.assertEqual(failures, 0, res.describe())
        self.assertEqual(requests - failures, served, res.describe())

    def test_run_time(self):
        out = self.outputs()
        res = run_loadgen(self.args(out), timeout=40)
        self.assertExit(res, 0)
        self.assertCountsAgree(res, out)

    def interrupted(self, sig):
        out = self.outputs()
        proc = LoadgenProcess(self.args(out, run_time="60s"))
        wait_for(lambda: self.server.counts()["paths"].get("/ok", 0) >= 50
                 or proc.proc.poll() is not None, timeout=20, what="requests")
        self.assertIsNone(proc.proc.poll(), "loadgen exited before the signal")
        proc.send_signal(sig)
        res = proc.wait(timeout=30)
        self.assertExit(res, 0)
        self.assertCountsAgree(res, out)

    def test_sigint(self):
        self.interrupted(signal.SIGINT)

    def test_sigterm(self):
        self.interrupted(signal.SIGTERM)

    def test_users_above_the_open_files_limit(self):
        if os.environ.get("UBSAN_OPTIONS"):
            # UBSan's vptr check reads memory through a pipe(2) of its own; with every descriptor
            # in use that pipe fails and it reports "invalid vptr" on live objects (a sanitizer
            # false positive at the fd limit; its suppressions do not match it). The release
            # build runs this test.
            self.skipTest("UBSan's vptr check needs a free descriptor")
        limit = 64

        def lower_nofile():  # in the child: soft and hard, so loadgen cannot raise it
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

        out = self.outputs()
        proc = LoadgenProcess(self.args(out, users=limit + 40), preexec_fn=lower_nofile)
        res = proc.wait(timeout=60)
        self.assertNoCrash(res)
        self.assertIn(res.returncode, (0, 1), res.describe())
        self.assertIn("open files", res.stderr, res.describe())  # the limit was warned about
        self.assertCountsAgree(res, out, connect_failures_allowed=True)


class PromptExitTest(LoadgenTestCase):
    """The final telemetry flush is bounded once, not once per signal, and can be cut short."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def start(self, col_env, run_time, extra=(), out=None):
        env = dict(col_env)
        env.update({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp",
                    "OTEL_LOGS_EXPORTER": "otlp", "OTEL_BSP_SCHEDULE_DELAY": "200",
                    "OTEL_BLRP_SCHEDULE_DELAY": "200", "OTEL_METRIC_EXPORT_INTERVAL": "1000"})
        args = headless_args(self.server.host, users=2, spawn_rate=100, run_time=run_time,
                             paths=["/ok"], wait_time="constant(0.05)") + list(extra)
        if out is not None:
            args += out.args()
        return LoadgenProcess(args, extra_env=env)

    def hung_collector(self):
        cm = start_collector(grpc_enabled=False)  # keep the manager: it stops the collector
        col = cm.__enter__()
        self.addCleanup(cm.__exit__, None, None, None)
        self.addCleanup(col.release)  # before stopping it: its held requests end
        col.hang()  # accepts, reads, never answers
        return col

    def test_short_run_with_a_hung_collector_ends_within_the_flush_bound(self):
        col = self.hung_collector()
        out = self.outputs()
        proc = self.start(col.env("http/protobuf"), "2s", out=out)
        res = proc.wait(timeout=60)
        self.assertExit(res, 0)
        # Before: 2 s + 10 s per signal, one after another (~32 s). Now: 2 s + 5 s, once.
        self.assertLess(res.wall, 2 + 5 + SLACK_S, res.describe())
        # The summary and the reports came before the flush (and the counters line after it).
        self.assertIn("Response time percentiles", res.stderr)
        self.assertLess(res.stderr.index("Response time percentiles"),
                        res.stderr.index("Spans: "), res.describe())
        self.assertGreater(out.json()[-1]["num_requests"], 0)
        self.assertTrue(col.requests(), "the collector saw no export")

    def test_flush_timeout_is_configurable(self):
        col = self.hung_collector()
        proc = self.start(col.env("http/protobuf"), "2s", extra=["--flush-timeout", "1s"])
        res = proc.wait(timeout=60)
        self.assertExit(res, 0)
        self.assertLess(res.wall, 2 + 1 + SLACK_S, res.describe())

    def interrupt(self, sig, twice):
        col = self.hung_collector()
        out = self.outputs()
        proc = self.start(col.env("http/protobuf"), "60s", out=out)
        wait_for(lambda: col.requests() or proc.proc.poll() is not None, timeout=20,
                 what="a first export")
        self.assertIsNone(proc.proc.poll(), "loadgen exited before the signal")
        signalled = time.monotonic()
        proc.send_signal(sig)
        if twice:
            wait_for(lambda: "Response time percentiles" in proc.stderr_text()
                     or proc.proc.poll() is not None, timeout=15, what="the summary")
            second = time.monotonic()
            proc.send_signal(sig)
        res = proc.wait(timeout=60)
        self.assertExit(res, 0)
        self.assertIn("Response time percentiles", res.stderr, res.describe())
        self.assertGreater(out.json()[-1]["num_requests"], 0)
        ended = proc.started + res.wall
        if twice:
            # Before: the second signal changed nothing (30 s). Now: exit at once.
            self.assertLess(ended - second, 1.0 + SLACK_S / 2, res.describe())
            self.assertIn("abandoned the final telemetry flush", res.stderr, res.describe())
        else:
            # Before: 30 s (three signals, 10 s each, one after another). Now: one 5 s bound.
            self.assertLess(ended - signalled, 5 + SLACK_S, res.describe())
            self.assertNotIn("abandoned", res.stderr, res.describe())
        return res

    def test_sigint_with_a_hung_collector_ends_within_the_flush_bound(self):
        col_res = self.interrupt(signal.SIGINT, twice=False)
        self.assertIn("Spans: ", col_res.stderr)

    def test_second_sigint_abandons_the_flush(self):
        self.interrupt(signal.SIGINT, twice=True)

    def test_second_sigterm_abandons_the_flush(self):
        self.interrupt(signal.SIGTERM, twice=True)

    def test_no_collector_does_not_delay_the_exit(self):
        # Default exporters (OTLP for all three signals) and nobody listening.
        proc = self.start({"OTEL_EXPORTER_OTLP_ENDPOINT": refused_endpoint()}, "2s")
        res = proc.wait(timeout=60)
        self.assertExit(res, 0)
        self.assertLess(res.wall, 2 + SLACK_S, res.describe())


class OneResourceTest(LoadgenTestCase):
    def test_traces_metrics_and_logs_carry_one_service_instance_id(self):
        with FaultServer() as server, start_collector(grpc_enabled=False) as col:
            env = col.env("http/protobuf")
            env.update({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp",
                        "OTEL_LOGS_EXPORTER": "otlp",
                        # a malformed resource entry: its warning is printed once, not 3 times
                        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test,broken"})
            res = run_loadgen(headless_args(server.host, users=1, run_time="2s",
                                            wait_time="constant(0.05)"),
                              timeout=40, extra_env=env)
            self.assertExit(res, 0)
            ids = {}
            for name, items in (("traces", col.spans()), ("metrics", col.metrics()),
                                ("logs", col.log_records())):
                self.assertTrue(items, f"no {name} exported\n" + res.describe())
                ids[name] = {i["resource"].get("service.instance.id") for i in items}
            self.assertEqual(len(ids["traces"]), 1, ids)
            self.assertEqual(ids["traces"], ids["metrics"], ids)
            self.assertEqual(ids["traces"], ids["logs"], ids)
            self.assertNotIn(None, ids["traces"])
            warnings = [line for line in res.stderr.splitlines()
                        if "WARNING" in line and "OTEL_RESOURCE_ATTRIBUTES" in line]
            self.assertEqual(len(warnings), 1, res.describe())


class MachineOutputTest(LoadgenTestCase):
    def test_json_on_stdout_parses(self):
        with FaultServer() as server:
            for extra in ([], ["--only-summary"]):
                res = run_loadgen(headless_args(server.host, users=2, run_time="3s",
                                                wait_time="constant(0.05)",
                                                extra=["--json"] + extra), timeout=40)
                self.assertExit(res, 0)
                entries = json.loads(res.stdout)  # nothing else on stdout
                self.assertGreater(entries[-1]["num_requests"], 0)
                # The tables and log lines went to stderr.
                self.assertIn("Response time percentiles", res.stderr)
                self.assertIn("Shutting down", res.stderr)


class ClosedConsoleTest(LoadgenTestCase):
    """A console that goes away (`loadgen ... 2>&1 | head -1`) must not kill the run."""

    def run_with_closed(self, args, close_stderr):
        import subprocess
        import tempfile
        err = None if close_stderr else tempfile.TemporaryFile()
        proc = subprocess.Popen([loadgen_bin()] + args, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE if close_stderr else err)
        proc.stdout.close()  # the reader is gone: every write gets EPIPE
        if close_stderr:
            proc.stderr.close()
        try:
            rc = proc.wait(40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            self.fail("loadgen did not exit")
        text = ""
        if err is not None:
            err.seek(0)
            text = err.read().decode(errors="replace")
            err.close()
        return rc, text

    def test_closed_stdout_and_stderr_still_write_the_reports(self):
        with FaultServer() as server:
            out = self.outputs()
            rc, _ = self.run_with_closed(
                headless_args(server.host, users=1, run_time="2s", wait_time="constant(0.05)")
                + out.args(), close_stderr=True)
            self.assertEqual(rc, 0)  # not 134 (an abort on the failed log write)
            self.assertGreater(out.json()[-1]["num_requests"], 0)
            self.assertGreater(int(out.stats_by_name()["Aggregated"]["Request Count"]), 0)

    def test_json_to_a_closed_stdout_is_a_lost_report(self):
        with FaultServer() as server:
            out = self.outputs()
            rc, err = self.run_with_closed(
                headless_args(server.host, users=1, run_time="2s", wait_time="constant(0.05)",
                              extra=["--json"]) + out.args(), close_stderr=False)
            self.assertEqual(rc, 3, err)
            self.assertIn("--json: cannot write the report to stdout", err)
            self.assertGreater(out.json()[-1]["num_requests"], 0)  # the file was still written


class CsvRetryTest(LoadgenTestCase):
    def test_a_failing_periodic_write_is_retried_and_said_once(self):
        with FaultServer() as server:
            out = self.outputs()
            # "<file>.tmp" is where each write goes first: a directory there makes it fail.
            blocker = out.prefix + "_stats.csv.tmp"
            os.mkdir(blocker)
            proc = LoadgenProcess(headless_args(server.host, users=1, run_time="60s",
                                                wait_time="constant(0.05)") + out.args())
            wait_for(lambda: "retrying" in proc.stderr_text() or proc.proc.poll() is not None,
                     timeout=20, what="the CSV warning")
            # Failed ticks go by; then the cause goes away.
            wait_for(lambda: proc.stderr_text().count("Aggregated") >= 2
                     or proc.proc.poll() is not None, timeout=20, what="two tables")
            os.rmdir(blocker)
            wait_for(lambda: os.path.exists(out.prefix + "_stats.csv")
                     or proc.proc.poll() is not None, timeout=20, what="the CSV")
            self.assertIsNone(proc.proc.poll(), "loadgen exited early")
            proc.send_signal(signal.SIGINT)
            res = proc.wait(timeout=30)
            self.assertExit(res, 0)  # the final write worked: no lost report
            self.assertEqual(res.stderr.count("retrying"), 1, res.describe())
            self.assertIn("written again", res.stderr, res.describe())
            self.assertGreater(int(out.stats_by_name()["Aggregated"]["Request Count"]), 0)

    def test_a_failing_final_write_exits_3(self):
        with FaultServer() as server:
            out = self.outputs()
            os.mkdir(out.prefix + "_stats.csv.tmp")
            res = run_loadgen(headless_args(server.host, users=1, run_time="2s",
                                            wait_time="constant(0.05)") + out.args(), timeout=40)
            self.assertExit(res, 3)
            self.assertEqual(res.stderr.count("retrying"), 1, res.describe())
            self.assertIn("final reports could not be written", res.stderr, res.describe())
            self.assertGreater(out.json()[-1]["num_requests"], 0)  # the other report was written


if __name__ == "__main__":
    unittest.main()
