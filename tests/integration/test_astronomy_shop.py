"""loadgen's astronomy-shop scenario against the shop simulator (tools/shopsim), wired to its
OFREP port as flagd: the task mix matches the weights, every request passes shopsim's
validation, the three load-generator flags (flood, traffic pause, live user count) act, a
flagd that is down or lacks the flags leaves the run on defaults with rate-limited warnings,
and --people files are used or rejected.

Each run is bounded by -t and an outer deadline; the statistics use 5-sigma binomial
tolerances (see shop_harness.py) so that they do not flake, yet fail on a wrong weight.
"""

import json
import math
import os
import re
import tempfile
import time
import unittest

from harness import LoadgenTestCase, Outputs, free_port, run_loadgen, wait_for
from shop_harness import (AD_CATEGORIES, BUILTIN, PRODUCT_IDS, SIGMAS, WEIGHTS, Shop,
                          TaskMixChecks, add_to_cart_check, assert_all_valid, binomial_check,
                          expected_request_names, shopsim_bin, task_picks)

THREADS = 2  # fixed, so flag-evaluation bounds (one per key, worker and ~1 s) are known
FLAG_WARNING = re.compile(r"WARNING/loadgen: flag '(\w+)'")


def history_user_counts(out):
    """The "User Count" column of the Aggregated rows of PREFIX_stats_history.csv so far."""
    try:
        _, hist = out.history()
    except (OSError, StopIteration):
        return []
    return [int(r["User Count"]) for r in hist if r.get("Name") == "Aggregated"
            and r.get("User Count", "").isdigit()]


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class TaskMix(TaskMixChecks, LoadgenTestCase):
    """The built-in scenario's task mix and request shapes (shop_harness.TaskMixChecks)."""


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class FloodFlag(LoadgenTestCase):
    SCENARIO = BUILTIN  # test_yaml_scenario.py runs these with the YAML example
    USERS = 20
    RUN_S = 8
    FLOOD = 20

    def test_flood_home_sends_n_homepage_requests(self):
        with Shop(flood=self.FLOOD) as shop:
            res = shop.loadgen(self.USERS, f"{self.RUN_S}s", wait_time="between(0, 0.01)",
                               extra=["--threads", str(THREADS)],
                               scenario=self.SCENARIO).wait(self.RUN_S + 20)
            self.assertExit(res, 0)
            assert_all_valid(self, shop, "flood run")
            routes = shop.routes()
        n_flood, users = self.FLOOD, self.USERS
        picks = task_picks(routes, users, flood=n_flood)  # without index
        weights = {"browse_product": 10, "get_recommendations": 3, "get_ads": 3,
                   "view_cart": 3, "checkout_any": 2}
        w_other = sum(weights.values())
        n = sum(picks.values())
        self.assertGreater(n, 1000, f"too few task picks to tell: {routes}")
        # index = users (on_start) + index picks + N * flood_home picks. Given n picks of the
        # other tasks, index and flood_home picks have means n/21 and 5n/21 and variances
        # mean * (w_other + w) / w_other (negative binomial).
        m_index = n * WEIGHTS["index"] / w_other
        m_flood = n * WEIGHTS["flood_home"] / w_other
        v_index = m_index * (w_other + WEIGHTS["index"]) / w_other
        v_flood = m_flood * (w_other + WEIGHTS["flood_home"]) / w_other
        flood_picks = (routes["index"] - users - m_index) / n_flood
        sd = math.sqrt(v_flood + v_index / n_flood ** 2)
        # A flood task cut by the stop sends fewer than N: up to one per user.
        tolerance = SIGMAS * sd + users
        per_task = (routes["index"] - users - m_index) / m_flood
        self.assertLessEqual(abs(flood_picks - m_flood), tolerance,
                             f"flood_home picks ≈ {flood_picks:.1f}, expected {m_flood:.1f} "
                             f"± {tolerance:.1f}; GET / per flood_home task ≈ {per_task:.2f} "
                             f"(flag {n_flood}); routes {routes}")
        # With the flag at 0 (TaskMix) index is users + n/22-ish; here it is ~N times more.
        self.assertGreater(routes["index"], users + 5 * m_index)


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class TrafficFlag(LoadgenTestCase):
    SCENARIO = BUILTIN  # test_yaml_scenario.py runs these with the YAML example
    def test_traffic_zero_pauses_and_one_resumes(self):
        with Shop(traffic=1) as shop:
            proc = shop.loadgen(10, "15s", wait_time="between(0, 0.05)",
                                extra=["--threads", str(THREADS)],
                                scenario=self.SCENARIO)
            try:
                wait_for(lambda: shop.requests_total() > 200, 10, what="traffic to start")
                shop.set_flags(traffic=0)
                paused_at = time.monotonic()

                # Stopped: no new request for 1.5 s, within 6 s (1 s flag cache per worker
                # plus the tasks in flight, which finish).
                state = {"count": shop.requests_total(), "since": time.monotonic()}

                def quiet():
                    c = shop.requests_total()
                    if c != state["count"]:
                        state["count"], state["since"] = c, time.monotonic()
                    return time.monotonic() - state["since"] >= 1.5

                wait_for(quiet, 6, interval=0.1, what="shop traffic to stop")
                stopped_after = time.monotonic() - paused_at
                frozen = shop.requests_total()
                time.sleep(2.0)  # a quiet period is the point of this check
                self.assertEqual(shop.requests_total(), frozen, "traffic resumed while paused")
                self.assertIsNone(proc.proc.poll(), "loadgen exited while traffic was paused")
                # Paused users keep asking for the flag (cached ~1 s per worker).
                evals_paused = shop.flag_stats()["evaluations"]["loadGeneratorTraffic"]

                shop.set_flags(traffic=1)
                resumed_at = time.monotonic()
                wait_for(lambda: shop.requests_total() > frozen + 50, 5,
                         what="shop traffic to resume")
                resumed_after = time.monotonic() - resumed_at
            finally:
                res = proc.wait(30)
            self.assertExit(res, 0)
            self.assertGreater(shop.flag_stats()["evaluations"]["loadGeneratorTraffic"],
                               evals_paused)
            assert_all_valid(self, shop, "traffic run")
        self.assertLess(stopped_after, 6.0)
        self.assertLess(resumed_after, 5.0)


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class UsersFlag(LoadgenTestCase):
    SCENARIO = BUILTIN  # test_yaml_scenario.py runs these with the YAML example
    def test_vus_flag_sets_the_live_user_count(self):
        out = self.outputs()
        with Shop(vus=0) as shop:
            proc = shop.loadgen(2, "12s", wait_time="between(0, 0.05)", spawn_rate=10,
                                extra=["--threads", str(THREADS)] + out.args(),
                                scenario=self.SCENARIO)
            try:
                wait_for(lambda: 'All users spawned: {"WebsiteUser": 2}' in proc.stderr_text(),
                         5, what="2 users")
                # A history row at 2 users before the flag moves (rows come once a second; a
                # slow build could otherwise apply the flag before the first row).
                wait_for(lambda: 2 in history_user_counts(out), 6, interval=0.2,
                         what="a stats history row at 2 users")
                shop.set_flags(vus=6)
                wait_for(lambda: "changing the user count from 2 to 6" in proc.stderr_text(),
                         5, what="the user count to follow the flag up")
                # The history CSV is written as the run goes: wait for a row at 6 users.
                wait_for(lambda: 6 in history_user_counts(out), 6, interval=0.2,
                         what="a stats history row at 6 users")
                shop.set_flags(vus=3)
                wait_for(lambda: "changing the user count from 6 to 3" in proc.stderr_text(),
                         5, what="the user count to follow the flag down")
            finally:
                res = proc.wait(30)
            self.assertExit(res, 0)
            assert_all_valid(self, shop, "VUs run")
        counts = history_user_counts(out)
        self.assertIn(2, counts, counts)
        self.assertEqual(max(counts), 6, counts)
        first_6 = counts.index(6)
        self.assertLess(counts.index(2), first_6, counts)
        # Stopped at the spawn rate: 3 users after the second change (the last row, written
        # at shutdown, may show 0 users).
        self.assertIn(3, counts[first_6:], counts)
        self.assertNotIn(6, counts[first_6 + counts[first_6:].index(3):], counts)


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class FlagdUnavailable(LoadgenTestCase):
    USERS = 10
    RUN_S = 5

    def check_defaults(self, shop, res, what):
        self.assertNoCrash(res)
        self.assertExit(res, 0)
        assert_all_valid(self, shop, what)
        routes = shop.routes()
        # Defaults: traffic on (requests flowed all along), flood 0 (GET / only from index).
        self.assertGreater(routes["checkout"], 0, routes)
        self.assertGreater(shop.requests_total(), 1000, routes)
        picks = task_picks(routes, self.USERS, flood=0)
        n = sum(picks.values())
        ok, msg = binomial_check(picks["index"], n, 1 / 22)
        self.assertTrue(ok or abs(picks["index"] - n / 22) <= self.USERS, f"{msg}; {routes}")
        warnings = FLAG_WARNING.findall(res.stderr)
        self.assertGreaterEqual(len(warnings), 1, res.describe())
        # Rate-limited: one per flag, error kind and worker (30 s interval), not per request.
        self.assertLessEqual(len(warnings), 3 * THREADS, "\n".join(
            line for line in res.stderr.splitlines() if "WARNING" in line))
        self.assertLessEqual(set(warnings), {"loadGeneratorFloodHomepage",
                                             "loadGeneratorTraffic", "loadGeneratorVUs"})
        return warnings

    def test_flagd_down_runs_on_defaults(self):
        closed = free_port()  # nobody listens there
        with Shop() as shop:
            res = run_loadgen(
                ["--headless", "--scenario", "astronomy-shop", "-H", shop.url,
                 "-u", str(self.USERS), "-r", "100", "-t", f"{self.RUN_S}s",
                 "--wait-time", "between(0, 0.01)", "--threads", str(THREADS)],
                timeout=self.RUN_S + 20,
                extra_env={"FLAGD_HOST": "127.0.0.1", "FLAGD_OFREP_PORT": str(closed)})
            self.check_defaults(shop, res, "flagd down")
            self.assertEqual(shop.flag_stats()["evaluations"], {})
        self.assertIn("did not answer", res.stderr)
        self.assertLess(res.wall, self.RUN_S + 5, res.describe())

    def test_flags_missing_in_flagd_runs_on_defaults(self):
        with Shop() as shop:
            shop.sim.json("POST", "/__flags", body='{"flags":{}}',
                          headers={"Content-Type": "application/json"},
                          port=shop.sim.ofrep_port)
            res = shop.loadgen(self.USERS, f"{self.RUN_S}s", wait_time="between(0, 0.01)",
                               extra=["--threads", str(THREADS)]).wait(self.RUN_S + 20)
            self.check_defaults(shop, res, "flags missing")
        self.assertIn("is not defined in flagd", res.stderr)


