"""Distributed runs over Locust 2.12's master/worker protocol (issue 13), real processes only:
- two loadgen workers under a real Locust 2.12 master (Debian's python3-locust), against the
  shop simulator: the master's CSV counts what the workers sent, its user count is the target;
- a loadgen master with three loadgen workers, one killed mid-run: the master marks it missing
  within its heartbeat timeout, gives its users to the others, and its merged stats are the
  workers' own counts;
- a loadgen master with eight workers: the merged totals equal the sum of the workers' totals
  exactly, request by request name;
- telemetry: each worker exports spans, metrics and logs under one service.instance.id of its
  own, the master its run-level metrics under another;
- a worker whose every core is saturated still heartbeats (never marked missing), and garbage
  on the master's port is counted and logged while the run goes on.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from harness import LoadgenProcess, LoadgenTestCase, free_port, read_csv, wait_for
from otlp_collector import start_collector
from shop_harness import Shop

LOCUST = "/usr/bin/locust"

# The master only needs the class names and weights for its dispatch; the workers run
# loadgen's built-in astronomy-shop scenario, whose class is WebsiteUser as in the demo.
LOCUSTFILE = """
from locust import HttpUser, between, constant, task


class WebsiteUser(HttpUser):
    wait_time = between(1, 10)

    @task
    def index(self):
        self.client.get("/")
