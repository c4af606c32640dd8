"""Shared helpers for loadgen's integration tests (Python stdlib only).

Starts the fault server and nginx on free loopback ports, runs the real
loadgen binary ($LOADGEN_BIN) under a hard deadline, and reads its CSV and
JSON outputs. Every process started here is stopped by its own PID.
"""

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
NGINX = "/usr/sbin/nginx"

# Locust 2.12 CSV headers (locust/stats.py, StatsCSV).
PERCENTILE_COLUMNS = ["50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%",
                      "99.9%", "99.99%", "100%"]
STATS_COLUMNS = ["Type", "Name", "Request Count", "Failure Count",
                 "Median Response Time", "Average Response Time",
                 "Min Response Time", "Max Response Time",
                 "Average Content Size", "Requests/s", "Failures/s"] + PERCENTILE_COLUMNS
FAILURES_COLUMNS = ["Method", "Name", "Error", "Occurrences"]
HISTORY_COLUMNS = (["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s"]
                   + PERCENTILE_COLUMNS
                   + ["Total Request Count", "Total Failure Count",
                      "Total Median Response Time", "Total Average Response Time",
                      "Total Min Response Time", "Total Max Response Time",
                      "Total Average Content Size"])

FAILURE_KINDS = ("resolve", "connect_refused", "connect_timeout", "connect", "tls",
                 "reset", "read_timeout", "malformed", "incomplete", "http_status",
                 "too_many_redirects", "body_too_large", "check_failed", "exception")


def loadgen_bin():
    """Path of the loadgen binary, or None when it is not built."""
    path = os.environ.get("LOADGEN_BIN")
    if path:
        return path if os.access(path, os.X_OK) else None
    for cand in ("build/debug", "build/release", "build"):
        p = os.path.join(REPO, cand, "src/app/loadgen")
        if os.access(p, os.X_OK):
            return p
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, interval=0.05, what="condition"):
    """Poll predicate() until it returns a truthy value; raise on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _stop_pid(proc, sig=signal.SIGTERM, grace=5.0):
    """Stop one process we started, by its PID; SIGKILL after grace."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        os.kill(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=grace)


class FaultServer:
    """tests/integration/faultserver.py in a child process."""

    def __init__(self):
        self.proc = None
        self.port = None

    def start(self, timeout=10.0):
        self._err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [PYTHON, os.path.join(HERE, "faultserver.py")],
            stdout=subprocess.PIPE, stderr=self._err, stdin=subprocess.DEVNULL)
        # The server prints "PORT <n>" once it listens; readline is bounded
        # by the check that the process is still alive plus a deadline.
        deadline = time.monotonic() + timeout
        os.set_blocking(self.proc.stdout.fileno(), False)
        buf = b""
        while b"\n" not in buf:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("faultserver did not start")
            chunk = self.proc.stdout.read()
            if chunk:
                buf += chunk
            else:
                time.sleep(0.02)
        line = buf.split(b"\n", 1)[0].decode()
        assert line.startswith("PORT "), line
        self.port = int(line.split()[1])
        return self

    def url(self, path=""):
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def host(self):
        return self.url()

    def _get_json(self, path):
        with urllib.request.urlopen(self.url(path), timeout=5) as resp:
            return json.loads(resp.read())

    def counts(self):
        return self._get_json("/__counts")

    def last_request(self):
        return self._get_json("/__last")

    def reset_counts(self):
        with urllib.request.urlopen(self.url("/__reset"), timeout=5) as resp:
            resp.read()

    def stop(self):
        if self.proc is not None:
            _stop_pid(self.proc)
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


NGINX_CONF = """\
daemon off;
master_process off;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
worker_rlimit_nofile 65536;
events {{ worker_connections 16384; }}
http {{
    access_log off;
    keepalive_timeout 65;
    keepalive_requests 10000000;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    default_type text/html;
    server {{
        listen 127.0.0.1:{port}{listen_opts};
        root {dir}/www;{server_extra}
    }}
}}
"""


