"""Work the runtime does per step and per stop, counted through the adapter
(counts, not times, so the tests do not depend on the machine's load):

- a `next` over a call making 100,000 calls costs (3.11 `instrumented`) a
  bounded number of eval-frame hook calls, and lands where it should
  (breakpoint inside, generator, recursive step frame, pause);
- a `next` over a call making 100,000 calls, while something inside raises
  and catches exceptions and imports a module for the first time, costs a
  bounded number of trace-function / sys.monitoring callbacks
  (`dapper/statistics`), with each backend that traces per frame or per
  code object (3.11: instrumented, evalframe; 3.12+: monitoring,
  evalframe);
- `module` and `loadedSource` events go out for the user's own modules
  only, each once, at the first stop after its import; `modules` and
  `loadedSources` still answer with everything loaded.
"""

import os
import tempfile
import time
import unittest

from bp_common import BreakpointSession, bp_program, probe_backend
from harness import DapTestCase

STEP_CALLS = 100000
# What a `next` over heavy() may cost in callbacks: the step frame's own
# events and, per exception raised in an untraced callee, its exception
# event and one line event. Before the runtime bounded it, 3.11 traced every
# line of heavy() after its first caught KeyError: over 200,000.
MAX_STEP_CALLBACKS = 300
# Calls of the 3.11 eval-frame hook a `next` over work(100,000) may cost
# with `instrumented`: the frames below the step frame's callee run
# without the hook (100,001 before: each call of g()).
MAX_STEP_FRAME_EVALS = 50


class PerStepCase(BreakpointSession, DapTestCase):
    """Runs with `backend`; skipped when the runtime does not use it on the
    interpreter under test."""

    transport = "stdio"
    backend = "auto"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.broken:
            return
        used, line = probe_backend(cls.backend)
        cls.backend_in_use = used
        if cls.backend != "auto" and used != cls.backend:
            raise unittest.SkipTest("backend %s not in use on this Python: %s"
                                    % (cls.backend, line))


class StepCostTests:
    def test_next_over_calls_raising_inside(self):
        path = bp_program("step_exc.py")
        d = self.debug("step_exc.py", args=[str(STEP_CALLS)],
                       bps={path: ["step_line"]})
        d.stopped("breakpoint", "step_line", "main")
        before = d.request("dapper/statistics")["body"]
        d.step("next")
        d.stopped("step", "after", "main")
        after = d.request("dapper/statistics")["body"]
        used = {k: after[k] - before[k]
                for k in ("trace_function_calls", "monitoring_callbacks")}
        self.assertLessEqual(sum(used.values()), MAX_STEP_CALLBACKS,
                             "callbacks during one `next` (%s): %r" % (
                                 self.backend_in_use, used))
        # still a step: `next` again leaves main for the module level
        d.step("next")
        d.stopped("step", None, "main")
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "total %d\n" % STEP_CALLS)


    def _value(self, d, expr, context="watch"):
        top = d.stack(1, levels=1)["stackFrames"][0]
        return d.request("evaluate", {"expression": expr, "frameId": top["id"],
                                      "context": context})["body"]["result"]

    def test_next_over_calls_below_the_step_frame(self):
        """Where `next` lands and what stops it while the step frame's
        callees run (3.11 `instrumented`: without the eval-frame hook):
        the next line, a breakpoint inside, each line of a loop over a
        generator, the same frame of a recursive function, a pause."""
        path = bp_program("step_below.py")
        d = self.debug("step_below.py", bps={path: ["first"]})
        d.stopped("breakpoint", "first", "main")
        before = d.request("dapper/statistics")["body"]
        d.step("next")
        d.stopped("step", "second", "main")
        after = d.request("dapper/statistics")["body"]
        used = {k: after[k] - before[k]
                for k in ("trace_function_calls", "monitoring_callbacks",
                          "frame_eval_calls")}
        self.assertLessEqual(used["trace_function_calls"]
                             + used["monitoring_callbacks"],
                             MAX_STEP_CALLBACKS, used)
        if self.backend_in_use == "instrumented":
            self.assertLessEqual(used["frame_eval_calls"],
                                 MAX_STEP_FRAME_EVALS, used)
        # a breakpoint in a callee of the stepped-over call stops the step
        d.set_breakpoints(path, [{"line": "in_g", "condition": "x == 500"}])
        d.step("next")
        d.stopped("breakpoint", "in_g", "g")
        self.assertEqual(self._value(d, "x"), "500")
        d.set_breakpoints(path, ["third"])
        d.cont()
        d.stopped("breakpoint", "third", "main")
        d.set_breakpoints(path, [])
        # the `for` line resumes the generator (a callee) each time
        for line in ("gen_for", "gen_body") * 3 + ("gen_for", "rec_line"):
            d.step("next")
            d.stopped("step", line, "main")
        # a recursive step frame: the step ends in the same frame
        d.set_breakpoints(path, [{"line": "rec_call", "condition": "n == 2"}])
        d.cont()
        d.stopped("breakpoint", "rec_call", "rec")
        d.set_breakpoints(path, ["spin_line"])
        d.step("next")
        d.stopped("step", "rec_after", "rec")
        self.assertEqual(self._value(d, "n"), "2")
        self.assertEqual(self._value(d, "r"), "1")
        d.cont()
        d.stopped("breakpoint", "spin_line", "main")
        d.set_breakpoints(path, [])
        # a pause while stepping over a call that does not end
        d.step("next")
        time.sleep(0.3)
        self.assertTrue(d.request("pause", {"threadId": 1})["success"])
        d.stopped("pause")
        self.assertIn(d.frames(1)[0][0], ("spin", "g"))
        self._value(d, "FLAG.append(1)", "repl")
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "done 100000 100000 6 4 True\n")


