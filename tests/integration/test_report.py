"""The HTML report (--html FILE, GET /stats/report) and slow traces per request name
(GET /stats/slow_traces, --trace-link) against the shop simulator: the report's tables hold
the --csv file's numbers, it is written on the run-time, SIGTERM and web-quit paths, an
unwritable path is a start-up error, the download is an attachment, and each slow trace is the
slowest request of its name, whose exported CLIENT span lasted exactly its response time. Only
127.0.0.1."""
import csv
import html.parser
import io
import json
import os
import re
import signal
import unittest
import urllib.error
import urllib.parse
import urllib.request

from harness import LoadgenProcess, LoadgenTestCase, Outputs, free_port, wait_for
from shop_harness import Shop, shopsim_bin

QUIET = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
         "OTEL_LOGS_EXPORTER": "none"}
CSV_NUMBER_COLUMNS = ["Request Count", "Failure Count", "Median Response Time",
                      "Average Response Time", "Min Response Time", "Max Response Time",
                      "Average Content Size", "Requests/s", "Failures/s"]
SHARED_PERCENTILES = ["50%", "80%", "90%", "95%", "99%", "99.9%", "99.99%", "100%"]


class ReportParser(html.parser.HTMLParser):
    """Tables by id (rows of cell texts, the header row's data-csv names), svg ids, tags seen,
    trace links."""

    def __init__(self):
        super().__init__()
        self.tables, self.csv_names, self.svgs, self.tags, self.links = {}, {}, [], set(), []
        self.table = None
        self.row = None
        self.cell = None
        self.exact = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "table":
            self.table = a.get("id")
            self.tables[self.table] = []
            self.csv_names[self.table] = []
        elif tag == "tr" and self.table:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""
            self.exact = a.get("data-value")
            if tag == "th" and not self.tables[self.table]:
                self.csv_names[self.table].append(a.get("data-csv"))
        elif tag == "svg":
            self.svgs.append(a.get("id"))
        elif tag == "a" and "trace-link" in (a.get("class") or ""):
            self.links.append(a.get("href"))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            if self.exact is not None:
                # Shown rounded to 2 decimals; the CSV's exact text is in data-value.
                assert self.cell == f"{float(self.exact):.2f}", (self.cell, self.exact)
                self.cell = self.exact
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.table].append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def parse_report(text):
    p = ReportParser()
    p.feed(text)
    p.close()
    return p


