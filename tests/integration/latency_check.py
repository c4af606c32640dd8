"""Latency accuracy (issue 16): loadgen's recorded latency against a server that answers after a
fixed delay and measures its own time per request, plus the measured loopback round trip.

Shared by tests/integration/test_latency_accuracy.py and bench/latency-accuracy (stdlib only).

One measurement:
1. tests/support/latency_server (C++, one epoll thread) answers every request DELAY µs after
   the read that completed its head, measures per request the time from just after that read
   to just before the write of the answer, and logs it with the request's trace id.
2. Its --rtt-probe (a blocking C++ client) measures the loopback round trip the same way
   (client round trip minus the server's own time for an immediate answer), at the run's pace
   (one probe every 1/rate s, at most 100 ms apart), before and after the run: RTT = the mean
   of the two medians.
3. loadgen runs the open model (--arrival-rate RATE) against it and exports every span over
   OTLP http/protobuf to the same server (which keeps the bodies; a queue that drops nothing).
   A CLIENT span's duration is the request's
   recorded latency (the stats histogram records the same duration, in µs: the span mean and
   the JSON mean are compared); its trace id finds the server's time for the same request.
4. Per request: error = latency - (server time + RTT). The criterion: |median error| within
   max(1 % of (median server time + RTT), 20 µs). The mean and the tail are reported too;
   they carry the scheduling noise of a shared machine.
"""

import json
import os
import signal
import statistics
import subprocess
import tempfile
import time


