"""`attach` with `processId`: a program started with the plain interpreter
(no runtime) gets the runtime injected through gdb; a breakpoint in the
function it is running is hit, a variable read; detach leaves it running
(its own counter goes on); attaching again works. Then every way it cannot
work, each with its clear error and the target unharmed."""

import os
import re
import shutil
import subprocess
import sys
import time
import unittest

from dap_client import DapClient, _StreamDrain, terminate_process
from harness import CONFIG, adapter_env, error_text, program, sanitizer_reports

LOOP = program("attach_pid_loop.py")
# Injection runs gdb, which reads the interpreter's symbols: a few seconds.
ATTACH_TIMEOUT = 30.0
TIMEOUT = 8.0
STRACE = shutil.which("strace")


def yama_forbids():
    """kernel.yama.ptrace_scope when it forbids this user's processes to
    attach to each other (1 or 2 without CAP_SYS_PTRACE, or 3), else None."""
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as f:
            scope = int(f.read())
        with open("/proc/self/status") as f:
            cap = int(re.search(r"CapEff:\s*([0-9a-f]+)", f.read()).group(1), 16)
    except (OSError, ValueError, AttributeError):
        return None
    if scope == 0 or (scope < 3 and cap >> 19 & 1):
        return None
    return scope


YAMA = yama_forbids()
needs_ptrace = unittest.skipIf(
    YAMA is not None,
    "kernel.yama.ptrace_scope is %s on this machine: no process may attach to "
    "another (test_yama_forbids_ptrace checks the error the user gets); "
    "`sudo sysctl kernel.yama.ptrace_scope=0` runs these tests" % YAMA)


def break_line(path):
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            if "# BREAK" in text:
                return n
    raise AssertionError("no # BREAK in %s" % path)


