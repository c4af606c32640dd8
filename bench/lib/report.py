#!/usr/bin/python3
"""Turns bench/lib/measure.py results and tool outputs into printed tables.

  report.py vs-wrk WORKDIR DURATION CONNECTIONS [REPS]
  report.py profile WORKDIR TOOL...
  report.py many-users WORKDIR RUN_TIME
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


def parse_spans(*paths):
    """loadgen's summary `Spans: N exported, M dropped, ...` line (stdout or stderr)."""
    for path in paths:
        try:
            with open(path, errors="replace") as f:
                m = re.search(r"^Spans: (\d+) exported, (\d+) dropped", f.read(), re.M)
        except OSError:
            continue
        if m:
            return int(m.group(1)), int(m.group(2))
    return None


def parse_perf_stat(path):
    """`perf stat -x,` output: {event: value} (times in seconds); None without the file."""
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    out = {}
    for line in lines:
        parts = line.split(",")
        if len(parts) < 3 or line.startswith("#"):
            continue
        try:
            value = float(parts[0])
        except ValueError:
            continue  # <not counted>, <not supported>
        event, unit = parts[2], parts[1]
        if unit == "ns":
            value /= 1e9
        elif unit == "msec":
            value /= 1e3
        out[event] = value
    return out


def median(v):
    v = sorted(v)
    n = len(v)
    if not n:
        return 0.0
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def one_run(workdir, tool, rep, duration):
    """One run's figures, or None when its request count cannot be read."""
    rid = f"{tool}.{rep}"
    meas = load(os.path.join(workdir, f"{rid}.measure.json"))
    if tool.startswith("wrk"):
        with open(os.path.join(workdir, f"{rid}.out")) as f:
            counts = parse_wrk(f.read())
    else:
        try:
            counts = parse_loadgen_json(os.path.join(workdir, f"{rid}.json"), duration)
        except (OSError, ValueError):
            counts = None
    if counts is None:
        print(f"could not read {tool}'s request count in repetition {rep} (exit code {meas['rc']})")
        return None
    cpu = meas["user_s"] + meas["sys_s"]
    run = {
        "requests": counts["requests"], "errors": counts["errors"],
        "rps": counts["requests"] / counts["duration"] if counts["duration"] else 0.0,
        "user": meas["user_s"], "sys": meas["sys_s"], "cpu": cpu,
        "per_cpu": counts["requests"] / cpu if cpu > 0 else 0.0,
        "kernel": meas["sys_s"] / cpu if cpu > 0 else 0.0,
        "rss": meas["maxrss_kb"], "rc": meas["rc"], "timed_out": meas.get("timed_out"),
        "spans": parse_spans(os.path.join(workdir, f"{rid}.out"),
                             os.path.join(workdir, f"{rid}.err")),
        "perf": parse_perf_stat(os.path.join(workdir, f"{rid}.perfstat")),
    }
    perf = run["perf"]
    if perf and perf.get("user_time") is not None and perf.get("system_time") is not None:
        total = perf["user_time"] + perf["system_time"]
        run["perf_kernel"] = perf["system_time"] / total if total > 0 else None
        cs = perf.get("context-switches")
        run["cs_per_k"] = (cs * 1000.0 / counts["requests"]
                           if cs is not None and counts["requests"] else None)
    return run


