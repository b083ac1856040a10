"""Child processes (`subProcess`): a Python child of the debuggee (subprocess,
multiprocessing spawn/fork/forkserver, os.fork) gets its own debug session
through the `startDebugging` reverse request. The test client answers it as
VS Code does: it starts a second adapter process and sends initialize,
attach with the given configuration, setBreakpoints and configurationDone.
"""

import os
import threading
import unittest

from dap_client import DapClient
from harness import CONFIG, TIMEOUT, DapTestCase, adapter_env, program

CHILDREN = program("children")
CHILD = os.path.join(CHILDREN, "child.py")
LONG = 20.0  # a pool of children under load


def break_line(path):
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            if "# BREAK" in text:
                return n
    raise AssertionError("no # BREAK in %s" % path)


class ChildSessions:
    """Answers the parent session's startDebugging requests the way VS Code
    does, in a thread: each gets a new adapter process (stdio) that is sent
    initialize, attach(configuration), setBreakpoints, configurationDone.
    `take=False`: answers success but starts no session (a client that
    drops it)."""

    def __init__(self, test, parent, breakpoints, take=True, refuse=None):
        self.test = test
        self.parent = parent
        self.breakpoints = breakpoints  # {path: [lines]}
        self.take = take
        self.refuse = refuse  # a message: answer startDebugging with an error
        self.sessions = []   # (configuration, DapClient, attach seq)
        self.requests = []
        self.errors = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                req = self.parent.wait_message(
                    lambda m: m.get("type") == "request"
                    and m.get("command") == "startDebugging", 0.2,
                    "startDebugging")
            except AssertionError:
                if self.parent.closed:
                    return
                continue
            try:
                self._serve(req)
            except Exception as e:  # reported by the test
                self.errors.append(repr(e))

    def _serve(self, req):
        self.requests.append(req)
        args = req["arguments"]
        if self.refuse:
            self.parent.send_message({
                "seq": 0, "type": "response", "request_seq": req["seq"],
                "command": "startDebugging", "success": False,
                "message": self.refuse})
            return
        self.parent.send_message({
            "seq": 0, "type": "response", "request_seq": req["seq"],
            "command": "startDebugging", "success": True})
        if not self.take:
            return
        c = DapClient.spawn_stdio(CONFIG.adapter, env=adapter_env())
        c.name = "child-%s" % args["configuration"].get("subProcessId")
        with self._lock:
            self.test.clients.append(c)
        resp = c.request("initialize", {
            "clientID": "dapper-integration-tests", "adapterID": "dapper",
            "linesStartAt1": True, "columnsStartAt1": True,
            "pathFormat": "path", "supportsStartDebuggingRequest": True,
        }, TIMEOUT)
        if not resp["success"]:
            raise AssertionError("child initialize failed: %r" % (resp,))
        seq = c.send_request(args["request"], args["configuration"])
        first = c.wait_message(
            lambda m: m.get("event") == "initialized"
            or (m.get("type") == "response" and m.get("request_seq") == seq),
            LONG, "`initialized` or the attach response", consume=False)
        if first.get("type") == "response" and not first["success"]:
            raise AssertionError("child attach failed: %r" % (first,))
        c.wait_event("initialized", LONG)
        for path, lines in self.breakpoints.items():
            c.request("setBreakpoints", {
                "source": {"path": path},
                "breakpoints": [{"line": n} for n in lines]}, TIMEOUT)
        c.request("configurationDone", None, TIMEOUT)
        with self._lock:
            self.sessions.append((args["configuration"], c, seq))

    def stop(self):
        self._stop.set()
        self._thread.join(5)

    def clients(self):
        with self._lock:
            return [c for _, c, _ in self.sessions]

    def wait_stops(self, n, timeout=LONG):
        """Waits until n child sessions stopped at a breakpoint; returns
        [(client, stopped event)]."""
        import time
        deadline = time.monotonic() + timeout
        found = {}
        while len(found) < n:
            for c in self.clients():
                if c in found:
                    continue
                ev = [m for m in c.messages if m.get("event") == "stopped"]
                if ev:
                    found[c] = ev[0]
            if len(found) >= n:
                break
            if time.monotonic() > deadline:
                raise AssertionError(
                    "%d of %d child sessions stopped within %.0fs (sessions: %d,"
                    " startDebugging: %d, errors: %r)" % (
                        len(found), n, timeout, len(self.sessions),
                        len(self.requests), self.errors))
            time.sleep(0.05)
        return list(found.items())


