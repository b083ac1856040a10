"""Simple breakpoint conditions decided in C (rt_cond.c) give Python's
answers, and hit counts stay right whichever path decides.

The target (targets/conds.py) runs probe lines over a table of values (small
and big ints, floats incl. nan/inf, strs, None, bools, other types, an
unbound local, a local rebound to other types inside a loop) and prints what
Python says for each condition; conditional logpoints on those lines show
what the runtime decided. For every backend this interpreter offers.

usage: python test_conditions.py <runtime build dir> [unittest args]"""
import json
import os
import re
import socket
import sys
import time
import unittest

from dapwire import Session, backends, markers, target

BUILD_DIR = None

# Conditions compared with Python. Most are simple (C predicate); a few are
# not (Python path) or name a global / a missing name.
TABLE = [
    "v == 0", "v != 0", "v < 1", "v <= 1", "v > 1", "v >= 1", "v == 1",
    "v == -1", "v < -1", "v > 2147483647", "v >= 9223372036854775807",
    "v < 9007199254740993", "v == 9007199254740992", "v > -9007199254740993",
    "v == True", "v == False", "v != True", "v < True",
    "v is None", "v is not None", "v == None", "v != None", "v is True",
    "v is not False",
    "v == 'a'", "v != 'a'", "v < 'b'", "v >= 'abc'", "v <= ''", "v > 'aa'",
    "v == 'é'",
    "v == 0.5", "v < 0.5", "v > -1.5", "v != 1.0", "v >= 1e300", "v < -0.0",
    "v == 9007199254740992.0",
    "0 < v < 10", "v > 0 and v < 10", "-1 <= v <= 1 and v != 0",
    "v == 1 and v != 2", "10 > v", "None is v", "'a' == v",
    "v > 0 and v is not None", "v < 0 and nope == 1",
    "w == 5", "v < w", "nope == 1", "v == 2**31", "len(str(v)) > 2",
    "k == 3", "k % 2 == 0 and v == 'a'", "n == 21",
]

# (condition, hitCondition) logpoints on the probe line: their hits are
# counted by the quick path (condition true, hit condition "not yet") and
# by the full evaluation (when they fire), or by Python alone.
HITS = [
    ("v > 0", "%2"),
    ("v == 1", ">=2"),
    ("v is not None", "<4"),
    ("v < 'b'", "==3"),
    ("len(str(v)) > 2", "%3"),  # not simple: Python decides
    ("", "==5"),  # no condition
    ("v >= 0", "%1000"),  # never fires: every hit counted by the quick path
]


def hit_ok(hit, n):
    if hit.startswith("%"):
        return n % int(hit[1:]) == 0
    for op, fn in ((">=", lambda a, b: a >= b), ("<=", lambda a, b: a <= b),
                   ("==", lambda a, b: a == b), (">", lambda a, b: a > b),
                   ("<", lambda a, b: a < b)):
        if hit.startswith(op):
            return fn(n, int(hit[len(op):]))
    return n == int(hit)


