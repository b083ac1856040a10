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


# ---- one class per backend --------------------------------------------------
for _backend in ("auto", "tracing", "monitoring", "instrumented", "evalframe"):
    _cls = type("Discovery_%s" % _backend, (DiscoveryTests, BreakpointCase),
                {"backend": _backend})
    globals()[_cls.__name__] = _cls
del _backend, _cls

if __name__ == "__main__":
    unittest.main()
