"""Shared by the breakpoint and execution tests (test_breakpoints.py,
bp_execution.py): target programs and their `# BREAK: name` markers, the
@subset and @known_bug marks, Debuggee (one session and what the tests ask
of it), the BreakpointSession mixin (launching with a backend), and the
backend parametrisation (probe_backend, BreakpointCase, auto_backend,
mark_known_bugs) that test_breakpoints.py builds its one class per backend
from.
"""

import glob
import os
import re
import subprocess
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


class BreakpointSession:
    """Mixed into the test mixins (BreakpointTests, ExecutionTests): starts
    sessions with the class's backend."""

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


def auto_backend():
    """The backend `auto` uses with the interpreter under test, as the
    runtime reports it (None when the probe fails: no test is marked)."""
    if CONFIG.adapter is None or CONFIG.python is None:
        return None
    try:
        return probe_backend("auto")[0]
    except AssertionError:
        return None


def mark_known_bugs(tests, backend, attrs):
    """Wraps the @known_bug tests of the mixin `tests` that fail with
    `backend` in unittest.expectedFailure (a copy: other classes keep the
    plain test)."""
    for name in dir(tests):
        fn = getattr(tests, name)
        bug = getattr(fn, "known_bug", None)
        if bug is None or name in attrs or backend not in bug[0]:
            continue

        def wrapper(self, _fn=fn):
            return _fn(self)
        wrapper.__name__ = name
        wrapper.__doc__ = "known bug with %s: %s" % (backend, bug[1])
        attrs[name] = unittest.expectedFailure(wrapper)
    return attrs
