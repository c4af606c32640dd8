"""Helpers for running loadgen's astronomy-shop scenario against the shop simulator (Python
stdlib only): a shopsim with a flag file, loadgen wired to its OFREP port as the demo does it
(FLAGD_HOST/FLAGD_OFREP_PORT), live flag changes, and the task-mix arithmetic.

Task weights of the scenario (src/scenario/astronomy_shop.cpp, issue 3): index 1,
browse_product 10, get_recommendations 3, get_ads 3, view_cart 3, add_to_cart 2, checkout 1,
checkout_multi 1, flood_home 5. What each task sends, per shopsim route:
  index           index 1
  browse_product  product 1
  recommendations recommendations 1
  get_ads         ads 1
  view_cart       cart_get 1
  add_to_cart     product 1, cart_post 1
  checkout        product 1, cart_post 1, checkout 1
  checkout_multi  product k, cart_post k, checkout 1   (k uniform in 2..4)
  flood_home      index N (N = loadGeneratorFloodHomepage)
plus one index per user from on_start.
"""

import json
import math
import os
import tempfile

from harness import LoadgenProcess, Outputs, wait_for
from shopsim_harness import Shopsim, int_flag, shopsim_bin

# The arguments that choose the built-in scenario (Shop.loadgen's default).
BUILTIN = ("--scenario", "astronomy-shop")

WEIGHTS = {"index": 1, "browse_product": 10, "get_recommendations": 3, "get_ads": 3,
           "view_cart": 3, "add_to_cart": 2, "checkout": 1, "checkout_multi": 1,
           "flood_home": 5}

PRODUCT_IDS = ["0PUK6V6EV0", "1YMWWN1N4O", "2ZYFJ3GM2N", "66VCHSJNUP", "6E92ZMYYFZ",
               "9SIQT8TOJO", "L9ECAV7KIM", "LS4PSXUNUM", "OLJCESPC7Z", "HQTGWGPNH4"]
AD_CATEGORIES = ["binoculars", "telescopes", "accessories", "assembly", "travel", "books",
                 "None"]
SHOP_ROUTES = ("index", "products", "product", "recommendations", "ads", "cart_get",
               "cart_post", "cart_delete", "checkout", "other")


def expected_request_names():
    """Every request name the scenario may report (Locust shows the URL as requested)."""
    names = {"/", "/api/cart", "/api/checkout"}
    names |= {f"/api/products/{p}" for p in PRODUCT_IDS}
    names |= {f"/api/recommendations?productIds={p}" for p in PRODUCT_IDS}
    names |= {f"/api/data/?contextKeys={c}" for c in AD_CATEGORIES}
    return names


def shop_flags(flood=0, traffic=1, vus=0):
    """The demo's three load-generator flags (flagd format), each with the given value as its
    default variant."""
    return {
        "loadGeneratorFloodHomepage": int_flag("v", v=flood),
        "loadGeneratorTraffic": int_flag("v", v=traffic),
        "loadGeneratorVUs": int_flag("v", v=vus),
    }


class Shop:
    """A shopsim process with its own flag file; stop() stops it by PID."""

    def __init__(self, flood=0, traffic=1, vus=0):
        self.dir = tempfile.TemporaryDirectory(prefix="shop-it-")
        self.flags_path = os.path.join(self.dir.name, "flags.json")
        with open(self.flags_path, "w") as f:
            json.dump({"flags": shop_flags(flood, traffic, vus)}, f)
        self.sim = Shopsim("--seed", "11", flags=self.flags_path)

    def start(self):
        self.sim.start()
        return self

    def stop(self):
        self.sim.stop()
        self.dir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.sim.port}"

    def env(self):
        """Environment wiring loadgen to this shopsim's OFREP port (as scripts/demo.sh does)."""
        return {"FLAGD_HOST": "127.0.0.1", "FLAGD_OFREP_PORT": str(self.sim.ofrep_port)}

    def set_flags(self, **values):
        """Replaces the flags in memory (POST /__flags on the OFREP port); takes effect for the
        next evaluation that misses loadgen's ~1 s cache."""
        body = json.dumps({"flags": shop_flags(**values)})
        status, answer = self.sim.json("POST", "/__flags", body=body,
                                       headers={"Content-Type": "application/json"},
                                       port=self.sim.ofrep_port)
        assert status == 200, (status, answer)

    def stats(self):
        return self.sim.stats()

    def routes(self):
        """{route: requests} on the shop port."""
        return {k: v["requests"] for k, v in self.stats()["routes"].items()}

    def requests_total(self):
        return self.stats()["requests_total"]

    def last_rejections(self):
        return self.sim.json("GET", "/__last_rejections")[1]

    def flag_stats(self):
        return self.sim.json("GET", "/__stats", port=self.sim.ofrep_port)[1]

    def loadgen(self, users, run_time, wait_time="constant(0.05)", spawn_rate=100, extra=(),
                extra_env=None, scenario=BUILTIN):
        """Starts loadgen's astronomy-shop scenario (`scenario`: the arguments choosing it, the
        built-in by default, or ["-f", "examples/astronomy-shop.yaml"]) against this shop (not
        waiting for it)."""
        args = ["--headless"] + list(scenario) + ["-H", self.url,
                "-u", str(users), "-r", str(spawn_rate), "-t", run_time,
                "--wait-time", wait_time] + list(extra)
        env = self.env()
        env.update(extra_env or {})
        return LoadgenProcess(args, extra_env=env)


