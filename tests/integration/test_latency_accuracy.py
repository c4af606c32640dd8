"""Latency accuracy (issue 16): loadgen's recorded latency is the server's time plus the loopback
round trip, within max(1 %, 20 us), at 10 requests/s and at a high rate.

The server (tests/support/latency_server, $LATENCY_SERVER_BIN) answers after a fixed delay and
measures its own time per request; latency_check.py (also used by bench/latency-accuracy) matches
each request's recorded latency (its CLIENT span; the stats record the same duration) to the
server's time by trace id and compares the median error with the tolerance. The issue's high
rate is 50,000/s; 2 shared cores running the suite (and other jobs) sustain far less with a
server and the generator on them, so this test uses 2,000/s and bench/latency-accuracy measures
50,000/s. The delay is 20 ms (tolerance about 200 us), a service time of the kind a load test
meets: at 10/s loadgen's error is 40-90 us on this machine (its own wake-up and parse on cold
caches, above the probe's round trip), so a 10 ms delay (100 us) would fail whenever the
machine is busy; bench/latency-accuracy reports the error at shorter delays.

Sanitizer builds (LOADGEN_SANITIZE set by CMake): the high-rate case is skipped (ASan's cost per
request is the measurement there, not loadgen's), the 10/s case runs with 3x the tolerance.
LATENCY_ACCURACY_BIAS_US (a self-check of this test, normally unset) adds a bias to the
expectation: 500 must make the test fail in a release build (a sanitizer build allows 3x).
"""

import os
import unittest

from harness import loadgen_bin
import latency_check

SANITIZED = bool(os.environ.get("LOADGEN_SANITIZE"))
BIAS_US = float(os.environ.get("LATENCY_ACCURACY_BIAS_US", "0"))
DELAY_US = 20000


def server_bin():
    path = os.environ.get("LATENCY_SERVER_BIN")
    if path and os.access(path, os.X_OK):
        return path
    here = os.path.dirname(os.path.abspath(__file__))
    for build in ("build/release", "build/debug", "build/asan", "build"):
        p = os.path.join(here, "..", "..", build, "tests/integration/latency_server")
        if os.access(p, os.X_OK):
            return p
    return None


class LatencyAccuracyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if loadgen_bin() is None:
            raise unittest.SkipTest("loadgen binary not built (set LOADGEN_BIN)")
        if server_bin() is None:
            raise unittest.SkipTest("latency_server not built (set LATENCY_SERVER_BIN)")

    def check(self, rate, seconds, slack=1.0):
        r = latency_check.measure(loadgen_bin(), server_bin(), DELAY_US, rate, seconds)
        text = latency_check.describe(r)
        print("\n" + text)
        self.assertEqual(r["rc"], 0, text + "\n" + r["stderr"])
        self.assertNotIn("error", r, text)
        # Every request answered, recorded and exported (a queue that drops nothing). Requests
        # cut off by the end of the run are not in the stats and their spans have no status
        # code (the server may still have answered some of them).
        self.assertEqual(r["failures"], 0, text)
        self.assertGreaterEqual(r["requests"], rate * seconds * 0.8, text)
        self.assertEqual(r["spans"], r["requests"], text)
        self.assertEqual(r["matched"], r["requests"], text)
        self.assertGreaterEqual(r["server_requests"], r["requests"], text)
        # The spans are the recorded latency: the stats keep each span's duration in whole µs.
        self.assertGreaterEqual(r["span_mean_us"] - r["stats_mean_us"], -0.01, text)
        self.assertLess(r["span_mean_us"] - r["stats_mean_us"], 1.01, text)
        # Physics: a request's latency contains the server's time for it.
        self.assertGreater(r["client_minus_server_min_us"], 0.0, text)
        # The criterion: the median error within max(1 %, 20 µs).
        tol = r["tolerance_us"] * slack
        self.assertLessEqual(abs(r["error_median_us"] - BIAS_US), tol,
                             f"median error beyond {tol:.1f} us\n{text}")

    def test_10_per_second(self):
        self.check(10, 5, slack=3.0 if SANITIZED else 1.0)

    def test_high_rate(self):
        if SANITIZED:
            self.skipTest("sanitizer build: the high rate measures the sanitizer's cost per "
                          "request; the release build's run is the check")
        self.check(2000, 3)


if __name__ == "__main__":
    unittest.main()
