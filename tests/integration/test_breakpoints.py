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
"""

import glob
import os
import re
import subprocess
import time
import unittest

from harness import (CONFIG, PROGRAMS, TIMEOUT, DapTestCase, error_text)

BP_PROGRAMS = os.path.join(PROGRAMS, "bp")
BACKEND_LINE = re.compile(r"dapper: breakpoints use (.+?) \((.*)\)\n")
# The runtime's description of each backend (rt_backend_*.c).
DESCRIPTIONS = {"sys.monitoring": "monitoring",
                "traditional tracing": "tracing",
                "instrumented code": "instrumented",
                "a PEP 523 eval-frame hook": "evalframe"}
# The debuggee writes no __pycache__ into the source tree.
ENV = {"PYTHONDONTWRITEBYTECODE": "1"}


def bp_program(name):
    return os.path.join(BP_PROGRAMS, name)


_marker_cache = {}


def markers(path):
    """{name: line} from the `# BREAK: name` comments of a file."""
    if path not in _marker_cache:
        out = {}
        with open(path) as f:
            for i, text in enumerate(f, 1):
                if "# BREAK:" in text:
                    out[text.split("# BREAK:")[1].strip()] = i
        _marker_cache[path] = out
    return _marker_cache[path]


def subset(fn):
    """Marks a test that also runs for the non-default backends."""
    fn.subset = True
    return fn


def known_bug(backends, why):
    """A test that fails with these backends because of a bug that is not
    ours to fix: it runs as an expected failure for them (see
    _mark_known_bugs)."""
    def mark(fn):
        fn.known_bug = ((backends,) if isinstance(backends, str)
                        else tuple(backends), why)
        return fn
    return mark


def python310():
    """pyenv's 3.10 interpreter, or None."""
    try:
        root = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, timeout=10,
                              stdin=subprocess.DEVNULL).stdout.decode().strip()
    except (OSError, subprocess.TimeoutExpired):
        root = os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(os.path.join(root or os.path.expanduser(
        "~/.pyenv"), "versions", "3.10*", "bin", "python3.10")))
    return found[-1] if found else None


class Debuggee:
    """One debug session: the client plus what the tests ask of it."""

    def __init__(self, test, client, path):
        self.test = test
        self.c = client
        self.path = path
        self.m = markers(path) if path else {}
        self.bp_responses = {}    # path -> setBreakpoints response body
        self.fbp_response = None
        self.exc_response = None

    # -- requests ------------------------------------------------------------
    def request(self, command, args=None, ok=True):
        resp = self.c.request(command, args, TIMEOUT)
        if ok:
            self.test.assertTrue(resp["success"], "%s failed: %r" % (
                command, resp))
        return resp

    def set_breakpoints(self, path, bps):
        """bps: marker names, line numbers or dicts (`line` may be a
        marker name). Returns the response's breakpoints."""
        items = []
        for bp in bps:
            if isinstance(bp, dict):
                bp = dict(bp)
                if isinstance(bp["line"], str):
                    bp["line"] = markers(path)[bp["line"]]
            elif isinstance(bp, str):
                bp = {"line": markers(path)[bp]}
            else:
                bp = {"line": bp}
            items.append(bp)
        body = self.request("setBreakpoints", {
            "source": {"path": path}, "breakpoints": items})["body"]
        self.bp_responses[path] = body
        result = body["breakpoints"]
        self.test.assertEqual(len(result), len(items), body)
        return result

    # -- stops -------------------------------------------------------------------
    def stopped(self, reason=None, line=None, name=None, thread=None,
                ids=None, timeout=TIMEOUT):
        """Waits for the next `stopped` event; checks what is given
        (line: a marker name or number; name: the top frame's name).
        Returns (body, top frame)."""
        ev = self.c.wait_event("stopped", timeout)["body"]
        t = self.test
        if reason is not None:
            t.assertEqual(ev["reason"], reason, ev)
        t.assertIs(ev.get("allThreadsStopped"), True, ev)
        if thread is not None:
            t.assertEqual(ev["threadId"], thread, ev)
        if ids is not None:
            t.assertEqual(ev.get("hitBreakpointIds"), ids, ev)
        top = self.stack(ev["threadId"], levels=1)["stackFrames"][0]
        if line is not None:
            want = self.m[line] if isinstance(line, str) else line
            t.assertEqual(top["line"], want, "stopped at %s:%d (%s), "
                          "expected line %d (%s); event %r" % (
                              top.get("source", {}).get("path"), top["line"],
                              top["name"], want, line, ev))
        if name is not None:
            t.assertEqual(top["name"], name, (top, ev))
        return ev, top

    def stack(self, thread, **args):
        args["threadId"] = thread
        return self.request("stackTrace", args)["body"]

    def frames(self, thread, **args):
        """[(name, line)] of a stopped thread."""
        return [(f["name"], f["line"])
                for f in self.stack(thread, **args)["stackFrames"]]

    def cont(self, thread=1, single=False):
        args = {"threadId": thread}
        if single:
            args["singleThread"] = True
        return self.request("continue", args)["body"]

    def step(self, kind, thread=1):
        return self.request(kind, {"threadId": thread})

    def stops(self):
        return self.c.events("stopped")

    # -- the end ----------------------------------------------------------------
    def finish(self, timeout=TIMEOUT):
        """Waits for the end of the program; returns (exit code, {category:
        output}). No stop may be left unreported."""
        out = self.c.collect_output("terminated", timeout)
        self.test.check_end_of_session(self.c)
        exited = self.c.events("exited")
        self.test.disconnect(self.c)
        return exited[0]["body"]["exitCode"], out


