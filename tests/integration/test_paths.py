"""Paths and the program's surroundings: `pathMappings` with a fake remote
root (the program runs from a copy; the client only knows the original
files), `envFile`, `redirectOutput`, and the `restart` request.
"""

import json
import os
import shutil
import tempfile
import unittest

from dap_client import terminate_process
from harness import TIMEOUT, DapTestCase, error_text, sanitizer_reports

MAIN = """\
import sys
sys.path.insert(0, sys.argv[1])
import helper
import only_remote
total = helper.work(3)
total += only_remote.extra()
print("total", total)
"""

HELPER = """\
def work(n):
    result = n * 2  # BREAK
    return result
"""

ONLY_REMOTE = """\
def extra():
    value = 1  # BREAK
    return value
"""

LOOP = """\
import sys
runs = sys.argv[1:]
for i in range(3):
    x = i  # BREAK
print("args", runs, flush=True)
"""

ENV_PRINT = """\
import json, os
names = ["PLAIN", "QUOTED", "SINGLE", "EXPANDED", "OVERRIDDEN", "FROM_ENV", "GONE"]
print(json.dumps({k: os.environ.get(k) for k in names}))
"""

CHATTY = """\
import sys
print("to stdout")
print("to stderr", file=sys.stderr)
sys.exit(4)
"""


def break_line(text):
    for n, line in enumerate(text.splitlines(), 1):
        if "# BREAK" in line:
            return n
    raise AssertionError("no # BREAK")


