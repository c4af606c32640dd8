"""Thresholds (docs/thresholds.md): passing ones exit 0, a failing one exits 99 and shows in
the summary, --summary-json and the HTML report on every way a run ends (run time, SIGINT,
SIGTERM, the web mode's quit); an !abort one stops a long run early; a bad expression is exit 2
before any request; LOADGEN_THRESHOLD from the environment and a config file."""

import json
import os
import signal
import unittest
import urllib.parse
import urllib.request

from harness import (FaultServer, LoadgenProcess, LoadgenTestCase, free_port, headless_args,
                     run_loadgen, wait_for)

QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
         "OTEL_LOGS_EXPORTER": "none"}
EXIT_THRESHOLDS = 99


class ThresholdTest(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def args(self, thresholds, paths=("/ok",), run_time="2s", extra=()):
        args = headless_args(self.server.host, users=2, run_time=run_time, paths=paths,
                             wait_time="constant(0.01)", extra=extra)
        for t in thresholds:
            args += ["--threshold", t]
        return args + ["--only-summary"]

    def summary_json(self, out):
        with open(os.path.join(out.dir, "summary.json")) as f:
            return json.load(f)

    def html(self, out):
        with open(os.path.join(out.dir, "report.html")) as f:
            return f.read()

    def report_args(self, out):
        return ["--summary-json", os.path.join(out.dir, "summary.json"),
                "--html", os.path.join(out.dir, "report.html")] + out.args()

    def assertThresholdRow(self, res, expression, result):
        rows = [l for l in res.stderr.splitlines() if l.startswith(expression + " ")]
        self.assertTrue(rows, f"no Thresholds row for {expression}\n" + res.describe())
        cells = [c.strip() for c in rows[0].split("|")]
        self.assertEqual(cells[2].split(" ")[0], result, res.describe())

    # ---- end of the run: exit codes and the reports ----

    def test_passing_thresholds_exit_zero(self):
        out = self.outputs()
        res = run_loadgen(self.args(["p95<2s", "failure_ratio<0.01", "GET /ok:count>0",
                                     "/ok:p99.9<=1s", "rps>1", "fail_rps<=0", "failures<1",
                                     "avg<1s", "max<5s", "min>=0", "median<1s"],
                                    extra=self.report_args(out)),
                          timeout=30, extra_env=QUIET)
        self.assertExit(res, 0)
        self.assertIn("Thresholds", res.stderr)
        self.assertIn("11 of 11 thresholds passed", res.stderr, res.describe())
        doc = self.summary_json(out)
        self.assertTrue(doc["thresholds_passed"])
        self.assertIsNone(doc["aborted_by"])
        self.assertEqual([t["status"] for t in doc["thresholds"]], ["pass"] * 11)
        # "stats" is the --json-file list, unchanged.
        self.assertEqual(doc["stats"], out.json())
        self.assertIsInstance(out.json(), list)

    def test_failing_threshold_exits_99_and_shows_everywhere(self):
        out = self.outputs()
        res = run_loadgen(self.args(["p50<5s", "GET /slow?ms=30:p95<20ms", "GET /nowhere:p95<1s",
                                     "count>0"],
                                    paths=["/ok", "/slow?ms=30"], extra=self.report_args(out)),
                          timeout=30, extra_env=QUIET)
        self.assertExit(res, EXIT_THRESHOLDS)
        self.assertThresholdRow(res, "GET /slow?ms=30:p95<20ms", "FAIL")
        self.assertThresholdRow(res, "GET /nowhere:p95<1s", "FAIL")
        self.assertIn("no request matched 'GET /nowhere'", res.stderr)
        self.assertThresholdRow(res, "count>0", "pass")
        self.assertIn("of 4 thresholds passed", res.stderr)
        doc = self.summary_json(out)
        self.assertFalse(doc["thresholds_passed"])
        by_expr = {t["expression"]: t for t in doc["thresholds"]}
        slow = by_expr["GET /slow?ms=30:p95<20ms"]
        self.assertEqual(slow["status"], "fail")
        self.assertEqual(slow["name"], "GET /slow?ms=30")
        self.assertEqual(slow["metric"], "p95")
        self.assertEqual(slow["unit"], "ms")
        self.assertEqual(slow["limit"], 20)
        self.assertGreaterEqual(slow["observed"], 29)
        self.assertEqual(by_expr["GET /nowhere:p95<1s"]["status"], "no_data")
        self.assertIsNone(by_expr["GET /nowhere:p95<1s"]["observed"])
        self.assertIsNone(by_expr["count>0"]["name"])
        self.assertEqual(by_expr["count>0"]["origin"], "--threshold")
        html = self.html(out)
        self.assertIn('<table id="thresholds">', html)
        self.assertIn("GET /slow?ms=30:p95&lt;20ms", html)
        self.assertEqual(html.count('<tr class="fail">'), 2)

    def test_failed_threshold_outranks_exit_code_on_error(self):
        res = run_loadgen(self.args(["failure_ratio<0.5"], paths=["/status/500"],
                                    extra=["--exit-code-on-error", "7"]),
                          timeout=30, extra_env=QUIET)
        self.assertExit(res, EXIT_THRESHOLDS)
        # Passing thresholds leave failed requests to --exit-code-on-error.
        res = run_loadgen(self.args(["failure_ratio<=1"], paths=["/status/500"],
                                    extra=["--exit-code-on-error", "7"]),
                          timeout=30, extra_env=QUIET)
        self.assertExit(res, 7)

    def test_summary_json_without_thresholds(self):
        out = self.outputs()
        res = run_loadgen(self.args([], run_time="1s", extra=self.report_args(out)), timeout=30,
                          extra_env=QUIET)
        self.assertExit(res, 0)
        self.assertNotIn("Thresholds", res.stderr)
        doc = self.summary_json(out)
        self.assertEqual(doc["thresholds"], [])
        self.assertTrue(doc["thresholds_passed"])

    # ---- other ways a run ends ----

    def interrupted(self, sig):
        proc = LoadgenProcess(self.args(["count<1"], run_time="60s"), extra_env=QUIET)
        wait_for(lambda: "All users spawned" in proc.stderr_text() or proc.proc.poll() is not None,
                 timeout=15, what="the users to start")
        self.assertIsNone(proc.proc.poll(), "loadgen exited before the signal")
        proc.send_signal(sig)
        res = proc.wait(timeout=20)
        self.assertExit(res, EXIT_THRESHOLDS)
        self.assertThresholdRow(res, "count<1", "FAIL")
        self.assertLess(res.wall, 25)

    def test_sigint_evaluates_thresholds(self):
        self.interrupted(signal.SIGINT)

    def test_sigterm_evaluates_thresholds(self):
        self.interrupted(signal.SIGTERM)

    def test_web_mode_quit_evaluates_and_serves_them(self):
        port = free_port()
        args = ["-H", self.server.host, "--scenario", "get", "--path", "/ok", "--wait-time",
                "constant(0.01)", "--web-host", "127.0.0.1", "--web-port", str(port),
                "--autostart", "-u", "2", "-r", "100", "-t", "3s", "--autoquit", "1",
                "--threshold", "count<1", "--threshold", "p99<10s"]
        proc = LoadgenProcess(args, extra_env=QUIET)
        seen = {}

        def thresholds_with_data():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats/loadgen",
                                            timeout=2) as r:
                    info = json.load(r)
            except OSError:
                return proc.proc.poll() is not None
            seen.update({t["expression"]: t for t in info.get("thresholds", [])})
            return seen.get("count<1", {}).get("observed") is not None

        wait_for(thresholds_with_data, timeout=15, what="/stats/loadgen thresholds")
        res = proc.wait(timeout=30)
        self.assertExit(res, EXIT_THRESHOLDS)
        self.assertEqual(seen["count<1"]["status"], "fail")
        self.assertEqual(seen["p99<10s"]["status"], "pass")
        self.assertThresholdRow(res, "count<1", "FAIL")

    # ---- live abort ----

    def test_abort_stops_a_long_run_early(self):
        out = self.outputs()
        res = run_loadgen(self.args(["p95<10ms!abort=2s", "count>0"], paths=["/slow?ms=30"],
                                    run_time="60s", extra=self.report_args(out)),
                          timeout=40, extra_env=QUIET)
        self.assertExit(res, EXIT_THRESHOLDS)
        self.assertLess(res.wall, 20, res.describe())
        self.assertIn("Run aborted by threshold 'p95<10ms!abort=2s' (--threshold)", res.stderr,
                      res.describe())
        doc = self.summary_json(out)
        self.assertEqual(doc["aborted_by"], "p95<10ms!abort=2s")
        self.assertTrue(doc["thresholds"][0]["aborted_run"])
        self.assertTrue(doc["thresholds"][0]["abort_on_fail"])
        self.assertFalse(doc["thresholds"][1]["aborted_run"])
        html = self.html(out)
        self.assertIn('id="threshold-abort"', html)

    def test_web_mode_abort_stops_the_run_and_a_new_run_forgets_it(self):
        port = free_port()
        args = ["-H", self.server.host, "--scenario", "get", "--path", "/ok", "--wait-time",
                "constant(0.01)", "--web-host", "127.0.0.1", "--web-port", str(port),
                "--autostart", "-u", "2", "-r", "100", "--threshold", "count<1!abort=3s"]
        proc = LoadgenProcess(args, extra_env=QUIET)
        self.addCleanup(lambda: proc.proc.returncode is None and proc.wait(1))

        def get(path, form=None):
            data = urllib.parse.urlencode(form).encode() if form is not None else None
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", data=data,
                                        timeout=5) as r:
                return json.load(r) if path.startswith("/stats") or form else r.read()

        def state():
            try:
                return get("/stats/requests")["state"]
            except OSError:
                return None

        def aborted():
            return get("/stats/loadgen")["thresholds"][0]["aborted_run"]

        # The run stops by itself; the web UI stays up.
        wait_for(lambda: state() == "stopped", timeout=20, what="the abort to stop the run")
        self.assertTrue(aborted())
        self.assertIsNone(proc.proc.poll())
        # A new run forgets the abort, until its own grace period has passed.
        get("/swarm", form={"user_count": 2, "spawn_rate": 100})
        wait_for(lambda: state() in ("spawning", "running"), timeout=10, what="a new run")
        wait_for(lambda: not aborted(), timeout=2, what="the new run to forget the abort")
        wait_for(lambda: state() == "stopped", timeout=20, what="the second abort")
        self.assertTrue(aborted())
        proc.send_signal(signal.SIGTERM)
        res = proc.wait(timeout=20)
        self.assertExit(res, EXIT_THRESHOLDS)
        self.assertEqual(res.stderr.count("stopping the run (!abort)"), 2, res.describe())
        self.assertIn("Run aborted by threshold 'count<1!abort=3s'", res.stderr)

    def test_abort_waits_for_its_grace_period(self):
        # Failing from the first request, but its grace period outlasts the run: no abort.
        res = run_loadgen(self.args(["p95<10ms!abort=30s"], paths=["/slow?ms=30"],
                                    run_time="3s"),
                          timeout=30, extra_env=QUIET)
        self.assertExit(res, EXIT_THRESHOLDS)
        self.assertNotIn("Run aborted", res.stderr)
        self.assertGreaterEqual(res.wall, 3)

    def test_passing_abort_threshold_does_not_stop(self):
        res = run_loadgen(self.args(["p95<5s!abort=1s"], run_time="3s"), timeout=30,
                          extra_env=QUIET)
        self.assertExit(res, 0)
        self.assertGreaterEqual(res.wall, 3)

    # ---- bad expressions and other sources ----

    def test_bad_expression_is_usage_error_before_any_request(self):
        self.server.reset_counts()
        res = run_loadgen(self.args(["p95<<300ms", "latency<3", "GET /a:p95<3h"]), timeout=15,
                          extra_env=QUIET)
        self.assertExit(res, 2)
        self.assertIn("--threshold: 'p95<<300ms' is not a threshold", res.stderr)
        self.assertIn("unknown metric 'latency'", res.stderr)
        self.assertIn("unknown time unit 'h'", res.stderr)
        self.assertEqual(self.server.counts()["requests"], 0)

    def test_env_list_syntax(self):
        env = dict(QUIET, LOADGEN_THRESHOLD="[p95<2s, count<1]")
        res = run_loadgen(self.args([], run_time="1s"), timeout=30, extra_env=env)
        self.assertExit(res, EXIT_THRESHOLDS)
        self.assertThresholdRow(res, "p95<2s", "pass")
        self.assertThresholdRow(res, "count<1", "FAIL")
        self.assertIn("LOADGEN_THRESHOLD", res.stderr)  # the origin column
        env = dict(QUIET, LOADGEN_THRESHOLD="[p95<2s, rps>fast]")
        res = run_loadgen(self.args([], run_time="1s"), timeout=15, extra_env=env)
        self.assertExit(res, 2)
        self.assertIn("LOADGEN_THRESHOLD='rps>fast' (environment)", res.stderr)

    def test_config_file(self):
        out = self.outputs()
        conf = os.path.join(out.dir, "thresholds.conf")
        with open(conf, "w") as f:
            f.write("threshold = [p95<2s, GET /ok:count>0]\n")
        res = run_loadgen(self.args([], run_time="1s", extra=["--config", conf]), timeout=30,
                          extra_env=QUIET)
        self.assertExit(res, 0)
        self.assertThresholdRow(res, "GET /ok:count>0", "pass")
        self.assertIn(conf + ":1", res.stderr)
        with open(conf, "w") as f:
            f.write("\nthreshold = [p95<2s!abrt]\n")
        res = run_loadgen(self.args([], run_time="1s", extra=["--config", conf]), timeout=15,
                          extra_env=QUIET)
        self.assertExit(res, 2)
        self.assertIn(conf + ":2: threshold: 'p95<2s!abrt' is not a threshold", res.stderr)


if __name__ == "__main__":
    unittest.main()
