#!/usr/bin/python3
"""Regenerates tests/unit/report/golden/* from the real Locust 2.12.1 (Debian python3-locust).

Run: /usr/bin/python3 tests/unit/report/make_golden.py tests/unit/report/golden
The scenario must stay identical to scenario() in report_test.cpp. Values are whole
milliseconds chosen so that Locust's bucket rounding and our histogram agree.
"""
import csv
import io
import os
import sys
import time

import locust.stats as ls

OUT = sys.argv[1]
now = [1000.0]
time.time = lambda: now[0]  # stats.py calls time.time() for every timestamp
ls.STATS_NAME_WIDTH = 80  # what Locust uses when stdout is not a terminal


class HTTPError(Exception):
    pass


class ConnectionError(Exception):  # noqa: A001 - mirrors requests' name in the report
    pass


LONG = "/product/" + "x" * 80 + "?currency=EUR"
CART_ERR = HTTPError("500 Server Error: Internal Server Error for url: http://shop/api/cart")
CONN_ERR = ConnectionError('refused, "again"')


def scenario():
    stats = ls.RequestStats()

    def req(t, method, name, ms, length, err=None):
        now[0] = t
        stats.log_request(method, name, ms, length)
        if err is not None:
            stats.log_error(method, name, err)

    for s in range(1000, 1015):
        req(s + 0.5, "GET", "/", (s % 5 + 1) * 10, 1000 + s % 7)
        req(s + 0.6, "POST", "/api/cart", 120, 0, CART_ERR if s % 3 == 0 else None)
        if s % 2 == 0:
            req(s + 0.7, "GET", LONG, 7, 512)
    req(1013.8, "GET", "/api/cart", 50, 10, CONN_ERR)
    req(1015.2, "GET", "/", 2500, 1000)
    return stats


class Env:
    class Runner:
        user_count = 42
        exceptions = {}

    runner = Runner()


def write(name, text):
    with open(os.path.join(OUT, name), "w", newline="") as f:
        f.write(text)


stats = scenario()
write("stats_current.txt", "\n".join(ls.get_stats_summary(stats, current=True)) + "\n\n")
write("stats_total.txt", "\n".join(ls.get_stats_summary(stats, current=False)) + "\n\n")
write("percentiles.txt", "\n".join(ls.get_percentile_stats_summary(stats)) + "\n\n")
# Locust keeps errors in insertion order; ours are sorted by occurrences (same here).
write("errors.txt", "\n".join(ls.get_error_report_summary(stats)) + "\n")

env = Env()
env.stats = stats
sc = ls.StatsCSV(env, ls.PERCENTILES_TO_REPORT)
buf = io.StringIO()
sc.requests_csv(csv.writer(buf))
write("stats.csv", buf.getvalue())

rows = []


class Collect:
    def writerow(self, r):
        rows.append(list(r))


sc._failures_data_rows(Collect())
rows.sort(key=lambda r: -r[3])  # Locust orders by sha256 key; we order by occurrences
buf = io.StringIO()
w = csv.writer(buf)
w.writerow(sc.failures_columns)
for r in rows:
    w.writerow(r)
write("failures.csv", buf.getvalue())

fw = ls.StatsCSVFileWriter.__new__(ls.StatsCSVFileWriter)
ls.StatsCSV.__init__(fw, env, ls.PERCENTILES_TO_REPORT)
fw.full_history = False
buf = io.StringIO()
w = csv.writer(buf)
w.writerow(
    ["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"]
    + ls.get_readable_percentiles(ls.PERCENTILES_TO_REPORT)
    + ["Total Request Count", "Total Failure Count", "Total Median Response Time",
       "Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
       "Total Average Content Size"]
)
fw._stats_history_data_rows(w, 1016.4)
write("stats_history.csv", buf.getvalue())

# Newer Locust's --json / --json-file: json.dumps(stats.serialize_stats(), indent=4). Last:
# serialize_stats() resets the entries it reports (get_stripped_report).
import json  # noqa: E402

write("serialize_stats.json", json.dumps(stats.serialize_stats(), indent=4) + "\n")
