#!/usr/bin/python3
"""Turns bench/lib/measure.py results and tool outputs into printed tables.

  report.py vs-wrk WORKDIR DURATION CONNECTIONS
  report.py idle-memory WORKDIR USERS
"""

import json
import os
import re
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def parse_wrk(text):
    m = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", text)
    if not m:
        return None
    n = int(m.group(1))
    dur = float(m.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[m.group(3)]
    errors = 0
    e = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if e:
        errors += sum(int(x) for x in e.groups())
    e = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if e:
        errors += int(e.group(1))
    return {"requests": n, "duration": dur, "errors": errors}


def parse_loadgen_json(path, duration):
    # Locust's serialize_stats() list: one entry per request name (no aggregate), summed.
    entries = [e for e in load(path) if e.get("name") != "Aggregated"]
    n = sum(int(e["num_requests"]) for e in entries)
    last = max((float(e.get("last_request_timestamp") or 0) for e in entries), default=0.0)
    first = min((float(e.get("start_time") or 0) for e in entries), default=0.0)
    span = last - first
    if not (0.5 * duration <= span <= 2 * duration):
        span = float(duration)
    return {"requests": n, "duration": span,
            "errors": sum(int(e.get("num_failures", 0)) for e in entries)}


def vs_wrk(workdir, duration, connections):
    duration = float(duration)
    rows = {}
    # wrk and loadgen always; the scenario-file rows when vs-wrk ran with --files.
    for tool in ("wrk", "loadgen", "wrk-lua", "loadgen-yaml", "loadgen-lua"):
        measure = os.path.join(workdir, f"{tool}.measure.json")
        if tool not in ("wrk", "loadgen") and not os.path.exists(measure):
            continue
        meas = load(measure)
        if tool.startswith("wrk"):
            with open(os.path.join(workdir, f"{tool}.out")) as f:
                counts = parse_wrk(f.read())
        else:
            try:
                counts = parse_loadgen_json(os.path.join(workdir, f"{tool}.json"), duration)
            except (OSError, ValueError):
                counts = None
        if counts is None:
            print(f"could not read {tool}'s request count (exit code {meas['rc']})")
            return 1
        cpu = meas["user_s"] + meas["sys_s"]
        rows[tool] = {
            "tool": tool, "requests": counts["requests"], "errors": counts["errors"],
            "rps": counts["requests"] / counts["duration"] if counts["duration"] else 0.0,
            "user": meas["user_s"], "sys": meas["sys_s"], "cpu": cpu,
            "per_cpu": counts["requests"] / cpu if cpu > 0 else 0.0,
            "rss": meas["maxrss_kb"], "rc": meas["rc"],
        }
    print()
    print(f"vs-wrk: {int(connections)} connections, {duration:g} s, generator on CPU 1, "
          f"nginx on CPU 0")
    hdr = (f"{'tool':<13} {'requests':>10} {'errors':>7} {'req/s':>10} {'user s':>7} "
           f"{'sys s':>7} {'CPU s':>7} {'req/CPU-s':>10} {'peak RSS KB':>12}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows.values():
        print(f"{r['tool']:<13} {r['requests']:>10} {r['errors']:>7} {r['rps']:>10.0f} "
              f"{r['user']:>7.2f} {r['sys']:>7.2f} {r['cpu']:>7.2f} {r['per_cpu']:>10.0f} "
              f"{r['rss']:>12}")

    def ratio(a, b, key="per_cpu"):
        return rows[a][key] / rows[b][key] if rows[b][key] else 0.0

    print()
    print(f"loadgen/wrk requests per CPU-second: {ratio('loadgen', 'wrk'):.3f}")
    print(f"loadgen/wrk requests per second:     {ratio('loadgen', 'wrk', 'rps'):.3f}")
    if "loadgen-yaml" in rows:
        print(f"yaml/built-in requests per CPU-second: {ratio('loadgen-yaml', 'loadgen'):.3f}")
    if "loadgen-lua" in rows:
        print(f"lua/built-in requests per CPU-second:  {ratio('loadgen-lua', 'loadgen'):.3f}")
        if "wrk-lua" in rows:
            print(f"lua/wrk-lua requests per CPU-second:   {ratio('loadgen-lua', 'wrk-lua'):.3f}")
    errors = {t: r["errors"] for t, r in rows.items() if r["errors"]}
    if errors:
        print(f"warning: errors seen ({', '.join(f'{t} {n}' for t, n in errors.items())})")
    return 0


def idle_memory(workdir, users):
    users = int(users)
    base = load(os.path.join(workdir, "baseline.measure.json"))
    full = load(os.path.join(workdir, "full.measure.json"))
    print()
    hdr = f"{'run':<10} {'users':>7} {'VmRSS sample KB':>16} {'sampled at s':>13} {'peak RSS KB':>12} {'exit':>5}"
    print(hdr)
    print("-" * len(hdr))
    for name, n, m in (("baseline", 1, base), ("full", users, full)):
        at = m["rss_sampled_after_s"]
        print(f"{name:<10} {n:>7} {str(m['rss_sample_kb']):>16} "
              f"{(f'{at:.1f}' if at is not None else '-'):>13} {m['maxrss_kb']:>12} {m['rc']:>5}")
    if base["rss_sample_kb"] is None or full["rss_sample_kb"] is None:
        print("could not sample VmRSS (did loadgen exit early?)")
        return 1
    per_user = (full["rss_sample_kb"] - base["rss_sample_kb"]) * 1024 / (users - 1)
    print()
    print(f"idle memory per user: {per_user:.0f} bytes "
          f"((RSS_{users} - RSS_1) / {users - 1})")
    return 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "vs-wrk":
        return vs_wrk(argv[2], argv[3], argv[4])
    if len(argv) >= 4 and argv[1] == "idle-memory":
        return idle_memory(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
