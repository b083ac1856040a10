"""`console`: a program run in a terminal through the client's
`runInTerminal`, the way VS Code and nvim-dap do it. The test client answers
runInTerminal by really running the argv in a pseudo-terminal (its
controlling terminal, as a terminal emulator's shell would), types into it
and reads the program's output back from it. Also: a client that refuses,
a program that never connects, ending the program, the rendezvous socket's
protections, and `internalConsole`.
"""

import errno
import fcntl
import os
import re
import signal
import socket
import stat
import subprocess
import termios
import threading
import time

from harness import TIMEOUT, DapTestCase, error_text, process_gone

# The adapter's deadline for the program to connect (HELLO_DEADLINE_MS).
CONNECT_DEADLINE = 15.0

GREET = """\
import os, sys
name = input("name? ")
greeting = "hello " + name  # BREAK
print(greeting.upper())
print("env", sorted(k for k in os.environ if k.startswith("DAPPER_")))
sys.exit(7)
"""

INTERRUPT = """\
import sys, time
try:
    print("looping", flush=True)
    while True:
        time.sleep(0.05)
except KeyboardInterrupt:
    print("interrupted by Ctrl-C")
    sys.exit(3)
"""

HARD_EXIT = """\
import os
print("bye", flush=True)
os._exit(5)
"""


class Pty:
    """A pseudo-terminal running argv as its session's foreground process,
    with everything it prints collected."""

    def __init__(self, argv, cwd, env):
        master, slave = os.openpty()
        self.master = master
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave,
            start_new_session=True, close_fds=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self._buf = b""
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError as e:  # EIO once the last slave closed
                if e.errno != errno.EIO:
                    raise
                data = b""
            with self._cond:
                if not data:
                    self.closed = True
                    self._cond.notify_all()
                    return
                self._buf += data
                self._cond.notify_all()

    closed = False

    def text(self):
        with self._cond:
            return self._buf.decode("utf-8", "replace")

    def wait_for(self, text, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        with self._cond:
            while text.encode() not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    raise AssertionError("the terminal never showed %r; it shows %r"
                                         % (text, self._buf.decode("utf-8", "replace")))
                self._cond.wait(left)

    def type(self, data):
        os.write(self.master, data.encode())

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)
        self._thread.join(5)
        os.close(self.master)


def respond(c, req, success=True, body=None, message=None):
    """Answers a reverse request from the adapter."""
    with c._write_lock:
        seq = c.seq
        c.seq += 1
    msg = {"seq": seq, "type": "response", "request_seq": req["seq"],
           "command": req["command"], "success": success}
    if body is not None:
        msg["body"] = body
    if message is not None:
        msg["message"] = message
    c.send_message(msg)


