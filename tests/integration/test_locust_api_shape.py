"""The web API's shapes against a real Locust 2.12 (Debian's python3-locust): the same kind of run
(users requesting the shop simulator's /api/products and a route that fails with 404) is driven
through each tool's web API, and every route's answer is compared: JSON keys and value types
recursively (loadgen may add keys; every Locust key must be there with the same JSON type; int
and float count as one "number" unless every value Locust gave for that key is an int), and the
CSV header rows exactly. The comparison table is printed to the test log. Only 127.0.0.1."""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from harness import LoadgenProcess, free_port, port_open, wait_for
from shop_harness import Shop, shopsim_bin
from test_web import http

LOCUST = shutil.which("locust")

LOCUSTFILE = """\
import random
from locust import HttpUser, constant, task


class ShopUser(HttpUser):
    wait_time = constant(0.05)

    @task(3)
    def products(self):
        self.client.get("/api/products")

    @task(1)
    def missing(self):
        self.client.get("/api/missing")  # 404 on the shop simulator: a failure

    @task(1)
    def broken(self):
        if random.random() < 0.2:
            raise ValueError("a task that throws")  # Locust's /exceptions
"""

QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
         "OTEL_LOGS_EXPORTER": "none"}


def schema(value):
    """Types found at each place of a JSON value: a dict's keys map to their schemas, a list to
    the merged schema of its items, a scalar to the set of its JSON type names."""
    if isinstance(value, dict):
        return {"dict": {k: schema(v) for k, v in value.items()}}
    if isinstance(value, list):
        merged = {"list": None}
        for item in value:
            merged["list"] = merge(merged["list"], schema(item))
        return merged
    name = {bool: "bool", int: "int", float: "float", str: "str", type(None): "null"}[type(value)]
    return {name: True}


def merge(a, b):
    if a is None:
        return b
    out = dict(a)
    for kind, sub in b.items():
        if kind == "dict" and "dict" in out:
            keys = dict(out["dict"])
            for k, v in sub.items():
                keys[k] = merge(keys.get(k), v)
            out["dict"] = keys
        elif kind == "list" and "list" in out:
            out["list"] = merge(out["list"], sub)
        else:
            out[kind] = sub
    return out


def type_names(s):
    return "|".join(sorted(s)) if s else "-"


def compatible(locust_kinds, loadgen_kinds):
    """Every type loadgen gave must be one Locust gives; int and float are one "number" unless
    Locust only ever gave ints there."""
    numbers = {"int", "float"}
    for kind in loadgen_kinds:
        if kind in locust_kinds:
            continue
        if kind in numbers and "float" in locust_kinds:
            continue
        return False
    return True


def compare(route, path, locust, loadgen, rows, problems):
    """Appends (route, key, locust type, loadgen type) rows; problems get the mismatches."""
    rows.append((route, path or "(body)", type_names(locust), type_names(loadgen)))
    if loadgen is None:
        problems.append(f"{route} {path}: missing in loadgen")
        return
    if not compatible(set(locust), set(loadgen)):
        problems.append(f"{route} {path}: Locust {type_names(locust)}, loadgen "
                        f"{type_names(loadgen)}")
    if "dict" in locust and "dict" in loadgen:
        for key in sorted(locust["dict"]):
            compare(route, f"{path}.{key}", locust["dict"][key], loadgen["dict"].get(key), rows,
                    problems)
    if "list" in locust and "list" in loadgen:
        if locust["list"] is None:
            return
        if loadgen["list"] is None:
            rows.append((route, f"{path}[]", type_names(locust["list"]),
                         "(no item in this loadgen run)"))
            return
        compare(route, f"{path}[]", locust["list"], loadgen["list"], rows, problems)


def csv_header(port, path):
    status, _, body = http(port, path)
    assert status == 200, (path, status, body)
    return next(csv.reader(io.StringIO(body)))


def total(s):
    return next(r for r in s["stats"] if r["name"] == "Aggregated")


