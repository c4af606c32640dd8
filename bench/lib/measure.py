#!/usr/bin/python3
"""Run one command and record its resource use as JSON (stdlib only).

  measure.py --out R.json [--stdout F] [--stderr F] [--timeout S]
             [--rss-pattern REGEX --rss-delay S] [--rss-fallback S] -- CMD...

Records user/sys CPU seconds of CMD (os.wait4 rusage of the child, as
/usr/bin/time's %U %S), its peak RSS (VmHWM from /proc/PID/status, polled
every 50 ms: ru_maxrss would include this Python process's RSS, inherited
by the forked child before exec; of the innermost process only when CMD is a wrapper
such as `perf stat -- CMD2`: the wrapper's own, sampled before it starts CMD2 or after
CMD2 ends, does not count), its exit code and wall time. With --rss-pattern or
--rss-fallback it also samples VmRSS from /proc/PID/status once (of the innermost
process too): --rss-delay seconds after REGEX first appears in the command's
stdout or stderr, or at --rss-fallback seconds, whichever is first.
With --series FILE it also writes, every --series-every seconds, one JSON line
{"t": seconds since start, "rss_kb": VmRSS, "fds": open fds (entries of /proc/PID/fd)} and,
once, the process's "Max open files" soft limit into the result (nofile_limit).
A command still running at --timeout is killed (by its PID).
"""

import argparse
import atexit
import json
import os
import re
import signal
import subprocess
import sys
import time


def vm_kb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def innermost(pid):
    """The innermost process of a chain of wrappers (perf stat, perf record: they fork the
    command and wait for it) and its depth in the chain (0: pid itself): follows the first
    child until a process has none."""
    depth = 0
    for _ in range(8):
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                kids = f.read().split()
        except OSError:
            return pid, depth
        if not kids:
            return pid, depth
        pid = int(kids[0])
        depth += 1
    return pid, depth


def leaf_pid(pid):
    return innermost(pid)[0]


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def nofile_limit(pid):
    try:
        with open(f"/proc/{pid}/limits") as f:
            for line in f:
                if line.startswith("Max open files"):
                    return int(line.split()[3])
    except (OSError, ValueError, IndexError):
        pass
    return None


def tail_has(path, pattern, state):
    """Incrementally scan path for pattern; state keeps the read offset."""
    try:
        with open(path, "rb") as f:
            f.seek(state.get(path, 0))
            data = f.read()
    except OSError:
        return False
    if not data:
        return False
    text = state.get(path + ":carry", b"") + data
    state[path] = state.get(path, 0) + len(data)
    state[path + ":carry"] = text[-4096:]
    return re.search(pattern.encode(), text) is not None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--stdout", default=os.devnull)
    ap.add_argument("--stderr", default=os.devnull)
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--rss-pattern")
    ap.add_argument("--rss-delay", type=float, default=2.0)
    ap.add_argument("--rss-fallback", type=float)
    ap.add_argument("--series")
    ap.add_argument("--series-every", type=float, default=1.0)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    if not cmd:
        ap.error("no command")

    out = open(args.stdout, "wb")
    err = open(args.stderr, "wb")
    start = time.monotonic()
    # Its own process group: a wrapper (perf, taskset, env) may fork the real command, and a
    # timeout or an interrupt must end that one too, not only the wrapper.
    proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                            start_new_session=True)

    reaped = False

    def kill_group():
        if reaped:
            return
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    # An interrupted or terminated measure.py ends the group too (the bench's cleanup trap
    # signals this process, by PID).
    atexit.register(kill_group)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sample_at = start + args.rss_fallback if args.rss_fallback else None
    pattern_seen_at = None
    rss_sample = None
    sampled_after = None
    scan_state = {}
    status = rusage = None
    timed_out = False
    peak_kb = 0
    peak_depth = -1  # of the processes peak_kb was read from
    series = open(args.series, "w") if args.series else None
    next_series = start + 0.5
    limit_seen = None
    max_fds = 0
    while True:
        # Read VmHWM before reaping: it is gone once the process is. Only the deepest process
        # seen counts: a wrapper is the leaf too before it forks the command and after the
        # command has ended, and its own peak (perf's buffers) is not the command's.
        inner, depth = innermost(proc.pid)
        hwm = vm_kb(inner, "VmHWM")
        if hwm is not None and depth >= peak_depth:
            peak_kb = hwm if depth > peak_depth else max(peak_kb, hwm)
            peak_depth = depth
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            kill_group()  # anything the command left behind in its group
            reaped = True
            break
        now = time.monotonic()
        if now - start > args.timeout:
            timed_out = True
            kill_group()
            _, status, rusage = os.wait4(proc.pid, 0)
            reaped = True
            break
        if series is not None and now >= next_series:
            leaf = leaf_pid(proc.pid)
            fds = fd_count(leaf)
            rss = vm_kb(leaf)
            # Read the limit after the command may have raised its own (a second in).
            if limit_seen is None and now - start > 1.0:
                limit_seen = nofile_limit(leaf)
            if fds is not None:
                max_fds = max(max_fds, fds)
            series.write(json.dumps({"t": round(now - start, 3), "rss_kb": rss, "fds": fds}) + "\n")
            series.flush()
            next_series = now + args.series_every
        if rss_sample is None and args.rss_pattern and pattern_seen_at is None:
            if (tail_has(args.stdout, args.rss_pattern, scan_state)
                    or tail_has(args.stderr, args.rss_pattern, scan_state)):
                pattern_seen_at = now
                due = now + args.rss_delay
                sample_at = due if sample_at is None else min(sample_at, due)
        if rss_sample is None and sample_at is not None and now >= sample_at:
            rss_sample = vm_kb(leaf_pid(proc.pid))
            sampled_after = now - start
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if series is not None:
        series.close()
    out.close()
    err.close()
    result = {
        "cmd": cmd,
        "rc": proc.returncode,
        "timed_out": timed_out,
        "wall_s": time.monotonic() - start,
        "user_s": rusage.ru_utime,
        "sys_s": rusage.ru_stime,
        "maxrss_kb": peak_kb,
        "ru_maxrss_kb": rusage.ru_maxrss,
        "rss_sample_kb": rss_sample,
        "rss_sampled_after_s": sampled_after,
        "rss_pattern_seen_after_s": (pattern_seen_at - start) if pattern_seen_at else None,
    }
    if args.series:
        result["nofile_limit"] = limit_seen
        result["max_fds"] = max_fds
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