class Target:
    """A program run with a plain interpreter, its output collected."""

    def __init__(self, argv, preexec_fn=None):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0,
                                     preexec_fn=preexec_fn)
        self.pid = self.proc.pid
        self.out = _StreamDrain(self.proc.stdout, "target-out-%d" % self.pid)
        self.err = _StreamDrain(self.proc.stderr, "target-err-%d" % self.pid)

    def ticks(self):
        found = re.findall(r"tick (\d+) ", self.out.text())
        return int(found[-1]) if found else 0

    def wait_ticks_past(self, n, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ticks() > n:
                return self.ticks()
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("the program did not count past %d (at %d, exit %r); "
                             "stderr: %s" % (n, self.ticks(), self.proc.poll(),
                                             self.err.text()[-2000:]))


class AttachPidTests(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.clients = []
        self.targets = []
        self.helpers = []

    def tearDown(self):
        problems = []
        for c in self.clients:
            problems += ["%s: %s" % (c.name, p) for p in c.protocol_problems()]
            c.close()
            problems += sanitizer_reports(c.stderr.text())
        for p in self.helpers:
            terminate_process(p)
        for t in self.targets:
            terminate_process(t.proc)
        self.assertEqual(problems, [])

    # ---- helpers ------------------------------------------------------------
    def start(self, *args, python=None, preexec_fn=None, ready=r"tick 3 "):
        t = Target([python or CONFIG.python, LOOP] + [str(a) for a in args],
                   preexec_fn=preexec_fn)
        self.targets.append(t)
        if ready:
            t.out.wait_for(ready, TIMEOUT)
        return t

    def adapter(self, env=None):
        c = DapClient.spawn_stdio(CONFIG.adapter, env=env or adapter_env())
        self.clients.append(c)
        resp = c.request("initialize", {"adapterID": "dapper",
                                        "linesStartAt1": True,
                                        "columnsStartAt1": True}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        return c

    def attach_fails(self, pid, pattern, env=None, **extra):
        """attach by processId fails with a message matching pattern; the
        adapter stays usable (it answers the disconnect)."""
        c = self.adapter(env)
        args = {"processId": pid}
        args.update(extra)
        resp = c.wait_response(c.send_request("attach", args), ATTACH_TIMEOUT)
        self.assertFalse(resp["success"], resp)
        self.assertRegex(error_text(resp), pattern)
        self.assertTrue(c.request("disconnect", {}, TIMEOUT)["success"])
        return error_text(resp)

    def attach_and_stop(self, t, line):
        """Attaches to t, breaks at line in its running loop; returns
        (client, count at the stop)."""
        c = self.adapter()
        seq = c.send_request("attach", {"processId": str(t.pid)})
        c.wait_event("initialized", ATTACH_TIMEOUT)
        bps = c.request("setBreakpoints", {"source": {"path": LOOP},
                                           "breakpoints": [{"line": line}]},
                        TIMEOUT)
        self.assertTrue(bps["success"], bps)
        self.assertTrue(bps["body"]["breakpoints"][0]["verified"], bps)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        resp = c.wait_response(seq, TIMEOUT)
        self.assertTrue(resp["success"], "attach failed: %s" % error_text(resp))
        process = c.wait_event("process", TIMEOUT)["body"]
        self.assertEqual((process["startMethod"], process["systemProcessId"]),
                         ("attach", t.pid))
        ev = c.wait_event("stopped", TIMEOUT)
        self.assertEqual(ev["body"]["reason"], "breakpoint")
        tid = ev["body"]["threadId"]
        top = c.request("stackTrace", {"threadId": tid},
                        TIMEOUT)["body"]["stackFrames"][0]
        self.assertEqual((top["name"], top["source"]["path"], top["line"]),
                         ("work", LOOP, line))
        count = c.request("evaluate", {"expression": "count",
                                       "frameId": top["id"],
                                       "context": "watch"}, TIMEOUT)
        self.assertTrue(count["success"], count)
        count = int(count["body"]["result"])
        scopes = c.request("scopes", {"frameId": top["id"]}, TIMEOUT)["body"]["scopes"]
        local = c.request("variables", {"variablesReference":
                                        scopes[0]["variablesReference"]},
                          TIMEOUT)["body"]["variables"]
        values = {v["name"]: v["value"] for v in local}
        # `value` is from the pass before (the line has not run yet).
        self.assertEqual(values.get("value"), str((count - 1) * 10), local)
        return c, count

    def detach(self, c, t, count):
        """disconnect without terminating; the program counts on."""
        resp = c.request("disconnect", {}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        self.assertEqual(c.events("exited"), [], "detach must not end the program")
        c.close_input()
        self.assertEqual(c.proc.wait(TIMEOUT), 0, "the adapter ends after a detach")
        t.wait_ticks_past(count + 10)
        self.assertIsNone(t.proc.poll(), "the program must run on after detach")

    # ---- attach, detach, attach again --------------------------------------
    @needs_ptrace
    def test_breakpoint_in_running_loop_detach_and_attach_again(self):
        line = break_line(LOOP)
        t = self.start(60)
        c, first = self.attach_and_stop(t, line)
        self.assertGreaterEqual(first, 3)
        self.detach(c, t, first)
        c2, second = self.attach_and_stop(t, line)
        self.assertGreater(second, first + 10, "the program ran between the attaches")
        self.detach(c2, t, second)
        self.assertEqual(t.err.text(), "", "nothing shows in the program's stderr")

    @needs_ptrace
    def test_second_session_while_one_is_attached(self):
        line = break_line(LOOP)
        t = self.start(60)
        c, count = self.attach_and_stop(t, line)
        self.assertTrue(c.request("setBreakpoints", {"source": {"path": LOOP},
                                                     "breakpoints": []},
                                  TIMEOUT)["success"])
        self.assertTrue(c.request("continue", {"threadId": 1}, TIMEOUT)["success"])
        self.attach_fails(t.pid, r"being debugged already")
        t.wait_ticks_past(count + 10)
        # The first session goes on; terminateDebuggee ends the program.
        resp = c.request("disconnect", {"terminateDebuggee": True}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        self.assertEqual(t.proc.wait(TIMEOUT), -15, "SIGTERM to the process")
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], -15)
        self.assertEqual(len(c.events("terminated")), 1)

    # ---- the ways it cannot work -------------------------------------------
    def test_invalid_process_id(self):
        self.attach_fails("12ab", r'"processId" must be a process id')
        self.attach_fails(-3, r'"processId" must be a process id')

    def test_no_such_process(self):
        p = subprocess.Popen(["true"])
        p.wait()
        self.attach_fails(p.pid, r"there is no process with id %d" % p.pid)

    def test_not_a_cpython(self):
        sleeper = subprocess.Popen(["sleep", "30"])
        self.helpers.append(sleeper)
        self.attach_fails(sleeper.pid, r"process %d \(sleep, .*\) is not a CPython"
                          % sleeper.pid)
        self.assertIsNone(sleeper.poll())

    def test_unsupported_python_version(self):
        old = self.find_python("3.10") or self.find_python("3.9")
        if old is None:
            self.skipTest("no Python 3.10 or 3.9 on this machine (pyenv)")
        t = self.start(30, python=old)
        self.attach_fails(t.pid, r"runs Python 3\.(10|9): attaching supports CPython 3\.11-3\.13")
        before = t.ticks()
        t.wait_ticks_past(before + 5)

    @needs_ptrace
    def test_gdb_missing(self):
        t = self.start(30)
        empty = os.path.join(os.path.dirname(LOOP), "no-such-dir")
        env = dict(adapter_env(), PATH=empty)
        self.attach_fails(t.pid, r"needs gdb, which is not installed", env=env)

    @needs_ptrace
    @unittest.skipIf(STRACE is None, "strace is not installed")
    def test_ptrace_forbidden(self):
        # Nothing on a test machine reliably forbids ptrace, so the fault is
        # injected at the syscall boundary: every ptrace() gdb makes fails
        # with EPERM, as under a container without CAP_SYS_PTRACE.
        t = self.start(30)
        env = dict(adapter_env(), DAPPER_TEST_GDB_WRAPPER=STRACE +
                   " -o /dev/null -e trace=ptrace -e inject=ptrace:error=EPERM")
        self.attach_fails(t.pid, r"refused to let gdb attach to process %d "
                          r"\(ptrace: Operation not permitted" % t.pid, env=env)
        t.wait_ticks_past(t.ticks() + 5)

    @needs_ptrace
    @unittest.skipIf(STRACE is None, "strace is not installed")
    def test_another_tracer_attached(self):
        t = self.start(30)
        tracer = subprocess.Popen([STRACE, "-p", str(t.pid), "-o", os.devnull],
                                  stderr=subprocess.DEVNULL)
        self.helpers.append(tracer)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with open("/proc/%d/status" % t.pid) as f:
                if re.search(r"TracerPid:\s*%d\b" % tracer.pid, f.read()):
                    break
            time.sleep(0.05)
        self.attach_fails(t.pid, r"is being traced by process %d \(strace\)"
                          % tracer.pid)

    @unittest.skipIf(YAMA is None, "kernel.yama.ptrace_scope allows attaching here")
    def test_yama_forbids_ptrace(self):
        t = self.start(30)
        self.attach_fails(t.pid, r"kernel\.yama\.ptrace_scope is %d" % YAMA)
        t.wait_ticks_past(t.ticks() + 5)

    def test_other_user(self):
        if os.geteuid() != 0:
            other = self.foreign_pid()
            if other is None:
                self.skipTest("not root and no process of another user found")
            self.attach_fails(other, r"attaching by processId needs the same user")
            return

        def drop():
            os.setgid(65534)
            os.setuid(65534)
        # The uid is checked before anything else: the interpreter under
        # test may live in a home uid 65534 cannot enter, the one running
        # the tests (the system's) can be started as that user.
        python = next((p for p in (CONFIG.python, sys.executable, "/usr/bin/python3")
                       if self.others_can_run(p)), None)
        if python is None:
            self.skipTest("no Python here that uid 65534 can run")
        t = self.start(30, python=python, preexec_fn=drop)
        self.attach_fails(t.pid, r"process %d \(.*\) runs as user .* \(uid 65534\).*"
                          r"needs the same user" % t.pid)

    @needs_ptrace
    def test_main_thread_blocked_in_c(self):
        # The main thread waits in C for a line on stdin: the bootstrap is
        # queued but cannot run, the attach gives up after 1 s and says
        # why; once the line comes the program runs the bootstrap (which
        # finds nobody waiting) and counts, unharmed and silent.
        t = self.start(20, "stdin", ready=r"blocking")
        self.attach_fails(t.pid, r"did not run the debugger's bootstrap within "
                          r"1\.0 s: its main thread is not running Python code",
                          attachTimeout=1)
        self.assertEqual(t.ticks(), 0)
        t.proc.stdin.write(b"go\n")
        t.proc.stdin.flush()
        t.wait_ticks_past(5)
        self.assertEqual(t.err.text(), "")

    # ---- helpers -----------------------------------------------------------
    @staticmethod
    def find_python(minor):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True).stdout.strip() \
            if shutil.which("pyenv") else ""
        versions = os.path.join(root, "versions") if root else ""
        if versions and os.path.isdir(versions):
            for v in sorted(os.listdir(versions)):
                exe = os.path.join(versions, v, "bin", "python" + minor)
                if v.startswith(minor + ".") and os.access(exe, os.X_OK):
                    return exe
        return shutil.which("python" + minor)

    @staticmethod
    def others_can_run(path):
        """Whether any user can run path and reach the test program."""
        path = os.path.realpath(path)
        for p in (path, LOOP):
            parts = p.split("/")
            for i in range(2, len(parts)):
                if not os.stat("/".join(parts[:i])).st_mode & 0o001:
                    return False
            if not os.stat(p).st_mode & (0o001 if p == path else 0o004):
                return False
        return True

    @staticmethod
    def foreign_pid():
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    if os.stat("/proc/" + name).st_uid != os.geteuid():
                        return int(name)
                except OSError:
                    pass
        return None


if __name__ == "__main__":
    sys.exit("run through run.py")
