"""Limits hold while bytes keep arriving (issue 10): the real loadgen against
the fault server's hostile routes (huge body, endless chunks, endless
100 Continue, gzip bomb, cookie flood).

Each test asserts the outcome kind, loadgen's counts against the server's own
count (/__counts), a time bound, a peak-RSS bound (ru_maxrss of the exited
loadgen, from wait4) and the output. Time bounds are the issue's (timeout +
100 ms; run time + stop timeout + 1 s) plus 1 s of slack for loaded 2-core
machines and sanitizer builds.
"""

import os
import unittest

from harness import (FaultServer, LoadgenProcess, LoadgenTestCase, headless_args,
                     run_loadgen)

RSS_LIMIT_KB = 150 * 1024  # a run of 1-2 users peaks well under this; a kept 10 GB body does not


class HostileServerTest(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def run_paths(self, paths, run_time, extra=(), users=1, timeout=60):
        """Runs loadgen; returns (result, outputs, peak RSS in KiB)."""
        self.server.reset_counts()
        out = self.outputs()
        args = headless_args(self.server.host, users=users, run_time=run_time, paths=paths,
                             extra=["--threads", "1"] + list(extra))
        proc = LoadgenProcess(args + out.args())
        res = proc.wait(timeout)
        self.assertNoCrash(res)
        rss_kb = proc.rusage.ru_maxrss if proc.rusage else 0
        return res, out, rss_kb

    def assert_counts_match(self, out, name, users):
        """loadgen counts every request the server saw, but those in flight at
        the stop (one per user at most, cancelled and not recorded)."""
        stats = out.stats_by_name()
        counted = int(stats[name]["Request Count"]) if name in stats else 0
        served = self.server.counts()["targets"].get(name, 0)
        self.assertLessEqual(counted, served)
        self.assertGreaterEqual(counted, served - users, (counted, served))
        return stats

    def check_read_timeout(self, path):
        res, out, rss_kb = self.run_paths([path], "4s", extra=["--timeout", "3s"])
        self.assertExit(res, 1)
        self.assertEqual(set(out.failure_kinds(path)), {"read_timeout"}, res.describe())
        stats = self.assert_counts_match(out, path, users=1)
        row = stats[path]
        self.assertEqual(int(row["Failure Count"]), int(row["Request Count"]))
        self.assertGreaterEqual(int(row["Request Count"]), 1)
        # Each attempt ends at the timeout: 3 s + 100 ms (+1 s slack, see the docstring).
        self.assertGreaterEqual(float(row["Min Response Time"]), 3000)
        self.assertLess(float(row["Max Response Time"]), 3100 + 1000, res.describe())
        self.assertLess(rss_kb, RSS_LIMIT_KB)
        self.assertLess(res.wall, 4 + 1 + 1)
        self.assertIn("read_timeout", res.stdout + res.stderr)
        return row

    def test_huge_content_length_body_times_out(self):
        # 10 TB: the 10 GB default downloads within the 3 s timeout on a fast machine
        # (discarded at ~4 GB/s over loopback).
        self.check_read_timeout(f"/huge-body?bytes={10 ** 13}")

    def test_endless_chunked_body_times_out(self):
        self.check_read_timeout("/endless-chunks")

    def test_endless_interim_responses_time_out(self):
        self.check_read_timeout("/endless-continue")

    def test_discarded_huge_body_keeps_rss_flat(self):
        # 2 GB with the get scenario (bodies discarded): completes, counted in
        # content size, RSS far below the body size.
        size = 2 * 10 ** 9
        path = f"/huge-body?bytes={size}"
        res, out, rss_kb = self.run_paths([path], "15s", extra=["--timeout", "60s"], timeout=60)
        self.assertExit(res, 0)
        row = self.assert_counts_match(out, path, users=1)[path]
        self.assertGreaterEqual(int(row["Request Count"]), 1, res.describe())
        self.assertEqual(int(row["Failure Count"]), 0)
        self.assertEqual(float(row["Average Content Size"]), size)
        self.assertLess(rss_kb, RSS_LIMIT_KB, f"peak RSS {rss_kb} KiB")

    def test_gzip_bomb_is_body_too_large(self):
        res, out, rss_kb = self.run_paths(["/ok", "/gzip-bomb"], "6s", users=2)
        self.assertExit(res, 1)
        self.assertEqual(set(out.failure_kinds("/gzip-bomb")), {"body_too_large"},
                         res.describe())
        self.assertEqual(out.failure_kinds("/ok"), {})
        stats = self.assert_counts_match(out, "/gzip-bomb", users=2)
        self.assert_counts_match(out, "/ok", users=2)
        self.assertGreater(int(stats["/gzip-bomb"]["Request Count"]), 2)
        _, rows = out.failures()
        errors = {r["Error"] for r in rows if r["Name"] == "/gzip-bomb"}
        self.assertEqual(errors, {"body_too_large: decoded body beyond --max-body-size "
                                  "(16777216 bytes)"})
        # Run time + stop timeout (0) + 1 s, +1 s slack.
        self.assertLess(res.wall, 6 + 0 + 1 + 1, res.describe())
        self.assertLess(rss_kb, RSS_LIMIT_KB)

    def test_gzip_bomb_under_a_large_cap_does_not_block_the_worker(self):
        # With a 100 GB cap, each bomb inflates until --timeout 1s; inflating in
        # slices lets the deadline be seen, and the other user's /ok requests
        # on the same worker (--threads 1) stay fast.
        res, out, rss_kb = self.run_paths(
            ["/ok", "/gzip-bomb"], "6s", users=2,
            extra=["--timeout", "1s", "--max-body-size", "100GB"])
        self.assertExit(res, 1)
        self.assertEqual(set(out.failure_kinds("/gzip-bomb")), {"read_timeout"},
                         res.describe())
        stats = self.assert_counts_match(out, "/gzip-bomb", users=2)
        self.assert_counts_match(out, "/ok", users=2)
        bomb, ok = stats["/gzip-bomb"], stats["/ok"]
        self.assertGreaterEqual(int(bomb["Request Count"]), 4)
        self.assertLess(float(bomb["Max Response Time"]), 1100 + 1000, res.describe())
        self.assertEqual(int(ok["Failure Count"]), 0)
        # A request to /ok takes ~1 ms; a blocked loop would make it wait a bomb out.
        self.assertLess(float(ok["Max Response Time"]), 300, res.describe())
        self.assertLess(res.wall, 6 + 0 + 1 + 1, res.describe())
        self.assertLess(rss_kb, RSS_LIMIT_KB)

    def test_cookie_flood_keeps_request_heads_bounded(self):
        res, out, _ = self.run_paths(["/cookie-flood"], "3s")
        self.assertExit(res, 0)
        row = self.assert_counts_match(out, "/cookie-flood", users=1)["/cookie-flood"]
        self.assertGreater(int(row["Request Count"]), 10)
        self.assertEqual(int(row["Failure Count"]), 0)
        # 50 cookies per domain (RFC 6265 §6.1) of ~1 KB each.
        biggest = self.server.counts()["max_cookie_bytes"]
        self.assertGreater(biggest, 40 * 1000)
        self.assertLessEqual(biggest, 50 * 1020)

    def test_framing_headers_and_bad_sizes_are_rejected_at_start_up(self):
        for extra, words in (
                (["--header", "Content-Length: 5"], ["--header", "Content-Length", "remove"]),
                (["--header", "transfer-encoding: chunked"], ["Transfer-Encoding"]),
                (["--max-body-size", "16x"], ["--max-body-size", "unknown unit"]),
                (["--max-body-size", "0"], ["--max-body-size", "zero"])):
            args = headless_args(self.server.host, run_time="1s", extra=extra)
            res = run_loadgen(args, timeout=20)
            self.assertExit(res, 2)
            for w in words:
                self.assertIn(w, res.stderr + res.stdout, res.describe())
        res = run_loadgen(headless_args(self.server.host, run_time="1s"), timeout=20,
                          extra_env={"LOADGEN_MAX_BODY_SIZE": "1 TB!"})
        self.assertExit(res, 2)
        self.assertIn("LOADGEN_MAX_BODY_SIZE", res.stderr + res.stdout)


if __name__ == "__main__":
    unittest.main()