"""

WORKER_WAIT = "constant(0.05)"


def csv_rows(prefix, suffix="_stats.csv"):
    _, rows = read_csv(prefix + suffix)
    return rows


def aggregated(prefix):
    for r in csv_rows(prefix):
        if r["Name"] == "Aggregated":
            return r
    raise AssertionError(f"no Aggregated row in {prefix}_stats.csv")


def by_name(prefix):
    return {(r["Type"], r["Name"]): r for r in csv_rows(prefix) if r["Name"] != "Aggregated"}


def history_users(prefix):
    try:
        return [int(r["User Count"]) for r in csv_rows(prefix, "_stats_history.csv")
                if r["Name"] == "Aggregated"]
    except (FileNotFoundError, StopIteration):
        return []


class DistributedTestCase(LoadgenTestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix=f"loadgen-dist-{os.getpid()}-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.shop = Shop().start()
        self.addCleanup(self.shop.stop)
        self.procs = []

    def tearDown(self):
        for p in self.procs:  # only what this test started, by PID
            if isinstance(p, LoadgenProcess):
                if p.proc.returncode is None:
                    p.send_signal(signal.SIGKILL)
                    p.wait(5)
            elif p.poll() is None:
                p.kill()
                p.wait(5)

    def worker(self, master_port, name, host=True, extra=(), env=None, wait=WORKER_WAIT,
               threads=1):
        args = ["--worker", "--master-host", "127.0.0.1", "--master-port", str(master_port),
                "--scenario", "astronomy-shop", "--wait-time", wait, "--threads", str(threads),
                "--csv", os.path.join(self.dir, name)] + list(extra)
        if host:
            args += ["-H", self.shop.url]
        p = LoadgenProcess(args, extra_env={**self.shop.env(), **(env or {})})
        self.procs.append(p)
        return p

    def loadgen_master(self, port, users, run_time, expect, extra=(), env=None):
        args = ["--master", "--headless", "--master-bind-host", "127.0.0.1",
                "--master-bind-port", str(port), "--expect-workers", str(expect),
                "--expect-workers-max-wait", "30", "-u", str(users), "-r", "100",
                "-t", run_time, "--scenario", "astronomy-shop", "-H", self.shop.url,
                "--csv", os.path.join(self.dir, "master"), "--csv-full-history"] + list(extra)
        p = LoadgenProcess(args, extra_env={**self.shop.env(), **(env or {})})
        self.procs.append(p)
        return p

    def assertWorkerLeftCleanly(self, res):
        self.assertNoCrash(res)
        self.assertIn("Connected to the master", res.stderr, res.describe())
        self.assertIn("The master quit the run", res.stderr, res.describe())


class LocustMasterTest(DistributedTestCase):
    """loadgen workers joining a real Locust 2.12 master."""

    def test_two_loadgen_workers_under_a_locust_2_12_master(self):
        if not os.path.exists(LOCUST):
            self.skipTest("python3-locust not installed")
        port = free_port()
        users = 10
        locustfile = os.path.join(self.dir, "locustfile.py")
        with open(locustfile, "w") as f:
            f.write(LOCUSTFILE)
        master_log = open(os.path.join(self.dir, "master.log"), "w+")
        self.addCleanup(master_log.close)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
        master = subprocess.Popen(
            [LOCUST, "-f", locustfile, "--master", "--headless", "--expect-workers", "2",
             "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
             "-u", str(users), "-r", "20", "-t", "10s", "-H", self.shop.url,
             "--csv", os.path.join(self.dir, "locust"), "--csv-full-history"],
            cwd=self.dir, stdout=master_log, stderr=subprocess.STDOUT, env=env)
        self.procs.append(master)
        # One worker takes the host from the master's spawn message, the other has its own.
        w1 = self.worker(port, "w1", host=False)
        w2 = self.worker(port, "w2", host=True)
        try:
            rc = master.wait(60)
        except subprocess.TimeoutExpired:
            master.kill()
            rc = None
        master_log.seek(0)
        log = master_log.read()
        r1, r2 = w1.wait(30), w2.wait(30)
        self.assertEqual(rc, 0, log[-4000:])
        for r in (r1, r2):
            self.assertWorkerLeftCleanly(r)
            self.assertEqual(r.returncode, 0, r.describe())
        # The master saw both workers and all the users (Locust's own log line).
        self.assertIn("2 workers connected", log, log[-4000:])
        self.assertIn(f'"WebsiteUser": {users}', log, log[-4000:])
        self.assertIn(f"({users} total users)", log, log[-4000:])
        self.assertIn(users, history_users(os.path.join(self.dir, "locust")))

        # The master's totals are what the workers sent: every request the shop counted,
        # less at most one in flight per user when the run was stopped.
        total = aggregated(os.path.join(self.dir, "locust"))
        master_requests = int(total["Request Count"])
        shop_requests = self.shop.requests_total()
        self.assertGreater(master_requests, 100, total)
        self.assertLessEqual(master_requests, shop_requests)
        self.assertLessEqual(shop_requests - master_requests, users,
                             (master_requests, shop_requests))
        self.assertEqual(int(total["Failure Count"]), 0, total)
        # Each worker's own final count adds up to the master's (same names, same counts).
        worker_sum = sum(int(aggregated(os.path.join(self.dir, w))["Request Count"])
                         for w in ("w1", "w2"))
        self.assertEqual(master_requests, worker_sum)
        names = by_name(os.path.join(self.dir, "locust"))
        self.assertIn(("GET", "/"), names)
        self.assertTrue(any(n.startswith("/api/products/") for _, n in names), names)
        # Locust's percentiles come from the workers' response_times buckets: sane values.
        self.assertGreater(float(total["Average Response Time"]), 0)
        self.assertLessEqual(float(total["Min Response Time"]),
                             float(total["50%"]) + 1)


class LoadgenMasterTest(DistributedTestCase):
    """A loadgen master with loadgen workers."""

    def test_a_killed_worker_is_noticed_and_its_users_move_to_the_others(self):
        port = free_port()
        users = 9
        master = self.loadgen_master(port, users, "18s", expect=3)
        workers = [self.worker(port, f"w{i}") for i in range(3)]
        prefix = os.path.join(self.dir, "master")
        wait_for(lambda: users in history_users(prefix), 30, interval=0.2,
                 what="the master to report all users")
        time.sleep(4)  # at least one stats report (every 3 s) from everyone
        victim = workers[2]
        victim.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        dead = victim.wait(5)
        self.assertEqual(dead.returncode, -signal.SIGKILL)
        # Within the heartbeat timeout (about 4 s) the master marks it missing and the two
        # others take its users: the user count is the target again.
        wait_for(lambda: "missing" in master.stderr_text(), 10, interval=0.2,
                 what="the master to mark the killed worker missing")
        noticed = time.monotonic() - killed_at
        self.assertLess(noticed, 8.0, master.stderr_text()[-3000:])
        n_before = len(history_users(prefix))
        wait_for(lambda: users in history_users(prefix)[n_before:], 15, interval=0.2,
                 what="the user count to recover after the redistribution")
        res = master.wait(40)
        self.assertExit(res, 0)
        survivors = [w.wait(20) for w in workers[:2]]
        for r in survivors:
            self.assertWorkerLeftCleanly(r)
            self.assertEqual(r.returncode, 0, r.describe())
        # Merged stats: every request of the survivors, plus what the killed worker reported
        # before it died (at most its own count, which its CSV has to within a second).
        merged = int(aggregated(prefix)["Request Count"])
        survived = sum(int(aggregated(os.path.join(self.dir, f"w{i}"))["Request Count"])
                       for i in range(2))
        killed_csv = int(aggregated(os.path.join(self.dir, "w2"))["Request Count"])
        self.assertGreater(killed_csv, 0)
        self.assertGreaterEqual(merged, survived + 1)
        self.assertLessEqual(merged, survived + killed_csv)
        self.assertLessEqual(merged, self.shop.requests_total())
        self.assertEqual(int(aggregated(prefix)["Failure Count"]), 0)
        # The survivors ended with all the users between them (the last row is the final one,
        # written after the users stopped).
        self.assertIn(users, history_users(prefix)[-4:-1])

    def test_eight_workers_merged_totals_equal_the_sum_of_their_own(self):
        port = free_port()
        users = 16
        master = self.loadgen_master(port, users, "8s", expect=8)
        workers = [self.worker(port, f"w{i}") for i in range(8)]
        res = master.wait(60)
        self.assertExit(res, 0)
        self.assertIn("8 workers", res.stderr, res.stderr[-3000:])
        results = [w.wait(20) for w in workers]
        for r in results:
            self.assertWorkerLeftCleanly(r)
            self.assertEqual(r.returncode, 0, r.describe())
        prefix = os.path.join(self.dir, "master")
        self.assertIn(users, history_users(prefix))
        merged = by_name(prefix)
        summed = {}
        for i in range(8):
            for key, row in by_name(os.path.join(self.dir, f"w{i}")).items():
                summed[key] = summed.get(key, 0) + int(row["Request Count"])
        self.assertEqual({k: int(r["Request Count"]) for k, r in merged.items()}, summed)
        total = int(aggregated(prefix)["Request Count"])
        self.assertEqual(total, sum(summed.values()))
        shop = self.shop.requests_total()
        self.assertLessEqual(total, shop)
        self.assertLessEqual(shop - total, users)

    def test_a_locust_2_12_worker_under_a_loadgen_master(self):
        if not os.path.exists(LOCUST):
            self.skipTest("python3-locust not installed")
        port = free_port()
        locustfile = os.path.join(self.dir, "locustfile.py")
        with open(locustfile, "w") as f:
            f.write(LOCUSTFILE.replace("between(1, 10)", "constant(0.05)"))
        master = self.loadgen_master(port, 3, "6s", expect=1)
        log = open(os.path.join(self.dir, "locust-worker.log"), "w+")
        self.addCleanup(log.close)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
        worker = subprocess.Popen(
            [LOCUST, "-f", locustfile, "--worker", "--master-host", "127.0.0.1",
             "--master-port", str(port)],
            cwd=self.dir, stdout=log, stderr=subprocess.STDOUT, env=env)
        self.procs.append(worker)
        res = master.wait(60)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.seek(0)
        worker_log = log.read()
        self.assertEqual(res.returncode, 0, res.describe() + "\n--- Locust worker ---\n" +
                         worker_log[-3000:])
        # Debian's Locust sends an empty version: accepted, with a warning.
        self.assertIn("sent no version", res.stderr, res.stderr[-3000:])
        self.assertIn("3 total users", res.stderr, res.stderr[-3000:])
        self.assertEqual(worker.returncode, 0, worker_log[-3000:])
        # The Locust worker's requests (its locustfile GETs /) are the master's totals, less
        # at most one in flight per user at the quit.
        master_requests = int(aggregated(os.path.join(self.dir, "master"))["Request Count"])
        shop = self.shop.requests_total()
        self.assertGreater(master_requests, 20)
        self.assertLessEqual(master_requests, shop)
        self.assertLessEqual(shop - master_requests, 3)
        self.assertEqual(set(n for _, n in by_name(os.path.join(self.dir, "master"))), {"/"})

    def test_the_master_sets_the_users_from_the_vus_flag(self):
        port = free_port()
        prefix = os.path.join(self.dir, "master")
        master = self.loadgen_master(port, 2, "14s", expect=2)
        workers = [self.worker(port, f"w{i}") for i in range(2)]
        wait_for(lambda: 2 in history_users(prefix), 30, interval=0.2,
                 what="the run to reach its 2 users")
        self.shop.set_flags(vus=6)  # the demo's loadGeneratorVUs, read by the master only
        wait_for(lambda: 6 in history_users(prefix), 15, interval=0.2,
                 what="the flag's 6 users across the workers")
        res = master.wait(60)
        self.assertExit(res, 0)
        for w in workers:
            r = w.wait(30)
            self.assertWorkerLeftCleanly(r)
            # The workers never evaluate it themselves.
            self.assertNotIn("loadGeneratorVUs", r.stderr, r.describe())
        self.assertIn("flag loadGeneratorVUs = 6: changing the user count from 2 to 6",
                      res.stderr, res.stderr[-3000:])


class DistributedTelemetryTest(DistributedTestCase):
    def test_each_process_exports_under_one_service_instance_id_of_its_own(self):
        with start_collector(grpc_enabled=False) as col:
            env = col.env("http/protobuf")
            env.update({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_METRICS_EXPORTER": "otlp",
                        "OTEL_LOGS_EXPORTER": "otlp", "OTEL_METRIC_EXPORT_INTERVAL": "1000"})
            port = free_port()
            master = self.loadgen_master(port, 4, "5s", expect=2, env=env)
            workers = [self.worker(port, f"w{i}", env=env) for i in range(2)]
            self.assertExit(master.wait(60), 0)
            for w in workers:
                self.assertWorkerLeftCleanly(w.wait(30))

            def ids(items):
                return {i["resource"].get("service.instance.id") for i in items}

            spans, metrics, logs = col.spans(), col.metrics(), col.log_records()
            self.assertEqual(col.errors(), [])
            # The spans come from the two workers only (the master sends no request).
            span_ids = ids(spans)
            self.assertEqual(len(span_ids), 2, span_ids)
            self.assertNotIn(None, span_ids)
            # Each worker's metrics and logs carry its spans' id: request durations from the
            # workers, the run-level metrics from the master under an id of its own.
            duration = [m for m in metrics if m["name"] == "http.client.request.duration"]
            self.assertEqual(ids(duration), span_ids)
            active = ids(m for m in metrics if m["name"] == "loadgen.users.active")
            master_ids = active - span_ids
            self.assertEqual(len(master_ids), 1, active)
            self.assertLessEqual(span_ids, ids(logs) | span_ids)
            self.assertTrue(ids(logs) & span_ids, "no log record from a worker")
            self.assertTrue(ids(logs) & master_ids, "no log record from the master")
            master_metric_names = {m["name"] for m in metrics
                                   if m["resource"].get("service.instance.id") in master_ids}
            self.assertIn("loadgen.requests.rate", master_metric_names)
            self.assertNotIn("http.client.request.duration", master_metric_names)


class DistributedRobustnessTest(DistributedTestCase):
    def test_a_saturated_worker_still_heartbeats(self):
        # Two threads with no wait between requests keep both cores busy for the whole run
        # (shopsim shares them): a heartbeat that waited for the users' loops would be late
        # and the master would mark the worker missing after ~4 s.
        port = free_port()
        master = self.loadgen_master(port, 40, "12s", expect=1)
        w = self.worker(port, "busy", wait="constant(0)", threads=2)
        res = master.wait(60)
        self.assertExit(res, 0)
        self.assertWorkerLeftCleanly(w.wait(30))
        self.assertNotIn("missing", res.stderr, res.stderr[-3000:])
        self.assertGreater(int(aggregated(os.path.join(self.dir, "master"))["Request Count"]),
                           1000)

    def test_garbage_on_the_master_port_is_counted_and_the_run_goes_on(self):
        try:
            import zmq
        except ImportError:
            self.skipTest("python3-zmq not installed")
        port = free_port()
        master = self.loadgen_master(port, 2, "6s", expect=1)
        w = self.worker(port, "w0")
        wait_for(lambda: "Sending spawn jobs" in master.stderr_text(), 30, interval=0.2,
                 what="the run to start")
        ctx = zmq.Context()
        try:
            s = ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.IDENTITY, b"intruder_0")
            s.setsockopt(zmq.LINGER, 500)
            s.connect(f"tcp://127.0.0.1:{port}")
            for frame in (b"\xc1", b"not msgpack at all", b"\x93\xa5stats\xc0",
                          b"\xdd\xff\xff\xff\xff", b"\x93\xa4spam\xc0\xa1x"):
                s.send(frame)
            s.close()
        finally:
            ctx.term()
        res = master.wait(60)
        self.assertExit(res, 0)
        self.assertWorkerLeftCleanly(w.wait(30))
        self.assertIn("Undecodable message from worker intruder_0", res.stderr,
                      res.stderr[-3000:])
        self.assertIn("Unknown message type", res.stderr, res.stderr[-3000:])
        self.assertGreater(int(aggregated(os.path.join(self.dir, "master"))["Request Count"]), 0)


if __name__ == "__main__":
    unittest.main()
