"""Breakpoints and execution control through the adapter, over stdio, with
a real debuggee interpreter: what a user sees (stopped line, thread,
reason, stack frames, output, exit code) for every breakpoint kind and
every execution request.

The full set runs with the default backend (`auto`: no `frameEval` in the
launch); the tests marked @subset (one or two per requirement group) run
again for every other backend the runtime really uses on this interpreter
(`tracing`, `monitoring`, `instrumented`, `evalframe`). A backend is probed
once per class: when the runtime falls back to another one (its console
line "dapper: breakpoints use ..." does not say "(requested)"), or when it
is what `auto` chose already, the class is skipped with that reason.

Target programs are in programs/bp/ and mark their lines with
`# BREAK: name` comments; the tests find lines by marker.
The tests are mixins run by one TestCase per backend (the end of this
file): BreakpointTests here (setBreakpoints, conditions, logpoints, function
and exception breakpoints, breakpointLocations, where breakpoints work),
ExecutionTests in bp_execution.py (stepping, pause, threads, the editors'
orders); the helpers and the backend parametrisation are in bp_common.py.
"""

import os
import subprocess
import time

from bp_lazy import LazyTests
from bp_common import (BP_PROGRAMS, BreakpointCase, BreakpointSession,
                       Debuggee, auto_backend, bp_program, mark_known_bugs,
                       markers, subset)
from bp_execution import ExecutionTests
from bp_stepping import SteppingTests
from harness import CONFIG, TIMEOUT


