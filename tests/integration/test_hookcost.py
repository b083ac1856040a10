"""The 3.11 eval-frame hook is installed only while something needs it
(counted through the adapter with `dapper/statistics`, not timed):
breakpoints in functions of an imported module that are never called, on
lines the instrumented backend serves and on lines it cannot express (a
`for` header, a continuation line in a comprehension), leave the program's
other calls running without the hook.

Breakpoints in a large module compile only the functions holding them
(`functions_instrumented`, `lines_compiled`), at its import and at a later
breakpoint change; a module-level line compiles the file."""

import os
import shutil
import tempfile
import unittest

from bp_common import BP_PROGRAMS as BP_DIR, bp_program, markers
from test_perstep import PerStepCase

CALLS = 20000
# frames the hook may see between the two stops (the loop makes CALLS
# calls; with the hook left installed it sees every one of them)
MAX_FRAME_EVALS = 100
# frames of the runtime's start-up that breakpoints in 4 files not yet
# imported may add (loading the instrumentation's Python side: ~1,700 here);
# with a heap scan per file: ~8,300
MAX_BOOT_FRAMES = 4000


class HookCostCase(PerStepCase):
    """Skipped where the runtime does not use `instrumented` (3.12+)."""

    backend = "instrumented"

    def test_breakpoints_in_functions_never_called(self):
        lib = bp_program("hook_lib.py")
        d = self.debug("hook_idle.py", args=[str(CALLS)],
                       bps={lib: ["lib_plain", "lib_for", "lib_cont"],
                            bp_program("hook_idle.py"): ["start", "done"]})
        d.stopped("breakpoint", "start", "<module>")
        before = d.request("dapper/statistics")["body"]
        d.cont()
        d.stopped("breakpoint", "done", "<module>")
        after = d.request("dapper/statistics")["body"]
        self.assertLess(after["frame_eval_calls"] - before["frame_eval_calls"],
                        MAX_FRAME_EVALS, (before, after))
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "total %d\n" % CALLS)

    def entry_frames(self, bps):
        """frame_eval_calls at a stopOnEntry stop of hook_idle.py."""
        d = self.debug("hook_idle.py", args=["10"], bps=bps,
                       stop_on_entry=True)
        d.stopped("entry")
        n = d.request("dapper/statistics")["body"]["frame_eval_calls"]
        d.cont()
        self.assertEqual(d.finish()[0], 0)
        return n

    def test_breakpoints_set_before_the_program_starts(self):
        """Breakpoints in files the program has not imported yet, set
        before its first line, cost no scan of the heap per file (a
        Python call per function object, under the hook that waits for
        the main script)."""
        marks = {"hook_lib.py": "lib_plain", "hook_calls.py": "done",
                 "step_exc.py": "step_line", "modevents.py": "first"}
        bare = self.entry_frames({})
        many = self.entry_frames({bp_program(f): [m]
                                  for f, m in marks.items()})
        self.assertLess(many - bare, MAX_BOOT_FRAMES, (bare, many))

    def test_breakpoints_on_traced_lines_still_stop(self):
        """The same breakpoints when the functions are called: the first
        call of a function holding a line the checks cannot serve traces
        it from its entry check on."""
        self.run_calls(BP_DIR)

    def test_same_with_bytecode_cache(self):
        """Imported from its .pyc (written by the first run, read by the
        second), hook_lib.py stops the same: the runtime reads the .pyc as
        the file's plain compile when its header matches the source."""
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("hook_lib.py", "hook_calls.py"):
                shutil.copy(os.path.join(BP_DIR, name), tmp)
            self.run_calls(tmp)
            self.assertTrue(os.listdir(os.path.join(tmp, "__pycache__")))
            self.run_calls(tmp)

    def launch_config(self, prog, args=(), stop_on_entry=False, **kw):
        launch = super().launch_config(prog, args, stop_on_entry, **kw)
        if self.write_bytecode:
            launch["env"]["PYTHONDONTWRITEBYTECODE"] = ""
        return launch

    write_bytecode = False

    def run_calls(self, where):
        lib = os.path.join(where, "hook_lib.py")
        prog = os.path.join(where, "hook_calls.py")
        m = markers(lib)
        self.write_bytecode = where != BP_DIR
        d = self.debug("hook_calls.py", prog=prog,
                       bps={lib: ["lib_plain", "lib_for", "lib_cont"],
                            prog: ["start", "done"]})
        d.stopped("breakpoint", "start", "<module>")
        seen = []
        while True:
            d.cont()
            _ev, top = d.stopped("breakpoint")
            if top["name"] == "<module>":
                break
            seen.append((top["name"], top["line"]))
        self.assertEqual(top["line"], d.m["done"], top)
        # as 3.11 traces these lines: the header before the loop and
        # after its one iteration, the comprehension's line in the
        # function and in the comprehension (start, element, end)
        self.assertEqual(seen, [("looping", m["lib_for"])] * 2 +
                         [("squares", m["lib_cont"])] +
                         [("squares.<locals>.<listcomp>", m["lib_cont"])] * 3 +
                         [("plain", m["lib_plain"])], seen)
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "total 11\n")

