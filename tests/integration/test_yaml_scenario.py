"""YAML scenario files (-f, docs/scenario-yaml.md) against the shop simulator: the example
examples/astronomy-shop.yaml passes the built-in's checks (task mix, shopsim validation,
request names, baggage: shop_harness.TaskMixChecks; spans and flag evaluations:
trace_checks.ShopTraceChecks; flags: test_astronomy_shop's FloodFlag, TrafficFlag and
UsersFlag) and has the built-in's span attributes and log lines;
-f comes from LOCUST_LOCUSTFILE and locust.conf; a bad file exits 2 listing every problem as
file:line:col; checks mark requests failed with their message; extracted values are reused."""
import os
import re
import tempfile
import unittest

import test_astronomy_shop as builtin_tests
from harness import REPO, LoadgenTestCase, Outputs, run_loadgen
from shop_harness import Shop, TaskMixChecks, assert_all_valid, shopsim_bin
from trace_checks import ShopTraceChecks

EXAMPLE = os.path.join(REPO, "examples", "astronomy-shop.yaml")
YAML = ("-f", EXAMPLE)

# The attributes the built-in sets on each task span (src/scenario/astronomy_shop.cpp).
SPAN_ATTRIBUTES = {
    "user_session_start": set(),
    "user_index": set(),
    "user_browse_product": {"product.id"},
    "user_get_recommendations": {"product.id"},
    "user_get_ads": {"category"},
    "user_view_cart": set(),
    "user_add_to_cart": {"user.id", "product.id", "quantity"},
    "user_checkout_single": {"user.id"},
    "user_checkout_multi": {"user.id", "item.count"},
    "user_flood_home": {"flood.count"},
}
ENV_QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
             "OTEL_LOGS_EXPORTER": "none"}


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class YamlTaskMix(TaskMixChecks, LoadgenTestCase):
    """examples/astronomy-shop.yaml: the built-in's task-mix checks, word for word."""
    SCENARIO = YAML


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class YamlTraces(ShopTraceChecks, LoadgenTestCase):
    SCENARIO = YAML

    def test_spans_as_the_builtin(self):
        spans = self.check_traces("http/protobuf", None)
        tasks = [s for s in spans if s["kind"] == 1 and s["name"] in SPAN_ATTRIBUTES]
        seen = {s["name"] for s in tasks}
        for name in ("user_session_start", "user_index", "user_browse_product",
                     "user_flood_home"):
            self.assertIn(name, seen)
        for s in tasks:
            keys = set(s["attributes"]) - {"loadgen.task.cancelled", "loadgen.traffic.paused"}
            if "loadgen.task.cancelled" in s["attributes"]:
                self.assertLessEqual(keys, SPAN_ATTRIBUTES[s["name"]], s)
            else:
                self.assertEqual(keys, SPAN_ATTRIBUTES[s["name"]], s)
            a = s["attributes"]
            if "quantity" in a:
                self.assertIn(a["quantity"], {1, 2, 3, 4, 5, 10})
            if "item.count" in a:
                self.assertIn(a["item.count"], {2, 3, 4})
            if "flood.count" in a:
                self.assertEqual(a["flood.count"], 0)


# The built-in's flag tests, run with the YAML example: loadGeneratorFloodHomepage floods the
# home page, loadGeneratorTraffic = 0 pauses and 1 resumes, loadGeneratorVUs sets the user count.
class YamlFloodFlag(builtin_tests.FloodFlag):
    SCENARIO = YAML


class YamlTrafficFlag(builtin_tests.TrafficFlag):
    SCENARIO = YAML


class YamlUsersFlag(builtin_tests.UsersFlag):
    SCENARIO = YAML


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class FloodLogLines(LoadgenTestCase):
    def test_flood_home_logs_as_the_builtin(self):
        with Shop(flood=3) as shop:
            res = shop.loadgen(3, "3s", wait_time="between(0, 0.01)", scenario=YAML,
                               extra_env=ENV_QUIET).wait(30)
            self.assertExit(res, 0)
            assert_all_valid(self, shop, "flood run")
        for line in ("Starting user session: ", "User flooding homepage 3 times",
                     "User browsing product: ", "User viewing cart"):
            self.assertIn(line, res.stderr)


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class LocustfileSources(LoadgenTestCase):
    """-f from LOCUST_LOCUSTFILE and from locust.conf."""

    def run_from(self, args, env, cwd=None):
        with Shop() as shop:
            e = dict(ENV_QUIET)
            e.update(shop.env())
            e.update(env)
            res = run_loadgen(["--headless", "-H", shop.url, "-u", "2", "-r", "2", "-t", "2s",
                               "--wait-time", "constant(0.05)"] + args, extra_env=e, timeout=30,
                              cwd=cwd)
            self.assertExit(res, 0)
            self.assertGreater(shop.requests_total(), 0)
            assert_all_valid(self, shop, "locustfile run")
            self.assertIn('"WebsiteUser": 2', res.stderr)

    def test_env(self):
        self.run_from([], {"LOCUST_LOCUSTFILE": EXAMPLE})

    def test_locust_conf(self):
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "locust.conf")
            with open(conf, "w") as f:
                f.write(f"locustfile = {EXAMPLE}\n")
            self.run_from(["--config", conf], {})


