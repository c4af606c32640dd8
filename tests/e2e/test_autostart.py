"""(f) --autostart + -t 10 + --autoquit 2: the page shows the run without a click, and loadgen
ends by itself (exit 0) soon after run time + autoquit. (-t 3 left too little time: with one
busy core the page loaded after the run had ended.)"""
import os
import tempfile
import unittest

from e2e_harness import E2ETestCase, free_port, wait_for


class Autostart(E2ETestCase):
    def test_autostart_autoquit(self):
        tmp = tempfile.TemporaryDirectory(prefix="loadgen-e2e-")
        self.addCleanup(tmp.cleanup)
        ready = os.path.join(tmp.name, "browser-ready")
        port = free_port()
        # The browser first (it polls the port until loadgen listens), so that the run is not
        # over before Chromium has started.
        sc = self.scenario("autostart", f"http://127.0.0.1:{port}/", ready_file=ready)
        wait_for(lambda: os.path.exists(ready) or sc.proc.poll() is not None, 60,
                 what="the browser to start")
        lg = self.web("--autostart", "-u", "3", "-r", "100", "-t", "10", "--autoquit", "2",
                      listening=False, port=port)
        answer = sc.result()
        self.assertIn("running", answer["states"])
        # Ends by itself: 10 s of run, 2 s of autoquit, plus start-up and shutdown (generous
        # for ASan; without --autoquit it would wait for a signal forever).
        res = lg.wait_exit(90)
        self.assertExit(res, 0)
        self.assertIn("--run-time limit reached", res.stderr, res.describe())
        self.assertIn("--autoquit time reached", res.stderr, res.describe())
        self.assertGreaterEqual(res.wall, 12.0, res.describe())


if __name__ == "__main__":
    unittest.main()
