"""Work the runtime does per step and per stop, counted through the adapter
(counts, not times, so the tests do not depend on the machine's load):

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
import unittest

from bp_common import BreakpointSession, bp_program, probe_backend
from harness import DapTestCase

STEP_CALLS = 100000
# What a `next` over heavy() may cost in callbacks: the step frame's own
# events and, per exception raised in an untraced callee, its exception
# event and one line event. Before the runtime bounded it, 3.11 traced every
# line of heavy() after its first caught KeyError: over 200,000.
MAX_STEP_CALLBACKS = 300


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
        entry stop and after the imports, and the setBreakpoints answers."""
        prog = os.path.join(where, "main.py")
        self.write_bytecode = True
        d = self.debug("main.py", prog=prog, args=[where], stop_on_entry=True,
                       bps={os.path.join(where, "m%d.py" % i): [5]
                            for i in range(SCAN_FILES)})
        answers = [d.bp_responses[os.path.join(where, "m%d.py" % i)]
                   ["breakpoints"] for i in range(SCAN_FILES)]
        d.stopped("entry")
        entry = d.request("dapper/statistics")["body"]
        d.set_breakpoints(prog, ["done"])
        d.cont()
        d.stopped("breakpoint", "done", "<module>")
        done = d.request("dapper/statistics")["body"]
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "imported %d\n" % SCAN_FILES)
        for a in answers:
            self.assert_verified(a, [6])
        return entry, done

    write_bytecode = False

    def launch_config(self, prog, args=(), stop_on_entry=False, **kw):
        launch = super().launch_config(prog, args, stop_on_entry, **kw)
        if self.write_bytecode:
            launch["env"]["PYTHONDONTWRITEBYTECODE"] = ""
        return launch

    def test_breakpoints_before_start_scan_no_heap_per_file(self):
        """50 setBreakpoints before the program starts cost at most one
        scan of the heap for code objects, through the imports too; the
        breakpoints are verified at the line they moved to. Once the
        modules have byte code on disk (written by the first run), their
        lines come from it: no compile."""
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(SCAN_FILES):
                with open(os.path.join(tmp, "m%d.py" % i), "w") as f:
                    f.write(_SCAN_MODULE % (i, i))
            with open(os.path.join(tmp, "main.py"), "w") as f:
                f.write(_SCAN_MAIN % SCAN_FILES)
            entry, done = self.scan_session(tmp)
            self.assertLessEqual(entry["heap_scans"], MAX_HEAP_SCANS, entry)
            self.assertLessEqual(done["heap_scans"], MAX_HEAP_SCANS, done)
            self.assertGreaterEqual(entry["cache"]["compiles"], SCAN_FILES,
                                    entry)
            self.assertTrue(os.listdir(os.path.join(tmp, "__pycache__")))
            entry, done = self.scan_session(tmp)
            self.assertLessEqual(done["heap_scans"], MAX_HEAP_SCANS, done)
            self.assertEqual(entry["cache"]["pyc_reads"], SCAN_FILES, entry)
            self.assertEqual(entry["cache"]["compiles"], 0, entry)


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
