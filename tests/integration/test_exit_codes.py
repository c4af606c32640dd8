"""Exit codes: 0 clean, 1 (or --exit-code-on-error N) failures, 2 usage."""

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


if __name__ == "__main__":
    unittest.main()