class LatencyServer:
    def __init__(self, binary, delay_us, cpu=None):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="latency-server-")
        self.log = os.path.join(self.dir, "server.log")
        self.out = os.path.join(self.dir, "server.out")
        self.otlp = os.path.join(self.dir, "otlp.bin")
        prefix = ["taskset", "-c", str(cpu)] if cpu is not None else []
        self._out = open(self.out, "wb")
        self.proc = subprocess.Popen(prefix + [binary, "--delay-us", str(delay_us), "--log", self.log,
                                               "--otlp-file", self.otlp],
                                     stdout=self._out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.port = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.port is None:
            with open(self.out) as f:
                for line in f:
                    if line.startswith("PORT "):
                        self.port = int(line.split()[1])
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        if self.port is None:
            self.stop()
            raise RuntimeError("latency_server did not start")

    def probe(self, pace_s, count, cpu=None):
        """Median loopback round trip in µs (client round trip minus the server's own time)."""
        pause_us = int(min(pace_s, 0.1) * 1e6)
        prefix = ["taskset", "-c", str(cpu)] if cpu is not None else []
        res = subprocess.run(prefix + [self.binary, "--rtt-probe", str(self.port), "--count",
                                       str(count), "--pause-us", str(pause_us)],
                             capture_output=True, text=True, timeout=60)
        words = res.stdout.split()
        if res.returncode != 0 or "median" not in words:
            raise RuntimeError(f"rtt probe failed: {res.stdout} {res.stderr}")
        return int(words[words.index("median") + 1]) / 1000.0

    def stop(self):
        """Stops the server (SIGTERM, by PID); {trace_id: server µs} of the delayed requests."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        times = {}
        try:
            with open(self.log) as f:
                for line in f:
                    trace, ns = line.split()
                    times[trace] = int(ns) / 1000.0
        except OSError:
            pass
        return times

    def cleanup(self):
        for name in (self.log, self.out, self.otlp):
            try:
                os.unlink(name)
            except OSError:
                pass
        try:
            os.rmdir(self.dir)
        except OSError:
            pass


def _fields(buf):
    """(field number, wire type, value) of a protobuf message: int for VARINT/I64/I32,
    a memoryview for LEN."""
    i, n = 0, len(buf)
    while i < n:
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 1:
            v, i = int.from_bytes(buf[i:i + 8], "little"), i + 8
        elif wt == 2:
            ln, i = _varint(buf, i)
            v, i = buf[i:i + ln], i + ln
        elif wt == 5:
            v, i = int.from_bytes(buf[i:i + 4], "little"), i + 4
        else:
            raise ValueError(f"wire type {wt}")
        yield num, wt, v


def _varint(buf, i):
    shift = out = 0
    while True:
        b = buf[i]
        i += 1
        out |= (b & 0x7F) << shift
        if b < 0x80:
            return out, i
        shift += 7


def client_spans(path):
    """{trace_id hex: duration µs} of the CLIENT spans with a response (an
    http.response.status_code attribute) in the server's --otlp-file (length-prefixed
    ExportTraceServiceRequest bodies); the others are requests cut off by the end of the run
    (not in the stats)."""
    out = {}
    with open(path, "rb") as f:
        data = memoryview(f.read())
    i = 0
    while i + 4 <= len(data):
        ln = int.from_bytes(data[i:i + 4], "little")
        body = data[i + 4:i + 4 + ln]
        i += 4 + ln
        for rnum, _, rs in _fields(body):  # ExportTraceServiceRequest.resource_spans = 1
            if rnum != 1:
                continue
            for snum, _, ss in _fields(rs):  # ResourceSpans.scope_spans = 2
                if snum != 2:
                    continue
                for pnum, _, sp in _fields(ss):  # ScopeSpans.spans = 2
                    if pnum != 2:
                        continue
                    trace = kind = start = end = None
                    answered = False
                    for num, _, v in _fields(sp):
                        if num == 1:
                            trace = bytes(v).hex()
                        elif num == 6:
                            kind = v
                        elif num == 7:
                            start = v
                        elif num == 8:
                            end = v
                        elif num == 9:  # attributes: KeyValue.key = 1
                            for knum, _, kv in _fields(v):
                                if knum == 1 and bytes(kv) == b"http.response.status_code":
                                    answered = True
                    if kind == 3 and answered and trace and start and end:
                        out[trace] = (end - start) / 1000.0
    return out


def quantile(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))] if v else 0.0


def measure(loadgen, server_bin, delay_us, rate, seconds, max_users=None, probes=None,
            cpu_server=None, cpu_loadgen=None, timeout=None, spans=True):
    """One measurement (see the module's docstring); a dict of figures. spans=False: no span
    export (it costs the generator CPU at high rates); only the means are compared then (the
    stats' mean latency against the server's mean time + RTT)."""
    pace = 1.0 / rate
    if probes is None:
        probes = max(20, min(1000, int(3.0 / min(pace, 0.1))))
    if max_users is None:
        # Enough users for the requests in flight (rate x delay) with room for stalls.
        max_users = max(10, int(rate * delay_us / 1e6 * 4) + 10)
    work = tempfile.mkdtemp(prefix="latency-check-")
    json_path = os.path.join(work, "run.json")
    server = LatencyServer(server_bin, delay_us, cpu_server)
    server_times = None
    try:
        rtt_before = server.probe(pace, probes, cpu_loadgen)
        env = dict(os.environ)
        for k in list(env):
            if k.startswith(("OTEL_", "LOADGEN_", "LOCUST_")):
                del env[k]
        env.update({
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.port}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_COMPRESSION": "none", "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none", "OTEL_BSP_MAX_QUEUE_SIZE": "4000000",
            "OTEL_BSP_SCHEDULE_DELAY": "200", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "8192",
            "HOME": work,
        } if spans else {
            "OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
            "OTEL_LOGS_EXPORTER": "none", "HOME": work,
        })
        prefix = ["taskset", "-c", str(cpu_loadgen)] if cpu_loadgen is not None else []
        cmd = prefix + [loadgen, "--headless", "--scenario", "get", "--path", "/delayed",
                        "-H", f"http://127.0.0.1:{server.port}", "--arrival-rate", f"{rate}/s",
                        "--max-users", str(max_users), "--threads", "1", "-t", f"{seconds}s",
                        "--json-file", json_path]
        run = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=work,
                             timeout=timeout or seconds * 3 + 30)
        rtt_after = server.probe(pace, probes, cpu_loadgen)
        server_times = server.stop()
        span_times = client_spans(server.otlp) if spans else {}
    finally:
        if server_times is None:
            server.stop()
        server.cleanup()
    result = {"rate": rate, "seconds": seconds, "delay_us": delay_us, "rc": run.returncode,
              "stdout": run.stdout[-3000:], "stderr": run.stderr[-3000:],
              "rtt_before_us": rtt_before, "rtt_after_us": rtt_after,
              "rtt_us": (rtt_before + rtt_after) / 2, "server_requests": len(server_times),
              "spans_exported": spans,
              "server_mean_us": statistics.fmean(server_times.values()) if server_times else None}
    try:
        with open(json_path) as f:
            entries = [e for e in json.load(f) if e.get("method") != "ITER"]
    except (OSError, ValueError) as e:
        result["error"] = f"no loadgen output: {e}"
        return result
    finally:
        try:
            os.unlink(json_path)
        except OSError:
            pass
        try:
            os.rmdir(work)
        except OSError:
            pass
    n = sum(int(e["num_requests"]) for e in entries)
    result["requests"] = n
    result["failures"] = sum(int(e.get("num_failures", 0)) for e in entries)
    result["stats_mean_us"] = (sum(float(e["total_response_time"]) for e in entries) * 1000.0 / n
                               if n else None)
    dropped = 0
    for line in run.stdout.splitlines() + run.stderr.splitlines():
        if line.startswith("Dropped iterations:"):
            dropped = int(line.split()[2])
    result["dropped_iterations"] = dropped
    if n and server_times:
        result["mean_error_us"] = (result["stats_mean_us"] - result["server_mean_us"] -
                                   result["rtt_us"])
        result["mean_tolerance_us"] = max(0.01 * (result["server_mean_us"] + result["rtt_us"]),
                                          20.0)
    matched = [(span_times[t], server_times[t]) for t in span_times if t in server_times]
    result["spans"] = len(span_times)
    result["matched"] = len(matched)
    if not matched:
        return result
    result["span_mean_us"] = statistics.fmean(c for c, _ in matched)
    rtt = result["rtt_us"]
    errors = [c - s - rtt for c, s in matched]
    result["client_minus_server_min_us"] = min(c - s for c, s in matched)
    result["server_median_us"] = statistics.median(s for _, s in matched)
    result["error_median_us"] = statistics.median(errors)
    result["error_mean_us"] = statistics.fmean(errors)
    result["error_p10_us"] = quantile(errors, 0.10)
    result["error_p90_us"] = quantile(errors, 0.90)
    result["error_p99_us"] = quantile(errors, 0.99)
    result["tolerance_us"] = max(0.01 * (result["server_median_us"] + rtt), 20.0)
    return result


def describe(r):
    """One paragraph of a measurement's figures."""
    if "mean_error_us" in r and not r["spans_exported"]:
        pct = 100.0 * r["mean_error_us"] / (r["server_mean_us"] + r["rtt_us"])
        return (f"rate {r['rate']}/s for {r['seconds']} s, delay {r['delay_us']} us, no span "
                f"export: {r['requests']} requests ({r['failures']} failed, "
                f"{r['dropped_iterations']} iterations dropped), the server answered "
                f"{r['server_requests']}\n"
                f"  RTT {r['rtt_us']:.1f} us (before {r['rtt_before_us']:.1f}, after "
                f"{r['rtt_after_us']:.1f}); server time mean {r['server_mean_us']:.1f} us\n"
                f"  mean error = mean latency (stats) - (mean server time + RTT): "
                f"{r['mean_error_us']:+.1f} us ({pct:+.2f} %); tolerance "
                f"{r['mean_tolerance_us']:.1f} us")
    if "error_median_us" not in r:
        return (f"rate {r['rate']}/s: no matched requests (rc {r['rc']}, "
                f"{r.get('error', '')})\n{r['stderr'][-1500:]}")
    pct = 100.0 * r["error_median_us"] / (r["server_median_us"] + r["rtt_us"])
    return (f"rate {r['rate']}/s for {r['seconds']} s, delay {r['delay_us']} us: "
            f"{r['requests']} requests ({r['failures']} failed, {r['dropped_iterations']} "
            f"iterations dropped), {r['matched']} of {r['spans']} answered spans matched with the "
            f"server's {r['server_requests']} answers\n"
            f"  RTT {r['rtt_us']:.1f} us (before {r['rtt_before_us']:.1f}, after "
            f"{r['rtt_after_us']:.1f}); server time median {r['server_median_us']:.1f} us\n"
            f"  error = latency - (server + RTT): median {r['error_median_us']:+.1f} us "
            f"({pct:+.2f} %), mean {r['error_mean_us']:+.1f}, p10 {r['error_p10_us']:+.1f}, "
            f"p90 {r['error_p90_us']:+.1f}, p99 {r['error_p99_us']:+.1f}; tolerance "
            f"{r['tolerance_us']:.1f} us\n"
            f"  recorded mean {r['stats_mean_us']:.1f} us (stats), span mean "
            f"{r['span_mean_us']:.1f} us; min latency - server time "
            f"{r['client_minus_server_min_us']:.1f} us")
