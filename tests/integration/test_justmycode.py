"""justMyCode through the adapter: with it (the default) a step never
stops in library code (the standard library, site-packages/dist-packages,
the runtime) but does stop in user code the library calls back (a `sorted`
key, a `json` object hook, a function wrapped by `contextlib`'s decorator);
stepping off a user function into a library frame goes on to the next line
of user code; library frames are "subtle" in stackTrace and a breakpoint in
library code still stops. `justMyCode: false` steps into everything.
`rules` (by path glob or module name) move files between user and library
code, for stepping, subtle frames and `userUnhandled` alike.

Every test runs with every backend the runtime really uses on the
interpreter (the classes at the end, as in test_breakpoints.py).
Programs: programs/bp/jmc.py, jmc_exc.py, jmc_helper.py.
"""

import os
import subprocess

from bp_common import BreakpointCase, BreakpointSession
from harness import CONFIG

USER = ("by_len", "neg_len", "hook", "managed", "main", "<module>")


class JmcSession(BreakpointSession):
    jmc = None  # the launch's justMyCode (None: not given, the default)
    rules = None  # the launch's rules

    def launch_config(self, prog, args=(), stop_on_entry=False, **kw):
        launch = super().launch_config(prog, args, stop_on_entry, **kw)
        if self.jmc is not None:
            launch["justMyCode"] = self.jmc
        if self.rules is not None:
            launch["rules"] = self.rules
        return launch

    def rules_case(self, jmc, rules, check):
        """Runs jmc.py to helper_line with that justMyCode and rules, then
        check(debuggee); the program ends normally."""
        self.jmc, self.rules = jmc, rules
        d = self.debug("jmc.py", bps={"jmc.py": ["helper_line"]})
        d.stopped("breakpoint", "helper_line", "main", 1)
        check(d)
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertNotIn("not supported", out.get("console", ""))
        self.assertIn("4\n", out.get("stdout", ""))

    def runtime_frames(self, d):
        """The frames of thread 1 whose file is one of the runtime's."""
        return [(f["name"], f.get("source", {}).get("path"))
                for f in d.stack(1)["stackFrames"]
                if is_runtime_file(f.get("source", {}).get("path"))]

    def test_runtime_code_is_never_shown_or_entered(self):
        # os.posix_spawn is the runtime's child-process wrapper, which calls
        # Target.__fspath__: its frames are between the user's.
        d = self.debug("jmc_own.py", bps={"jmc_own.py": ["fspath_line"]})
        d.stopped("breakpoint", "fspath_line", "Target.__fspath__", 1)
        self.assertEqual([n for n, _ in d.frames(1)], ["Target.__fspath__", "main", "<module>"])
        self.assertEqual(self.runtime_frames(d), [])
        # Out of __fspath__: through the wrapper (never stopping in it) to
        # the next user code: __fspath__ again (os.posix_spawn itself calls
        # it), then main.
        d.set_breakpoints(d.path, [])
        for _ in range(3):
            d.step("stepOut")
            _, top = d.stopped("step", None, None, 1)
            self.assertEqual(self.runtime_frames(d), [])
            if top["name"] == "main":
                break
            self.assertEqual(top["name"], "Target.__fspath__", top)
        self.assertEqual(top["name"], "main", top)
        self.assertIn(top["line"], (d.m["spawn_line"], d.m["wait_line"]), top)
        d.cont()
        self.finish_spawned(d)

    def test_step_in_skips_the_runtime(self):
        d = self.debug("jmc_own.py", bps={"jmc_own.py": ["spawn_line"]})
        d.stopped("breakpoint", "spawn_line", "main", 1)
        d.step("stepIn")
        # Into the callback the runtime's wrapper makes, never a line of
        # the runtime.
        _, top = d.stopped("step", "fspath_line", "Target.__fspath__", 1)
        self.assertEqual(self.runtime_frames(d), [])
        d.cont()
        self.finish_spawned(d)

    def finish_spawned(self, d):
        code, out = d.finish()
        self.assertEqual(code, 0, out)
        self.assertIn("spawned\n", out.get("stdout", ""))


def is_runtime_file(path):
    """A file of the runtime (its directory, its dapper package, its boot
    scripts)."""
    if not path:
        return False
    rt = os.path.realpath(runtime_dir())
    return os.path.realpath(path).startswith(rt + os.sep)


_runtime_dir = []


def runtime_dir():
    if not _runtime_dir:
        _runtime_dir.append(subprocess.check_output(
            [CONFIG.adapter, "--print-runtime-dir"], text=True).strip())
    return _runtime_dir[0]


