#!/usr/bin/python3
"""Independent OTLP test collector for loadgen's integration tests.

Decodes what loadgen exports without sharing any code with loadgen's encoder:
protobuf payloads are parsed by Debian's python3-protobuf with classes that
protoc generates at runtime (into a temporary directory, never committed) from
the .proto files this project wrote from the OTLP field tables
(tests/support/proto, shared with the C++ unit tests); OTLP/JSON payloads are parsed with the json module and checked
strictly against the OTLP/JSON rules (../shared/reference/otel.md §b) before
being converted to the same protobuf messages, so both paths end in one
neutral view.

Transports (otel.md §b):
  * OTLP/HTTP on 127.0.0.1:<port>: POST /v1/traces, /v1/metrics, /v1/logs with
    Content-Type application/x-protobuf or application/json, optional
    Content-Encoding gzip. Success = 200 with an empty Export*ServiceResponse
    (0 bytes / "{}"), answered in the request's encoding.
  * OTLP/gRPC on 127.0.0.1:<grpc_port> (when python3-grpcio is present):
    /opentelemetry.proto.collector.{trace,metrics,logs}.v1.{Trace,Metrics,Logs}Service/Export.
    With grpc_tls=(key_pem, cert_pem) it serves TLS (grpc_endpoint is then https://...). With
    grpc_wire_tap=True a plaintext TCP relay in front of the gRPC server reads the HTTP/2 DATA
    frames the client sends and records each gRPC message's compressed flag
    (grpc_compressed_flags()), since grpcio hides grpc-encoding from handlers.

How the loadgen integration tests use it::

    from otlp_collector import start_collector
    with start_collector() as col:
        env = col.env("http/protobuf")   # or "http/json", "grpc"
        # env == {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:PORT",
        #         "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}
        run loadgen with extra_env=env (plus OTEL_EXPORTER_OTLP_COMPRESSION=gzip ...)
        col.wait_for_spans(1, timeout=10)
        spans = col.spans()          # neutral dicts, see OtlpCollector.spans
        assert not col.errors()      # OTLP/JSON rule or id/enum violations
        roots = [s for s in spans if not s["parent_span_id"]]

Faults: col.fail_next(3, status=503, retry_after=1), col.partial_success(2, "x"),
col.hang() / col.release(); "refuse" = an endpoint nobody listens on
(refused_endpoint()) or col.stop() (col.start(port=same) brings it back).
Requests answered with a failure, or hung, are recorded (requests()) but are
not part of spans()/metrics()/log_records() unless include_rejected=True.

Standalone: otlp_collector.py [--port N] [--grpc-port N] [--count-only]
prints "PORT n" (and "GRPC_PORT n"), runs until SIGTERM/SIGINT, then prints
a JSON summary (requests, spans, data points, log records, errors).
"""

import argparse
import base64
import binascii
import contextlib
import gzip
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:  # optional: OTLP/gRPC
    import grpc
    from concurrent import futures as _futures
except ImportError:  # pragma: no cover - depends on the host
    grpc = None

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(_HERE))
PROTO_DIRS = (os.path.join(_REPO, "tests", "support", "proto"),)
PROTO_FILES = (
    "otlp_common.proto", "otlp_resource.proto", "otlp_trace.proto",
    "otlp_trace_service.proto", "rpc_status.proto",
    "otlp_metrics.proto", "otlp_metrics_service.proto",
    "otlp_logs.proto", "otlp_logs_service.proto",
)
MAX_BODY_BYTES = 64 * 1024 * 1024  # otel.md §b: recommended server limit

_pb_lock = threading.Lock()
_pb = None


class _Pb:
    """The runtime-generated protobuf modules."""

    def __init__(self, mods):
        self.common = mods["otlp_common_pb2"]
        self.resource = mods["otlp_resource_pb2"]
        self.trace = mods["otlp_trace_pb2"]
        self.trace_svc = mods["otlp_trace_service_pb2"]
        self.metrics = mods["otlp_metrics_pb2"]
        self.metrics_svc = mods["otlp_metrics_service_pb2"]
        self.logs = mods["otlp_logs_pb2"]
        self.logs_svc = mods["otlp_logs_service_pb2"]
        self.rpc = mods["rpc_status_pb2"]
        # signal -> (request class, response class, partial success field name)
        self.signals = {
            "traces": (self.trace_svc.ExportTraceServiceRequest,
                       self.trace_svc.ExportTraceServiceResponse, "rejected_spans"),
            "metrics": (self.metrics_svc.ExportMetricsServiceRequest,
                        self.metrics_svc.ExportMetricsServiceResponse, "rejected_data_points"),
            "logs": (self.logs_svc.ExportLogsServiceRequest,
                     self.logs_svc.ExportLogsServiceResponse, "rejected_log_records"),
        }


