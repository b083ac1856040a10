"""DAP sessions for the benchmarks: dapper-adapter and debugpy, driven by the
integration tests' DapClient (tests/integration/dap_client.py).

Every wait has a deadline; a session never outlives its deadline by more
than the cleanup grace (disconnect, then SIGTERM/SIGKILL of the processes
this module started, by pid).

Standard library only.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from dap_client import (DapClient, DapClosed, DapTimeout,  # noqa: E402
                        terminate_process)

WORKLOADS = os.path.join(HERE, "workloads")
BENCH_RE = re.compile(r"^BENCH (\{.*\})\s*$", re.M)
BACKEND_RE = re.compile(r"breakpoints use ([^(\n]*)")
KNOWN_BACKENDS = ("monitoring", "tracing", "instrumented", "evalframe")

# The workloads (bench/workloads/), as bench/run.py measures them and
# bench/report.py titles them.
CALLGRIND_N = 200000

WORKLOAD_TITLES = {
    1: "1. 1,000,000 calls of a small function, breakpoints not in the hot path",
    2: "2. A false conditional breakpoint (`x < 0`) in the hot function",
    3: "3. Breakpoint stops, continue each time (stop→continue round trip)",
    4: "4. Step over a line that calls a function doing a million calls",
    5: "5. Threads running the workload-1 loop, breakpoint in another file",
}
THREADS = (1, 2, 4, 8, 16)


class SessionError(Exception):
    pass


def workload(name):
    return os.path.join(WORKLOADS, name)


def tagged_line(path, tag):
    """The 1-based line of `path` carrying `# BENCH:<tag>`."""
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if re.search(r"# BENCH:%s\b" % re.escape(tag), line):
                return i
    raise ValueError("no BENCH:%s tag in %s" % (tag, path))


def parse_bench(text):
    """The last BENCH {...} line of text as a dict, or None."""
    found = BENCH_RE.findall(text or "")
    if not found:
        return None
    try:
        return json.loads(found[-1])
    except ValueError:
        return None


def normalize_backend(phrase):
    """The backend a "dapper: breakpoints use <phrase> (<reason>)" message
    names: the runtime writes a description ("sys.monitoring",
    "traditional tracing", ...), not always the option's value."""
    if phrase is None:
        return None
    p = phrase.lower()
    if "monitoring" in p:
        return "monitoring"
    if "instrument" in p or "bytecode" in p:
        return "instrumented"
    if re.search(r"eval.?frame|pep ?523|selective", p):
        return "evalframe"
    if "trac" in p:
        return "tracing"
    return p.strip() or None


class _NoSchema:
    """Schema validation costs client time on every message, which would
    land in the measured round trips: the benchmarks skip it."""

    def validate_message(self, msg):
        return []


class _StampedList(list):
    """`messages` whose dicts get "_t" (perf_counter at the arrival of their
    bytes, before parsing) as they are appended by the reader thread."""

    def __init__(self, owner):
        super().__init__()
        self._owner = owner

    def append(self, m):
        if isinstance(m, dict):
            m["_t"] = self._owner._arrival
        super().append(m)


class BenchClient(DapClient):
    _arrival = 0.0

    def _on_body(self, body):
        self._arrival = time.perf_counter()
        super()._on_body(body)

    @classmethod
    def spawn_cmd(cls, argv, env=None, cwd=None):
        """spawn_stdio takes a binary and its arguments: a command list
        splits into both."""
        c = cls.spawn_stdio(argv[0], argv[1:], env=env, cwd=cwd)
        return c

    def wait_responses(self, seqs, timeout):
        """The responses to requests `seqs`, in that order, whatever order
        they arrive in: one pass over the messages (wait_response per seq
        would rescan them all each time)."""
        want = set(seqs)
        got = {}
        deadline = time.monotonic() + timeout
        with self._cond:
            start = 0
            while True:
                for i in range(start, len(self.messages)):
                    m = self.messages[i]
                    if m.get("type") == "response" and \
                            m.get("request_seq") in want and \
                            i not in self._consumed:
                        self._consumed.add(i)
                        got[m["request_seq"]] = m
                start = len(self.messages)
                if len(got) == len(want):
                    return [got[q] for q in seqs]
                if self.closed:
                    raise DapClosed("%s: the adapter closed the connection "
                                    "with %d of %d responses"
                                    % (self.name, len(got), len(want)))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DapTimeout("%s: %d of %d responses within %.1fs" % (
                        self.name, len(got), len(want), timeout))
                self._cond.wait(remaining)

    def _stamp_setup(self):
        # Only responses to our requests arrive, so nothing is in flight
        # before the first request.
        with self._cond:
            old = list(self.messages)
            self.messages = _StampedList(self)
            for m in old:
                list.append(self.messages, m)
        self.schema = _NoSchema()


