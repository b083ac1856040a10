"""`attach` with `connect`: a program started by `dapper-adapter --listen`
runs with the runtime; clients attach, set breakpoints, detach (the program
runs on) and attach again; the adapter ends with the program."""

import os
import re
import subprocess
import unittest

from dap_client import DapClient, _StreamDrain, terminate_process
from harness import CONFIG, TIMEOUT, adapter_env, error_text, program, sanitizer_reports

COUNTER = program("attach_counter.py")


def break_line(path):
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            if "# BREAK" in text:
                return n
    raise AssertionError("no # BREAK in %s" % path)


class ListeningAdapter:
    """`dapper-adapter --listen 0 ... -- program args`, its stdout and
    stderr collected."""

    LISTEN_RE = r"dapper-adapter: listening on 127\.0\.0\.1:([0-9]+)\r?\n"

    def __init__(self, *argv, wait=False):
        cmd = [CONFIG.adapter, "--listen", "0", "--python", CONFIG.python]
        if wait:
            cmd.append("--wait-for-client")
        cmd += ["--"] + list(argv)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     env=adapter_env(), bufsize=0)
        self.stderr = _StreamDrain(self.proc.stderr, "listen-stderr")
        self.stdout = _StreamDrain(self.proc.stdout, "listen-stdout")
        self.port = int(self.stderr.wait_for(self.LISTEN_RE, TIMEOUT).group(1))

    def connect(self):
        return DapClient.connect_tcp(self.port)

    def ticks(self):
        found = re.findall(r"tick (\d+)", self.stdout.text())
        return int(found[-1]) if found else 0