class BreakpointTests:
    """Mixed into one TestCase per backend (see the end of the file)."""

    backend = "auto"

    # ---- sessions ---------------------------------------------------------------
    def launch_config(self, prog, args=(), stop_on_entry=False, **kw):
        if "module" not in kw and "code" not in kw:
            kw["program"] = prog
        launch = self.launch_args(args=list(args), env=dict(ENV), **kw)
        if stop_on_entry:
            launch["stopOnEntry"] = True
        if self.backend != "auto":
            launch["frameEval"] = {"backend": self.backend}
        return launch

    def check_backend(self, c):
        """The runtime's console line names the backend in use."""
        out = c.wait_output("dapper: breakpoints use", "console", TIMEOUT)
        m = BACKEND_LINE.search(out)
        self.assertIsNotNone(m, "no backend line in %r" % out)
        if self.backend != "auto":
            self.assertEqual(m.group(2), "requested",
                             "the runtime fell back: %r" % m.group(0))
        return m

    def debug(self, name, args=(), bps=None, fbps=None, exc=None,
              stop_on_entry=False, prog=None, setup=None):
        """Launches programs/bp/<name>, waits for the launch response (so
        the runtime answers the breakpoint requests itself), sets the
        breakpoints, calls setup(debuggee) if given, and sends
        configurationDone. bps: {path or program name: [markers or
        dicts]}."""
        path = prog or bp_program(name)
        c = self.client()
        self.initialize(c)
        launch_seq = c.send_request("launch", self.launch_config(
            path, args, stop_on_entry))
        c.wait_event("initialized", TIMEOUT)
        resp = c.wait_response(launch_seq, TIMEOUT)
        self.assertTrue(resp["success"], "launch failed: %r" % (resp,))
        self.check_backend(c)
        d = Debuggee(self, c, path)
        for where, items in (bps or {}).items():
            d.set_breakpoints(where if os.path.isabs(where)
                              else bp_program(where), items)
        if fbps is not None:
            d.fbp_response = d.request("setFunctionBreakpoints", {
                "breakpoints": fbps})["body"]["breakpoints"]
        if exc is not None:
            d.exc_response = d.request("setExceptionBreakpoints",
                                       exc)["body"]["breakpoints"]
        if setup is not None:
            setup(d)
        d.request("configurationDone")
        return d

    def assert_verified(self, results, lines=None):
        for i, r in enumerate(results):
            self.assertIs(r.get("verified"), True, results)
            self.assertIsInstance(r.get("id"), int, results)
            if lines is not None:
                self.assertEqual(r.get("line"), lines[i], results)

    # ==== setBreakpoints ==========================================================
    def test_set_breakpoints_resolution_and_replace(self):
        path = bp_program("loops.py")
        m = markers(path)
        seen = {}

        def setup(d):
            res = d.set_breakpoints(path, [
                "each", "comment_line", "no_code_after",
                m["comment_line"] + 1])
            self.assert_verified(res[:2], [m["each"], m["moved_target"]])
            self.assertFalse(res[2]["verified"], res)
            self.assertIn("no code", res[2].get("message", ""), res)
            self.assertEqual(res[2]["line"], m["no_code_after"])
            self.assertIs(res[3]["verified"], True)
            self.assertEqual(res[3]["line"], m["moved_target"])
            ids = [r["id"] for r in res]
            self.assertEqual(len(set(ids)), 4, "ids not distinct: %r" % res)
            self.assertEqual({r["source"]["path"] for r in res}, {path})
            # Full replace: only `moved` and `done` now; `each` (six
            # times in a loop) must not stop.
            res2 = d.set_breakpoints(path, ["comment_line", "done"])
            self.assert_verified(res2, [m["moved_target"], m["done"]])
            self.assertFalse(set(r["id"] for r in res2) & set(ids),
                             "setBreakpoints reused ids: %r %r" % (res, res2))
            # Another file's breakpoints are its own.
            res3 = d.set_breakpoints(bp_program("later.py"), ["value"])
            self.assertFalse(res3[0]["verified"])
            self.assertIn("not loaded", res3[0].get("message", ""), res3)
            self.assertEqual(d.set_breakpoints(bp_program("later.py"), []),
                             [])
            seen["ids"] = [r["id"] for r in res2]

        d = self.debug("loops.py", setup=setup)
        ids = seen["ids"]
        d.stopped("breakpoint", "moved_target", "<module>", 1, [ids[0]])
        d.cont()
        d.stopped("breakpoint", "done", "<module>", 1, [ids[1]])
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(len(d.stops()), 2)
        self.assertIn("loops done\n", out.get("stdout", ""))

    @subset
    def test_module_imported_later(self):
        later = bp_program("later.py")
        lm = markers(later)
        d = self.debug("importer.py", bps={later: ["value", "top"]})
        res = d.bp_responses[later]["breakpoints"]
        for r in res:
            self.assertIs(r["verified"], False, res)
            self.assertIn("not loaded", r.get("message", ""), res)
        ids = [r["id"] for r in res]
        d.stopped("breakpoint", lm["top"], "<module>", 1, [ids[1]])
        events = d.c.events("breakpoint")
        changed = {e["body"]["breakpoint"]["id"]: e["body"]
                   for e in events}
        self.assertEqual(sorted(changed), sorted(ids), events)
        for bp_id, want in zip(ids, (lm["value"], lm["top"])):
            body = changed[bp_id]
            self.assertEqual(body["reason"], "changed")
            self.assertIs(body["breakpoint"]["verified"], True, body)
            self.assertEqual(body["breakpoint"]["line"], want, body)
            self.assertEqual(body["breakpoint"]["source"]["path"], later)
        # The events came before the file's first line ran.
        first_stop = d.c.index_of(lambda x: x.get("event") == "stopped")
        for e in events:
            self.assertLess(d.c.messages.index(e), first_stop)
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
            self.assertGreater(st["trace_calls_saved"], 0, st)
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

    # ==== execution ==============================================================
    @subset
    def test_stepping(self):
        d = self.debug("stepping.py", bps={"stepping.py": ["main_call"]})
        bp_id = d.bp_responses[d.path]["breakpoints"][0]["id"]
        d.stopped("breakpoint", "main_call", "<module>", 1, [bp_id])
        d.step("stepIn")
        ev, _ = d.stopped("step", "call", "caller", 1)
        self.assertNotIn("hitBreakpointIds", ev)
        d.step("next")  # over callee(1)
        d.stopped("step", "call2", "caller", 1)
        d.step("stepIn")
        d.stopped("step", "callee_first", "callee", 1)
        self.assertEqual(d.frames(1), [
            ("callee", d.m["callee_first"]), ("caller", d.m["call2"]),
            ("<module>", d.m["main_call"])])
        d.step("next")
        d.stopped("step", "callee_return", "callee", 1)
        d.step("next")  # over the return: the caller's next line
        d.stopped("step", "caller_return", "caller", 1)
        d.step("stepOut")  # out of caller: the module's next line
        d.stopped("step", "after_main_call", "<module>", 1)
        d.step("next")
        d.stopped("step", "last", "<module>", 1)
        d.step("next")  # off the end: the program ends
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "stepped 6\n")
        self.assertEqual(len(d.stops()), 8)

    def test_step_out_of_callee_and_continue(self):
        d = self.debug("stepping.py", bps={"stepping.py": ["callee_first",
                                                           "last"]})
        d.stopped("breakpoint", "callee_first", "callee", 1)
        d.step("stepOut")  # lands in the caller, after the call
        d.stopped("step", "call2", "caller", 1)
        d.cont()  # the second call stops again
        d.stopped("breakpoint", "callee_first", "callee", 1)
        d.cont()
        d.stopped("breakpoint", "last", "<module>", 1)
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)

    def test_stop_on_entry_and_stack_trace(self):
        d = self.debug("stepping.py", stop_on_entry=True,
                       bps={"stepping.py": ["callee_first"]})
        ev, top = d.stopped("entry", None, "<module>", 1)
        with open(d.path) as f:
            first_code = next(i for i, text in enumerate(f, 1)
                              if text.strip() and not text.startswith("#"))
        self.assertEqual(top["line"], first_code)
        st = d.stack(1)
        self.assertEqual(st["totalFrames"], 1, "boot/runpy frames shown")
        d.cont()
        d.stopped("breakpoint", "callee_first", "callee", 1)
        st = d.stack(1)
        self.assertEqual(st["totalFrames"], 3)
        self.assertEqual([(f["name"], f["line"]) for f in st["stackFrames"]],
                         [("callee", d.m["callee_first"]),
                          ("caller", d.m["call"]),
                          ("<module>", d.m["main_call"])])
        for f in st["stackFrames"]:
            self.assertEqual(f["source"]["path"], d.path)
            self.assertTrue(os.path.isabs(f["source"]["path"]))
            self.assertEqual(f["column"], 1)
            self.assertIsInstance(f["id"], int)
        part = d.stack(1, startFrame=1, levels=1)
        self.assertEqual(part["totalFrames"], 3)
        self.assertEqual([(f["name"], f["line"]) for f in part["stackFrames"]],
                         [("caller", d.m["call"])])
        part = d.stack(1, startFrame=2, levels=5)
        self.assertEqual([f["name"] for f in part["stackFrames"]],
                         ["<module>"])
        part = d.stack(1, startFrame=3)
        self.assertEqual(part["stackFrames"], [])
        d.cont()
        d.stopped("breakpoint", "callee_first", "callee", 1)
        d.cont()
        self.assertEqual(d.finish()[0], 0)

    def _busy(self, mode, **kw):
        flag = os.path.join(self.tmp, "flag")
        d = self.debug("busy.py", args=[flag, mode], **kw)
        d.c.wait_output("ready\n", "stdout", TIMEOUT)
        time.sleep(0.1)
        return d, flag

    @subset
    def test_pause_busy_loop_and_sleep(self):
        for mode in ("loop", "sleep"):
            d, flag = self._busy(mode)
            resp = d.request("pause", {"threadId": 1})
            self.assertTrue(resp["success"])
            ev, top = d.stopped("pause", None, None, 1)
            # At the next Python line: in the loop, or in a function the
            # loop calls (os.path.exists is Python code).
            frames = d.frames(1)
            self.assertEqual(frames[-1][0], "<module>", frames)
            self.assertIn(frames[-1][1], range(d.m["loop_head"],
                                               d.m["sleep"] + 1), frames)
            self.assertLessEqual(len(frames), 2, frames)
            open(flag, "w").close()
            d.cont()
            code, out = d.finish()
            self.assertEqual(code, 0, mode)
            self.assertIn("resumed 2\ncoroutine 3\n", out.get("stdout"))
            os.unlink(flag)

    @subset
    def test_breakpoints_in_running_loop_and_suspended_code(self):
        d, flag = self._busy("loop")
        res = d.set_breakpoints(d.path, ["spin"])
        self.assert_verified(res, [d.m["spin"]])
        d.stopped("breakpoint", "spin", "<module>", 1, [res[0]["id"]])
        # Replace: the loop's breakpoint goes; the suspended generator and
        # coroutine get theirs.
        res = d.set_breakpoints(d.path, ["gen_resumed", "coro_resumed"])
        self.assert_verified(res)
        open(flag, "w").close()
        d.cont()
        d.stopped("breakpoint", "gen_resumed", "gen", 1, [res[0]["id"]])
        d.cont()
        d.stopped("breakpoint", "coro_resumed", "coro", 1, [res[1]["id"]])
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(len(d.stops()), 3)

    @subset
    def test_threads_hit_the_same_breakpoint(self):
        d = self.debug("threads.py", bps={"threads.py": ["worker", "joined"]})
        ids = [r["id"] for r in d.bp_responses[d.path]["breakpoints"]]
        seen = {}
        for _ in range(4):
            ev, top = d.stopped("breakpoint", "worker", "worker", None,
                                [ids[0]])
            tid = ev["threadId"]
            self.assertNotIn(tid, seen, "thread reported twice")
            threads = d.request("threads")["body"]["threads"]
            self.assertEqual(threads[0], {"id": 1, "name": "MainThread"},
                             threads)
            names = {t["id"]: t["name"] for t in threads}
            self.assertRegex(names.get(tid, ""), r"^worker-\d$", threads)
            seen[tid] = names[tid]
            names_frames = [n for n, _ in d.frames(tid)]
            self.assertEqual(names_frames[0], "worker")
            self.assertNotIn("_bootstrap_inner", names_frames[1:2])
            d.cont(tid)
        self.assertEqual(sorted(seen.values()),
                         ["worker-%d" % i for i in range(4)])
        self.assertNotIn(1, seen)
        d.stopped("breakpoint", "joined", "<module>", 1, [ids[1]])
        started = [e["body"]["threadId"] for e in d.c.events("thread")
                   if e["body"]["reason"] == "started"]
        exited = [e["body"]["threadId"] for e in d.c.events("thread")
                  if e["body"]["reason"] == "exited"]
        self.assertEqual(sorted(started), sorted(seen), d.c.events("thread"))
        self.assertEqual(sorted(exited), sorted(seen), d.c.events("thread"))
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "joined\n")

    def _wait_parked(self, d, tid):
        """stackTrace of thread tid once it is parked (it parks at its next
        line, so right after the stop it may still be running)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            resp = d.request("stackTrace", {"threadId": tid}, ok=False)
            if resp["success"] or time.monotonic() > deadline:
                return resp
            time.sleep(0.02)

    def test_all_threads_stop_and_single_thread_continue(self):
        d = self.debug("allstop.py", bps={"allstop.py": ["main_stop",
                                                         "main_again"]})
        ids = [r["id"] for r in d.bp_responses[d.path]["breakpoints"]]
        d.stopped("breakpoint", "main_stop", "<module>", 1, [ids[0]])
        threads = d.request("threads")["body"]["threads"]
        spinner = [t["id"] for t in threads if t["name"] == "spinner"]
        self.assertEqual(len(spinner), 1, threads)
        tid = spinner[0]
        started = [e["body"] for e in d.c.events("thread")]
        self.assertIn({"reason": "started", "threadId": tid}, started)
        resp = self._wait_parked(d, tid)
        self.assertTrue(resp["success"], "the other thread did not stop: %r"
                        % (resp,))
        frames = resp["body"]["stackFrames"]
        self.assertEqual(frames[0]["name"], "spin")
        self.assertIn(frames[0]["line"], (d.m["spin"], d.m["spin"] - 1))
        # Only the main thread runs on (for 0.3 s), then stops again.
        body = d.cont(1, single=True)
        self.assertIsNot(body.get("allThreadsContinued"), True, body)
        d.stopped("breakpoint", "main_again", "<module>", 1, [ids[1]])
        self.assertTrue(self._wait_parked(d, tid)["success"])
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"),
                         "spinner advanced while main ran alone: 0\n")
        exited = [e["body"] for e in d.c.events("thread")
                  if e["body"]["reason"] == "exited"]
        self.assertEqual(exited, [{"reason": "exited", "threadId": tid}])

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
        d.step("stepOut")  # every caller is mid-line: the module's next line
        d.stopped("step", "after", "<module>", 1)
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
        d.step("stepOut")
        d.stopped("step", "rec_after", "rec", 1)
        self.assertEqual(depth(), 2)
        d.step("next")  # over the return: the module's next line
        d.stopped("step", "total0", "<module>", 1)
        d.cont()
        d.stopped("breakpoint", "y1", "gen", 1)
        self.assertEqual(d.frames(1)[1], ("<module>", d.m["for"]))
        d.step("next")  # over the yield: back in the loop that resumed it
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

    # ==== editors' orders, interpreters ======================================
    def _editor_order(self, order):
        path = bp_program("stepping.py")
        m = markers(path)
        c = self.client()
        self.initialize(c)
        launch = self.launch_config(path)
        bps = {"source": {"path": path},
               "breakpoints": [{"line": m["callee_first"]}]}
        if order == "vscode":
            # VS Code: setBreakpoints right after `initialized`, before the
            # launch response.
            launch_seq = c.send_request("launch", launch)
            c.wait_event("initialized", TIMEOUT)
            resp = c.request("setBreakpoints", bps, TIMEOUT)
            done_seq = c.send_request("configurationDone")
            self.assertTrue(c.wait_response(launch_seq, TIMEOUT)["success"])
            self.assertTrue(c.wait_response(done_seq, TIMEOUT)["success"])
        else:
            # nvim-dap: configurationDone before launch.
            c.wait_event("initialized", TIMEOUT)
            resp = c.request("setBreakpoints", bps, TIMEOUT)
            self.assertTrue(c.request("configurationDone", None,
                                      TIMEOUT)["success"])
            self.assertTrue(c.request("launch", launch, TIMEOUT)["success"])
        self.assertTrue(resp["success"], resp)
        bp = resp["body"]["breakpoints"][0]
        self.assertIs(bp["verified"], False, bp)
        self.assertTrue(bp.get("message"), bp)
        d = Debuggee(self, c, path)
        d.stopped("breakpoint", "callee_first", "callee", 1, [bp["id"]])
        d.cont()  # callee runs twice
        d.stopped("breakpoint", "callee_first", "callee", 1, [bp["id"]])
        events = [e["body"] for e in c.events("breakpoint")]
        verified = [e for e in events if e["breakpoint"]["id"] == bp["id"]
                    and e["breakpoint"].get("verified")]
        self.assertTrue(verified, "no breakpoint event verifying it: %r"
                        % events)
        self.assertEqual(verified[-1]["breakpoint"]["line"], m["callee_first"])
        self.assertEqual(verified[-1]["reason"], "changed")
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "stepped 6\n")

    @subset
    def test_vscode_order_breakpoints_before_launch_response(self):
        self._editor_order("vscode")

    def test_nvim_order_breakpoints_before_launch(self):
        self._editor_order("nvim")

    def test_unsupported_python_fails_launch(self):
        py = python310()
        if py is None:
            self.skipTest("no pyenv Python 3.10 found")
        c = self.client()
        resp = self.start(c, {"python": py, "program": bp_program("kinds.py")})
        self.assertFalse(resp["success"], "launch with Python 3.10 succeeded")
        text = error_text(resp)
        self.assertIn("3.10", text, "the error does not name the version")
        self.disconnect(c)


# ---- one class per backend ------------------------------------------------------
_probed = {}


def probe_backend(backend):
    """(backend in use, console line) for a launch with that backend."""
    if backend in _probed:
        return _probed[backend]
    from dap_client import DapClient
    from harness import adapter_env, program
    c = DapClient.spawn_stdio(CONFIG.adapter, env=adapter_env())
    try:
        c.request("initialize", {"adapterID": "dapper"}, TIMEOUT)
        launch = {"python": CONFIG.python, "program": program("hello.py")}
        if backend != "auto":
            launch["frameEval"] = {"backend": backend}
        seq = c.send_request("launch", launch)
        c.wait_event("initialized", TIMEOUT)
        c.request("configurationDone", None, TIMEOUT)
        resp = c.wait_response(seq, TIMEOUT)
        if not resp["success"]:
            result = (None, "launch failed: %s" % error_text(resp))
        else:
            out = c.wait_output("dapper: breakpoints use", "console", TIMEOUT)
            m = BACKEND_LINE.search(out)
            desc, reason = (m.group(1), m.group(2)) if m else ("?", out)
            used = DESCRIPTIONS.get(desc)
            if used is None and reason == "requested":
                used = backend
            result = (used, m.group(0).strip() if m else out)
        c.collect_output("terminated", TIMEOUT)
        c.request("disconnect", {}, TIMEOUT)
    finally:
        c.close()
    _probed[backend] = result
    return result


class BreakpointCase(DapTestCase):
    transport = "stdio"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.broken:
            return
        used, line = probe_backend(cls.backend)
        cls.backend_line = line
        cls.backend_in_use = used
        if cls.backend == "auto":
            return
        if used != cls.backend:
            raise unittest.SkipTest("backend %s not in use on this Python: %s"
                                    % (cls.backend, line))
        auto, _ = probe_backend("auto")
        if auto == cls.backend:
            raise unittest.SkipTest("backend %s is what auto uses here: the "
                                    "full set ran as auto" % cls.backend)


def _auto_backend():
    """The backend `auto` uses with the interpreter under test, as the
    runtime reports it (None when the probe fails: no test is marked)."""
    if CONFIG.adapter is None or CONFIG.python is None:
        return None
    try:
        return probe_backend("auto")[0]
    except AssertionError:
        return None


def _mark_known_bugs(backend, attrs):
    """Wraps the @known_bug tests that fail with `backend` in
    unittest.expectedFailure (a copy: other classes keep the plain test)."""
    for name in dir(BreakpointTests):
        fn = getattr(BreakpointTests, name)
        bug = getattr(fn, "known_bug", None)
        if bug is None or name in attrs or backend not in bug[0]:
            continue

        def wrapper(self, _fn=fn):
            return _fn(self)
        wrapper.__name__ = name
        wrapper.__doc__ = "known bug with %s: %s" % (backend, bug[1])
        attrs[name] = unittest.expectedFailure(wrapper)
    return attrs


class BreakpointsAuto(BreakpointTests, BreakpointCase):
    backend = "auto"


for _name, _test in _mark_known_bugs(_auto_backend(), {}).items():
    setattr(BreakpointsAuto, _name, _test)
    del _name, _test


def _subset_class(backend):
    full = os.environ.get("DAPPER_BP_FULL") == "1"
    hidden = {name: None for name in dir(BreakpointTests)
              if name.startswith("test_") and not full
              and not getattr(getattr(BreakpointTests, name), "subset", False)}
    name = "Breakpoints_%s" % backend
    return type(name, (BreakpointTests, BreakpointCase),
                _mark_known_bugs(backend, dict(hidden, backend=backend)))


for _backend in ("tracing", "monitoring", "instrumented", "evalframe"):
    _cls = _subset_class(_backend)
    globals()[_cls.__name__] = _cls
del _backend, _cls
