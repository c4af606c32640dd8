"""HTTP behaviours that must NOT fail: keep-alive re-open, redirects, gzip,
chunked bodies, cookies, request method/body/headers."""

import unittest

import faultserver
from harness import FaultServer, LoadgenTestCase, headless_args, run_loadgen


class HttpBehaviourTest(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def run_ok(self, paths, extra=(), users=2, run_time="2s", wait_time="constant(0)"):
        self.server.reset_counts()
        out = self.outputs()
        res = run_loadgen(headless_args(self.server.host, users=users, run_time=run_time,
                                        paths=paths, wait_time=wait_time, extra=extra)
                          + out.args(), timeout=30)
        self.assertNoCrash(res)
        self.assertExit(res, 0)
        _, failures = out.failures()
        self.assertEqual(failures, [], res.describe())
        return res, out

    def entry(self, out, name):
        entries = {e["name"]: e for e in out.json()}
        self.assertIn(name, entries)
        self.assertGreater(entries[name]["num_requests"], 0)
        return entries[name]

    def test_server_closing_keepalive_connection_is_not_a_failure(self):
        res, out = self.run_ok(["/close-after"])
        counts = self.server.counts()
        n = counts["paths"].get("/close-after", 0)
        self.assertGreater(n, 2)
        # Every response closed its connection, so loadgen re-opened each time.
        self.assertGreaterEqual(counts["connections"], n)
        # A retry could double-count server requests, never loadgen's.
        self.assertLessEqual(self.entry(out, "/close-after")["num_requests"], n)

    def test_redirect_chain_is_one_entry(self):
        res, out = self.run_ok(["/redirect/3"])
        names = {r["Name"] for r in out.stats()[1]}
        self.assertEqual(names, {"/redirect/3", "Aggregated"})
        counts = self.server.counts()
        self.assertGreater(counts["paths"].get("/ok", 0), 0)
        # Each chain ends at /ok; a run may stop mid-chain (one per user).
        self.assertLessEqual(counts["paths"].get("/redirect/1", 0) - counts["paths"]["/ok"], 2)

    def test_absolute_redirect(self):
        _, out = self.run_ok(["/redirect-abs"])
        self.entry(out, "/redirect-abs")
        self.assertGreater(self.server.counts()["paths"].get("/ok", 0), 0)

    def test_gzip_content_size_is_decompressed_length(self):
        _, out = self.run_ok(["/gzip"])
        e = self.entry(out, "/gzip")
        self.assertEqual(e["total_content_length"],
                         len(faultserver.GZIP_TEXT) * e["num_requests"])
        row = out.stats_by_name()["/gzip"]
        self.assertEqual(int(float(row["Average Content Size"])), len(faultserver.GZIP_TEXT))

    def test_chunked_body_with_extension_and_trailer(self):
        _, out = self.run_ok(["/chunked", "/ok"])
        e = self.entry(out, "/chunked")
        self.assertEqual(e["total_content_length"],
                         len(faultserver.CHUNKED_BODY) * e["num_requests"])

    def test_sized_body(self):
        _, out = self.run_ok(["/bytes/100000"])
        e = self.entry(out, "/bytes/100000")
        self.assertEqual(e["total_content_length"], 100000 * e["num_requests"])

    def test_cookies_kept_per_user(self):
        _, out = self.run_ok(["/cookie/set?sid=abc123", "/cookie/check?sid=abc123"])
        self.entry(out, "/cookie/check?sid=abc123")

    def test_post_body_and_headers(self):
        body = '{"hello": "world"}'
        _, out = self.run_ok(["/echo"], users=1, run_time="1s", wait_time="constant(0.2)",
                             extra=["--method", "POST", "--body", body,
                                    "--header", "X-Test: yes"])
        e = self.entry(out, "/echo")
        self.assertEqual(e["method"], "POST")
        last = self.server.last_request()
        self.assertEqual(last["method"], "POST")
        self.assertEqual(last["body"], body)
        headers = {k.lower(): v for k, v in last["headers"]}
        self.assertEqual(headers.get("x-test"), "yes")
        self.assertEqual(headers.get("content-length"), str(len(body)))
        self.assertIn("host", headers)

    def test_paths_visited_in_order(self):
        # One user, two paths: the server sees them alternate, equal +-1.
        _, out = self.run_ok(["/ok", "/bytes/10"], users=1, wait_time="constant(0.05)")
        counts = self.server.counts()["paths"]
        self.assertLessEqual(abs(counts.get("/ok", 0) - counts.get("/bytes/10", 0)), 1)
        self.assertGreater(counts.get("/ok", 0), 2)


if __name__ == "__main__":
    unittest.main()
