"""bench/web-hostile's runs: loadgen in web mode (--autostart, -t, --autoquit 0) against the
bench nginx, alternately quiet and with hostile clients on its web port (2,000 idle connections,
a slowloris sending one byte of a head every second, and a UI polling /stats/requests every
2 s); prints requests/s of each and the ratio hostile/quiet. Every process it starts is
stopped by PID. Usage: web_hostile.py LOADGEN TARGET_URL WORKDIR DURATION USERS ROUNDS"""
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

IDLE = 2000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Hostile(threading.Thread):
    """Idle flood + slowloris + a polling UI, until stop is set."""

    def __init__(self, port, proc, duration):
        super().__init__(daemon=True)
        self.port = port
        self.proc = proc  # no poll once loadgen has exited (the run is over)
        # Polls only while the run is surely on: its web server closes when it ends
        # (--autoquit 0), a second or so before the process exits.
        self.poll_until = time.monotonic() + duration - 1
        self.stop = threading.Event()
        self.slowest = 0.0
        self.polls = 0
        self.socks = []
        self.errors = []  # failed polls

    def run(self):
        for _ in range(IDLE):
            try:
                self.socks.append(socket.create_connection(("127.0.0.1", self.port), timeout=5))
            except OSError:
                break
        loris = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.socks.append(loris)
        head = b"GET /stats/requests HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 100000
        i, next_poll = 0, time.monotonic()
        while not self.stop.wait(1.0):
            try:
                loris.sendall(head[i:i + 1])
                i += 1
            except OSError:  # closed by the head timeout: start another
                loris = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                self.socks.append(loris)
            if next_poll <= time.monotonic() < self.poll_until and self.proc.poll() is None:
                next_poll += 2
                t0 = time.monotonic()
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats/requests",
                                           timeout=10).read()
                    self.slowest = max(self.slowest, time.monotonic() - t0)
                    self.polls += 1
                except OSError as e:
                    if self.proc.poll() is not None:
                        continue  # the run ended (--autoquit 0) while we asked
                    self.slowest = float("inf")
                    self.errors.append(f"{time.monotonic() - t0:.1f} s: {e}")
        for s in self.socks:
            s.close()


def run(loadgen, target, workdir, duration, users, name, hostile):
    port = free_port()
    out = os.path.join(workdir, name + ".json")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    env.update({"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none",
                "OTEL_LOGS_EXPORTER": "none", "HOME": workdir})
    cmd = ["taskset", "-c", "1", loadgen, "--autostart", "--autoquit", "0", "-u", str(users),
           "-r", "1000", "-t", f"{duration}s", "--threads", "1", "--scenario", "get", "--path",
           "/index.html", "--wait-time", "constant(0)", "-H", target, "--web-host",
           "127.0.0.1", "-P", str(port), "--json-file", out, "--only-summary"]
    with open(os.path.join(workdir, name + ".err"), "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=workdir)
        h = None
        try:
            deadline = time.monotonic() + 10
            while not port_open(port) and time.monotonic() < deadline:
                time.sleep(0.05)
            if hostile:
                h = Hostile(port, proc, duration)
                h.start()
            proc.wait(duration + 60)
        finally:
            if h:
                h.stop.set()
                h.join(10)
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    with open(out) as f:
        entries = json.load(f)
    n = sum(e["num_requests"] for e in entries)
    span = (max(e["last_request_timestamp"] for e in entries)
            - min(e["start_time"] for e in entries))
    return n, span, (h.slowest if h else None), (h.polls if h else 0), (h.errors if h else [])


def main():
    loadgen, target, workdir = sys.argv[1:4]
    duration, users, rounds = (int(x) for x in sys.argv[4:7])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, IDLE + 1024), hard), hard))
    quiet, hostile = [], []
    print(f"{'run':<12} {'requests':>10} {'seconds':>8} {'req/s':>10} {'slowest API answer':>20}")
    for r in range(rounds):
        for name, is_hostile, acc in (("quiet", False, quiet), ("hostile", True, hostile)):
            n, span, slowest, polls, errors = run(loadgen, target, workdir, duration, users,
                                          f"{name}{r}", is_hostile)
            rate = n / span if span > 0 else 0.0
            acc.append(rate)
            api = f"{slowest * 1000:.0f} ms ({polls} polls)" if slowest is not None else "-"
            print(f"{name + str(r):<12} {n:>10} {span:>8.1f} {rate:>10.0f} {api:>20}")
            for e in errors:
                print(f"  a poll failed after {e}")
    # Each round's two runs are back to back: their ratio is the least disturbed by what else
    # the machine does; the median of the rounds' ratios is the figure.
    ratios = [h / q for q, h in zip(quiet, hostile) if q > 0]
    print("\nrequests/s with hostile clients / without, per round: "
          + ", ".join(f"{r:.3f}" for r in ratios))
    print(f"median of {len(ratios)}: {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
