"""Shared code of the browser tests (Python stdlib only): loadgen in web mode against shopsim
(tests/integration's harness and shop harness, reused), and the Node driver that runs one
browser scenario (browser/<name>.mjs) in Debian's headless Chromium through playwright-core.

Every process started here is stopped by its own PID; every wait has a deadline.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
# tests/integration's harness modules, after this directory: its test_*.py files share names
# with ours (test_report), and ours must win.
sys.path.append(os.path.join(os.path.dirname(HERE), "integration"))

from harness import (REPO, LoadgenProcess, LoadgenTestCase, Nginx,  # noqa: E402
                     free_port, port_open, wait_for)
from shop_harness import Shop, expected_request_names, shopsim_bin  # noqa: E402

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
NODE = shutil.which("node")
PLAYWRIGHT = os.path.join(HERE, "node_modules", "playwright-core", "package.json")
DRIVER = os.path.join(HERE, "browser", "driver.mjs")
ARTIFACTS = os.environ.get("E2E_ARTIFACTS") or os.path.join(REPO, "build", "e2e-artifacts")
# Telemetry export off: these tests look at the page, not at the signals.
QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
         "OTEL_LOGS_EXPORTER": "none"}
# The longest a browser wait may take (the ASan build is several times slower), and the
# longest a scenario may run.
WAIT_S = 45
SCENARIO_S = 240


def missing_browser():
    """Why the browser tests cannot run here, or None. Only a missing Chromium skips them
    (run_suite.py); a missing Node.js or playwright-core is a failure with a hint."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} not installed (Debian package chromium; scripts/install-deps.sh)"
    return None


class WebLoadgen:
    """loadgen without --headless (the web UI) running the astronomy-shop scenario against a
    Shop, on 127.0.0.1:<free port>. It quits by itself AUTOQUIT_S after a run stopped (the
    page's runs stop by themselves too: browser/lib.mjs fills a run time), whatever happens to
    the test; the test stops it before."""

    AUTOQUIT_S = 120

    def __init__(self, shop, *extra, extra_env=None, port=None, host=None):
        self.port = port or free_port()
        extra = [str(a) for a in extra]
        if "--autoquit" not in extra:
            extra += ["--autoquit", str(self.AUTOQUIT_S)]
        args = ["--scenario", "astronomy-shop", "-H", host or shop.url, "--web-host", "127.0.0.1",
                "-P", str(self.port), "--wait-time", "constant(0.05)"] + extra
        env = dict(shop.env())
        env.update(QUIET)
        env.update(extra_env or {})
        self.proc = LoadgenProcess(args, extra_env=env)
        self.result = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def wait_listening(self, timeout=30):
        wait_for(lambda: self.proc.proc.poll() is not None or port_open(self.port), timeout,
                 what="the web port")
        if self.proc.proc.poll() is not None:
            raise AssertionError("loadgen exited before listening\n" + self.wait_exit(1).describe())
        return self

    def wait_exit(self, timeout):
        """Waits for loadgen to end by itself (SIGKILL after timeout); its RunResult."""
        if self.result is None:
            self.result = self.proc.wait(timeout)
        return self.result

    def stop(self, timeout=30):
        """SIGTERM (the headless exit path), then waits; its RunResult."""
        if self.result is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit(timeout)


class Scenario:
    """node browser/driver.mjs <name> in the background; result() waits for its JSON line."""

    def __init__(self, name, url, **config):
        if NODE is None:
            raise AssertionError("node not found: run scripts/e2e-deps.sh (make deps)")
        if not os.path.exists(PLAYWRIGHT):
            raise AssertionError("playwright-core not installed in tests/e2e/node_modules: "
                                 "run scripts/e2e-deps.sh (make deps)")
        self.name = name
        self.config = dict(config, url=url, chromium=CHROMIUM, artifacts=ARTIFACTS,
                           wait_s=WAIT_S, timeout_s=SCENARIO_S)
        env = dict(os.environ, E2E_CONFIG=json.dumps(self.config))
        self._out = tempfile.TemporaryFile()
        self._err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([NODE, DRIVER, name], cwd=HERE, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self._out,
                                     stderr=self._err)

    def stop(self, grace=10):
        """Ends the driver if it still runs: SIGTERM (playwright then closes its Chromium),
        SIGKILL after grace seconds. By PID."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
        return self.proc.wait()

    def result(self, timeout=SCENARIO_S + 30):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            code = self.stop()
        self._out.seek(0)
        self._err.seek(0)
        out = self._out.read().decode("utf-8", "replace")
        err = self._err.read().decode("utf-8", "replace")
        self._out.close()
        self._err.close()
        sys.stderr.write(err)  # screenshot and download paths, and failures
        lines = [line for line in out.splitlines() if line.startswith("{")]
        answer = json.loads(lines[-1]) if lines else {}
        if code != 0 or not answer.get("ok"):
            raise AssertionError(f"browser scenario {self.name} failed (exit {code}): "
                                 f"{answer.get('error')}\n--- driver stderr ---\n{err[-6000:]}")
        return answer


class E2ETestCase(LoadgenTestCase):
    """One shopsim per class (reset before each test); run(name, url, ...) runs a scenario."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if shopsim_bin() is None:
            raise unittest.SkipTest("shopsim not built (set SHOPSIM_BIN)")
        why = missing_browser()
        if why:
            raise unittest.SkipTest(why)
        cls.shop = Shop().start()
        cls.addClassCleanup(cls.shop.stop)

    def setUp(self):
        self.shop.sim.reset()

    def web(self, *extra, extra_env=None, listening=True, port=None, host=None):
        """A WebLoadgen that the test's cleanup stops (and checks it did not crash)."""
        lg = WebLoadgen(self.shop, *extra, extra_env=extra_env, port=port, host=host)

        def cleanup():
            self.assertNoCrash(lg.stop())
        self.addCleanup(cleanup)
        return lg.wait_listening() if listening else lg

    def scenario(self, name, url, **config):
        config.setdefault("shop_url", self.shop.url)
        config.setdefault("expected_names", sorted(expected_request_names()))
        sc = Scenario(name, url, **config)
        self.addCleanup(sc.stop)
        return sc

    def run_scenario(self, name, url, **config):
        started = time.monotonic()
        answer = self.scenario(name, url, **config).result()
        print(f"e2e {name}: passed in {time.monotonic() - started:.1f} s; screenshots: "
              f"{', '.join(answer.get('screenshots', [])) or 'none'}", file=sys.stderr)
        return answer


__all__ = ["E2ETestCase", "WebLoadgen", "Scenario", "Nginx", "ARTIFACTS", "missing_browser",
           "wait_for", "free_port"]
