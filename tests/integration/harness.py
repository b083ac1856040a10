"""Shared pieces of the integration tests: the configuration set by run.py,
the per-transport base class, and helpers that run a debug session the way
an editor does.

Standard library only.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from dap_client import DapClient, TcpAdapter

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "programs")

# Deadlines, in seconds. A hang fails the test after these.
TIMEOUT = 6.0           # a response or an event of a short program
SMOKE_TIMEOUT = 3.0     # initialize on a fresh connection
PROCESS_GONE = 5.0      # a process must be gone this long after being ended


class Config:
    adapter = None      # path of the dapper-adapter binary
    python = None       # path of the debuggee interpreter


CONFIG = Config()


def program(name):
    return os.path.join(PROGRAMS, name)


def adapter_env():
    """The environment the adapter runs in: ours plus REMOVED=1 (which the
    env tests ask the adapter to remove for the debuggee)."""
    env = dict(os.environ)
    env["REMOVED"] = "1"
    return env


def run_direct(argv, cwd=None, env=None, timeout=TIMEOUT):
    """Runs argv with the plain interpreter; returns CompletedProcess with
    bytes stdout/stderr."""
    return subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)


def error_text(resp):
    """What a client can show for a failed response: `message` and the
    structured `body.error.format` with its variables substituted."""
    parts = [resp.get("message") or ""]
    err = (resp.get("body") or {}).get("error") or {}
    fmt = err.get("format")
    if isinstance(fmt, str):
        for k, v in (err.get("variables") or {}).items():
            fmt = fmt.replace("{%s}" % k, str(v))
        parts.append(fmt)
    return " | ".join(p for p in parts if p)


def process_gone(pid, adapter_pid=None):
    """(gone, why). A zombie counts as gone unless its parent is the
    adapter (which must reap its debuggee). A zombie that is our own child
    (we are a child subreaper, see run.py) is reaped here."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True, "gone"
    except PermissionError:
        return False, "exists (not ours)"
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return True, "gone"
    fields = stat[stat.rindex(")") + 2:].split()
    state, ppid = fields[0], int(fields[1])
    if state == "Z":
        if ppid == os.getpid():
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            return True, "zombie reaped by the test driver"
        if adapter_pid is not None and ppid == adapter_pid:
            return False, "zombie child of the adapter (not reaped)"
        return True, "zombie of pid %d (not the adapter's)" % ppid
    return False, "still running (state %s, parent %d)" % (state, ppid)


def wait_processes_gone(pids, adapter_pid=None, timeout=PROCESS_GONE):
    """Waits until every pid is gone; returns {pid: why} of those left."""
    deadline = time.monotonic() + timeout
    while True:
        left = {}
        for pid in pids:
            gone, why = process_gone(pid, adapter_pid)
            if not gone:
                left[pid] = why
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


class SessionResult:
    def __init__(self, client, launch_response):
        self.client = client
        self.launch_response = launch_response
        self.output = client.collect_output("terminated", TIMEOUT)
        exited = client.events("exited")
        self.exit_code = exited[0]["body"]["exitCode"] if exited else None

    def out(self, category):
        return self.output.get(category, "")