def _big_module(n):
    """A generated module of about 6*n lines: n functions, a class with n
    methods, breakpoint markers in a method, a function and module code."""
    out = ['"""Generated by test_hookcost.py."""', "import os", "",
           "VALUE = 1  # BREAK: module_line", ""]
    for i in range(n):
        out += ["def f%d(x):" % i, "    y = x + %d" % i, "    return y * 2", ""]
    out += ["class Holder:", "    def __init__(self):", "        self.k = 5", "",
            "    def target(self, x):",
            "        y = x * self.k  # BREAK: in_method",
            "        return os.path.join(str(y), 'a')", ""]
    for i in range(n):
        out += ["    def m%d(self, x):" % i, "        return x + %d" % i, ""]
    out += ["def lone(x):", "    z = [x] * 2  # BREAK: in_func",
            "    return len(z)", "", "def later(x):",
            "    w = x - 1  # BREAK: in_later", "    return w", ""]
    return "\n".join(out)


BIG_MAIN = """import big_lib
print(big_lib.Holder().target(3))
print(big_lib.lone(4))
print(big_lib.later(10))
print("done")  # BREAK: done
"""
BIG_OUT = "15/a\n2\n9\ndone\n"
BIG_FUNCTIONS = 300


class LazyCompileCase(PerStepCase):
    """Skipped where the runtime does not use `instrumented` (3.12+)."""

    backend = "instrumented"

    def setUp(self):
        super().setUp()
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.lib = os.path.join(tmp.name, "big_lib.py")
        self.prog = os.path.join(tmp.name, "big_main.py")
        with open(self.lib, "w") as f:
            f.write(_big_module(BIG_FUNCTIONS))
        with open(self.prog, "w") as f:
            f.write(BIG_MAIN)
        self.lm = markers(self.lib)

    def stats(self, d):
        return d.request("dapper/statistics")["body"]

    def value(self, d, top, expr):
        return d.request("evaluate", {"expression": expr, "frameId": top["id"],
                                      "context": "watch"})["body"]["result"]

    def test_only_the_functions_with_breakpoints_are_compiled(self):
        d = self.debug("big_main.py", prog=self.prog,
                       bps={self.lib: ["in_method", "in_func"]})
        _ev, top = d.stopped("breakpoint", self.lm["in_method"], "Holder.target")
        st = self.stats(d)
        self.assertEqual(self.value(d, top, "x * self.k"), "15")
        # the method and the function, each from its own 3 lines, run
        # instrumented code (not traced as fallback code)
        self.assertEqual((st["functions_instrumented"],
                          st["files_instrumented"]), (2, 0), st)
        self.assertLessEqual(st["lines_compiled"], 6, st)
        self.assertEqual(st["breakpoints_optimized"], 2, st)
        d.cont()
        _ev, top = d.stopped("breakpoint", self.lm["in_func"], "lone")
        self.assertEqual(self.value(d, top, "x"), "4")
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), BIG_OUT)

    def test_a_later_change_compiles_only_the_new_function(self):
        d = self.debug("big_main.py", prog=self.prog,
                       bps={self.lib: ["in_method", "in_func"],
                            self.prog: ["done"]})
        d.stopped("breakpoint", self.lm["in_method"], "Holder.target")
        before = self.stats(d)
        d.set_breakpoints(self.lib, ["in_method", "in_func", "in_later"])
        after = self.stats(d)
        self.assertEqual(after["functions_instrumented"] -
                         before["functions_instrumented"], 1, (before, after))
        self.assertLess(after["lines_compiled"] - before["lines_compiled"], 6,
                        (before, after))
        self.assertEqual(after["files_instrumented"], 1, after)  # the script
        d.cont()
        d.stopped("breakpoint", self.lm["in_func"], "lone")
        d.cont()
        _ev, top = d.stopped("breakpoint", self.lm["in_later"], "later")
        self.assertEqual(self.value(d, top, "x"), "10")
        d.cont()
        d.stopped("breakpoint", "done", "<module>")
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), BIG_OUT)

    def test_a_module_level_line_compiles_the_file(self):
        d = self.debug("big_main.py", prog=self.prog,
                       bps={self.lib: ["module_line"], self.prog: ["done"]})
        d.stopped("breakpoint", self.lm["module_line"], "<module>")
        st = self.stats(d)
        self.assertEqual((st["functions_instrumented"],
                          st["files_instrumented"]), (0, 2), st)  # and the script
        self.assertGreater(st["lines_compiled"], 6 * BIG_FUNCTIONS, st)
        d.cont()
        d.stopped("breakpoint", "done", "<module>")
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), BIG_OUT)


    def test_scopes_of_functions_compiled_alone(self):
        """Functions compiled from their own lines keep what the file gives
        them: a method with `super()` and a private name, a decorated
        function, a def under a module-level `if`, a line of a class body
        (the class is compiled), a nested closure; each stops where and
        with the values a whole-file compile would."""
        lib = os.path.join(os.path.dirname(self.lib), "scopes_lib.py")
        prog = os.path.join(os.path.dirname(self.lib), "scopes_main.py")
        with open(lib, "w") as f:
            f.write(SCOPES_LIB)
        with open(prog, "w") as f:
            f.write(SCOPES_MAIN)
        lm = markers(lib)
        names = ["s_method", "s_decorated", "s_in_if", "s_class_body",
                 "s_closure"]
        d = self.debug("scopes_main.py", prog=prog, bps={lib: names})
        seen = []
        for i in range(len(names)):
            _ev, top = d.stopped("breakpoint")
            if i == 0:  # at the import: each compiled alone (4 + the class)
                st = self.stats(d)
                self.assertEqual((st["functions_instrumented"],
                                  st["files_instrumented"]), (5, 0), st)
                self.assertEqual(st["breakpoints_optimized"], 5, st)
            seen.append((top["name"], top["line"],
                         self.value(d, top, "probe()")))
            d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "ok 7 12 3 8\n")
        self.assertEqual(seen, [
            ("Config", lm["s_class_body"], "'class'"),
            ("Child.run", lm["s_method"], "7"),
            ("decorated", lm["s_decorated"], "12"),
            ("in_if", lm["s_in_if"], "3"),
            ("outer.<locals>.inner", lm["s_closure"], "8")], seen)


SCOPES_LIB = """import functools


def probe():
    return "outside"


class Config:
    def probe():  # class body scope only
        return "class"
    kind = "x"  # BREAK: s_class_body


class Base:
    def run(self):
        return 5


class Child(Base):
    def __init__(self):
        self.__hidden = 2

    def run(self):
        probe = lambda: super(Child, self).run() + self.__hidden
        return probe() + 0 * super().run()  # BREAK: s_method


def twice(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return fn(x) * 2
    return wrapper


@twice
def decorated(x):
    probe = lambda: x * 2
    return x  # BREAK: s_decorated


if True:
    def in_if(x):
        probe = lambda: x
        return x  # BREAK: s_in_if


def outer(x):
    def inner():
        probe = lambda: x * 2
        return x * 2  # BREAK: s_closure
    return inner
"""
SCOPES_MAIN = """import scopes_lib as m
print("ok", m.Child().run(), m.decorated(6), m.in_if(3), m.outer(4)())
"""


if __name__ == "__main__":
    unittest.main()
