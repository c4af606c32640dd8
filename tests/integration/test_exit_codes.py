"""Exit codes: 0 clean, 1 (or --exit-code-on-error N) failures, 2 usage,
3 a report (--csv, --json-file) that could not be written."""

import os
import unittest

from harness import FaultServer, LoadgenTestCase, headless_args, run_loadgen


class ExitCodeTest(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def lg(self, paths, extra=(), **kw):
        return run_loadgen(headless_args(self.server.host, users=1, run_time="1s", paths=paths,
                                         wait_time="constant(0.05)", extra=extra), **kw)

    def test_zero_without_failures(self):
        self.assertExit(self.lg(["/ok"]), 0)

    def test_one_with_failures(self):
        self.assertExit(self.lg(["/status/500"]), 1)

    def test_exit_code_on_error(self):
        self.assertExit(self.lg(["/status/500"], extra=["--exit-code-on-error", "7"]), 7)

    def test_exit_code_on_error_not_used_without_failures(self):
        self.assertExit(self.lg(["/ok"], extra=["--exit-code-on-error", "7"]), 0)

    def test_unknown_option(self):
        res = run_loadgen(["--headless", "--no-such-option", "-H", self.server.host,
                           "-t", "1s"], timeout=15)
        self.assertExit(res, 2)
        self.assertIn("no-such-option", res.stderr, res.describe())
        self.assertLess(res.wall, 5)

    def test_bad_users_value(self):
        res = run_loadgen(["--headless", "-H", self.server.host, "-u", "abc", "-t", "1s"],
                          timeout=15)
        self.assertExit(res, 2)
        err = res.stderr.lower()
        self.assertTrue("-u" in err or "users" in err, res.describe())

    def test_bad_run_time_value(self):
        res = run_loadgen(["--headless", "-H", self.server.host, "-u", "1", "-t", "soon"],
                          timeout=15)
        self.assertExit(res, 2)
        err = res.stderr.lower()
        self.assertTrue("-t" in err or "run-time" in err or "run_time" in err, res.describe())

    def test_bad_users_env(self):
        res = run_loadgen(["--headless", "-H", self.server.host, "-t", "1s"],
                          extra_env={"LOCUST_USERS": "abc"}, timeout=15)
        self.assertExit(res, 2)
        err = res.stderr.lower()
        self.assertTrue("locust_users" in err or "users" in err, res.describe())

    def test_bad_host(self):
        res = run_loadgen(["--headless", "-H", "not a url", "-u", "1", "-t", "1s"], timeout=15)
        self.assertExit(res, 2)
        err = res.stderr.lower()
        self.assertTrue("host" in err or "-h" in err, res.describe())


    # ---- exit code 3: the run happened but a report was lost ----

    def missing_dir(self):
        out = self.outputs()
        return os.path.join(out.dir, "no-such-dir")

    def assertSummaryPrinted(self, res):
        # The final summary reaches stderr before the report files are written.
        self.assertIn("Response time percentiles (approximated)", res.stderr, res.describe())
        self.assertIn("Aggregated", res.stderr, res.describe())

    def test_json_file_unwritable(self):
        path = os.path.join(self.missing_dir(), "x.json")
        res = self.lg(["/ok"], extra=["--json-file", path])
        self.assertNoCrash(res)
        self.assertExit(res, 3)
        self.assertIn(path, res.stderr, res.describe())
        self.assertSummaryPrinted(res)
        self.assertFalse(os.path.exists(path))

    def test_json_file_unwritable_outranks_failures(self):
        path = os.path.join(self.missing_dir(), "x.json")
        res = self.lg(["/status/500"], extra=["--json-file", path, "--exit-code-on-error", "7"])
        self.assertExit(res, 3)
        self.assertIn(path, res.stderr, res.describe())
        self.assertSummaryPrinted(res)

    def test_json_file_is_a_directory(self):
        out = self.outputs()
        res = self.lg(["/ok"], extra=["--json-file", out.dir])
        self.assertNoCrash(res)
        self.assertExit(res, 3)
        self.assertIn(out.dir, res.stderr, res.describe())
        self.assertSummaryPrinted(res)

    def test_csv_prefix_unwritable(self):
        prefix = os.path.join(self.missing_dir(), "prefix")
        res = self.lg(["/ok"], extra=["--csv", prefix])
        self.assertNoCrash(res)
        self.assertExit(res, 3)
        self.assertIn(prefix, res.stderr, res.describe())
        self.assertSummaryPrinted(res)

    def test_csv_unwritable_json_still_written(self):
        # One lost report does not stop the others from being written.
        out = self.outputs()
        prefix = os.path.join(self.missing_dir(), "prefix")
        res = self.lg(["/ok"], extra=["--csv", prefix, "--json-file", out.json_path])
        self.assertExit(res, 3)
        entries = out.json()  # Locust's serialize_stats(): per-name entries, no Aggregated
        self.assertNotIn("Aggregated", [e["name"] for e in entries])
        self.assertGreater(sum(e["num_requests"] for e in entries), 0)

    def test_json_unwritable_csv_still_written(self):
        out = self.outputs()
        path = os.path.join(self.missing_dir(), "x.json")
        res = self.lg(["/ok"], extra=["--csv", out.prefix, "--json-file", path])
        self.assertExit(res, 3)
        by_name = out.stats_by_name()
        self.assertGreater(int(by_name["Aggregated"]["Request Count"]), 0)


if __name__ == "__main__":
    unittest.main()