def vs_wrk(workdir, duration, connections, reps="1"):
    duration = float(duration)
    reps = int(reps)
    with open(os.path.join(workdir, "tools.txt")) as f:
        tools = [t for t in f.read().split() if t]
    runs = {}
    for tool in tools:
        runs[tool] = []
        for rep in range(1, reps + 1):
            if not os.path.exists(os.path.join(workdir, f"{tool}.{rep}.measure.json")):
                continue
            r = one_run(workdir, tool, rep, duration)
            if r is None:
                return 1
            runs[tool].append(r)
    if not runs.get("wrk"):
        print("no wrk run to compare with")
        return 1

    def med(tool, key):
        vals = [r[key] for r in runs[tool] if r.get(key) is not None]
        return median(vals) if vals else None

    def spread(tool, key, fmt="{:.0f}"):
        vals = [r[key] for r in runs[tool] if r.get(key) is not None]
        return (fmt.format(min(vals)) + "-" + fmt.format(max(vals))) if vals else "-"

    print()
    print(f"vs-wrk: {int(connections)} connections, {duration:g} s, {reps} interleaved "
          f"repetition(s), generator on CPU 1, nginx on CPU 0")
    hdr = (f"{'tool':<15} {'runs':>4} {'req/CPU-s':>10} {'(min-max)':>15} {'x wrk':>6} "
           f"{'(min-max)':>11} {'req/s':>8} {'CPU s':>6} {'peak RSS KB':>11} {'errors':>6}")
    print(hdr)
    print("-" * len(hdr))
    wrk_med = med("wrk", "per_cpu")
    for tool in tools:
        if not runs[tool]:
            continue
        pc = med(tool, "per_cpu")
        ratios = [r["per_cpu"] / wrk_med for r in runs[tool]] if wrk_med else [0.0]
        print(f"{tool:<15} {len(runs[tool]):>4} {pc:>10.0f} {spread(tool, 'per_cpu'):>15} "
              f"{pc / wrk_med if wrk_med else 0:>6.3f} "
              f"{min(ratios):>5.2f}-{max(ratios):<5.2f} {med(tool, 'rps'):>8.0f} "
              f"{med(tool, 'cpu'):>6.2f} {med(tool, 'rss'):>11.0f} "
              f"{sum(r['errors'] for r in runs[tool]):>6}")

    print()
    print("profile split (medians): kernel share of CPU from rusage (utime/stime) and from "
          "perf stat (user_time/system_time); context switches per 1,000 requests; spans "
          "(loadgen's Spans: line)")
    hdr = (f"{'tool':<15} {'kernel %':>8} {'user %':>7} {'perf kernel %':>13} "
           f"{'ctx-sw/1k req':>13} {'spans exported':>14} {'dropped/run':>11} {'(min-max)':>15}")
    print(hdr)
    print("-" * len(hdr))
    for tool in tools:
        if not runs[tool]:
            continue
        k = med(tool, "kernel")
        pk = med(tool, "perf_kernel")
        cs = med(tool, "cs_per_k")
        spans = [r["spans"] for r in runs[tool] if r["spans"] is not None]
        if spans:
            exported = f"{median([s[0] for s in spans]):.0f}"
            dropped = f"{median([s[1] for s in spans]):.0f}"
            drange = f"{min(s[1] for s in spans)}-{max(s[1] for s in spans)}"
        else:
            exported = dropped = drange = "-"
        print(f"{tool:<15} {k * 100:>8.1f} {(1 - k) * 100:>7.1f} "
              f"{(f'{pk * 100:.1f}' if pk is not None else '-'):>13} "
              f"{(f'{cs:.2f}' if cs is not None else '-'):>13} {exported:>14} {dropped:>11} "
              f"{drange:>15}")

    print()
    print("ratios of requests per CPU-second to wrk's median (each run's, median and min-max):")
    loadgen_tools = [t for t in tools if t.startswith("loadgen") and runs[t]]
    for tool in loadgen_tools:
        ratios = [r["per_cpu"] / wrk_med for r in runs[tool]]
        print(f"  {tool + '/wrk':<22} {median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})")

    def ratio(a, b, key="per_cpu"):
        x, y = med(a, key), med(b, key)
        return x / y if x is not None and y else 0.0

    builtin = [t for t in ("loadgen-off", "loadgen-traced", "loadgen-all", "loadgen-file")
               if runs.get(t)]
    if len(builtin) == 1:
        # The single-mode interface of bench/before-after (BENCH_TRACING=MODE): one line it reads.
        print()
        print(f"loadgen/wrk requests per CPU-second: {ratio(builtin[0], 'wrk'):.3f}")
        print(f"loadgen/wrk requests per second:     {ratio(builtin[0], 'wrk', 'rps'):.3f}")
    if runs.get("loadgen-off"):
        if runs.get("loadgen-yaml"):
            print(f"yaml/built-in requests per CPU-second: {ratio('loadgen-yaml', 'loadgen-off'):.3f}")
        if runs.get("loadgen-lua"):
            print(f"lua/built-in requests per CPU-second:  {ratio('loadgen-lua', 'loadgen-off'):.3f}")
    if runs.get("loadgen-lua") and runs.get("wrk-lua"):
        print(f"lua/wrk-lua requests per CPU-second:   {ratio('loadgen-lua', 'wrk-lua'):.3f}")
    errors = {t: sum(r["errors"] for r in runs[t]) for t in tools if runs[t]}
    errors = {t: n for t, n in errors.items() if n}
    if errors:
        print(f"warning: errors seen ({', '.join(f'{t} {n}' for t, n in errors.items())})")
    bad = [t for t in tools for r in runs[t] if r["rc"] not in (0, None) or r["timed_out"]]
    if bad:
        print(f"warning: non-zero exit or timeout in: {', '.join(sorted(set(bad)))}")
    # The last repetition's summary lines of each loadgen mode.
    for tool in loadgen_tools:
        rep = len(runs[tool])
        for name in (f"{tool}.{rep}.out", f"{tool}.{rep}.err"):
            try:
                with open(os.path.join(workdir, name), errors="replace") as f:
                    for line in f:
                        if re.match(r"^(Spans|Log records|Metrics):", line):
                            print(f"{tool}: {line.rstrip()}")
            except OSError:
                pass
    return 0


