"""SIGINT/SIGTERM stop a run early: final summary printed, CSV written."""

import signal
import unittest

from harness import FaultServer, LoadgenProcess, LoadgenTestCase, headless_args, wait_for


class SignalTest(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def interrupt(self, sig):
        out = self.outputs()
        proc = LoadgenProcess(headless_args(self.server.host, users=2, run_time="60s",
                                            paths=["/ok"], wait_time="constant(0.01)")
                              + out.args())
        try:
            # The first periodic stats table is printed (on stderr) after ~2 s.
            wait_for(lambda: "Aggregated" in proc.stderr_text() or proc.proc.poll() is not None,
                     timeout=15, what="the first stats table")
        except TimeoutError:
            pass
        self.assertIsNone(proc.proc.poll(), "loadgen exited before the signal")
        proc.send_signal(sig)
        res = proc.wait(timeout=15)
        self.assertNoCrash(res)
        self.assertExit(res, 0)
        self.assertLess(res.wall, 20, res.describe())
        self.assertIn("Response time percentiles (approximated)", res.stderr, res.describe())
        self.assertEqual(res.stdout, "", "stdout is for --json only")
        agg = out.stats_by_name()["Aggregated"]
        self.assertGreater(int(agg["Request Count"]), 0)
        self.assertEqual(int(agg["Failure Count"]), 0)
        # --json-file is Locust's serialize_stats(): its entries sum to the Aggregated row.
        self.assertEqual(sum(e["num_requests"] for e in out.json()), int(agg["Request Count"]))

    def test_sigint(self):
        self.interrupt(signal.SIGINT)

    def test_sigterm(self):
        self.interrupt(signal.SIGTERM)


if __name__ == "__main__":
    unittest.main()
