"""More users than open files: 30,000 users in one process against nginx.

Users wait between(1,10) s between requests and hand their keep-alive connection back to their
worker's pool before each wait (net::ConnectionPool), so open sockets follow the requests in
flight, not the user count. The process runs under an open-files limit of 4,096 (soft and hard:
it cannot raise it), far below the user count. The run must end cleanly (exit 0, no failure)
with loadgen's request count equal to nginx's access log, and the connection summary line must
show far fewer connections opened than users.

Runs under the ASan build too: the pool's hand-offs (a connection moving between users) are
where a use-after-free would hide, and the test is bounded by -t, not by a request count
(about 25 s with the release build on 2 shared cores; an ASan build does fewer requests in the
same time, the assertions do not depend on how many).
"""

import json
import os
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
import unittest

from harness import LoadgenProcess, LoadgenTestCase, Nginx, headless_args, wait_for

USERS = 30000
NOFILE = 4096
CONNECTIONS = re.compile(
    r"^Connections: (\d+) opened, (\d+) requests on reused connections, (\d+) taken from the "
    r"pool, (\d+) handed back, (\d+) replaced \(closed while pooled\); at most (\d+) open",
    re.M)


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return sum(1 for _ in f)
    except FileNotFoundError:
        return 0


class ManyUsersTest(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.logdir = tempfile.mkdtemp(prefix="loadgen-many-")
        cls.addClassCleanup(shutil.rmtree, cls.logdir, True)
        cls.access_log = os.path.join(cls.logdir, "access.log")
        cls.nginx = Nginx(server_conf=f"access_log {cls.access_log};").start()
        cls.addClassCleanup(cls.nginx.stop)

    def test_thirty_thousand_users_under_a_4096_open_files_limit(self):
        def lower_nofile():  # in the child: soft and hard, so loadgen cannot raise it
            resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))

        out = self.outputs()
        # --stop-timeout: a user ends its request before stopping, so every request nginx
        # answered is one loadgen counts (a cancelled request is not a finished one).
        # 5,000 users/s: each new user's first request finds no idle connection yet, so the
        # ramp is what opens connections; a gentler ramp keeps the ASan build's burst small.
        spawn_rate = 1500 if os.environ.get("LOADGEN_SANITIZE") else 5000
        args = headless_args(self.nginx.host, users=USERS, spawn_rate=spawn_rate, run_time="20s",
                             paths=["/index.html"], wait_time="between(1,10)",
                             extra=["--stop-timeout", "10", "--only-summary"]) + out.args()
        summary_path = os.path.join(out.dir, "summary.json")
        args += ["--summary-json", summary_path]
        started = time.monotonic()
        proc = LoadgenProcess(args, preexec_fn=lower_nofile,
                              extra_env={"OTEL_TRACES_EXPORTER": "none",
                                         "OTEL_METRICS_EXPORTER": "none",
                                         "OTEL_LOGS_EXPORTER": "none"})
        # Sample the process's open descriptors while it runs.
        fds, stop = [], threading.Event()

        def sample():
            while not stop.is_set() and proc.proc.poll() is None:
                try:
                    fds.append(len(os.listdir(f"/proc/{proc.proc.pid}/fd")))
                except OSError:
                    pass
                stop.wait(0.5)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            res = proc.wait(timeout=120)
        finally:
            stop.set()
            sampler.join()
        self.assertExit(res, 0)
        self.assertLess(time.monotonic() - started, 90, res.describe())

        entries = out.json()
        requests = sum(e["num_requests"] for e in entries)
        failures = sum(e["num_failures"] for e in entries)
        self.assertEqual(failures, 0, res.describe())
        # Far more than one request per user: every user ran (30,000 users spawn in 3 s).
        self.assertGreater(requests, USERS, res.describe())
        # nginx writes its log line after the response: give the last ones a moment.
        wait_for(lambda: count_lines(self.access_log) >= requests, timeout=10,
                 what="nginx's access log")
        time.sleep(0.5)
        self.assertEqual(count_lines(self.access_log), requests, res.describe())

        m = CONNECTIONS.search(res.stderr)
        self.assertIsNotNone(m, res.describe())
        opened, reused, taken, returned, replaced, peak = map(int, m.groups())
        # `opened` is cumulative (a connection the server closed is replaced); what the
        # open-files limit bounds is the peak (and the descriptors sampled, below).
        self.assertLess(peak, NOFILE, res.describe())
        self.assertGreater(taken, 0, res.describe())
        self.assertGreater(returned, 0, res.describe())
        # Each request went on a fresh connection or a reused one (a retried stale reuse
        # counts in both).
        self.assertGreaterEqual(reused + opened, requests, res.describe())
        self.assertLessEqual(replaced, opened, res.describe())
        self.assertTrue(fds and max(fds) < NOFILE, fds)
        sys.stderr.write(f"\n{USERS} users: {requests} requests, {opened} connections opened, "
                         f"at most {peak} open, at most {max(fds)} descriptors\n")
        # --summary-json carries the same counters.
        with open(summary_path) as f:
            conns = json.load(f)["connections"]
        self.assertEqual((conns["opened"], conns["reused"], conns["taken"], conns["returned"],
                          conns["replaced"], conns["peak_open"]),
                         (opened, reused, taken, returned, replaced, peak), conns)


class PooledTlsTest(LoadgenTestCase):
    """TLS connections go back to the pool with their session: reused, never re-handshaken."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nginx = Nginx(tls=True).start()
        cls.addClassCleanup(cls.nginx.stop)

    def test_tls_connections_are_handed_back_and_reused(self):
        out = self.outputs()
        users = 300
        # Waits above the hand-back threshold (--park-after, 500 ms by default).
        args = headless_args(self.nginx.host, users=users, spawn_rate=100, run_time="6s",
                             paths=["/index.html"], wait_time="between(0.6,1)",
                             extra=["--insecure", "--stop-timeout", "10", "--only-summary"])
        proc = LoadgenProcess(args + out.args(),
                              extra_env={"OTEL_TRACES_EXPORTER": "none",
                                         "OTEL_METRICS_EXPORTER": "none",
                                         "OTEL_LOGS_EXPORTER": "none"})
        res = proc.wait(timeout=60)
        self.assertExit(res, 0)
        entries = out.json()
        requests = sum(e["num_requests"] for e in entries)
        self.assertEqual(sum(e["num_failures"] for e in entries), 0, res.describe())
        m = CONNECTIONS.search(res.stderr)
        self.assertIsNotNone(m, res.describe())
        opened, reused, taken, returned, _, _ = map(int, m.groups())
        self.assertGreater(requests, 2 * users, res.describe())
        self.assertGreater(taken, users, res.describe())
        self.assertGreater(returned, users, res.describe())
        self.assertLess(opened, users, res.describe())  # fewer handshakes than users
        self.assertGreaterEqual(reused + opened, requests, res.describe())


if __name__ == "__main__":
    unittest.main()
