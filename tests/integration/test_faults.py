"""Each server fault is one failure of its kind; the run goes on and exits 1.

Every run mixes /ok with the fault path in one user's path list, so it also
checks that a broken connection does not spoil the requests after it.
"""

import unittest

from harness import FaultServer, LoadgenTestCase, headless_args, run_loadgen

# path -> accepted failure kinds (RFC 9112 framing faults are "malformed").
FAULTS = {
    "/reset-early": ("reset",),
    # Part of a response then RST: bytes arrived first, so "incomplete" is
    # the contract's word, but a client that sees ECONNRESET may say "reset".
    "/reset": ("incomplete", "reset"),
    "/bad-status": ("malformed",),
    "/huge-headers": ("malformed",),
    "/bad-chunk": ("malformed",),
    "/short-body": ("incomplete",),
    "/status/500": ("http_status",),
    "/status/404": ("http_status",),
    "/status/503": ("http_status",),
    "/redirect-loop": ("too_many_redirects",),
}


class FaultKindTest(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def run_fault(self, path, extra=(), run_time="2s", users=2):
        self.server.reset_counts()
        out = self.outputs()
        args = headless_args(self.server.host, users=users, run_time=run_time,
                             paths=["/ok", path],
                             extra=["--timeout", "1s", "--max-redirects", "5"] + list(extra))
        res = run_loadgen(args + out.args(), timeout=30)
        self.assertNoCrash(res)
        return res, out

    def check_fault(self, path, kinds):
        res, out = self.run_fault(path)
        self.assertExit(res, 1)
        stats = out.stats_by_name()
        self.assertIn(path, stats, res.describe())
        self.assertGreater(int(stats[path]["Failure Count"]), 0)
        self.assertEqual(int(stats[path]["Failure Count"]), int(stats[path]["Request Count"]))
        # The same users keep going: /ok after each fault still succeeds.
        self.assertIn("/ok", stats)
        self.assertGreater(int(stats["/ok"]["Request Count"]), 1)
        self.assertEqual(int(stats["/ok"]["Failure Count"]), 0, res.describe())
        self.assertEqual(out.failure_kinds("/ok"), {})

        found = out.failure_kinds(path)
        self.assertTrue(found, res.describe())
        self.assertTrue(set(found) <= set(kinds),
                        f"{path}: kinds {found}, expected only {kinds}\n" + res.describe())
        self.assertEqual(sum(found.values()), int(stats[path]["Failure Count"]))
        self.assertIn("Error report", res.stderr)
        counts = self.server.counts()
        self.assertGreater(counts["paths"].get("/ok", 0), 1)
        return res, out

    def test_status_error_detail(self):
        _, out = self.check_fault("/status/500", FAULTS["/status/500"])
        _, rows = out.failures()
        errors = {r["Error"] for r in rows if r["Name"] == "/status/500"}
        self.assertEqual(errors, {"http_status: 500 Internal Server Error"})
        self.assertTrue(all(r["Method"] == "GET" for r in rows))

    def test_hang_is_read_timeout_without_busy_spin(self):
        res, out = self.run_fault("/hang", run_time="4s")
        self.assertExit(res, 1)
        self.assertEqual(set(out.failure_kinds("/hang")), {"read_timeout"}, res.describe())
        stats = out.stats_by_name()
        self.assertEqual(int(stats["/ok"]["Failure Count"]), 0)
        self.assertGreater(int(stats["/ok"]["Request Count"]), 1)
        # Two users each spend ~1 s per loop waiting on /hang: CPU must stay
        # well below the wall time (no polling loop while waiting).
        self.assertLess(res.cpu, 0.5 * res.wall,
                        f"cpu {res.cpu:.2f}s over wall {res.wall:.2f}s\n" + res.describe())

    def test_slow_within_timeout_succeeds(self):
        res, out = self.run_fault("/slow?ms=100")
        self.assertExit(res, 0)
        stats = out.stats_by_name()
        self.assertIn("/slow?ms=100", stats)
        self.assertGreaterEqual(float(stats["/slow?ms=100"]["Min Response Time"]), 90)


def _make_fault_test(path, kinds):
    def test(self):
        self.check_fault(path, kinds)
    test.__doc__ = f"{path} -> {'/'.join(kinds)}"
    return test


for _path, _kinds in FAULTS.items():
    _name = "test_fault_" + _path.strip("/").replace("/", "_").replace("-", "_")
    setattr(FaultKindTest, _name, _make_fault_test(_path, _kinds))


if __name__ == "__main__":
    unittest.main()