def luhn_complete(prefix, length=16):
    """prefix + digits + a Luhn check digit (ISO/IEC 7812-1 annex B)."""
    body = prefix + "7" * (length - 1 - len(prefix))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # doubled: these become the odd positions once the check digit is added
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return body + str((10 - total % 10) % 10)


def person(email, currency, country, number, year=None):
    return {
        "email": email,
        "address": {"streetAddress": "7 Test Street", "zipCode": "12345", "city": "Testville",
                    "state": "TS", "country": country},
        "userCurrency": currency,
        "creditCard": {"creditCardNumber": number, "creditCardExpirationMonth": 12,
                       "creditCardExpirationYear": year or time.gmtime().tm_year + 5,
                       "creditCardCvv": 123},
    }


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class PeopleFile(LoadgenTestCase):
    RUN_S = 4

    def write(self, content):
        fd, path = tempfile.mkstemp(prefix="loadgen-people-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))
        self.addCleanup(os.unlink, path)
        return path

    def run_shop(self, people_path, extra_env=None):
        with Shop() as shop:
            res = shop.loadgen(6, f"{self.RUN_S}s", wait_time="between(0, 0.01)",
                               extra=["--threads", str(THREADS), "--people", people_path],
                               extra_env=extra_env).wait(self.RUN_S + 20)
            return res, shop.stats(), shop.last_rejections()

    def test_custom_people_file_checkouts_pass(self):
        path = self.write([
            person("kai@example.net", "JPY", "Japan", luhn_complete("4")),
            person("lea@example.net", "CAD", "Canada", luhn_complete("52")),
            person("ola@example.net", "EUR", "Norway", luhn_complete("2221")),
        ])
        res, stats, rejections = self.run_shop(path)
        self.assertExit(res, 0)
        self.assertGreater(stats["routes"]["checkout"]["requests"], 0, stats)
        self.assertEqual(stats["routes"]["checkout"]["rejected"], 0, rejections)
        self.assertEqual(rejections, [])

    def test_custom_people_file_is_the_one_used(self):
        # Valid for loadgen (a well-formed ISO 4217 code; it does not know which currencies the
        # shop converts), rejected by shopsim: every checkout fails, which shows that this file,
        # not the built-in one, was used.
        path = self.write([person("zed@example.net", "XTS", "United States", luhn_complete("4"))])
        res, stats, rejections = self.run_shop(path)
        self.assertExit(res, 1)
        checkout = stats["routes"]["checkout"]
        self.assertGreater(checkout["requests"], 0, stats)
        self.assertEqual(checkout["rejected"], checkout["requests"], stats)
        self.assertTrue(rejections)
        self.assertTrue(all(r["route"] == "checkout" and "currency" in r["reason"]
                            for r in rejections), rejections)
        self.assertIn("/api/checkout", res.stdout + res.stderr)

    def test_malformed_people_files_exit_2_naming_the_file(self):
        good = person("a@example.net", "USD", "United States", luhn_complete("4"))
        no_card = dict(good)
        del no_card["creditCard"]
        bad_month = json.loads(json.dumps(good))
        bad_month["creditCard"]["creditCardExpirationMonth"] = 13
        cases = {
            "not json": "[{",
            "empty array": [],
            "not an array": {"people": [good]},
            "missing creditCard": [good, no_card],
            "month 13": [bad_month],
            "userId set": [dict(good, userId="x")],
        }
        for what, content in cases.items():
            with self.subTest(what):
                path = self.write(content)
                res = run_loadgen(["--headless", "-H", "http://127.0.0.1:9", "-u", "1",
                                   "-t", "1s", "--people", path], timeout=20)
                self.assertExit(res, 2)
                self.assertIn(path, res.stderr, res.describe())
                self.assertLess(res.wall, 5, res.describe())
        missing = os.path.join(tempfile.gettempdir(), f"loadgen-no-such-people-{os.getpid()}.json")
        res = run_loadgen(["--headless", "-H", "http://127.0.0.1:9", "-u", "1", "-t", "1s",
                           "--people", missing], timeout=20)
        self.assertExit(res, 2)
        self.assertIn(missing, res.stderr)
        # The environment variable (LOADGEN_PEOPLE) is checked the same way.
        path = self.write("[]")
        res = run_loadgen(["--headless", "-H", "http://127.0.0.1:9", "-u", "1", "-t", "1s"],
                          timeout=20, extra_env={"LOADGEN_PEOPLE": path})
        self.assertExit(res, 2)
        self.assertIn(path, res.stderr)


if __name__ == "__main__":
    unittest.main()
