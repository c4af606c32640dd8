#!/usr/bin/python3
"""The message codec against Locust 2.12's own Python (python3-locust, python3-msgpack).

Usage: codec_locust_check.py CLUSTER_CODEC_TOOL

1. Our encode(): every frame loads with Locust's Message.unserialize, dumps back to the same
   bytes with msgpack-python (so we write what it writes), and its stats entries go through
   StatsEntry.unserialize + extend as a Locust master merges them (stats.py on_worker_report):
   num_requests, failures, min, max, median and the per-second counts come out as ours.
2. Our decode(): messages built by Locust's own code (Message.serialize, RequestStats with
   logged requests, get_stripped_report, serialize_errors, the spawn a master sends with its
   real parsed_options) decode to the values Locust holds.
"""
import json
import subprocess
import sys
import unittest

import msgpack
from locust import argument_parser
from locust.rpc.protocol import Message
from locust.stats import RequestStats, StatsEntry, StatsError

TOOL = None
NODE = "worker-1_00112233445566778899aabbccddeeff"


def locust_round(ms):
    """stats.py _log_response_time's bucket of a response time in ms."""
    if ms < 100:
        return round(ms)
    if ms < 1000:
        return round(ms, -1)
    if ms < 10000:
        return round(ms, -2)
    return round(ms, -3)


def run_tool(mode, stdin=""):
    out = subprocess.run([TOOL, mode], input=stdin, capture_output=True, text=True, check=True,
                         timeout=30)
    return out.stdout.splitlines()


