"""Load models end to end (docs/load-models.md): --stages drives the user count (the stats
history follows the stages within one spawn step, and the run stops after the last stage);
the open model (--arrival-rate with --max-users) starts iterations on schedule (the iteration
rate within 2 % of the target), counts the arrivals the pool cannot serve as dropped
iterations (console, history CSV), and measures each iteration from its intended start: a
server that stalls for 2 s shows in the ITER rows' p99 while the closed model's p99 hides
it. The real binary against nginx and tests/integration/faultserver.py on 127.0.0.1."""
import datetime
import json
import re
import signal
import time
import unittest
import urllib.parse
import urllib.request

from harness import (FaultServer, LoadgenProcess, LoadgenTestCase, Nginx, free_port, port_open,
                     run_loadgen, wait_for)

QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
         "OTEL_LOGS_EXPORTER": "none"}
LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})\]", re.M)


def log_time(stderr, text):
    """Unix time of the first log line containing `text` (the log prints local time)."""
    for line in stderr.splitlines():
        if text in line:
            m = LOG_TIME.match(line)
            local = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
            return time.mktime(local.timetuple()) + int(m.group(2)) / 1000.0
    raise AssertionError(f"no log line with {text!r}:\n{stderr}")


def dropped_in_summary(stderr):
    m = re.search(r"^Dropped iterations: (\d+) ", stderr, re.M)
    return int(m.group(1)) if m else None