class AttachTests(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.clients = []
        self.adapters = []

    def tearDown(self):
        problems = []
        for c in self.clients:
            problems += ["%s: %s" % (c.name, p) for p in c.protocol_problems()]
            c.close()
        for a in self.adapters:
            terminate_process(a.proc)
            problems += sanitizer_reports(a.stderr.text())
        self.assertEqual(problems, [])

    def listen(self, *argv, wait=False):
        a = ListeningAdapter(*argv, wait=wait)
        self.adapters.append(a)
        return a

    def attach(self, adapter, line, **extra):
        """initialize, attach, a breakpoint at line, configurationDone."""
        c = adapter.connect()
        self.clients.append(c)
        resp = c.request("initialize", {"adapterID": "dapper",
                                        "linesStartAt1": True,
                                        "columnsStartAt1": True}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        args = {"connect": {"host": "127.0.0.1", "port": adapter.port}}
        args.update(extra)
        seq = c.send_request("attach", args)
        c.wait_event("initialized", TIMEOUT)
        bps = c.request("setBreakpoints", {"source": {"path": COUNTER},
                                           "breakpoints": [{"line": line}]},
                        TIMEOUT)
        self.assertTrue(bps["success"], bps)
        self.assertTrue(bps["body"]["breakpoints"][0]["verified"], bps)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        resp = c.wait_response(seq, TIMEOUT)
        self.assertTrue(resp["success"], "attach failed: %s" % error_text(resp))
        process = c.events("process")
        self.assertEqual(process[0]["body"]["startMethod"], "attach")
        return c

    def stopped_at(self, c, line):
        """Waits for a breakpoint stop at line; returns (thread, count)."""
        ev = c.wait_event("stopped", TIMEOUT)
        self.assertEqual(ev["body"]["reason"], "breakpoint")
        tid = ev["body"]["threadId"]
        st = c.request("stackTrace", {"threadId": tid}, TIMEOUT)
        top = st["body"]["stackFrames"][0]
        self.assertEqual((top["source"]["path"], top["line"]), (COUNTER, line))
        r = c.request("evaluate", {"expression": "count", "frameId": top["id"],
                                   "context": "watch"}, TIMEOUT)
        self.assertTrue(r["success"], r)
        return tid, int(r["body"]["result"])

    def test_wait_for_client_breakpoint_and_exit_code(self):
        line = break_line(COUNTER)
        a = self.listen(COUNTER, "3", wait=True)
        self.assertEqual(a.ticks(), 0, "the program ran before the client came")
        c = self.attach(a, line, justMyCode=True)
        tid, count = self.stopped_at(c, line)
        self.assertEqual(count, 1, "--wait-for-client: the first pass stops")
        c.request("setBreakpoints", {"source": {"path": COUNTER},
                                     "breakpoints": []}, TIMEOUT)
        self.assertTrue(c.request("continue", {"threadId": tid}, TIMEOUT)["success"])
        exited = c.wait_event("exited", TIMEOUT)
        self.assertEqual(exited["body"]["exitCode"], 5)
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(a.proc.wait(TIMEOUT), 5,
                         "the adapter exits with the program's exit code")
        self.assertIn("finished 3", a.stdout.text(),
                      "the program's output goes to the adapter's stdout")

    def backends(self):
        """The backends an attach can choose on this Python (evalframe on
        3.12+ is left out: it finds only code that starts after it was
        installed, docs/configuration.md, "`attach`")."""
        version = subprocess.run(
            [CONFIG.python, "-c", "import sys; print(sys.version_info[1])"],
            stdout=subprocess.PIPE, timeout=TIMEOUT, check=True).stdout
        if int(version) == 11:
            return ["instrumented", "tracing", "evalframe"]
        return ["monitoring", "tracing"]

    def test_detach_and_reattach(self):
        self.detach_and_reattach({})

    def test_detach_and_reattach_every_backend(self):
        for backend in self.backends():
            with self.subTest(backend=backend):
                self.detach_and_reattach({"frameEval": {
                    "backend": backend, "fallback_on_error": False}})

    def detach_and_reattach(self, extra):
        line = break_line(COUNTER)
        a = self.listen(COUNTER, "100000")
        a.stdout.wait_for(r"tick 5\b", TIMEOUT)  # runs without a client
        c = self.attach(a, line, **extra)
        tid, first = self.stopped_at(c, line)
        self.assertGreaterEqual(first, 5)
        # Detach while running: the breakpoint must not hold it any more.
        self.assertTrue(c.request("continue", {"threadId": tid}, TIMEOUT)["success"])
        self.assertTrue(c.request("disconnect", {}, TIMEOUT)["success"])
        c.close()
        a.stdout.wait_for(r"tick %d\b" % (first + 20), TIMEOUT)
        self.assertIsNone(a.proc.poll(), "the adapter ended with the client")
        c2 = self.attach(a, line, **extra)
        tid, again = self.stopped_at(c2, line)
        self.assertGreaterEqual(again, first + 20,
                                "the program did not run on after detach")
        r = c2.request("disconnect", {"terminateDebuggee": True}, TIMEOUT * 2)
        self.assertTrue(r["success"], r)
        self.assertEqual(len(c2.events("exited")), 1)
        self.assertNotEqual(a.proc.wait(TIMEOUT), 0)

    def test_attach_without_listen_says_how(self):
        c = DapClient.spawn_stdio(CONFIG.adapter, env=adapter_env())
        self.clients.append(c)
        c.request("initialize", {"adapterID": "dapper"}, TIMEOUT)
        resp = c.request("attach", {"connect": {"port": 5678}}, TIMEOUT)
        self.assertFalse(resp["success"])
        self.assertIn("--listen", error_text(resp))
        c.close_input()
        c.proc.wait(TIMEOUT)

    def test_bad_connect_is_refused(self):
        a = self.listen(COUNTER, "100000")
        c = a.connect()
        self.clients.append(c)
        c.request("initialize", {"adapterID": "dapper"}, TIMEOUT)
        resp = c.request("attach", {"connect": {"port": "x"}}, TIMEOUT)
        self.assertFalse(resp["success"])
        self.assertIn("connect", error_text(resp))
        # One client at a time: a second connection is closed at once.
        other = a.connect()
        self.clients.append(other)
        other.wait_closed(TIMEOUT)
        # The first client is still served.
        resp = c.request("threads", None, TIMEOUT)
        self.assertTrue(resp["success"], resp)

    def test_command_line(self):
        def run(*args, cwd=None):
            return subprocess.run([CONFIG.adapter] + list(args),
                                  stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=TIMEOUT * 2,
                                  env=adapter_env(), cwd=cwd)
        r = run("--listen", "0")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"-- program.py", r.stderr)
        r = run("--wait-for-client")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"needs --listen", r.stderr)
        # -c, a non-loopback host (the --host warning), the exit code.
        r = run("--listen", "0.0.0.0:0", "--python", CONFIG.python, "--",
                "-c", "import sys; print('argv', sys.argv[1:]); sys.exit(4)",
                "a b")
        self.assertEqual(r.returncode, 4, r)
        self.assertIn(b"WARNING", r.stderr)
        self.assertIn(b"argv ['a b']", r.stdout)
        # -m, run from the program's directory as python -m would be.
        r = run("--listen", "127.0.0.1:0", "--python", CONFIG.python, "--",
                "-m", "attach_counter", "2", cwd=os.path.dirname(COUNTER))
        self.assertEqual(r.returncode, 5, r)
        self.assertIn(b"finished 2", r.stdout)
