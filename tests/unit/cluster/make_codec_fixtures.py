#!/usr/bin/python3
"""Prints the hex fixtures embedded in codec_fixtures.inc: messages as Locust 2.12 builds them
(rpc/protocol.py: msgpack.dumps((type, data, node_id))), with fixed values so the bytes are
stable. Run: /usr/bin/python3 make_codec_fixtures.py > codec_fixtures.inc"""
import msgpack

NODE = "host-a_0123456789abcdef0123456789abcdef"


def dumps(t, data, node=NODE):
    return msgpack.dumps((t, data, node))


def entry(name, method, rts, ts=1700000000.25, fails=0):
    """A StatsEntryDict as stats.py's serialize() gives it, from response times in ms."""
    d = {"name": name, "method": method, "last_request_timestamp": ts if rts else None,
         "start_time": 1700000000.0, "num_requests": len(rts), "num_none_requests": 0,
         "num_failures": fails, "total_response_time": sum(rts),
         "max_response_time": max(rts) if rts else 0, "min_response_time": min(rts) if rts else None,
         "total_content_length": 10 * len(rts), "response_times": {},
         "num_reqs_per_sec": {int(ts): len(rts)} if rts else {},
         "num_fail_per_sec": {int(ts): fails} if fails else {}}
    for rt in rts:  # stats.py _log_response_time
        if rt < 100:
            k = round(rt)
        elif rt < 1000:
            k = round(rt, -1)
        elif rt < 10000:
            k = round(rt, -2)
        else:
            k = round(rt, -3)
        d["response_times"][k] = d["response_times"].get(k, 0) + 1
    return d


FIXTURES = {
    "kClientReady": dumps("client_ready", "2.12.1"),
    "kAck": dumps("ack", {"index": 3}),
    "kSpawn": dumps("spawn", {"timestamp": 1700000001.5, "user_classes_count": {"WebUser": 3, "ApiUser": 0},
                              "host": "http://127.0.0.1:8089", "stop_timeout": 5,
                              "parsed_options": {"tags": ["a", "b"], "headless": True, "num_users": 3}}),
    "kSpawnNil": dumps("spawn", {"timestamp": 1700000002, "user_classes_count": {"WebUser": 1},
                                 "host": None, "stop_timeout": None, "parsed_options": {}}),
    "kHeartbeat": dumps("heartbeat", {"state": "running", "current_cpu_usage": 12.5,
                                      "current_memory_usage": 52428800}),
    "kHeartbeatIntCpu": dumps("heartbeat", {"state": "ready", "current_cpu_usage": 0}),
    # HttpUser: float response times, so keys >= 100 ms are floats (150.0).
    "kStatsFloatKeys": dumps("stats", {
        "stats": [entry("/a", "GET", [3.2, 12.5, 150.7, 151.0, 1234.5, 45678.9], fails=1)],
        "stats_total": entry("Aggregated", "", [3.2, 12.5, 150.7, 151.0, 1234.5, 45678.9], fails=1),
        "errors": {"dea2b0": {"name": "/a", "method": "GET", "error": "Exception('boom')", "occurrences": 1}},
        "user_classes_count": {"WebUser": 2}, "user_count": 2}),
    # FastHttpUser: int response times and int keys; stats_total None (before clear_all).
    "kStatsIntKeys": dumps("stats", {
        "stats": [entry("/b", "POST", [1, 99, 100, 105, 2000]), entry("/c", "GET", [])],
        "stats_total": None, "errors": {}, "user_count": 1}),
    "kExceptionMsg": dumps("exception", {"msg": "boom", "traceback": "  File \"x.py\", line 1\n"}),
    "kQuit": dumps("quit", None),
    "kCustom": dumps("my_custom", {"x": [1, 2, 3]}),
    # Malformed.
    "kBadNumRequests": dumps("stats", {"stats": [entry("/a", "GET", [1]), entry("/a", "GET", [1]),
                                                 entry("/a", "GET", [1]),
                                                 dict(entry("/a", "GET", [1]), num_requests="3")],
                                       "stats_total": None, "errors": {}}),
    "kNegativeCount": dumps("spawning_complete", {"user_classes_count": {"U": -1}, "user_count": 0}),
    "kNanTime": dumps("stats", {"stats": [dict(entry("/a", "GET", [1]), total_response_time=float("nan"))],
                                "stats_total": None, "errors": {}}),
    "kBucketOutOfRange": dumps("stats", {"stats": [dict(entry("/a", "GET", [1]), loadgen_hist={99999: 1})],
                                         "stats_total": None, "errors": {}}),
    "kNodeIdNil": dumps("quit", None, None),
    "kTypeNotStr": dumps(7, None),
    "kTwoElements": msgpack.dumps(("quit", None)),
    "kNotArray": msgpack.dumps({"type": "quit"}),
    "kErrorMissingOccurrences": dumps("stats", {"stats": [], "stats_total": None,
                                                "errors": {"k": {"name": "/a", "method": "GET", "error": "e"}}}),
}

for name, data in FIXTURES.items():
    print(f'constexpr std::string_view {name} = "{data.hex()}";')
