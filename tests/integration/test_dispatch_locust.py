"""plan::Dispatcher against Locust 2.12's own locust.dispatch.UsersDispatcher (python3-locust).

Each scenario (user classes, worker sets, ramps, calls to next) runs in Locust's dispatcher,
driven as Locust's MasterRunner drives it, and in tests/support/dispatch_dump.cpp; every
distribution must be identical, step by step. No Locust process runs: the worker nodes and user
classes are minimal stand-ins with the attributes the dispatcher reads.

The master's driving, as runners.py does it: the dispatcher is built at the first start with
the workers of that moment; a worker change calls remove_worker/add_worker; once a ramp is over
and a rebalance is pending, the master calls start() again (new_dispatch to the same target),
whose first step is the rebalanced distribution. plan::Dispatcher::next() does that by itself.

One documented difference: Locust 2.12's _user_gen loops forever when a fixed_count loop starts
while a fixed class is already full (a ramp-up after a ramp-down that kept the fixed users).
The stand-in classes count their fixed_count reads, so that loop is detected, not waited for;
it must happen only in that case, and loadgen must go on with every fixed class at its count.
"""

import json
import os
import random
import subprocess
import unittest

from locust.dispatch import UsersDispatcher

BIN = os.environ.get("DISPATCH_DUMP_BIN")


class LocustLoops(Exception):
    pass


class ClassMeta(type):
    """A user class stand-in whose fixed_count reads are counted (see the module docstring)."""

    reads = 0
    budget = 0

    @property
    def fixed_count(cls):
        ClassMeta.reads += 1
        if ClassMeta.reads > ClassMeta.budget:
            raise LocustLoops(cls.__name__)
        return cls._fixed


class Node:
    def __init__(self, node_id):
        self.id = node_id


class LocustSide:
    """Locust's UsersDispatcher, driven as MasterRunner drives it."""

    def __init__(self, classes):
        self.classes = [ClassMeta(n, (), {"weight": w, "_fixed": f}) for n, w, f in classes]
        self.fixed = {n: f for n, _, f in classes if f}
        self.workers = []
        self.d = None
        self.target = 0
        self.rate = 1.0
        self.removed_users = False  # a ramp-down happened (the only way into the 2.12 loop)

    def set_workers(self, ids):
        if self.d is None:
            self.workers = list(ids)
            return
        known = [w.id for w in self.d._worker_nodes]
        for w in known:
            if w not in ids:
                self.d.remove_worker(Node(w))
        for w in ids:
            if w not in known:
                self.d.add_worker(Node(w))
        self.workers = list(ids)

    def dispatch(self, target, rate):
        if self.d is None:
            self.d = UsersDispatcher([Node(w) for w in self.workers], self.classes)
        self.target, self.rate = target, rate
        self.d.new_dispatch(target, rate)
        interval = self.d._wait_between_dispatch
        self.d._wait_between_dispatch = 0  # no gevent.sleep between steps
        return interval

    def _next(self):
        before = self.d.get_current_user_count()
        ClassMeta.reads = 0
        ClassMeta.budget = 100000 + 50 * max(self.target, before)
        out = next(self.d)
        if self.d.get_current_user_count() < before:
            self.removed_users = True
        return out

    def next(self):
        if self.d is None or not self.d._worker_nodes:
            return None
        try:
            return self._next()
        except StopIteration:
            if not self.d._rebalance:
                return None
            self.dispatch(self.target, self.rate)  # the master's start() after a worker change
            try:
                return self._next()
            except StopIteration:
                return None

    def fixed_full(self):
        counts = {c: 0 for c in self.fixed}
        for per_worker in self.d._users_on_workers.values():
            for c in counts:
                counts[c] += per_worker.get(c, 0)
        return any(counts[c] >= f for c, f in self.fixed.items())


def scenario_text(classes, ops):
    lines = [f"class {n} {w} {f}" for n, w, f in classes]
    for op in ops:
        if op[0] == "workers":
            lines.append(" ".join(["workers"] + list(op[1])))
        elif op[0] == "dispatch":
            lines.append(f"dispatch {op[1]} {op[2]!r}")
        elif op[0] == "next":
            lines.append(f"next {op[1]}")
        else:
            lines.append("drain")
    return "\n".join(lines) + "\n"


