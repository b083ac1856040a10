"""The breakpoint engine and execution control end to end: a target program
launched with the runtime injected, driven over the wire as the adapter
would (dapwire.Session), for every backend this interpreter offers.

usage: python test_engine.py <runtime build dir> [unittest args]"""
import os
import shutil
import sys
import tempfile
import time
import unittest

from dapwire import Session, backends, markers, target

BUILD_DIR = None


class EngineTests:
    backend = None

    def session(self, argv, **kw):
        s = Session(BUILD_DIR, argv, **kw)
        self.addCleanup(s.close)
        return s

    def launch(self, name, args=(), stop_on_entry=False, env=None, bps=None):
        path = target(name)
        s = self.session([path] + list(args), env=env)
        s.configure(self.backend, stop_on_entry=stop_on_entry)
        m = markers(path)
        if bps:
            s.set_breakpoints(path, [(i + 1, m[b]) for i, b in enumerate(bps)])
        return s, path, m

    def expect_stop(self, s, reason, line=None, name=None, ids=None, thread=None):
        st = s.stopped()
        self.assertEqual(st["reason"], reason, st)
        self.assertTrue(st["allThreadsStopped"])
        if ids is not None:
            self.assertEqual(st.get("hitBreakpointIds"), ids, st)
        if thread is not None:
            self.assertEqual(st["threadId"], thread)
        fname, fline = s.top(st["threadId"])
        if line is not None:
            self.assertEqual(fline, line, (fname, fline, st))
        if name is not None:
            self.assertEqual(fname, name)
        return st

    # -- configure ---------------------------------------------------------
    def test_configure_output(self):
        s = self.session([target("basic.py")])
        body = s.configure(self.backend)["body"]
        self.assertEqual(body["backend"], self.backend)
        out = s.event("output")
        self.assertEqual(out["category"], "console")
        want = {"tracing": "traditional tracing", "monitoring": "sys.monitoring",
                "instrumented": "instrumented code",
                "evalframe": "a PEP 523 eval-frame hook"}
        self.assertIn("dapper: breakpoints use %s (requested)" % want[self.backend],
                      out["output"])
        s.start()
        rc, _, _ = s.finish()
        self.assertEqual(rc, 3)
        self.assertEqual(len([o for o in s.outputs() if "breakpoints use" in o]), 0)

    # -- breakpoints in every kind of code ------------------------------------
    def test_breakpoints_everywhere(self):
        s, path, m = self.launch("basic.py", bps=[
            "add", "method", "inner", "gen", "coro", "module", "end"])
        # the lambda's line also holds module code; test it via stepIn below
        s.start()
        expected = [("module", "<module>", 6), ("add", "add", 1),
                    ("method", "Greeter.hello", 2),
                    ("inner", "outer.<locals>.inner", 3),
                    ("gen", "gen", 4), ("gen", "gen", 4), ("coro", "coro", 5),
                    ("end", "<module>", 7)]
        for marker, name, bp_id in expected:
            self.expect_stop(s, "breakpoint", m[marker], name, [bp_id], thread=1)
            s.cont()
        rc, out, _ = s.finish()
        self.assertEqual(rc, 3)
        self.assertIn("done 3 hello you 6 [0, 2] 16 6", out)

    def test_stop_on_entry_and_stack(self):
        s, path, m = self.launch("control.py", stop_on_entry=True,
                                 bps=["callee_first"])
        s.start()
        self.expect_stop(s, "entry", 1, "<module>")
        st = s.stack(1)
        self.assertEqual(st["totalFrames"], 1)  # no boot/runpy frames
        self.assertEqual(st["stackFrames"][0]["source"]["path"], path)
        s.cont()
        self.expect_stop(s, "breakpoint", m["callee_first"], "callee")
        st = s.stack(1)
        self.assertEqual([f["name"] for f in st["stackFrames"]],
                         ["callee", "caller", "<module>"])
        self.assertEqual(st["totalFrames"], 3)
        self.assertEqual(s.stack(1, startFrame=1, levels=1)["stackFrames"][0]["line"],
                         m["call"])
        s.cont()
        self.assertEqual(s.finish()[0], 0)

    def test_module_run_hides_runpy(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        shutil.copy(target("control.py"), os.path.join(d, "ctlmod.py"))
        path = os.path.join(d, "ctlmod.py")
        m = markers(path)
        s = self.session(["-m", "ctlmod"], cwd=d)
        s.configure(self.backend, stop_on_entry=True)
        s.set_breakpoints(path, [(1, m["after_call"])])
        s.start()
        self.expect_stop(s, "entry", 1, "<module>")
        self.assertEqual(s.stack(1)["totalFrames"], 1)
        s.cont()
        self.expect_stop(s, "breakpoint", m["after_call"], "caller")
        self.assertEqual(s.stack(1)["totalFrames"], 2)
        s.cont()
        self.assertEqual(s.finish()[0], 0)

    # -- conditions, hit counts, logpoints --------------------------------------
    def test_condition_hit_log(self):
        path = target("control.py")
        m = markers(path)
        s = self.session([path])
        s.configure(self.backend)
        res = s.set_breakpoints(path, [
            {"id": 1, "line": m["loop"], "condition": "i == 3"},
            {"id": 2, "line": m["callee_first"], "logMessage": "v={v} {{x}} {nope}"},
            {"id": 3, "line": m["after_call"], "condition": "1/0"},
            {"id": 4, "line": m["end"], "hitCondition": "bogus"},
        ])
        self.assertEqual([r["verified"] for r in res], [True, True, True, False])
        self.assertIn("hitCondition", res[3]["message"])
        s.start()
        self.expect_stop(s, "breakpoint", m["after_call"], ids=[3])  # error → true
        s.cont()
        self.expect_stop(s, "breakpoint", m["loop"], ids=[1])
        s.cont()
        rc, _, _ = s.finish()
        self.assertEqual(rc, 0)
        outs = s.outputs()
        self.assertIn("v=1 {x} <error: NameError: name 'nope' is not defined>\n", outs)
        errs = [o for o in outs if "condition '1/0' failed" in o]
        self.assertEqual(len(errs), 1, outs)

    def test_hit_conditions(self):
        path = target("control.py")
        m = markers(path)
        for hit, stops in (("2", 1), (">=4", 2), ("%2", 2), ("<3", 2)):
            s = self.session([path])
            s.configure(self.backend)
            s.set_breakpoints(path, [{"id": 1, "line": m["loop"], "hitCondition": hit}])
            s.start()
            for _ in range(stops):
                s.stopped()
                s.cont()
            self.assertEqual(s.finish()[0], 0)
            self.assertEqual([e for e in s.events if e["event"] == "stopped"], [], hit)

    def test_line_resolution_and_locations(self):
        path = target("control.py")
        m = markers(path)
        s = self.session([path])
        s.configure(self.backend)
        res = s.set_breakpoints(path, [(1, m["callee_first"] - 2), (2, 10000)])
        # Not loaded yet (held before its first line): answered from a stat,
        # verified at the requested lines; checked when its code runs.
        self.assertEqual([(r["verified"], r["line"]) for r in res],
                         [(True, m["callee_first"] - 2), (True, 10000)], res)
        locs = s.request("breakpointLocations", {"source": {"path": path},
                                                 "line": m["call"],
                                                 "endLine": m["call"] + 3})["body"]
        self.assertEqual([b["line"] for b in locs["breakpoints"]],
                         [m["call"], m["after_call"], m["after_call"] + 1])
        s.start()
        moved = s.event("breakpoint", lambda b: b["breakpoint"]["id"] == 1)
        self.assertEqual(moved["reason"], "changed")
        bp = moved["breakpoint"]
        self.assertEqual((bp["verified"], bp["line"]),
                         (True, m["callee_first"] - 1), bp)  # the def line
        self.assertEqual(bp["source"]["path"], path)
        gone = s.event("breakpoint", lambda b: b["breakpoint"]["id"] == 2)
        bp = gone["breakpoint"]
        self.assertFalse(bp["verified"], bp)
        self.assertEqual(bp["message"], "no code at or after line 10000")
        s.stopped()
        s.cont()
        self.assertEqual(s.finish()[0], 0)

    def test_symlinked_path(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        link = os.path.join(d, "link")
        os.symlink(os.path.dirname(target("control.py")), link)
        client = os.path.join(link, ".", "control.py")
        m = markers(target("control.py"))
        s = self.session([target("control.py")])
        s.configure(self.backend)
        res = s.set_breakpoints(client, [(1, m["after_call"])])
        self.assertTrue(res[0]["verified"])
        self.assertEqual(res[0]["source"]["path"], client)
        s.start()
        self.expect_stop(s, "breakpoint", m["after_call"], ids=[1])
        s.cont()
        self.assertEqual(s.finish()[0], 0)

    def test_module_imported_later(self):
        later = target("later.py")
        lm = markers(later)
        s, path, m = self.launch("importer.py")
        res = s.set_breakpoints(later, [(1, lm["value"]), (2, lm["top"])])
        # Not imported yet, but the file compiles: verified at their lines.
        self.assertEqual([(r["verified"], r["line"]) for r in res],
                         [(True, lm["value"]), (True, lm["top"])], res)
        s.start()
        self.expect_stop(s, "breakpoint", lm["top"], "<module>", [2])
        s.cont()
        self.expect_stop(s, "breakpoint", lm["value"], "value", [1])
        s.cont()
        rc, out, _ = s.finish()
        self.assertIn("value 42", out)
        # Nothing changed when the module loaded: no `breakpoint` event.
        self.assertEqual([e for e in s.events if e["event"] == "breakpoint"], [])

    # -- lines instrumented code cannot express, shared lines -----------------
    def _run_instr(self, bps, stops):
        path = target("instr.py")
        m = markers(path)
        s = self.session([path])
        s.configure(self.backend)
        items = []
        for i, (name, cond) in enumerate(bps):
            item = {"id": i + 1, "line": m[name]}
            if cond:
                item["condition"] = cond
            items.append(item)
        self.assertTrue(all(r["verified"] for r in s.set_breakpoints(path, items)))
        s.start()
        for ids, marker, name in stops:
            self.expect_stop(s, "breakpoint", m[marker], name, ids)
            s.cont()
        rc, out, _ = s.finish()
        self.assertEqual(rc, 0)
        self.assertIn("done 3 7 3 499500", out)
        self.assertEqual([e for e in s.events if e["event"] == "stopped"], [])
        return s

    def test_loop_header_and_enclosing_name(self):
        # a `for` line runs once per iteration (+1 at the end); a condition
        # naming an enclosing function's local it does not capture fails
        s = self._run_instr([("for_header", None), ("closure_line", "k == 5")],
                            [([1], "for_header", "loop_header")] * 4 +
                            [([2], "closure_line", "closure_cond.<locals>.inner")])
        errs = [o for o in s.outputs() if "condition 'k == 5' failed" in o]
        self.assertEqual(len(errs), 1, s.outputs())

    def test_several_conditions_on_one_line(self):
        self._run_instr([("hot", "i == 500"), ("hot", "i < 0"),
                         ("hot", "i % 400 == 399")],
                        [([3], "hot", "hot"), ([1], "hot", "hot"),
                         ([3], "hot", "hot")])

    def test_step_onto_breakpoint_line(self):
        path = target("instr.py")
        m = markers(path)
        s = self.session([path])
        s.configure(self.backend)
        s.set_breakpoints(path, [(1, m["step_from"]), (2, m["step_to"])])
        s.start()
        self.expect_stop(s, "breakpoint", m["step_from"], "stepto", [1])
        s.step("next", 1)
        # one stop for the line: its breakpoint's (docs/runtime.md)
        self.expect_stop(s, "breakpoint", m["step_to"], "stepto", [2])
        s.cont()  # the line's breakpoint is not reported a second time
        self.assertEqual(s.finish()[0], 0)
        self.assertEqual([e for e in s.events if e["event"] == "stopped"], [])

    # -- function breakpoints ---------------------------------------------------
    def test_function_breakpoints(self):
        s, path, m = self.launch("basic.py")
        res = s.request("setFunctionBreakpoints", {"breakpoints": [
            {"id": 1, "name": "add"}, {"id": 2, "name": "Greeter.hello"},
            {"id": 3, "name": "outer.inner"}, {"id": 4, "name": "__main__.gen",
                                               "hitCondition": ">=1"},
            {"id": 5, "name": "not a name"}]})["body"]["breakpoints"]
        self.assertEqual([r["verified"] for r in res], [True, True, True, True, False])
        s.start()
        for bp_id, marker in ((1, "add"), (2, "method"), (3, "inner"),
                              (4, "gen_first")):
            self.expect_stop(s, "function breakpoint", m[marker], ids=[bp_id])
            s.cont()
        self.assertEqual(s.finish()[0], 3)

    # -- exceptions ---------------------------------------------------------------
    def test_exception_raised_and_uncaught(self):
        s, path, m = self.launch("control.py", env={"BOOM": "caught"})
        res = s.request("setExceptionBreakpoints", {"filters": ["raised", "uncaught"]})
        self.assertEqual(len(res["body"]["breakpoints"]), 2)
        s.start()
        st = self.expect_stop(s, "exception", m["raise_caught"], "boom")
        self.assertEqual(st["description"], "KeyError: 'inner'")
        s.cont()
        st = self.expect_stop(s, "exception", m["raise_uncaught"], "boom")
        self.assertEqual(st["text"], "ValueError: bad caught")
        s.cont()
        # uncaught: before the traceback prints, with the raise's frames
        st = self.expect_stop(s, "exception", m["raise_uncaught"], "boom")
        self.assertEqual(st["description"], "ValueError: bad caught")
        self.assertEqual([f["name"] for f in s.stack(st["threadId"])["stackFrames"]],
                         ["boom", "<module>"])
        s.cont()
        rc, out, err = s.finish()
        self.assertEqual(rc, 1)
        self.assertIn("ValueError: bad caught", err)

    def test_exception_filter_options(self):
        s, path, m = self.launch("control.py", env={"BOOM": "caught"})
        s.request("setExceptionBreakpoints", {"filters": [], "filterOptions": [
            {"filterId": "raised", "condition": "ValueError, IndexError"}]})
        s.start()
        self.expect_stop(s, "exception", m["raise_uncaught"])
        s.cont()
        self.assertEqual(s.finish()[0], 1)

    def test_user_unhandled(self):
        s, path, m = self.launch("userunhandled.py")
        s.request("setExceptionBreakpoints", {"filters": ["userUnhandled"]})
        s.start()
        st = s.stopped()
        self.assertEqual(st["reason"], "exception")
        self.assertEqual(st["description"], "RuntimeError: from user hook")
        frames = s.stack(st["threadId"])["stackFrames"]
        self.assertEqual(frames[0]["name"], "hook")
        self.assertEqual(frames[0]["line"], m["hook_raise"])
        s.cont()
        rc, out, _ = s.finish()
        self.assertIn("handled", out)

    # -- stepping ----------------------------------------------------------------
    def test_stepping(self):
        s, path, m = self.launch("control.py", bps=["call"])
        s.start()
        self.expect_stop(s, "breakpoint", m["call"], "caller")
        s.step("stepIn", 1)
        self.expect_stop(s, "step", m["callee_first"], "callee")
        s.step("next", 1)
        self.expect_stop(s, "step", m["callee_return"], "callee")
        s.step("next", 1)  # over the return: the caller, on the call's line
        self.expect_stop(s, "step", m["call"], "caller")
        s.step("next", 1)
        self.expect_stop(s, "step", m["after_call"], "caller")
        s.step("stepOut", 1)  # the module, on the line of the call
        self.expect_stop(s, "step", m["after_caller"] - 1, "<module>")
        s.step("next", 1)
        self.expect_stop(s, "step", m["after_caller"], "<module>")
        s.cont()
        self.assertEqual(s.finish()[0], 0)

    def test_step_in_resumes_generator(self):
        # stepIn on a line that resumes a suspended generator (next(g), a
        # `for` over it) stops at the generator's next line; with and
        # without a breakpoint in the generator's code
        for gen_bp in (False, True):
            bps = ["y1", "second_next", "body"] if gen_bp else ["second_next", "body"]
            s, path, m = self.launch("stepgen.py", bps=bps)
            s.start()
            if gen_bp:
                self.expect_stop(s, "breakpoint", m["y1"], "gen")
                s.cont()
            self.expect_stop(s, "breakpoint", m["second_next"], "<module>")
            s.step("stepIn", 1)
            self.expect_stop(s, "step", m["y2"], "gen")
            self.assertEqual([f["name"] for f in s.stack(1)["stackFrames"]],
                             ["gen", "<module>"])
            s.cont()
            self.expect_stop(s, "breakpoint", m["body"], "<module>")
            s.step("stepIn", 1)  # nothing to step into: the `for` line
            self.expect_stop(s, "step", m["for"], "<module>")
            s.step("stepIn", 1)  # the `for` resumes the generator
            self.expect_stop(s, "step", m["y4"], "gen")
            s.cont()
            self.expect_stop(s, "breakpoint", m["body"], "<module>")
            s.cont()
            rc, out, _ = s.finish()
            self.assertEqual(rc, 0)
            self.assertIn("gen 1 2 7", out)
            self.assertEqual([e for e in s.events if e["event"] == "stopped"], [])

    def test_breakpoint_in_function_first_stepped_into(self):
        # stepIn into code never run before: its breakpoint lines still fire
        s, path, m = self.launch("control.py", bps=["call", "callee_return"])
        s.start()
        self.expect_stop(s, "breakpoint", m["call"], "caller", [1])
        s.step("stepIn", 1)
        self.expect_stop(s, "step", m["callee_first"], "callee")
        s.cont()
        self.expect_stop(s, "breakpoint", m["callee_return"], "callee", [2])
        s.cont()
        self.assertEqual(s.finish()[0], 0)
        self.assertEqual([e for e in s.events if e["event"] == "stopped"], [])

    def test_step_onto_conditional_breakpoint_line(self):
        # stopOnEntry, then `next` onto a line with a breakpoint: a false
        # condition gives the step's stop, a true one the breakpoint's;
        # either way one stop, and continue runs on
        for cond, reason, ids in (("False", "step", None), ("True", "breakpoint", [1])):
            s, path, m = self.launch("stepgen.py", stop_on_entry=True)
            s.set_breakpoints(path, [{"id": 1, "line": m["first_next"] - 1,
                                      "condition": cond}])
            s.start()
            self.expect_stop(s, "entry", 1, "<module>")
            s.step("next", 1)
            self.expect_stop(s, reason, m["first_next"] - 1, "<module>", ids)
            s.cont()
            self.assertEqual(s.finish()[0], 0)
            self.assertEqual([e for e in s.events if e["event"] == "stopped"], [])

    def test_step_over_call_and_off_the_end(self):
        s, path, m = self.launch("control.py", bps=["call", "end"])
        s.start()
        self.expect_stop(s, "breakpoint", m["call"])
        s.step("next", 1)  # over the call: callee's breakpoint-free lines
        self.expect_stop(s, "step", m["after_call"], "caller")
        s.cont()
        self.expect_stop(s, "breakpoint", m["end"])
        for _ in range(2):
            s.step("next", 1)
            st = s.stopped()
            self.assertEqual(st["reason"], "step")
        s.step("next", 1)  # past the last line: the program ends
        self.assertEqual(s.finish()[0], 0)

    def test_recursion_deep(self):
        if self.backend == "evalframe" and sys.version_info >= (3, 12):
            self.skipTest("evalframe on 3.12+: with a PEP 523 hook every Python "
                          "call counts against the C recursion limit: "
                          "RecursionError at ~750 frames on 3.12.1, ~4,950 on "
                          "3.13.0 (this test recurses 5,000 deep)")
        s, path, m = self.launch("control.py", env={"REC_DEPTH": "5000"},
                                 bps=["rec_bottom"])
        s.start()
        self.expect_stop(s, "breakpoint", m["rec_bottom"], "rec")
        st = s.stack(1, levels=20)
        self.assertEqual(st["totalFrames"], 5001 + 1)
        self.assertEqual(len(st["stackFrames"]), 20)
        # stepping out (and `next` over a return) lands in the caller, on
        # the line of the call: one frame up each time
        s.step("stepOut", 1)
        self.expect_stop(s, "step", m["rec_bottom"] + 1, "rec")
        self.assertEqual(s.stack(1, levels=1)["totalFrames"], 5000 + 1)
        s.step("next", 1)
        self.expect_stop(s, "step", m["rec_bottom"] + 1, "rec")
        self.assertEqual(s.stack(1, levels=1)["totalFrames"], 4999 + 1)
        s.cont()
        self.assertEqual(s.finish()[0], 0)

    # -- statistics -------------------------------------------------------------
    def test_statistics(self):
        keys = {"backend", "reason", "integrations_enabled", "breakpoints_optimized",
                "trace_calls_saved", "errors_handled", "trace_function_calls",
                "frame_eval_calls", "monitoring_callbacks", "functions_instrumented",
                "files_instrumented", "lines_compiled", "heap_scans", "exec_events",
                "files_resolved", "codes_registered"}
        grouped = {"integration_stats", "performance_data", "efficiency", "cache",
                   "disk_cache"}
        path = target("control.py")
        m = markers(path)
        s = self.session([path])
        before = s.request("statistics")["body"]
        self.assertIsNone(before["backend"])
        s.configure(self.backend)
        s.set_breakpoints(path, [{"id": 1, "line": m["end"]},
                                 {"id": 2, "line": m["callee_first"], "condition": "1/0"}])
        st0 = s.request("statistics")["body"]
        self.assertEqual(set(st0), keys | grouped)
        self.assertEqual(set(st0["disk_cache"]),
                         {"enabled", "hits", "misses", "writes", "errors", "pruned"})
        self.assertEqual((st0["backend"], st0["reason"]), (self.backend, "requested"))
        self.assertEqual(st0["errors_handled"], 0)
        s.start()
        self.expect_stop(s, "breakpoint", m["callee_first"], ids=[2])  # error → true
        s.cont()
        self.expect_stop(s, "breakpoint", m["end"], ids=[1])
        st = s.request("statistics")["body"]
        self.assertEqual(st["backend"], self.backend)
        self.assertGreaterEqual(st["errors_handled"], 1)
        self.assertGreaterEqual(st["integrations_enabled"], 1)
        for k in keys - {"backend", "reason"}:
            self.assertGreaterEqual(st[k], st0[k], k)  # counters only grow
        hook311 = self.backend == "evalframe" and sys.version_info < (3, 12)
        if self.backend == "tracing":
            # every line of every frame: the loops, the 10-deep recursion
            self.assertGreater(st["trace_function_calls"], 50)
            self.assertEqual(st["frame_eval_calls"], 0)
            self.assertEqual(st["monitoring_callbacks"], 0)
            self.assertEqual(st["breakpoints_optimized"], 0)
            # selective_tracing (on by default): frames without line events
            self.assertGreater(st["trace_calls_saved"], 0)
            self.assertEqual(st["trace_calls_saved"],
                             st["performance_data"]["frames_without_line_events"])
        elif self.backend in ("monitoring", "evalframe") and not hook311:
            self.assertEqual(st["trace_function_calls"], 0)
            self.assertGreater(st["monitoring_callbacks"], 0)
            self.assertEqual(st["breakpoints_optimized"], 2)  # both lines armed
            self.assertGreater(st["trace_calls_saved"], 0)
            if self.backend == "monitoring":
                self.assertEqual(st["frame_eval_calls"], 0)
            else:  # rec() alone is 11 calls
                self.assertGreater(st["frame_eval_calls"], 15)
        elif hook311:
            # traced: callee's and the module's frames only
            self.assertGreater(st["frame_eval_calls"], 15)
            self.assertGreater(st["trace_function_calls"], 0)
            self.assertGreater(st["trace_calls_saved"], 10)  # rec(), work(), ...
            self.assertEqual(st["monitoring_callbacks"], 0)
            self.assertEqual(st["breakpoints_optimized"], 2)
        else:  # instrumented: inserted checks (a stop traces while it parks)
            self.assertEqual(st["monitoring_callbacks"], 0)
            self.assertGreaterEqual(st["breakpoints_optimized"], 1)
        s.cont()
        self.assertEqual(s.finish()[0], 0)

    # -- requests against running/unknown threads --------------------------------
    def test_requests_without_stop(self):
        s, path, m = self.launch("control.py", bps=["end"])
        self.assertTrue(s.request("continue", {"threadId": 1})["body"]["allThreadsContinued"])
        resp = s.request("stackTrace", {"threadId": 1}, ok=False)
        self.assertIn("not stopped", resp["message"])
        resp = s.request("stackTrace", {"threadId": 99}, ok=False)
        self.assertIn("unknown thread", resp["message"])
        s.start()
        self.expect_stop(s, "breakpoint", m["end"])
        s.sock.close()  # the adapter goes away while stopped: program runs on
        self.assertEqual(s.finish()[0], 0)

    # -- threads -----------------------------------------------------------------
    def test_threads_same_breakpoint(self):
        s, path, m = self.launch("threads.py", bps=["worker", "joined"])
        s.start()
        seen = set()
        for _ in range(3):
            st = self.expect_stop(s, "breakpoint", m["worker"], "worker", [1])
            seen.add(st["threadId"])
            threads = s.request("threads")["body"]["threads"]
            self.assertEqual(threads[0], {"id": 1, "name": "MainThread"})
            mine = [t["name"] for t in threads if t["id"] == st["threadId"]]
            self.assertEqual(len(mine), 1, threads)
            self.assertTrue(mine[0].startswith("worker-"), threads)
            s.cont()
        self.assertEqual(len(seen), 3)
        self.assertNotIn(1, seen)
        self.expect_stop(s, "breakpoint", m["joined"], thread=1)
        started = [e for e in s.events if e["event"] == "thread"
                   and e["body"]["reason"] == "started"]
        exited = [e for e in s.events if e["event"] == "thread"
                  and e["body"]["reason"] == "exited"]
        self.assertEqual(len(started), 3)
        self.assertEqual(len(exited), 3)
        s.cont()
        self.assertEqual(s.finish()[0], 0)

    def test_two_threads_stepping_in_the_same_code(self):
        # ending one thread's step leaves the other's step in that code armed
        s, path, m = self.launch("twostep.py", bps=["sleep"])
        s.start()
        first = self.expect_stop(s, "breakpoint", m["sleep"], "worker")["threadId"]
        s.step("next", first)
        second = self.expect_stop(s, "breakpoint", m["sleep"], "worker")["threadId"]
        self.assertNotEqual(first, second)
        s.step("next", second)
        # whichever runs the sleep line first sleeps 0.2 s, the other 1 s
        early = self.expect_stop(s, "step", m["after"], "worker")["threadId"]
        s.cont(early)  # the other one still sleeps, its step in progress
        late = self.expect_stop(s, "step", m["after"], "worker")["threadId"]
        self.assertEqual({early, late}, {first, second})
        s.cont(late)
        rc, out, _ = s.finish()
        self.assertEqual(rc, 0)
        self.assertIn("joined", out)
        self.assertEqual([e for e in s.events if e["event"] == "stopped"], [])

    # -- a running program: breakpoints set while it runs, pause ------------------
    def _busy(self, mode):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        flag = os.path.join(d, "flag")
        path = target("busy.py")
        s = self.session([path, flag, mode])
        s.configure(self.backend)
        s.start()
        line = s.proc.stdout.readline()
        self.assertEqual(line.strip(), b"ready")
        return s, path, markers(path), flag

    def test_breakpoint_in_running_loop_and_suspended_generator(self):
        s, path, m, flag = self._busy("loop")
        time.sleep(0.1)
        s.set_breakpoints(path, [(1, m["spin"]), (2, m["gen_resumed"])])
        self.expect_stop(s, "breakpoint", m["spin"], "<module>", [1])
        s.set_breakpoints(path, [(2, m["gen_resumed"])])
        open(flag, "w").close()
        s.cont()
        self.expect_stop(s, "breakpoint", m["gen_resumed"], "gen", [2])
        s.cont()
        self.assertEqual(s.finish()[0], 0)

    def test_pause_busy_and_sleeping(self):
        for mode in ("loop", "sleep", "spin"):
            s, path, m, flag = self._busy(mode)
            for _ in range(2):  # the 2nd stop has no module events to send first
                time.sleep(0.1)
                # the response comes before the stop and its events
                # (docs/wire-protocol.md)
                seq = s.send("pause", {"threadId": 1})
                order = []
                while "stopped" not in order:
                    msg = s.reader.read()
                    if msg.get("type") == "response" and msg["request_seq"] == seq:
                        self.assertTrue(msg["success"], msg)
                        order.append("response")
                    else:
                        s.events.append(msg)
                        order.append(msg.get("event"))
                self.assertEqual(order[0], "response", (mode, order[:5]))
                self.expect_stop(s, "pause", None, None, thread=1)
                s.cont()
            open(flag, "w").close()
            self.assertEqual(s.finish()[0], 0)


def make_suites():
    classes = []
    for backend in backends():
        cls = type("Test_%s" % backend, (EngineTests, unittest.TestCase),
                   {"backend": backend})
        classes.append(cls)
        globals()[cls.__name__] = cls
    return classes


class BackendChoice(unittest.TestCase):
    def test_fallback_and_errors(self):
        s = Session(BUILD_DIR, [target("basic.py")])
        self.addCleanup(s.close)
        body = s.request("configure", {"frameEval": {"backend": "bogus"}})["body"]
        self.assertEqual(body["backend"], "tracing")
        self.assertIn("not available", body["reason"])
        out = s.event("output")["output"]
        self.assertTrue(out.startswith("dapper: breakpoints use traditional tracing ("), out)
        resp = s.request("configure", {"frameEval": {"backend": "bogus",
                                                     "fallback_on_error": False}},
                         ok=False)
        self.assertIn("not available", resp["message"])
        # instrumented code is for 3.11; the eval-frame hook is everywhere
        body = s.request("configure", {"frameEval": {"backend": "instrumented"}})["body"]
        if sys.version_info >= (3, 12):
            self.assertEqual(body["backend"], "tracing")
            self.assertIn("3.11", body["reason"])
        else:
            self.assertEqual(body["backend"], "instrumented")
        body = s.request("configure", {"frameEval": {"backend": "evalframe"}})["body"]
        self.assertEqual(body["backend"], "evalframe")
        body = s.request("configure", {"frameEval": {"enabled": False}})["body"]
        self.assertEqual(body["backend"], "tracing")
        body = s.request("configure", {"frameEval": {"backend": "auto"}})["body"]
        want = "monitoring" if sys.version_info >= (3, 12) else "instrumented"
        self.assertEqual(body["backend"], want)
        if sys.version_info < (3, 12):
            body = s.request("configure", {"frameEval": {"backend": "monitoring"}})["body"]
            self.assertEqual(body["backend"], "tracing")
        s.start()
        self.assertEqual(s.finish()[0], 3)


if __name__ == "__main__":
    BUILD_DIR = os.path.abspath(sys.argv.pop(1))
    make_suites()
    unittest.main(verbosity=1)
