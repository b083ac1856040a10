"""frameEval settings with their effects, and the statistics as events
(docs/configuration.md "`frameEval`", docs/runtime.md "Statistics").

Each setting is checked by what a user sees: the launch error naming a
wrong key, the console's backend line and messages, the `dapper/statistics`
events (every `statisticsInterval` seconds and once as the program ends,
before `exited`), the `dapper/statistics` request, and
`dapper.get_integration_statistics()` inside the program.
"""

import json
import os
import re
import subprocess
import time

from bp_common import ENV
from harness import CONFIG, TIMEOUT, DapTestCase, error_text

# A program with calls that never meet a breakpoint (`untouched`) and one
# function with a breakpoint line (`touched`), then its statistics.
WORK = """\
import sys, time


def untouched(n):
    total = 0
    for i in range(n):
        total += i
    return total


def touched(x):
    y = x + 1  # BP
    return y


def main(calls, seconds):
    end = time.monotonic() + seconds
    done = 0
    while done < calls or time.monotonic() < end:
        untouched(5)
        done += 1
    print("touched", touched(done > 0))  # CALL


main(int(sys.argv[1]), float(sys.argv[2]))
"""

# A hot line with a conditional breakpoint that is never true.
HOT = """\
import time


def spin(seconds):
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        for _ in range(1000):
            i += 1  # HOT
    return i


print("spun", spin(1.2) > 0)
"""

STATS_FROM_PROGRAM = """\
import json
import dapper
from dapper.statistics import get_integration_statistics
s = dapper.get_integration_statistics()
assert get_integration_statistics() is not None
print("STATS " + json.dumps(s))
"""

BACKEND_LINE = re.compile(r"dapper: breakpoints use (.+?) \((.*)\)")