# --- task-mix arithmetic --------------------------------------------------------------------
# Conditioned on the number of picks of a subset S of tasks, the picks of one task t in S are
# Binomial(n_S, w_t / w_S): the tasks are drawn independently with probability proportional
# to their weights. Tolerances are k standard deviations of that binomial (k = 5: a false
# alarm about once in 3.5 million per check), which is still tight enough that changing one
# weight by 1 fails over a few thousand picks.
SIGMAS = 5.0


def task_picks(routes, users, flood=0):
    """Task picks that can be read off shopsim's route counts; flood_home and the add_to_cart
    / checkout split cannot be observed exactly and are left out (see add_to_cart_excess)."""
    picks = {
        "browse_product": routes["product"] - routes["cart_post"],
        "get_recommendations": routes["recommendations"],
        "get_ads": routes["ads"],
        "view_cart": routes["cart_get"],
        "checkout_any": routes["checkout"],  # checkout + checkout_multi
    }
    if flood == 0:
        picks["index"] = routes["index"] - users  # one index per user from on_start
    return picks


def binomial_check(count, n, p, sigmas=SIGMAS):
    """(ok, message): count ~ Binomial(n, p) within `sigmas` standard deviations."""
    mean = n * p
    sd = math.sqrt(max(n * p * (1 - p), 1.0))
    ok = abs(count - mean) <= sigmas * sd
    return ok, (f"{count} vs expected {mean:.1f} ± {sigmas * sd:.1f} "
                f"({count / n if n else 0:.4f} of {n}, expected {p:.4f})")


def add_to_cart_excess(routes):
    """cart_post - 2 * checkout: the add_to_cart task picks plus a zero-mean term per checkout
    (a single checkout adds 1 cart POST, a multi one 2..4: minus 2 gives -1 or 0/1/2, each with
    probability 1/2 (and 1/3): mean 0, variance 1/2 + 1/2 * 5/3 = 4/3)."""
    return routes["cart_post"] - 2 * routes["checkout"]


def add_to_cart_check(routes, n_other, w_other, sigmas=SIGMAS, slack=0):
    """Checks the add_to_cart weight: add_to_cart picks A, given n_other picks of tasks with
    total weight w_other, are negative-binomial with mean n_other * 2 / w_other and variance
    mean * (w_other + 2) / w_other; plus the checkout term's variance 4/3 per checkout.
    `slack` absorbs checkouts cut by the stop after some cart POSTs (up to 4 per user)."""
    w = WEIGHTS["add_to_cart"]
    mean = n_other * w / w_other
    var = mean * (w_other + w) / w_other + routes["checkout"] * 4.0 / 3.0
    excess = add_to_cart_excess(routes)
    sd = math.sqrt(max(var, 1.0))
    ok = abs(excess - mean) <= sigmas * sd + slack
    return ok, (f"add_to_cart picks ≈ {excess} vs expected {mean:.1f} "
                f"± {sigmas * sd + slack:.1f}")


def assert_all_valid(tc, shop, what):
    """Every shop route: no 4xx (rejected) and no injected 500; no unknown route."""
    stats = shop.stats()
    for route, counts in stats["routes"].items():
        tc.assertEqual(counts["rejected"], 0, f"{what}: route {route}: {counts}; last "
                       f"rejections: {json.dumps(shop.last_rejections())[:2000]}")
        tc.assertEqual(counts["errors"], 0, f"{what}: route {route}: {counts}")
    tc.assertEqual(stats["routes"]["other"]["requests"], 0, what)
    tc.assertEqual(shop.last_rejections(), [], what)


