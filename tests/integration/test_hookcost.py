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


DISK_LIB = """\
class Box:
    def __init__(self, k):
        self.k = k

    def scaled(self, x):
        y = x * self.k  # BREAK: in_method
        return y


def total(xs):
    acc = sum(xs)  # BREAK: in_func
    return acc
"""
DISK_MAIN = """\
import disk_lib
print(disk_lib.Box(3).scaled(5), disk_lib.total([1, 2, 4]))
"""
DISK_OUT = "15 7\n"


class DiskCacheCase(PerStepCase):
    """The instrumentation cache on disk (docs/runtime.md): a second
    session with the same breakpoints compiles nothing and stops the same.
    Skipped where the runtime does not use `instrumented` (3.12+)."""

    backend = "instrumented"
    frame_eval = {}

    def setUp(self):
        super().setUp()
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.cache = os.path.join(tmp.name, "cache")
        src = os.path.join(tmp.name, "src")
        os.mkdir(src)
        self.lib = os.path.join(src, "disk_lib.py")
        self.prog = os.path.join(src, "disk_main.py")
        with open(self.lib, "w") as f:
            f.write(DISK_LIB)
        with open(self.prog, "w") as f:
            f.write(DISK_MAIN)
        self.lm = markers(self.lib)

    def launch_config(self, prog, args=(), stop_on_entry=False, **kw):
        launch = super().launch_config(prog, args, stop_on_entry, **kw)
        launch["env"]["DAPPER_CACHE_DIR"] = self.cache
        launch["env"]["PYTHONDONTWRITEBYTECODE"] = "1"
        launch["frameEval"] = dict(launch["frameEval"], **self.frame_eval)
        return launch

    def entries(self):
        out = []
        for root, _dirs, files in os.walk(self.cache):
            out += [os.path.join(root, f) for f in files]
        return sorted(out)

    def session(self):
        """Runs disk_main.py to both breakpoints; returns the statistics
        at the first stop and the console output."""
        d = self.debug("disk_main.py", prog=self.prog,
                       bps={self.lib: ["in_method", "in_func"]})
        _ev, top = d.stopped("breakpoint", self.lm["in_method"], "Box.scaled")
        st = d.request("dapper/statistics")["body"]
        self.assertEqual(self.value(d, top, "x * self.k"), "15")
        d.cont()
        _ev, top = d.stopped("breakpoint", self.lm["in_func"], "total")
        self.assertEqual(self.value(d, top, "xs"), "[1, 2, 4]")
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), DISK_OUT)
        return st, out.get("console", "")

    def value(self, d, top, expr):
        return d.request("evaluate", {"expression": expr, "frameId": top["id"],
                                      "context": "watch"})["body"]["result"]

    def counts(self, st):
        dc = st["disk_cache"]
        return {k: dc[k] for k in ("hits", "misses", "writes", "errors")}

    def test_second_session_hits_the_cache(self):
        st, _ = self.session()
        self.assertEqual(self.counts(st),
                         {"hits": 0, "misses": 2, "writes": 2, "errors": 0}, st)
        self.assertEqual(st["functions_instrumented"], 2, st)
        self.assertTrue(st["disk_cache"]["enabled"], st)
        files = self.entries()
        self.assertEqual(len(files), 2, files)
        self.assertEqual(os.stat(os.path.dirname(files[0])).st_mode & 0o777, 0o700)
        for f in files:
            self.assertEqual(os.stat(f).st_mode & 0o777, 0o600, f)
        st, _ = self.session()
        self.assertEqual(self.counts(st),
                         {"hits": 2, "misses": 0, "writes": 0, "errors": 0}, st)
        self.assertEqual((st["functions_instrumented"], st["lines_compiled"]),
                         (0, 0), st)
        self.assertEqual(self.entries(), files)

    def test_an_edited_file_misses(self):
        self.session()
        with open(self.lib, "a") as f:
            f.write("# edited\n")
        st, _ = self.session()
        self.assertEqual(self.counts(st),
                         {"hits": 0, "misses": 2, "writes": 2, "errors": 0}, st)
        self.assertEqual(len(self.entries()), 4)
        # same contents, another mtime: not trusted either
        os.utime(self.lib, ns=(10 ** 18, 10 ** 18))
        st, _ = self.session()
        self.assertEqual(self.counts(st)["hits"], 0, st)

    def test_a_corrupt_entry_is_ignored_and_replaced(self):
        self.session()
        files = self.entries()
        with open(files[0], "r+b") as f:  # same header, broken marshal data
            data = f.read()
            f.seek(len(data) // 2)
            f.write(b"\xff" * (len(data) - len(data) // 2))
        with open(files[1], "wb") as f:
            f.write(b"not a cache entry")
        st, _ = self.session()
        self.assertEqual(self.counts(st),
                         {"hits": 0, "misses": 2, "writes": 2, "errors": 2}, st)
        st, _ = self.session()
        self.assertEqual(self.counts(st),
                         {"hits": 2, "misses": 0, "writes": 0, "errors": 0}, st)

    def test_an_unusable_directory_turns_it_off(self):
        os.makedirs(os.path.dirname(self.cache), exist_ok=True)
        with open(self.cache, "w") as f:  # a file where the directory goes
            f.write("x")
        st, console = self.session()
        self.assertIn("dapper: the instrumentation cache on disk is off", console)
        self.assertEqual(self.counts(st),
                         {"hits": 0, "misses": 0, "writes": 0, "errors": 1}, st)
        self.assertEqual(st["functions_instrumented"], 2, st)


    def cond_session(self, conds, stops):
        """Runs disk_main.py with conditions on both breakpoint lines,
        expecting `stops` stops; returns (statistics at the last stop,
        [(function, value)] of the stops)."""
        d = self.debug("disk_main.py", prog=self.prog, bps={self.lib: [
            {"line": "in_method", "condition": conds[0]},
            {"line": "in_func", "condition": conds[1]}]})
        seen = []
        for _ in range(stops):
            _ev, top = d.stopped("breakpoint")
            seen.append((top["name"], self.value(d, top, "x" if top["name"]
                                                 == "Box.scaled" else "xs")))
            st = d.request("dapper/statistics")["body"]
            d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), DISK_OUT)
        return st, seen

    def test_conditions_from_the_cache(self):
        """Inlined conditions (true, false, raising: the Exception class
        that marshal cannot write is put back at load) evaluate the same
        from an entry; another condition is another entry."""
        conds = ["x == 5", "len(xs) > 1 / 0"]
        want = [("Box.scaled", "5"), ("total", "[1, 2, 4]")]  # raised: true
        st, seen = self.cond_session(conds, 2)
        self.assertEqual(seen, want)
        self.assertEqual(self.counts(st)["writes"], 2, st)
        st, seen = self.cond_session(conds, 2)
        self.assertEqual(seen, want)
        self.assertEqual(self.counts(st),
                         {"hits": 2, "misses": 0, "writes": 0, "errors": 0}, st)
        st, seen = self.cond_session(["x == 6", "len(xs) > 1 / 0"], 1)
        self.assertEqual(seen, want[1:])
        self.assertEqual(self.counts(st),
                         {"hits": 1, "misses": 1, "writes": 1, "errors": 0}, st)


class DiskCacheOffCase(DiskCacheCase):
    """frameEval `disk_cache: false`: nothing read or written."""

    frame_eval = {"disk_cache": False}

    def test_second_session_hits_the_cache(self):
        for _ in range(2):
            st, console = self.session()
            self.assertEqual(self.counts(st),
                             {"hits": 0, "misses": 0, "writes": 0, "errors": 0}, st)
            self.assertFalse(st["disk_cache"]["enabled"], st)
            self.assertEqual(st["functions_instrumented"], 2, st)
            self.assertEqual(self.entries(), [])
            self.assertNotIn("instrumentation cache", console)

    test_an_edited_file_misses = None
    test_a_corrupt_entry_is_ignored_and_replaced = None
    test_an_unusable_directory_turns_it_off = None
    test_conditions_from_the_cache = None
