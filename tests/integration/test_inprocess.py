"""The two ways a program meets a debugger it did not launch, besides
--listen (test_attach.py):

- in the program: `import dapper; dapper.listen(0)` starts dapper-adapter
  for the running process; a client attaches with "connect", breakpoints in
  functions defined before it came are hit, dapper.breakpoint() stops on the
  caller's next line, detach lets the program run on, attach again works;
- attach "listen": the client's adapter waits on a port and the program,
  started with `dapper-adapter --connect HOST:PORT -- program.py`, connects
  its runtime to it.
"""

import os
import re
import socket
import subprocess
import time
import unittest

from dap_client import DapClient, _StreamDrain, terminate_process
from harness import (CONFIG, TIMEOUT, adapter_env, error_text, program,
                     sanitizer_reports, wait_processes_gone)

INPROC = program("inprocess_counter.py")
COUNTER = program("attach_counter.py")


def marked_line(path, mark):
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            if "# " + mark in text:
                return n
    raise AssertionError("no # %s in %s" % (mark, path))


def runtime_dir():
    out = subprocess.run([CONFIG.adapter, "--print-runtime-dir"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, timeout=TIMEOUT, check=True).stdout
    return out.decode().strip()


def dapper_env(**extra):
    env = adapter_env()
    env["PYTHONPATH"] = runtime_dir()
    env.pop("DAPPER_ADAPTER", None)
    env.update(extra)
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


class Program:
    """A process run directly, its stdout and stderr collected."""

    def __init__(self, argv, env):
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env, bufsize=0)
        self.stdout = _StreamDrain(self.proc.stdout, "program-stdout")
        self.stderr = _StreamDrain(self.proc.stderr, "program-stderr")

    def ticks(self):
        found = re.findall(r"tick (\d+)", self.stdout.text())
        return int(found[-1]) if found else 0


