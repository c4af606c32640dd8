"""loadgen against a real nginx: clean run, stats table, Locust CSV/JSON shapes."""

import unittest

from harness import (FAILURES_COLUMNS, HISTORY_COLUMNS, STATS_COLUMNS, LoadgenTestCase,
                     Nginx, headless_args, run_loadgen)


class NginxRunTest(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nginx = Nginx().start()
        cls.addClassCleanup(cls.nginx.stop)

    def test_clean_run_ten_users(self):
        out = self.outputs()
        res = run_loadgen(headless_args(self.nginx.host, users=10, spawn_rate=10, run_time="3s",
                                        paths=["/index.html"]) + out.args(), timeout=30)
        self.assertExit(res, 0)
        self.assertLess(res.wall, 15, res.describe())

        # Headless stats table: printed every 2 s and once more at the end.
        self.assertIn("# reqs", res.stderr, res.describe())
        self.assertGreaterEqual(res.stderr.count("Aggregated"), 2, res.describe())
        self.assertIn("Response time percentiles (approximated)", res.stderr, res.describe())
        # Like Locust, the error report is printed only when there were errors.
        self.assertNotIn("Error report", res.stderr, res.describe())

        header, rows = out.stats()
        self.assertEqual(header, STATS_COLUMNS)
        by_name = {r["Name"]: r for r in rows}
        self.assertIn("/index.html", by_name)
        self.assertIn("Aggregated", by_name)
        self.assertEqual(rows[-1]["Name"], "Aggregated")
        self.assertEqual(by_name["/index.html"]["Type"], "GET")
        agg = by_name["Aggregated"]
        self.assertGreater(int(agg["Request Count"]), 0)
        self.assertEqual(int(agg["Failure Count"]), 0)
        self.assertGreater(float(agg["Requests/s"]), 0)

        header, rows = out.failures()
        self.assertEqual(header, FAILURES_COLUMNS)
        self.assertEqual(rows, [])

        header, rows = out.history()
        self.assertEqual(header, HISTORY_COLUMNS)
        self.assertGreater(len(rows), 0)
        self.assertEqual(max(int(r["User Count"]) for r in rows), 10)

        entries = out.json()
        self.assertIsInstance(entries, list)
        # Locust's serialize_stats(): per-name entries only, with StatsEntryDict's keys.
        self.assertNotIn("Aggregated", [e["name"] for e in entries])
        for key in ("name", "method", "num_requests", "num_failures", "total_response_time",
                    "min_response_time", "max_response_time", "total_content_length",
                    "start_time", "last_request_timestamp", "num_none_requests",
                    "response_times", "num_reqs_per_sec", "num_fail_per_sec"):
            self.assertIn(key, entries[0])
        page = [e for e in entries if e["name"] == "/index.html"]
        self.assertEqual(len(page), 1)
        self.assertEqual(page[0]["method"], "GET")
        self.assertEqual(entries[-1]["num_requests"], int(agg["Request Count"]))
        self.assertEqual(entries[-1]["num_failures"], 0)
        body_len = len("<html><body>loadgen test page</body></html>\n")
        self.assertEqual(page[0]["total_content_length"], body_len * page[0]["num_requests"])


if __name__ == "__main__":
    unittest.main()
