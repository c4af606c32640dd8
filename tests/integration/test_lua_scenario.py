"""Lua scenario files (-f, docs/scenario-lua.md) against the shop simulator: the example
examples/astronomy-shop.lua passes the built-in's checks (test_astronomy_shop.TaskMix: task
mix, shopsim validation, request names, flag cache; test_traces.Traces' span checks: CLIENT
spans under task spans, flag evaluations, resource) and sets the built-in's span attributes and
baggage; a Lua error is a task exception with its traceback in the exceptions report; a file
that does not load exits 2 naming file:line before any load."""
import os
import tempfile
import unittest

import otlp_collector as oc
import test_astronomy_shop as builtin_shop
import test_traces as builtin_traces
from harness import REPO, LoadgenTestCase, Outputs, read_csv, run_loadgen
from shop_harness import Shop, shopsim_bin

EXAMPLE = os.path.join(REPO, "examples", "astronomy-shop.lua")
LUA = ("-f", EXAMPLE)
ENV_QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
             "OTEL_LOGS_EXPORTER": "none"}

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


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class LuaTaskMix(builtin_shop.TaskMix):
    """The built-in's TaskMix checks, word for word, on examples/astronomy-shop.lua."""
    SCENARIO = LUA

    @classmethod
    def setUpClass(cls):
        LoadgenTestCase.setUpClass.__func__(cls)
        cls.shop = Shop(flood=0).start()
        cls.addClassCleanup(cls.shop.stop)
        cls.out = Outputs()
        cls.addClassCleanup(cls.out.cleanup)
        proc = cls.shop.loadgen(cls.USERS, f"{cls.RUN_S}s", wait_time="between(0, 0.01)",
                                extra=["--threads", str(builtin_shop.THREADS)] + cls.out.args(),
                                scenario=LUA, extra_env=ENV_QUIET)
        cls.result = proc.wait(cls.RUN_S + 20)
        cls.stats = cls.shop.stats()
        cls.routes = {k: v["requests"] for k, v in cls.stats["routes"].items()}

    def test_every_request_carries_the_baggage(self):
        baggage = self.stats["baggage"]
        total = self.stats["requests_total"]
        for key in ("present", "valid", "synthetic", "session_id"):
            self.assertEqual(baggage[key], total, baggage)
        self.assertEqual(self.stats["sessions"], self.USERS, self.stats)

    def test_no_task_exceptions(self):
        self.assertNotIn("Exception report", self.result.stderr)


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class LuaTraces(LoadgenTestCase):
    """test_traces.Traces' checks on the Lua example, plus the span attributes."""
    SCENARIO = LUA
    check_traces = builtin_traces.Traces.check_traces
    check_task_spans = builtin_traces.Traces.check_task_spans
    check_flag_spans = builtin_traces.Traces.check_flag_spans

    def run_shop(self, shop, env, run_time="3s"):
        env = dict(env)
        env.setdefault("OTEL_BSP_SCHEDULE_DELAY", "300")
        env.setdefault("OTEL_LOGS_EXPORTER", "none")
        env.setdefault("OTEL_METRICS_EXPORTER", "none")
        res = shop.loadgen(builtin_traces.USERS, run_time, wait_time="between(0, 0.1)",
                           extra_env=env, scenario=LUA).wait(60)
        self.assertExit(res, 0)
        self.last_spans_env = env
        return res

    def test_http_protobuf(self):
        self.check_traces("http/protobuf", None)

    def test_span_names_and_attributes_as_the_builtin(self):
        with oc.start_collector() as col, Shop() as shop:
            self.run_shop(shop, col.env(protocol="http/protobuf"))
            spans = col.spans()
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
            self.assertEqual(s["parent_span_id"], "", s)  # fresh traces, as the built-in's
            a = s["attributes"]
            if "quantity" in a:
                self.assertIn(a["quantity"], {1, 2, 3, 4, 5, 10})
            if "item.count" in a:
                self.assertIn(a["item.count"], {2, 3, 4})
            if "flood.count" in a:
                self.assertEqual(a["flood.count"], 0)

    def test_tasks_cut_short_by_the_stop_are_cancelled_not_errors(self):
        """As the built-in's: users killed inside user_session_start / user_index (the index
        answers after 30 s) end those spans without an error, saying loadgen.task.cancelled."""
        shop = Shop()
        shop.sim.args += ["--latency", "index=30s"]
        shop.start()
        self.addCleanup(shop.stop)
        users = builtin_traces.USERS
        with oc.start_collector() as col:
            env = dict(col.env(protocol="http/protobuf"), OTEL_BSP_SCHEDULE_DELAY="300",
                       OTEL_LOGS_EXPORTER="none", OTEL_METRICS_EXPORTER="none")
            res = shop.loadgen(users, "2s", extra_env=env, scenario=LUA).wait(60)
            self.assertExit(res, 0)
            tasks = [s for s in col.spans() if s["name"] in SPAN_ATTRIBUTES]
        self.assertEqual(sorted(s["name"] for s in tasks),
                         ["user_index"] * users + ["user_session_start"] * users)
        for s in tasks:
            self.assertEqual(s["status"]["code"], 0, s)
            self.assertIs(s["attributes"].get("loadgen.task.cancelled"), True, s)
            self.assertEqual([e["name"] for e in s["events"] if e["name"] == "exception"], [], s)

    def test_nested_trace_shape_on_request(self):
        with oc.start_collector() as col, Shop() as shop:
            env = col.env(protocol="http/protobuf")
            env["LOADGEN_TRACE_NESTING"] = "nested"
            self.run_shop(shop, env)
            spans = col.spans()
        by_id = {s["span_id"]: s for s in spans}
        index_in_session = [s for s in spans if s["name"] == "user_index" and s["parent_span_id"]
                            and by_id[s["parent_span_id"]]["name"] == "user_session_start"]
        self.assertEqual(len(index_in_session), builtin_traces.USERS)