class DapTestCase(unittest.TestCase):
    """Base of the tests that talk to an adapter. Subclasses set
    `transport` to "stdio" or "tcp"; over TCP one adapter started with
    `--port 0` serves every test of the class, one after another."""

    transport = None
    server = None
    maxDiff = 4000

    broken = None  # why the adapter cannot do a handshake at all

    @classmethod
    def setUpClass(cls):
        # A quick handshake first: when the adapter cannot even answer
        # initialize, every test fails at once with that reason instead of
        # each one waiting for its own deadlines.
        cls.broken = None
        try:
            if cls.transport == "tcp":
                cls.server = TcpAdapter.start(CONFIG.adapter,
                                              env=adapter_env())
            problem = smoke_check(cls.transport, cls.server)
        except AssertionError as e:
            problem = str(e)
        if problem:
            cls.broken = "the adapter fails a plain handshake over %s: %s" % (
                cls.transport, problem)

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.stop()
            cls.server = None

    def setUp(self):
        if self.broken:
            self.fail(self.broken)
        self.clients = []
        self.pids = []           # debuggee pids to kill if a test leaves them
        self.tmp = tempfile.mkdtemp(prefix="dapper-it-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.addCleanup(self._kill_leftovers)

    def _kill_leftovers(self):
        for pid in self.pids:
            gone, _ = process_gone(pid)
            if not gone:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        # Reaps those that became our children (we are a subreaper), so no
        # zombie outlives the run.
        wait_processes_gone(self.pids, timeout=2.0)

    def tearDown(self):
        problems = []
        for c in self.clients:
            for p in c.protocol_problems():
                problems.append("%s: %s" % (c.name, p))
            problems.extend(self.hang_up(c))
        if self.server is not None:
            if not self.server.alive():
                problems.append("the TCP adapter died (status %r); stderr:\n%s"
                                % (self.server.proc.returncode,
                                   self.server.stderr.text()[-3000:]))
                type(self).server = TcpAdapter.start(CONFIG.adapter,
                                                     env=adapter_env())
            else:
                problems.extend(sanitizer_reports(self.server.stderr.text()))
                # The server must serve the next client whatever this test
                # did; if it cannot, a fresh one keeps later tests honest.
                problem = smoke_check("tcp", self.server)
                if problem:
                    problems.append("the TCP adapter does not serve a new "
                                    "client after this test: %s" % problem)
                    self.server.stop()
                    type(self).server = TcpAdapter.start(CONFIG.adapter,
                                                         env=adapter_env())
        if problems:
            self.fail("protocol problems:\n  " + "\n  ".join(problems))

    def hang_up(self, c):
        """Closes the connection as an editor does after disconnect;
        returns problems seen (adapter crash, sanitizer reports). Over
        stdio: closes the adapter's stdin and gives it 3 s to exit."""
        if getattr(c, "hung_up", False):
            return []
        c.hung_up = True
        if c.proc is None:
            c.close()
            return []
        problems = []
        c.close_input()
        try:
            c.proc.wait(3.0)
        except subprocess.TimeoutExpired:
            pass
        status = c.proc.poll()
        c.close()
        if status is not None and status < 0 and status != -signal.SIGTERM:
            problems.append("%s: the adapter died of signal %d"
                            % (c.name, -status))
        problems.extend(sanitizer_reports(c.stderr.text()))
        return problems

    # ---- sessions -----------------------------------------------------------
    def client(self):
        """A new connection to an adapter over this class's transport."""
        if self.transport == "stdio":
            c = DapClient.spawn_stdio(CONFIG.adapter, env=adapter_env())
        else:
            c = self.server.connect()
        self.clients.append(c)
        return c

    def transcript(self):
        parts = [c.transcript() for c in self.clients]
        if self.server is not None:
            err = self.server.stderr.text()
            if err:
                parts.append("--- TCP adapter stderr (tail):\n" + err[-3000:])
        return "\n".join(parts)

    def initialize(self, c):
        resp = c.request("initialize", {
            "clientID": "dapper-integration-tests",
            "clientName": "dapper integration tests",
            "adapterID": "dapper", "locale": "en-US",
            "linesStartAt1": True, "columnsStartAt1": True,
            "pathFormat": "path", "supportsRunInTerminalRequest": False,
        }, TIMEOUT)
        self.assertTrue(resp["success"], "initialize failed: %r" % (resp,))
        return resp.get("body") or {}

    def launch_args(self, **kw):
        args = {"python": CONFIG.python}
        args.update(kw)
        return args

    def start(self, c, launch, order="vscode"):
        """initialize + launch + configurationDone in an editor's order;
        returns the launch response (success or not).

        vscode: initialize, launch, wait `initialized`, configurationDone.
        nvim:   nvim-dap's: initialize, launch, wait `initialized`,
                setExceptionBreakpoints (its defaults), configurationDone,
                each awaited.
        """
        self.initialize(c)
        if order == "vscode":
            launch_seq = c.send_request("launch", launch)
            first = c.wait_message(
                lambda m: m.get("event") == "initialized"
                or (m.get("type") == "response"
                    and m.get("request_seq") == launch_seq),
                TIMEOUT, "`initialized` or the launch response",
                consume=False)
            if first.get("type") == "response" and not first["success"]:
                return c.wait_response(launch_seq, TIMEOUT)
            c.wait_event("initialized", TIMEOUT)
            done_seq = c.send_request("configurationDone")
            resp = c.wait_response(launch_seq, TIMEOUT)
            done = c.wait_response(done_seq, TIMEOUT)
            if resp["success"]:
                self.assertTrue(done["success"],
                                "configurationDone failed: %r" % (done,))
        else:
            launch_seq = c.send_request("launch", launch)
            first = c.wait_message(
                lambda m: m.get("event") == "initialized"
                or (m.get("type") == "response"
                    and m.get("request_seq") == launch_seq),
                TIMEOUT, "`initialized` or the launch response",
                consume=False)
            if first.get("type") == "response" and not first["success"]:
                return c.wait_response(launch_seq, TIMEOUT)
            c.wait_event("initialized", TIMEOUT)
            exc = c.request("setExceptionBreakpoints",
                            {"filters": ["uncaught"]}, TIMEOUT)
            self.assertTrue(exc["success"],
                            "setExceptionBreakpoints failed: %r" % (exc,))
            done = c.request("configurationDone", None, TIMEOUT)
            self.assertTrue(done["success"],
                            "configurationDone failed: %r" % (done,))
            resp = c.wait_response(launch_seq, TIMEOUT)
        return resp

    def run_program(self, launch, order="vscode", timeout=TIMEOUT):
        """Runs a program to its end; returns a SessionResult after
        checking the end of session: `process`, then one `exited`, then
        `terminated`, and no output after `exited`."""
        c = self.client()
        resp = self.start(c, launch, order)
        self.assertTrue(resp["success"], "launch failed: %r" % (resp,))
        c.wait_event("terminated", timeout)
        result = SessionResult(c, resp)
        self.check_end_of_session(c)
        self.disconnect(c)
        self.assertEqual(self.hang_up(c), [])
        return result

    def check_end_of_session(self, c):
        exited = c.index_of(lambda m: m.get("event") == "exited")
        terminated = c.index_of(lambda m: m.get("event") == "terminated")
        process = c.index_of(lambda m: m.get("event") == "process")
        self.assertIsNotNone(process, "no process event")
        body = c.messages[process].get("body") or {}
        self.assertIsInstance(body.get("systemProcessId"), int,
                              "process event without systemProcessId")
        self.assertIsNotNone(exited, "no exited event")
        self.assertEqual(len(c.events("exited")), 1, "more than one exited")
        self.assertEqual(len(c.events("terminated")), 1,
                         "more than one terminated")
        self.assertLess(process, exited, "process event after exited")
        self.assertLess(exited, terminated, "terminated before exited")
        late = [m for m in c.messages[exited + 1:] if m.get("event") == "output"]
        self.assertEqual(late, [], "output events after exited")

    def disconnect(self, c, args=None):
        if c.closed:
            return None
        resp = c.request("disconnect", args if args is not None else {},
                         TIMEOUT)
        self.assertTrue(resp["success"], "disconnect failed: %r" % (resp,))
        return resp

    # ---- files --------------------------------------------------------------
    def odd_dir(self, name="dir with spaces ünï ✓"):
        """A directory whose name has spaces and non-ASCII characters."""
        path = os.path.join(self.tmp, name)
        os.makedirs(path, exist_ok=True)
        return path

    def copy_program(self, name, dest_dir, dest_name=None):
        dest = os.path.join(dest_dir, dest_name or name)
        shutil.copyfile(program(name), dest)
        return dest


def smoke_check(transport, server=None):
    """Connects, initializes and disconnects; returns None when that works
    within SMOKE_TIMEOUT per step, else what went wrong."""
    try:
        if transport == "tcp":
            c = DapClient.connect_tcp(server.port, timeout=SMOKE_TIMEOUT)
        else:
            c = DapClient.spawn_stdio(CONFIG.adapter, env=adapter_env())
    except OSError as e:
        return "cannot connect: %s" % e
    try:
        resp = c.request("initialize", {"adapterID": "dapper",
                                        "clientID": "dapper-smoke"},
                         SMOKE_TIMEOUT)
        if not resp.get("success"):
            return "initialize failed: %r" % (resp,)
        resp = c.request("disconnect", {}, SMOKE_TIMEOUT)
        if not resp.get("success"):
            return "disconnect failed: %r" % (resp,)
        return None
    except AssertionError as e:
        return "%s\n%s" % (e, c.transcript())
    finally:
        c.close()


def sanitizer_reports(stderr_text):
    """AddressSanitizer / UBSan reports in the adapter's stderr."""
    found = []
    for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:"):
        if marker in stderr_text:
            i = stderr_text.index(marker)
            found.append("sanitizer report in adapter stderr: %s" %
                         stderr_text[i:i + 600])
    return found


def parse_json_line(text):
    """The last non-empty line of text, parsed as JSON."""
    lines = [l for l in text.splitlines() if l.strip()]
    if not lines:
        raise AssertionError("expected a JSON line, got %r" % (text,))
    return json.loads(lines[-1])
