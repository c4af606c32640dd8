"""Tests of bench/lib/measure.py: the peak RSS it reports is the measured command's, not a
wrapper's (perf stat/record fork the command and wait for it, like the wrapper here)."""

import json
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MEASURE = REPO / "bench" / "lib" / "measure.py"
MB = 1024  # in kB

# Holds `mb` MB resident for `secs` seconds.
HOLD = "import sys, time; b = b'x' * (int(sys.argv[1]) << 20); time.sleep(float(sys.argv[2]))"


def measure(cmd):
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        subprocess.run([sys.executable, str(MEASURE), "--out", str(out), "--timeout", "60", "--",
                        *cmd], check=True, timeout=90)
        return json.loads(out.read_text())


class MeasureTest(unittest.TestCase):
    def test_the_peak_rss_of_a_plain_command_is_its_own(self):
        r = measure([sys.executable, "-c", HOLD, "120", "0.5"])
        self.assertEqual(r["rc"], 0)
        self.assertGreaterEqual(r["maxrss_kb"], 120 * MB)

    def test_a_wrappers_own_peak_rss_does_not_count(self):
        # A wrapper bigger than its command, before it starts it and after it ends (as perf is
        # while it sets up and while it writes its report).
        wrapper = textwrap.dedent(f"""\
            import subprocess, sys, time
            fat = b'x' * (160 << 20)
            time.sleep(0.4)
            subprocess.run([sys.executable, '-c', {HOLD!r}, '30', '0.6'], check=True)
            time.sleep(0.4)
            """)
        r = measure([sys.executable, "-c", wrapper])
        self.assertEqual(r["rc"], 0)
        self.assertGreaterEqual(r["maxrss_kb"], 30 * MB)  # the command's 30 MB and Python's own
        self.assertLess(r["maxrss_kb"], 100 * MB)  # not the wrapper's 160 MB


if __name__ == "__main__":
    unittest.main()