def _events(d, name, key):
    return [e["body"][key] for e in d.c.events(name)]


class ModuleEventTests:
    def test_module_events_user_code_once(self):
        path = bp_program("modevents.py")
        here = os.path.dirname(path)
        a, b = (os.path.join(here, n) for n in ("modevents_a.py",
                                                 "modevents_b.py"))
        d = self.debug("modevents.py", bps={path: ["first", "second",
                                                    "third"]})
        d.stopped("breakpoint", "first", "<module>")
        # argparse, csv, decimal, email, json, logging, statistics and
        # what they import: ~80 modules, none of them the user's
        mods = _events(d, "module", "module")
        self.assertEqual(sorted(m["name"] for m in mods),
                         ["__main__", "modevents_a"], mods)
        for m in mods:
            self.assertEqual(m["id"], m["name"], m)
            self.assertIs(m.get("isUserCode"), True, m)
        self.assertEqual(
            sorted(os.path.realpath(m["path"]) for m in mods),
            sorted(os.path.realpath(p) for p in (path, a)), mods)
        srcs = _events(d, "loadedSource", "source")
        self.assertEqual(sorted(os.path.realpath(s["path"]) for s in srcs),
                         sorted(os.path.realpath(p) for p in (path, a)), srcs)
        for e in d.c.events("module") + d.c.events("loadedSource"):
            self.assertEqual(e["body"]["reason"], "new", e)

        # imported between the stops: modevents_b (user), xml.dom.minidom
        # and sqlite3 (standard library): one module, one source
        d.cont()
        d.stopped("breakpoint", "second", "<module>")
        mods = _events(d, "module", "module")
        self.assertEqual([m["name"] for m in mods[2:]], ["modevents_b"], mods)
        srcs = _events(d, "loadedSource", "source")
        self.assertEqual([os.path.realpath(s["path"]) for s in srcs[2:]],
                         [os.path.realpath(b)], srcs)

        # the requests answer with everything loaded
        body = d.request("modules")["body"]
        names = {m["name"]: m for m in body["modules"]}
        self.assertEqual(body["totalModules"], len(body["modules"]), body)
        for want in ("json", "sqlite3", "xml.dom.minidom", "decimal",
                     "modevents_a", "modevents_b", "__main__"):
            self.assertIn(want, names, sorted(names))
        self.assertGreater(len(names), 40, sorted(names))
        self.assertIs(names["json"].get("isUserCode"), False, names["json"])
        self.assertIs(names["modevents_b"].get("isUserCode"), True,
                      names["modevents_b"])
        paged = d.request("modules", {"startModule": 1, "moduleCount": 5})
        self.assertEqual([m["name"] for m in paged["body"]["modules"]],
                         [m["name"] for m in body["modules"][1:6]], paged)
        sources = {os.path.realpath(s["path"]) for s in d.request(
            "loadedSources")["body"]["sources"] if "path" in s}
        self.assertIn(os.path.realpath(b), sources)
        self.assertTrue([s for s in sources if s.endswith(
            os.path.join("json", "__init__.py"))], sorted(sources))

        # nothing imported since: no event; each module was sent once
        d.cont()
        d.stopped("breakpoint", "third", "<module>")
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "sum 3 82\n")
        mods = _events(d, "module", "module")
        self.assertEqual([m["name"] for m in mods],
                         ["__main__", "modevents_a", "modevents_b"]
                         if mods[0]["name"] == "__main__" else
                         ["modevents_a", "__main__", "modevents_b"], mods)
        self.assertEqual(len(d.c.events("loadedSource")), 3)