class LuaInspection(LoadgenTestCase):
    """-l, --show-task-ratio(-json), with and without -T/-E: the Lua example prints what the
    built-in prints (test_cli_scenarios compares the built-in's with Locust 2.12's)."""

    def test_same_classes_tasks_and_tags_as_the_builtin(self):
        for args in (["-l"], ["--show-task-ratio"], ["--show-task-ratio-json", "-u", "7"],
                     ["--show-task-ratio", "-T", "cart", "checkout"],
                     ["--show-task-ratio-json", "-E", "browse", "flood"],
                     ["--show-task-ratio-json", "-T", "checkout", "-E", "checkout_multi"]):
            with self.subTest(args=args):
                builtin = run_loadgen(["--scenario", "astronomy-shop"] + args, extra_env=ENV_QUIET)
                lua = run_loadgen(list(LUA) + args, extra_env=ENV_QUIET)
                self.assertExit(builtin, 0)
                self.assertExit(lua, 0)
                self.assertEqual(lua.stdout, builtin.stdout)


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class LuaFlood(LoadgenTestCase):
    def test_flood_home_sends_n_homepage_requests_and_logs_it(self):
        with Shop(flood=3) as shop:
            res = shop.loadgen(3, "4s", wait_time="between(0, 0.01)", scenario=LUA,
                               extra_env=ENV_QUIET).wait(30)
            self.assertExit(res, 0)
            routes = shop.routes()
        self.assertIn("User flooding homepage 3 times", res.stderr)
        self.assertIn("Starting user session: ", res.stderr)
        # Flooding adds 3 GET / per flood_home pick (weight 5 of 29) to index's 1 of 29.
        self.assertGreater(routes["index"], routes["cart_get"] * 2, routes)


ERROR_SCRIPT = """\
local function helper(t)
  return t.missing.field
end

local function broken(self)
  self.client:get("/")
  helper({})
end

local function spanned(self)
  span("inner", function()
    error("failed inside a span")
  end)
end

user{name = "Broken", wait_time = constant(0.05), tasks = {[broken] = 1, [spanned] = 1}}
"""


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class LuaErrors(LoadgenTestCase):
    def write(self, text):
        d = tempfile.mkdtemp(prefix="lua-it-")
        self.addCleanup(lambda: __import__("shutil").rmtree(d, ignore_errors=True))
        path = os.path.join(d, "scenario.lua")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_lua_error_is_a_task_exception_with_its_traceback(self):
        path = self.write(ERROR_SCRIPT)
        out = self.outputs()
        with Shop() as shop:
            res = shop.loadgen(2, "2s", scenario=("-f", path), extra=out.args(),
                               extra_env=ENV_QUIET).wait(30)
        self.assertNoCrash(res)
        _, rows = read_csv(out.prefix + "_exceptions.csv")
        by_task = {r["Traceback"]: r for r in rows}
        broken = by_task.get("in task broken of user class Broken")
        self.assertIsNotNone(broken, rows)
        self.assertIn(f"{path}:2: attempt to index field 'missing' (a nil value)",
                      broken["Message"])
        self.assertIn("stack traceback:", broken["Message"])
        self.assertIn(f"{path}:7:", broken["Message"])  # the caller's line
        spanned = by_task.get("in task spanned of user class Broken")
        self.assertIsNotNone(spanned, rows)
        self.assertIn(f"{path}:12: failed inside a span", spanned["Message"])
        self.assertIn("stack traceback:", spanned["Message"])
        self.assertGreater(int(broken["Count"]), 1)
        self.assertIn("Exception report", res.stderr)

    def test_syntax_error_exits_2_naming_file_and_line(self):
        path = self.write("local function t(self) end\nuser{tasks = {t}}\nlocal x = = 1\n")
        res = run_loadgen(["--headless", "-f", path, "-H", "http://127.0.0.1:9", "-t", "5s"])
        self.assertExit(res, 2)
        self.assertIn(f"{path}:3:", res.stderr)
        self.assertNotIn("All users spawned", res.stderr)

    def test_bad_definitions_exit_2_naming_file_and_line(self):
        cases = [
            ("local function t(self) end\nuser{\n  tasks = {t},\n  wait_time = between(5, 1),\n}\n",
             ":4: wait_time:"),
            ("local function t(self) end\nuser{tasks = {[t] = 0}}\n", ":2: user: weight"),
            ("local x = 1\n", "no user classes"),
            ("user{tasks = {}}\n", ":1: user: tasks is empty"),
            ("local function t(self) end\nuser{tasks = {t}, host = 'localhost'}\n",
             ":2: user: host must be an absolute"),
        ]
        for text, expected in cases:
            with self.subTest(expected=expected):
                path = self.write(text)
                res = run_loadgen(["--headless", "-f", path, "-H", "http://127.0.0.1:9",
                                   "-t", "5s"])
                self.assertExit(res, 2)
                self.assertIn(path, res.stderr)
                self.assertIn(expected, res.stderr)


if __name__ == "__main__":
    unittest.main()