def http(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def requests_seen(port):
    try:
        status, _, body = http(port, "/stats/requests")
    except OSError:  # not listening yet
        return 0
    if status != 200:
        return 0
    return next(r for r in json.loads(body)["stats"] if r["name"] == "Aggregated")["num_requests"]


@unittest.skipIf(shopsim_bin() is None, "shopsim not built (set SHOPSIM_BIN)")
class Report(LoadgenTestCase):
    def check_report_equals_csv(self, html_path, out):
        with open(html_path) as f:
            text = f.read()
        p = parse_report(text)
        for tag in ("script", "link", "img", "iframe"):
            self.assertNotIn(tag, p.tags, "the report is self-contained")
        self.assertNotIn("http://cdn", text)
        for t in ("summary", "requests", "response-times", "failures", "exceptions"):
            self.assertIn(t, p.tables)
        self.assertEqual(p.svgs, ["chart-requests", "chart-response-times", "chart-users"])
        _, csv_rows = out.stats()
        self.assertGreater(len(csv_rows), 1)
        html_rows = {(r[0], r[1]): r for r in p.tables["requests"][1:]}
        html_pct = {(r[0], r[1]): r for r in p.tables["response-times"][1:]}
        self.assertEqual(set(html_rows), {(r["Type"], r["Name"]) for r in csv_rows})
        req_cols, pct_cols = p.csv_names["requests"], p.csv_names["response-times"]
        for row in csv_rows:
            key = (row["Type"], row["Name"])
            for col in CSV_NUMBER_COLUMNS:
                self.assertEqual(html_rows[key][req_cols.index(col)], row[col], (key, col))
            for col in SHARED_PERCENTILES:
                self.assertEqual(html_pct[key][pct_cols.index(col)], row[col], (key, col))
        _, failures = out.failures()
        self.assertEqual(len(p.tables["failures"]) - 1, len(failures))
        summary = {r[0]: r[1] for r in p.tables["summary"]}
        self.assertIn("127.0.0.1", summary["Target host"])
        self.assertEqual(summary["Scenario"], "astronomy-shop")
        return p

    def report_outputs(self):
        """(Outputs, --html path in its folder, loadgen arguments for both)."""
        out = Outputs()
        self.addCleanup(out.cleanup)
        html_path = os.path.join(out.dir, "report.html")
        return out, html_path, ["--html", html_path] + out.args()

    def test_headless_run_time_writes_the_report_with_the_csv_numbers(self):
        out, html_path, args = self.report_outputs()
        with Shop() as shop:
            res = shop.loadgen(4, "3s", extra=args, extra_env=QUIET).wait(60)
        self.assertExit(res, 0)
        self.check_report_equals_csv(html_path, out)
        with open(html_path) as f:
            self.assertIn("<path d=\"M", f.read(), "the charts draw the run's history")

    def test_sigterm_writes_the_report(self):
        out, html_path, args = self.report_outputs()
        with Shop() as shop:
            proc = shop.loadgen(3, "60s", extra=args, extra_env=QUIET)
            wait_for(lambda: shop.requests_total() >= 20 or proc.proc.poll() is not None, 20,
                     what="20 requests")
            self.assertIsNone(proc.proc.poll(), "loadgen exited before the signal")
            proc.send_signal(signal.SIGTERM)
            res = proc.wait(20)
        self.assertExit(res, 0)
        self.check_report_equals_csv(html_path, out)

    def test_unwritable_path_is_a_start_up_error(self):
        with Shop() as shop:
            res = shop.loadgen(1, "2s", extra=["--html", "/nonexistent-dir/r.html"],
                               extra_env=QUIET).wait(30)
            self.assertExit(res, 2)
            self.assertIn("--html", res.stderr)
            self.assertIn("/nonexistent-dir/r.html", res.stderr)
            self.assertEqual(shop.requests_total(), 0)
        res = LoadgenProcess(["--headless", "--trace-link", "http://jaeger/trace/"]).wait(30)
        self.assertExit(res, 2)
        self.assertIn("--trace-link", res.stderr + res.stdout)

    def test_a_report_lost_at_the_end_is_exit_3(self):
        out = Outputs()
        self.addCleanup(out.cleanup)
        folder = os.path.join(out.dir, "reports")
        os.mkdir(folder)
        with Shop() as shop:
            proc = shop.loadgen(2, "60s", extra=["--html", os.path.join(folder, "r.html")],
                                extra_env=QUIET)
            wait_for(lambda: shop.requests_total() >= 5 or proc.proc.poll() is not None, 20,
                     what="5 requests")
            os.rmdir(folder)  # writable at start-up, gone at the end
            proc.send_signal(signal.SIGTERM)
            res = proc.wait(20)
        self.assertExit(res, 3)
        self.assertIn("--html: cannot write", res.stderr)
        self.assertIn("Response time percentiles", res.stderr, "the summary is still printed")

    def start_web(self, shop, port, extra, env, requests=20):
        args = ["--scenario", "astronomy-shop", "-H", shop.url, "--web-host", "127.0.0.1",
                "-P", str(port), "--wait-time", "constant(0.05)", "--autostart", "-u", "4",
                "-r", "100"] + list(extra)
        full_env = dict(shop.env())
        full_env.update(env)
        proc = LoadgenProcess(args, extra_env=full_env)
        self.addCleanup(lambda: proc.proc.returncode is None and proc.wait(1))
        wait_for(lambda: requests_seen(port) > requests or proc.proc.poll() is not None, 20,
                 what="requests in /stats/requests")
        self.assertIsNone(proc.proc.poll(), "loadgen exited early")
        return proc

    def test_web_report_route_download_and_html_on_quit(self):
        port = free_port()
        out, html_path, args = self.report_outputs()
        with Shop() as shop:
            proc = self.start_web(shop, port, args, QUIET)
            status, headers, body = http(port, "/stats/report")
            self.assertEqual(status, 200)
            self.assertTrue(headers["Content-Type"].startswith("text/html"))
            self.assertIsNone(headers.get("Content-Disposition"))
            p = parse_report(body)
            self.assertGreater(len(p.tables["requests"]), 2)
            self.assertEqual(len(p.svgs), 3)
            summary = {r[0]: r[1] for r in p.tables["summary"]}
            self.assertEqual((summary["Users"], summary["Spawn rate"]), ("4", "100/s"))
            # A change from the API shows in the run parameters (the peak users, the latest rate).
            req = urllib.request.Request(f"http://127.0.0.1:{port}/swarm", method="POST",
                                         data=b"user_count=6&spawn_rate=50")
            with urllib.request.urlopen(req, timeout=10) as r:
                self.assertTrue(json.loads(r.read())["success"])
            wait_for(lambda: json.loads(http(port, "/stats/requests")[2])["user_count"] == 6, 20,
                     what="6 users")
            summary = {r[0]: r[1] for r in parse_report(http(port, "/stats/report")[2])
                       .tables["summary"]}
            self.assertEqual((summary["Users"], summary["Spawn rate"]), ("6", "50/s"))
            status, headers, body = http(port, "/stats/report?download=1")
            self.assertEqual(status, 200)
            self.assertRegex(headers["Content-Disposition"],
                             r'^attachment; filename="loadgen_report_\d+\.html"$')
            self.assertIn("<table id=\"requests\">", body)
            # Tracing off: no request has a trace id.
            self.assertEqual(json.loads(http(port, "/stats/slow_traces")[2]),
                             {"link_template": "", "traces": []})
            proc.send_signal(signal.SIGTERM)
            res = proc.wait(20)
        self.assertExit(res, 0)
        self.check_report_equals_csv(html_path, out)

    def test_slow_traces_are_exported_slow_requests(self):
        port = free_port()
        out = Outputs()
        self.addCleanup(out.cleanup)
        spans_path = os.path.join(out.dir, "spans.jsonl")
        env = {"LOADGEN_OTLP_TRACES_FILE": spans_path, "OTEL_METRICS_EXPORTER": "none",
               "OTEL_LOGS_EXPORTER": "none", "OTEL_BSP_SCHEDULE_DELAY": "300"}
        link = "http://jaeger.test:16686/trace/{trace_id}"
        with Shop() as shop:
            proc = self.start_web(shop, port, ["--trace-link", link], env, requests=300)
            self.assertEqual(http(port, "/stop")[0], 200)
            wait_for(lambda: json.loads(http(port, "/stats/requests")[2])["state"] == "stopped",
                     20, what="the stop")
            # A snapshot after the stop holds every request (the next collection); the slow
            # traces, the CSV and the report are read from one snapshot.
            slow, csv_text, report = wait_for(lambda: self.complete_slow_traces(port), 10,
                                              what="slow traces")
            proc.send_signal(signal.SIGTERM)
            res = proc.wait(20)
        self.assertExit(res, 0)
        self.assertEqual(slow["link_template"], link)
        max_ms = {(r["Type"], r["Name"]): float(r["Max Response Time"])
                  for r in csv.DictReader(io.StringIO(csv_text)) if r["Name"] != "Aggregated"}
        spans = self.client_spans(spans_path)
        self.assertGreater(len(slow["traces"]), 2)
        for t in slow["traces"]:
            self.assertRegex(t["trace_id"], r"^[0-9a-f]{32}$")
            key = (t["method"], t["name"])
            # The slowest counted request of its name (every request is traced and sampled,
            # and the run is shorter than the 10 s window).
            self.assertEqual(t["response_time"], max_ms[key], t)
            # One of the trace's CLIENT spans of that name is that request: it lasted exactly
            # the response time the stats counted (whole microseconds there).
            mine = [s["ns"] for s in spans if (s["method"], s["name"]) == key
                    and s["trace_id"] == t["trace_id"]]
            self.assertTrue(mine, f"{t} is not among the exported CLIENT spans of its name")
            us = round(t["response_time"] * 1000)
            self.assertIn(us, [ns // 1000 for ns in mine], t)
            self.assertIn(link.replace("{trace_id}", t["trace_id"]), parse_report(report).links)

    def complete_slow_traces(self, port):
        """(/stats/slow_traces, /stats/requests/csv, /stats/report) of one stats snapshot, once
        the slow traces cover every request name of the CSV; None before."""
        traces = json.loads(http(port, "/stats/slow_traces")[2])
        csv_text = http(port, "/stats/requests/csv")[2]
        report = http(port, "/stats/report")[2]
        if json.loads(http(port, "/stats/slow_traces")[2]) != traces:
            return None  # a newer snapshot came in between
        names = {(r["Type"], r["Name"]) for r in csv.DictReader(io.StringIO(csv_text))
                 if r["Name"] != "Aggregated"}
        if {(t["method"], t["name"]) for t in traces["traces"]} != names:
            return None
        return traces, csv_text, report

    @staticmethod
    def client_spans(path):
        """CLIENT spans of the OTLP/JSON lines file: method, request name (path?query of
        url.full), trace id, duration in ns."""
        out = []
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                for rs in json.loads(line).get("resourceSpans", []):
                    for ss in rs["scopeSpans"]:
                        for s in ss["spans"]:
                            if s.get("kind") != 3:
                                continue
                            attrs = {a["key"]: a["value"] for a in s.get("attributes", [])}
                            url = urllib.parse.urlsplit(attrs["url.full"]["stringValue"])
                            name = url.path + ("?" + url.query if url.query else "")
                            ns = int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])
                            method = attrs["http.request.method"]["stringValue"]
                            out.append({"method": method, "name": name, "trace_id": s["traceId"],
                                        "ns": ns})
        return out


if __name__ == "__main__":
    unittest.main()