def drive(port, want_exceptions):
    """The same sequence against either tool: swarm, wait for requests, failures (and Locust's
    exceptions) and a current percentile, then read every route; reset and stop last."""
    answers = {"GET /stats/requests (ready)": json.loads(http(port, "/stats/requests")[2])}
    status, _, body = http(port, "/swarm", "POST", {"user_count": 4, "spawn_rate": 100})
    assert status == 200, body
    answers["POST /swarm"] = json.loads(body)

    def ready():
        status, _, body = http(port, "/stats/requests")
        s = json.loads(body)
        t = total(s)
        ok = (t["num_requests"] >= 40 and t["num_failures"] > 0 and s["errors"]
              and s["current_response_time_percentile_95"] is not None)
        if ok and want_exceptions:
            ok = bool(json.loads(http(port, "/exceptions")[2])["exceptions"])
        return ok

    wait_for(ready, 40, interval=0.5, what="requests, failures and a current percentile")
    time.sleep(2.5)  # Locust memoizes /stats/requests for 2 s: a fresh answer
    answers["GET /stats/requests"] = json.loads(http(port, "/stats/requests")[2])
    answers["GET /exceptions"] = json.loads(http(port, "/exceptions")[2])
    headers = {p: csv_header(port, p)
               for p in ("/stats/requests/csv", "/stats/failures/csv", "/exceptions/csv")}
    status, _, body = http(port, "/stats/reset")
    answers["GET /stats/reset"] = (status, body)
    status, _, body = http(port, "/stop")
    answers["GET /stop"] = json.loads(body)
    return answers, headers


@unittest.skipIf(LOCUST is None, "locust (python3-locust) is not installed")
@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class LocustApiShape(unittest.TestCase):
    def start_locust(self, shop, port):
        home = tempfile.mkdtemp(prefix="locust-home-")
        self.addCleanup(shutil.rmtree, home, True)
        with open(os.path.join(home, "locustfile.py"), "w") as f:
            f.write(LOCUSTFILE)
        env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
        env["HOME"] = home
        log = open(os.path.join(home, "locust.log"), "w+")
        self.addCleanup(log.close)
        proc = subprocess.Popen(
            [LOCUST, "-f", "locustfile.py", "--web-host", "127.0.0.1", "--web-port", str(port),
             "-H", shop.url], cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)

        def stop():
            if proc.poll() is None:
                proc.terminate()  # by PID
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        self.addCleanup(stop)
        try:
            wait_for(lambda: port_open(port), 30, interval=0.2, what="Locust's web port")
        except TimeoutError:
            log.seek(0)
            self.fail("Locust did not start:\n" + log.read()[-3000:])
        return proc

    def start_loadgen(self, shop, port):
        env = dict(shop.env())
        env.update(QUIET)
        proc = LoadgenProcess(["--scenario", "get", "--path", "/api/products", "--path",
                               "/api/products", "--path", "/api/products", "--path",
                               "/api/missing", "-H", shop.url, "--web-host", "127.0.0.1", "-P",
                               str(port), "--wait-time", "constant(0.05)"], extra_env=env)
        self.addCleanup(lambda: proc.proc.returncode is None and proc.wait(1))
        wait_for(lambda: port_open(port), 10, what="loadgen's web port")
        return proc

    def test_routes_have_locusts_keys_types_and_csv_headers(self):
        with Shop() as shop:
            port = free_port()
            self.start_locust(shop, port)
            locust, locust_csv = drive(port, want_exceptions=True)
        with Shop() as shop:
            port = free_port()
            proc = self.start_loadgen(shop, port)
            loadgen, loadgen_csv = drive(port, want_exceptions=False)
            proc.send_signal(2)
            proc.wait(30)

        rows, problems = [], []
        for route in ("GET /stats/requests (ready)", "POST /swarm", "GET /stop",
                      "GET /stats/requests", "GET /exceptions"):
            compare(route, "", schema(locust[route]), schema(loadgen[route]), rows, problems)
        rows.append(("GET /stats/reset", "(status, body)", repr(locust["GET /stats/reset"]),
                     repr(loadgen["GET /stats/reset"])))
        if locust["GET /stats/reset"] != loadgen["GET /stats/reset"]:
            problems.append("GET /stats/reset answers differ")
        for path, header in locust_csv.items():
            rows.append((f"GET {path}", "header row", ",".join(header),
                         ",".join(loadgen_csv[path])))
            if loadgen_csv[path] != header:
                problems.append(f"{path}: header differs")
        width = [max(len(r[i]) for r in rows) for i in range(3)]
        print("\nroute | key | Locust 2.12 type | loadgen type", file=sys.stderr)
        for r in rows:
            print(f"{r[0]:<{width[0]}} | {r[1]:<{width[1]}} | {r[2]:<{width[2]}} | {r[3]}",
                  file=sys.stderr)
        self.assertEqual(problems, [])
        # The swarm answers carry the host each was given.
        self.assertTrue(locust["POST /swarm"]["success"] and loadgen["POST /swarm"]["success"])


if __name__ == "__main__":
    unittest.main()