class TaskMixChecks:
    """The task-mix checks of an astronomy-shop scenario (mix into a LoadgenTestCase; SCENARIO
    chooses it): one run of 20 users, short waits, flood flag 0; the weights, shopsim's
    validation, the request names, the flag cache. The built-in (test_astronomy_shop.py) and
    the YAML example (test_yaml_scenario.py) run the same checks."""
    SCENARIO = BUILTIN
    USERS = 20
    RUN_S = 12
    THREADS = 2  # fixed, so flag-evaluation bounds (one per key, worker and ~1 s) are known

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = Shop(flood=0).start()
        cls.addClassCleanup(cls.shop.stop)
        cls.out = Outputs()
        cls.addClassCleanup(cls.out.cleanup)
        proc = cls.shop.loadgen(cls.USERS, f"{cls.RUN_S}s", wait_time="between(0, 0.01)",
                                extra=["--threads", str(cls.THREADS)] + cls.out.args(),
                                scenario=cls.SCENARIO)
        cls.result = proc.wait(cls.RUN_S + 20)
        cls.stats = cls.shop.stats()
        cls.routes = {k: v["requests"] for k, v in cls.stats["routes"].items()}

    def test_run_ends_cleanly_without_failures(self):
        self.assertNoCrash(self.result)
        self.assertExit(self.result, 0)
        agg = self.out.stats_by_name()["Aggregated"]
        self.assertEqual(int(agg["Failure Count"]), 0, self.result.describe())
        self.assertEqual(self.out.failures()[1], [])
        self.assertIn(f'All users spawned: {{"WebsiteUser": {self.USERS}}}', self.result.stderr)

    def test_every_request_passes_validation(self):
        assert_all_valid(self, self.shop, "task mix run")
        self.assertGreater(self.routes["checkout"], 0)
        self.assertGreater(self.routes["cart_post"], 0)
        # The scenario never sends these (the demo's users do not either).
        self.assertEqual(self.routes["products"], 0)
        self.assertEqual(self.routes["cart_delete"], 0)

    def test_every_request_carries_the_baggage(self):
        baggage = self.stats["baggage"]
        total = self.stats["requests_total"]
        for key in ("present", "valid", "synthetic", "session_id"):
            self.assertEqual(baggage[key], total, baggage)
        self.assertEqual(self.stats["sessions"], self.USERS, self.stats)

    def test_request_names_are_the_urls(self):
        names = set(self.out.stats_by_name()) - {"Aggregated"}
        # Over tens of thousands of requests every product, and every ad category, shows up.
        self.assertEqual(names, expected_request_names())

    def test_loadgen_and_shopsim_agree_on_the_count(self):
        agg = int(self.out.stats_by_name()["Aggregated"]["Request Count"])
        total = self.stats["requests_total"]
        # shopsim may have seen the requests that were in flight when the run stopped.
        self.assertGreaterEqual(total, agg)
        self.assertLessEqual(total - agg, 2 * self.USERS, (total, agg))

    def test_task_weights(self):
        routes, users = self.routes, self.USERS
        picks = task_picks(routes, users, flood=0)
        # The tasks observable exactly, and their total weight (checkout + checkout_multi
        # together); flood_home sends nothing with the flag at 0, add_to_cart is checked below.
        weights = {"index": 1, "browse_product": 10, "get_recommendations": 3, "get_ads": 3,
                   "view_cart": 3, "checkout_any": 2}
        for name in weights:
            if name != "checkout_any":
                self.assertEqual(weights[name], WEIGHTS[name])
        w_total = sum(weights.values())
        n = sum(picks.values())
        self.assertGreater(n, 3000, f"too few task picks to tell: {picks} {self.routes}")
        problems = []
        for name, w in weights.items():
            ok, msg = binomial_check(picks[name], n, w / w_total)
            # Slack of one task per user: each user's last task may be cut by the stop.
            ok = ok or abs(picks[name] - n * w / w_total) <= users
            if not ok:
                problems.append(f"{name}: {msg}")
        ok, msg = add_to_cart_check(routes, n, w_total, slack=4 * users)
        if not ok:
            problems.append(msg)
        self.assertEqual(problems, [], f"routes: {routes}; picks: {picks}")

    def test_products_and_categories_are_uniform(self):
        byname = self.out.stats_by_name()

        def count(name):
            return int(byname[name]["Request Count"]) if name in byname else 0

        problems = []
        for prefix, values in (("/api/products/", PRODUCT_IDS),
                               ("/api/recommendations?productIds=", PRODUCT_IDS),
                               ("/api/data/?contextKeys=", AD_CATEGORIES)):
            counts = {v: count(prefix + v) for v in values}
            n = sum(counts.values())
            for v, c in counts.items():
                ok, msg = binomial_check(c, n, 1 / len(values))
                if not ok:
                    problems.append(f"{prefix}{v}: {msg}")
        self.assertEqual(problems, [])

    def test_flag_evaluations_are_cached(self):
        evals = self.shop.flag_stats()["evaluations"]
        # ~1 s cache per worker: about THREADS * RUN_S per key, far from one per task.
        bound = 2 * self.THREADS * (self.RUN_S + 3)
        for key in ("loadGeneratorFloodHomepage", "loadGeneratorTraffic"):
            self.assertGreater(evals.get(key, 0), 0, evals)
            self.assertLessEqual(evals[key], bound, evals)
        # loadGeneratorVUs: worker 0 polls it about once a second.
        self.assertGreater(evals.get("loadGeneratorVUs", 0), 0, evals)
        self.assertLessEqual(evals["loadGeneratorVUs"], 2 * (self.RUN_S + 3), evals)


__all__ = ["Shop", "BUILTIN", "assert_all_valid", "TaskMixChecks", "shopsim_bin", "wait_for", "WEIGHTS", "PRODUCT_IDS", "AD_CATEGORIES",
           "SHOP_ROUTES", "expected_request_names", "shop_flags", "task_picks",
           "binomial_check", "add_to_cart_check", "add_to_cart_excess", "SIGMAS"]