# files with a breakpoint each, set before the program starts
SCAN_FILES = 50
# scans of the heap for code objects those breakpoints may cost, at start-up
# and through the imports of the 50 modules (a scan per setBreakpoints
# before: 50 under 3.12+ monitoring)
MAX_HEAP_SCANS = 1
_SCAN_MODULE = '''"""Generated by test_perstep.py: module %d."""


def f(x):
    # a comment: a breakpoint here moves to the next line
    return x + %d
'''
_SCAN_MAIN = '''import sys

sys.path.insert(0, sys.argv[1])
mods = [__import__("m%%d" %% i) for i in range(%d)]
print("imported", len(mods))  # BREAK: done
'''


class StartupScanTests:
    def scan_session(self, where):
        """Breakpoints on a comment line of SCAN_FILES modules not imported
        yet, set before the program starts: the `dapper/statistics` at the
        entry stop, after the imports, and after setting the first 5 files'
        breakpoints again (loaded now); checks the answers and events."""
        prog = os.path.join(where, "main.py")
        self.write_bytecode = True
        paths = [os.path.join(where, "m%d.py" % i) for i in range(SCAN_FILES)]
        d = self.debug("main.py", prog=prog, args=[where], stop_on_entry=True,
                       bps={p: [5] for p in paths})
        answers = [d.bp_responses[p]["breakpoints"] for p in paths]
        d.stopped("entry")
        entry = d.request("dapper/statistics")["body"]
        d.set_breakpoints(prog, ["done"])
        d.cont()
        d.stopped("breakpoint", "done", "<module>")
        done = d.request("dapper/statistics")["body"]
        again = [d.set_breakpoints(p, [5]) for p in paths[:5]]
        loaded = d.request("dapper/statistics")["body"]
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "imported %d\n" % SCAN_FILES)
        # not loaded when set: verified at the requested line (a stat)...
        for a in answers:
            self.assert_verified(a, [5])
        # ... and moved to the next code line by one event each as it loaded
        moved = [e["body"] for e in d.c.events("breakpoint")]
        self.assertEqual(sorted((b["reason"], b["breakpoint"]["verified"],
                                 b["breakpoint"]["line"], b["breakpoint"]["id"])
                                for b in moved),
                         sorted(("changed", True, 6, a[0]["id"]) for a in answers))
        # loaded: the exact answer in the response
        for a in again:
            self.assert_verified(a, [6])
        return entry, done, loaded

    write_bytecode = False

    def launch_config(self, prog, args=(), stop_on_entry=False, **kw):
        launch = super().launch_config(prog, args, stop_on_entry, **kw)
        if self.write_bytecode:
            launch["env"]["PYTHONDONTWRITEBYTECODE"] = ""
        return launch

    def test_breakpoints_before_start_scan_no_heap_per_file(self):
        """50 setBreakpoints before the program starts cost at most one
        scan of the heap for code objects, through the imports too, and
        read no file (answered lazily, `cache.lazy`); the breakpoints move
        to their code line by `breakpoint` events as the modules load. Set
        again once loaded, their lines are read: compiled the first time,
        from the byte code on disk (written by the first run) the second."""
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(SCAN_FILES):
                with open(os.path.join(tmp, "m%d.py" % i), "w") as f:
                    f.write(_SCAN_MODULE % (i, i))
            with open(os.path.join(tmp, "main.py"), "w") as f:
                f.write(_SCAN_MAIN % SCAN_FILES)
            for run in range(2):
                entry, done, loaded = self.scan_session(tmp)
                self.assertLessEqual(entry["heap_scans"], MAX_HEAP_SCANS, entry)
                self.assertLessEqual(done["heap_scans"], MAX_HEAP_SCANS, done)
                # (main.py's breakpoint, set once it runs: read, compiled)
                for st, compiled in ((entry, 0), (done, 1)):
                    self.assertEqual(st["cache"]["lazy"], SCAN_FILES, st)
                    self.assertEqual(st["cache"]["compiles"], compiled, st)
                    self.assertEqual(st["cache"]["pyc_reads"], 0, st)
                self.assertEqual(done["cache"]["lazy_checked"], SCAN_FILES, done)
                self.assertEqual(done["cache"]["lazy_events"], SCAN_FILES, done)
                # the imports wrote the byte code (in the first run too)
                self.assertEqual(loaded["cache"]["pyc_reads"], 5, loaded)
                self.assertEqual(loaded["cache"]["compiles"], 1, loaded)
                self.assertEqual(loaded["cache"]["lazy"], SCAN_FILES, loaded)
                if run == 0:
                    self.assertTrue(os.listdir(os.path.join(tmp, "__pycache__")))


