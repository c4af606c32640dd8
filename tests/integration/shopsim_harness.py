"""Starts the real shopsim binary ($SHOPSIM_BIN) on free loopback ports for tests, and talks
to it with http.client (Python stdlib only). Every process started here is stopped by its PID.
"""

import http.client
import json
import os
import signal
import subprocess
import tempfile
import time

from harness import REPO, wait_for


def shopsim_bin():
    """Path of the shopsim binary, or None when it is not built."""
    path = os.environ.get("SHOPSIM_BIN")
    if path:
        return path if os.access(path, os.X_OK) else None
    for cand in ("build/debug", "build/release", "build"):
        p = os.path.join(REPO, cand, "tools/shopsim/shopsim")
        if os.access(p, os.X_OK):
            return p
    return None


class Shopsim:
    """One shopsim process; .port and .ofrep_port once started."""

    def __init__(self, *args, flags=None):
        self.args = list(args)
        self.flags = flags
        self.proc = None
        self.port = None
        self.ofrep_port = None
        self.tmp = tempfile.TemporaryDirectory(prefix="shopsim-test-")

    def start(self):
        port_file = os.path.join(self.tmp.name, "ports")
        cmd = [shopsim_bin(), "--port-file", port_file] + self.args
        if self.flags:
            cmd += ["--flags", self.flags]
        self.stderr = open(os.path.join(self.tmp.name, "stderr"), "w+")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.stderr, text=True)

        def ports():
            if self.proc.poll() is not None:
                raise RuntimeError(f"shopsim exited {self.proc.returncode}: {self.stderr_text()}")
            if not os.path.exists(port_file):
                return None
            with open(port_file) as f:
                values = dict(line.split() for line in f.read().splitlines() if line)
            return values if "PORT" in values and "OFREP_PORT" in values else None

        values = wait_for(ports, 10, what="shopsim port file")
        self.port = int(values["PORT"])
        self.ofrep_port = int(values["OFREP_PORT"])
        return self

    def stderr_text(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        """Signals the process and returns its exit code (kills it after `timeout`)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.stderr.close()
        self.tmp.cleanup()
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- requests -------------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None, port=None, json_body=None):
        """Returns (status, headers dict lowercased, body bytes) on a fresh connection."""
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body)
            headers.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def json(self, method, path, **kw):
        """Returns (status, decoded JSON or None)."""
        status, _, data = self.request(method, path, **kw)
        return status, (json.loads(data) if data else None)

    def ofrep(self, key, body=b'{"context":{}}'):
        return self.json("POST", f"/ofrep/v1/evaluate/flags/{key}", body=body,
                         headers={"Content-Type": "application/json"}, port=self.ofrep_port)

    def stats(self):
        return self.json("GET", "/__stats")[1]

    def reset(self):
        status, _ = self.json("POST", "/__reset")
        assert status == 200


def write_flags(path, flags):
    """Writes a flagd-format file atomically (rename), so shopsim never reads half of it."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(flags if isinstance(flags, str) else json.dumps({"flags": flags}))
    os.replace(tmp, path)


def int_flag(default, **variants):
    return {"state": "ENABLED", "variants": variants, "defaultVariant": default}


def elapsed(fn):
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0