def profile(workdir, *tools):
    """Kernel/user split of the perf-record samples, and loadgen's top user-space symbols."""
    import subprocess

    def report(data, *args):
        res = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", *args],
                             capture_output=True, text=True, timeout=300)
        return res.stdout

    print()
    print("profile (perf record -e cpu-clock -F 999 -g, one run each)")
    for tool in tools:
        data = os.path.join(workdir, f"{tool}.perf.data")
        if not os.path.exists(data):
            print(f"{tool}: no perf data")
            continue
        kernel = user = 0.0
        for line in report(data, "--sort", "dso", "-g", "none").splitlines():
            m = re.match(r"\s*([\d.]+)%\s+(\S.*)$", line)
            if not m:
                continue
            if m.group(2).startswith("[kernel"):
                kernel += float(m.group(1))
            else:
                user += float(m.group(1))
        print(f"{tool}: samples in the kernel {kernel:.1f} %, in user space {user:.1f} %")
        if tool.startswith("loadgen"):
            print(f"  top user-space symbols of {tool} (share of all its samples):")
            shown = 0
            for line in report(data, "--sort", "dso,sym", "-g", "none").splitlines():
                m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[\.\]\s+(.*)$", line)
                if m and shown < 20:
                    print(f"    {float(m.group(1)):5.2f} %  {m.group(3).strip()[:90]}  ({m.group(2)})")
                    shown += 1
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