class ChildTests(DapTestCase):
    transport = "stdio"

    def initialize(self, c, start_debugging=True):
        resp = c.request("initialize", {
            "clientID": "dapper-integration-tests", "adapterID": "dapper",
            "linesStartAt1": True, "columnsStartAt1": True,
            "pathFormat": "path", "supportsRunInTerminalRequest": False,
            "supportsStartDebuggingRequest": start_debugging,
        }, TIMEOUT)
        self.assertTrue(resp["success"], "initialize failed: %r" % (resp,))
        return resp.get("body") or {}

    def launch_parent(self, args, breakpoints, take=True, start_debugging=True,
                      refuse=None, **kw):
        c = self.client()
        self.initialize(c, start_debugging)
        children = ChildSessions(self, c, breakpoints, take, refuse)
        self.addCleanup(children.stop)
        launch = self.launch_args(program=os.path.join(CHILDREN, args[0]),
                                  args=list(args[1:]), console="internalConsole",
                                  **kw)
        seq = c.send_request("launch", launch)
        c.wait_event("initialized", TIMEOUT)
        c.request("configurationDone", None, TIMEOUT)
        resp = c.wait_response(seq, TIMEOUT)
        self.assertTrue(resp["success"], "launch failed: %r" % (resp,))
        return c, children

    def stack_top(self, c, stopped):
        tid = stopped["body"]["threadId"]
        st = c.request("stackTrace", {"threadId": tid}, TIMEOUT)
        self.assertTrue(st["success"], st)
        top = st["body"]["stackFrames"][0]
        return tid, top

    def continue_all(self, stops):
        for c, ev in stops:
            c.request("continue", {"threadId": ev["body"]["threadId"]}, TIMEOUT)

    def parent_end(self, c, timeout=LONG):
        c.wait_event("terminated", timeout)
        exited = c.events("exited")
        return exited[0]["body"]["exitCode"] if exited else None

    # ---- priority 1: subprocess with sys.executable ------------------------
    def test_subprocess_child_stops_at_breakpoint(self):
        line = break_line(CHILD)
        c, children = self.launch_parent(["run_subprocess.py"], {CHILD: [line]})
        stops = children.wait_stops(1)
        child, ev = stops[0]
        self.assertEqual(ev["body"]["reason"], "breakpoint")
        tid, top = self.stack_top(child, ev)
        self.assertEqual((top["source"]["path"], top["line"]), (CHILD, line))
        # The child's variables are the child's.
        scopes = child.request("scopes", {"frameId": top["id"]}, TIMEOUT)
        ref = scopes["body"]["scopes"][0]["variablesReference"]
        vs = child.request("variables", {"variablesReference": ref}, TIMEOUT)
        values = {v["name"]: v["value"] for v in vs["body"]["variables"]}
        self.assertEqual(values.get("n"), "21")
        cfg = children.sessions[0][0]
        self.assertEqual(cfg["request"], "attach")
        proc = child.wait_event("process", TIMEOUT)
        self.assertEqual(proc["body"]["systemProcessId"], cfg["subProcessId"])
        self.assertEqual(proc["body"]["startMethod"], "attach")
        self.continue_all(stops)
        # The child session ends with the child's own exit code; its
        # output (in internalConsole) reaches the parent session.
        child.wait_event("terminated", LONG)
        self.assertEqual(child.events("exited")[0]["body"]["exitCode"], 3)
        self.assertEqual(self.parent_end(c), 13)
        out = c.output("stdout")
        self.assertIn("child result 42", out)
        self.assertIn("parent saw child exit 3", out)
        self.assertEqual(children.errors, [])

    def test_subprocess_with_another_python(self):
        found = [p for p in os.environ.get("INTEGRATION_PYTHONS", "").split(":")
                 if p and os.path.realpath(p) != os.path.realpath(CONFIG.python)]
        if not found:
            self.skipTest("no other Python with a runtime was found when "
                          "configuring (INTEGRATION_PYTHONS: %r)"
                          % os.environ.get("INTEGRATION_PYTHONS"))
        other = found[0]
        line = break_line(CHILD)
        c, children = self.launch_parent(["run_subprocess.py", other], {CHILD: [line]})
        child, ev = children.wait_stops(1)[0]
        _, top = self.stack_top(child, ev)
        self.assertEqual((top["source"]["path"], top["line"]), (CHILD, line))
        self.continue_all([(child, ev)])
        child.wait_event("terminated", LONG)
        self.assertEqual(child.events("exited")[0]["body"]["exitCode"], 3)
        self.assertEqual(self.parent_end(c), 13)

    def test_spawnv_posix_spawn_and_execv_children_stop(self):
        line = break_line(CHILD)
        c, children = self.launch_parent(["run_exec.py"], {CHILD: [line]})
        parent_pid = [m for m in c.messages if m.get("event") == "process"][0][
            "body"]["systemProcessId"]
        seen = []
        for n in (1, 2, 3):
            stops = children.wait_stops(n)
            for child, ev in stops:
                if child in seen:
                    continue
                seen.append(child)
                _, top = self.stack_top(child, ev)
                self.assertEqual((top["source"]["path"], top["line"]), (CHILD, line))
                self.continue_all([(child, ev)])
        pids = [cfg["subProcessId"] for cfg, _, _ in children.sessions]
        # os.execv: the same process, now running child.py, in a session of
        # its own; the launch session reports its end.
        self.assertEqual(pids[2], parent_pid)
        self.assertEqual(self.parent_end(c), 3)
        out = c.output("stdout")
        self.assertIn("spawnv exit 3", out)
        self.assertIn("posix_spawn exit 3", out)
        self.assertIn("child result 6", out)

    # ---- priority 2: multiprocessing spawn, a Pool(4) ----------------------
    def pool(self, method):
        pool = os.path.join(CHILDREN, "run_pool.py")
        line = break_line(pool)
        c, children = self.launch_parent(["run_pool.py", method], {pool: [line]})
        stops = children.wait_stops(4)
        pids = set()
        for child, ev in stops:
            _, top = self.stack_top(child, ev)
            self.assertEqual((top["source"]["path"], top["line"]), (pool, line))
            pids.add([m for m in child.messages if m.get("event") == "process"]
                     [0]["body"]["systemProcessId"])
        self.assertEqual(len(pids), 4, "four distinct worker processes")
        self.continue_all(stops)
        self.assertEqual(self.parent_end(c, 40), 0)
        out = c.output("stdout")
        self.assertIn("pool results [0, 1, 4, 9]", out)
        self.assertIn("process exit 4", out)
        # The single Process's session reports its exit code 4.
        codes = []
        for child in children.clients():
            try:
                child.wait_event("terminated", LONG)
            except AssertionError:
                continue
            ex = child.events("exited")
            if ex:
                codes.append(ex[0]["body"]["exitCode"])
        self.assertIn(4, codes)
        self.assertEqual(children.errors, [])

    def test_multiprocessing_spawn_pool(self):
        self.pool("spawn")

    # ---- priority 3: fork ---------------------------------------------------
    def test_multiprocessing_fork_pool(self):
        self.pool("fork")

    def test_multiprocessing_forkserver_pool(self):
        self.pool("forkserver")

    def test_os_fork_child_stops(self):
        prog = os.path.join(CHILDREN, "run_fork.py")
        line = break_line(prog)
        c, children = self.launch_parent(["run_fork.py"], {prog: [line]})
        stops = children.wait_stops(1)
        child, ev = stops[0]
        _, top = self.stack_top(child, ev)
        self.assertEqual((top["source"]["path"], top["line"]), (prog, line))
        self.continue_all(stops)
        child.wait_event("terminated", LONG)
        self.assertEqual(child.events("exited")[0]["body"]["exitCode"], 5)
        self.assertEqual(self.parent_end(c), 0)
        out = c.output("stdout")
        self.assertIn("forked child says 42", out)
        self.assertIn("parent saw fork exit 5", out)
        # The parent itself did not stop (its breakpoints are the parent
        # session's, which has none).
        self.assertEqual(c.events("stopped"), [])

    # ---- priority 4: Django runserver with its autoreloader -----------------
    def test_django_runserver_autoreload_view_stops_in_child(self):
        import socket
        import subprocess
        import time
        import urllib.request
        probe = subprocess.run([CONFIG.python, "-c", "import django"],
                               capture_output=True)
        if probe.returncode != 0:
            self.skipTest("Django is not installed for %s (Debian's "
                          "python3-django is for the system Python 3.11)"
                          % CONFIG.python)
        site = os.path.join(CHILDREN, "djsite")
        view = os.path.join(site, "djsite", "views.py")
        line = break_line(view)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        c = self.client()
        self.initialize(c)
        children = ChildSessions(self, c, {view: [line]})
        self.addCleanup(children.stop)
        seq = c.send_request("launch", self.launch_args(
            program=os.path.join(site, "manage.py"),
            args=["runserver", "127.0.0.1:%d" % port], cwd=site,
            console="internalConsole"))
        c.wait_event("initialized", TIMEOUT)
        c.request("configurationDone", None, TIMEOUT)
        self.assertTrue(c.wait_response(seq, TIMEOUT)["success"])
        # The server (the autoreloader's child) answers once it is up.
        deadline = time.monotonic() + LONG
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.fail("runserver did not listen on %d; output:\n%s"
                              % (port, c.output()))
                time.sleep(0.1)
        reply = {}

        def get():
            try:
                with urllib.request.urlopen(
                        "http://127.0.0.1:%d/hello/?n=7" % port, timeout=LONG) as r:
                    reply["body"] = r.read().decode()
            except Exception as e:
                reply["error"] = repr(e)

        t = threading.Thread(target=get, daemon=True)
        t.start()
        stops = children.wait_stops(1)
        child, ev = stops[0]
        tid, top = self.stack_top(child, ev)
        self.assertEqual((top["source"]["path"], top["line"]), (view, line))
        ev_pid = [m for m in child.messages if m.get("event") == "process"][0]
        server_pid = ev_pid["body"]["systemProcessId"]
        self.assertNotEqual(server_pid, [m for m in c.messages if m.get("event") == "process"]
                            [0]["body"]["systemProcessId"])
        self.continue_all(stops)
        t.join(LONG)
        self.assertEqual(reply.get("body"), "hello 7 from %d" % server_pid, reply)
        resp = c.request("disconnect", {"terminateDebuggee": True}, LONG)
        self.assertTrue(resp["success"], resp)
        child.wait_event("terminated", LONG)

    # ---- priority 5: a child nobody takes, non-Python children --------------
    def test_unclaimed_child_runs_on(self):
        import time
        t0 = time.monotonic()
        c, children = self.launch_parent(["run_subprocess.py"],
                                         {CHILD: [break_line(CHILD)]}, take=False)
        self.assertEqual(self.parent_end(c, LONG), 13)
        elapsed = time.monotonic() - t0
        self.assertEqual(len(children.requests), 1)
        out = c.output("stdout")
        self.assertIn("child result 42", out)
        self.assertIn("parent saw child exit 3", out)
        self.assertRegex(c.output("stderr"),
                         r"dapper: no debug session took process \d+ \(child\.py\) "
                         r"within 5 s; it runs without the debugger")
        self.assertGreater(elapsed, 4.5)

    def other(self, **kw):
        user_pp = os.path.join(self.tmp, "user-path")
        env = {"PYTHONPATH": user_pp, "PYTHONUNBUFFERED": None}
        c, children = self.launch_parent(["run_other.py"], {}, env=env, **kw)
        self.assertEqual(self.parent_end(c, LONG), 0)
        out = c.output("stdout")
        # /bin/sh (subprocess) and sh (os.posix_spawn) see the user's
        # environment: no runtime variable, PYTHONPATH as the user set it.
        self.assertIn("sh env: PYTHONPATH\n", out)
        self.assertIn("sh PYTHONPATH: %s\n" % user_pp, out)
        self.assertIn("posix_spawn sh: no-socket %s\n" % user_pp, out)
        # A Python child sees the same (the boot restored it).
        self.assertIn("python child sees %s []\n" % user_pp, out)
        self.assertIn("python child exit 6\n", out)
        return c, children

    def test_non_python_children_untouched(self):
        c, children = self.other()
        # Only the Python child asked for a session, and got one.
        self.assertEqual(len(children.requests), 1, children.requests)
        child = children.clients()[0]
        child.wait_event("terminated", LONG)
        self.assertEqual(child.events("exited")[0]["body"]["exitCode"], 6)

    def test_client_without_start_debugging(self):
        c, children = self.other(start_debugging=False)
        self.assertEqual(children.requests, [])
        lines = [m["body"]["output"] for m in c.events("output")
                 if "startDebugging" in m["body"]["output"]]
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], r"dapper: child process \d+ \(-c\) and any other run "
                         r"without the debugger: the client does not support the "
                         r"startDebugging request")

    def test_subprocess_false(self):
        c, children = self.other(subProcess=False)
        self.assertEqual(children.requests, [])
        self.assertNotIn("child processes", c.output("console"))

    # ---- the children socket ------------------------------------------------
    def test_children_socket_checks_secret_and_announcement(self):
        c, children = self.launch_parent(["announce_probe.py"], {}, take=False)
        self.assertEqual(self.parent_end(c), 0)
        out = c.output("stdout")
        self.assertIn("hidden from os.environ: True\n", out)
        # Closed without a word: a wrong secret, a body that is not JSON.
        self.assertIn("wrong secret: b''\n", out)
        self.assertIn("garbage: b''\n", out)
        # An announcement without socket/secret: told to run on.
        self.assertIn("no socket: b'no\\n'\n", out)
        # A well-formed one: startDebugging, accepted, nothing to say.
        self.assertIn("announced: b''\n", out)
        self.assertEqual(len(children.requests), 1, children.requests)
        cfg = children.requests[0]["arguments"]["configuration"]
        self.assertEqual((cfg["subProcessId"], cfg["subProcessSocket"], cfg["name"]),
                         (12345, "/nonexistent/s", "Subprocess 12345 (probe)"))

    def test_client_refuses_start_debugging(self):
        import time
        t0 = time.monotonic()
        c, children = self.launch_parent(["run_subprocess.py"],
                                         {CHILD: [break_line(CHILD)]},
                                         refuse="no child sessions here")
        self.assertEqual(self.parent_end(c), 13)
        # Told at once: no 5 s wait.
        self.assertLess(time.monotonic() - t0, 4.5)
        self.assertRegex(c.output("console"),
                         r"dapper: the client did not start a session for child process "
                         r"\d+ \(no child sessions here\); it runs without the debugger")
        self.assertIn("child result 42", c.output("stdout"))

    def test_attach_to_a_child_that_is_gone(self):
        c = self.client()
        self.initialize(c)
        resp = c.request("attach", {"subProcessId": 999999,
                                    "subProcessSocket": "/nonexistent/child.sock",
                                    "subProcessSecret": "b" * 64}, TIMEOUT)
        self.assertFalse(resp["success"])
        self.assertIn("could not reach child process 999999", resp["message"])
        resp = c.request("attach", {"subProcessId": 5}, TIMEOUT)
        self.assertFalse(resp["success"])
        self.assertIn("subProcessSocket", resp["message"])

    # ---- a program in a terminal -------------------------------------------
    def test_children_of_a_program_in_a_terminal(self):
        from test_terminal import Pty, respond, terminal_env
        line = break_line(CHILD)
        c = self.client()
        resp = c.request("initialize", {
            "clientID": "dapper-integration-tests", "adapterID": "dapper",
            "linesStartAt1": True, "columnsStartAt1": True, "pathFormat": "path",
            "supportsRunInTerminalRequest": True,
            "supportsStartDebuggingRequest": True}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        children = ChildSessions(self, c, {CHILD: [line]})
        self.addCleanup(children.stop)
        seq = c.send_request("launch", self.launch_args(
            program=os.path.join(CHILDREN, "run_subprocess.py"),
            console="integratedTerminal"))
        req = c.wait_message(lambda m: m.get("command") == "runInTerminal",
                             TIMEOUT, "the runInTerminal request")
        args = req["arguments"]
        term = Pty(args["args"], args["cwd"], terminal_env(args))
        self.addCleanup(term.close)
        self.pids.append(term.proc.pid)
        respond(c, req, body={"processId": term.proc.pid})
        c.wait_event("initialized", TIMEOUT)
        c.request("configurationDone", None, TIMEOUT)
        self.assertTrue(c.wait_response(seq, TIMEOUT)["success"])
        child, ev = children.wait_stops(1)[0]
        _, top = self.stack_top(child, ev)
        self.assertEqual((top["source"]["path"], top["line"]), (CHILD, line))
        self.continue_all([(child, ev)])
        child.wait_event("terminated", LONG)
        self.assertEqual(child.events("exited")[0]["body"]["exitCode"], 3)
        self.assertEqual(self.parent_end(c), 13)
        # The child's output is the terminal's.
        term.wait_for("parent saw child exit 3")
        self.assertIn("child result 42", term.text())
