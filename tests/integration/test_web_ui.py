"""The web UI's own routes (docs/web-ui.md) against the shop simulator: the page at / and its
embedded assets (uPlot served from the binary, with Content-Type and Cache-Control), the run's
time series at /stats/history (points grow once a second, ?since= gives deltas, a stats reset
makes readers replace), and /stats/loadgen (who controls the user count: the UI, or the
loadGeneratorVUs flag). Browser tests are in tests/e2e. Only 127.0.0.1."""
import json
import re
import unittest

from harness import LoadgenProcess, LoadgenTestCase, free_port, wait_for
from shop_harness import Shop, shopsim_bin
from test_web import QUIET, http

POINT_KEYS = {"t", "span_s", "users", "rps", "fail_per_s", "p50", "p95",
              "spans_exported_per_s", "spans_dropped_per_s", "loop_cpu_max"}


def get_json(port, path):
    status, headers, body = http(port, path)
    assert status == 200, (path, status, body)
    assert headers["Content-Type"] == "application/json", headers["Content-Type"]
    return json.loads(body)


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class WebUi(LoadgenTestCase):
    def start(self, shop, port):
        args = ["--scenario", "astronomy-shop", "-H", shop.url, "--web-host", "127.0.0.1",
                "-P", str(port), "--wait-time", "constant(0.05)"]
        env = dict(shop.env())
        env.update(QUIET)
        proc = LoadgenProcess(args, extra_env=env)
        self.addCleanup(lambda: proc.proc.returncode is None and proc.wait(1))
        wait_for(lambda: self.answers(port), 10, what="the web port")
        return proc

    def answers(self, port):
        try:
            return http(port, "/stats/loadgen")[0] == 200
        except OSError:
            return False

    def test_page_and_assets_come_from_the_binary(self):
        port = free_port()
        with Shop() as shop:
            proc = self.start(shop, port)
            status, headers, page = http(port, "/")
            self.assertEqual(status, 200)
            self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
            for needle in ('id="state"', 'id="stats-table"', 'id="start-form"', 'id="edit-form"',
                           'data-tab="charts"', 'id="chart-requests"', 'id="dl-report"'):
                self.assertIn(needle, page)
            # Relative URLs only (a proxy prefix works), and nothing from elsewhere.
            self.assertIsNone(re.search(r'(src|href|action)="(/|https?:)', page), page)
            for src in re.findall(r'(?:src|href)="(assets/[^"]+)"', page):
                self.assertEqual(http(port, "/" + src)[0], 200, src)
            for name, ctype in (("uPlot.iife.min.js", "text/javascript; charset=utf-8"),
                                ("uPlot.min.css", "text/css; charset=utf-8"),
                                ("app.js", "text/javascript; charset=utf-8"),
                                ("app.css", "text/css; charset=utf-8")):
                status, headers, body = http(port, "/assets/" + name)
                self.assertEqual((status, headers["Content-Type"]), (200, ctype), name)
                self.assertEqual(headers["Cache-Control"], "no-cache", name)
                self.assertGreater(len(body), 100, name)
            self.assertIn("uPlot", http(port, "/assets/uPlot.iife.min.js")[2])
            self.assertIn("loadgenCharts", http(port, "/assets/app.js")[2])
            self.assertEqual(http(port, "/assets/nothing.js")[0], 404)
            self.assertEqual(http(port, "/assets/index.html")[0], 404)
            proc.send_signal(15)
            self.assertExit(proc.wait(30), 0)

    def test_history_deltas_and_control(self):
        port = free_port()
        with Shop() as shop:
            proc = self.start(shop, port)
            info = get_json(port, "/stats/loadgen")
            self.assertEqual(info["control"], "ui")
            self.assertEqual(info["host"], shop.url)
            self.assertEqual(info["flag_name"], "loadGeneratorVUs")
            self.assertIsNone(info["flag_users"])
            self.assertRegex(info["version"], r"^\d+\.\d+")
            h = get_json(port, "/stats/history")
            self.assertEqual(h["points"], [])
            self.assertEqual(http(port, "/stats/history?since=x")[0], 400)

            status, _, body = http(port, "/swarm", "POST", {"user_count": 2, "spawn_rate": 100})
            self.assertEqual(status, 200, body)
            wait_for(lambda: len(get_json(port, "/stats/history?since=0")["points"]) >= 3, 20,
                     interval=0.3, what="3 history points")
            h = get_json(port, "/stats/history?since=0")
            self.assertTrue(h["replace"])
            for p in h["points"]:
                self.assertEqual(set(p), POINT_KEYS)
                self.assertGreater(p["span_s"], 0)
                self.assertTrue(0 <= p["loop_cpu_max"] <= 1)
            self.assertEqual(h["points"][-1]["users"], 2)
            self.assertGreater(max(p["rps"] for p in h["points"]), 0)
            self.assertIsNotNone(h["points"][-1]["p50"])
            ts = [p["t"] for p in h["points"]]
            self.assertEqual(ts, sorted(ts))
            # Deltas: since=next answers only the points added after it.
            d = get_json(port, f"/stats/history?since={h['next']}")
            self.assertFalse(d["replace"])
            wait_for(lambda: get_json(port, f"/stats/history?since={h['next']}")["points"], 10,
                     interval=0.3, what="a new point")
            d = get_json(port, f"/stats/history?since={h['next']}")
            self.assertFalse(d["replace"])
            self.assertGreater(d["next"], h["next"])
            self.assertGreater(d["points"][0]["t"], ts[-1])

            # The loadGeneratorVUs flag takes the user count; the UI takes it back.
            shop.set_flags(vus=4)
            wait_for(lambda: get_json(port, "/stats/loadgen")["control"] == "flag", 20,
                     interval=0.3, what="control by the flag")
            self.assertEqual(get_json(port, "/stats/loadgen")["flag_users"], 4)
            status, _, body = http(port, "/swarm", "POST", {"user_count": 3, "spawn_rate": 100})
            self.assertEqual(status, 200, body)
            wait_for(lambda: get_json(port, "/stats/loadgen")["control"] == "ui", 10,
                     interval=0.3, what="control by the UI")
            self.assertEqual(get_json(port, "/stats/loadgen")["target_users"], 3)

            # A stats reset clears the series: a reader with an old `next` replaces.
            before = get_json(port, "/stats/history?since=0")
            self.assertEqual(http(port, "/stats/reset")[0], 200)
            wait_for(lambda: get_json(port, f"/stats/history?since={before['next']}")["replace"],
                     10, interval=0.3, what="replace after a reset")
            status, _, _ = http(port, "/stop")
            self.assertEqual(status, 200)
            wait_for(lambda: get_json(port, "/stats/requests")["state"] == "stopped", 15,
                     interval=0.3, what="stopped")
            proc.send_signal(15)
            self.assertExit(proc.wait(30), 0)


if __name__ == "__main__":
    unittest.main()
