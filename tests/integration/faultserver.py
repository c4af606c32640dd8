#!/usr/bin/python3
"""Misbehaving HTTP/1.1 test server for loadgen's integration tests.

Python 3 standard library only. A threaded raw-socket server on 127.0.0.1
that answers well-formed requests on some routes and breaks the HTTP/1.1
message framing (RFC 9112) on purpose on others, so the client's failure
classification can be tested end to end.

Usage: faultserver.py [--port N] [--port-file FILE] [--idle-timeout S]
Prints "PORT <n>" on stdout once listening. Exits cleanly on SIGTERM/SIGINT.

Routes (keep-alive unless stated):
  /ok                 200, small body, Content-Length
  /bytes/N            200, N-byte body
  /chunked            200, chunked body with a chunk extension and a trailer
  /gzip               200, Content-Encoding: gzip; decompresses to GZIP_TEXT
  /status/NNN         status NNN with its reason phrase
  /redirect/N         302 to /redirect/N-1; /redirect/1 -> /ok
  /redirect-loop      302 to itself
  /redirect-abs       302 with absolute Location http://127.0.0.1:PORT/ok
  /slow?ms=N          200 after N ms
  /hang               reads the request, never answers, holds the connection
  /reset              part of a response, then RST (SO_LINGER 0 + close)
  /reset-early        RST right after reading the request, no response byte
  /close-after        valid response without "Connection: close", then close
  /bad-status         garbage status line, then close
  /huge-headers       200 whose header section is > 64 KiB, then close
  /bad-chunk          chunked body with an invalid chunk size, then close
  /short-body         Content-Length: 100 but 10 bytes, then close
  /huge-body?bytes=N  200, Content-Length N (default 10 GB = 10**10) of 'x',
                      streamed in 1 MiB writes as fast as the client reads;
                      stops when the client goes away (or the server stops)
  /endless-chunks     200, chunked, 64 KiB chunks forever (until the client
                      goes away)
  /endless-continue   "100 Continue" interim responses (RFC 9110 15.2.1)
                      forever, never a final response
  /gzip-bomb?mib=N    200, chunked, Content-Encoding: gzip, inflating to N MiB
                      of zeros (default 10240 = 10 GiB) from ~1 KiB of gzip
                      per MiB, generated on the fly (Z_FULL_FLUSH segments);
                      the CRC trailer is computed once the last segment left
  /cookie-flood       200 with 40 new Set-Cookie fields of ~1 KB each (names
                      unique per response, Path=/); the body is the size in
                      bytes of the Cookie field the request carried
  /cookie/set?n=v     200 with Set-Cookie: n=v
  /cookie/check?n=v   200 if the request carried cookie n=v, else 400
  /echo               200, JSON of method, path, headers, body
  /__counts           JSON {"paths": {path: n}, "targets": {target: n},
                      "requests": n, "connections": n, "max_cookie_bytes": n
                      (largest Cookie field received)}; /__* not counted
  /__last             JSON of the last request not under /__ (method, path,
                      headers, body), or null
  /__reset            zero the counts (and forget the last request)
  /__stall?ms=N       the server stalls: requests not under /__ arriving in the
                      next N ms (default 2000) are answered when the stall ends
"""

import argparse
import gzip
import itertools
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
import zlib
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

# Text that /gzip's body decompresses to; tests import it to check sizes.
GZIP_TEXT = ("loadgen faultserver gzip payload line\n" * 100).encode()
OK_BODY = b"ok\n"
CHUNKED_BODY = b"hello, chunked world"  # what /chunked decodes to
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_BYTES_ROUTE = 64 * 1024 * 1024
MAX_SLOW_MS = 60_000
MAX_HANG_S = 120.0
HUGE_BODY_BYTES = 10 ** 10
ENDLESS_CHUNK = 64 * 1024
COOKIE_FLOOD_COUNT = 40
COOKIE_FLOOD_VALUE_BYTES = 1000
MIB = 1 << 20