class BreakpointTests(BreakpointSession):
    """Mixed into one TestCase per backend (see the end of the file), with
    ExecutionTests."""

    # ==== setBreakpoints ==========================================================
    def test_set_breakpoints_resolution_and_replace(self):
        path = bp_program("loops.py")
        m = markers(path)
        seen = {}

        def setup(d):
            # The program, held before its first line, has not loaded
            # loops.py: answered from a stat, verified at the requested
            # lines (docs/runtime.md, "Breakpoint lines"); checked when it
            # loads (the `breakpoint` events below).
            res = d.set_breakpoints(path, [
                "each", "comment_line", "no_code_after",
                m["comment_line"] + 1])
            self.assert_verified(res, [m["each"], m["comment_line"],
                                       m["no_code_after"], m["comment_line"] + 1])
            ids = [r["id"] for r in res]
            self.assertEqual(len(set(ids)), 4, "ids not distinct: %r" % res)
            self.assertEqual({r["source"]["path"] for r in res}, {path})
            # Full replace: only `moved` and `done` now; `each` (six
            # times in a loop) must not stop.
            res2 = d.set_breakpoints(path, ["comment_line", "done", "no_code_after"])
            self.assert_verified(res2, [m["comment_line"], m["done"], m["no_code_after"]])
            self.assertFalse(set(r["id"] for r in res2) & set(ids),
                             "setBreakpoints reused ids: %r %r" % (res, res2))
            # Another file's breakpoints are its own.
            # (not imported yet: verified, the file compiles)
            res3 = d.set_breakpoints(bp_program("later.py"), ["value"])
            self.assertIs(res3[0]["verified"], True, res3)
            self.assertEqual(d.set_breakpoints(bp_program("later.py"), []),
                             [])
            seen["ids"] = [r["id"] for r in res2]

        d = self.debug("loops.py", setup=setup)
        ids = seen["ids"]
        # loops.py loaded: the comment line moved to the next code, the
        # line after the last code became unverified; only the breakpoints
        # in force (res2) are reported.
        changed = {}
        for _ in range(2):
            ev = d.c.wait_event("breakpoint", TIMEOUT)["body"]
            self.assertEqual(ev["reason"], "changed", ev)
            changed[ev["breakpoint"]["id"]] = ev["breakpoint"]
        self.assertEqual(set(changed), {ids[0], ids[2]}, changed)
        self.assertEqual((changed[ids[0]]["verified"], changed[ids[0]]["line"]),
                         (True, m["moved_target"]), changed)
        gone = changed[ids[2]]
        self.assertIs(gone["verified"], False, gone)
        self.assertEqual(gone["line"], m["no_code_after"], gone)
        self.assertEqual(gone.get("message"),
                         "no code at or after line %d" % m["no_code_after"], gone)
        d.stopped("breakpoint", "moved_target", "<module>", 1, [ids[0]])
        d.cont()
        d.stopped("breakpoint", "done", "<module>", 1, [ids[1]])
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(len(d.stops()), 2)
        self.assertIn("loops done\n", out.get("stdout", ""))
        self.assertEqual(len(d.c.events("breakpoint")), 2)

    @subset
    def test_module_imported_later(self):
        later = bp_program("later.py")
        lm = markers(later)
        d = self.debug("importer.py", bps={later: ["value", "top"]})
        # Not imported yet, but the file compiles: verified in the response
        # at their lines, and no `breakpoint` event later (nothing changes
        # when the module loads).
        res = d.bp_responses[later]["breakpoints"]
        self.assertEqual([(r["verified"], r["line"]) for r in res],
                         [(True, lm["value"]), (True, lm["top"])], res)
        self.assertEqual({r["source"]["path"] for r in res}, {later})
        ids = [r["id"] for r in res]
        d.stopped("breakpoint", lm["top"], "<module>", 1, [ids[1]])
        self.assertEqual(d.c.events("breakpoint"), [])
        frames = d.frames(1)
        self.assertEqual(frames, [("<module>", lm["top"]),
                                  ("<module>", d.m["import"])])
        d.cont()
        d.stopped("breakpoint", lm["value"], "value", 1, [ids[0]])
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "importing\nvalue 42\n")

    def test_hit_conditions(self):
        path = bp_program("loops.py")
        m = markers(path)
        # Anything else than N, ==N, >N, >=N, <N, <=N, %N is refused.
        bad = ["abc", "=3", ">x", "==", "3 times", "%"]

        def setup(d):
            res = d.set_breakpoints(path, [
                {"line": line, "hitCondition": hc}
                for line, hc in zip(("hit_plain", "hit_eq", "hit_gt",
                                     "hit_ge", "hit_lt", "hit_le"), bad)])
            for r, hc in zip(res, bad):
                self.assertIs(r["verified"], False, (hc, r))
                self.assertTrue(r.get("message"), (hc, r))
                self.assertIsInstance(r.get("id"), int, r)
            d.set_breakpoints(path, [{"line": "each"}] + [
                {"line": k, "hitCondition": v} for k, v in conds.items()])

        conds = {"hit_plain": "2", "hit_eq": "==3", "hit_gt": ">4",
                 "hit_ge": ">=5", "hit_lt": "<2", "hit_le": "<=2",
                 "hit_mod": "%3", "hit_bad": "every 2"}
        order = ["each"] + list(conds)
        d = self.debug("loops.py", setup=setup)
        res = d.bp_responses[path]["breakpoints"]
        self.assert_verified(res[:-1])
        self.assertIs(res[-1]["verified"], False, res[-1])
        self.assertIn("hitCondition", res[-1].get("message", ""), res[-1])
        ids = {k: r["id"] for k, r in zip(order, res)}
        rules = {"hit_plain": lambda n: n == 2, "hit_eq": lambda n: n == 3,
                 "hit_gt": lambda n: n > 4, "hit_ge": lambda n: n >= 5,
                 "hit_lt": lambda n: n < 2, "hit_le": lambda n: n <= 2,
                 "hit_mod": lambda n: n % 3 == 0, "hit_bad": lambda n: False}
        expected = []
        for n in range(1, 7):
            expected.append(("each", n))
            expected += [(k, n) for k in conds if rules[k](n)]
        seen = []
        iteration = 0
        for _ in expected:
            ev, top = d.stopped("breakpoint")
            marker = next(k for k, v in m.items() if v == top["line"])
            if marker == "each":
                iteration += 1
            self.assertEqual(ev["hitBreakpointIds"], [ids[marker]], ev)
            seen.append((marker, iteration))
            d.cont()
        code, out = d.finish()
        self.assertEqual(seen, expected)
        self.assertEqual(code, 0)

    @subset
    def test_statistics(self):
        # `dapper/statistics`: the runtime's counters (docs/runtime.md,
        # "Statistics"); a breakpoint on a line run once, after five calls
        d = self.debug("funcs.py", bps={"funcs.py": ["top_body"]})
        d.stopped("breakpoint", "top_body", "top")
        st = d.request("dapper/statistics")["body"]
        used = self.backend_in_use
        self.assertEqual(st["backend"], used, st)
        self.assertIsInstance(st["reason"], str, st)
        for k in ("integrations_enabled", "breakpoints_optimized",
                  "trace_calls_saved", "errors_handled", "trace_function_calls",
                  "frame_eval_calls"):
            self.assertIsInstance(st[k], int, (k, st))
        self.assertEqual(st["errors_handled"], 0, st)
        self.assertGreaterEqual(st["integrations_enabled"], 1, st)
        if used == "tracing":
            self.assertGreater(st["trace_function_calls"], 20, st)
            self.assertEqual(st["frame_eval_calls"], 0, st)
            self.assertEqual(st["breakpoints_optimized"], 0, st)
        elif used == "monitoring":
            self.assertEqual(st["trace_function_calls"], 0, st)
            self.assertEqual(st["frame_eval_calls"], 0, st)
            self.assertEqual(st["breakpoints_optimized"], 1, st)
            # no global event: the breakpoint line's callback is the only one
            self.assertEqual(st["monitoring_callbacks"], 1, st)
        elif used == "evalframe":
            self.assertGreater(st["frame_eval_calls"], 5, st)  # area() x5 at least
            self.assertGreater(st["trace_calls_saved"], 0, st)
            self.assertEqual(st["breakpoints_optimized"], 1, st)
        else:  # instrumented
            self.assertGreaterEqual(st["breakpoints_optimized"], 1, st)
        d.cont()
        before = st
        d.finish()
        self.assertGreaterEqual(before["integrations_enabled"], 1)

    @subset
    def test_conditions_and_logpoints(self):
        path = bp_program("loops.py")
        d = self.debug("loops.py", bps={"loops.py": [
            {"line": "cond", "condition": "i == 3"},
            {"line": "cond_error", "condition": "1/0"},
            {"line": "cond_hit", "condition": "i % 2 == 0",
             "hitCondition": "2"},
            {"line": "log", "logMessage":
             "i={i} sq={i * i} {{literal}} }} {items['a']} {nope} {{"},
        ]})
        res = d.bp_responses[path]["breakpoints"]
        self.assert_verified(res)
        ids = [r["id"] for r in res]
        # The failing condition is true on each of the 6 iterations; the
        # plain condition only at i == 3; the hit count counts only the
        # hits where its condition was true (i = 2, 4: the second one).
        expected = [("cond_error", 1), ("cond_error", 2), ("cond", 3),
                    ("cond_error", 3), ("cond_error", 4), ("cond_hit", 4),
                    ("cond_error", 5), ("cond_error", 6)]
        by_line = {d.m[k]: (k, i) for i, k in enumerate(
            ("cond", "cond_error", "cond_hit"))}
        for marker, iteration in expected:
            ev, top = d.stopped("breakpoint", marker, "conditions", 1)
            self.assertEqual(ev["hitBreakpointIds"],
                             [ids[by_line[top["line"]][1]]])
            # The program printed "cond N" before the stop, and not N+1.
            out = d.c.wait_output("cond %d\n" % iteration, "stdout", TIMEOUT)
            self.assertNotIn("cond %d\n" % (iteration + 1), out)
            d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        console = out.get("console", "")
        errors = [l for l in console.splitlines() if "1/0" in l]
        self.assertEqual(len(errors), 1, "the failing condition must be "
                         "reported once: %r" % console)
        self.assertIn("ZeroDivisionError", errors[0])
        logs = [l for l in console.splitlines(True) if l.startswith("i=")]
        self.assertEqual(logs, [
            "i=%d sq=%d {literal} } 1 <error: NameError: name 'nope' is "
            "not defined> {\n" % (i, i * i) for i in (1, 2, 3)])
        # Logpoint lines are console output events of their own.
        for ev in d.c.events("output"):
            if ev["body"]["output"].startswith("i="):
                self.assertEqual(ev["body"].get("category"), "console")
        self.assertEqual(len(d.stops()), len(expected),
                         "a logpoint stopped the program")

    @subset
    def test_function_breakpoints(self):
        d = self.debug("funcs.py", fbps=[
            {"name": "top"}, {"name": "helpermod.compute"},
            {"name": "Shape.area", "condition": "k > 1", "hitCondition": "2"},
            {"name": "not a name"}, {"name": "1bad"}])
        res = d.fbp_response
        self.assertEqual([r["verified"] for r in res],
                         [True, True, True, False, False], res)
        for r in res[3:]:
            self.assertTrue(r.get("message"), r)
        ids = [r["id"] for r in res]
        helper = markers(bp_program("helpermod.py"))
        # Shape.area: k > 1 is true for k = 2, 3, ...; the second is k = 3.
        ev, top = d.stopped("function breakpoint", "area_body", "Shape.area",
                            1, [ids[2]])
        out = d.c.wait_output("area 2\n", "stdout", TIMEOUT)
        self.assertNotIn("area 3", out, "stopped in the wrong call")
        d.cont()
        d.stopped("function breakpoint", "top_body", "top", 1, [ids[0]])
        d.cont()
        ev, top = d.stopped("function breakpoint", helper["compute_body"],
                            "compute", 1, [ids[1]])
        self.assertEqual(top["source"]["path"], bp_program("helpermod.py"))
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "".join(
            "area %d\n" % k for k in range(1, 6)) + "computed 9\n")
        self.assertEqual(len(d.stops()), 3)

    @subset
    def test_exception_raised_and_filter_condition(self):
        d = self.debug("exc.py", args=["ok"], exc={
            "filters": ["raised"]})
        self.assertEqual(d.exc_response, [{"verified": True}])
        ev, _ = d.stopped("exception", "raise_key", "caught", 1)
        self.assertEqual(ev["description"], "KeyError: 'inner'")
        d.cont()
        ev, _ = d.stopped("exception", "raise_app", "caught", 1)
        self.assertEqual(ev.get("text"), "AppError: app")
        d.cont()
        ev, _ = d.stopped("exception", "hook_raise", "hook", 1)
        self.assertEqual(ev["description"], "RuntimeError: from user hook")
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "handled\nno failure\n")
        self.assertEqual(len(d.stops()), 3)
        # filterOptions: only the named types.
        d = self.debug("exc.py", args=["ok"], exc={
            "filters": [], "filterOptions": [
                {"filterId": "raised", "condition": "AppError, ValueError"}]})
        self.assertEqual(d.exc_response, [{"verified": True}])
        ev, _ = d.stopped("exception", "raise_app", "caught", 1)
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(len(d.stops()), 1)

    def test_raised_skips_library_code_behind_symlinks(self):
        # Debian's stdlib sitecustomize.py is a symlink into /etc: still
        # library code, so its caught ImportError is not `raised` in user
        # code (it used to stop there, before the program's first line).
        stdlib = subprocess.run(
            [CONFIG.python, "-c", "import sysconfig; "
             "print(sysconfig.get_path('stdlib'))"], stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL, timeout=30).stdout.decode().strip()
        target = os.path.join(stdlib, "sitecustomize.py")
        if not os.path.islink(target):
            self.skipTest("%s is not a symlink here" % target)
        code = ("import runpy\nrunpy.run_path(%r)\n"
                "try:\n    raise KeyError('mine')\nexcept KeyError:\n"
                "    print('caught')\n" % target)
        c = self.client()
        self.initialize(c)
        launch = self.launch_config(None, code=code)
        seq = c.send_request("launch", launch)
        c.wait_event("initialized", TIMEOUT)
        self.assertTrue(c.wait_response(seq, TIMEOUT)["success"])
        d = Debuggee(self, c, None)
        d.request("setExceptionBreakpoints", {"filters": ["raised"]})
        d.request("configurationDone")
        ev, top = d.stopped("exception", 4, "<module>", 1)
        self.assertEqual(ev["description"], "KeyError: 'mine'")
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(len(d.stops()), 1, [s["body"] for s in d.stops()])

    def test_exception_uncaught(self):
        d = self.debug("exc.py", args=["fail"], exc={"filters": ["uncaught"]})
        ev, top = d.stopped("exception", "raise_uncaught", "fail", 1)
        self.assertEqual(ev["description"], "ValueError: bad value")
        self.assertEqual(d.frames(1), [("fail", d.m["raise_uncaught"]),
                                       ("<module>", d.m["fail_call"])])
        # Stopped before the traceback is printed.
        time.sleep(0.1)
        self.assertNotIn("Traceback", d.c.output("stderr"))
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 1)
        self.assertIn("ValueError: bad value", out.get("stderr", ""))
        self.assertEqual(len(d.stops()), 1)

    def test_exception_user_unhandled(self):
        d = self.debug("exc.py", args=["ok"],
                       exc={"filters": ["userUnhandled"]})
        ev, top = d.stopped("exception", "hook_raise", "hook", 1)
        self.assertEqual(ev["description"], "RuntimeError: from user hook")
        names = [n for n, _ in d.frames(1)]
        self.assertEqual(names[0], "hook")
        self.assertEqual(names[-2:], ["user_unhandled", "<module>"], names)
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "handled\nno failure\n")
        self.assertEqual(len(d.stops()), 1)

    def test_breakpoint_locations(self):
        d = self.debug("stepping.py", bps={"stepping.py": ["last"]})
        m = d.m
        body = d.request("breakpointLocations", {
            "source": {"path": d.path}, "line": m["callee_first"] - 1,
            "endLine": m["callee_return"] + 2})["body"]
        lines = [b["line"] for b in body["breakpoints"]]
        self.assertEqual(lines, [m["callee_first"] - 1, m["callee_first"],
                                 m["callee_return"]])
        body = d.request("breakpointLocations", {
            "source": {"path": d.path}, "line": m["call"]})["body"]
        self.assertEqual([b["line"] for b in body["breakpoints"]], [m["call"]])
        d.stopped("breakpoint", "last")
        d.cont()
        self.assertEqual(d.finish()[0], 0)

    # ==== where breakpoints work =============================================
    @subset
    def test_breakpoints_in_every_kind_of_code(self):
        order = ["module", "function", "method", "static", "nested", "closure",
                 "generator", "generator", "lambda", "coroutine", "end"]
        names = {"module": "<module>", "function": "plain",
                 "method": "Greeter.hello", "static": "Greeter.shout",
                 "nested": "outer.<locals>.nested",
                 "closure": "make_counter.<locals>.bump",
                 "generator": "gen", "lambda": "<lambda>",
                 "coroutine": "coro", "end": "<module>"}
        d = self.debug("kinds.py", bps={"kinds.py": list(names)})
        res = d.bp_responses[d.path]["breakpoints"]
        self.assert_verified(res, [d.m[k] for k in names])
        ids = dict(zip(names, (r["id"] for r in res)))
        for marker in order:
            d.stopped("breakpoint", marker, names[marker], 1, [ids[marker]])
            d.cont()
        code, out = d.finish()
        self.assertEqual(code, 4)
        self.assertEqual(out.get("stdout"), "results 3 hello you HEY 6 1 "
                         "[0, 2] 16 6\n")

    def test_recursion_5000_deep(self):
        d = self.debug("deep.py", bps={"deep.py": ["bottom"]})
        d.stopped("breakpoint", "bottom", "rec", 1)
        st = d.stack(1, levels=20)
        self.assertEqual(st["totalFrames"], 5001 + 1)
        self.assertEqual(len(st["stackFrames"]), 20)
        tail = d.stack(1, startFrame=5000, levels=10)
        self.assertEqual([f["name"] for f in tail["stackFrames"]],
                         ["rec", "<module>"])
        d.step("stepOut")  # the caller, on the line of the call
        d.stopped("step", d.m["bottom"] + 1, "rec", 1)
        self.assertEqual(d.stack(1, levels=1)["totalFrames"], 5000 + 1)
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "depth 5000\n")

    def test_debugger_work_never_hits_breakpoints(self):
        # The runtime's own work (stack traces, logpoint output, resolving
        # paths) runs json.dumps/json.loads and posixpath; the breakpoints
        # there may stop only the program's own call.
        d = self.debug("internal.py", bps={"internal.py": [
            {"line": "loop", "logMessage": "total={total}"}, "user_call"]},
            fbps=[{"name": "json.dumps"}, {"name": "json.loads"},
                  {"name": "posixpath.realpath"},
                  {"name": "posixpath.abspath"}],
            exc={"filters": ["raised"]})
        self.assertEqual([r["verified"] for r in d.fbp_response], [True] * 4)
        d.stopped("breakpoint", "user_call", "<module>", 1)
        d.frames(1)
        d.set_breakpoints(bp_program("later.py"), ["value"])
        d.cont()
        ev, top = d.stopped("function breakpoint", None, "dumps", 1,
                            [d.fbp_response[0]["id"]])
        self.assertEqual(d.frames(1)[1], ("<module>", d.m["user_call"]))
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), '{"total": 3}\n')
        self.assertEqual(len(d.stops()), 2, [s["body"] for s in d.stops()])

    def test_many_threads_same_breakpoint_storm(self):
        d = self.debug("storm.py", bps={"storm.py": ["hot"]})
        bp_id = d.bp_responses[d.path]["breakpoints"][0]["id"]
        per_thread = {}
        for _ in range(5 * 25):
            ev, top = d.stopped("breakpoint", "hot", "body", None, [bp_id])
            tid = ev["threadId"]
            per_thread[tid] = per_thread.get(tid, 0) + 1
            d.cont(tid)
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(sorted(per_thread.values()), [25] * 5, per_thread)
        self.assertEqual(out.get("stdout"), "hits 125\n")

    def test_stepping_in_recursion_and_generators(self):
        d = self.debug("recstep.py", bps={"recstep.py": [
            {"line": "rec_call", "condition": "n == 3"}, "y1"]})
        depth = lambda: len(d.frames(1))  # noqa: E731
        d.stopped("breakpoint", "rec_call", "rec", 1)
        self.assertEqual(depth(), 2)
        d.step("stepIn")
        d.stopped("step", "rec_if", "rec", 1)
        self.assertEqual(depth(), 3)
        d.step("next")
        d.stopped("step", "rec_call", "rec", 1)
        self.assertEqual(depth(), 3)
        # Over a recursive call: the deeper frames run the same lines.
        d.step("next")
        d.stopped("step", "rec_after", "rec", 1)
        self.assertEqual(depth(), 3, "stepped into a deeper frame of the "
                         "same function")
        d.step("stepOut")  # the caller, on the line of the call
        d.stopped("step", "rec_call", "rec", 1)
        self.assertEqual(depth(), 2)
        d.step("next")
        d.stopped("step", "rec_after", "rec", 1)
        self.assertEqual(depth(), 2)
        d.step("next")  # over the return: the module, on the call's line
        d.stopped("step", "rec_main", "<module>", 1)
        d.step("next")
        d.stopped("step", "total0", "<module>", 1)
        d.cont()
        d.stopped("breakpoint", "y1", "gen", 1)
        self.assertEqual(d.frames(1)[1], ("<module>", d.m["for"]))
        d.step("next")  # over the yield: the loop that resumed it
        d.stopped("step", "for", "<module>", 1)
        d.step("next")
        d.stopped("step", "body", "<module>", 1)
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "rec 3 gen 3\n")

    # Resuming a generator is not a call: under monitoring the step-in
    # needs PY_RESUME as well as PY_START (rt_backend_monitoring.c).
    def test_step_in_resumes_generator(self):
        d = self.debug("recstep.py", bps={"recstep.py": ["y1", "body"]})
        d.stopped("breakpoint", "y1", "gen", 1)
        d.cont()
        d.stopped("breakpoint", "body", "<module>", 1)
        d.step("stepIn")  # nothing to step into: the next line
        d.stopped("step", "for", "<module>", 1)
        d.step("stepIn")  # into the generator, resumed after its yield
        d.stopped("step", "y2", "gen", 1)
        self.assertEqual(d.frames(1), [("gen", d.m["y2"]),
                                       ("<module>", d.m["for"])])
        d.cont()
        d.stopped("breakpoint", "body", "<module>", 1)
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)

    def test_uncaught_in_thread_and_stepping_a_thread(self):
        d = self.debug("worker_exc.py", bps={"worker_exc.py": ["step_start"]},
                       exc={"filters": ["uncaught"]})
        ev, top = d.stopped("exception", "worker_raise", "failing")
        failing = ev["threadId"]
        self.assertNotEqual(failing, 1)
        self.assertEqual(ev["description"], "LookupError: worker failed")
        names = {t["id"]: t["name"]
                 for t in d.request("threads")["body"]["threads"]}
        self.assertEqual(names.get(failing), "failing", names)
        d.cont(failing)
        ev, top = d.stopped("breakpoint", "step_start", "stepper")
        stepper = ev["threadId"]
        self.assertNotIn(stepper, (1, failing))
        d.step("next", stepper)
        d.stopped("step", "step_next", "stepper", stepper)
        d.cont(stepper)
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertIn("LookupError: worker failed", out.get("stderr", ""))
        self.assertEqual(out.get("stdout"), "main done\n")

    def test_detach_while_stopped_lets_the_program_finish(self):
        marker = os.path.join(self.tmp, "ran")
        d = self.debug("writer.py", args=[marker],
                       bps={"writer.py": ["stop"]})
        ev, top = d.stopped("breakpoint", "stop", "<module>", 1)
        pid = d.c.events("process")[0]["body"]["systemProcessId"]
        self.pids.append(pid)
        resp = d.request("disconnect", {"terminateDebuggee": False})
        self.assertTrue(resp["success"])
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.exists(marker), "the program stayed stopped "
                        "after disconnect with terminateDebuggee false")

    def test_terminate_while_stopped(self):
        marker = os.path.join(self.tmp, "ran")
        d = self.debug("writer.py", args=[marker],
                       bps={"writer.py": ["stop"]})
        d.stopped("breakpoint", "stop", "<module>", 1)
        d.request("disconnect", {})
        self.assertFalse(os.path.exists(marker), "the program ran on")
        self.assertEqual(len(d.c.events("exited")), 1)

    def test_module_launch_and_path_variants(self):
        # -m: the main module's file is not known before it runs.
        c = self.client()
        self.initialize(c)
        path = bp_program("stepping.py")
        launch = self.launch_config(None, module="stepping", cwd=BP_PROGRAMS)
        seq = c.send_request("launch", launch)
        c.wait_event("initialized", TIMEOUT)
        self.assertTrue(c.wait_response(seq, TIMEOUT)["success"])
        d = Debuggee(self, c, path)
        # A path through a symlinked directory and "./" is the same file;
        # frames show the path the client used.
        link = os.path.join(self.tmp, "link")
        os.symlink(BP_PROGRAMS, link)
        client_path = os.path.join(link, ".", "stepping.py")
        res = d.set_breakpoints(client_path, ["callee_first"])
        self.assertIsInstance(res[0]["id"], int)
        missing = d.set_breakpoints(os.path.join(self.tmp, "missing.py"),
                                    [3])
        self.assertIs(missing[0]["verified"], False)
        self.assertTrue(missing[0].get("message"), missing)
        d.request("configurationDone")
        d.stopped("breakpoint", "callee_first", "callee", 1, [res[0]["id"]])
        if not res[0]["verified"]:
            events = [e["body"]["breakpoint"] for e in c.events("breakpoint")]
            self.assertIn(res[0]["id"], [b["id"] for b in events
                                         if b["verified"]], events)
        st = d.stack(1)
        self.assertEqual(st["totalFrames"], 3, "runpy frames shown")
        self.assertEqual(st["stackFrames"][0]["source"]["path"], client_path)
        d.cont()
        d.stopped("breakpoint", "callee_first", "callee", 1)
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "stepped 6\n")


# ---- one class per backend ------------------------------------------------------
class AllTests(BreakpointTests, ExecutionTests, SteppingTests, LazyTests):
    """Every test of the set: what each class below runs (a subset for the
    non-default backends)."""


class BreakpointsAuto(AllTests, BreakpointCase):
    backend = "auto"


for _name, _test in mark_known_bugs(AllTests, auto_backend(), {}).items():
    setattr(BreakpointsAuto, _name, _test)
    del _name, _test


def _subset_class(backend):
    full = os.environ.get("DAPPER_BP_FULL") == "1"
    hidden = {name: None for name in dir(AllTests)
              if name.startswith("test_") and not full
              and not getattr(getattr(AllTests, name), "subset", False)}
    name = "Breakpoints_%s" % backend
    return type(name, (AllTests, BreakpointCase),
                mark_known_bugs(AllTests, backend,
                                dict(hidden, backend=backend)))


for _backend in ("tracing", "monitoring", "instrumented", "evalframe"):
    _cls = _subset_class(_backend)
    globals()[_cls.__name__] = _cls
del _backend, _cls