def many_users(workdir, run_time):
    """bench/many-users: per-user memory, fds, request rate and CPU; 1,000,000 users on paper."""
    run_time = float(run_time)
    with open(os.path.join(workdir, "runs.txt")) as f:
        runs = [line.split() for line in f if line.strip()]
    base = load(os.path.join(workdir, "baseline.measure.json"))
    base_rss = base["rss_sample_kb"]
    base_fds = base.get("max_fds") or 0
    rows = []
    for name, n, rate in runs:
        if name == "baseline":
            continue
        n = int(n)
        m = load(os.path.join(workdir, f"{name}.measure.json"))
        series = []
        try:
            with open(os.path.join(workdir, f"{name}.series")) as f:
                series = [json.loads(line) for line in f if line.strip()]
        except (OSError, ValueError):
            pass
        at = m["rss_sampled_after_s"]
        fds_at = None
        if at is not None and series:
            fds_at = min(series, key=lambda e: abs(e["t"] - at)).get("fds")
        requests = failures = 0
        per_sec = {}
        try:
            for e in load(os.path.join(workdir, f"{name}.json")):
                if e.get("name") == "Aggregated":
                    continue
                requests += int(e["num_requests"])
                failures += int(e.get("num_failures", 0))
                for sec, c in (e.get("num_reqs_per_sec") or {}).items():
                    per_sec[int(sec)] = per_sec.get(int(sec), 0) + int(c)
        except (OSError, ValueError):
            pass
        # Steady rate: the whole seconds after the ramp (and a second of slack), minus the last.
        secs = sorted(per_sec)
        skip = int(m["rss_pattern_seen_after_s"] or 0) + 2
        steady = secs[skip:-1] if len(secs) > skip + 1 else secs
        rps = sum(per_sec[s] for s in steady) / len(steady) if steady else 0.0
        text = ""
        for suffix in ("out", "err"):
            try:
                with open(os.path.join(workdir, f"{name}.{suffix}"), errors="replace") as f:
                    text += f.read()
            except OSError:
                pass
        fd_msgs = sorted(set(re.findall(r"[^\n]*(?:[Tt]oo many open files|EMFILE|open-files limit"
                                        r"|needs about \d+ open files)[^\n]*", text)))
        limit = m.get("nofile_limit")
        max_fds = m.get("max_fds") or 0
        hit = bool(fd_msgs) and (failures > 0 or (limit and max_fds >= 0.98 * limit))
        if limit and max_fds >= 0.98 * limit:
            hit = True
        cpu = m["user_s"] + m["sys_s"]
        rss = m["rss_sample_kb"]
        rows.append({
            "name": name, "n": n, "spawn_rate": int(rate), "spawn_s": m["rss_pattern_seen_after_s"],
            "rss_kb": rss, "bytes_per_user": ((rss - base_rss) * 1024 / (n - 1))
            if rss is not None and base_rss is not None and n > 1 else None,
            "fds_at": fds_at, "max_fds": max_fds, "limit": limit, "requests": requests,
            "failures": failures, "rps": rps, "cpu": cpu,
            "cpu_us_per_req": cpu * 1e6 / requests if requests else None,
            "rc": m["rc"], "timed_out": m["timed_out"], "wall": m["wall_s"], "fd_msgs": fd_msgs,
            "hit_limit": hit,
        })

    print()
    print(f"many-users: users waiting between(1,10) against one nginx, {run_time:g} s per run; "
          f"baseline (1 user): VmRSS {base_rss} KB, {base_fds} fds")
    hdr = (f"{'users':>7} {'spawn s':>7} {'VmRSS KB':>9} {'B/user':>7} {'fds':>7} {'max fds':>7} "
           f"{'limit':>6} {'req/s':>7} {'(ideal)':>7} {'requests':>9} {'failed':>8} "
           f"{'CPU s':>6} {'CPU us/req':>10} {'exit':>4}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        bpu = f"{r['bytes_per_user']:.0f}" if r["bytes_per_user"] is not None else "-"
        sp = f"{r['spawn_s']:.1f}" if r["spawn_s"] is not None else "never"
        cpr = f"{r['cpu_us_per_req']:.1f}" if r["cpu_us_per_req"] is not None else "-"
        rc = "T/O" if r["timed_out"] else str(r["rc"])
        print(f"{r['n']:>7} {sp:>7} {str(r['rss_kb']):>9} {bpu:>7} {str(r['fds_at']):>7} "
              f"{r['max_fds']:>7} {str(r['limit']):>6} {r['rps']:>7.0f} {r['n'] / 5.5:>7.0f} "
              f"{r['requests']:>9} {r['failures']:>8} {r['cpu']:>6.2f} {cpr:>10} {rc:>4}")
    print("(ideal req/s: users / 5.5 s, the mean of between(1,10); fds and VmRSS sampled "
          "after all users spawned; B/user = (VmRSS_N - VmRSS_1) / (N - 1))")
    for r in rows:
        if r["timed_out"]:
            print(f"{r['n']} users: TIMED OUT after {r['wall']:.0f} s (killed)")
        if r["hit_limit"]:
            print(f"{r['n']} users: HIT THE OPEN-FILE LIMIT: up to {r['max_fds']} fds open, limit "
                  f"{r['limit']}; {r['failures']} failed requests. loadgen said:")
            for msg in r["fd_msgs"][:3]:
                print(f"    {msg.strip()[:160]}")
        elif r["spawn_s"] is None:
            print(f"{r['n']} users: never logged 'All users spawned' within {run_time:g} s")

    ok = [r for r in rows if not r["hit_limit"] and not r["timed_out"] and r["bytes_per_user"]]
    if not ok:
        print()
        print("1,000,000 users on paper: no run below the open-file limit to extrapolate from")
        return 0
    ref = max(ok, key=lambda r: r["n"])
    million = 1_000_000
    mem_gb = (base_rss * 1024 + ref["bytes_per_user"] * million) / 1e9
    fds_per_user = ((ref["fds_at"] or 0) - base_fds) / ref["n"]
    rate = million / 5.5
    cores = rate * (ref["cpu_us_per_req"] or 0) / 1e6
    print()
    print(f"1,000,000 users on paper (from the {ref['n']}-user run, the largest within the limits):")
    print(f"  memory: {ref['bytes_per_user']:.0f} B/user x 1M + baseline = {mem_gb:.2f} GB of "
          f"user space")
    print(f"  fds:    {fds_per_user:.3f} per user x 1M = {fds_per_user * million:,.0f} open files "
          f"(limit here {ref['limit']})")
    print(f"  CPU:    {rate:,.0f} req/s (1M / 5.5 s) x {ref['cpu_us_per_req']:.1f} us CPU per request "
          f"(generator, spawn and waits included) = {cores:.1f} cores")
    if ref["spawn_s"]:
        print(f"  spawn:  set by -r: {ref['n']} users at -r {ref['spawn_rate']} were all spawned "
              f"{ref['spawn_s']:.1f} s after start; 1M at -r 250000 would take about 4 s plus "
              f"start-up if the loop keeps up")
    return 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "vs-wrk":
        return vs_wrk(*argv[2:6])
    if len(argv) >= 4 and argv[1] == "many-users":
        return many_users(argv[2], argv[3])
    if len(argv) >= 3 and argv[1] == "profile":
        return profile(argv[2], *argv[3:])
    if len(argv) >= 4 and argv[1] == "idle-memory":
        return idle_memory(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
