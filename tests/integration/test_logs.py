"""Logs over OTLP, correlated with the traces: the shop scenario's log lines (one per task, as
the demo writes them) and loadgen's own messages become OTLP log records, decoded by the
independent collector over HTTP/protobuf, HTTP/JSON and gRPC (gzip on and off): severity,
body, session.id, and the trace and span id of the span active when written, found among
the exported spans. The console shows the ids too."""
import re
import unittest

import otlp_collector as oc
from harness import LoadgenTestCase
from shop_harness import Shop, shopsim_bin

USERS = 4
TASK_LINE = re.compile(
    r"^(Starting user session: [0-9a-f-]{36}|User accessing index page|"
    r"User browsing product: \w+|User getting recommendations for product: \w+|"
    r"User getting ads for category: \w+|User viewing cart|"
    r"User [0-9a-f-]{36} adding \d+ of product \w+ to cart|"
    r"Checkout completed for user [0-9a-f-]{36}|"
    r"Multi-item checkout completed for user [0-9a-f-]{36}|User flooding homepage \d+ times)$")
CONSOLE = re.compile(r"/INFO/loadgen\.user: \[trace_id=([0-9a-f]{32}) span_id=([0-9a-f]{16}) "
                     r"resource\.service\.name=loadgen trace_sampled=True\] - (.+)$", re.M)


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class Logs(LoadgenTestCase):
    def run_shop(self, shop, env, run_time="3s"):
        env = dict(env)
        env.setdefault("OTEL_BSP_SCHEDULE_DELAY", "300")
        env.setdefault("OTEL_BLRP_SCHEDULE_DELAY", "300")
        res = shop.loadgen(USERS, run_time, wait_time="between(0, 0.1)", extra_env=env).wait(60)
        self.assertExit(res, 0)
        return res

    def check_logs(self, protocol, compression=None):
        with oc.start_collector() as col, Shop() as shop:
            res = self.run_shop(shop, col.env(protocol=protocol, compression=compression))
            self.assertEqual(col.errors(), [])
            spans = col.spans()
            records = col.log_records()
            span_ids = {(s["trace_id"], s["span_id"]) for s in spans}
            events = [r for r in records if r["event_name"]]
            lines = [r for r in records if not r["event_name"]]
            user = [r for r in lines if r["trace_id"]]
            own = [r for r in lines if not r["trace_id"]]
            self.check_flag_events(events, span_ids)
            self.assertGreater(len(user), 20, len(records))
            for r in user:
                self.assertEqual(r["severity_number"], 9)
                self.assertEqual(r["severity_text"], "INFO")
                self.assertRegex(r["body"], TASK_LINE)
                self.assertRegex(r["attributes"]["session.id"], r"^[0-9a-f-]{36}$")
                self.assertEqual(r["flags"] & 0x01, 1)
                self.assertGreater(r["time"], 0)
                self.assertIn((r["trace_id"], r["span_id"]), span_ids, r)
            self.assertEqual(len({r["attributes"]["session.id"] for r in user
                                  if r["body"].startswith("Starting user session")}), USERS)
            # loadgen's own messages: no trace context.
            bodies = [r["body"] for r in own]
            self.assertTrue(any(b.startswith("Starting loadgen") for b in bodies), bodies)
            self.assertEqual(records[0]["resource"]["service.name"], "loadgen")
            self.assertEqual(records[0]["scope"]["name"], "loadgen")
            # The console shows the same lines with their ids.
            shown = CONSOLE.findall(res.stderr)
            self.assertTrue(shown, res.stderr[-2000:])
            # Every line shown for a drained record was exported (the export happens after the
            # console print, so all of them made it before the final flush).
            exported = {(r["trace_id"], r["span_id"], r["body"]) for r in user}
            self.assertLessEqual(set(shown), exported)
            self.assertIn(f"Log records: {len(records)} exported, 0 dropped", res.stderr)
            if compression == "gzip" and protocol != "grpc":
                self.assertTrue(all(r.content_encoding == "gzip" for r in col.requests("logs")))

    def check_flag_events(self, events, span_ids):
        """Every flag evaluation is a feature_flag.evaluation Event (feature-flag semantic
        conventions): no body, the flag's key, provider, value and reason; each carries the
        context of the task span it was evaluated in."""
        self.assertGreater(len(events), 20)
        keys = set()
        for e in events:
            self.assertEqual(e["event_name"], "feature_flag.evaluation")
            self.assertIsNone(e["body"])
            a = e["attributes"]
            keys.add(a["feature_flag.key"])
            self.assertEqual(a["feature_flag.provider.name"], "ofrep")
            self.assertIn("feature_flag.result.value", a)
            self.assertIn(a.get("feature_flag.result.reason"), ("static", "cached", "targeting_match",
                                                                "default", "error", "disabled",
                                                                "split", "unknown"), a)
            self.assertRegex(a["session.id"], r"^[0-9a-f-]{36}$")
            # Every evaluation happens inside a task span (the traffic gate too): its context.
            self.assertTrue(e["trace_id"], e)
            self.assertIn((e["trace_id"], e["span_id"]), span_ids, e)
        # The shop's tasks ask for the traffic flag; flood_home for the flood flag too.
        self.assertIn("loadGeneratorTraffic", keys)

    def test_http_protobuf(self):
        self.check_logs("http/protobuf")

    def test_http_json_gzip(self):
        self.check_logs("http/json", "gzip")

    def test_grpc(self):
        self.check_logs("grpc")

    def test_logs_exporter_none_still_shows_the_console_lines(self):
        with oc.start_collector(grpc_enabled=False) as col, Shop() as shop:
            env = dict(col.env(), OTEL_LOGS_EXPORTER="none")
            res = self.run_shop(shop, env, run_time="2s")
            self.assertEqual(col.requests("logs"), [])
            self.assertTrue(CONSOLE.findall(res.stderr))
            self.assertNotIn("Log records:", res.stderr)

    def test_log_record_limits(self):
        with oc.start_collector(grpc_enabled=False) as col, Shop() as shop:
            env = dict(col.env(), OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT="8",
                       OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT="2")
            self.run_shop(shop, env, run_time="2s")
            records = col.log_records()
            lines = [r for r in records if r["trace_id"] and not r["event_name"]]
            events = [r for r in records if r["event_name"]]
            self.assertTrue(lines and events)
            for r in lines:  # one attribute: session.id, cut to 8 bytes
                self.assertEqual(len(r["attributes"]["session.id"]), 8, r)
                self.assertEqual(r["dropped_attributes_count"], 0)
            for e in events:  # key, provider, value, reason, ..., session.id: 2 kept
                self.assertEqual(len(e["attributes"]), 2, e)
                self.assertGreater(e["dropped_attributes_count"], 0, e)
                self.assertEqual(e["attributes"]["feature_flag.key"][:8],
                                 e["attributes"]["feature_flag.key"])

    def test_loglevel_warning_hides_and_drops_info_lines(self):
        with oc.start_collector(grpc_enabled=False) as col, Shop() as shop:
            env = dict(col.env(), LOCUST_LOGLEVEL="WARNING")
            res = self.run_shop(shop, env, run_time="2s")
            self.assertFalse(CONSOLE.findall(res.stderr))
            # Log lines below WARNING are gone; Events (flag evaluations, no severity) are
            # telemetry like spans and do not follow --loglevel.
            self.assertEqual([r for r in col.log_records()
                              if r["severity_number"] < 13 and not r["event_name"]], [])


if __name__ == "__main__":
    unittest.main()