BAD = """\
users:
  - name: A
    wait_tme: constant(1)
    tasks:
      - name: t
        weight: -1
        steps:
          - get: "/x/{{ nope }}"
          - flag: f
            type: float
          - sleep: soon
          - pots: /y
load:
  stages: [{duration: 1x, users: 2}]
thresholds: [{threshold: "p95<1s", abort_on_fail: maybe}]
"""


class BadFiles(LoadgenTestCase):
    def write(self, d, text, name="s.yaml"):
        p = os.path.join(d, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    def test_every_problem_with_file_line_col_and_exit_2(self):
        with tempfile.TemporaryDirectory() as d:
            p = self.write(d, BAD)
            res = run_loadgen(["--headless", "-f", p, "-H", "http://127.0.0.1:9", "-t", "1s"],
                              extra_env=ENV_QUIET, timeout=30)
            self.assertExit(res, 2)
            lines = [ln for ln in res.stderr.splitlines() if p + ":" in ln]
            found = {int(m.group(1)) for ln in lines for m in [re.search(re.escape(p) + r":(\d+):\d+: ", ln)] if m}
            # wait_tme (3), weight (6), nope (8), float (10), soon (11), pots (12), 1x (14),
            # maybe (15): all at once.
            self.assertLessEqual({3, 6, 8, 10, 11, 12, 14, 15}, found, res.stderr)
            self.assertIn("did you mean 'wait_time'", res.stderr)
            self.assertNotIn("Starting", res.stderr)

    def test_yaml_syntax_error(self):
        with tempfile.TemporaryDirectory() as d:
            p = self.write(d, "users: [\n  {name: a,\n")
            res = run_loadgen(["--headless", "-f", p, "-H", "http://127.0.0.1:9"],
                              extra_env=ENV_QUIET, timeout=30)
            self.assertExit(res, 2)
            self.assertRegex(res.stderr, re.escape(p) + r":\d+:\d+: ")


CHECKS = """\
data:
  ids: [0PUK6V6EV0]
users:
  - name: Checker
    wait_time: constant(0.05)
    tasks:
      - name: t
        steps:
          - get: "/api/products/{{ choice(ids) }}"
            name: product
            check:
              status: 200
              header: {Content-Type: {contains: json}}
              json: {id: 0PUK6V6EV0}
            extract:
              pid: {json: id}
              price: {json: priceUsd.units}
          - get: "/api/recommendations"
            query: {productIds: "{{ pid }}"}
            name: recommendations
            check: {body_contains: "no such text in a body"}
          - get: /api/products/NOPE
            name: missing
            check: {status: 404}
"""


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class ChecksAndExtracts(LoadgenTestCase):
    def test_checks_mark_failures_with_their_message(self):
        with tempfile.TemporaryDirectory() as d, Shop() as shop:
            p = os.path.join(d, "checks.yaml")
            with open(p, "w") as f:
                f.write(CHECKS)
            out = Outputs()
            self.addCleanup(out.cleanup)
            res = run_loadgen(["--headless", "-f", p, "-H", shop.url, "-u", "2", "-r", "2",
                               "-t", "2s"] + out.args(), extra_env=ENV_QUIET, timeout=30)
            self.assertExit(res, 1)  # failures
            byname = out.stats_by_name()
            self.assertEqual(int(byname["product"]["Failure Count"]), 0, res.describe())
            self.assertGreater(int(byname["product"]["Request Count"]), 0)
            rec = byname["recommendations"]
            self.assertEqual(rec["Failure Count"], rec["Request Count"])
            self.assertEqual(int(byname["missing"]["Failure Count"]), 0)  # 404 expected
            failures = out.failures()[1]
            self.assertTrue(any("body does not contain 'no such text in a body'" in r["Error"]
                                for r in failures), failures)
            self.assertEqual(shop.stats()["routes"]["recommendations"]["rejected"], 0)