class JustMyCodeTests(JmcSession):

    def walk(self, d, kind, line, name):
        d.step(kind)
        return d.stopped("step", line, name, 1)[1]

    def value(self, d, expr):
        top = d.stack(1, levels=1)["stackFrames"][0]
        return d.request("evaluate", {"expression": expr, "frameId": top["id"],
                                      "context": "watch"})["body"]["result"]

    def finish_ok(self, d):
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertIn("'seen': True", out.get("stdout", ""))
        return out

    def test_step_in_lands_in_callbacks_not_library(self):
        d = self.debug("jmc.py", bps={"jmc.py": ["sorted_line"]})
        d.stopped("breakpoint", "sorted_line", "main", 1)
        # textwrap.wrap runs first (library: not stopped in), then sorted
        # calls the key function.
        self.walk(d, "stepIn", "key_body", "by_len")
        self.assertEqual(self.value(d, "word"), "'alpha'")
        self.walk(d, "stepOut", "sorted_line", "main")
        self.walk(d, "next", "json_line", "main")
        # json.loads -> decoder (Python) -> the C scanner -> the hook
        self.walk(d, "stepIn", "hook_body", "hook")
        # out of the hook: through json's frames back to the call line
        self.walk(d, "stepOut", "json_line", "main")
        self.walk(d, "next", "join_line", "main")
        # os.path.join is library code through and through
        self.walk(d, "stepIn", "heapq_line", "main")
        self.assertEqual(self.value(d, "path"), repr(os.path.join("a", "b")))
        # heapq.nsmallest (Python) -> min (C) -> neg_len, three times:
        # off the end of neg_len, the step goes through heapq to the next
        # call of neg_len, then back to main.
        self.walk(d, "stepIn", "neg_body", "neg_len")
        self.assertEqual(self.value(d, "word"), "'beta'")
        self.walk(d, "next", "neg_body", "neg_len")
        self.assertEqual(self.value(d, "word"), "'alpha'")
        self.walk(d, "stepOut", "neg_body", "neg_len")
        self.assertEqual(self.value(d, "word"), "'gamma'")
        self.walk(d, "next", "heapq_line", "main")
        self.walk(d, "next", "with_line", "main")
        # a generator wrapped by contextlib.contextmanager: entered
        # through contextlib's __enter__
        self.walk(d, "stepIn", "cm_body", "managed")
        self.walk(d, "next", d.m["cm_body"] + 1, "managed")
        # off the generator's yield: through contextlib's __enter__ back
        # to main, on the line of the call (the `with`)
        self.walk(d, "next", "with_line", "main")
        self.walk(d, "next", "with_body", "main")
        self.finish_ok(d)

    def test_library_frames_are_subtle(self):
        d = self.debug("jmc.py", bps={"jmc.py": ["hook_body"]})
        d.stopped("breakpoint", "hook_body", "hook", 1)
        frames = d.stack(1)["stackFrames"]
        names = [f["name"] for f in frames]
        self.assertEqual(names[0], "hook", names)
        self.assertIn("main", names)
        library = [f for f in frames if f["name"] not in USER]
        self.assertTrue(library, names)  # json's own frames are shown
        for f in frames:
            want = "subtle" if f["name"] not in USER else None
            self.assertEqual(f.get("presentationHint"), want, f)
        self.finish_ok(d)

    def test_user_unhandled_uses_the_same_definition(self):
        # inspect.getmembers (library) catches the AttributeError of a
        # user property: reported; jmc_helper.guarded (user code) catching
        # the callback's KeyError is not, unless a rule makes it library.
        for rules, stops in ((None, ["Thing.broken"]),
                             ([{"path": "*/jmc_helper.py", "include": False}],
                              ["Thing.broken", "callback"])):
            self.rules = rules
            d = self.debug("jmc_exc.py", exc={"filters": ["userUnhandled"]})
            for name in stops:
                line = "cb_raise" if name == "callback" else "prop_raise"
                ev, _ = d.stopped("exception", line, name, 1)
                self.assertIn("Error", ev.get("description", ""), ev)
                d.cont()
            code, out = d.finish()
            self.assertEqual(code, 0)
            self.assertEqual(out.get("stdout"), "False caught\n")
            self.assertEqual(len(d.stops()), len(stops), d.stops())

    def test_step_in_target_chosen_in_library_stops_there(self):
        # stepInTargets: the user picks the library call explicitly
        d = self.debug("jmc.py", bps={"jmc.py": ["sorted_line"]})
        d.stopped("breakpoint", "sorted_line", "main", 1)
        top = d.stack(1, levels=1)["stackFrames"][0]
        targets = d.request("stepInTargets", {"frameId": top["id"]}
                            )["body"]["targets"]
        (wrap,) = [t for t in targets if t["label"] == "textwrap.wrap"]
        d.request("stepIn", {"threadId": 1, "targetId": wrap["id"]})
        _, top = d.stopped("step", None, "wrap", 1)
        self.assertEqual(top.get("presentationHint"), "subtle", top)
        self.finish_ok(d)

    def test_breakpoint_in_library_code_stops(self):
        path, line = library_line("textwrap", "wrap")
        d = self.debug("jmc.py", bps={path: [line]})
        _, top = d.stopped("breakpoint", line, "wrap", 1)
        self.assertEqual(top.get("presentationHint"), "subtle", top)
        # a step from there stays in user code's terms: next line of wrap
        self.walk(d, "next", line + 1, "wrap")
        self.finish_ok(d)