class LoadModelsTest(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def get_args(self, path="/ok", threads=1, extra=()):
        return (["--headless", "--scenario", "get", "-H", self.server.host, "--path", path,
                 "--threads", str(threads)] + list(extra))

    # ---- the closed model's stages ----

    def test_user_count_follows_linear_stages_within_one_spawn_step_then_stops(self):
        out = self.outputs()
        # k6 ramping-vus: 0 -> 20 over 4 s (5 users/s: one ramp, steps of 5), hold 3 s,
        # 20 -> 10 over 2 s, then the run stops by itself (-t is far away).
        r = run_loadgen(self.get_args(extra=["--stages", "4s:20,3s:20,2s:10",
                                             "--wait-time", "constant(0.2)", "-t", "60s",
                                             "--csv", out.prefix, "--csv-full-history"]),
                        timeout=40, extra_env=QUIET)
        self.assertExit(r, 0)
        self.assertLess(r.wall, 20, r.describe())
        self.assertIn("Load shape: 3 stages over 9 s", r.stderr)
        self.assertIn("Shape test updating to 20 users at 5.00 spawn rate", r.stderr)
        self.assertIn("Shape test updating to 10 users at 5.00 spawn rate", r.stderr)
        self.assertIn("Shape test stopping", r.stderr)
        self.assertNotIn("--run-time limit reached", r.stderr)
        start = log_time(r.stderr, "Shape test updating to 20 users")

        def k6(t):
            if t < 4:
                return 20 * t / 4
            if t < 7:
                return 20
            return 20 - 10 * min(t - 7, 2) / 2

        _, rows = out.history()
        agg = [row for row in rows if row["Name"] == "Aggregated"]
        self.assertGreaterEqual(len(agg), 7, rows)
        step = 5
        for row in agg:
            # Timestamp is the sample's wall time rounded down: the sample is in [ts, ts + 1).
            ts = int(row["Timestamp"]) - start
            users = int(row["User Count"])
            lo = min(k6(max(ts, 0)), k6(max(ts + 1, 0))) - step
            hi = max(k6(max(ts, 0)), k6(max(ts + 1, 0))) + step
            if ts + 1 >= 9:  # maybe after the last stage: stopped
                lo = 0
            self.assertTrue(lo <= users <= hi, f"t={ts:.2f}s users={users} k6 in [{lo}, {hi}]")
        self.assertIn(20, [int(row["User Count"]) for row in agg])

    def test_stages_with_spawn_rates_ramp_at_that_rate(self):
        out = self.outputs()
        r = run_loadgen(self.get_args(extra=["--stages", "2s:3:100,2s:6:100,1s:0:100",
                                             "--wait-time", "constant(0.2)",
                                             "--csv", out.prefix]),
                        timeout=30, extra_env=QUIET)
        self.assertExit(r, 0)
        updates = re.findall(r"Shape test updating to (\d+) users at ([\d.]+) spawn rate",
                             r.stderr)
        self.assertEqual(updates, [("3", "100.00"), ("6", "100.00"), ("0", "100.00")])
        self.assertIn("All users spawned: {\"PathLoopUser\": 6}", r.stderr)

    def test_stages_errors_exit_2_before_any_load(self):
        r = run_loadgen(self.get_args(extra=["--stages", "30s,1m:x"]), timeout=20,
                        extra_env=QUIET)
        self.assertExit(r, 2)
        self.assertIn("--stages: '30s,1m:x' is not valid stages: stage 1 '30s': no target",
                      r.stderr)
        self.assertIn("stage 2 '1m:x': users 'x' is not a whole number", r.stderr)
        r = run_loadgen(self.get_args(extra=["--arrival-rate", "10/s"]), timeout=20,
                        extra_env=QUIET)
        self.assertExit(r, 2)
        self.assertIn("--arrival-rate needs --max-users", r.stderr)

    def test_a_swarm_in_the_web_mode_starts_the_shape(self):
        port = free_port()
        p = LoadgenProcess(["--scenario", "get", "-H", self.server.host, "--path", "/ok",
                            "--threads", "1", "--web-host", "127.0.0.1", "-P", str(port),
                            "--wait-time", "constant(0.2)", "--autoquit", "0",
                            "--stages", "2s:3:100,2s:1:100"], extra_env=QUIET)
        self.addCleanup(lambda: p.proc.returncode is None and p.wait(1))
        stats = lambda: json.loads(urllib.request.urlopen(
            f"http://127.0.0.1:{port}/stats/requests", timeout=5).read())
        wait_for(lambda: port_open(port), 10, what="the web port")
        self.assertEqual(stats()["state"], "ready")
        form = urllib.parse.urlencode({"user_count": 9, "spawn_rate": 1}).encode()
        with urllib.request.urlopen(urllib.request.Request(
                f"http://127.0.0.1:{port}/swarm", data=form, method="POST"), timeout=5) as r:
            self.assertEqual(r.status, 200)
        # The shape's counts, not the form's: 3, then 1, then the run stops (and --autoquit 0
        # ends the process).
        wait_for(lambda: stats()["user_count"] == 3, 10, interval=0.1, what="3 users")
        wait_for(lambda: stats()["user_count"] == 1, 10, interval=0.1, what="1 user")
        self.assertNotIn("iterations_dropped", stats())
        r = p.wait(20)
        self.assertExit(r, 0)
        self.assertIn("Shape test stopping", r.stderr)

    # ---- the open model ----

    def test_arrival_rate_within_two_percent_of_the_target(self):
        nginx = Nginx().start()
        self.addCleanup(nginx.stop)
        out = self.outputs()
        rate, seconds = 200, 6
        r = run_loadgen(["--headless", "--scenario", "get", "-H", nginx.host, "--threads", "2",
                         "--arrival-rate", f"{rate}/s", "--max-users", "100", "-t",
                         f"{seconds}s", "--csv", out.prefix], timeout=40, extra_env=QUIET)
        self.assertExit(r, 0)
        self.assertIn(f"Arrival rate: {rate} iterations/s from a pool of at most 100 users",
                      r.stderr)
        stats = out.stats_by_name()
        iterations = int(stats["step"]["Request Count"])
        requests = int(stats["/"]["Request Count"])
        expected = rate * seconds
        self.assertLessEqual(abs(iterations - expected), 0.02 * expected,
                             f"{iterations} iterations, expected {expected}\n" + r.describe())
        # One request per iteration; the Aggregated row counts requests, not iterations.
        self.assertEqual(int(stats["Aggregated"]["Request Count"]), requests)
        self.assertLessEqual(abs(requests - iterations), 2)
        self.assertEqual(dropped_in_summary(r.stderr), 0, r.stderr)

    def test_drops_counted_when_the_pool_is_exhausted(self):
        out = self.outputs()
        # 50 arrivals/s, each iteration 200 ms, at most 2 users: at most ~10 served per second.
        r = run_loadgen(self.get_args(path="/slow?ms=200",
                                      extra=["--arrival-rate", "50/s", "--max-users", "2",
                                             "-t", "3s", "--csv", out.prefix,
                                             "--csv-full-history"]),
                        timeout=30, extra_env=QUIET)
        self.assertExit(r, 0)
        dropped = dropped_in_summary(r.stderr)
        self.assertIsNotNone(dropped, r.stderr)
        stats = out.stats_by_name()
        served = int(stats["step"]["Request Count"])
        self.assertLessEqual(served, 2 * 3 / 0.2 + 2)
        self.assertGreater(dropped, 100)
        # Every arrival (about 50/s over 3 s, the first at 0) was served, dropped, or was in
        # flight when the run stopped (at most the pool's 2).
        self.assertTrue(150 - 3 <= served + dropped <= 151 + 1,
                        f"served {served} + dropped {dropped}\n" + r.describe())
        header, rows = out.history()
        self.assertEqual(header[-1], "Dropped Iterations")
        self.assertEqual(int(rows[-1]["Dropped Iterations"]), dropped)
        self.assertEqual(max(int(row["User Count"]) for row in rows), 2)

    def test_the_pool_is_split_across_workers_so_idle_users_elsewhere_cause_no_drops(self):
        # One user on two threads: only one thread takes arrivals, with the whole pool. (Each
        # thread used to take half the arrivals and the other thread, with no user, dropped
        # them.) A 10 ms iteration every 100 ms never finds the user busy.
        out = self.outputs()
        r = run_loadgen(self.get_args(path="/slow?ms=10", threads=2,
                                      extra=["--arrival-rate", "10/s", "--max-users", "1",
                                             "-t", "3s", "--csv", out.prefix]),
                        timeout=30, extra_env=QUIET)
        self.assertExit(r, 0)
        self.assertEqual(dropped_in_summary(r.stderr), 0, r.describe())
        self.assertGreaterEqual(int(out.stats_by_name()["step"]["Request Count"]), 28)

    def test_a_rate_the_loop_cannot_keep_still_stops_on_time(self):
        # Far behind schedule the arrival loop yields to its thread's event loop: -t's stop
        # runs. 1000 stages make each due time slow to compute, so the loop cannot keep 1e7/s;
        # it used to dispatch without suspending until the schedule's end (24 s here, forever
        # at a constant rate) and -t's stop never ran.
        stages = ",".join(["10ms:10000000"] * 1000)
        start = time.monotonic()
        r = run_loadgen(self.get_args(threads=2, extra=["--arrival-stages", stages,
                                                        "--max-users", "10", "-t", "2s"]),
                        timeout=60, extra_env=QUIET)
        self.assertExit(r, 0)
        self.assertLess(time.monotonic() - start, 10, r.describe())
        self.assertGreater(dropped_in_summary(r.stderr), 1000, r.stderr)
        # Faster than the documented maximum: a usage error.
        r = run_loadgen(self.get_args(extra=["--arrival-rate", "100000000", "--max-users", "10"]),
                        timeout=20, extra_env=QUIET)
        self.assertExit(r, 2)
        self.assertIn("--arrival-rate: '100000000' is too high", r.stderr)

    def test_the_web_api_reports_dropped_iterations(self):
        port = free_port()
        p = LoadgenProcess(self.get_args(path="/slow?ms=200", extra=[
            "--arrival-rate", "50/s", "--max-users", "1", "--autostart", "--web-host",
            "127.0.0.1", "-P", str(port)])[1:], extra_env=QUIET)  # no --headless
        self.addCleanup(lambda: p.proc.returncode is None and p.wait(1))
        wait_for(lambda: port_open(port), 10, what="the web port")
        stats = lambda: json.loads(urllib.request.urlopen(
            f"http://127.0.0.1:{port}/stats/requests", timeout=5).read())
        wait_for(lambda: stats().get("iterations_dropped", 0) >= 20, 10, interval=0.1,
                 what="dropped iterations in /stats/requests")
        self.assertEqual(stats()["user_count"], 1)
        p.send_signal(signal.SIGTERM)
        r = p.wait(20)
        self.assertNoCrash(r)
        self.assertGreaterEqual(dropped_in_summary(r.stderr), 20)

    def test_intended_start_latency_shows_a_stall_the_closed_model_hides(self):
        def run_with_stall(model_args):
            out = self.outputs()
            urllib.request.urlopen(self.server.url("/__reset"), timeout=5).read()
            p = LoadgenProcess(self.get_args(extra=model_args + ["-t", "5s", "--csv",
                                                                 out.prefix]),
                               extra_env=QUIET)
            # Once the run is under way, the server stalls for 2 s.
            wait_for(lambda: self.server.counts()["requests"] >= 100, 15,
                     what="the run to be under way")
            urllib.request.urlopen(self.server.url("/__stall?ms=2000"), timeout=5).read()
            r = p.wait(30)
            self.assertExit(r, 0)
            return r, out.stats_by_name()

        # Open model: 100 iterations/s keep arriving during the stall; each is measured from
        # when it should have started. Those due in the stall's first 50 ms (1 % of a 5 s run)
        # waited 1.95 to 2 s: the p99 is the stall, within the 5 % of its length this test
        # allows (p99 >= 2 s exactly would need 1 % of the iterations to wait longer than the
        # stall itself); the slowest waited nearly all of it: the first arrival after the stall
        # began comes up to one 10 ms interval later (a run measured 1,996 ms), so its bound
        # allows two intervals and some scheduling.
        r, stats = run_with_stall(["--arrival-rate", "100/s", "--max-users", "400"])
        self.assertEqual(dropped_in_summary(r.stderr), 0, r.stderr)
        self.assertGreaterEqual(int(stats["step"]["99%"]), 1900, r.describe())
        self.assertGreaterEqual(int(stats["step"]["100%"]), 1950, r.describe())
        # Closed model: 2 users pacing 100 requests/s between them; only the two requests in
        # flight wait out the stall, and the users send nothing meanwhile.
        r, stats = run_with_stall(["-u", "2", "-r", "100", "--wait-time",
                                   "constant_pacing(0.02)"])
        self.assertLess(int(stats["Aggregated"]["99%"]), 1000, r.describe())
        self.assertGreaterEqual(int(stats["Aggregated"]["100%"]), 1900, r.describe())


if __name__ == "__main__":
    unittest.main()


YAML_RUN = """\
name: file-run
users:
  - name: FileUser
    wait_time: constant(0.1)
    tasks:
      - name: ok
        steps:
          - get: /ok
load:
  stages:
    - {duration: 2s, users: 4, spawn_rate: 100}
    - {duration: 1s, users: 0, spawn_rate: 100}
thresholds:
  - "count>0"
  - "GET /ok:rps>1000000"
"""

LUA_RUN = """\
user{
  name = "FileUser",
  wait_time = constant(0.1),
  tasks = {function(self) self.client:get("/ok") end},
}
load = {
  stages = {
    {duration = "2s", users = 4, spawn_rate = 100},
    {duration = "1s", users = 0, spawn_rate = 100},
  },
}
thresholds = {"count>0", "GET /ok:rps>1000000"}
"""

YAML_OPEN = """\
name: file-open
users:
  - name: FileUser
    tasks:
      - name: ok
        steps:
          - get: /ok
load:
  arrival_rate: 20/s
  max_users: 5
"""

YAML_OPEN_NO_REQUESTS = """\
name: file-open-think
users:
  - name: Thinker
    tasks:
      - name: think
        steps:
          - sleep: 10ms
load:
  arrival_rate: 20/s
  max_users: 5
"""

YAML_OPEN_TASK_SET = """\
name: file-open-set
users:
  - name: Shopper
    tasks:
      - name: browse
        steps: [{get: /ok}]
      - name: checkout_flow
        tasks:
          - name: pay
            steps: [{get: /ok}, {interrupt: true}]
load:
  arrival_rate: 20/s
  max_users: 5
"""


class ScenarioFilesDriveTheRun(LoadgenTestCase):
    """What a scenario file says about the run (its `load` and `thresholds`) applies, in both
    formats, unless the command line says otherwise."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def write(self, name, text):
        out = self.outputs()
        path = f"{out.dir}/{name}"
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_file(self, path, extra=()):
        return run_loadgen(["--headless", "-f", path, "-H", self.server.host, "--threads", "1"]
                           + list(extra), timeout=40, extra_env=QUIET)

    def test_stages_and_thresholds_from_yaml_and_lua(self):
        for name, text in (("run.yaml", YAML_RUN), ("run.lua", LUA_RUN)):
            with self.subTest(name):
                path = self.write(name, text)
                r = self.run_file(path, ["-t", "60s"])
                # The file's stages drive the users and end the run (long before -t); its
                # failing threshold makes the exit code 99 and names where it was written.
                self.assertExit(r, 99)
                self.assertIn("Load shape: 2 stages over 3 s", r.stderr)
                self.assertIn("Shape test updating to 4 users at 100.00 spawn rate", r.stderr)
                self.assertIn("Shape test stopping", r.stderr)
                self.assertNotIn("--run-time limit reached", r.stderr)
                self.assertLess(r.wall, 20, r.describe())
                self.assertRegex(r.stderr, r"count>0 .*\| pass ")
                self.assertRegex(r.stderr, r"GET /ok:rps>1000000 .*\| FAIL ")
                self.assertIn(name, r.stderr.split("Thresholds", 1)[1])
                # The command line's load model replaces the file's.
                r = self.run_file(path, ["-u", "2", "-r", "100", "-t", "2s", "--stages", "1s:2"])
                self.assertNotIn("Load shape: 2 stages", r.stderr)
                self.assertIn("Load shape: 1 stages over 1 s", r.stderr)

    def test_arrival_rate_from_a_yaml_file(self):
        path = self.write("open.yaml", YAML_OPEN)
        out = self.outputs()
        r = self.run_file(path, ["-t", "3s", "--csv", out.prefix])
        self.assertExit(r, 0)
        _, rows = out.stats()
        names = {(row["Type"], row["Name"]) for row in rows}
        self.assertIn(("ITER", "ok"), names, rows)
        self.assertIn(("GET", "/ok"), names, rows)
        it = next(row for row in rows if row["Type"] == "ITER")
        # 20/s for 3 s: about 60 iterations (the first is due at 0).
        self.assertTrue(45 <= int(it["Request Count"]) <= 75, it)

    def test_iterations_without_requests_have_a_rate(self):
        # The ITER row's rate runs to its own last iteration (there is no request to measure to).
        path = self.write("think.yaml", YAML_OPEN_NO_REQUESTS)
        out = self.outputs()
        r = self.run_file(path, ["-t", "4s", "--csv", out.prefix])
        self.assertExit(r, 0)
        _, rows = out.stats()
        it = next(row for row in rows if row["Type"] == "ITER")
        self.assertGreater(int(it["Request Count"]), 60, it)
        self.assertGreater(float(it["Requests/s"]), 15, it)

    def test_the_open_model_refuses_a_task_set(self):
        path = self.write("set.yaml", YAML_OPEN_TASK_SET)
        r = self.run_file(path, ["-t", "2s"])
        self.assertExit(r, 2)
        self.assertIn("the open model runs one task per iteration; user class 'Shopper' task "
                      "'checkout_flow' is a task set", r.stderr)
