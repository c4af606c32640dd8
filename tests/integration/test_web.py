"""The web mode (no --headless) against the shop simulator: Locust 2.12's REST API starts,
resizes and stops a run (POST /swarm, GET /stop), /stats/requests reports it, the CSV routes
serve the --csv files' format, --autostart + -t + --autoquit ends by itself, --web-auth guards
every route, /metrics is served there too with the Prometheus exporter, and a web port in use
is a start-up error (exit 2). Only 127.0.0.1."""
import base64
import csv
import io
import json
import socket
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import LoadgenProcess, LoadgenTestCase, Outputs, free_port, wait_for
from shop_harness import Shop, shopsim_bin

QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
         "OTEL_LOGS_EXPORTER": "none"}


def http(port, path, method="GET", form=None, auth=None):
    """(status, headers, body text) of one request to the web port."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if auth is not None:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def stats(port, **kw):
    status, _, body = http(port, "/stats/requests", **kw)
    assert status == 200, (status, body)
    return json.loads(body)


def total_requests(s):
    return next(r for r in s["stats"] if r["name"] == "Aggregated")["num_requests"]


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class Web(LoadgenTestCase):
    def start(self, shop, port, *extra, extra_env=None):
        args = ["--scenario", "astronomy-shop", "-H", shop.url, "--web-host", "127.0.0.1",
                "-P", str(port), "--wait-time", "constant(0.05)"] + list(extra)
        env = dict(shop.env())
        env.update(QUIET)
        env.update(extra_env or {})
        proc = LoadgenProcess(args, extra_env=env)
        self.addCleanup(lambda: proc.proc.returncode is None and proc.wait(1))
        wait_for(lambda: self.answers(port), 10, what="the web port")
        return proc

    def answers(self, port):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    def test_swarm_resize_stop_via_the_api(self):
        port = free_port()
        out = Outputs()
        self.addCleanup(out.cleanup)
        with Shop() as shop:
            proc = self.start(shop, port, "--csv", out.prefix, "--csv-full-history")
            s = stats(port)
            self.assertEqual(s["state"], "ready")
            self.assertEqual(s["user_count"], 0)
            self.assertEqual(shop.requests_total(), 0)
            status, _, body = http(port, "/swarm", "POST",
                                   {"user_count": 3, "spawn_rate": 100, "host": shop.url})
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body),
                             {"success": True, "message": "Swarming started", "host": shop.url})
            wait_for(lambda: (lambda s: s["state"] == "running" and total_requests(s) > 0)(
                stats(port)), 15, interval=0.2, what="running with requests")
            s = stats(port)
            self.assertEqual(s["user_count"], 3)
            for key, kind in (("stats", list), ("errors", list), ("total_rps", float),
                              ("fail_ratio", float), ("state", str), ("user_count", int)):
                self.assertIsInstance(s[key], kind, key)
            self.assertIn("current_response_time_percentile_50", s)
            self.assertIn("current_response_time_percentile_95", s)
            # Resize while running.
            status, _, body = http(port, "/swarm", "POST", {"user_count": 5, "spawn_rate": 100})
            self.assertEqual(status, 200, body)
            wait_for(lambda: stats(port)["user_count"] == 5, 10, interval=0.2, what="5 users")
            # A bad form is refused with a message.
            status, _, body = http(port, "/swarm", "POST", {"user_count": "many", "spawn_rate": 1})
            self.assertEqual(status, 400)
            self.assertFalse(json.loads(body)["success"])
            # The CSV route has the --csv file's header.
            status, headers, body = http(port, "/stats/requests/csv")
            self.assertEqual(status, 200)
            self.assertEqual(headers["Content-Type"], "text/csv")
            wait_for(lambda: self.file_exists(out.prefix + "_stats.csv"), 5, what="the CSV file")
            with open(out.prefix + "_stats.csv", newline="") as f:
                file_header = next(csv.reader(f))
            self.assertEqual(next(csv.reader(io.StringIO(body))), file_header)
            status, _, body = http(port, "/stats/requests_full_history/csv")
            self.assertEqual(status, 200)
            with open(out.prefix + "_stats_history.csv", newline="") as f:
                self.assertEqual(next(csv.reader(io.StringIO(body))), next(csv.reader(f)))
            status, _, body = http(port, "/stats/failures/csv")
            self.assertEqual((status, body.splitlines()[0]), (200, "Method,Name,Error,Occurrences"))
            status, _, body = http(port, "/exceptions")
            self.assertEqual(status, 200)
            self.assertIsInstance(json.loads(body)["exceptions"], list)
            status, _, body = http(port, "/exceptions/csv")
            self.assertEqual((status, body.splitlines()[0]), (200, "Count,Message,Traceback,Nodes"))
            # Stop: state "stopped", no users, and the process keeps serving.
            status, _, body = http(port, "/stop")
            self.assertEqual(json.loads(body), {"success": True, "message": "Test stopped"})
            wait_for(lambda: stats(port)["state"] == "stopped", 15, interval=0.2, what="stopped")
            self.assertEqual(stats(port)["user_count"], 0)
            self.assertEqual(http(port, "/stats/reset")[2], "ok")
            self.assertIsNone(proc.proc.poll())
            proc.send_signal(2)  # SIGINT: the headless exit path (summary, code)
            res = proc.wait(30)
            self.assertExit(res, 0)
            self.assertIn("Aggregated", res.stderr)

    def test_swarm_again_after_stop_starts_a_new_run(self):
        # Locust 2.12 accepts /swarm after a stop: a new run, stats counted from zero.
        port = free_port()
        with Shop() as shop:
            proc = self.start(shop, port)
            swarm = lambda n: http(port, "/swarm", "POST", {"user_count": n, "spawn_rate": 100})
            self.assertEqual(swarm(2)[0], 200)
            wait_for(lambda: total_requests(stats(port)) >= 20, 15, interval=0.2,
                     what="requests of the first run")
            http(port, "/stop")
            wait_for(lambda: stats(port)["state"] == "stopped", 15, interval=0.2, what="stopped")
            first = total_requests(stats(port))
            # A stop kills the users: a request in flight then (at most one per user) reached
            # the shop but is not a finished request (Locust's semantics).
            shop_first = shop.requests_total()
            self.assertLessEqual(first, shop_first)
            self.assertLessEqual(shop_first - first, 2, (first, shop_first))
            status, _, body = swarm(4)
            self.assertEqual(status, 200, body)
            self.assertTrue(json.loads(body)["success"])
            wait_for(lambda: (lambda s: s["state"] == "running" and s["user_count"] == 4)(
                stats(port)), 15, interval=0.2, what="4 users in the new run")
            wait_for(lambda: total_requests(stats(port)) >= 10, 15, interval=0.2,
                     what="requests of the second run")
            http(port, "/stop")
            wait_for(lambda: stats(port)["state"] == "stopped", 15, interval=0.2, what="stopped")
            second = total_requests(stats(port))
            # Counted from zero (the first run's >= 20 would show), none lost but the <= 4
            # killed in flight.
            shop_second = shop.requests_total() - shop_first
            self.assertLessEqual(second, shop_second)
            self.assertLessEqual(shop_second - second, 4, (second, shop_second))
            self.assertIsNone(proc.proc.poll())
            proc.send_signal(2)
            self.assertExit(proc.wait(30), 0)

    @staticmethod
    def file_exists(path):
        try:
            with open(path):
                return True
        except OSError:
            return False

    def test_autostart_and_autoquit_end_by_themselves(self):
        port = free_port()
        with Shop() as shop:
            proc = self.start(shop, port, "--autostart", "-u", "2", "-r", "100", "-t", "2s",
                              "--autoquit", "1")
            wait_for(lambda: total_requests(stats(port)) > 0, 10, interval=0.2, what="requests")
            res = proc.wait(30)
            self.assertExit(res, 0)
            self.assertLess(res.wall, 15, res.describe())
            self.assertIn("--autoquit time reached", res.stderr)

    def test_swarm_run_time_then_autoquit(self):
        port = free_port()
        with Shop() as shop:
            proc = self.start(shop, port, "--autoquit", "1")
            status, _, body = http(port, "/swarm", "POST",
                                   {"user_count": 2, "spawn_rate": 100, "run_time": "2s"})
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body)["run_time"], 2)
            wait_for(lambda: total_requests(stats(port)) > 0, 10, interval=0.2, what="requests")
            res = proc.wait(30)
            self.assertExit(res, 0)
            self.assertIn("--run-time limit reached", res.stderr)
            self.assertIn("--autoquit time reached", res.stderr)

    def test_prometheus_metrics_on_the_web_port(self):
        port = free_port()
        with Shop() as shop:
            env = {"OTEL_METRICS_EXPORTER": "prometheus",
                   "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
                   "OTEL_EXPORTER_PROMETHEUS_PORT": str(free_port())}
            proc = self.start(shop, port, "--autostart", "-u", "2", "-r", "100", extra_env=env)
            wait_for(lambda: total_requests(stats(port)) > 0, 10, interval=0.2, what="requests")
            status, headers, body = http(port, "/metrics")
            self.assertEqual(status, 200)
            self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
            self.assertIn("http_client_request_duration_seconds", body)
            proc.send_signal(15)
            self.assertExit(proc.wait(30), 0)

    def test_web_auth(self):
        port = free_port()
        with Shop() as shop:
            proc = self.start(shop, port, extra_env={"LOCUST_WEB_AUTH": "admin:s3cret"})
            for path in ("/", "/stats/requests", "/stop"):
                status, headers, _ = http(port, path)
                self.assertEqual(status, 401, path)
                self.assertTrue(headers["WWW-Authenticate"].startswith("Basic"), path)
                self.assertEqual(http(port, path, auth="admin:wrong")[0], 401, path)
            self.assertEqual(http(port, "/swarm", "POST", {"user_count": 1, "spawn_rate": 1})[0],
                             401)
            self.assertEqual(stats(port, auth="admin:s3cret")["state"], "ready")
            proc.send_signal(15)
            self.assertExit(proc.wait(30), 0)
            self.assertEqual(shop.requests_total(), 0)

    def test_web_port_in_use_is_a_startup_error(self):
        with socket.socket() as s, Shop() as shop:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            env = dict(shop.env())
            env.update(QUIET)
            res = LoadgenProcess(["--scenario", "astronomy-shop", "-H", shop.url, "--web-host",
                                  "127.0.0.1", "-P", str(port)], extra_env=env).wait(30)
            self.assertExit(res, 2)
            self.assertIn(f"127.0.0.1:{port}", res.stderr)
            self.assertIn("--web-port", res.stderr)
            self.assertEqual(shop.requests_total(), 0)


if __name__ == "__main__":
    unittest.main()