def run_loadgen(classes, ops):
    text = scenario_text(classes, ops)
    p = subprocess.run([BIN], input=text, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"dispatch_dump failed ({p.returncode}): {p.stderr}\n{text}")
    lines = p.stdout.splitlines()
    return [json.loads(x) for x in lines[len(classes):]], text


def run_locust(classes, ops):
    """Locust's results op by op; stops at the 2.12 endless loop (returns its op index)."""
    side = LocustSide(classes)
    out = []
    for i, op in enumerate(ops):
        if op[0] == "workers":
            side.set_workers(op[1])
            out.append([])
        elif op[0] == "dispatch":
            out.append({"interval": side.dispatch(op[1], op[2])})
        else:
            calls = op[1] if op[0] == "next" else 1000000
            res = []
            for _ in range(calls):
                fixed_full, removed = (side.d is not None and side.fixed_full()), side.removed_users
                try:
                    d = side.next()
                except LocustLoops:
                    return out, i, (fixed_full, removed)
                res.append(d)
                if d is None and op[0] == "drain":
                    break
            out.append(res)
    return out, None, None


class DispatchAgainstLocust(unittest.TestCase):
    def setUp(self):
        if not BIN:
            self.skipTest("DISPATCH_DUMP_BIN is not set (run through ctest)")

    def check_invariants(self, classes, results):
        fixed = {n: f for n, _, f in classes if f}
        for res in results:
            if not isinstance(res, list):
                continue
            for d in res:
                if d is None:
                    continue
                for c, f in fixed.items():
                    self.assertLessEqual(sum(w[c] for w in d.values()), f)
                for w in d.values():
                    self.assertTrue(all(n >= 0 for n in w.values()))

    def compare(self, classes, ops, expect_locust_loop=False):
        ours, text = run_loadgen(classes, ops)
        theirs, loop_at, why = run_locust(classes, ops)
        self.assertEqual(len(ours), len(ops), text)
        upto = len(ops) if loop_at is None else loop_at
        for i in range(upto):
            if ours[i] != theirs[i]:
                self.fail(f"op {i} ({ops[i]!r}) differs\nloadgen: {ours[i]}\nlocust:  {theirs[i]}\n"
                          f"scenario:\n{text}")
        if loop_at is not None:
            # Documented: the 2.12 endless loop needs a full fixed class after a ramp-down.
            fixed_full, removed = why
            self.assertTrue(fixed_full and removed, f"Locust looped for another reason\n{text}")
        self.check_invariants(classes, ours)
        if expect_locust_loop:
            self.assertIsNotNone(loop_at, "Locust 2.12 was expected to loop")
        return ours, loop_at

    # --- edge cases -------------------------------------------------------------------------

    def test_weights_1_3_7(self):
        classes = [("Seven", 7, 0), ("One", 1, 0), ("Three", 3, 0)]
        workers = ["hostb_1", "hosta_2", "hosta_1", "hostc_9", "hostb_0"]
        self.compare(classes, [("workers", workers), ("dispatch", 110, 7.0), ("drain",),
                               ("dispatch", 13, 9.5), ("drain",)])

    def test_fixed_count_first(self):
        classes = [("Z", 1, 0), ("Admin", 1, 2), ("Bot", 5, 1), ("Web", 3, 0)]
        ours, _ = self.compare(classes, [("workers", ["a_1", "b_1", "a_2"]),
                                         ("dispatch", 20, 3.0), ("drain",),
                                         ("dispatch", 2, 1.0), ("drain",),
                                         ("dispatch", 0, 4.0), ("drain",)])
        first = ours[2][0]
        self.assertEqual(sum(w["Admin"] for w in first.values()), 2)
        self.assertEqual(sum(w["Bot"] for w in first.values()), 1)

    def test_workers_across_hosts(self):
        classes = [("A", 2, 0), ("B", 3, 0)]
        for n in range(1, 11):
            for hosts in range(1, 4):
                workers = [f"h{i % hosts}_{i:02x}{n}" for i in range(n)]
                random.Random(n * 7 + hosts).shuffle(workers)
                with self.subTest(workers=n, hosts=hosts):
                    self.compare(classes, [("workers", workers), ("dispatch", 37, 4.0),
                                           ("drain",), ("dispatch", 5, 10.0), ("drain",)])

    def test_ramp_down_lifo(self):
        classes = [("A", 1, 0), ("B", 2, 0), ("C", 1, 1)]
        self.compare(classes, [("workers", ["x_1", "y_1", "x_2"]), ("dispatch", 50, 50.0),
                               ("drain",), ("dispatch", 0, 3.0), ("drain",),
                               ("dispatch", 9, 2.0), ("drain",)])

    def test_add_and_remove_worker_mid_ramp(self):
        classes = [("Light", 1, 0), ("Heavy", 4, 0), ("Fix", 1, 3)]
        w = ["m1_aa", "m2_bb", "m1_cc"]
        self.compare(classes, [
            ("workers", w), ("dispatch", 60, 5.0), ("next", 3),
            ("workers", w + ["m3_dd"]), ("next", 2),
            ("workers", ["m2_bb", "m3_dd"]), ("next", 1),
            ("workers", ["m3_dd", "m2_bb", "m4_ee"]), ("drain",),
            ("workers", ["m2_bb", "m4_ee"]), ("next", 3),
            ("dispatch", 20, 6.0), ("next", 1), ("workers", ["m2_bb", "m4_ee", "m1_zz"]),
            ("drain",),
        ])

    def test_fractional_rate(self):
        classes = [("A", 1, 0)]
        ours, _ = self.compare(classes, [("workers", ["h_1", "h_2"]), ("dispatch", 4, 0.5),
                                         ("drain",), ("dispatch", 1, 0.25), ("drain",)])
        self.assertEqual(ours[1], {"interval": 2.0})
        self.assertEqual([sum(sum(c.values()) for c in d.values()) for d in ours[2][:-1]],
                         [1, 2, 3, 4])

    def test_same_count_yields_once_and_reorder_is_no_rebalance(self):
        classes = [("A", 1, 0), ("B", 1, 0)]
        self.compare(classes, [("workers", ["a_1", "a_2"]), ("dispatch", 0, 1.0), ("drain",),
                               ("dispatch", 5, 5.0), ("drain",), ("dispatch", 5, 1.0),
                               ("drain",), ("workers", ["a_2", "a_1"]), ("next", 2)])

    def test_only_fixed_classes_end_short(self):
        classes = [("A", 1, 2), ("B", 1, 1)]
        self.compare(classes, [("workers", ["a_1", "b_1"]), ("dispatch", 10, 2.0), ("drain",),
                               ("dispatch", 10, 2.0), ("drain",),
                               ("workers", ["b_1"]), ("next", 3)])

    def test_new_dispatch_mid_ramp(self):
        classes = [("A", 1, 0), ("B", 3, 0)]
        self.compare(classes, [("workers", ["a_1", "b_1", "c_1"]), ("dispatch", 40, 3.0),
                               ("next", 4), ("dispatch", 2, 5.0), ("next", 1),
                               ("dispatch", 30, 100.0), ("drain",)])

    def test_rebalance_of_many_users(self):
        classes = [("A", 3, 0), ("B", 5, 0), ("C", 1, 4)]
        ws = [f"n{i % 3}_{i}" for i in range(10)]
        self.compare(classes, [("workers", ws), ("dispatch", 3000, 700.0), ("drain",),
                               ("workers", ws[:7]), ("next", 2),
                               ("workers", ws[:7] + ["n9_new"]), ("dispatch", 1000, 333.0),
                               ("drain",)])

    def test_documented_difference_fixed_loop(self):
        classes = [("A", 1, 1), ("B", 1, 1), ("C", 1, 0)]
        ours, loop_at = self.compare(classes, [("workers", ["h_1", "h_2"]), ("dispatch", 5, 10.0),
                                               ("drain",), ("dispatch", 3, 10.0), ("drain",),
                                               ("dispatch", 5, 10.0), ("drain",)],
                                     expect_locust_loop=True)
        self.assertEqual(loop_at, 6)
        # 5 users: h_1 A C C, h_2 B C; down to 3 drops the newest two Cs; up again the worker
        # cycle goes on (h_2, then h_1) and the fixed classes stay at their count.
        self.assertEqual(ours[6], [{"h_1": {"A": 1, "B": 0, "C": 2}, "h_2": {"A": 0, "B": 1, "C": 1}},
                                   None])

    # --- random scenarios -------------------------------------------------------------------

    def run_random(self, seed, count, **kw):
        rng = random.Random(seed)
        loops = steps = 0
        for n in range(count):
            classes, ops = self.random_scenario(rng, **kw)
            with self.subTest(scenario=n):
                ours, loop_at = self.compare(classes, ops)
                loops += loop_at is not None
                upto = len(ops) if loop_at is None else loop_at
                steps += sum(len(r) for r in ours[:upto] if isinstance(r, list))
        print(f"\n{count} random scenarios, {steps} steps identical; Locust 2.12 looped (the "
              f"documented case) in {loops}")

    def test_random_scenarios(self):
        self.run_random(20261207, 400)

    def test_random_worker_churn_and_fixed_counts(self):
        self.run_random(1337, 250, fixed_p=0.6, churn_p=0.5, max_ops=20)

    def test_random_fixed_counts_up_and_down(self):
        # Ramps around the fixed counts' sum, so that ramp-downs remove fixed users and the
        # fixed loop starts again with some classes below their count.
        rng = random.Random(4242)
        loops = steps = 0
        for n in range(300):
            classes = [(f"F{i}", 1, rng.randint(1, 5)) for i in range(rng.randint(1, 3))]
            classes += [(f"W{i}", rng.choice([1, 2, 3, 7]), 0) for i in range(rng.randint(0, 2))]
            rng.shuffle(classes)
            top = sum(f for _, _, f in classes) + 4
            workers = [f"h{i % 2}_{i}" for i in range(rng.randint(1, 4))]
            ops = [("workers", workers)]
            for _ in range(rng.randint(2, 8)):
                ops.append(("dispatch", rng.randint(0, top), rng.choice([1.0, 2.0, 3.5])))
                ops.append(rng.choice([("drain",), ("next", rng.randint(1, 3))]))
                if rng.random() < 0.15:
                    workers = workers + [f"h2_{len(ops)}"]
                    ops.append(("workers", workers))
            ops.append(("drain",))
            with self.subTest(scenario=n):
                ours, loop_at = self.compare(classes, ops)
                loops += loop_at is not None
                upto = len(ops) if loop_at is None else loop_at
                steps += sum(len(r) for r in ours[:upto] if isinstance(r, list))
        print(f"\n300 fixed-count scenarios, {steps} steps identical; Locust 2.12 looped (the "
              f"documented case) in {loops}")

    @staticmethod
    def random_scenario(rng, fixed_p=0.3, churn_p=0.25, max_ops=12):
        names = rng.sample(["Alpha", "beta", "Gamma", "Delta", "eps", "Zeta", "Eta"],
                           rng.randint(1, 4))
        classes = []
        for name in names:
            fixed = rng.choice([1, 2, 3, 5]) if rng.random() < fixed_p else 0
            classes.append((name, rng.choice([1, 1, 2, 3, 4, 5, 7, 10, 13, 20]), fixed))
        hosts = [f"host{h}" for h in range(rng.randint(1, 3))]
        pool = [f"{rng.choice(hosts)}_{rng.getrandbits(24):06x}" for _ in range(14)]
        if rng.random() < 0.1:
            pool[0] = "nounderscore"
        workers = rng.sample(pool, rng.randint(1, 10))
        ops = [("workers", workers)]
        for _ in range(rng.randint(2, max_ops)):
            r = rng.random()
            if r < churn_p:
                cur = list(workers)
                if len(cur) > 1 and rng.random() < 0.5:
                    for w in rng.sample(cur, rng.randint(1, min(2, len(cur) - 1))):
                        cur.remove(w)
                if rng.random() < 0.6:
                    fresh = [w for w in pool if w not in cur]
                    cur += rng.sample(fresh, min(len(fresh), rng.randint(1, 2)))
                rng.shuffle(cur)
                workers = cur
                ops.append(("workers", workers))
                continue
            r = rng.random()
            if r < 0.4:
                rate = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0, 7.5, 10.0, 33.0, 1000.0])
                ops.append(("dispatch", rng.choice([0, rng.randint(1, 40), rng.randint(1, 400)]),
                            rate))
            elif r < 0.7:
                ops.append(("next", rng.randint(1, 6)))
            else:
                ops.append(("drain",))
        if not any(op[0] == "dispatch" for op in ops):
            ops.insert(1, ("dispatch", 25, 4.0))
        ops.append(("drain",))
        return classes, ops


if __name__ == "__main__":
    unittest.main()
