"""W3C Trace Context and Baggage on the wire: every request of every user carries a
well-formed traceparent and the synthetic baggage (synthetic_request=true, session.id), as the
shop simulator counts them; OTEL_PROPAGATORS selects what is injected."""
import unittest

from harness import LoadgenTestCase
from shop_harness import Shop, shopsim_bin

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


if __name__ == "__main__":
    unittest.main()