def _gzip_bomb_parts():
    """(first, repeat, compressor) for a gzip stream of zero MiBs.

    Each MiB of zeros is compressed and then Z_FULL_FLUSHed, which resets the
    compressor's history: every segment after the first (which also carries
    the gzip header) is the same bytes, so a bomb of any size is sent without
    compressing it (RFC 1952 member; RFC 1951 blocks)."""
    zeros = bytes(MIB)
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    second = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    third = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    assert second == third, "Z_FULL_FLUSH segments differ"
    return first, second


GZIP_BOMB_FIRST, GZIP_BOMB_SEGMENT = _gzip_bomb_parts()


def gzip_bomb_trailer(mib):
    """The end of a bomb of `mib` MiB: an empty final block, then CRC-32 and
    ISIZE (RFC 1952 2.3.1)."""
    zeros = bytes(MIB)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    # A final empty stored block (BFINAL=1, BTYPE=00; LEN 0, NLEN 0xffff).
    return b"\x01\x00\x00\xff\xff" + struct.pack("<II", crc, (mib * MIB) & 0xFFFFFFFF)


class ClientGone(Exception):
    """The peer closed, reset, or idled out; drop the connection."""


class Counts:
    """Per-path request counts and accepted connections, thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, "_lock"):
            self.paths = {}
            self.targets = {}
            self.requests = 0
            self.connections = 0
            self.max_cookie_bytes = 0
            self.last = None

    def add_connection(self):
        with self._lock:
            self.connections += 1

    def add_request(self, req):
        path, target = req.path, req.target
        if path.startswith("/__"):
            return
        cookie = len(req.header("Cookie") or "")
        with self._lock:
            self.last = req.describe()
            self.max_cookie_bytes = max(self.max_cookie_bytes, cookie)
            self.requests += 1
            self.paths[path] = self.paths.get(path, 0) + 1
            self.targets[target] = self.targets.get(target, 0) + 1

    def last_request(self):
        with self._lock:
            return self.last

    def snapshot(self):
        with self._lock:
            return {
                "paths": dict(self.paths),
                "targets": dict(self.targets),
                "requests": self.requests,
                "connections": self.connections,
                "max_cookie_bytes": self.max_cookie_bytes,
            }


class Request:
    def __init__(self, method, target, version, headers, body):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # list of (name, value), order kept
        self.body = body
        parts = urlsplit(target)
        self.path = parts.path
        self.query = dict(parse_qsl(parts.query, keep_blank_values=True))

    def describe(self):
        return {
            "method": self.method,
            "path": self.target,
            "headers": [[k, v] for k, v in self.headers],
            "body": self.body.decode("utf-8", "replace"),
        }

    def header(self, name):
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None

    def wants_close(self):
        conn = (self.header("Connection") or "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" not in conn
        return "close" in conn


class Connection:
    """One accepted socket: reads requests in a loop and dispatches them."""

    def __init__(self, server, sock):
        self.server = server
        self.sock = sock
        self.buf = b""
        sock.settimeout(server.idle_timeout)

    # -- reading -----------------------------------------------------------
    def _recv_more(self):
        if self.server.stopping.is_set():
            raise ClientGone()
        try:
            data = self.sock.recv(65536)
        except (socket.timeout, OSError):
            raise ClientGone()
        if not data:
            raise ClientGone()
        self.buf += data

    def _read_until(self, marker, limit):
        while True:
            idx = self.buf.find(marker)
            if idx >= 0:
                out = self.buf[: idx + len(marker)]
                self.buf = self.buf[idx + len(marker):]
                return out
            if len(self.buf) > limit:
                return None
            self._recv_more()

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._recv_more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_request(self):
        head = self._read_until(b"\r\n\r\n", MAX_HEADER_BYTES)
        if head is None:
            self.send_simple(431, b"header section too large\n", close=True)
            raise ClientGone()
        lines = head[:-4].decode("latin-1").split("\r\n")
        while lines and lines[0] == "":  # RFC 9112 2.2: ignore leading CRLF
            lines.pop(0)
        parts = lines[0].split(" ") if lines else []
        if len(parts) != 3:
            self.send_simple(400, b"bad request line\n", close=True)
            raise ClientGone()
        method, target, version = parts
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep:
                self.send_simple(400, b"bad header\n", close=True)
                raise ClientGone()
            headers.append((name.strip(), value.strip()))
        req = Request(method, target, version, headers, b"")
        te = (req.header("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            req.body = self._read_chunked_body()
        else:
            cl = req.header("Content-Length")
            if cl:
                try:
                    n = int(cl)
                except ValueError:
                    n = -1
                if n < 0 or n > MAX_BODY_BYTES:
                    self.send_simple(400, b"bad content-length\n", close=True)
                    raise ClientGone()
                req.body = self._read_exact(n)
        return req

    def _read_chunked_body(self):
        body = b""
        while True:
            line = self._read_until(b"\r\n", 1024)
            if line is None:
                raise ClientGone()
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise ClientGone()
            if size == 0:
                # Trailer section ends with an empty line (RFC 9112 7.1.2).
                while self._read_until(b"\r\n", MAX_HEADER_BYTES) not in (b"\r\n", None):
                    pass
                return body
            if len(body) + size > MAX_BODY_BYTES:
                raise ClientGone()
            body += self._read_exact(size)
            self._read_exact(2)

    # -- writing -----------------------------------------------------------
    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            raise ClientGone()

    def send_simple(self, status, body, headers=(), close=False, reason=None):
        if reason is None:
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:
                reason = "Unknown"
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{k}: {v}" for k, v in headers]
        lines.append(f"Content-Length: {len(body)}")
        if close:
            lines.append("Connection: close")
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self):
        """Close with RST: SO_LINGER on, timeout 0."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    # -- main loop ---------------------------------------------------------
    def serve(self):
        self.server.counts.add_connection()
        try:
            while not self.server.stopping.is_set():
                req = self.read_request()
                self.server.counts.add_request(req)
                keep = self.server.dispatch(self, req)
                if not keep or req.wants_close():
                    break
        except ClientGone:
            pass
        except Exception as exc:  # a bug here must not kill the server
            print(f"faultserver: handler error: {exc!r}", file=sys.stderr, flush=True)
        finally:
            self.close()


