"""W3C Trace Context and Baggage on the wire: every request of every user carries a
well-formed traceparent and the synthetic baggage (synthetic_request=true, session.id), as the
shop simulator counts them; OTEL_PROPAGATORS selects what is injected. The trace flags are
W3C Level 2 (random bit 02, plus 01 when sampled); ratio sampling adds the OTel threshold
`ot=th:<T>` in tracestate (tracestate-probability-sampling)."""
import re
import unittest

from harness import FaultServer, LoadgenTestCase, headless_args, run_loadgen
from shop_harness import Shop, shopsim_bin

TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-([0-9a-f]{2})$")

USERS = 8


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class Propagation(LoadgenTestCase):
    def run_shop(self, extra_env=None):
        with Shop() as shop:
            res = shop.loadgen(USERS, "4s", wait_time="between(0, 0.05)",
                               extra_env=extra_env).wait(30)
            self.assertExit(res, 0)
            return shop.stats()

    def test_every_request_carries_traceparent_and_synthetic_baggage(self):
        st = self.run_shop()
        total = st["requests_total"]
        self.assertGreater(total, 100, st)
        self.assertEqual(st["traceparent"], {"present": total, "valid": total}, st)
        self.assertEqual(st["baggage"], {"present": total, "valid": total, "synthetic": total,
                                         "session_id": total}, st)
        # One session per user; a trace per task (tasks may send several requests).
        self.assertEqual(st["sessions"], USERS, st)
        self.assertGreater(st["trace_ids"], USERS, st)
        self.assertLessEqual(st["trace_ids"], total, st)

    def test_propagators_none_injects_nothing(self):
        st = self.run_shop({"OTEL_PROPAGATORS": "none"})
        self.assertGreater(st["requests_total"], 100, st)
        self.assertEqual(st["traceparent"]["present"], 0, st)
        self.assertEqual(st["baggage"]["present"], 0, st)

    def test_propagators_tracecontext_only(self):
        st = self.run_shop({"OTEL_PROPAGATORS": "tracecontext"})
        total = st["requests_total"]
        self.assertEqual(st["traceparent"]["valid"], total, st)
        self.assertEqual(st["baggage"]["present"], 0, st)

    def test_sampler_off_still_propagates(self):
        # OTEL_TRACES_SAMPLER=always_off: traceparent still goes out (flags without 01).
        st = self.run_shop({"OTEL_TRACES_SAMPLER": "always_off"})
        total = st["requests_total"]
        self.assertEqual(st["traceparent"]["valid"], total, st)


class WireFlags(LoadgenTestCase):
    """The headers of the last request a real HTTP server (faultserver) received."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = FaultServer().start()
        cls.addClassCleanup(cls.server.stop)

    def last_headers(self, env):
        self.server.reset_counts()
        res = run_loadgen(headless_args(self.server.host, users=1, run_time="1s",
                                        wait_time="constant(0.05)"),
                          timeout=30, extra_env=dict(env, OTEL_TRACES_EXPORTER="none",
                                                     OTEL_METRICS_EXPORTER="none",
                                                     OTEL_LOGS_EXPORTER="none"))
        self.assertExit(res, 0)
        last = self.server.last_request()
        self.assertIsNotNone(last)
        headers = {}
        for k, v in last["headers"]:
            headers.setdefault(k.lower(), []).append(v)
        m = TRACEPARENT.match(headers["traceparent"][0])
        self.assertIsNotNone(m, headers)
        return m.group(1), headers.get("tracestate")

    def test_unsampled_requests_carry_flags_02(self):
        flags, tracestate = self.last_headers({"OTEL_TRACES_SAMPLER": "always_off"})
        self.assertEqual(flags, "02")  # not sampled, random trace id (W3C Level 2)
        self.assertIsNone(tracestate)

    def test_sampled_requests_carry_flags_03_without_tracestate_by_default(self):
        flags, tracestate = self.last_headers({})
        self.assertEqual(flags, "03")
        self.assertIsNone(tracestate)  # parentbased_always_on: no probability threshold

    def test_ratio_sampling_sends_the_threshold(self):
        flags, tracestate = self.last_headers({"OTEL_TRACES_SAMPLER": "traceidratio",
                                               "OTEL_TRACES_SAMPLER_ARG": "1"})
        self.assertEqual(flags, "03")
        self.assertEqual(tracestate, ["ot=th:0"])
        # p = 0.25: a kept trace says th:c; a dropped one carries no threshold.
        for _ in range(3):
            flags, tracestate = self.last_headers({"OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
                                                   "OTEL_TRACES_SAMPLER_ARG": "0.25"})
            self.assertIn(flags, ("02", "03"))
            self.assertEqual(tracestate, ["ot=th:c"] if flags == "03" else None)


if __name__ == "__main__":
    unittest.main()
