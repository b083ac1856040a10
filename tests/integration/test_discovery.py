"""Where the runtime finds the code that carries breakpoints, through the
adapter, on every backend the interpreter offers: code compiled outside
the import system (`runpy.run_path`, `exec(compile(...))`, pytest's
assertion rewriting) and lines whose code objects CPython compiles
specially (one-line functions, lambdas, comprehensions, breakpoints moved
onto the same line).

Every test runs once per backend (one class per backend at the end of the
file; a backend the runtime does not use on this interpreter is skipped by
BreakpointCase with the reason). Target programs are in programs/bp/.
"""

import os
import subprocess
import unittest

from bp_common import (BP_PROGRAMS, BreakpointCase, BreakpointSession,
                       Debuggee, bp_program, markers)
from harness import CONFIG, TIMEOUT


def _has_pytest():
    try:
        return subprocess.run(
            [CONFIG.python, "-c", "import pytest"], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class DiscoveryTests(BreakpointSession):

    def session(self, bps, **launch):
        """Launches with `launch` (program/module/args/cwd), sets the
        breakpoints {path: [markers]}, sends configurationDone; returns
        (Debuggee, {path: [ids]})."""
        prog = launch.pop("program", None)
        c = self.client()
        self.initialize(c)
        launch_seq = c.send_request("launch", self.launch_config(prog, **launch))
        c.wait_event("initialized", TIMEOUT)
        resp = c.wait_response(launch_seq, TIMEOUT)
        self.assertTrue(resp["success"], "launch failed: %r" % (resp,))
        self.check_backend(c)
        d = Debuggee(self, c, prog)
        ids = {}
        for path, items in bps.items():
            ids[path] = [r["id"] for r in d.set_breakpoints(path, items)]
        d.request("configurationDone")
        return d, ids

    def value(self, d, thread, expr):
        fid = d.stack(thread, levels=1)["stackFrames"][0]["id"]
        return d.request("evaluate", {"expression": expr, "frameId": fid,
                                      "context": "watch"})["body"]["result"]

    def expect(self, d, path, stops):
        """stops: [(marker, frame name, {expr: value} or None)], each
        continued after the check."""
        m = markers(path)
        for marker, name, values in stops:
            ev, top = d.stopped("breakpoint", m[marker], name)
            self.assertEqual(os.path.realpath(top["source"]["path"]),
                             os.path.realpath(path), top)
            for expr, want in (values or {}).items():
                self.assertEqual(self.value(d, ev["threadId"], expr), want,
                                 "%s at %s" % (expr, marker))
            d.cont(ev["threadId"])

    # ==== code compiled outside the import system ============================
    def run_compiled(self, mode, first_ns_name):
        target = bp_program("compiled.py")
        d, _ = self.session({target: ["top", "work", "size"]},
                            program=bp_program("compiled_runner.py"),
                            args=[mode])
        again = "10" if mode == "run_path" else "20"
        self.expect(d, target, [
            ("top", "<module>", {"__name__": repr(first_ns_name)}),
            ("work", "work", {"n": "3"}),
            ("size", "Box.size", {"k": "6"}),
            ("work", "work", {"n": again}),
        ])
        code, out = d.finish()
        self.assertEqual(code, 0, out)
        self.assertEqual(len(d.stops()), 4)
        self.assertIn("compiled 6 7\n", out.get("stdout", ""))
        self.assertIn("runner done\n", out.get("stdout", ""))

    def test_run_path(self):
        self.run_compiled("run_path", "<run_path>")

    def test_exec_compile(self):
        self.run_compiled("exec", "compiled_exec")

    def test_pytest(self):
        if not _has_pytest():
            self.skipTest("pytest is not installed for %s" % CONFIG.python)
        target = bp_program("pytest_sample.py")
        d, _ = self.session(
            {target: ["plain", "param", "method"]}, module="pytest",
            args=["-q", "-p", "no:cacheprovider", "--rootdir", BP_PROGRAMS,
                  target], cwd=BP_PROGRAMS)
        self.expect(d, target, [
            ("plain", "test_plain", None),
            ("param", "test_param", {"n": "1"}),
            ("param", "test_param", {"n": "2"}),
            ("param", "test_param", {"n": "3"}),
            ("method", "TestGroup.test_method", None),
        ])
        code, out = d.finish(timeout=4 * TIMEOUT)
        self.assertEqual(code, 0, out)
        self.assertEqual(len(d.stops()), 5)
        self.assertIn("5 passed", out.get("stdout", ""))

    # ==== code that exists when its breakpoints are set ========================
    def test_breakpoints_set_while_stopped(self):
        live = bp_program("live.py")
        helper = bp_program("helpermod.py")
        d, _ = self.session({live: ["set_here"]}, program=live)
        d.stopped("breakpoint", "set_here", "<module>")
        d.set_breakpoints(helper, ["compute_body"])
        d.set_breakpoints(live, ["gen_after", "inner"])
        d.cont()
        self.expect(d, helper, [("compute_body", "compute", {"x": "3"})])
        self.expect(d, live, [("gen_after", "gen", None),
                              ("inner", "make.<locals>.inner", {"v": "1"})])
        code, out = d.finish()
        self.assertEqual(code, 0, out)
        self.assertEqual(len(d.stops()), 4)
        self.assertEqual(out.get("stdout"), "compute 9\ngen 2\ninner 6\n")

    # ==== lines CPython compiles specially ======================================
    def test_one_line_function_and_lambda(self):
        # 3.13 gives no LINE event for a line that is also the code's
        # RESUME line once RESUME is specialised: every call must stop.
        path = bp_program("specials.py")
        d, ids = self.session({path: ["one_line", "lambda_line"]}, program=path)
        one_id, lambda_id = ids[path]
        m = d.m
        d.stopped("breakpoint", m["one_line"], "<module>", ids=[one_id])
        d.cont()
        d.stopped("breakpoint", m["lambda_line"], "<module>", ids=[lambda_id])
        d.cont()
        for i in range(3):
            ev, _ = d.stopped("breakpoint", m["one_line"], "one", ids=[one_id])
            self.assertEqual(self.value(d, ev["threadId"], "x"), str(i))
            d.cont()
            ev, _ = d.stopped("breakpoint", m["lambda_line"], "<lambda>",
                              ids=[lambda_id])
            self.assertEqual(self.value(d, ev["threadId"], "y"), str(i))
            d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0, out)
        self.assertEqual(len(d.stops()), 8)

    def test_breakpoints_moved_onto_one_line(self):
        path = bp_program("specials.py")
        d, ids = self.session({path: ["comment_a", "comment_b"]}, program=path)
        res = d.bp_responses[path]["breakpoints"]
        # not loaded when set: at the requested lines, then both moved
        # onto the same line by `breakpoint` events as the file loads
        self.assertEqual([r.get("line") for r in res],
                         [d.m["comment_a"], d.m["comment_b"]], res)
        moved = [d.c.wait_event("breakpoint", TIMEOUT)["body"]["breakpoint"]
                 for _ in res]
        self.assertEqual(sorted((b["id"], b["line"]) for b in moved),
                         sorted((r["id"], d.m["moved_target"]) for r in res), moved)
        d.stopped("breakpoint", "moved_target", "moved", ids=ids[path])
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0, out)
        self.assertEqual(len(d.stops()), 1, "one stop for the line")
        self.assertIn("moved 5\n", out.get("stdout", ""))

    def test_list_comprehension_line(self):
        # What the interpreter's own line events give (pdb): 3.11 runs the
        # comprehension in its own frame, which reports the line on entry
        # and again at each of the 3 iterations' jump back; 3.12+ inline it
        # (PEP 709): sys.monitoring reports the line once, settrace once
        # per jump back too.
        path = bp_program("specials.py")
        d, _ = self.session({path: ["comp"]}, program=path)
        names = []
        while True:
            ev = d.c.wait_message(
                lambda m: m.get("event") in ("stopped", "terminated"),
                TIMEOUT, "`stopped` or `terminated`")
            if ev["event"] == "terminated":
                break
            tid = ev["body"]["threadId"]
            top = d.stack(tid, levels=1)["stackFrames"][0]
            self.assertEqual(top["line"], d.m["comp"], top)
            names.append(top["name"])
            d.cont(tid)
        if self.python_minor() == (3, 11):
            want = ["comp"] + ["comp.<locals>.<listcomp>"] * 4
        elif self.backend_in_use == "tracing":
            want = ["comp"] * 4
        else:
            want = ["comp"]
        self.assertEqual(names, want)
        self.check_end_of_session(d.c)
        self.disconnect(d.c)

    def python_minor(self):
        out = subprocess.run(
            [CONFIG.python, "-c", "import sys; print(*sys.version_info[:2])"],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=30)
        return tuple(int(v) for v in out.stdout.split())


# ---- one class per backend --------------------------------------------------
for _backend in ("auto", "tracing", "monitoring", "instrumented", "evalframe"):
    _cls = type("Discovery_%s" % _backend, (DiscoveryTests, BreakpointCase),
                {"backend": _backend})
    globals()[_cls.__name__] = _cls
del _backend, _cls

if __name__ == "__main__":
    unittest.main()
