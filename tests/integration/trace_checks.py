"""The trace checks of an astronomy-shop run (shared by test_traces.py for the built-in and
test_yaml_scenario.py for examples/astronomy-shop.yaml): CLIENT spans under task spans, the
demo's task span names and attributes, flag evaluation spans and events, resource, and the
trace ids the shop saw. Mix ShopTraceChecks into a LoadgenTestCase; SCENARIO chooses the
scenario (shop_harness.BUILTIN by default)."""
import json
import urllib.request

import otlp_collector as oc
from shop_harness import BUILTIN, Shop

USERS = 5
TASK_SPANS = {"user_session_start", "user_index", "user_browse_product", "user_get_recommendations",
              "user_get_ads", "user_view_cart", "user_add_to_cart", "user_checkout_single",
              "user_checkout_multi", "user_flood_home"}


def shop_trace_ids(shop):
    with urllib.request.urlopen(shop.url + "/__trace_ids", timeout=5) as r:
        return set(json.load(r))


class ShopTraceChecks:
    SCENARIO = BUILTIN

    def run_shop(self, shop, env, run_time="3s"):
        env = dict(env)
        env.setdefault("OTEL_BSP_SCHEDULE_DELAY", "300")
        env.setdefault("OTEL_LOGS_EXPORTER", "none")  # this suite counts trace requests only
        env.setdefault("OTEL_METRICS_EXPORTER", "none")
        res = shop.loadgen(USERS, run_time, wait_time="between(0, 0.1)", extra_env=env,
                          scenario=self.SCENARIO).wait(60)
        self.assertExit(res, 0)
        return res

    def check_traces(self, protocol, compression):
        grpc = protocol == "grpc"
        with oc.start_collector(grpc_enabled=grpc, grpc_wire_tap=grpc) as col, Shop() as shop:
            env = col.env(protocol=protocol, compression=compression)
            env["OTEL_EXPORTER_OTLP_HEADERS"] = "X-Api-Key=secret%20key"
            self.run_shop(shop, env)
            self.assertEqual(col.errors(), [])
            spans = col.spans()
            stats = shop.stats()
            by_id = {s["span_id"]: s for s in spans}
            flagd_url = f"http://127.0.0.1:{shop.sim.ofrep_port}/"
            all_client = [s for s in spans if s["kind"] == 3]
            flag_client = [s for s in all_client if s["attributes"]["url.full"].startswith(flagd_url)]
            client = [s for s in all_client if s not in flag_client]
            internal = [s for s in spans if s["kind"] == 1]
            # A CLIENT span for every request the shop received; a request in flight when the
            # run stopped (users are killed) has one too, ended without an error status.
            cancelled = [s for s in client if "http.response.status_code" not in s["attributes"]]
            self.assertGreaterEqual(len(client), stats["requests_total"], (len(client), stats))
            self.assertLessEqual(len(cancelled), USERS, cancelled)
            self.assertLessEqual(len(client) - stats["requests_total"], USERS)
            self.assertTrue(internal)
            # No lone feature_flag.evaluation roots: the traffic gate is evaluated inside the
            # task span; the engine's user-count polls have their own loadgen.flag_watch span.
            self.assertLessEqual({s["name"] for s in internal}, TASK_SPANS | {"loadgen.flag_watch"})
            self.check_task_spans([s for s in internal if s["name"] in TASK_SPANS])
            self.assertLessEqual({s["name"] for s in client}, {"GET", "POST"})
            for s in client:
                a = s["attributes"]
                self.assertEqual(a["http.request.method"], s["name"])
                self.assertTrue(a["url.full"].startswith(shop.url + "/"), a)
                self.assertEqual(a["server.address"], "127.0.0.1")
                self.assertIsInstance(a["server.port"], int)
                if s not in cancelled:
                    self.assertEqual(a["http.response.status_code"], 200)
                self.assertNotIn("error.type", a)
                self.assertEqual(s["status"]["code"], 0)
                # Parent: the task span of the same trace (all shop requests run inside one).
                parent = by_id.get(s["parent_span_id"])
                self.assertIsNotNone(parent, s)
                self.assertEqual(parent["trace_id"], s["trace_id"])
                self.assertEqual(parent["kind"], 1)
                self.assertLessEqual(parent["start"], s["start"])
                self.assertGreaterEqual(parent["end"], s["end"])
            self.check_flag_spans(shop, flag_client, by_id)
            for s in internal:
                if s["name"] == "user_browse_product":
                    self.assertIn("product.id", s["attributes"])
                if s["name"] == "user_add_to_cart":
                    self.assertLessEqual({"user.id", "product.id", "quantity"}, set(s["attributes"]))
            res = spans[0]["resource"]
            self.assertEqual(res["service.name"], "loadgen")
            self.assertEqual(res["telemetry.sdk.name"], "loadgen")
            self.assertEqual(res["telemetry.sdk.language"], "cpp")
            self.assertIn("service.instance.id", res)
            self.assertEqual(spans[0]["scope"]["name"], "loadgen")
            # One version: scope, service.version, telemetry.sdk.version, exporter User-Agent.
            version = res["service.version"]
            self.assertEqual(res["telemetry.sdk.version"], version)
            self.assertEqual(spans[0]["scope"]["version"], version)
            # The trace ids on the wire are the exported ones (a task cut short by the stop may
            # have sent a request whose spans were never recorded).
            missing = shop_trace_ids(shop) - {s["trace_id"] for s in spans}
            self.assertLessEqual(len(missing), USERS, missing)
            reqs = col.requests("traces")
            self.assertTrue(all(r.header("x-api-key") == "secret key" for r in reqs))
            # protocol/exporter.md: OTel-OTLP-Exporter-<language>/<version> (gRPC appends its
            # own product tokens after it).
            for r in reqs:
                self.assertTrue(r.header("user-agent", "").startswith(
                    "OTel-OTLP-Exporter-Cpp/" + version), r.header("user-agent", ""))
            if grpc:
                self.assertTrue(all(r.transport == "grpc" for r in reqs))
                # The compressed flag of each gRPC message, read off the wire (gRPC over HTTP/2).
                flags = col.grpc_compressed_flags()
                self.assertEqual(len(flags), len(reqs), flags)
                self.assertEqual(set(flags), {1} if compression == "gzip" else {0}, flags)
            elif compression == "gzip":
                self.assertTrue(all(r.content_encoding == "gzip" for r in reqs))
            return spans

    def check_task_spans(self, tasks):
        """The demo's trace shape (default LOADGEN_TRACE_NESTING=fresh): every task span is the
        root of a trace of its own, so traces per task = tasks run; a task cut short by the
        end of the run is not an error but says it was cancelled."""
        self.assertTrue(tasks)
        for s in tasks:
            self.assertEqual(s["parent_span_id"], "", s)
            self.assertEqual(s["status"]["code"], 0, s)  # unset: no ERROR at the stop
            if "loadgen.task.cancelled" in s["attributes"]:
                self.assertIs(s["attributes"]["loadgen.task.cancelled"], True)
        self.assertEqual(len({s["trace_id"] for s in tasks}), len(tasks))

    def check_flag_spans(self, shop, flag_client, by_id):
        """Flag evaluations that asked flagd: a POST CLIENT span, child of the task span it ran
        in (with the feature_flag.evaluation event) or, for the engine's polls of the user count,
        of a loadgen.flag_watch root span; every evaluation request carried traceparent and the
        synthetic baggage, and each has its CLIENT span."""
        flagd = shop.flag_stats()
        self.assertGreater(flagd["evaluation_requests"], 0)
        self.assertEqual(flagd["traceparent"]["valid"], flagd["evaluation_requests"])
        self.assertEqual(flagd["baggage"]["synthetic"], flagd["evaluation_requests"])
        self.assertGreaterEqual(flagd["evaluation_requests"], len(flag_client))
        self.assertTrue(flag_client)
        watch = 0
        for s in flag_client:
            self.assertEqual(s["name"], "POST")
            self.assertIn("/ofrep/v1/evaluate/flags/", s["attributes"]["url.full"])
            parent = by_id.get(s["parent_span_id"])
            self.assertIsNotNone(parent, s)
            self.assertEqual(parent["trace_id"], s["trace_id"])
            if parent["name"] == "loadgen.flag_watch":
                self.assertEqual(parent["parent_span_id"], "")
                self.assertEqual(parent["attributes"]["feature_flag.key"], "loadGeneratorVUs")
                self.assertIn("feature_flag.result.value", parent["attributes"])
                watch += 1
                continue
            self.assertIn(parent["name"], TASK_SPANS)
            events = [e for e in parent["events"] if e["name"] == "feature_flag.evaluation"]
            self.assertTrue(events, parent)
            ev = events[0]
            self.assertIn(ev["attributes"]["feature_flag.key"],
                          {"loadGeneratorTraffic", "loadGeneratorFloodHomepage"})
            self.assertEqual(ev["attributes"]["feature_flag.provider.name"], "ofrep")
            self.assertIn("feature_flag.result.value", ev["attributes"])
            self.assertIn("feature_flag.result.variant", ev["attributes"])
            self.assertIn(ev["attributes"]["feature_flag.result.reason"], {"static", "cached"})
        self.assertGreater(watch, 0)  # the engine polls loadGeneratorVUs from the start