def proto_modules():
    """Compile the .proto files with protoc into a temp dir (once per process) and import them."""
    global _pb
    with _pb_lock:
        if _pb is not None:
            return _pb
        protoc = shutil.which("protoc")
        if protoc is None:
            raise RuntimeError("protoc not found: run scripts/install-deps.sh (protobuf-compiler)")
        out = tempfile.mkdtemp(prefix="otlp_collector_pb_")
        args = [protoc] + ["-I" + d for d in PROTO_DIRS if os.path.isdir(d)]
        if os.path.isdir("/usr/include/google/protobuf"):
            args.append("-I/usr/include")
        args += ["--python_out=" + out] + list(PROTO_FILES)
        subprocess.run(args, check=True, capture_output=True)
        sys.path.insert(0, out)
        try:
            mods = {name: importlib.import_module(name) for name in (
                f[:-len(".proto")] + "_pb2" for f in PROTO_FILES)}
        finally:
            sys.path.remove(out)
        _pb = _Pb(mods)
        return _pb


# ---------------------------------------------------------------------------
# Neutral view helpers (protobuf message -> plain Python)

_ID_FIELDS = {"trace_id": 16, "span_id": 8, "parent_span_id": 8}


def any_value(v):
    """AnyValue -> str/bool/int/float/list/dict/bytes, None when unset."""
    if v is None:
        return None
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which == "array_value":
        return [any_value(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return attributes(v.kvlist_value.values)
    return getattr(v, which)


def attributes(kvs):
    """repeated KeyValue -> dict (later duplicates win; duplicates are flagged elsewhere)."""
    return {kv.key: any_value(kv.value) if kv.HasField("value") else None for kv in kvs}


def message_to_dict(msg):
    """Generic protobuf message -> dict with proto (snake_case) names: set oneof members
    only, proto3 `optional` fields as None when absent, id bytes as lowercase hex."""
    out = {}
    for f in msg.DESCRIPTOR.fields:
        oneof = f.containing_oneof
        if oneof is not None and not oneof.name.startswith("_"):
            if msg.WhichOneof(oneof.name) != f.name:
                continue
        elif oneof is not None:  # proto3 optional (synthetic oneof)
            if not msg.HasField(f.name):
                out[f.name] = None
                continue
        val = getattr(msg, f.name)
        if f.label == f.LABEL_REPEATED:
            if f.type == f.TYPE_MESSAGE:
                if f.message_type.full_name == "opentelemetry.proto.common.v1.KeyValue":
                    out[f.name] = attributes(val)
                else:
                    out[f.name] = [message_to_dict(x) for x in val]
            else:
                out[f.name] = list(val)
        elif f.type == f.TYPE_MESSAGE:
            if f.message_type.full_name == "opentelemetry.proto.common.v1.AnyValue":
                out[f.name] = any_value(val) if msg.HasField(f.name) else None
            else:
                out[f.name] = message_to_dict(val) if msg.HasField(f.name) else None
        elif f.type == f.TYPE_BYTES and f.name in _ID_FIELDS:
            out[f.name] = val.hex()
        else:
            out[f.name] = val
    return out


def _scope(s):
    return {"name": s.name, "version": s.version, "attributes": attributes(s.attributes),
            "dropped_attributes_count": s.dropped_attributes_count}


def _resource(r):
    return attributes(r.attributes)


# ---------------------------------------------------------------------------
# Semantic checks shared by both encodings (violations -> errors)

def _check_kvs(kvs, where, errors):
    seen = set()
    for kv in kvs:
        if kv.key in seen:
            errors.append(f"{where}: duplicate attribute key {kv.key!r}")
        seen.add(kv.key)
        if not kv.key:
            errors.append(f"{where}: empty attribute key")


def _check_id(raw, name, where, errors, allow_empty=False):
    n = _ID_FIELDS[name]
    if allow_empty and len(raw) == 0:
        return
    if len(raw) != n:
        errors.append(f"{where}: {name} has {len(raw)} bytes, want {n}")
    elif raw == bytes(n):
        errors.append(f"{where}: {name} is all zero")


def validate(signal_name, req, errors, warnings):
    """Checks the spec rules a decoder can see (otel.md §c), for both encodings."""
    if signal_name == "traces":
        for i, rs in enumerate(req.resource_spans):
            _check_kvs(rs.resource.attributes, f"resource_spans[{i}].resource", errors)
            if not rs.scope_spans:
                warnings.append(f"resource_spans[{i}]: no scope_spans (empty envelope)")
            for j, ss in enumerate(rs.scope_spans):
                if not ss.spans:
                    warnings.append(f"resource_spans[{i}].scope_spans[{j}]: no spans")
                for k, sp in enumerate(ss.spans):
                    w = f"span {sp.name!r} (resource_spans[{i}].scope_spans[{j}].spans[{k}])"
                    _check_id(sp.trace_id, "trace_id", w, errors)
                    _check_id(sp.span_id, "span_id", w, errors)
                    _check_id(sp.parent_span_id, "parent_span_id", w, errors, allow_empty=True)
                    if not 0 <= sp.kind <= 5:
                        errors.append(f"{w}: kind {sp.kind} out of range")
                    if not 0 <= sp.status.code <= 2:
                        errors.append(f"{w}: status.code {sp.status.code} out of range")
                    if sp.flags >> 10:
                        errors.append(f"{w}: flags bits 10-31 set ({sp.flags:#x})")
                    if sp.end_time_unix_nano < sp.start_time_unix_nano:
                        errors.append(f"{w}: end before start")
                    _check_kvs(sp.attributes, w, errors)
                    for ln in sp.links:
                        _check_id(ln.trace_id, "trace_id", w + " link", errors)
                        _check_id(ln.span_id, "span_id", w + " link", errors)
    elif signal_name == "metrics":
        for i, rm in enumerate(req.resource_metrics):
            _check_kvs(rm.resource.attributes, f"resource_metrics[{i}].resource", errors)
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.WhichOneof("data") is None:
                        errors.append(f"metric {m.name!r}: no data")
                    if m.HasField("histogram"):
                        for dp in m.histogram.data_points:
                            nb, ne = len(dp.bucket_counts), len(dp.explicit_bounds)
                            if (nb or ne) and nb != ne + 1:
                                errors.append(f"metric {m.name!r}: {nb} buckets for {ne} bounds")
                            if nb and sum(dp.bucket_counts) != dp.count:
                                errors.append(f"metric {m.name!r}: bucket counts != count")
                            b = list(dp.explicit_bounds)
                            if any(x >= y for x, y in zip(b, b[1:])):
                                errors.append(f"metric {m.name!r}: bounds not increasing")
    elif signal_name == "logs":
        for i, rl in enumerate(req.resource_logs):
            _check_kvs(rl.resource.attributes, f"resource_logs[{i}].resource", errors)
            for sl in rl.scope_logs:
                for lr in sl.log_records:
                    if lr.trace_id:
                        _check_id(lr.trace_id, "trace_id", "log record", errors)
                    if lr.span_id:
                        _check_id(lr.span_id, "span_id", "log record", errors)
                    if not 0 <= lr.severity_number <= 24:
                        errors.append(f"log record: severity_number {lr.severity_number}")


# ---------------------------------------------------------------------------
# Strict OTLP/JSON -> protobuf (otel.md §b "OTLP/JSON encoding")

_INT64_TYPES = None
_INT32_TYPES = None


def _types():
    global _INT64_TYPES, _INT32_TYPES
    if _INT64_TYPES is None:
        from google.protobuf.descriptor import FieldDescriptor as F
        _INT64_TYPES = {F.TYPE_INT64, F.TYPE_UINT64, F.TYPE_FIXED64, F.TYPE_SFIXED64,
                        F.TYPE_SINT64}
        _INT32_TYPES = {F.TYPE_INT32, F.TYPE_UINT32, F.TYPE_FIXED32, F.TYPE_SFIXED32,
                        F.TYPE_SINT32}
    return _INT64_TYPES, _INT32_TYPES


_HEX = set("0123456789abcdefABCDEF")


def _json_scalar(f, v, where, errors):
    """One JSON scalar for field f -> Python value for the protobuf setter, or None to skip."""
    F = f  # FieldDescriptor instance (type constants are on the class too)
    int64s, int32s = _types()
    t = f.type
    if t in int64s:
        if isinstance(v, str):
            s = v[1:] if v.startswith("-") else v
            if not s.isdigit() or not s.isascii():
                errors.append(f"{where}: 64-bit int {v!r} is not a decimal string")
                return None
            return int(v)
        if isinstance(v, int) and not isinstance(v, bool):
            errors.append(f"{where}: 64-bit int written as JSON number {v} (OTLP/JSON wants a string)")
            return v
        errors.append(f"{where}: 64-bit int has JSON type {type(v).__name__}")
        return None
    if t in int32s:
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        errors.append(f"{where}: 32-bit int {v!r} is not a JSON number")
        if isinstance(v, str) and v.lstrip("-").isdigit():
            return int(v)
        return None
    if t == F.TYPE_ENUM:
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if isinstance(v, str):
            errors.append(f"{where}: enum written as name {v!r} (OTLP/JSON wants an integer)")
            ev = f.enum_type.values_by_name.get(v)
            return ev.number if ev is not None else None
        errors.append(f"{where}: enum has JSON type {type(v).__name__}")
        return None
    if t in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return float(v)
        if v in ("NaN", "Infinity", "-Infinity"):
            return float(v.replace("Infinity", "inf"))
        errors.append(f"{where}: double {v!r} is not a JSON number")
        return None
    if t == F.TYPE_BOOL:
        if isinstance(v, bool):
            return v
        errors.append(f"{where}: bool {v!r} is not true/false")
        return None
    if t == F.TYPE_STRING:
        if isinstance(v, str):
            return v
        errors.append(f"{where}: string field has JSON type {type(v).__name__}")
        return None
    if t == F.TYPE_BYTES:
        if not isinstance(v, str):
            errors.append(f"{where}: bytes field has JSON type {type(v).__name__}")
            return None
        if f.name in _ID_FIELDS:  # OTLP deviation: ids are hex, not base64
            if len(v) % 2 or not set(v) <= _HEX:
                errors.append(f"{where}: id {v!r} is not a hex string")
                return None
            if v != v.lower():
                errors.append(f"{where}: id {v!r} is not lowercase hex")
            return bytes.fromhex(v)
        try:
            return base64.b64decode(v + "=" * (-len(v) % 4), validate=True)
        except (binascii.Error, ValueError):
            errors.append(f"{where}: bytes {v!r} is not base64")
            return None
    errors.append(f"{where}: unsupported field type {t}")
    return None


def json_to_message(obj, msg, where, errors):
    """Fills protobuf msg from a parsed OTLP/JSON object, recording every rule violation."""
    if not isinstance(obj, dict):
        errors.append(f"{where}: expected a JSON object, got {type(obj).__name__}")
        return
    d = msg.DESCRIPTOR
    by_json = {f.json_name: f for f in d.fields}
    by_name = {f.name: f for f in d.fields}
    oneofs_set = {}
    for key, val in obj.items():
        f = by_json.get(key)
        w = f"{where}.{key}"
        if f is None:
            g = by_name.get(key)
            if g is not None and g.json_name != key:
                errors.append(f"{w}: proto field name used; OTLP/JSON key is {g.json_name!r}")
            continue  # receivers MUST ignore unknown fields
        if val is None:
            continue
        oneof = f.containing_oneof
        if oneof is not None and not oneof.name.startswith("_"):
            if oneof.name in oneofs_set:
                errors.append(f"{w}: second member of oneof {oneof.name} "
                              f"(already {oneofs_set[oneof.name]})")
                continue
            oneofs_set[oneof.name] = key
        if f.label == f.LABEL_REPEATED:
            if not isinstance(val, list):
                errors.append(f"{w}: repeated field is not a JSON array")
                continue
            target = getattr(msg, f.name)
            for i, item in enumerate(val):
                if f.type == f.TYPE_MESSAGE:
                    json_to_message(item, target.add(), f"{w}[{i}]", errors)
                else:
                    x = _json_scalar(f, item, f"{w}[{i}]", errors)
                    if x is not None:
                        target.append(x)
        elif f.type == f.TYPE_MESSAGE:
            sub = getattr(msg, f.name)
            sub.SetInParent()
            json_to_message(val, sub, w, errors)
        else:
            x = _json_scalar(f, val, w, errors)
            if x is not None:
                try:
                    setattr(msg, f.name, x)
                except (ValueError, TypeError) as e:
                    errors.append(f"{w}: {e}")


# ---------------------------------------------------------------------------
# Records

class Request:
    """One export request as received (HTTP or gRPC)."""

    def __init__(self, transport, path, signal_name, headers):
        self.transport = transport          # "http" | "grpc"
        self.path = path                    # "/v1/traces" or the gRPC method
        self.signal = signal_name           # "traces" | "metrics" | "logs" | None
        self.headers = headers              # list of (name, value) as received
        self.time = time.time()
        self.monotonic = time.monotonic()
        self.content_type = ""
        self.content_encoding = ""
        self.protocol = ""                  # "http/protobuf" | "http/json" | "grpc"
        self.raw_body = b""                 # as received (maybe gzip)
        self.body = b""                     # after Content-Encoding
        self.message = None                 # decoded Export*ServiceRequest
        self.errors = []                    # decoding / rule violations
        self.warnings = []                  # SHOULD-level findings (empty envelopes)
        self.status = None                  # HTTP status answered (gRPC: 200 or code)
        self.grpc_code = None
        self.hung = False
        self.accepted = False               # answered success (and not hung)

    def header(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    @property
    def payload(self):
        """The decoded request as a neutral dict (message_to_dict), None if undecodable."""
        return None if self.message is None else message_to_dict(self.message)

    def __repr__(self):
        return (f"Request({self.transport} {self.path} {self.protocol} status={self.status} "
                f"errors={len(self.errors)})")


_GRPC_FROM_HTTP = {400: 3, 401: 16, 403: 7, 404: 12, 408: 4, 413: 8, 429: 8, 500: 13,
                   502: 14, 503: 14, 504: 14}

_SIGNAL_BY_PATH = {"/v1/traces": "traces", "/v1/metrics": "metrics", "/v1/logs": "logs"}
_GRPC_SERVICES = {
    "traces": "opentelemetry.proto.collector.trace.v1.TraceService",
    "metrics": "opentelemetry.proto.collector.metrics.v1.MetricsService",
    "logs": "opentelemetry.proto.collector.logs.v1.LogsService",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def refused_endpoint():
    """http://127.0.0.1:PORT with (very likely) nobody listening: the "refuse" fault."""
    return f"http://127.0.0.1:{free_port()}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as exporters expect
    server_version = "otlp-test-collector"
    timeout = 120

    def log_message(self, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        self.server.collector._track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.collector._track(self.connection, False)

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)
        n = int(self.headers.get("Content-Length", "0") or 0)
        if n > MAX_BODY_BYTES:
            return None
        return self.rfile.read(n)

    def _send(self, status, body=b"", ctype=None, extra=()):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def do_POST(self):
        col = self.server.collector
        path = self.path.split("?", 1)[0]
        sig = _SIGNAL_BY_PATH.get(path)
        req = Request("http", path, sig, list(self.headers.items()))
        body = self._read_body()
        if body is None:
            req.status = 413
            col._record(req)
            self.close_connection = True
            self._send(413)
            return
        req.raw_body = body
        if sig is None:
            req.errors.append(f"unknown path {path}")
            req.status = 404
            col._record(req)
            self._send(404)
            return
        col._decode_http(req, self.headers.get("Content-Type", ""),
                         self.headers.get("Content-Encoding", ""))
        status, rbody, ctype, extra = col._answer(req)
        if status is None:  # hung, then released or stopped
            if not col._running:
                self.close_connection = True
                return
            req.status = 200
            status, rbody, ctype, extra = 200, col._empty_response(req), req.content_type or None, ()
        try:
            self._send(status, rbody, ctype, extra)
        except OSError:
            pass

    def do_GET(self):
        self._send(405, b"", None, (("Allow", "POST"),))


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class OtlpCollector:
    """An OTLP receiver on 127.0.0.1 that records and decodes everything it gets."""

    def __init__(self, grpc_enabled=None, grpc_tls=None, grpc_wire_tap=False):
        self.pb = proto_modules()
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._records = []
        self._fail = []            # queue of (status, retry_after, grpc_code, message)
        self._partial = None       # (rejected, message, remaining or None)
        self._hang = threading.Event()
        self._release = threading.Event()
        self._conns = set()
        self._running = False
        self._http = None
        self._grpc = None
        self._threads = []
        self.port = None
        self.grpc_port = None
        self.http_tls = False
        self._grpc_tls = grpc_tls
        self._grpc_tap = None
        if grpc_wire_tap and grpc_tls is not None:
            raise ValueError("the wire tap reads plaintext HTTP/2 only")
        self._grpc_wire_tap = grpc_wire_tap
        self.grpc_enabled = (grpc is not None) if grpc_enabled is None else grpc_enabled
        if self.grpc_enabled and grpc is None:
            raise RuntimeError("python3-grpcio is not installed")

    # -- lifecycle --------------------------------------------------------
    def start(self, port=0, grpc_port=0, http_tls=None):
        """http_tls: an ssl.SSLContext (server side) to serve OTLP/HTTP over TLS."""
        self._http = _HttpServer(("127.0.0.1", port), _Handler)
        self._http.collector = self
        self.http_tls = http_tls is not None
        if http_tls is not None:
            self._http.socket = http_tls.wrap_socket(self._http.socket, server_side=True)
        self.port = self._http.server_address[1]
        t = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
                             name="otlp-http", daemon=True)
        t.start()
        self._threads = [t]
        if self.grpc_enabled:
            self._start_grpc(grpc_port)
        self._release.clear()
        self._running = True
        return self

    def stop(self):
        """Stop listening and drop open connections (a later start(port=...) may reuse ports)."""
        self._running = False
        self._release.set()
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._grpc_tap is not None:
            self._grpc_tap.close()
        if self._grpc is not None:
            self._grpc.stop(grace=0).wait(5)
            self._grpc = None
        for t in self._threads:
            t.join(5)

    def __enter__(self):
        if not self._running:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _track(self, conn, add):
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    # -- endpoints --------------------------------------------------------
    @property
    def endpoint(self):
        """OTLP/HTTP base endpoint (no /v1/... suffix)."""
        return f"{'https' if self.http_tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def grpc_endpoint(self):
        scheme = "https" if self._grpc_tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.grpc_port}"

    def grpc_compressed_flags(self):
        """Compressed-flag byte of every gRPC message seen by the wire tap, in order."""
        return self._grpc_tap.flags() if self._grpc_tap is not None else []

    def env(self, protocol="http/protobuf", compression=None):
        """OTEL_* variables pointing an exporter at this collector."""
        ep = self.grpc_endpoint if protocol == "grpc" else self.endpoint
        if protocol == "grpc" and not self.grpc_enabled:
            raise RuntimeError("collector started without gRPC")
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": ep, "OTEL_EXPORTER_OTLP_PROTOCOL": protocol}
        if compression is not None:
            env["OTEL_EXPORTER_OTLP_COMPRESSION"] = compression
        return env

    # -- fault control ----------------------------------------------------
    def fail_next(self, n, status=503, retry_after=None, grpc_code=None, message="test failure"):
        """Answer the next n export requests with `status` (+ Retry-After when given; an int is
        delta-seconds, a str is sent verbatim, e.g. an HTTP-date). gRPC answers grpc_code
        (default mapped from status) with a RetryInfo detail when retry_after is given."""
        code = grpc_code if grpc_code is not None else _GRPC_FROM_HTTP.get(status, 2)
        with self._lock:
            self._fail.extend([(status, retry_after, code, message)] * n)

    def partial_success(self, rejected, message="", count=1):
        """The next `count` successful answers (None = all until cleared) carry partial_success."""
        with self._lock:
            self._partial = None if rejected is None else (rejected, message, count)

    def clear_faults(self):
        with self._lock:
            self._fail.clear()
            self._partial = None
        self.release()

    def hang(self):
        """Accept requests and never answer them until release() (or stop())."""
        self._release.clear()
        self._hang.set()

    def release(self):
        """Stop hanging; requests held so far get a 200 now (their client may be gone)."""
        self._hang.clear()
        self._release.set()

    # -- decoding / answering (internal) ----------------------------------
    def _decode_http(self, req, ctype, cenc):
        req.content_type = ctype.split(";", 1)[0].strip().lower()
        req.content_encoding = cenc.strip().lower()
        body = req.raw_body
        if req.content_encoding == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError, zlib.error) as e:
                req.errors.append(f"bad gzip body: {e}")
                return
        elif req.content_encoding not in ("", "identity"):
            req.errors.append(f"unsupported Content-Encoding {cenc!r}")
            return
        req.body = body
        req_cls = self.pb.signals[req.signal][0]
        if req.content_type == "application/x-protobuf":
            req.protocol = "http/protobuf"
            try:
                req.message = req_cls.FromString(body)
            except Exception as e:  # google.protobuf.message.DecodeError and friends
                req.errors.append(f"protobuf decode error: {e}")
                return
        elif req.content_type == "application/json":
            req.protocol = "http/json"
            try:
                obj = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                req.errors.append(f"JSON parse error: {e}")
                return
            msg = req_cls()
            json_to_message(obj, msg, req.signal, req.errors)
            req.message = msg
        else:
            req.errors.append(f"unsupported Content-Type {ctype!r}")
            return
        validate(req.signal, req.message, req.errors, req.warnings)

    def _take_fault(self):
        with self._lock:
            return self._fail.pop(0) if self._fail else None

    def _take_partial(self):
        with self._lock:
            if self._partial is None:
                return None
            rejected, message, count = self._partial
            if count is not None:
                self._partial = None if count <= 1 else (rejected, message, count - 1)
            return rejected, message

    def _wait_if_hanging(self, req):
        if not self._hang.is_set():
            return False
        req.hung = True
        self._record(req)
        while self._running and not self._release.wait(0.1):
            pass
        return True

    def _empty_response(self, req):
        return b"{}" if req.protocol == "http/json" else b""

    def _answer(self, req):
        """-> (status, body, content type, extra headers); status None when hung."""
        js = req.protocol == "http/json"
        ctype = "application/json" if js else "application/x-protobuf"
        if req.message is None:  # undecodable: 400 (415 for a media type we don't take)
            unsupported = req.errors and req.errors[0].startswith("unsupported Content-Type")
            req.status = 415 if unsupported else 400
            self._record(req)
            return req.status, self._status_body(js, 3, "; ".join(req.errors)), ctype, ()
        if self._wait_if_hanging(req):
            return None, b"", None, ()
        fault = self._take_fault()
        if fault is not None:
            status, retry_after, code, message = fault
            req.status = status
            extra = () if retry_after is None else (("Retry-After", str(retry_after)),)
            self._record(req)
            return status, self._status_body(js, code, message), ctype, extra
        _, resp_cls, rejected_field = self.pb.signals[req.signal]
        partial = self._take_partial()
        req.status = 200
        req.accepted = True
        self._record(req)
        if partial is None:
            return 200, self._empty_response(req), ctype, ()
        rejected, message = partial
        if js:
            key = "rejected" + "".join(p.title() for p in rejected_field.split("_")[1:])
            body = json.dumps({"partialSuccess": {key: str(rejected),
                                                  "errorMessage": message}}).encode()
        else:
            resp = resp_cls()
            setattr(resp.partial_success, rejected_field, rejected)
            resp.partial_success.error_message = message
            body = resp.SerializeToString()
        return 200, body, ctype, ()

    def _status_body(self, js, code, message):
        if js:
            return json.dumps({"code": code, "message": message}).encode()
        return self.pb.rpc.Status(code=code, message=message).SerializeToString()

    def _record(self, req):
        with self._cond:
            if not getattr(req, "_recorded", False):
                req._recorded = True
                self._records.append(req)
            self._cond.notify_all()

    # -- gRPC -------------------------------------------------------------
    def _start_grpc(self, port):
        self._grpc = grpc.server(_futures.ThreadPoolExecutor(max_workers=16),
                                 options=[("grpc.max_receive_message_length", MAX_BODY_BYTES)])
        for sig, service in _GRPC_SERVICES.items():
            req_cls, resp_cls, _ = self.pb.signals[sig]
            handler = grpc.unary_unary_rpc_method_handler(
                self._grpc_export(sig, service),
                request_deserializer=lambda b: b,  # decode ourselves to record errors
                response_serializer=lambda m: m.SerializeToString())
            self._grpc.add_generic_rpc_handlers(
                (grpc.method_handlers_generic_handler(service, {"Export": handler}),))
        if self._grpc_tls is not None:
            key, cert = self._grpc_tls
            creds = grpc.ssl_server_credentials([(key, cert)])
            self.grpc_port = self._grpc.add_secure_port(f"127.0.0.1:{port}", creds)
        elif self._grpc_wire_tap:
            inner = self._grpc.add_insecure_port("127.0.0.1:0")
            self._grpc_tap = _Http2Tap(port, inner)
            self.grpc_port = self._grpc_tap.port
        else:
            self.grpc_port = self._grpc.add_insecure_port(f"127.0.0.1:{port}")
        self._grpc.start()

    def _grpc_export(self, sig, service):
        req_cls, resp_cls, rejected_field = self.pb.signals[sig]

        def export(raw, context):
            req = Request("grpc", f"/{service}/Export", sig,
                          [(k, v) for k, v in context.invocation_metadata()])
            req.protocol = "grpc"
            req.content_type = "application/grpc"
            req.raw_body = req.body = raw
            try:
                req.message = req_cls.FromString(raw)
            except Exception as e:
                req.errors.append(f"protobuf decode error: {e}")
                req.grpc_code = 3
                req.status = 400
                self._record(req)
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "; ".join(req.errors))
            validate(sig, req.message, req.errors, req.warnings)
            if self._wait_if_hanging(req):
                if not self._running:
                    context.abort(grpc.StatusCode.UNAVAILABLE, "collector stopped")
                req.status = 200
                req.grpc_code = 0
                return resp_cls()  # released: answered, but not counted as accepted
            fault = self._take_fault()
            if fault is not None:
                status, retry_after, code, message = fault
                req.status = status
                req.grpc_code = code
                self._record(req)
                st = self.pb.rpc.Status(code=code, message=message)
                if retry_after is not None:
                    from google.protobuf import duration_pb2
                    info = self.pb.rpc.RetryInfo(
                        retry_delay=duration_pb2.Duration(seconds=int(retry_after)))
                    d = st.details.add()
                    d.type_url = "type.googleapis.com/google.rpc.RetryInfo"
                    d.value = info.SerializeToString()
                context.set_trailing_metadata(
                    (("grpc-status-details-bin", st.SerializeToString()),))
                context.abort(_grpc_status_code(code), message)
            req.status = 200
            req.grpc_code = 0
            req.accepted = True
            self._record(req)
            resp = resp_cls()
            partial = self._take_partial()
            if partial is not None:
                setattr(resp.partial_success, rejected_field, partial[0])
                resp.partial_success.error_message = partial[1]
            return resp

        return export

    # -- views ------------------------------------------------------------
    def requests(self, signal_name=None):
        """Every request received, in arrival order (Request objects)."""
        with self._lock:
            return [r for r in self._records if signal_name is None or r.signal == signal_name]

    def errors(self):
        """All decoding / OTLP rule violations, prefixed with the request they came from."""
        return [f"{r.protocol or r.transport} {r.path}: {e}" for r in self.requests()
                for e in r.errors]

    def warnings(self):
        return [f"{r.protocol or r.transport} {r.path}: {w}" for r in self.requests()
                for w in r.warnings]

    def clear(self):
        with self._lock:
            self._records.clear()

    def _messages(self, sig, include_rejected):
        for r in self.requests(sig):
            if r.message is not None and (r.accepted or include_rejected):
                yield r, r.message

    def spans(self, include_rejected=False):
        """Spans as dicts: trace_id, span_id, parent_span_id (lowercase hex, "" for a root),
        trace_state, name, kind (int), start, end (ns), attributes (dict), dropped_attributes_count,
        events [{time, name, attributes}], links [{trace_id, span_id, trace_state, attributes,
        flags}], status {code, message}, flags, resource (dict), scope {name, version,
        attributes}, schema_url, protocol."""
        out = []
        for r, msg in self._messages("traces", include_rejected):
            for rs in msg.resource_spans:
                res = _resource(rs.resource)
                for ss in rs.scope_spans:
                    scope = _scope(ss.scope)
                    for sp in ss.spans:
                        out.append({
                            "trace_id": sp.trace_id.hex(), "span_id": sp.span_id.hex(),
                            "parent_span_id": sp.parent_span_id.hex(),
                            "trace_state": sp.trace_state, "name": sp.name, "kind": sp.kind,
                            "start": sp.start_time_unix_nano, "end": sp.end_time_unix_nano,
                            "attributes": attributes(sp.attributes),
                            "dropped_attributes_count": sp.dropped_attributes_count,
                            "events": [{"time": e.time_unix_nano, "name": e.name,
                                        "attributes": attributes(e.attributes)}
                                       for e in sp.events],
                            "dropped_events_count": sp.dropped_events_count,
                            "links": [{"trace_id": ln.trace_id.hex(), "span_id": ln.span_id.hex(),
                                       "trace_state": ln.trace_state,
                                       "attributes": attributes(ln.attributes),
                                       "flags": ln.flags} for ln in sp.links],
                            "dropped_links_count": sp.dropped_links_count,
                            "status": {"code": sp.status.code, "message": sp.status.message},
                            "flags": sp.flags, "resource": res, "scope": scope,
                            "schema_url": ss.schema_url or rs.schema_url,
                            "protocol": r.protocol,
                        })
        return out

    def metrics(self, include_rejected=False):
        """Metrics as dicts: name, description, unit, type ("gauge", "sum", "histogram",
        "exponential_histogram", "summary"), aggregation_temporality, is_monotonic,
        data_points (message_to_dict of each point, attributes as a dict, plus "value" for
        number points), resource, scope, protocol."""
        out = []
        for r, msg in self._messages("metrics", include_rejected):
            for rm in msg.resource_metrics:
                res = _resource(rm.resource)
                for sm in rm.scope_metrics:
                    scope = _scope(sm.scope)
                    for m in sm.metrics:
                        kind = m.WhichOneof("data")
                        data = getattr(m, kind) if kind else None
                        points = []
                        for dp in (data.data_points if data is not None else ()):
                            d = message_to_dict(dp)
                            if kind in ("gauge", "sum"):
                                d["value"] = d.get("as_int", d.get("as_double"))
                            points.append(d)
                        out.append({
                            "name": m.name, "description": m.description, "unit": m.unit,
                            "type": kind,
                            "aggregation_temporality": getattr(data, "aggregation_temporality",
                                                               None),
                            "is_monotonic": getattr(data, "is_monotonic", None),
                            "data_points": points, "metadata": attributes(m.metadata),
                            "resource": res, "scope": scope, "protocol": r.protocol,
                        })
        return out

    def log_records(self, include_rejected=False):
        """Log records as dicts: time, observed_time, severity_number, severity_text, body
        (python value), attributes, dropped_attributes_count, flags, trace_id, span_id (hex,
        "" when absent), event_name, resource, scope, protocol."""
        out = []
        for r, msg in self._messages("logs", include_rejected):
            for rl in msg.resource_logs:
                res = _resource(rl.resource)
                for sl in rl.scope_logs:
                    scope = _scope(sl.scope)
                    for lr in sl.log_records:
                        out.append({
                            "time": lr.time_unix_nano, "observed_time": lr.observed_time_unix_nano,
                            "severity_number": lr.severity_number,
                            "severity_text": lr.severity_text,
                            "body": any_value(lr.body) if lr.HasField("body") else None,
                            "attributes": attributes(lr.attributes),
                            "dropped_attributes_count": lr.dropped_attributes_count,
                            "flags": lr.flags, "trace_id": lr.trace_id.hex(),
                            "span_id": lr.span_id.hex(), "event_name": lr.event_name,
                            "resource": res, "scope": scope, "protocol": r.protocol,
                        })
        return out

    # -- waiting ----------------------------------------------------------
    def wait_for(self, predicate, timeout=10.0):
        """Waits until predicate(self) is true (re-checked on every request); returns it."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with self._cond:
                self._cond.wait(min(left, 0.2))

    def wait_for_requests(self, n, timeout=10.0, signal_name=None):
        return self.wait_for(lambda c: len(c.requests(signal_name)) >= n, timeout)

    def wait_for_spans(self, n, timeout=10.0):
        return self.wait_for(lambda c: len(c.spans()) >= n, timeout)


class _Http2Tap:
    """TCP relay on 127.0.0.1:port to an HTTP/2 server at 127.0.0.1:upstream that parses the
    client's frames (RFC 9113 §4.1: 24-byte preface, then 9-byte headers) and, in DATA frames,
    the gRPC length-prefixed messages (1-byte compressed flag, 4-byte big-endian length)."""

    def __init__(self, port, upstream):
        self._upstream = upstream
        self._lock = threading.Lock()
        self._flags = []
        self._socks = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name="h2-tap").start()

    def flags(self):
        with self._lock:
            return list(self._flags)

    def close(self):
        with self._lock:
            socks, self._socks = self._socks + [self._sock], []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self):
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self._upstream))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._socks += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src, dst, parse):
        buf = b""
        preface = 24
        streams = {}  # stream id -> [bytes left of the current message, partial prefix]
        while True:
            try:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
            except OSError:
                break
            if not parse:
                continue
            buf += data
            if preface:
                n = min(preface, len(buf))
                buf, preface = buf[n:], preface - n
            while len(buf) >= 9:
                length = int.from_bytes(buf[0:3], "big")
                if len(buf) < 9 + length:
                    break
                ftype, fflags = buf[3], buf[4]
                sid = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
                payload, buf = buf[9:9 + length], buf[9 + length:]
                if ftype == 0:  # DATA
                    if fflags & 0x8:  # PADDED
                        payload = payload[1:len(payload) - payload[0]]
                    self._data(streams.setdefault(sid, [0, b""]), payload)
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _data(self, st, payload):
        while payload:
            if st[0] > 0:
                n = min(st[0], len(payload))
                st[0] -= n
                payload = payload[n:]
                continue
            need = 5 - len(st[1])
            st[1] += payload[:need]
            payload = payload[need:]
            if len(st[1]) == 5:
                with self._lock:
                    self._flags.append(st[1][0])
                st[0] = int.from_bytes(st[1][1:5], "big")
                st[1] = b""


def _grpc_status_code(code):
    for sc in grpc.StatusCode:
        if sc.value[0] == code:
            return sc
    return grpc.StatusCode.UNKNOWN


@contextlib.contextmanager
def start_collector(port=0, grpc_port=0, grpc_enabled=None, grpc_tls=None, grpc_wire_tap=False):
    """with start_collector() as col: ... — a running OtlpCollector, stopped on exit."""
    col = OtlpCollector(grpc_enabled=grpc_enabled, grpc_tls=grpc_tls, grpc_wire_tap=grpc_wire_tap)
    col.start(port=port, grpc_port=grpc_port)
    try:
        yield col
    finally:
        col.stop()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--grpc-port", type=int, default=0)
    ap.add_argument("--no-grpc", action="store_true")
    args = ap.parse_args(argv)
    col = OtlpCollector(grpc_enabled=False if args.no_grpc else None)
    col.start(port=args.port, grpc_port=args.grpc_port)
    print(f"PORT {col.port}", flush=True)
    if col.grpc_enabled:
        print(f"GRPC_PORT {col.grpc_port}", flush=True)
    done = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: done.set())
    while not done.wait(0.2):
        pass
    col.stop()
    summary = {"requests": len(col.requests()), "spans": len(col.spans()),
               "metrics": len(col.metrics()), "log_records": len(col.log_records()),
               "errors": col.errors()[:50]}
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