class InProcessTests(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.clients = []
        self.programs = []

    def tearDown(self):
        problems = []
        for c in self.clients:
            problems += ["%s: %s" % (c.name, p) for p in c.protocol_problems()]
            c.close()
        for p in self.programs:
            adapters = children(p.proc.pid)
            terminate_process(p.proc)
            for pid, why in wait_processes_gone(adapters).items():
                problems.append("adapter %d outlived the program: %s" % (pid, why))
            problems += sanitizer_reports(p.stderr.text())
        self.assertEqual(problems, [])

    def run_program(self, *argv, env=None):
        p = Program([CONFIG.python] + list(argv), env or dapper_env())
        self.programs.append(p)
        return p

    def initialize(self, c):
        resp = c.request("initialize", {"adapterID": "dapper", "linesStartAt1": True,
                                        "columnsStartAt1": True}, TIMEOUT)
        self.assertTrue(resp["success"], resp)

    def attach(self, port, path, line, args):
        """initialize, attach (args), a breakpoint at path:line,
        configurationDone; returns the client once attach succeeded."""
        c = DapClient.connect_tcp(port)
        self.clients.append(c)
        self.initialize(c)
        seq = c.send_request("attach", args)
        c.wait_event("initialized", TIMEOUT)
        bps = c.request("setBreakpoints", {"source": {"path": path},
                                           "breakpoints": [{"line": line}]}, TIMEOUT)
        self.assertTrue(bps["success"], bps)
        self.assertTrue(bps["body"]["breakpoints"][0]["verified"], bps)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        resp = c.wait_response(seq, TIMEOUT)
        self.assertTrue(resp["success"], "attach failed: %s" % error_text(resp))
        self.assertEqual(c.events("process")[0]["body"]["startMethod"], "attach")
        return c

    def stopped_at(self, c, path, line, reason):
        """Waits for a stop at path:line; returns (thread, top frame)."""
        ev = c.wait_event("stopped", TIMEOUT)
        self.assertEqual(ev["body"]["reason"], reason, ev)
        tid = ev["body"]["threadId"]
        st = c.request("stackTrace", {"threadId": tid}, TIMEOUT)
        top = st["body"]["stackFrames"][0]
        self.assertEqual((top["source"]["path"], top["line"]), (path, line))
        return tid, top

    def local(self, c, frame, name):
        scopes = c.request("scopes", {"frameId": frame["id"]}, TIMEOUT)["body"]["scopes"]
        ref = scopes[0]["variablesReference"]
        variables = c.request("variables", {"variablesReference": ref}, TIMEOUT)
        return {v["name"]: v["value"] for v in variables["body"]["variables"]}[name]

    # -- dapper.listen() ---------------------------------------------------

    def test_listen_in_program_detach_and_reattach(self):
        brk, after = marked_line(INPROC, "BREAK"), marked_line(INPROC, "AFTER")
        p = self.run_program(INPROC, "wait", "100000")
        m = p.stdout.wait_for(r"listening 127\.0\.0\.1 (\d+) client False\n", TIMEOUT)
        port = int(m.group(1))
        time.sleep(0.2)
        self.assertNotIn("attached", p.stdout.text(), "wait_for_client() did not wait")
        c = self.attach(port, INPROC, brk, {"connect": {"host": "127.0.0.1", "port": port}})
        p.stdout.wait_for(r"attached True True\n", TIMEOUT)
        # dapper.breakpoint() stops on the caller's next line.
        tid, top = self.stopped_at(c, INPROC, after, "pause")
        self.assertTrue(c.request("continue", {"threadId": tid}, TIMEOUT)["success"])
        # The breakpoint set before configurationDone, in a function that
        # was defined before the client came.
        tid, top = self.stopped_at(c, INPROC, brk, "breakpoint")
        self.assertEqual(self.local(c, top, "count"), "1")
        # Detach while stopped: the program runs on, with no client.
        self.assertTrue(c.request("disconnect", {}, TIMEOUT)["success"])
        c.close()
        m = p.stdout.wait_for(r"tick (\d+) client False\n", TIMEOUT)
        first = int(m.group(1))
        p.stdout.wait_for(r"tick %d client False\n" % (first + 20), TIMEOUT)
        self.assertIsNone(p.proc.poll())
        # Attach again: the breakpoint holds the running loop.
        c2 = self.attach(port, INPROC, brk, {"connect": {"port": port}})
        tid, top = self.stopped_at(c2, INPROC, brk, "breakpoint")
        self.assertGreaterEqual(int(self.local(c2, top, "count")), first + 20,
                                "the program did not run on after detach")
        adapters = children(p.proc.pid)
        self.assertEqual(len(adapters), 1, adapters)
        # Ending the program ends its adapter.
        r = c2.request("disconnect", {"terminateDebuggee": True}, TIMEOUT * 2)
        self.assertTrue(r["success"], r)
        self.assertEqual(len(c2.events("exited")), 1)
        self.assertNotEqual(p.proc.wait(TIMEOUT), 0)
        self.assertEqual(wait_processes_gone(adapters), {}, "the adapter outlived the program")

    def test_listen_runs_on_and_exits_with_its_code(self):
        p = self.run_program(INPROC, "run", "30")
        m = p.stdout.wait_for(r"listening 127\.0\.0\.1 (\d+) client False\n", TIMEOUT)
        adapters = children(p.proc.pid)
        self.assertEqual(p.proc.wait(TIMEOUT), 7)
        self.assertIn("finished 30", p.stdout.text())
        self.assertEqual(p.stderr.text(), "")
        self.assertEqual(wait_processes_gone(adapters), {}, "the adapter outlived the program")
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=1).close()

    def test_listen_errors(self):
        def run(code, **env):
            return subprocess.run([CONFIG.python, "-c", code], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=dapper_env(**env), timeout=TIMEOUT * 2)
        r = run("import dapper; dapper.listen(0, adapter='/nonexistent/dapper-adapter')")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"RuntimeError: dapper.listen(): dapper-adapter was not found", r.stderr)
        self.assertIn(b"/nonexistent/dapper-adapter (the adapter= argument)", r.stderr)
        r = run("import dapper; dapper.listen(0)", DAPPER_ADAPTER="/nowhere/adapter")
        self.assertIn(b"/nowhere/adapter (DAPPER_ADAPTER)", r.stderr)
        r = run("import dapper; dapper.listen('5678')")
        self.assertIn(b"TypeError: dapper.listen() takes a port or (host, port)", r.stderr)
        r = run("import dapper; dapper.wait_for_client()")
        self.assertIn(b"call dapper.listen() first", r.stderr)
        # Another host: the same warning as --host; the address is returned.
        r = run("import dapper; print(dapper.listen(('0.0.0.0', 0))[0]);"
                " print(dapper.is_client_connected()); dapper.breakpoint()")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), [b"0.0.0.0", b"False"])
        self.assertIn(b"WARNING: listening on 0.0.0.0", r.stderr)
        # Twice: a clear error naming the address in use.
        r = run("import dapper; a = dapper.listen(0); dapper.listen(0)")
        self.assertIn(b"dapper.listen() was called already: listening on 127.0.0.1:",
                      r.stderr)

    # -- attach "listen" + dapper-adapter --connect -------------------------

    def start_waiting(self, port, **listen):
        c = DapClient.spawn_stdio(CONFIG.adapter, env=adapter_env())
        self.clients.append(c)
        self.initialize(c)
        listen["port"] = port
        seq = c.send_request("attach", {"listen": listen})
        c.wait_output("waiting for the program on 127.0.0.1:%d" % port, timeout=TIMEOUT)
        return c, seq

    def test_attach_listen_with_connect(self):
        brk = marked_line(COUNTER, "BREAK")
        port = free_port()
        c, seq = self.start_waiting(port)
        p = Program([CONFIG.adapter, "--connect", "127.0.0.1:%d" % port, "--python",
                     CONFIG.python, "--", COUNTER, "3"], adapter_env())
        self.programs.append(p)
        c.wait_event("initialized", TIMEOUT)
        bps = c.request("setBreakpoints", {"source": {"path": COUNTER},
                                           "breakpoints": [{"line": brk}]}, TIMEOUT)
        self.assertTrue(bps["body"]["breakpoints"][0]["verified"], bps)
        time.sleep(0.2)
        self.assertEqual(p.ticks(), 0, "the program ran before configurationDone")
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        resp = c.wait_response(seq, TIMEOUT)
        self.assertTrue(resp["success"], error_text(resp))
        process = c.events("process")[0]["body"]
        self.assertEqual(process["startMethod"], "attach")
        self.assertEqual(process["systemProcessId"], p.proc.pid,
                         "--connect runs the program in its own process")
        tid, top = self.stopped_at(c, COUNTER, brk, "breakpoint")
        self.assertEqual(self.local(c, top, "count"), "1")
        self.assertTrue(c.request("continue", {"threadId": tid}, TIMEOUT)["success"])
        tid, top = self.stopped_at(c, COUNTER, brk, "breakpoint")
        self.assertEqual(self.local(c, top, "count"), "2")
        # Detach: the program finishes on its own, with its exit code.
        self.assertTrue(c.request("disconnect", {}, TIMEOUT)["success"])
        self.assertEqual(p.proc.wait(TIMEOUT), 5)
        self.assertIn("finished 3", p.stdout.text())
        self.assertEqual(c.events("exited"), [], "a detached program's end is not reported")
        c.close_input()
        c.proc.wait(TIMEOUT)

    def test_attach_listen_program_exit_is_reported(self):
        port = free_port()
        c, seq = self.start_waiting(port)
        p = Program([CONFIG.adapter, "--connect", str(port), "--python", CONFIG.python,
                     "--", "-c", "import sys; print('ran'); sys.exit(3)"], adapter_env())
        self.programs.append(p)
        c.wait_event("initialized", TIMEOUT)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        self.assertTrue(c.wait_response(seq, TIMEOUT)["success"])
        self.assertEqual(c.wait_event("exited", TIMEOUT)["body"]["exitCode"], 3)
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(p.proc.wait(TIMEOUT), 3)

    def test_attach_listen_nobody_connects(self):
        port = free_port()
        c, seq = self.start_waiting(port, timeout=1)
        resp = c.wait_response(seq, TIMEOUT)
        self.assertFalse(resp["success"])
        text = error_text(resp)
        self.assertIn("no program connected to 127.0.0.1:%d within 1 s" % port, text)
        self.assertIn("dapper-adapter --connect 127.0.0.1:%d" % port, text)
        resp = c.request("attach", {"listen": {"port": "x"}}, TIMEOUT)
        self.assertFalse(resp["success"])
        self.assertIn('"listen" must be', error_text(resp))

    def test_connect_command_line(self):
        def run(*args):
            return subprocess.run([CONFIG.adapter] + list(args), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=TIMEOUT * 3, env=adapter_env())
        r = run("--connect", "0", "--", COUNTER, "1")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"--connect needs the port", r.stderr)
        r = run("--connect", "5678")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn(b"-- program.py", r.stderr)
        r = run("--connect", "5678", "--listen", "0", "--", COUNTER, "1")
        self.assertEqual(r.returncode, 2, r)
        # Nobody waits there: the program runs without the debugger.
        r = run("--connect", "127.0.0.1:%d" % free_port(), "--python", CONFIG.python,
                "--", COUNTER, "2")
        self.assertEqual(r.returncode, 5, r)
        self.assertIn(b"finished 2", r.stdout)
        self.assertIn(b"could not connect to the debugger", r.stderr)


if __name__ == "__main__":
    unittest.main()