# Under valgrind on a loaded machine the runtime can take longer than the
# adapter's default 15 s to say hello: the callgrind modes give the adapters
# they start this much (DAPPER_STARTUP_TIMEOUT, docs/configuration.md).
VALGRIND_STARTUP_TIMEOUT = "600"


def valgrind_startup_timeout():
    """Sets DAPPER_STARTUP_TIMEOUT for the adapters this process starts from
    now on (a value already set wins)."""
    os.environ.setdefault("DAPPER_STARTUP_TIMEOUT", VALGRIND_STARTUP_TIMEOUT)


def new_client(argv, env=None, cwd=None):
    c = BenchClient.spawn_cmd(argv, env=env, cwd=cwd)
    c._stamp_setup()
    return c


class Remaining:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds

    def left(self, cap=None):
        r = self.end - time.monotonic()
        if r <= 0:
            raise DapTimeout("session deadline passed")
        return r if cap is None else min(r, cap)


def _kill_pid(pid):
    """Ends a debuggee we learned about from the `process` event, if it
    outlived its adapter (by pid only)."""
    if not pid:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        for _ in range(20):
            time.sleep(0.05)
            try:
                os.kill(pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            # a zombie that is not ours counts as gone once its parent dies


class Session:
    """One debug session: kind "dapper" or "debugpy".

    bps: {path: [{"line": n, "condition": "..."}]}
    driver: "run" (to the end), "stops" (continue each stop, timing the
    round trips), "step" (stop, `next`, time it, continue).
    """

    def __init__(self, kind, adapter_cmd, python, program, args, bps=None,
                 backend=None, driver="run", deadline=120.0, stops=None,
                 cwd=None, python_argv=None):
        self.kind = kind
        self.adapter_cmd = adapter_cmd
        self.python = python
        self.python_argv = python_argv
        self.program = program
        self.args = [str(a) for a in args]
        self.bps = bps or {}
        self.backend = backend
        self.driver = driver
        self.deadline = deadline
        self.stops = stops
        self.cwd = cwd or WORKLOADS
        # seconds for each setBreakpoints response (debugpy needs more than
        # 15 s for 500 breakpoints in one file on a loaded machine)
        self.set_breakpoints_timeout = 15.0
        # setBreakpoints all sent before the first response is awaited (VS
        # Code's order), or one at a time (pipeline False)
        self.pipeline = True
        self.setbp_s = None       # seconds: first setBreakpoints to last answer
        # results
        self.bench = None
        self.backend_text = None
        self.backend_used = None
        self.launch_error = None
        self.error = None
        self.verified = {}        # bp id or (path, line) -> bool
        self.unexpected_stops = 0
        self.round_trips = []     # seconds (driver "stops")
        self.stop_count = 0
        self.step_s = None        # seconds (driver "step")
        self.step_reason = None
        self.console = ""
        self.stdout = ""
        self.stderr_tail = ""
        self.pid = None
        self.client = None

    # -- launch arguments ------------------------------------------------
    def launch_args(self):
        if self.kind == "dapper":
            a = {"program": self.program, "args": self.args,
                 "cwd": self.cwd,
                 "python": self.python_argv or self.python}
            if self.backend is not None:
                a["frameEval"] = {"backend": self.backend}
            return a
        return {"name": "bench", "type": "python", "request": "launch",
                "program": self.program, "args": self.args, "cwd": self.cwd,
                "python": self.python_argv or [self.python],
                "console": "internalConsole", "justMyCode": False,
                "redirectOutput": True}

    # -- running -----------------------------------------------------------
    def run(self):
        rem = Remaining(self.deadline)
        env = dict(os.environ)
        try:
            self.client = new_client(self.adapter_cmd, env=env, cwd=self.cwd)
            self._drive(rem)
        except (DapTimeout, DapClosed, SessionError, OSError) as e:
            self.error = "%s: %s" % (type(e).__name__, e)
        finally:
            self._finish()
        return self

    def _drive(self, rem):
        c = self.client
        resp = c.request("initialize", {
            "clientID": "dapper-bench", "clientName": "dapper bench",
            "adapterID": "dapper" if self.kind == "dapper" else "debugpy",
            "locale": "en-US", "linesStartAt1": True, "columnsStartAt1": True,
            "pathFormat": "path", "supportsRunInTerminalRequest": False,
        }, rem.left(15))
        if not resp.get("success"):
            raise SessionError("initialize failed: %s" % resp.get("message"))
        launch_seq = c.send_request("launch", self.launch_args())
        first = c.wait_message(
            lambda m: m.get("event") == "initialized"
            or (m.get("type") == "response"
                and m.get("request_seq") == launch_seq),
            rem.left(30), "`initialized` or the launch response",
            consume=False)
        if first.get("type") == "response" and not first.get("success"):
            self.launch_error = _error_text(first)
            raise SessionError("launch failed: " + self.launch_error)
        c.wait_event("initialized", rem.left(30))
        bp_ids = {}
        t0 = time.perf_counter()
        answers = self._set_breakpoints(rem)
        self.setbp_s = time.perf_counter() - t0
        for (path, items), r in zip(self.bps.items(), answers):
            if not r.get("success"):
                raise SessionError("setBreakpoints failed: %s"
                                   % _error_text(r))
            for item, bp in zip(items, (r.get("body") or {}).get(
                    "breakpoints") or []):
                key = bp.get("id", (path, item["line"]))
                bp_ids[key] = True
                self.verified[key] = bool(bp.get("verified"))
        c.request("setExceptionBreakpoints", {"filters": []}, rem.left(15))
        done_seq = c.send_request("configurationDone")
        resp = c.wait_response(launch_seq, rem.left(40))
        if not resp.get("success"):
            self.launch_error = _error_text(resp)
            raise SessionError("launch failed: " + self.launch_error)
        c.wait_response(done_seq, rem.left(15))
        if self.driver == "stops":
            self._drive_stops(rem)
        elif self.driver == "step":
            self._drive_step(rem)
        else:
            self._drive_run(rem)

    def _set_breakpoints(self, rem):
        """One setBreakpoints per file; the responses in file order.
        pipeline (the default): all sent at once, then every response
        awaited, as VS Code does (its sendAllBreakpoints before
        configurationDone); else one by one, each awaited."""
        c = self.client
        args = [{"source": {"path": path, "name": os.path.basename(path)},
                 "breakpoints": items, "lines": [b["line"] for b in items]}
                for path, items in self.bps.items()]
        if not self.pipeline:
            return [c.request("setBreakpoints", a,
                              rem.left(self.set_breakpoints_timeout))
                    for a in args]
        seqs = [c.send_request("setBreakpoints", a) for a in args]
        return c.wait_responses(
            seqs, rem.left(self.set_breakpoints_timeout * max(1, len(seqs) / 50)))

    def _wait_stop_or_end(self, rem, cap):
        return self.client.wait_message(
            lambda m: m.get("type") == "event"
            and m.get("event") in ("stopped", "terminated", "exited"),
            rem.left(cap), "`stopped` or `terminated`")

    def _continue(self, stopped, rem):
        tid = (stopped.get("body") or {}).get("threadId")
        if tid is None:
            tid = 1
        return self.client.send_request("continue", {"threadId": tid})

    def _drive_run(self, rem):
        while True:
            m = self._wait_stop_or_end(rem, None)
            if m.get("event") != "stopped":
                break
            self.unexpected_stops += 1
            if self.unexpected_stops > 3:
                raise SessionError("the program stops where it should not "
                                   "(%d stops, reason %r)" % (
                                       self.unexpected_stops,
                                       (m.get("body") or {}).get("reason")))
            self._continue(m, rem)
        self._wait_end(rem)

    def _drive_stops(self, rem):
        m = self._wait_stop_or_end(rem, 60)
        if m.get("event") != "stopped":
            self._wait_end(rem)
            return
        self.stop_count = 1
        prev = m["_t"]
        while True:
            self._continue(m, rem)
            m = self._wait_stop_or_end(rem, 20)
            if m.get("event") != "stopped":
                break
            self.stop_count += 1
            self.round_trips.append(m["_t"] - prev)
            prev = m["_t"]
        self._wait_end(rem)

    def _drive_step(self, rem):
        m = self._wait_stop_or_end(rem, 60)
        if m.get("event") != "stopped":
            self._wait_end(rem)
            return
        self.stop_count = 1
        tid = (m.get("body") or {}).get("threadId", 1)
        t0 = time.perf_counter()
        self.client.send_request("next", {"threadId": tid})
        s = self._wait_stop_or_end(rem, None)
        if s.get("event") == "stopped":
            self.step_s = s["_t"] - t0
            self.step_reason = (s.get("body") or {}).get("reason")
            self._continue(s, rem)
            # a stray stop after the step (should not happen): go on
            self._drive_run(rem)
            return
        self._wait_end(rem)

    def _wait_end(self, rem):
        self.client.wait_event("terminated", rem.left())

    def _finish(self):
        c = self.client
        if c is None:
            return
        try:
            if not c.closed:
                try:
                    c.request("disconnect", {"terminateDebuggee": True}, 5.0)
                except (DapTimeout, DapClosed, OSError):
                    pass
        finally:
            # The BENCH line may come with the last output events.
            proc = c.index_of(lambda m: m.get("event") == "process")
            if proc is not None:
                self.pid = (c.messages[proc].get("body") or {}).get(
                    "systemProcessId")
            self.console = c.output("console")
            self.stdout = c.output("stdout")
            for m in c.events("breakpoint"):
                bp = (m.get("body") or {}).get("breakpoint") or {}
                if bp.get("id") in self.verified and bp.get("verified"):
                    self.verified[bp["id"]] = True
            if c.proc is not None:
                c.close_input()
                try:
                    c.proc.wait(3.0)
                except subprocess.TimeoutExpired:
                    pass
            c.close()
            if c.stderr is not None:
                self.stderr_tail = c.stderr.text()[-2000:]
            if c.proc is not None:
                terminate_process(c.proc)
            _kill_pid(self.pid)
        self.bench = parse_bench(self.stdout)
        m = BACKEND_RE.search(self.console)
        if m:
            line_start = self.console.rfind("\n", 0, m.start()) + 1
            line_end = self.console.find("\n", m.end())
            self.backend_text = self.console[
                line_start:line_end if line_end >= 0 else None].strip()
            self.backend_used = normalize_backend(m.group(1))

    # -- summaries -----------------------------------------------------------
    def all_verified(self):
        if not self.verified:
            return None
        return all(self.verified.values())


def _error_text(resp):
    parts = [resp.get("message") or ""]
    err = (resp.get("body") or {}).get("error") or {}
    fmt = err.get("format")
    if isinstance(fmt, str):
        for k, v in (err.get("variables") or {}).items():
            fmt = fmt.replace("{%s}" % k, str(v))
        parts.append(fmt)
    return " | ".join(p for p in parts if p)


def run_plain(python_argv, program, args, timeout=300.0, cwd=None):
    """Runs the workload without a debugger; returns (bench dict or None,
    error text or None)."""
    try:
        p = subprocess.run(list(python_argv) + [program] + [str(a) for a in args],
                           cwd=cwd or WORKLOADS, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timed out after %.0fs" % timeout
    out = p.stdout.decode("utf-8", "replace")
    b = parse_bench(out)
    if b is None:
        return None, "exit %d, no BENCH line; stderr: %s" % (
            p.returncode, p.stderr.decode("utf-8", "replace")[-500:])
    return b, None