class SettingsTests(DapTestCase):
    transport = "stdio"

    # ---- helpers ---------------------------------------------------------------
    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def line_of(self, path, mark):
        with open(path) as f:
            for n, text in enumerate(f, 1):
                if "# " + mark in text:
                    return n
        raise AssertionError("no %s in %s" % (mark, path))

    def version(self):
        """The debuggee's (major, minor)."""
        out = subprocess.run([CONFIG.python, "-c", "import sys; print(*sys.version_info[:2])"],
                             stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=30)
        return tuple(int(v) for v in out.stdout.split())

    def session(self, frame_eval, program, args=(), bps=(), stop_on_entry=False):
        """Launches `program` with frameEval and line breakpoints [(path,
        line, condition)], runs it to its end continuing every stop;
        returns (client, stops, console text, statistics events)."""
        c = self.client()
        self.initialize(c)
        launch = self.launch_args(program=program, args=list(args), env=dict(ENV),
                                  stopOnEntry=stop_on_entry)
        if frame_eval is not None:
            launch["frameEval"] = frame_eval
        seq = c.send_request("launch", launch)
        c.wait_event("initialized", TIMEOUT)
        for path, line, cond in bps:
            bp = {"line": line}
            if cond:
                bp["condition"] = cond
            r = c.request("setBreakpoints", {"source": {"path": path}, "breakpoints": [bp]},
                          TIMEOUT)
            self.assertTrue(r["success"], r)
        c.request("configurationDone", None, TIMEOUT)
        resp = c.wait_response(seq, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        return c

    def finish(self, c):
        """Continues every stop until the end; returns the stopped events."""
        stops = []
        while True:
            m = c.wait_message(lambda m: m.get("event") in ("stopped", "terminated"),
                               TIMEOUT, "stopped or terminated")
            if m["event"] == "terminated":
                break
            stops.append(m)
            c.request("continue", {"threadId": m["body"]["threadId"]}, TIMEOUT)
        self.check_end_of_session(c)
        self.disconnect(c)
        return stops

    def stat_events(self, c):
        return [m["body"] for m in c.events("dapper/statistics")]

    def final_stats(self, c):
        """The last dapper/statistics event, which comes before `exited`."""
        idx = [i for i, m in enumerate(c.messages) if m.get("event") == "dapper/statistics"]
        exited = c.index_of(lambda m: m.get("event") == "exited")
        self.assertTrue(idx, "no dapper/statistics event")
        self.assertIsNotNone(exited)
        self.assertLess(idx[-1], exited, "dapper/statistics after exited")
        return c.messages[idx[-1]]["body"]

    def launch_error(self, frame_eval):
        c = self.client()
        self.initialize(c)
        resp = c.request("launch", self.launch_args(program=self.write("p.py", "pass\n"),
                                                    env=dict(ENV), frameEval=frame_eval),
                         TIMEOUT)
        self.assertFalse(resp["success"], "launch with frameEval %r succeeded" % (frame_eval,))
        self.disconnect(c)
        return error_text(resp)

    # ---- validation ------------------------------------------------------------
    def test_wrong_types_and_ranges_fail_launch_naming_the_key(self):
        cases = [
            ({"selective_tracing": "yes"}, "frameEval.selective_tracing", "true or false"),
            ({"bytecode_optimization": 1}, "frameEval.bytecode_optimization", "true or false"),
            ({"max_cache_size": 0}, "frameEval.max_cache_size", "1 to 1000000"),
            ({"max_cache_size": 2.5}, "frameEval.max_cache_size", "integer"),
            ({"cache_ttl": -1}, "frameEval.cache_ttl", "seconds"),
            ({"trace_overhead_threshold": 1.5}, "frameEval.trace_overhead_threshold",
             "fraction"),
            ({"profile": "fast"}, "frameEval.profile", "high-performance"),
            ({"statisticsInterval": "5"}, "frameEval.statisticsInterval", "seconds"),
            ({"backend": "gpu"}, "frameEval.backend", "monitoring"),
            ({"performance_monitoring": None, "cache_enabled": "no"},
             "frameEval.cache_enabled", "true or false"),
            ({"disk_cache": "off"}, "frameEval.disk_cache", "true or false"),
        ]
        for fe, key, words in cases:
            text = self.launch_error(fe)
            self.assertIn('"%s"' % key, text, fe)
            self.assertIn(words, text, fe)
        self.assertIn("must be an object", self.launch_error(3))

    def test_unknown_key_is_a_console_warning(self):
        prog = self.write("p.py", "print('ran')\n")
        r = self.run_program(self.launch_args(
            program=prog, env=dict(ENV),
            frameEval={"selective_tracin": False, "cache": 1, "backend": "auto"}))
        self.assertEqual(r.exit_code, 0)
        self.assertIn("ran\n", r.out("stdout"))
        lines = [line for line in r.out("console").splitlines() if "not supported" in line]
        self.assertEqual(lines, [
            'dapper: frameEval keys "selective_tracin", "cache" are not supported and '
            'ignored (docs/configuration.md lists the keys)'])

    # ---- selective_tracing -----------------------------------------------------
    def test_selective_tracing(self):
        prog = self.write("work.py", WORK)
        bp = self.line_of(prog, "BP")
        stats = {}
        for selective in (True, False):
            c = self.session({"backend": "tracing", "selective_tracing": selective}, prog,
                             args=["3000", "0"], bps=[(prog, bp, None)])
            stops = self.finish(c)
            # the breakpoint is hit either way
            self.assertEqual([s["body"]["reason"] for s in stops], ["breakpoint"])
            self.assertIn("touched 2\n", c.output("stdout"))
            stats[selective] = self.final_stats(c)["performance_data"]
        # 3,000 calls of a 3-line loop of 5 iterations: every line traced
        # without it, only call and return events with it
        on, off = stats[True], stats[False]
        self.assertGreater(on["frames_without_line_events"], 3000, on)
        self.assertEqual(off["frames_without_line_events"], 0, off)
        self.assertGreater(off["trace_function_calls"], 3 * on["trace_function_calls"],
                           (on, off))

    def test_selective_tracing_steps_in_frames_without_line_events(self):
        # `main` runs without line events (no breakpoint in it); steps
        # out of `touched` into it and on through it still stop there.
        prog = self.write("work.py", WORK)
        bp = self.line_of(prog, "BP")
        c = self.session({"backend": "tracing"}, prog, args=["200", "0"],
                         bps=[(prog, bp, None)])
        where = []
        for step in (None, "stepOut", "next"):
            if step:
                c.request(step, {"threadId": 1}, TIMEOUT)
            c.wait_event("stopped", TIMEOUT)
            top = c.request("stackTrace", {"threadId": 1}, TIMEOUT)["body"]["stackFrames"][0]
            where.append((top["name"], top["line"]))
        main_call = self.line_of(prog, "CALL")
        self.assertEqual(where, [("touched", bp), ("main", main_call),
                                 ("<module>", main_call + 3)])
        c.request("continue", {"threadId": 1}, TIMEOUT)
        self.finish(c)

    # ---- bytecode_optimization -------------------------------------------------
    def test_bytecode_optimization_false(self):
        prog = self.write("work.py", WORK)
        bp = self.line_of(prog, "BP")
        c = self.session({"bytecode_optimization": False}, prog, args=["10", "0"],
                         bps=[(prog, bp, None)])
        stops = self.finish(c)
        self.assertEqual(len(stops), 1)
        m = BACKEND_LINE.search(c.output("console"))
        self.assertIsNotNone(m, c.output("console"))
        backend = self.final_stats(c)["backend"]
        if self.version() == (3, 11):
            # instrumented is the one backend that rewrites code objects
            self.assertEqual(m.group(1), "traditional tracing", m.group(0))
            self.assertIn("frameEval.bytecode_optimization is false", m.group(2))
            self.assertEqual(backend, "tracing")
            text = self.launch_error({"backend": "instrumented", "bytecode_optimization": False,
                                      "fallback_on_error": False})
            self.assertIn("bytecode_optimization is false", text)
        else:
            # sys.monitoring does not replace code objects: unchanged
            self.assertEqual(backend, "monitoring")

    # ---- the line cache ----------------------------------------------------------
    def cache_session(self, frame_eval, files, rounds=2, pause=0.0):
        """breakpointLocations on each file `rounds` times while the program
        is stopped on entry; returns the cache statistics. (A setBreakpoints
        in these files, which the program has not loaded, would be answered
        lazily, without the line cache: docs/runtime.md, "Breakpoint
        lines"; breakpointLocations always reads the lines.)"""
        import time
        prog = self.write("main.py", "x = 1\n")
        c = self.client()
        self.initialize(c)
        seq = c.send_request("launch", self.launch_args(program=prog, env=dict(ENV),
                                                        stopOnEntry=True,
                                                        frameEval=frame_eval))
        c.wait_event("initialized", TIMEOUT)
        c.request("configurationDone", None, TIMEOUT)
        self.assertTrue(c.wait_response(seq, TIMEOUT)["success"])
        c.wait_event("stopped", TIMEOUT)
        for r in range(rounds):
            if r and pause:
                time.sleep(pause)
            for path in files:
                resp = c.request("breakpointLocations", {"source": {"path": path},
                                                         "line": 1}, TIMEOUT)
                self.assertEqual(resp["body"]["breakpoints"], [{"line": 1}], resp)
        stats = c.request("dapper/statistics", {}, TIMEOUT)
        self.assertTrue(stats["success"], stats)
        c.request("continue", {"threadId": 1}, TIMEOUT)
        self.finish(c)
        return stats["body"]["cache"]

    def test_cache_hits_evictions_expiry_and_off(self):
        files = [self.write("m%d.py" % i, "a = %d\n" % i) for i in range(3)]
        cache = self.cache_session(None, files[:1])
        self.assertEqual((cache["hits"], cache["misses"]), (1, 1), cache)
        self.assertEqual((cache["max_size"], cache["ttl"], cache["enabled"]), (256, 300, True))
        # 3 files through 2 entries, twice: every lookup misses (LRU)
        cache = self.cache_session({"max_cache_size": 2}, files)
        self.assertEqual((cache["hits"], cache["misses"], cache["size"]), (0, 6, 2), cache)
        self.assertEqual(cache["evictions"], 4, cache)
        # older than the ttl: computed again
        cache = self.cache_session({"cache_ttl": 0.2}, files[:1], pause=0.4)
        self.assertEqual((cache["hits"], cache["expired"], cache["misses"]), (0, 1, 2), cache)
        cache = self.cache_session({"cache_enabled": False}, files[:1], rounds=3)
        self.assertEqual((cache["hits"], cache["misses"], cache["enabled"]), (0, 3, False),
                         cache)

    # ---- profile -----------------------------------------------------------------
    def test_profiles_and_explicit_keys(self):
        files = [self.write("m.py", "a = 1\n")]
        cache = self.cache_session({"profile": "memory-constrained"}, files, rounds=1)
        self.assertEqual((cache["max_size"], cache["ttl"]), (32, 60), cache)
        cache = self.cache_session({"profile": "memory-constrained", "max_cache_size": 5},
                                   files, rounds=1)
        self.assertEqual((cache["max_size"], cache["ttl"]), (5, 60), cache)
        cache = self.cache_session({"profile": "web"}, files, rounds=1)
        self.assertEqual((cache["max_size"], cache["ttl"]), (512, 600), cache)

    # ---- performance_monitoring, trace_overhead_threshold --------------------------
    def test_monitoring_fields_only_when_on(self):
        prog = self.write("work.py", WORK)
        bp = self.line_of(prog, "BP")
        for fe, on in (({"backend": "tracing"}, False),
                       ({"backend": "tracing", "performance_monitoring": True}, True),
                       ({"profile": "development"}, True)):
            c = self.session(fe, prog, args=["2000", "0"], bps=[(prog, bp, None)])
            self.finish(c)
            pd = self.final_stats(c)["performance_data"]
            if not on:
                self.assertNotIn("hook_time_ms", pd, fe)
                continue
            if fe.get("backend") == "tracing":
                self.assertGreater(pd["hook_calls"], 2000, pd)
                self.assertGreater(pd["hook_time_ms"], 0, pd)
            self.assertGreater(pd["cpu_time_ms"], 0, pd)
            self.assertGreater(pd["run_time_ms"], 0, pd)
            self.assertGreaterEqual(pd["overhead_fraction"], 0, pd)
            self.assertLessEqual(pd["overhead_fraction"], 1, pd)

    def test_threshold_names_tracing_every_line_and_adapts(self):
        prog = self.write("work.py", WORK)
        bp = self.line_of(prog, "BP")
        c = self.session({"backend": "tracing", "selective_tracing": False,
                          "performance_monitoring": True, "trace_overhead_threshold": 0.05},
                         prog, args=["0", "1.5"], bps=[(prog, bp, None)])
        self.finish(c)
        lines = [l for l in c.output("console").splitlines() if "running time" in l]
        self.assertEqual(len(lines), 1, c.output("console"))
        self.assertIn("frameEval.trace_overhead_threshold 5 %", lines[0])
        self.assertIn("selective_tracing is false", lines[0])
        self.assertIn("switched to selective tracing", lines[0])
        pd = self.final_stats(c)["performance_data"]
        self.assertGreater(pd["frames_without_line_events"], 0, pd)

    def test_threshold_without_adaptation_keeps_tracing_every_line(self):
        prog = self.write("work.py", WORK)
        bp = self.line_of(prog, "BP")
        c = self.session({"backend": "tracing", "selective_tracing": False,
                          "fallback_on_error": False, "performance_monitoring": True,
                          "trace_overhead_threshold": 0.05},
                         prog, args=["0", "1.0"], bps=[(prog, bp, None)])
        self.finish(c)
        lines = [l for l in c.output("console").splitlines() if "running time" in l]
        self.assertEqual(len(lines), 1, c.output("console"))
        self.assertNotIn("switched", lines[0])
        pd = self.final_stats(c)["performance_data"]
        self.assertEqual(pd["frames_without_line_events"], 0, pd)

    def test_threshold_names_a_hot_conditional_breakpoint(self):
        prog = self.write("hot.py", HOT)
        hot = self.line_of(prog, "HOT")
        backend = "tracing" if self.version() == (3, 11) else "monitoring"
        c = self.session({"backend": backend, "performance_monitoring": True,
                          "trace_overhead_threshold": 0.05},
                         prog, bps=[(prog, hot, "i < 0")])
        self.assertEqual(self.finish(c), [])
        lines = [l for l in c.output("console").splitlines() if "running time" in l]
        self.assertEqual(len(lines), 1, (c.output("console"), self.final_stats(c)))
        self.assertRegex(lines[0], r"a conditional breakpoint at hot.py:%d ran [\d.]+ [kM]? ?times "
                         r"\(condition i < 0\)" % hot)

    # ---- statistics events ---------------------------------------------------------
    def test_statistics_events_at_interval_and_at_end(self):
        prog = self.write("work.py", WORK)
        bp = self.line_of(prog, "BP")
        c = self.session({"statisticsInterval": 0.3}, prog, args=["0", "1.6"],
                         bps=[(prog, bp, None)])
        self.finish(c)
        events = self.stat_events(c)
        # 5 periodic ones (1.6 s of running, plus start-up) and the last;
        # a loaded machine may delay some
        self.assertGreaterEqual(len(events), 4, events)
        self.assertLessEqual(len(events), 12, events)
        last = self.final_stats(c)
        for key in ("backend", "reason", "integration_stats", "performance_data",
                    "efficiency", "trace_calls_saved", "trace_function_calls", "cache"):
            self.assertIn(key, last)
        self.assertEqual(set(last["integration_stats"]),
                         {"integrations_enabled", "breakpoints_optimized",
                          "trace_calls_saved", "errors_handled"})
        self.assertEqual(last["integration_stats"]["trace_calls_saved"],
                         last["trace_calls_saved"])
        self.assertGreaterEqual(last["efficiency"], 0)
        self.assertLessEqual(last["efficiency"], 1)
        m = BACKEND_LINE.search(c.output("console"))
        self.assertIsNotNone(m)

    def test_statistics_only_at_end_by_default(self):
        prog = self.write("work.py", WORK)
        c = self.session(None, prog, args=["10", "0.7"])
        self.finish(c)
        self.assertEqual(len(self.stat_events(c)), 1, self.stat_events(c))
        self.final_stats(c)

    def test_get_integration_statistics_in_the_program(self):
        prog = self.write("stats.py", STATS_FROM_PROGRAM)
        c = self.session({"backend": "tracing"}, prog)
        self.finish(c)
        line = [l for l in c.output("stdout").splitlines() if l.startswith("STATS ")]
        self.assertEqual(len(line), 1, c.output("stdout"))
        stats = json.loads(line[0][6:])
        self.assertEqual(stats["backend"], "tracing")
        self.assertEqual(set(stats), set(self.final_stats(c)))
        self.assertGreater(stats["performance_data"]["trace_function_calls"], 0)