# Added to the server block when Nginx(tls=True): HTTPS on the same port.
NGINX_TLS_CONF = """
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;"""


def _openssl(args, cwd):
    """Run the openssl CLI (bounded); raise SkipTest when it is missing."""
    exe = shutil.which("openssl")
    if exe is None:
        raise unittest.SkipTest("openssl CLI not installed")
    subprocess.run([exe] + args, cwd=cwd, check=True, timeout=60,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _san(names, ips):
    return "subjectAltName=" + ",".join([f"DNS:{n}" for n in names] + [f"IP:{i}" for i in ips])


def make_self_signed_cert(directory, names=("localhost",), ips=("127.0.0.1",), stem="server"):
    """A self-signed server certificate; returns (cert_path, key_path)."""
    cert = os.path.join(directory, stem + ".pem")
    key = os.path.join(directory, stem + ".key")
    _openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
              "-subj", "/CN=" + (names[0] if names else ips[0]),
              "-addext", _san(names, ips), "-keyout", key, "-out", cert], directory)
    return cert, key


def make_ca(directory, stem="ca"):
    """A throwaway CA (basicConstraints CA:TRUE); returns (cert_path, key_path)."""
    cert = os.path.join(directory, stem + ".pem")
    key = os.path.join(directory, stem + ".key")
    _openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
              "-subj", "/CN=loadgen test CA",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign",
              "-keyout", key, "-out", cert], directory)
    return cert, key


def make_ca_signed_cert(directory, ca, names=("localhost",), ips=("127.0.0.1",),
                        stem="server", usage="serverAuth"):
    """A certificate signed by ca=(cert, key) for `usage` (extendedKeyUsage: serverAuth or
    clientAuth); returns (cert_path, key_path)."""
    ca_cert, ca_key = ca
    cert = os.path.join(directory, stem + ".pem")
    key = os.path.join(directory, stem + ".key")
    csr = os.path.join(directory, stem + ".csr")
    ext = os.path.join(directory, stem + ".ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature,keyEncipherment\n"
                f"extendedKeyUsage={usage}\n" + _san(names, ips) + "\n")
    _openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes",
              "-subj", "/CN=" + (names[0] if names else ips[0]),
              "-keyout", key, "-out", csr], directory)
    _openssl(["x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
              "-CAcreateserial", "-days", "2", "-sha256", "-extfile", ext, "-out", cert],
             directory)
    return cert, key