class NotJustMyCodeTests(JmcSession):
    jmc = False

    def test_just_my_code_false_steps_into_library(self):
        d = self.debug("jmc.py", bps={"jmc.py": ["sorted_line", "join_line"]})
        d.stopped("breakpoint", "sorted_line", "main", 1)
        d.step("stepIn")
        d.stopped("step", None, "wrap", 1)
        d.cont()
        d.stopped("breakpoint", "join_line", "main", 1)
        d.step("stepIn")
        _, top = d.stopped("step", None, "join", 1)
        src = top["source"]  # <frozen posixpath> on 3.11
        self.assertIn("posixpath", src.get("path", src.get("name")), top)
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        # taken, not named as unknown
        self.assertNotIn("justMyCode", out.get("console", ""))

    def test_rules_exclude_a_user_module(self):
        # by path glob, even with justMyCode false: stepIn goes through
        # jmc_helper.apply to the callback; stepOut of it, through apply
        # back to main; apply's frame is subtle.
        def check(d):
            d.step("stepIn")
            d.stopped("step", "key_body", "by_len", 1)
            frames = d.stack(1)["stackFrames"]
            self.assertEqual([f["name"] for f in frames[:3]],
                             ["by_len", "apply", "main"])
            self.assertEqual(frames[1].get("presentationHint"), "subtle")
            self.assertIsNone(frames[0].get("presentationHint"))
            d.step("stepOut")
            d.stopped("step", "helper_line", "main", 1)
        self.rules_case(False, [{"path": "**/jmc_helper.py",
                                 "include": False}], check)

    def test_rules_include_a_library_module(self):
        # textwrap counts as user code: stepIn on sorted_line enters it;
        # a module rule on jmc_helper (by its name) excludes it.
        def check(d):
            d.step("stepIn")
            d.stopped("step", "key_body", "by_len", 1)
        self.rules_case(True, [{"module": "jmc_helper", "include": False},
                               {"module": "textwrap", "include": True}],
                        check)
        self.jmc, self.rules = True, [{"module": "textwrap", "include": True}]
        d = self.debug("jmc.py", bps={"jmc.py": ["sorted_line"]})
        d.stopped("breakpoint", "sorted_line", "main", 1)
        d.step("stepIn")
        _, top = d.stopped("step", None, "wrap", 1)
        self.assertIsNone(top.get("presentationHint"), top)
        d.cont()
        code, _ = d.finish()
        self.assertEqual(code, 0)

    def test_rules_must_be_well_formed(self):
        for rules, text in (
                ({"path": "x"}, '"rules" must be an array'),
                ([{"path": "x", "module": "y", "include": True}],
                 '"rules"[0] needs exactly one of "path" and "module"'),
                ([{"module": "m", "include": True}, {"path": "p"}],
                 '"rules"[1] "include" must be true or false'),
                ([{"path": 3, "include": False}],
                 '"rules"[0] "path" must be a non-empty string')):
            c = self.client()
            self.initialize(c)
            launch = self.launch_config(os.path.join(os.path.dirname(
                __file__), "programs", "hello.py"))
            launch["rules"] = rules
            resp = c.request("launch", launch)
            self.assertFalse(resp["success"], resp)
            self.assertIn(text, resp["message"])
            self.disconnect(c)

    def test_just_my_code_must_be_boolean(self):
        c = self.client()
        self.initialize(c)
        launch = self.launch_config(os.path.join(os.path.dirname(
            __file__), "programs", "hello.py"))
        launch["justMyCode"] = "yes"
        resp = c.request("launch", launch)
        self.assertFalse(resp["success"], resp)
        self.assertIn('"justMyCode" must be true or false', resp["message"])
        self.disconnect(c)


_lines = {}


def library_line(module, func):
    """(file, first body line) of a standard library function, as the
    interpreter under test has it."""
    key = (module, func)
    if key not in _lines:
        out = subprocess.check_output([CONFIG.python, "-c", (
            "import %s as m, inspect; c = m.%s.__code__; "
            "print(inspect.getsourcefile(m)); "
            "print(min(l for _, _, l in c.co_lines() "
            "if l and l > c.co_firstlineno))") % (module, func)], text=True)
        path, line = out.split()
        _lines[key] = (path, int(line))
    return _lines[key]


for _backend in ("auto", "tracing", "monitoring", "instrumented", "evalframe"):
    for _mixin in (JustMyCodeTests, NotJustMyCodeTests):
        _cls = type("%s_%s" % (_mixin.__name__[:-5], _backend),
                    (_mixin, BreakpointCase), {"backend": _backend})
        globals()[_cls.__name__] = _cls
del _backend, _mixin, _cls