class OurEncodingInLocust(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.frames = []
        for line in run_tool("encode"):
            hexed, expect = line.split("\t", 1)
            cls.frames.append((bytes.fromhex(hexed), json.loads(expect)))
        assert cls.frames

    def test_bytes_are_what_msgpack_python_writes(self):
        for raw, expect in self.frames:
            msg = Message.unserialize(raw)
            self.assertEqual(msg.type, expect["type"])
            self.assertEqual(msg.node_id, "loadgen-host_00112233445566778899aabbccddeeff")
            again = Message(msg.type, msg.data, msg.node_id).serialize()
            self.assertEqual(again, raw, f"{msg.type}: not byte-identical to msgpack.dumps")

    def test_every_type_is_there(self):
        types = {e["type"] for _, e in self.frames}
        self.assertEqual(types, {"client_ready", "ack", "spawn", "spawning", "spawning_complete",
                                 "heartbeat", "stats", "exception", "client_stopped", "stop",
                                 "quit", "reconnect", "my_custom"})

    def test_spawn_has_what_a_2_12_worker_reads(self):
        defaults = argument_parser.default_args_dict()
        for raw, expect in self.frames:
            msg = Message.unserialize(raw)
            if msg.type != "spawn":
                continue
            job = msg.data  # runners.py WorkerRunner.worker()
            self.assertIsInstance(job["timestamp"], float)
            self.assertEqual(job["host"], expect["data"]["host"])
            self.assertEqual(job["stop_timeout"], expect["data"]["stop_timeout"])
            if job["stop_timeout"] is not None:
                self.assertIsInstance(job["stop_timeout"], int)  # argparse type=int in Locust
            custom = {k: v for k, v in job["parsed_options"].items()
                      if k not in defaults or k in ["expect_workers", "tags", "exclude_tags"]}
            self.assertEqual(custom, {})
            self.assertEqual(list(job["user_classes_count"].items()),
                             [tuple(x) for x in expect["data"]["user_classes_count"]])
            self.assertEqual(sum(job["user_classes_count"].values()),
                             sum(n for _, n in expect["data"]["user_classes_count"]))

    def test_heartbeat_and_spawning_complete_as_the_master_reads_them(self):
        for raw, expect in self.frames:
            msg = Message.unserialize(raw)
            if msg.type == "heartbeat":
                self.assertEqual(msg.data["state"], "running")
                self.assertIsInstance(msg.data["current_cpu_usage"], float)
                self.assertEqual(msg.data["current_memory_usage"], 104857600)
            elif msg.type == "spawning_complete":
                self.assertEqual(msg.data["user_classes_count"], {"WebUser": 3})
                self.assertEqual(msg.data["user_count"], 3)
            elif msg.type == "client_ready":
                self.assertEqual(msg.data, "2.12.1")
            elif msg.type == "ack":
                self.assertEqual(msg.data, {"index": 2})
            elif msg.type == "exception":
                self.assertEqual(set(msg.data), {"msg", "traceback"})

    def check_entry(self, got, ours):
        self.assertEqual(got.name, ours["name"])
        self.assertEqual(got.method, ours["method"])
        self.assertEqual(got.num_requests, ours["num_requests"])
        self.assertEqual(got.num_failures, ours["num_failures"])
        self.assertEqual(got.total_content_length, ours["content"])
        self.assertAlmostEqual(got.total_response_time, ours["total_us"] / 1000.0, places=6)
        self.assertEqual(got.max_response_time, ours["max_ms"])
        self.assertEqual(got.min_response_time, ours["min_ms"] if ours["num_requests"] else None)
        self.assertEqual(sum(got.response_times.values()), ours["hist_count"])
        for k in got.response_times:
            self.assertIsInstance(k, int)
            self.assertEqual(k, locust_round(k), "a key Locust itself would make")
        # Locust's median is the rounded bucket of ours, clamped to [min, max].
        if ours["num_requests"]:
            want = locust_round(ours["median_ms"])
            want = min(max(want, ours["min_ms"]), ours["max_ms"])
            self.assertEqual(got.median_response_time, want, ours["name"])
        self.assertEqual(got.num_reqs_per_sec, {s: n for s, n in ours["rps"]})
        self.assertEqual(got.num_fail_per_sec, {s: n for s, n in ours["fps"]})
        self.assertEqual(got.start_time, ours["start"])
        self.assertEqual(got.last_request_timestamp, ours["last"] or None)

    def test_stats_merge_in_a_locust_master(self):
        checked = 0
        for raw, expect in self.frames:
            msg = Message.unserialize(raw)
            if msg.type != "stats":
                continue
            ours = expect["data"]
            # stats.py on_worker_report, as a 2.12 master runs it.
            stats = RequestStats(use_response_times_cache=True)
            for stats_data in msg.data["stats"]:
                entry = StatsEntry.unserialize(stats_data)
                key = (entry.name, entry.method)
                if key not in stats.entries:
                    stats.entries[key] = StatsEntry(stats, entry.name, entry.method,
                                                    use_response_times_cache=True)
                stats.entries[key].extend(entry)
            for error_key, error in msg.data["errors"].items():
                if error_key not in stats.errors:
                    stats.errors[error_key] = StatsError.unserialize(error)
                else:
                    stats.errors[error_key].occurrences += error["occurrences"]
            stats.total.extend(StatsEntry.unserialize(msg.data["stats_total"]))
            self.assertEqual(len(stats.entries), len(ours["entries"]))
            for e in ours["entries"]:
                got = stats.entries[(e["name"], e["method"])]
                self.check_entry(got, e)
                # unserialize skipped our extra keys
                self.assertFalse(hasattr(got, "loadgen_hist"))
                checked += 1
            total = ours["total"] or expect["stats_total"]
            self.assertEqual(stats.total.num_requests, total["num_requests"])
            self.assertEqual(stats.total.num_failures, total["num_failures"])
            self.assertEqual(stats.total.max_response_time, total["max_ms"])
            if total["num_requests"]:
                self.assertEqual(stats.total.min_response_time, total["min_ms"])
                self.assertEqual(stats.total.start_time, total["start"])
            self.assertEqual(sorted((e.method, e.name, e.error, e.occurrences)
                                    for e in stats.errors.values()),
                             sorted(tuple(r) for r in ours["errors"]))
            self.assertEqual(msg.data["user_count"], ours["user_count"])
            self.assertEqual(msg.data["user_classes_count"],
                             {c: n for c, n in ours["user_classes_count"]})
        self.assertGreater(checked, 3)


def decode_all(frames):
    lines = run_tool("decode", "".join(f.hex() + "\n" for f in frames))
    assert len(lines) == len(frames), lines
    return [json.loads(x) for x in lines]


class LocustMessagesInOurDecoder(unittest.TestCase):
    def test_simple_messages(self):
        parser = argument_parser.get_parser()
        options = parser.parse_args(["--headless", "-u", "3", "--tags", "a", "b"])
        spawn = {"timestamp": 1700000000.75, "user_classes_count": {"WebUser": 2, "ApiUser": 1},
                 "host": "http://127.0.0.1:8089", "stop_timeout": 3,
                 "parsed_options": vars(options)}  # runners.py MasterRunner.start
        frames = [Message("client_ready", "2.12.1", NODE).serialize(),
                  Message("ack", {"index": 0}, NODE).serialize(),
                  Message("spawn", spawn, NODE).serialize(),
                  Message("spawning", None, NODE).serialize(),
                  Message("spawning_complete", {"user_classes_count": {"WebUser": 2},
                                                "user_count": 2}, NODE).serialize(),
                  Message("heartbeat", {"state": "running", "current_cpu_usage": 3.2,
                                        "current_memory_usage": 1234}, NODE).serialize(),
                  Message("exception", {"msg": "boom", "traceback": "tb"}, NODE).serialize(),
                  Message("client_stopped", None, NODE).serialize(),
                  Message("stop", None, NODE).serialize(),
                  Message("quit", None, NODE).serialize(),
                  Message("reconnect", None, NODE).serialize(),
                  Message("update_user_class", {"x": 1}, NODE).serialize()]
        out = decode_all(frames)
        for o in out:
            self.assertTrue(o["ok"], o)
            self.assertEqual(o["node_id"], NODE)
        self.assertEqual(out[0]["data"], "2.12.1")
        self.assertEqual(out[1]["data"], {"index": 0})
        self.assertEqual(out[2]["data"], {"timestamp": 1700000000.75,
                                          "user_classes_count": [["WebUser", 2], ["ApiUser", 1]],
                                          "host": "http://127.0.0.1:8089", "stop_timeout": 3})
        self.assertEqual(out[4]["data"], {"user_classes_count": [["WebUser", 2]], "user_count": 2})
        self.assertEqual(out[5]["data"], {"state": "running", "current_cpu_usage": 3.2,
                                          "current_memory_usage": 1234})
        self.assertEqual(out[6]["data"], {"msg": "boom", "traceback": "tb"})
        self.assertEqual([o["type"] for o in out[7:11]],
                         ["client_stopped", "stop", "quit", "reconnect"])
        self.assertFalse(out[11]["known"])
        self.assertEqual(out[11]["type"], "update_user_class")

    def test_stats_from_locusts_own_request_stats(self):
        stats = RequestStats()  # a worker's (use_response_times_cache False)
        # HttpUser gives float ms (keys >= 100 become floats like 150.0), FastHttpUser ints.
        floats = [0.4, 3.2, 12.5, 99.7, 150.7, 151.0, 1234.5, 45678.9, 7.0, 20.25, 20.75]
        for rt in floats:
            stats.log_request("GET", "/float", rt, 100)
        for rt in [1, 99, 100, 105, 2000, 15]:
            stats.log_request("POST", "/int", rt, 7)
        stats.log_error("GET", "/float", Exception("boom"))
        stats.log_error("POST", "/int", "HTTPError('500')")
        stats.log_error("POST", "/int", "HTTPError('500')")
        stats.log_request("CUSTOM", "none", None, 0)  # a None response time
        expected = {key: (e.num_requests, e.num_failures, e.total_response_time,
                          e.min_response_time, e.max_response_time, e.total_content_length,
                          dict(e.num_reqs_per_sec), dict(e.num_fail_per_sec),
                          e.start_time, e.last_request_timestamp, e.median_response_time)
                    for key, e in stats.entries.items()}
        total_n = stats.total.num_requests
        # stats.py on_report_to_master + runners.py WorkerRunner's listener
        data = {"stats": stats.serialize_stats(), "stats_total": stats.total.get_stripped_report(),
                "errors": stats.serialize_errors(), "user_classes_count": {"WebUser": 1},
                "user_count": 1}
        self.assertTrue(any(isinstance(k, float) for k in data["stats"][0]["response_times"]))
        out = decode_all([Message("stats", data, NODE).serialize()])[0]
        self.assertTrue(out["ok"], out)
        got = {(e["name"], e["method"]): e for e in out["data"]["entries"]}
        self.assertEqual(set(got), set(expected))
        for key, (n, f, total, mn, mx, content, rps, fps, start, last, median) in expected.items():
            e = got[key]
            self.assertEqual(e["num_requests"], n, key)
            self.assertEqual(e["num_failures"], f, key)
            self.assertEqual(e["total_us"], round(total * 1000), key)
            self.assertEqual(e["max_us"], round(mx * 1000), key)
            if mn is not None:
                self.assertEqual(e["min_us"], round(mn * 1000), key)
            self.assertEqual(e["content"], content, key)
            self.assertEqual({s: c for s, c in e["rps"]}, rps, key)
            self.assertEqual({s: c for s, c in e["fps"]}, fps, key)
            self.assertEqual(e["start"], start, key)
            self.assertEqual(e["last"], last, key)
            if mn is not None:
                self.assertEqual(e["hist_count"], n, key)
                # Our median from Locust's buckets (key x 1000 µs) is Locust's, to our
                # histogram's resolution (1/128 of the value).
                self.assertAlmostEqual(e["median_ms"], median, delta=max(median / 100, 0.001), msg=key)
        self.assertEqual(out["data"]["total"]["num_requests"], total_n)
        self.assertEqual(out["data"]["total"]["name"], "Aggregated")
        self.assertEqual(sorted(tuple(r) for r in out["data"]["errors"]),
                         [("GET", "/float", "Exception('boom')", 1),
                          ("POST", "/int", repr("HTTPError('500')"), 2)])
        self.assertEqual(out["data"]["user_count"], 1)

    def test_malformed_is_an_error_naming_the_field(self):
        bad = Message("stats", {"stats": [{"name": "/", "method": "GET", "num_requests": -1}],
                                "stats_total": None, "errors": {}}, NODE).serialize()
        out = decode_all([bad, b"\x93\xa4quit", msgpack.dumps(("quit", None, 5))])
        self.assertEqual(out[0], {"ok": False, "code": "protocol",
                                  "error": "stats: stats[0].num_requests: expected a count, "
                                           "got a negative integer"})
        self.assertEqual(out[1]["error"], "message: truncated frame")
        self.assertEqual(out[2]["error"], "quit: node_id: expected a string, got an integer")


if __name__ == "__main__":
    TOOL = sys.argv.pop(1)
    unittest.main(verbosity=1)
