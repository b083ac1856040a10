"""The configuration phase as editors drive it, over stdio and TCP: when
`initialized` comes, what the breakpoint requests made then are answered
(verified by the runtime in the response, in each editor's order), what the
program's environment holds, and the launch input the adapter does not take
(unknown keys, `attach`, an unsupported interpreter).
"""

import json
import os
import time

from bp_common import ENV, bp_program, markers, python310
from harness import TIMEOUT, DapTestCase, error_text

LOOPS = bp_program("loops.py")
LATER = bp_program("later.py")

# What the program reports about its environment and output streams.
ENV_REPORT = (
    "import json, os, sys\n"
    "print(json.dumps({\n"
    "    'dapper': sorted(k for k in os.environ if k.startswith('DAPPER_')),\n"
    "    'DAPPER_MODE': os.environ.get('DAPPER_MODE'),\n"
    "    'PYTHONUNBUFFERED': os.environ.get('PYTHONUNBUFFERED'),\n"
    "    'stdout_raw': type(sys.stdout.buffer).__name__,\n"
    "    'write_through': sys.stdout.write_through,\n"
    "    'flags_unbuffered': hasattr(sys.flags, 'unbuffered'),\n"
    "}))\n")


class ConfigurationTests:
    """Mixed into one TestCase per transport (see the end of the file)."""

    def _launch(self, **kw):
        args = self.launch_args(program=LOOPS, env=dict(ENV))
        args.update(kw)
        return args

    def _files(self):
        """A file that does not compile and one that does not exist."""
        broken = os.path.join(self.tmp, "broken.py")
        with open(broken, "w") as f:
            f.write("x = 1\ndef f(:\n    pass\n")
        return broken, os.path.join(self.tmp, "missing.py")

    def _set_all(self, c):
        """The breakpoint requests an editor sends after `initialized`:
        returns {name: response body's breakpoints}."""
        m = markers(LOOPS)
        broken, missing = self._files()
        out = {}
        for name, path, lines in (
                ("loops", LOOPS, [m["comment_line"], m["done"]]),
                ("later", LATER, [markers(LATER)["value"]]),
                ("broken", broken, [1]),
                ("missing", missing, [1])):
            resp = c.request("setBreakpoints", {
                "source": {"path": path},
                "breakpoints": [{"line": line} for line in lines]}, TIMEOUT)
            self.assertTrue(resp["success"], resp)
            out[name] = resp["body"]["breakpoints"]
        resp = c.request("setFunctionBreakpoints", {
            "breakpoints": [{"name": "logs"}, {"name": "not a name"}]}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        out["functions"] = resp["body"]["breakpoints"]
        return out

    def _check_answers(self, res):
        m = markers(LOOPS)
        loops = res["loops"]
        # Verified by the runtime from a stat (the program, held before its
        # first line, has not loaded it): at the requested lines. The comment
        # line moves to the next code by a `breakpoint` event when it loads
        # (_run_to_end).
        self.assertEqual([(b["verified"], b["line"]) for b in loops],
                         [(True, m["comment_line"]), (True, m["done"])], loops)
        # A module not imported (never, here), an existing file: verified.
        later = res["later"][0]
        self.assertIs(later["verified"], True, later)
        self.assertEqual(later["line"], markers(LATER)["value"])
        # Not read either (never imported here): verified at its line; a
        # loaded file is read, and one that does not compile cannot load.
        broken = res["broken"][0]
        self.assertEqual((broken["verified"], broken["line"]), (True, 1), broken)
        missing = res["missing"][0]
        self.assertIs(missing["verified"], False, missing)
        self.assertIn("No such file or directory", missing["message"])
        funcs = res["functions"]
        self.assertEqual([b["verified"] for b in funcs], [True, False], funcs)
        return [b["id"] for b in loops]

    def _run_to_end(self, c, ids):
        m = markers(LOOPS)
        ev = c.wait_event("stopped", TIMEOUT)["body"]
        self.assertEqual(ev["reason"], "function breakpoint", ev)
        c.request("continue", {"threadId": ev["threadId"]}, TIMEOUT)
        for bp_id, line in zip(ids, (m["moved_target"], m["done"])):
            ev = c.wait_event("stopped", TIMEOUT)["body"]
            self.assertEqual(ev["reason"], "breakpoint", ev)
            self.assertEqual(ev["hitBreakpointIds"], [bp_id], ev)
            top = c.request("stackTrace", {"threadId": ev["threadId"]},
                            TIMEOUT)["body"]["stackFrames"][0]
            self.assertEqual(top["line"], line, top)
            c.request("continue", {"threadId": ev["threadId"]}, TIMEOUT)
        out = c.collect_output("terminated", TIMEOUT)
        self.assertIn("loops done\n", out.get("stdout", ""))
        # One change when loops.py loaded: the comment line moved to the
        # next line with code (same id); the rest was right in the responses.
        changed = [e["body"] for e in c.events("breakpoint")]
        self.assertEqual([(b["reason"], b["breakpoint"]["id"], b["breakpoint"]["verified"],
                           b["breakpoint"]["line"]) for b in changed],
                         [("changed", ids[0], True, m["moved_target"])], changed)
        self.disconnect(c)

    # ---- editors' orders ------------------------------------------------------
    def test_vscode_order_breakpoints_verified_in_response(self):
        # VS Code (and the DebugClient of @vscode/debugadapter-testsupport):
        # initialize, launch, wait `initialized`, breakpoints,
        # configurationDone; the launch response is not awaited.
        c = self.client()
        self.initialize(c)
        launch = c.send_request("launch", self._launch())
        c.wait_event("initialized", TIMEOUT)
        res = self._set_all(c)
        exc = c.request("setExceptionBreakpoints", {"filters": []}, TIMEOUT)
        self.assertTrue(exc["success"], exc)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        self.assertTrue(c.wait_response(launch, TIMEOUT)["success"])
        self._run_to_end(c, self._check_answers(res))

    def test_nvim_order_breakpoints_verified_in_response(self):
        # nvim-dap: launch right after the initialize response; on
        # `initialized`: setBreakpoints per buffer, then
        # setExceptionBreakpoints, then configurationDone; each awaited.
        c = self.client()
        self.initialize(c)
        launch = c.send_request("launch", self._launch(
            type="python", request="launch", name="Launch file"))
        c.wait_event("initialized", TIMEOUT)
        res = self._set_all(c)
        exc = c.request("setExceptionBreakpoints", {"filters": ["uncaught"]},
                        TIMEOUT)
        self.assertTrue(exc["success"], exc)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        self.assertTrue(c.wait_response(launch, TIMEOUT)["success"])
        # nvim-dap's own keys (type, request, name) are not "unknown".
        self.assertEqual([o for o in c.output("console").splitlines()
                          if "not supported" in o], [])
        self._run_to_end(c, self._check_answers(res))

    def test_breakpoints_sent_before_initialized(self):
        # A client that does not wait for `initialized`: the requests that
        # come while the program starts are answered once the runtime can,
        # verified in their responses too.
        c = self.client()
        self.initialize(c)
        launch = c.send_request("launch", self._launch())
        res = self._set_all(c)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        self.assertTrue(c.wait_response(launch, TIMEOUT)["success"])
        self.assertTrue(c.events("initialized"))
        self._run_to_end(c, self._check_answers(res))

    def test_breakpoints_before_launch_verified_by_event(self):
        # Before `launch` no program exists: the breakpoint is kept,
        # answered "pending", and verified by a `breakpoint` event (at the
        # requested line: the program has not loaded the file yet), then
        # moved by another when the file loads.
        m = markers(LOOPS)
        c = self.client()
        self.initialize(c)
        resp = c.request("setBreakpoints", {
            "source": {"path": LOOPS},
            "breakpoints": [{"line": m["comment_line"]}]}, TIMEOUT)
        bp = resp["body"]["breakpoints"][0]
        self.assertIs(bp["verified"], False, bp)
        self.assertEqual(bp["reason"], "pending", bp)
        launch = c.send_request("launch", self._launch())
        c.wait_event("initialized", TIMEOUT)
        ev = c.wait_event("breakpoint", TIMEOUT)["body"]
        self.assertEqual(ev["reason"], "changed")
        self.assertEqual((ev["breakpoint"]["id"], ev["breakpoint"]["verified"],
                          ev["breakpoint"]["line"]),
                         (bp["id"], True, m["comment_line"]), ev)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        self.assertTrue(c.wait_response(launch, TIMEOUT)["success"])
        ev = c.wait_event("breakpoint", TIMEOUT)["body"]
        self.assertEqual((ev["reason"], ev["breakpoint"]["id"], ev["breakpoint"]["verified"],
                          ev["breakpoint"]["line"]),
                         ("changed", bp["id"], True, m["moved_target"]), ev)
        stop = c.wait_event("stopped", TIMEOUT)["body"]
        self.assertEqual(stop["hitBreakpointIds"], [bp["id"]], stop)
        top = c.request("stackTrace", {"threadId": stop["threadId"]},
                        TIMEOUT)["body"]["stackFrames"][0]
        self.assertEqual(top["line"], m["moved_target"], top)
        c.request("continue", {"threadId": stop["threadId"]}, TIMEOUT)
        c.collect_output("terminated", TIMEOUT)
        self.assertEqual(len(c.events("breakpoint")), 2)
        self.disconnect(c)

    def test_no_debug_initialized_at_once(self):
        c = self.client()
        self.initialize(c)
        resp = c.request("launch", self._launch(noDebug=True), TIMEOUT)
        self.assertTrue(resp["success"], resp)
        c.wait_event("initialized", TIMEOUT)
        res = c.request("setBreakpoints", {
            "source": {"path": LOOPS},
            "breakpoints": [{"line": markers(LOOPS)["done"]}]}, TIMEOUT)
        bp = res["body"]["breakpoints"][0]
        self.assertIs(bp["verified"], False, bp)
        self.assertIn("noDebug", bp["message"])
        exc = c.request("setExceptionBreakpoints", {"filters": ["raised"]},
                        TIMEOUT)["body"]["breakpoints"]
        self.assertEqual([(b["verified"], "noDebug" in b["message"])
                          for b in exc], [(False, True)], exc)
        c.request("configurationDone", None, TIMEOUT)
        out = c.collect_output("terminated", TIMEOUT)
        self.assertIn("loops done\n", out.get("stdout", ""))
        self.assertEqual(c.events("stopped"), [])
        self.disconnect(c)

    # ---- the program's environment --------------------------------------------
    def test_environment_is_the_users(self):
        # The user's own DAPPER_* variable reaches the program; those the
        # adapter adds for the runtime do not; PYTHONUNBUFFERED is the
        # user's (none here) while the output streams are unbuffered.
        env = dict(ENV, DAPPER_MODE="1", PYTHONUNBUFFERED=None)
        r = self.run_program(self.launch_args(code=ENV_REPORT, env=env))
        self.assertEqual(r.exit_code, 0)
        report = json.loads(r.out("stdout"))
        self.assertEqual(report, {
            "dapper": ["DAPPER_MODE"], "DAPPER_MODE": "1",
            "PYTHONUNBUFFERED": None, "stdout_raw": "FileIO",
            "write_through": True, "flags_unbuffered": False})

    # ---- what the adapter does not take ------------------------------------------
    def test_unknown_launch_keys_named_once(self):
        launch = self.launch_args(
            program=LOOPS, env=dict(ENV), console="internalConsole",
            justMyCode=False, pathMappings=[], subProcess=True,
            stopOnEntyr=True, type="python", request="launch", name="Run",
            __sessionId="0c6b", __configurationTarget=6, debugServer=4711)
        r = self.run_program(launch)
        self.assertEqual(r.exit_code, 0)
        lines = [line for line in r.out("console").splitlines()
                 if "not supported" in line]
        self.assertEqual(lines, [
            'dapper: launch key '
            '"stopOnEntyr" is not supported and ignored '
            '(docs/configuration.md lists the keys)'])

    def test_attach_says_what_to_use(self):
        c = self.client()
        self.initialize(c)
        resp = c.request("attach", {"connect": {"port": 5678}}, TIMEOUT)
        self.assertFalse(resp["success"])
        text = error_text(resp)
        self.assertIn("no program to attach to", text)
        self.assertIn('"launch"', text)
        self.assertIn("--listen PORT -- program.py", text)
        r = c.request("disconnect", {}, TIMEOUT)
        self.assertTrue(r["success"], r)

    def test_unsupported_python_reported_once(self):
        py = python310()
        if py is None:
            self.skipTest("no pyenv Python 3.10 found")
        c = self.client()
        self.initialize(c)
        resp = c.request("launch", self.launch_args(python=py, program=LOOPS),
                         TIMEOUT)
        self.assertFalse(resp["success"], "launch with Python 3.10 succeeded")
        self.assertIn("3.10", error_text(resp))
        c.wait_event("terminated", TIMEOUT)
        time.sleep(0.2)
        # The reason was the launch error; the program never ran.
        self.assertEqual(c.events("exited"), [])
        self.assertEqual(c.output("console"), "")
        self.assertEqual(c.output("stdout"), "")
        self.assertEqual(c.events("initialized"), [])
        self.disconnect(c)


class StdioConfigurationTests(ConfigurationTests, DapTestCase):
    transport = "stdio"


class TcpConfigurationTests(ConfigurationTests, DapTestCase):
    transport = "tcp"