class PathTests(DapTestCase):
    transport = "stdio"

    def write(self, path, text):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def remote_tree(self):
        """local/ (what the client has) and remote/ (a copy the program
        runs from), with vendored/ mapped elsewhere on the remote side and a
        module that exists only on the remote side."""
        local = os.path.join(self.tmp, "local")
        remote = os.path.join(self.tmp, "remote")
        remote_lib = os.path.join(self.tmp, "remote_lib")
        self.write(os.path.join(local, "main.py"), MAIN)
        self.write(os.path.join(local, "vendored", "helper.py"), HELPER)
        shutil.copytree(local, remote)
        shutil.rmtree(os.path.join(remote, "vendored"))
        self.write(os.path.join(remote_lib, "helper.py"), HELPER)
        self.write(os.path.join(remote_lib, "only_remote.py"), ONLY_REMOTE)
        return local, remote, remote_lib

    def begin(self, c, launch):
        """initialize + launch; returns the launch seq once `initialized`
        came (or the failed launch response)."""
        self.initialize(c)
        seq = c.send_request("launch", launch)
        first = c.wait_message(
            lambda m: m.get("event") == "initialized"
            or (m.get("type") == "response" and m.get("request_seq") == seq),
            TIMEOUT, "`initialized` or the launch response", consume=False)
        if first.get("type") == "response" and not first["success"]:
            return c.wait_response(seq, TIMEOUT)
        c.wait_event("initialized", TIMEOUT)
        return seq

    def finish_config(self, c, seq):
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        resp = c.wait_response(seq, TIMEOUT)
        self.assertTrue(resp["success"], "launch failed: %s" % error_text(resp))

    def stack(self, c, stopped):
        st = c.request("stackTrace", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        self.assertTrue(st["success"], st)
        return st["body"]["stackFrames"]

    # ---- pathMappings -----------------------------------------------------------
    def test_path_mappings_breakpoints_frames_and_sources(self):
        local, remote, remote_lib = self.remote_tree()
        local_helper = os.path.join(local, "vendored", "helper.py")
        # Nested local roots: local/vendored is elsewhere on the remote side
        # than local/ (the longest root wins); the other way round, remote/
        # and remote_lib/ are unrelated, and remote_lib/only_remote.py has no
        # local file.
        mappings = [{"localRoot": local + "/", "remoteRoot": remote},
                    {"localRoot": os.path.join(local, "vendored"),
                     "remoteRoot": remote_lib}]
        c = self.client()
        seq = self.begin(c, self.launch_args(
            program=os.path.join(remote, "main.py"), args=[remote_lib],
            cwd=remote, pathMappings=mappings))
        line = break_line(HELPER)
        resp = c.request("setBreakpoints", {
            "source": {"path": local_helper}, "breakpoints": [{"line": line}]}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        bp = resp["body"]["breakpoints"][0]
        self.finish_config(c, seq)
        stopped = c.wait_event("stopped", TIMEOUT)
        self.assertEqual(stopped["body"]["reason"], "breakpoint")
        frames = self.stack(c, stopped)
        self.assertEqual([(f["source"].get("path"), f["line"]) for f in frames[:2]],
                         [(local_helper, line),
                          (os.path.join(local, "main.py"), 5)])
        self.assertNotIn("sourceReference", frames[0]["source"])
        # The breakpoint's events name the client's file, never the copy.
        for ev in c.events("breakpoint"):
            src = ev["body"]["breakpoint"].get("source") or {}
            if "path" in src:
                self.assertEqual(src["path"], local_helper, ev)
        self.assertTrue(any(ev["body"]["breakpoint"]["id"] == bp["id"]
                            and ev["body"]["breakpoint"]["verified"]
                            for ev in c.events("breakpoint")) or bp["verified"])
        # The same file's text, asked by its local path, is read where the
        # program runs (the remote copy says so in a comment).
        with open(os.path.join(remote_lib, "helper.py"), "a") as f:
            f.write("# remote copy\n")
        src = c.request("source", {"source": {"path": local_helper}}, TIMEOUT)
        self.assertTrue(src["success"], src)
        self.assertIn("# remote copy", src["body"]["content"])
        # loadedSources and modules speak of the local paths too.
        loaded = c.request("loadedSources", {}, TIMEOUT)
        paths = [s.get("path") for s in loaded["body"]["sources"]]
        self.assertIn(local_helper, paths)
        self.assertFalse([p for p in paths if p and p.startswith(remote_lib + "/helper")])
        mods = c.request("modules", {}, TIMEOUT)
        helper_mod = [m for m in mods["body"]["modules"] if m["name"] == "helper"]
        self.assertEqual([m.get("path") for m in helper_mod], [local_helper])

        # A breakpoint in a file that is only on the remote side, set by its
        # local (mapped) name: its frame shows that name with a reference
        # whose text the runtime reads from the remote file.
        only_local_name = os.path.join(local, "vendored", "only_remote.py")
        resp = c.request("setBreakpoints", {
            "source": {"path": only_local_name},
            "breakpoints": [{"line": break_line(ONLY_REMOTE)}]}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        c.request("continue", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        stopped = c.wait_event("stopped", TIMEOUT)
        top = self.stack(c, stopped)[0]
        self.assertEqual((top["source"]["path"], top["line"]),
                         (only_local_name, break_line(ONLY_REMOTE)))
        ref = top["source"].get("sourceReference")
        self.assertIsInstance(ref, int, top)
        text = c.request("source", {"source": top["source"], "sourceReference": ref}, TIMEOUT)
        self.assertTrue(text["success"], text)
        self.assertEqual(text["body"]["content"], ONLY_REMOTE)
        c.request("continue", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        self.assertEqual(c.wait_event("exited", TIMEOUT)["body"]["exitCode"], 0)
        c.wait_event("terminated", TIMEOUT)
        self.assertIn("total 7", c.output("stdout"))
        self.disconnect(c)

    def test_path_mappings_lazy_breakpoint_event(self):
        # A breakpoint set through a mapped path in a module not loaded yet
        # is answered at its line; the `breakpoint` event that moves it when
        # the module loads names the client's file, not the program's copy.
        local = os.path.join(self.tmp, "lazy_local")
        remote = os.path.join(self.tmp, "lazy_remote")
        for root in (local, remote):
            self.write(os.path.join(root, "main.py"),
                       "import lazymod\nprint('value', lazymod.VALUE)\n")
            self.write(os.path.join(root, "lazymod.py"),
                       "# a comment: the breakpoint moves to the next line\nVALUE = 5\n")
        local_mod = os.path.join(local, "lazymod.py")
        c = self.client()
        seq = self.begin(c, self.launch_args(
            program=os.path.join(remote, "main.py"), cwd=remote,
            pathMappings=[{"localRoot": local, "remoteRoot": remote}]))
        resp = c.request("setBreakpoints", {
            "source": {"path": local_mod}, "breakpoints": [{"line": 1}]}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        bp = resp["body"]["breakpoints"][0]
        self.assertEqual((bp["verified"], bp["line"], bp["source"]["path"]),
                         (True, 1, local_mod), bp)
        self.finish_config(c, seq)
        ev = c.wait_event("breakpoint", TIMEOUT)["body"]
        self.assertEqual((ev["reason"], ev["breakpoint"]["id"], ev["breakpoint"]["line"],
                          ev["breakpoint"]["source"]["path"]),
                         ("changed", bp["id"], 2, local_mod), ev)
        stopped = c.wait_event("stopped", TIMEOUT)
        top = self.stack(c, stopped)[0]
        self.assertEqual((top["source"]["path"], top["line"]), (local_mod, 2))
        c.request("continue", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        self.assertEqual(c.wait_event("exited", TIMEOUT)["body"]["exitCode"], 0)
        c.wait_event("terminated", TIMEOUT)
        self.assertIn("value 5", c.output("stdout"))
        self.disconnect(c)

    def test_exception_info_and_unmapped_paths(self):
        local, remote, remote_lib = self.remote_tree()
        failing = self.write(os.path.join(remote, "fail.py"),
                             "import json\n"
                             "def bad(v):\n"
                             "    raise ValueError(v)\n"
                             "json.loads('[1]', object_pairs_hook=bad)\n"
                             "json.loads('{\"a\": 1}', object_pairs_hook=bad)\n")
        c = self.client()
        seq = self.begin(c, self.launch_args(
            program=failing, cwd=remote,
            pathMappings=[{"localRoot": local, "remoteRoot": remote}]))
        c.request("setExceptionBreakpoints", {"filters": ["uncaught"]}, TIMEOUT)
        self.finish_config(c, seq)
        stopped = c.wait_event("stopped", TIMEOUT)
        self.assertEqual(stopped["body"]["reason"], "exception")
        frames = self.stack(c, stopped)
        paths = [f["source"].get("path") for f in frames]
        local_fail = os.path.join(local, "fail.py")
        self.assertEqual(paths[0], local_fail)
        # The standard library is under no root: unchanged.
        self.assertTrue(any(p and p.endswith(os.path.join("json", "decoder.py"))
                            and not p.startswith(local) for p in paths), paths)
        info = c.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        self.assertTrue(info["success"], info)
        trace = info["body"]["details"]["stackTrace"]
        self.assertIn('File "%s"' % local_fail, trace)
        self.assertNotIn('File "%s"' % failing, trace)
        self.disconnect(c)

    def test_bad_path_mappings_fail_the_launch(self):
        c = self.client()
        resp = self.begin(c, self.launch_args(
            code="pass", pathMappings=[{"localRoot": "/x"}]))
        self.assertIsInstance(resp, dict)
        self.assertFalse(resp["success"])
        self.assertIn('"pathMappings"[0] needs "remoteRoot"', error_text(resp))

    # ---- envFile ----------------------------------------------------------------
    def env_file(self, text):
        return self.write(os.path.join(self.tmp, "cfg", "app.env"), text)

    def test_env_file_values_and_env_wins(self):
        self.env_file("# settings\n"
                      "export PLAIN=plain value\n"
                      "QUOTED=\"line1\\nline2 ${PLAIN}\"\n"
                      "SINGLE='${PLAIN} as is'\n"
                      "EXPANDED=${HOME_FOR_TEST:-none}/x\n"
                      "OVERRIDDEN=from file\n"
                      "GONE=from file\n")
        prog = self.write(os.path.join(self.tmp, "env_print.py"), ENV_PRINT)
        result = self.run_program(self.launch_args(
            program=prog, cwd=os.path.join(self.tmp, "cfg"), envFile="app.env",
            env={"OVERRIDDEN": "from env", "FROM_ENV": "env only", "GONE": None}))
        got = json.loads(result.out("stdout").strip().splitlines()[-1])
        self.assertEqual(got, {"PLAIN": "plain value", "QUOTED": "line1\nline2 plain value",
                               "SINGLE": "${PLAIN} as is", "EXPANDED": "none/x",
                               "OVERRIDDEN": "from env", "FROM_ENV": "env only",
                               "GONE": None})

    def test_env_file_missing_or_bad_fails_the_launch(self):
        missing = os.path.join(self.tmp, "nope.env")
        c = self.client()
        resp = self.begin(c, self.launch_args(code="pass", envFile=missing))
        self.assertFalse(resp["success"])
        self.assertIn('envFile "%s": cannot read it: No such file or directory' % missing,
                      error_text(resp))
        bad = self.env_file("A=1\n\nthis is not an assignment\n")
        c = self.client()
        resp = self.begin(c, self.launch_args(code="pass", envFile=bad))
        self.assertFalse(resp["success"])
        self.assertIn('envFile "%s" line 3: expected' % bad, error_text(resp))

    # ---- redirectOutput ---------------------------------------------------------
    def test_redirect_output_false_keeps_output_from_the_client(self):
        prog = self.write(os.path.join(self.tmp, "chatty.py"), CHATTY)
        quiet = self.run_program(self.launch_args(program=prog, redirectOutput=False))
        self.assertEqual((quiet.out("stdout"), quiet.out("stderr")), ("", ""))
        self.assertEqual(quiet.client.events("exited")[0]["body"]["exitCode"], 4)
        loud = self.run_program(self.launch_args(program=prog))
        self.assertEqual(loud.out("stdout"), "to stdout\n")
        self.assertEqual(loud.out("stderr"), "to stderr\n")

    def test_redirect_output_must_be_a_boolean(self):
        c = self.client()
        resp = self.begin(c, self.launch_args(code="pass", redirectOutput="yes"))
        self.assertFalse(resp["success"])
        self.assertIn('"redirectOutput" must be true or false', error_text(resp))

    # ---- restart ----------------------------------------------------------------
    def test_restart_keeps_breakpoints_and_stops_again(self):
        prog = self.write(os.path.join(self.tmp, "loop.py"), LOOP)
        line = break_line(LOOP)
        c = self.client()
        caps = self.initialize(c)
        self.assertTrue(caps.get("supportsRestartRequest"), caps)
        launch = self.launch_args(program=prog, args=["first"])
        seq = c.send_request("launch", launch)
        c.wait_event("initialized", TIMEOUT)
        c.request("setBreakpoints", {"source": {"path": prog},
                                     "breakpoints": [{"line": line}]}, TIMEOUT)
        # Raised exceptions stop too: the filter must survive the restart.
        c.request("setExceptionBreakpoints", {"filters": ["uncaught"]}, TIMEOUT)
        self.finish_config(c, seq)
        stopped = c.wait_event("stopped", TIMEOUT)
        first_pid = c.events("process")[0]["body"]["systemProcessId"]
        self.assertEqual(self.stack(c, stopped)[0]["line"], line)

        # Same configuration.
        resp = c.request("restart", {}, TIMEOUT)
        self.assertTrue(resp["success"], "restart failed: %s" % error_text(resp))
        stopped = c.wait_event("stopped", TIMEOUT)
        self.assertEqual(self.stack(c, stopped)[0]["line"], line)
        self.assertEqual(len(c.events("exited")), 1, "one exited for the old program")
        self.assertEqual(c.events("terminated"), [], "a restart does not end the session")
        self.assertEqual(len(c.events("initialized")), 1)
        pids = [e["body"]["systemProcessId"] for e in c.events("process")]
        self.assertEqual(len(pids), 2, pids)
        self.assertNotEqual(pids[1], first_pid)

        # New arguments from the client (its edited configuration).
        launch2 = dict(launch, args=["second", "run"])
        resp = c.request("restart", {"arguments": launch2}, TIMEOUT)
        self.assertTrue(resp["success"], "restart failed: %s" % error_text(resp))
        stopped = c.wait_event("stopped", TIMEOUT)
        frame = self.stack(c, stopped)[0]
        self.assertEqual(frame["line"], line)
        r = c.request("evaluate", {"expression": "runs", "frameId": frame["id"],
                                   "context": "watch"}, TIMEOUT)
        self.assertEqual(r["body"]["result"], "['second', 'run']")
        c.request("setBreakpoints", {"source": {"path": prog}, "breakpoints": []}, TIMEOUT)
        c.request("continue", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        self.assertEqual(c.wait_event("exited", TIMEOUT,
                                      predicate=lambda e: e["body"]["exitCode"] == 0)
                         ["body"]["exitCode"], 0)
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(len(c.events("exited")), 3)
        self.assertIn("args ['second', 'run']", c.output("stdout"))
        self.disconnect(c)

    def test_restart_with_bad_arguments_keeps_the_program(self):
        prog = self.write(os.path.join(self.tmp, "loop.py"), LOOP)
        c = self.client()
        seq = self.begin(c, self.launch_args(program=prog))
        c.request("setBreakpoints", {"source": {"path": prog},
                                     "breakpoints": [{"line": break_line(LOOP)}]}, TIMEOUT)
        self.finish_config(c, seq)
        stopped = c.wait_event("stopped", TIMEOUT)
        resp = c.request("restart", {"arguments": {"python": "/nonexistent/python3",
                                                   "program": prog}}, TIMEOUT)
        self.assertFalse(resp["success"])
        self.assertIn("/nonexistent/python3", error_text(resp))
        # The old program is still there, stopped.
        self.assertEqual(self.stack(c, stopped)[0]["line"], break_line(LOOP))
        self.assertEqual(c.events("exited"), [])
        self.disconnect(c)


class TerminalPathTests(DapTestCase):
    """redirectOutput and restart with the program in a terminal (the client
    runs runInTerminal's argv in a pseudo-terminal, as test_terminal.py)."""
    transport = "stdio"

    def setUp(self):
        super().setUp()
        self.ptys = []
        self.addCleanup(lambda: [p.close() for p in self.ptys])

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_in_terminal(self, c):
        from test_terminal import Pty, respond, terminal_env
        req = c.wait_message(lambda m: m.get("type") == "request"
                             and m.get("command") == "runInTerminal",
                             TIMEOUT, "the runInTerminal request")
        args = req["arguments"]
        self.terminal_args = args
        term = Pty(args["args"], args["cwd"], terminal_env(args))
        self.ptys.append(term)
        self.pids.append(term.proc.pid)
        respond(c, req, body={"processId": term.proc.pid})
        return term

    def launch_in_terminal(self, c, program, breakpoints=(), **kw):
        resp = c.request("initialize", {
            "clientID": "dapper-integration-tests", "adapterID": "dapper",
            "linesStartAt1": True, "columnsStartAt1": True, "pathFormat": "path",
            "supportsRunInTerminalRequest": True}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        seq = c.send_request("launch", self.launch_args(program=program, **kw))
        term = self.run_in_terminal(c)
        c.wait_event("initialized", TIMEOUT)
        if breakpoints:
            c.request("setBreakpoints", {"source": {"path": program},
                                         "breakpoints": [{"line": n} for n in breakpoints]},
                      TIMEOUT)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        resp = c.wait_response(seq, TIMEOUT)
        self.assertTrue(resp["success"], "launch failed: %s" % error_text(resp))
        return term

    def test_redirect_output_in_terminal_also_reaches_the_client(self):
        prog = self.write("chatty.py", CHATTY)
        env_file = self.write("t.env", "FROM_FILE=yes\nBOTH=file\n")
        c = self.client()
        term = self.launch_in_terminal(c, prog, redirectOutput=True, envFile=env_file,
                                       env={"BOTH": "env"})
        # envFile reaches the terminal's command too, under `env`.
        env = self.terminal_args["env"]
        self.assertEqual((env.get("FROM_FILE"), env.get("BOTH")), ("yes", "env"))
        term.wait_for("to stdout")
        term.wait_for("to stderr")
        self.assertEqual(c.wait_event("exited", TIMEOUT)["body"]["exitCode"], 4)
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(c.output("stdout"), "to stdout\n")
        self.assertEqual(c.output("stderr"), "to stderr\n")
        self.disconnect(c)

    def test_restart_in_terminal_stops_again(self):
        prog = self.write("loop.py", LOOP)
        line = break_line(LOOP)
        c = self.client()
        self.launch_in_terminal(c, prog, breakpoints=[line])
        stopped = c.wait_event("stopped", TIMEOUT)
        seq = c.send_request("restart", {})
        term = self.run_in_terminal(c)
        resp = c.wait_response(seq, TIMEOUT)
        self.assertTrue(resp["success"], "restart failed: %s" % error_text(resp))
        stopped = c.wait_event("stopped", TIMEOUT)
        st = c.request("stackTrace", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        self.assertEqual(st["body"]["stackFrames"][0]["line"], line)
        self.assertEqual(len(c.events("exited")), 1)
        self.assertEqual(c.events("terminated"), [])
        c.request("setBreakpoints", {"source": {"path": prog}, "breakpoints": []}, TIMEOUT)
        c.request("continue", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        term.wait_for("args []")
        c.wait_event("terminated", TIMEOUT)
        self.disconnect(c)


class AttachPathTests(unittest.TestCase):
    """pathMappings on attach: the program runs from the remote copy under
    `dapper-adapter --listen`; the client knows only the local files."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dapper-it-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_attach_with_path_mappings_and_no_restart(self):
        from test_attach import ListeningAdapter
        local = os.path.join(self.tmp, "local")
        remote = os.path.join(self.tmp, "remote")
        os.makedirs(local)
        with open(os.path.join(local, "loop.py"), "w") as f:
            f.write(LOOP)
        shutil.copytree(local, remote)
        a = ListeningAdapter(os.path.join(remote, "loop.py"), wait=True)
        self.addCleanup(terminate_process, a.proc)
        c = a.connect()
        self.addCleanup(c.close)
        self.assertTrue(c.request("initialize", {"adapterID": "dapper"}, TIMEOUT)["success"])
        seq = c.send_request("attach", {
            "connect": {"port": a.port}, "envFile": "/x.env", "cwd": "/",
            "pathMappings": [{"localRoot": local, "remoteRoot": remote}]})
        c.wait_event("initialized", TIMEOUT)
        local_loop = os.path.join(local, "loop.py")
        bps = c.request("setBreakpoints", {"source": {"path": local_loop},
                                           "breakpoints": [{"line": break_line(LOOP)}]},
                        TIMEOUT)
        self.assertTrue(bps["body"]["breakpoints"][0]["verified"], bps)
        self.assertEqual(bps["body"]["breakpoints"][0]["source"]["path"], local_loop)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        self.assertTrue(c.wait_response(seq, TIMEOUT)["success"])
        stopped = c.wait_event("stopped", TIMEOUT)
        st = c.request("stackTrace", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        top = st["body"]["stackFrames"][0]
        self.assertEqual((top["source"]["path"], top["line"]), (local_loop, break_line(LOOP)))
        self.assertIn('dapper: attach keys "cwd", "envFile" are for launch only and ignored',
                      c.output("console"))
        resp = c.request("restart", {}, TIMEOUT)
        self.assertFalse(resp["success"])
        self.assertIn("restart is not supported for an attached program", error_text(resp))
        c.request("disconnect", {"terminateDebuggee": True}, TIMEOUT)
        a.proc.wait(TIMEOUT)  # the program ended, and the adapter with it
        self.assertEqual(sanitizer_reports(a.stderr.text()), [])

    def test_attach_listen_with_path_mappings(self):
        """The container case: the client's adapter waits (attach `listen`),
        the program runs from the remote copy with `dapper-adapter
        --connect`."""
        from test_inprocess import Program, free_port
        from dap_client import DapClient
        from harness import CONFIG, adapter_env
        local = os.path.join(self.tmp, "local")
        remote = os.path.join(self.tmp, "remote")
        os.makedirs(local)
        with open(os.path.join(local, "loop.py"), "w") as f:
            f.write(LOOP)
        shutil.copytree(local, remote)
        port = free_port()
        c = DapClient.spawn_stdio(CONFIG.adapter, env=adapter_env())
        self.addCleanup(c.close)
        self.assertTrue(c.request("initialize", {"adapterID": "dapper"}, TIMEOUT)["success"])
        seq = c.send_request("attach", {
            "listen": {"port": port}, "envFile": "/x.env",
            "pathMappings": [{"localRoot": local, "remoteRoot": remote}]})
        c.wait_output("waiting for the program on 127.0.0.1:%d" % port, timeout=TIMEOUT)
        p = Program([CONFIG.adapter, "--connect", "127.0.0.1:%d" % port, "--python",
                     CONFIG.python, "--", os.path.join(remote, "loop.py")], adapter_env())
        self.addCleanup(terminate_process, p.proc)
        c.wait_event("initialized", TIMEOUT)
        local_loop = os.path.join(local, "loop.py")
        bps = c.request("setBreakpoints", {"source": {"path": local_loop},
                                           "breakpoints": [{"line": break_line(LOOP)}]},
                        TIMEOUT)
        self.assertTrue(bps["body"]["breakpoints"][0]["verified"], bps)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        self.assertTrue(c.wait_response(seq, TIMEOUT)["success"])
        stopped = c.wait_event("stopped", TIMEOUT)
        st = c.request("stackTrace", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        top = st["body"]["stackFrames"][0]
        self.assertEqual((top["source"]["path"], top["line"]), (local_loop, break_line(LOOP)))
        self.assertIn('dapper: attach key "envFile" is for launch only', c.output("console"))
        resp = c.request("restart", {}, TIMEOUT)
        self.assertFalse(resp["success"])
        self.assertIn("restart is not supported for an attached program", error_text(resp))
        c.request("setBreakpoints", {"source": {"path": local_loop}, "breakpoints": []}, TIMEOUT)
        c.request("disconnect", {}, TIMEOUT)
        self.assertEqual(p.proc.wait(TIMEOUT), 0)
        self.assertIn("args []", p.stdout.text())
        c.close_input()
        c.proc.wait(TIMEOUT)
        self.assertEqual(sanitizer_reports(c.stderr.text() + p.stderr.text()), [])