def _route_int(path, prefix, default=0):
    try:
        return int(path[len(prefix):])
    except ValueError:
        return default


class FaultServer:
    def __init__(self, port, idle_timeout):
        self.idle_timeout = idle_timeout
        self.counts = Counts()
        self.stopping = threading.Event()
        self.stall_until = 0.0  # monotonic: requests wait until then (/__stall)
        self.cookie_ids = itertools.count()  # next() is atomic under the GIL
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(1024)
        # Accept with a timeout so a stop request is noticed within 0.2 s.
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]

    def serve_forever(self):
        while not self.stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                if self.stopping.is_set():
                    break
                time.sleep(0.05)  # e.g. EMFILE: back off, never spin
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t = threading.Thread(target=Connection(self, sock).serve, daemon=True)
            t.start()
        self.listener.close()

    def stop(self):
        self.stopping.set()

    # Returns True to keep the connection open for the next request.
    def dispatch(self, conn, req):
        p = req.path
        if not p.startswith("/__"):
            stall = self.stall_until - time.monotonic()
            if stall > 0 and self.stopping.wait(stall):
                return False
        if p == "/ok":
            conn.send_simple(200, OK_BODY, [("Content-Type", "text/plain")])
        elif p.startswith("/bytes/"):
            n = max(0, min(_route_int(p, "/bytes/"), MAX_BYTES_ROUTE))
            conn.send(f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                      f"Content-Length: {n}\r\n\r\n".encode())
            block = b"x" * 65536
            left = n
            while left > 0:
                conn.send(block[: min(left, len(block))])
                left -= min(left, len(block))
        elif p == "/chunked":
            # RFC 9112 7.1: chunk-ext after the size, trailer fields after 0.
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      b"Transfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n\r\n"
                      b"7;ext=1\r\nhello, \r\n"
                      b"d\r\nchunked world\r\n"
                      b"0\r\nX-Trailer: done\r\n\r\n")
        elif p == "/gzip":
            conn.send_simple(200, gzip.compress(GZIP_TEXT, mtime=0),
                             [("Content-Type", "text/plain"), ("Content-Encoding", "gzip")])
        elif p.startswith("/status/"):
            code = _route_int(p, "/status/", 500)
            if code < 100 or code > 999:
                code = 500
            body = b"" if code in (204, 304) or code < 200 else f"status {code}\n".encode()
            if code in (204, 304) or code < 200:
                try:
                    reason = HTTPStatus(code).phrase
                except ValueError:
                    reason = "Unknown"
                conn.send(f"HTTP/1.1 {code} {reason}\r\n\r\n".encode())
            else:
                conn.send_simple(code, body)
        elif p.startswith("/redirect/"):
            n = _route_int(p, "/redirect/", 1)
            loc = "/ok" if n <= 1 else f"/redirect/{n - 1}"
            conn.send_simple(302, b"", [("Location", loc)])
        elif p == "/redirect-loop":
            conn.send_simple(302, b"", [("Location", "/redirect-loop")])
        elif p == "/redirect-abs":
            conn.send_simple(302, b"", [("Location", f"http://127.0.0.1:{self.port}/ok")])
        elif p == "/slow":
            try:
                ms = int(req.query.get("ms", "1000"))
            except ValueError:
                ms = 1000
            ms = max(0, min(ms, MAX_SLOW_MS))
            if self.stopping.wait(ms / 1000.0):
                return False
            conn.send_simple(200, OK_BODY)
        elif p == "/hang":
            self._hold(conn)
            return False
        elif p == "/reset":
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
            time.sleep(0.01)  # let the partial bytes leave before the RST
            conn.abort()
            return False
        elif p == "/reset-early":
            conn.abort()
            return False
        elif p == "/close-after":
            conn.send_simple(200, OK_BODY)
            try:
                conn.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return False
        elif p == "/bad-status":
            conn.send(b"HTTQ/1.1 abc definitely not a status line\r\n\r\n")
            return False
        elif p == "/huge-headers":
            head = [b"HTTP/1.1 200 OK"]
            filler = b"y" * 1000
            for i in range(80):  # ~80 KiB of header fields
                head.append(b"X-Filler-%d: " % i + filler)
            head.append(b"Content-Length: 3")
            conn.send(b"\r\n".join(head) + b"\r\n\r\nok\n")
            return False
        elif p == "/bad-chunk":
            conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"zz\r\nnot a chunk\r\n0\r\n\r\n")
            return False
        elif p == "/short-body":
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            try:
                conn.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            return False
        elif p == "/huge-body":
            try:
                n = max(0, int(req.query.get("bytes", HUGE_BODY_BYTES)))
            except ValueError:
                n = HUGE_BODY_BYTES
            conn.send(f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                      f"Content-Length: {n}\r\n\r\n".encode())
            block = memoryview(b"x" * MIB)
            left = n
            while left > 0:
                if self.stopping.is_set():
                    return False
                k = min(left, MIB)
                conn.send(block[:k])
                left -= k
        elif p == "/endless-chunks":
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n" % ENDLESS_CHUNK + b"c" * ENDLESS_CHUNK + b"\r\n"
            while not self.stopping.is_set():
                conn.send(chunk)
            return False
        elif p == "/endless-continue":
            burst = b"HTTP/1.1 100 Continue\r\n\r\n" * 256
            while not self.stopping.is_set():
                conn.send(burst)
            return False
        elif p == "/gzip-bomb":
            try:
                mib = max(1, int(req.query.get("mib", "10240")))
            except ValueError:
                mib = 10240
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                      b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")
            # Several segments per chunk: fewer, larger writes.
            per_chunk = 64
            seg = GZIP_BOMB_SEGMENT * per_chunk
            full = b"%x\r\n" % len(seg) + seg + b"\r\n"
            conn.send(b"%x\r\n" % len(GZIP_BOMB_FIRST) + GZIP_BOMB_FIRST + b"\r\n")
            left = mib - 1
            while left > 0:
                if self.stopping.is_set():
                    return False
                if left >= per_chunk:
                    conn.send(full)
                    left -= per_chunk
                else:
                    part = GZIP_BOMB_SEGMENT * left
                    conn.send(b"%x\r\n" % len(part) + part + b"\r\n")
                    left = 0
            tail = gzip_bomb_trailer(mib)
            conn.send(b"%x\r\n" % len(tail) + tail + b"\r\n0\r\n\r\n")
        elif p == "/cookie-flood":
            hdrs = []
            for _ in range(COOKIE_FLOOD_COUNT):
                i = next(self.cookie_ids)
                hdrs.append(("Set-Cookie",
                             f"flood{i}={'v' * COOKIE_FLOOD_VALUE_BYTES}; Path=/"))
            got = len(req.header("Cookie") or "")
            conn.send_simple(200, f"{got}\n".encode(), hdrs)
        elif p == "/cookie/set":
            hdrs = [("Set-Cookie", f"{k}={v}; Path=/") for k, v in req.query.items()]
            conn.send_simple(200, OK_BODY, hdrs)
        elif p == "/cookie/check":
            have = {}
            for k, v in req.headers:
                if k.lower() == "cookie":
                    for item in v.split(";"):
                        name, _, value = item.strip().partition("=")
                        have[name] = value
            ok = all(have.get(k) == v for k, v in req.query.items())
            conn.send_simple(200 if ok else 400, b"cookie ok\n" if ok else b"cookie missing\n")
        elif p == "/echo":
            body = json.dumps(req.describe()).encode()
            conn.send_simple(200, body, [("Content-Type", "application/json")])
        elif p == "/__counts":
            conn.send_simple(200, json.dumps(self.counts.snapshot()).encode(),
                             [("Content-Type", "application/json")])
        elif p == "/__last":
            conn.send_simple(200, json.dumps(self.counts.last_request()).encode(),
                             [("Content-Type", "application/json")])
        elif p == "/__stall":
            # The whole server stalls (a GC pause, a failover): every request not under /__
            # that arrives in the next N ms is answered only when the stall ends.
            try:
                ms = int(req.query.get("ms", "2000"))
            except ValueError:
                ms = 2000
            self.stall_until = time.monotonic() + max(0, min(ms, MAX_SLOW_MS)) / 1000.0
            conn.send_simple(200, OK_BODY)
        elif p == "/__reset":
            self.counts.reset()
            conn.send_simple(200, OK_BODY)
        else:
            conn.send_simple(404, b"not found\n")
        return True

    def _hold(self, conn):
        """Never answer; keep the socket until the peer leaves or we stop."""
        deadline = time.monotonic() + MAX_HANG_S
        conn.sock.settimeout(0.5)
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                data = conn.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="also write the port number to this file")
    ap.add_argument("--idle-timeout", type=float, default=30.0,
                    help="seconds a connection may sit idle (every read has this timeout)")
    args = ap.parse_args(argv)

    server = FaultServer(args.port, args.idle_timeout)

    def on_signal(signum, frame):
        server.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{server.port}\n")
        os.replace(tmp, args.port_file)
    print(f"PORT {server.port}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