# Files the runtime may resolve (a canonical path computed in Python) while
# the program below imports IMPORT_FILES modules, breakpoints set in two of
# them before it starts: those two, the main script and what the stops and
# (3.11) the eval-frame hook look at, 6-11 here. Before the exec audit hook
# decided in C which files cannot hold breakpoints: one per module run
# (every import), over IMPORT_FILES.
IMPORT_FILES = 50
MAX_FILES_RESOLVED = 20
_IMPORT_MAIN = '''import sys

sys.path.insert(0, sys.argv[1])
mods = [__import__("m%%d" %% i) for i in range(%d)]
import linked  # a symbolic link to target.py
total = mods[3].f(1) + linked.f(1)
print("total", total)  # BREAK: done
'''


class ImportCostTests:
    def test_imports_of_files_without_breakpoints_resolve_no_path(self):
        """Breakpoints in 2 of 50 modules imported after the program
        starts (one through a symbolic link with another name): both
        stop, and the imports of the other modules cost no canonical path
        each (`files_resolved`), where the exec audit hook sees every
        module run (`exec_events`)."""
        if self.backend_in_use not in ("monitoring", "instrumented"):
            self.skipTest("%s finds code without the exec audit hook"
                          % self.backend_in_use)
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(IMPORT_FILES):
                with open(os.path.join(tmp, "m%d.py" % i), "w") as f:
                    f.write(_SCAN_MODULE % (i, i))
            target = os.path.join(tmp, "target.py")
            with open(target, "w") as f:
                f.write(_SCAN_MODULE % (100, 100))
            os.symlink(target, os.path.join(tmp, "linked.py"))
            prog = os.path.join(tmp, "main.py")
            with open(prog, "w") as f:
                f.write(_IMPORT_MAIN % IMPORT_FILES)
            d = self.debug("main.py", prog=prog, args=[tmp],
                           bps={os.path.join(tmp, "m3.py"): [6],
                                target: [6], prog: ["done"]})
            _ev, top = d.stopped("breakpoint", 6, "f")
            self.assertEqual(os.path.basename(top["source"]["path"]),
                             "m3.py", top)
            d.cont()
            _ev, top = d.stopped("breakpoint", 6, "f")
            self.assertEqual(os.path.realpath(top["source"]["path"]),
                             os.path.realpath(target), top)
            d.cont()
            d.stopped("breakpoint", "done", "<module>")
            stats = d.request("dapper/statistics")["body"]
            d.cont()
            code, out = d.finish()
            self.assertEqual(code, 0)
            self.assertEqual(out.get("stdout"), "total 105\n")
            self.assertGreaterEqual(stats["exec_events"], IMPORT_FILES + 2,
                                    stats)
            self.assertLessEqual(stats["files_resolved"],
                                 MAX_FILES_RESOLVED, stats)


class PerStepAuto(StepCostTests, ModuleEventTests, StartupScanTests,
                  ImportCostTests, PerStepCase):
    backend = "auto"


def _backend_class(backend):
    name = "PerStep_%s" % backend
    return type(name, (StepCostTests, StartupScanTests, ImportCostTests,
                       PerStepCase),
                {"backend": backend})


for _backend in ("instrumented", "evalframe", "monitoring"):
    _cls = _backend_class(_backend)
    globals()[_cls.__name__] = _cls
del _backend, _cls