def terminal_env(args):
    """What a terminal gives the command: our environment with runInTerminal's
    env applied (a null removes)."""
    env = dict(os.environ)
    for k, v in (args.get("env") or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


class TerminalTests:
    """Mixed into one TestCase per transport (see the end of the file)."""

    def setUp(self):
        super().setUp()
        self.ptys = []
        self.addCleanup(self._close_ptys)

    def _close_ptys(self):
        for p in self.ptys:
            p.close()

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def init(self, c, run_in_terminal=True):
        resp = c.request("initialize", {
            "clientID": "dapper-integration-tests", "adapterID": "dapper",
            "linesStartAt1": True, "columnsStartAt1": True, "pathFormat": "path",
            "supportsRunInTerminalRequest": run_in_terminal}, TIMEOUT)
        self.assertTrue(resp["success"], resp)

    def run_in_terminal(self, c, argv=None):
        """Waits for runInTerminal, runs its argv (or argv) in a pty and
        answers with the process id; returns (request, Pty)."""
        req = c.wait_message(lambda m: m.get("type") == "request"
                             and m.get("command") == "runInTerminal",
                             TIMEOUT, "the runInTerminal request")
        args = req["arguments"]
        # No null values of the adapter's own: VS Code runs a null as
        # `env ... -u NAME` after the assignments, which env(1) refuses.
        self.assertEqual([k for k, v in args["env"].items() if v is None], [],
                         "runInTerminal env with null values")
        term = Pty(argv or args["args"], args["cwd"], terminal_env(args))
        self.ptys.append(term)
        self.pids.append(term.proc.pid)
        respond(c, req, body={"processId": term.proc.pid})
        return req, term

    def launch_in_terminal(self, c, program, breakpoints=(), **kw):
        """initialize, launch, runInTerminal, breakpoints, configurationDone;
        returns (runInTerminal arguments, Pty)."""
        self.init(c)
        launch_seq = c.send_request("launch", self.launch_args(program=program, **kw))
        req, term = self.run_in_terminal(c)
        c.wait_event("initialized", TIMEOUT)
        if breakpoints:
            resp = c.request("setBreakpoints", {
                "source": {"path": program},
                "breakpoints": [{"line": n} for n in breakpoints]}, TIMEOUT)
            self.assertTrue(all(b["verified"] for b in resp["body"]["breakpoints"]), resp)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        resp = c.wait_response(launch_seq, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        return req["arguments"], term

    def top_line(self, c, stopped):
        st = c.request("stackTrace", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        return st["body"]["stackFrames"][0]["line"]

    # ---- the program in a terminal ---------------------------------------------
    def test_input_breakpoint_and_exit_code_in_integrated_terminal(self):
        prog = self.write("greet.py", GREET)
        c = self.client()
        args, term = self.launch_in_terminal(c, prog, breakpoints=[3])
        self.assertEqual(args["kind"], "integrated")
        self.assertTrue(os.path.isabs(args["args"][0]), args["args"])
        self.assertEqual(args["args"][1:], [prog])
        self.assertNotIn("DAPPER_RUNTIME_FD", args["env"])
        process = c.wait_event("process", TIMEOUT)
        self.assertEqual(process["body"]["systemProcessId"], term.proc.pid)
        # input() reads what is typed in the terminal.
        term.wait_for("name? ")
        term.type("world\n")
        stopped = c.wait_event("stopped", TIMEOUT)
        self.assertEqual(stopped["body"]["reason"], "breakpoint")
        self.assertEqual(self.top_line(c, stopped), 3)
        c.request("continue", {"threadId": stopped["body"]["threadId"]}, TIMEOUT)
        # Its output goes to the terminal, not to output events.
        term.wait_for("HELLO WORLD")
        term.wait_for("env []")  # the runtime's variables are gone
        exited = c.wait_event("exited", TIMEOUT)
        self.assertEqual(exited["body"]["exitCode"], 7)
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(term.proc.wait(5), 7)
        self.assertNotIn("HELLO", c.output("stdout"))
        self.disconnect(c)

    def test_ctrl_c_raises_keyboard_interrupt_in_external_terminal(self):
        prog = self.write("interrupt.py", INTERRUPT)
        c = self.client()
        args, term = self.launch_in_terminal(c, prog, console="externalTerminal")
        self.assertEqual(args["kind"], "external")
        term.wait_for("looping")
        term.type("\x03")  # the terminal's Ctrl-C: SIGINT to its foreground job
        term.wait_for("interrupted by Ctrl-C")
        exited = c.wait_event("exited", TIMEOUT)
        self.assertEqual(exited["body"]["exitCode"], 3)
        c.wait_event("terminated", TIMEOUT)
        self.disconnect(c)

    def test_exit_without_status_is_reported_unknown(self):
        prog = self.write("hard_exit.py", HARD_EXIT)
        c = self.client()
        # subProcess false: with child processes on, os._exit reports its
        # status (test_children.py); here it must end without a word.
        _, term = self.launch_in_terminal(c, prog, subProcess=False)
        term.wait_for("bye")
        exited = c.wait_event("exited", TIMEOUT)
        self.assertEqual(exited["body"]["exitCode"], -1)
        c.wait_event("terminated", TIMEOUT)
        self.assertIn("without reporting its exit code", c.output("console"))
        self.assertEqual(term.proc.wait(5), 5)
        self.disconnect(c)

    # ---- ending it ---------------------------------------------------------------
    def test_disconnect_while_stopped_ends_the_program(self):
        prog = self.write("greet.py", GREET)
        c = self.client()
        _, term = self.launch_in_terminal(c, prog, breakpoints=[3])
        term.wait_for("name? ")
        term.type("x\n")
        c.wait_event("stopped", TIMEOUT)
        resp = c.request("disconnect", {}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        self.assertEqual(term.proc.wait(5), -signal.SIGTERM)
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], -signal.SIGTERM)

    def test_client_gone_while_stopped_ends_the_program(self):
        prog = self.write("greet.py", GREET)
        c = self.client()
        _, term = self.launch_in_terminal(c, prog, breakpoints=[3])
        term.wait_for("name? ")
        term.type("x\n")
        c.wait_event("stopped", TIMEOUT)
        self.assertEqual(self.hang_up(c), [])
        term.proc.wait(5)
        self.assertTrue(process_gone(term.proc.pid)[0])

    # ---- failures ------------------------------------------------------------------
    def test_client_refuses_run_in_terminal(self):
        prog = self.write("greet.py", GREET)
        c = self.client()
        self.init(c)
        launch_seq = c.send_request("launch", self.launch_args(program=prog))
        req = c.wait_message(lambda m: m.get("command") == "runInTerminal"
                             and m.get("type") == "request", TIMEOUT, "runInTerminal")
        respond(c, req, success=False, message="no terminal in this client")
        resp = c.wait_response(launch_seq, TIMEOUT)
        self.assertFalse(resp["success"])
        self.assertIn("could not run the program in a terminal: no terminal in this client",
                      error_text(resp))
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(c.events("exited"), [])
        self.disconnect(c)

    def test_program_that_never_connects_fails_the_launch(self):
        c = self.client()
        self.init(c)
        t0 = time.monotonic()
        launch_seq = c.send_request("launch", self.launch_args(
            program=self.write("greet.py", GREET)))
        # The client runs something else than what it was asked to.
        self.run_in_terminal(c, argv=["/bin/sh", "-c", "echo not the program; sleep 30"])
        resp = c.wait_response(launch_seq, CONNECT_DEADLINE + TIMEOUT)
        elapsed = time.monotonic() - t0
        self.assertFalse(resp["success"])
        self.assertIn("did not connect to the debugger within 15 s", error_text(resp))
        self.assertLess(elapsed, CONNECT_DEADLINE + 3)
        c.wait_event("terminated", TIMEOUT)
        self.disconnect(c)

    def test_terminal_console_needs_a_client_that_has_one(self):
        c = self.client()
        self.init(c, run_in_terminal=False)
        resp = c.request("launch", self.launch_args(
            program=self.write("greet.py", GREET), console="integratedTerminal"), TIMEOUT)
        self.assertFalse(resp["success"])
        self.assertIn("supportsRunInTerminalRequest", error_text(resp))
        bad = c.request("launch", self.launch_args(
            program=self.write("greet.py", GREET), console="tty"), TIMEOUT)
        self.assertFalse(bad["success"])
        self.assertIn('"tty" is not one of', error_text(bad))
        self.disconnect(c)

    def test_internal_console_keeps_stdin_empty(self):
        prog = self.write("greet.py", GREET)
        c = self.client()
        self.init(c)
        launch_seq = c.send_request("launch", self.launch_args(
            program=prog, console="internalConsole"))
        c.wait_event("initialized", TIMEOUT)
        c.request("configurationDone", None, TIMEOUT)
        self.assertTrue(c.wait_response(launch_seq, TIMEOUT)["success"])
        exited = c.wait_event("exited", TIMEOUT)
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(exited["body"]["exitCode"], 1)
        self.assertIn("EOFError", c.output("stderr"))
        self.assertFalse([m for m in c.messages if m.get("type") == "request"])
        self.disconnect(c)

    def test_no_debug_runs_in_the_internal_console(self):
        c = self.client()
        self.init(c)
        launch_seq = c.send_request("launch", self.launch_args(
            code="print('plain run')", noDebug=True))
        c.wait_event("initialized", TIMEOUT)
        c.request("configurationDone", None, TIMEOUT)
        self.assertTrue(c.wait_response(launch_seq, TIMEOUT)["success"])
        self.assertEqual(c.wait_event("exited", TIMEOUT)["body"]["exitCode"], 0)
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(c.output("stdout"), "plain run\n")
        self.assertIn("noDebug runs the program", c.output("console"))
        self.assertFalse([m for m in c.messages if m.get("type") == "request"])
        self.disconnect(c)

    # ---- the rendezvous ----------------------------------------------------------
    def test_socket_is_private_and_needs_the_secret(self):
        prog = self.write("greet.py", GREET)
        c = self.client()
        self.init(c)
        launch_seq = c.send_request("launch", self.launch_args(program=prog))
        req = c.wait_message(lambda m: m.get("command") == "runInTerminal"
                             and m.get("type") == "request", TIMEOUT, "runInTerminal")
        env = req["arguments"]["env"]
        path, secret = env["DAPPER_RUNTIME_SOCKET"], env["DAPPER_RUNTIME_SECRET"]
        self.assertRegex(secret, r"^[0-9a-f]{64}$")
        mode = stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)
        self.assertEqual(mode, 0o700)
        # A wrong secret: the adapter hangs up.
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(TIMEOUT)
        s.connect(path)
        s.sendall(("0" * 64 + "\n").encode())
        self.assertEqual(s.recv(100), b"")
        s.close()
        # The real program still gets in, once; then the socket is gone.
        args = req["arguments"]
        term = Pty(args["args"], args["cwd"], terminal_env(args))
        self.ptys.append(term)
        self.pids.append(term.proc.pid)
        respond(c, req, body={"processId": term.proc.pid})
        c.wait_event("initialized", TIMEOUT)
        c.request("configurationDone", None, TIMEOUT)
        self.assertTrue(c.wait_response(launch_seq, TIMEOUT)["success"])
        self.assertFalse(os.path.exists(path))
        self.assertFalse(os.path.exists(os.path.dirname(path)))
        term.wait_for("name? ")
        term.type("again\n")
        term.wait_for("HELLO AGAIN")
        self.assertEqual(c.wait_event("exited", TIMEOUT)["body"]["exitCode"], 7)
        self.disconnect(c)


class StdioTerminalTests(TerminalTests, DapTestCase):
    transport = "stdio"


class TcpTerminalTests(TerminalTests, DapTestCase):
    transport = "tcp"
