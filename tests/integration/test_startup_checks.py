"""Start-up checks (issue 10): input that can never work is a usage error (exit 2) naming the
input, before any request is sent; Locust's option semantics where loadgen differed (-t 0,
unsupported LOCUST_* variables); wait times that would overflow are rejected, never wrapped."""
import json
import os
import shutil
import signal
import socket
import tempfile
import unittest

from harness import FaultServer, LoadgenTestCase, run_loadgen, LoadgenProcess, wait_for

# No telemetry unless a test asks for it: runs end without export retries.
QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
         "OTEL_LOGS_EXPORTER": "none"}

PEOPLE = os.path.join(os.path.dirname(__file__), "..", "..", "src", "scenario", "data",
                      "people.json")


class StartupChecks(LoadgenTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix="loadgen-startup-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def requests(self):
        return self.server.counts()["requests"]

    def get(self, extra=(), env=None, run_time="2s", timeout=30, **kw):
        """The get scenario against the fault server's /ok."""
        args = ["--headless", "-u", "1", "-t", run_time, "--scenario", "get", "--path", "/ok",
                "-H", self.server.host] + list(extra)
        full_env = dict(QUIET)
        full_env.update(env or {})
        return run_loadgen(args, extra_env=full_env, timeout=timeout, **kw)

    def assertUsageError(self, res, *fragments):
        """Exit 2, nothing sent, and every fragment in the output."""
        self.assertNoCrash(res)
        self.assertExit(res, 2)
        text = res.stdout + res.stderr
        for f in fragments:
            self.assertIn(f, text, res.describe())
        self.assertLess(res.wall, 10, res.describe())

    def assertNothingSent(self, before):
        self.assertEqual(self.requests(), before)

    # ---- wait times (item 1) ----------------------------------------------------------------

    def test_huge_wait_times_are_rejected_not_wrapped(self):
        # Before: constant(1e10) wrapped to a zero wait (1 user made 44,043 requests in 3 s).
        before = self.requests()
        for w in ("constant(1e10)", "between(1, 1e300)", "constant_pacing(1e19)",
                  "constant_throughput(1e-10)", "constant(nan)", "constant(inf)",
                  "constant(-1)"):
            res = self.get(["--wait-time", w])
            self.assertUsageError(res, f"--wait-time: '{w}' is not a valid wait time")
        res = self.get(env={"LOADGEN_WAIT_TIME": "constant(1e10)"})
        self.assertUsageError(res, "LOADGEN_WAIT_TIME='constant(1e10)' (environment)",
                              "above the maximum wait of 86400 s")
        self.assertNothingSent(before)

    def test_the_maximum_wait_is_honoured(self):
        # constant(86400): one task, then a day's wait that the run time ends (bounded: 2 s
        # run time, generous 15 s for ASan and 2 shared cores).
        self.server.reset_counts()
        out = self.outputs()
        res = self.get(["--wait-time", "constant(86400)"] + out.args())
        self.assertExit(res, 0)
        self.assertLess(res.wall, 15, res.describe())
        self.assertEqual(self.server.counts()["paths"].get("/ok", 0), 1)
        self.assertEqual(int(out.stats_by_name()["/ok"]["Request Count"]), 1)

    # ---- what can never work (item 2) -------------------------------------------------------

    def test_otlp_endpoint_with_an_invalid_port(self):
        before = self.requests()
        for var, url, port in (("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:99999", "99999"),
                               ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:abc", "abc"),
                               ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:0/v1/traces", "0"),
                               ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://[::1]:70000", "70000")):
            signal_env = {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "otlp"}
            res = self.get(env={var: url, **signal_env})
            self.assertUsageError(res, f'{var}="{url}": the port \'{port}\' is not a number in 1..65535')
            # One line, not one per signal.
            self.assertEqual((res.stdout + res.stderr).count(f"error: {var}="), 1, res.describe())
        self.assertNothingSent(before)

    def test_otlp_file_in_a_missing_folder(self):
        before = self.requests()
        missing = os.path.join(self.tmpdir(), "no-such-dir", "otlp.jsonl")
        for var in ("LOADGEN_OTLP_FILE", "LOADGEN_OTLP_TRACES_FILE", "LOADGEN_OTLP_METRICS_FILE",
                    "LOADGEN_OTLP_LOGS_FILE"):
            res = self.get(env={var: missing})
            self.assertUsageError(res, f'{var}="{missing}": its folder', "does not exist")
        res = self.get(env={"LOADGEN_OTLP_FILE": self.tmpdir()})
        self.assertUsageError(res, "LOADGEN_OTLP_FILE=", "is a folder")
        self.assertNothingSent(before)

    def test_prometheus_port_in_use(self):
        before = self.requests()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            res = self.get(env={"OTEL_METRICS_EXPORTER": "prometheus",
                                "OTEL_EXPORTER_PROMETHEUS_HOST": "127.0.0.1",
                                "OTEL_EXPORTER_PROMETHEUS_PORT": str(port)})
        self.assertUsageError(res, f"OTEL_EXPORTER_PROMETHEUS_HOST/PORT 127.0.0.1:{port}: cannot listen")
        self.assertNothingSent(before)

    def test_directories_are_not_files(self):
        before = self.requests()
        d = self.tmpdir()
        self.assertUsageError(self.get(["--body-file", d]),
                              f"--body-file: '{d}' is not a readable file (is a directory)")
        # Before: a --config directory ran silently with the defaults.
        self.assertUsageError(self.get(["--config", d]),
                              f"--config: '{d}' is not a readable file (is a directory)")
        # Before: "not valid JSON".
        res = run_loadgen(["--headless", "-u", "1", "-t", "1s", "-H", self.server.host,
                           "--people", d], extra_env=QUIET, timeout=30)
        self.assertUsageError(res, f"--people: '{d}' is a directory")
        self.assertNothingSent(before)

    def test_people_with_the_get_scenario(self):
        before = self.requests()
        self.assertUsageError(self.get(["--people", PEOPLE]),
                              "--people: the 'get' scenario does not use people")
        self.assertNothingSent(before)

    def people_file(self, mutate):
        with open(PEOPLE) as f:
            people = json.load(f)
        mutate(people)
        path = os.path.join(self.tmpdir(), "people.json")
        with open(path, "w") as f:
            json.dump(people, f)
        return path

    def shop_with_people(self, path):
        return run_loadgen(["--headless", "-u", "1", "-t", "1s", "-H", self.server.host,
                            "--people", path], extra_env=QUIET, timeout=30)

    def test_people_entries_that_the_payment_service_rejects(self):
        before = self.requests()

        def card(i, **fields):
            def mutate(people):
                people[i]["creditCard"].update(fields)
            return mutate

        def email(people):
            people[4]["email"] = ""

        cases = [
            (card(3, creditCardNumber="4094482246341275"),
             "[3].creditCard.creditCardNumber fails the Luhn check"),
            (card(0, creditCardNumber=""), "[0].creditCard.creditCardNumber must not be empty"),
            (card(5, creditCardExpirationYear=2020, creditCardExpirationMonth=6),
             "[5].creditCard has expired (06/2020"),
            (card(2, creditCardCvv=12), "[2].creditCard.creditCardCvv must have 3 or 4 digits"),
            (card(2, creditCardCvv=12345), "[2].creditCard.creditCardCvv must have 3 or 4 digits"),
            (email, "[4].email must not be empty"),
        ]
        for mutate, message in cases:
            path = self.people_file(mutate)
            self.assertUsageError(self.shop_with_people(path), f"--people {path}: {message}")
        self.assertNothingSent(before)

    def test_bundled_people_pass(self):
        # The bundled file passes every check (the shop's requests fail against the fault
        # server, which is fine: only the start-up matters here).
        res = run_loadgen(["--headless", "-u", "1", "-t", "1s", "-H", self.server.host,
                           "--people", PEOPLE], extra_env=QUIET, timeout=30)
        self.assertNoCrash(res)
        self.assertNotEqual(res.returncode, 2, res.describe())

    def test_config_file_with_a_utf8_bom(self):
        d = self.tmpdir()
        path = os.path.join(d, "bom.conf")
        with open(path, "wb") as f:
            f.write(b"\xef\xbb\xbfusers = 3\nspawn-rate = 100\n")
        out = self.outputs()
        args = ["--headless", "-t", "2s", "--scenario", "get", "--path", "/ok", "-H",
                self.server.host, "--wait-time", "constant(0.1)"]
        res = run_loadgen(args + ["--config", path] + out.args(), extra_env=QUIET, timeout=30)
        self.assertExit(res, 0)
        _, hist = out.history()
        self.assertEqual(max(int(r["User Count"]) for r in hist), 3, res.describe())
        # ./locust.conf with a BOM too (read from the working directory).
        with open(os.path.join(d, "locust.conf"), "wb") as f:
            f.write(b"\xef\xbb\xbfusers = 2\nspawn-rate = 100\n")
        out = self.outputs()
        res = run_loadgen(args + out.args(), extra_env={**QUIET, "HOME": d}, cwd=d, timeout=30)
        self.assertExit(res, 0)
        _, hist = out.history()
        self.assertEqual(max(int(r["User Count"]) for r in hist), 2, res.describe())

    def test_users_beyond_the_supported_range(self):
        # Before: "'99999999999999999999' is not an integer".
        for n in ("1000000001", "99999999999999999999"):
            self.assertUsageError(self.get(["-u", n]),
                                  f"--users: '{n}' is out of range (0..1000000000)")

    def test_run_time_zero_means_no_limit(self):
        # Locust 2.12 (main.py): `if options.run_time:` after parse_timespan, so -t 0 runs until
        # stopped. Before: loadgen stopped at once.
        self.server.reset_counts()
        proc = LoadgenProcess(["--headless", "-u", "1", "-t", "0", "--scenario", "get", "--path",
                               "/ok", "-H", self.server.host, "--wait-time", "constant(0.05)"],
                              extra_env=QUIET)
        try:
            # Still running after 20 requests (about 1 s of traffic).
            wait_for(lambda: self.server.counts()["paths"].get("/ok", 0) >= 20
                     or proc.proc.poll() is not None, 20, what="20 requests")
            self.assertIsNone(proc.proc.poll(), "loadgen stopped by itself with -t 0")
        finally:
            proc.send_signal(signal.SIGINT)
            res = proc.wait(timeout=20)
        self.assertExit(res, 0)
        self.assertNotIn("Run time limit set", res.stdout + res.stderr)

    # ---- LOCUST_* variables loadgen does not support (item 3) -------------------------------

    def test_unsupported_locust_variables_warn_once(self):
        # Before: silently ignored (the same options on the command line are errors).
        env = {"LOCUST_EQUAL_WEIGHTS": "true", "LOCUST_PROCESSES": "4",
               "LOCUST_HATCH_RATE": "5"}
        res = self.get(env=env, run_time="1s")
        self.assertExit(res, 0)
        text = res.stdout + res.stderr
        for var, advice in (("LOCUST_EQUAL_WEIGHTS", "fix their task weights"),
                            ("LOCUST_PROCESSES", "use LOADGEN_THREADS"),
                            ("LOCUST_HATCH_RATE", "use LOCUST_SPAWN_RATE")):
            lines = [ln for ln in text.splitlines() if f"{var} (environment)" in ln]
            self.assertEqual(len(lines), 1, res.describe())
            self.assertIn("WARNING", lines[0])
            self.assertIn(advice, lines[0])


if __name__ == "__main__":
    unittest.main()