class Nginx:
    """A private nginx (one worker, no master) serving {dir}/www.

    tls=True serves HTTPS instead, with cert=(cert_path, key_path) or, when
    cert is None, a self-signed certificate for localhost and 127.0.0.1
    generated into the temp dir (self.cert afterwards). server_conf is added
    to the server block as is (e.g. a `location /loadgen/ { proxy_pass ...; }`).
    """

    def __init__(self, tls=False, cert=None, server_conf=""):
        self.proc = None
        self.dir = None
        self.port = None
        self.tls = tls
        self.cert = cert
        self._own_cert = False
        self.server_conf = server_conf

    def start(self, timeout=10.0):
        if not os.access(NGINX, os.X_OK):
            raise unittest.SkipTest("nginx not installed")
        self.dir = tempfile.mkdtemp(prefix="loadgen-nginx-")
        os.makedirs(os.path.join(self.dir, "www"))
        with open(os.path.join(self.dir, "www", "index.html"), "w") as f:
            f.write("<html><body>loadgen test page</body></html>\n")
        listen_opts, server_extra = "", ""
        if self.tls:
            if self.cert is None:
                self.cert = make_self_signed_cert(self.dir)
                self._own_cert = True
            listen_opts = " ssl"
            server_extra = NGINX_TLS_CONF.format(cert=self.cert[0], key=self.cert[1])
        if self.server_conf:
            server_extra += "\n        " + self.server_conf
        last_err = ""
        for _ in range(3):  # free_port() can race with another process
            self.port = free_port()
            conf = os.path.join(self.dir, "nginx.conf")
            with open(conf, "w") as f:
                f.write(NGINX_CONF.format(dir=self.dir, port=self.port, listen_opts=listen_opts,
                                          server_extra=server_extra))
            self.proc = subprocess.Popen(
                [NGINX, "-p", self.dir, "-c", conf, "-e", os.path.join(self.dir, "error.log")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_for(lambda: self.proc.poll() is not None or port_open(self.port),
                         timeout, what="nginx to listen")
            except TimeoutError:
                pass
            if self.proc.poll() is None and port_open(self.port):
                return self
            _stop_pid(self.proc)
            try:
                with open(os.path.join(self.dir, "error.log")) as f:
                    last_err = f.read()
            except OSError:
                pass
        self.stop()
        raise RuntimeError(f"nginx did not start: {last_err}")

    def url(self, path="", host="127.0.0.1"):
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    @property
    def host(self):
        return self.url()

    def stop(self):
        if self.proc is not None:
            _stop_pid(self.proc, signal.SIGQUIT)
            self.proc = None
        if self._own_cert:  # it lived in self.dir
            self.cert, self._own_cert = None, False
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class RunResult:
    def __init__(self, args, returncode, stdout, stderr, wall, user, sys_, timed_out):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.wall = wall
        self.cpu_user = user
        self.cpu_sys = sys_
        self.timed_out = timed_out

    @property
    def cpu(self):
        return self.cpu_user + self.cpu_sys

    def describe(self):
        return (f"cmd: {' '.join(self.args)}\nrc={self.returncode} wall={self.wall:.2f}s "
                f"cpu={self.cpu:.2f}s\n--- stdout (tail) ---\n{self.stdout[-3000:]}\n"
                f"--- stderr (tail) ---\n{self.stderr[-3000:]}")


class LoadgenProcess:
    """A running loadgen; stdout/stderr go to files so they never block it."""

    def __init__(self, args, env=None, extra_env=None, wrapper=(), cwd=None, preexec_fn=None):
        binary = loadgen_bin()
        if binary is None:
            raise unittest.SkipTest("loadgen binary not built (set LOADGEN_BIN)")
        full_env = dict(os.environ if env is None else env)
        for k in list(full_env):
            # A LOCUST_* variable in the caller's environment must not leak in.
            if k.startswith("LOCUST_") and env is None:
                del full_env[k]
        full_env.update(extra_env or {})
        self.args = list(wrapper) + [binary] + [str(a) for a in args]
        if cwd is None:
            # loadgen reads ./locust.conf and ~/.locust.conf (as Locust does):
            # run it in an empty directory that is also its HOME.
            self._home = tempfile.mkdtemp(prefix="loadgen-home-")
            cwd = self._home
            if "HOME" not in (extra_env or {}):
                full_env["HOME"] = self._home
        else:
            self._home = None
        self._out = tempfile.NamedTemporaryFile(prefix="loadgen-out-", delete=False)
        self._err = tempfile.NamedTemporaryFile(prefix="loadgen-err-", delete=False)
        self.started = time.monotonic()
        # preexec_fn runs in the child before exec (e.g. to lower its RLIMIT_NOFILE).
        self.proc = subprocess.Popen(self.args, stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL, env=full_env, cwd=cwd,
                                     preexec_fn=preexec_fn)
        self.rusage = None

    def stdout_text(self):
        with open(self._out.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stderr_text(self):
        with open(self._err.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def send_signal(self, sig):
        if self.proc.returncode is None:
            os.kill(self.proc.pid, sig)

    def _reap(self, block):
        """os.wait4 so we get this child's own rusage (user/sys CPU)."""
        if self.proc.returncode is not None:
            return True
        pid, status, rusage = os.wait4(self.proc.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return False
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.rusage = rusage
        return True

    def wait(self, timeout):
        """Wait up to timeout seconds; on expiry SIGKILL it (by PID)."""
        timed_out = False
        try:
            wait_for(lambda: self._reap(False), timeout, interval=0.02,
                     what="loadgen to exit")
        except TimeoutError:
            timed_out = True
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap(True)
        wall = time.monotonic() - self.started
        user = self.rusage.ru_utime if self.rusage else 0.0
        sys_ = self.rusage.ru_stime if self.rusage else 0.0
        result = RunResult(self.args, self.proc.returncode, self.stdout_text(),
                           self.stderr_text(), wall, user, sys_, timed_out)
        self.cleanup()
        return result

    def cleanup(self):
        for f in (self._out, self._err):
            try:
                f.close()
                os.unlink(f.name)
            except OSError:
                pass
        if self._home:
            shutil.rmtree(self._home, ignore_errors=True)


def run_loadgen(args, timeout=30.0, **kw):
    """Run loadgen to completion (or kill it at timeout) and return RunResult."""
    return LoadgenProcess(args, **kw).wait(timeout)


def read_csv(path):
    """(header, rows as dicts) of a CSV file."""
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, r)) for r in reader]
    return header, rows


def read_json(path):
    with open(path) as f:
        return json.load(f)


class Outputs:
    """A temp dir for one run's --csv PREFIX and --json-file FILE."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="loadgen-it-")
        self.prefix = os.path.join(self.dir, "run")
        self.json_path = os.path.join(self.dir, "run.json")

    def args(self):
        return ["--csv", self.prefix, "--json-file", self.json_path]

    def stats(self):
        return read_csv(self.prefix + "_stats.csv")

    def stats_by_name(self):
        _, rows = self.stats()
        return {r["Name"]: r for r in rows}

    def failures(self):
        return read_csv(self.prefix + "_failures.csv")

    def history(self):
        return read_csv(self.prefix + "_stats_history.csv")

    def json(self):
        return read_json(self.json_path)

    def failure_kinds(self, name=None):
        """{kind: occurrences} from PREFIX_failures.csv, optionally for one Name."""
        _, rows = self.failures()
        kinds = {}
        for r in rows:
            if name is not None and r["Name"] != name:
                continue
            kind = r["Error"].split(":", 1)[0].strip()
            kinds[kind] = kinds.get(kind, 0) + int(r["Occurrences"])
        return kinds

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class LoadgenTestCase(unittest.TestCase):
    """Base class: skips when the binary is missing; gives temp outputs."""

    @classmethod
    def setUpClass(cls):
        if loadgen_bin() is None:
            raise unittest.SkipTest("loadgen binary not built (set LOADGEN_BIN)")

    def outputs(self):
        out = Outputs()
        self.addCleanup(out.cleanup)
        return out

    def assertExit(self, result, code):
        self.assertFalse(result.timed_out, "loadgen hit the outer timeout\n" + result.describe())
        self.assertEqual(result.returncode, code, result.describe())

    def assertNoCrash(self, result):
        self.assertFalse(result.timed_out, "loadgen hit the outer timeout\n" + result.describe())
        self.assertGreaterEqual(result.returncode, 0,
                                "loadgen died from a signal\n" + result.describe())
        for word in ("Segmentation fault", "AddressSanitizer", "terminate called",
                     "Assertion", "core dumped"):
            self.assertNotIn(word, result.stderr, result.describe())


def headless_args(host, users=2, spawn_rate=100, run_time="2s", paths=("/ok",),
                  wait_time="constant(0)", extra=()):
    args = ["--headless", "--scenario", "get", "-H", host, "-u", str(users), "-r", str(spawn_rate),
            "-t", run_time, "--wait-time", wait_time]
    for p in paths:
        args += ["--path", p]
    return args + list(extra)