class ConditionTests:
    backend = None

    def run_target(self, stop_cond=None):
        path = target("conds.py")
        m = markers(path)
        conds = TABLE + [c for c, _ in HITS if c] + ([stop_cond] if stop_cond else [])
        s = Session(BUILD_DIR, [path, json.dumps(conds)])
        self.addCleanup(s.close)
        s.configure(self.backend)
        bps, bp_id = [], 0
        for marker, seq in (("probe", "{SEQ}"), ("unbound", "{SEQ}"),
                            ("rebound", "{SEQ * 1000 + k}")):
            for i, cond in enumerate(TABLE):
                bp_id += 1
                bps.append({"id": bp_id, "line": m[marker], "condition": cond,
                            "logMessage": "T%d %s %s" % (i, marker, seq)})
        for j, (cond, hit) in enumerate(HITS):
            bp_id += 1
            bp = {"id": bp_id, "line": m["probe"], "hitCondition": hit,
                  "logMessage": "H%d {SEQ}" % j}
            if cond:
                bp["condition"] = cond
            bps.append(bp)
        if stop_cond is not None:
            bps.append({"id": 999, "line": m["probe"], "condition": stop_cond})
        bps.append({"id": 1000, "line": m["done"], "logMessage": "END"})
        res = s.set_breakpoints(path, bps)
        self.assertTrue(all(r["verified"] for r in res), res)
        s.start()
        return s, m, conds

    def collect(self, s):
        s.event("output", lambda b: b["output"] == "END\n", timeout=60)
        rc, out, err = s.finish()
        self.assertEqual(rc, 0, err)
        expect = json.loads(out.split("EXPECT ", 1)[1].splitlines()[0])
        return expect, s.outputs()

    def test_fast_path_matches_python(self):
        s, m, conds = self.run_target()
        expect, outs = self.collect(s)
        got = set()
        for o in outs:
            hit = re.match(r"T(\d+) (\w+) (\d+)\n$", o)
            if hit:
                got.add((int(hit.group(1)), hit.group(2), int(hit.group(3))))
        want = set()
        for marker, seq, true_idx in expect:
            for i in true_idx:
                if i < len(TABLE):
                    want.add((i, marker, seq))
        missing = sorted(want - got)
        extra = sorted(got - want)
        self.assertEqual((missing[:20], extra[:20]), ([], []),
                         "\n".join("%s: cond %r" % (x, TABLE[x[0]])
                                   for x in (missing + extra)[:20]))
        # errors are reported once per breakpoint, never raised into the program
        self.assertTrue(any("condition 'nope == 1' failed" in o for o in outs), outs)

    def test_hit_counts_with_conditions(self):
        s, m, conds = self.run_target()
        expect, outs = self.collect(s)
        probe_rows = [(seq, set(idx)) for marker, seq, idx in expect
                      if marker == "probe"]
        for j, (cond, hit) in enumerate(HITS):
            want, hits = [], 0
            ci = conds.index(cond) if cond else None
            for seq, true_idx in probe_rows:
                if ci is None or ci in true_idx:
                    hits += 1
                    if hit_ok(hit, hits):
                        want.append(seq)
            got = [int(o.split()[1]) for o in outs
                   if re.match(r"H%d \d+\n$" % j, o)]
            self.assertEqual(got, want, (cond, hit))

    def test_true_simple_condition_stops(self):
        # true for "abc", and (Python decides) for Weird() and MyInt(3)
        s, m, conds = self.run_target(stop_cond="v == 'abc'")
        stops = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            st = next((e for e in s.events if e["event"] == "stopped"), None)
            if st is not None:
                s.events.remove(st)
                self.assertEqual(st["body"]["reason"], "breakpoint")
                self.assertEqual(st["body"].get("hitBreakpointIds"), [999])
                stops += 1
                s.cont()
                continue
            try:
                s._pump(min(deadline, time.monotonic() + 0.5))
            except AssertionError:  # channel closed: the program ended
                break
            except (TimeoutError, socket.timeout):
                pass
        rc, out, err = s.finish(timeout=30)
        self.assertEqual(rc, 0, err)
        expect = json.loads(out.split("EXPECT ", 1)[1].splitlines()[0])
        want = sum(1 for marker, _, idx in expect
                   if marker == "probe" and len(conds) - 1 in idx)
        self.assertEqual(stops, want)
        self.assertEqual(want, 3)
        self.assertIn("END\n", s.outputs())


def make_suites():
    for backend in backends():
        cls = type("Conditions_%s" % backend, (ConditionTests, unittest.TestCase),
                   {"backend": backend})
        globals()[cls.__name__] = cls


if __name__ == "__main__":
    BUILD_DIR = os.path.abspath(sys.argv.pop(1))
    make_suites()
    unittest.main(verbosity=1)
