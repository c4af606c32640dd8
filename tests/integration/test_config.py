"""LOCUST_* environment variables and --config files; precedence is
config file < environment < command line (as in Locust)."""

import os
import tempfile
import unittest

from harness import FaultServer, LoadgenTestCase, free_port, run_loadgen


class ConfigTest(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def run_and_check(self, args, env=None, users=None):
        out = self.outputs()
        res = run_loadgen(args + ["--scenario", "get", "--path", "/ok", "--wait-time", "constant(0.1)"] + out.args(),
                          extra_env=env or {}, timeout=30)
        self.assertNoCrash(res)
        self.assertExit(res, 0)
        self.assertLess(res.wall, 15, res.describe())
        agg = out.stats_by_name()["Aggregated"]
        self.assertGreater(int(agg["Request Count"]), 0)
        if users is not None:
            _, hist = out.history()
            self.assertTrue(hist, "empty stats history")
            self.assertEqual(max(int(r["User Count"]) for r in hist), users, res.describe())
        return res, out

    def config_file(self, text):
        fd, path = tempfile.mkstemp(prefix="loadgen-", suffix=".conf")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.addCleanup(os.unlink, path)
        return path

    def test_env_vars(self):
        self.run_and_check([], env={
            "LOCUST_HOST": self.server.host, "LOCUST_USERS": "3", "LOCUST_SPAWN_RATE": "30",
            "LOCUST_RUN_TIME": "2s", "LOCUST_HEADLESS": "true", "LOCUST_STOP_TIMEOUT": "1",
            "LOCUST_LOGLEVEL": "WARNING"}, users=3)

    def test_cli_overrides_env(self):
        dead = f"http://127.0.0.1:{free_port()}"
        self.run_and_check(["-H", self.server.host, "-u", "2", "-r", "20"], env={
            "LOCUST_HOST": dead, "LOCUST_USERS": "5", "LOCUST_SPAWN_RATE": "50",
            "LOCUST_RUN_TIME": "2s", "LOCUST_HEADLESS": "true"}, users=2)

    def test_config_file(self):
        path = self.config_file(
            "# Locust-style config\n"
            f"host = {self.server.host}\n"
            "users = 4\n"
            "spawn-rate = 40\n"
            "run-time = 2s\n"
            "headless = true\n")
        self.run_and_check(["--config", path], users=4)

    def test_env_overrides_config_file(self):
        path = self.config_file(
            f"host = {self.server.host}\nusers = 4\nspawn-rate = 40\nrun-time = 2s\n"
            "headless = true\n")
        self.run_and_check(["--config", path], env={"LOCUST_USERS": "2"}, users=2)

    def test_bad_config_file_value(self):
        path = self.config_file(f"host = {self.server.host}\nusers = many\nrun-time = 1s\n")
        res = run_loadgen(["--headless", "--config", path], timeout=15)
        self.assertExit(res, 2)
        self.assertIn("users", res.stderr.lower(), res.describe())

    def test_missing_config_file(self):
        res = run_loadgen(["--headless", "--config", "/nonexistent/loadgen.conf"], timeout=15)
        self.assertExit(res, 2)
        self.assertIn("/nonexistent/loadgen.conf", res.stderr, res.describe())


if __name__ == "__main__":
    unittest.main()
