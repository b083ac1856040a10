"""Load (hardening item 4): many hits of one conditional breakpoint from 16
threads, a 50 MB output burst through a slow client (backpressure, bounded
adapter memory), thousands of stop/continue cycles with flat memory, and
1,000 breakpoints across 100 generated modules.

Run by `run.py --module test_load --transport stdio` (one CTest test per
interpreter). The full figures (16 x 1,000 hits, 10,000 cycles) take a few
seconds each (about 3,000 stops a second on a 2-core machine), so CI runs
them; DAPPER_LOAD_QUICK=1 divides them by 4. Every wait has a deadline.
The DapClient's wait_* rescan every message from the start (quadratic over
thousands of stops), so these tests read the stream through `Pump`, which
looks at each message once.
"""

import collections
import hashlib
import os
import random
import sys
import threading
import time

from bp_common import markers
from dap_client import DapClient, DapClosed, DapTimeout
from harness import CONFIG, PROGRAMS, TIMEOUT, DapTestCase, adapter_env

LOAD = os.path.join(PROGRAMS, "load")
ENV = {"PYTHONDONTWRITEBYTECODE": "1"}
QUICK = os.environ.get("DAPPER_LOAD_QUICK") == "1"

THREADS = 16
ROUNDS = 250 if QUICK else 1000        # hits per thread
CYCLES = 2500 if QUICK else 10000      # stop/continue cycles
RSS_MARK = 1000                        # cycle where the flat-memory check starts
RSS_GROWTH_KB = 5 * 1024
BURST = 50 * 1024 * 1024
HWM_LIMIT_KB = 100 * 1024


def log(text):
    sys.stdout.write("    [load] %s\n" % text)
    sys.stdout.flush()


def status_kb(pid, field):
    """A field of /proc/<pid>/status in kB (VmRSS, VmHWM)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s for pid %d" % (field, pid))


def is_asan(path):
    with open(path, "rb") as f:
        return b"__asan_init" in f.read()


class Pump:
    """Reads a DapClient's messages in order, each once: `stopped` events
    queue up, responses are kept by request_seq, `breakpoint` events are
    passed to on_breakpoint."""

    def __init__(self, client, on_breakpoint=None):
        self.c = client
        self.i = 0
        self.stops = collections.deque()
        self.responses = {}
        self.on_breakpoint = on_breakpoint

    def _take(self):
        msgs = self.c.messages
        while self.i < len(msgs):
            m = msgs[self.i]
            self.i += 1
            if m.get("type") == "response":
                self.responses[m.get("request_seq")] = m
            elif m.get("event") == "stopped":
                self.stops.append(m["body"])
            elif m.get("event") == "breakpoint" and self.on_breakpoint:
                self.on_breakpoint(m["body"])

    def _wait(self, ready, timeout, what):
        deadline = time.monotonic() + timeout
        c = self.c
        with c._cond:
            while True:
                self._take()
                got = ready()
                if got is not None:
                    return got
                if c.closed:
                    raise DapClosed("adapter closed before %s" % what)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DapTimeout("no %s within %.1fs" % (what, timeout))
                c._cond.wait(remaining)

    def stop(self, timeout=TIMEOUT):
        return self._wait(lambda: self.stops.popleft() if self.stops
                          else None, timeout, "stopped event")

    def response(self, seq, timeout=TIMEOUT):
        return self._wait(lambda: self.responses.pop(seq, None), timeout,
                          "response to %d" % seq)

    def request(self, test, command, args=None, timeout=TIMEOUT):
        resp = self.response(self.c.send_request(command, args), timeout)
        test.assertTrue(resp["success"], "%s failed: %r" % (command, resp))
        return resp.get("body") or {}

    def settle(self):
        with self.c._cond:
            self._take()


class LoadTests(DapTestCase):
    transport = "stdio"

    def client(self):
        """The adapter over stdio; under AddressSanitizer with a 1 MB
        quarantine (256 MB by default: freed message buffers held there
        would look like growth)."""
        env = adapter_env()
        if is_asan(CONFIG.adapter):
            env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                                   ":quarantine_size_mb=1"
                                   ":thread_local_quarantine_size_kb=64"
                                   ).lstrip(":")
        c = DapClient.spawn_stdio(CONFIG.adapter, env=env)
        self.clients.append(c)
        return c

    def launch(self, c, prog, args, breakpoints=(), extra_env=None):
        """initialize, launch, setBreakpoints {path: [bp dicts]}, then
        configurationDone; returns (pump, debuggee pid, setBreakpoints
        bodies by path)."""
        self.initialize(c)
        env = dict(ENV)
        env.update(extra_env or {})
        launch_seq = c.send_request("launch", self.launch_args(
            program=prog, args=[str(a) for a in args], env=env))
        c.wait_event("initialized", TIMEOUT)
        p = Pump(c)
        seqs = [(path, c.send_request("setBreakpoints", {
            "source": {"path": path}, "breakpoints": list(bps)}))
            for path, bps in breakpoints]
        bodies = {}
        for path, seq in seqs:
            resp = p.response(seq, 30.0)
            self.assertTrue(resp["success"], resp)
            bodies[path] = resp["body"]
            self.assertEqual([b.get("source", {}).get("path")
                              for b in resp["body"]["breakpoints"]],
                             [path] * len(resp["body"]["breakpoints"]), resp)
        # sent all at once (as VS Code does): answered in the order sent
        answered = [m["request_seq"] for m in c.messages
                    if m.get("type") == "response" and m.get("command") == "setBreakpoints"]
        self.assertEqual(answered, [seq for _path, seq in seqs])
        p.request(self, "configurationDone")
        resp = p.response(launch_seq)
        self.assertTrue(resp["success"], "launch failed: %r" % (resp,))
        pid = c.wait_event("process", TIMEOUT)["body"]["systemProcessId"]
        self.pids.append(pid)
        return p, pid, bodies

    def finish(self, c, timeout=TIMEOUT):
        c.wait_event("terminated", timeout)
        self.check_end_of_session(c)
        exited = c.events("exited")
        self.disconnect(c)
        return exited[0]["body"]["exitCode"]

    # ---- 1. 16 threads on one conditional breakpoint ------------------------
    def test_threads_on_one_conditional_breakpoint(self):
        prog = os.path.join(LOAD, "threads.py")
        line = markers(prog)["hot"]
        c = self.client()
        started = time.monotonic()
        p, pid, bodies = self.launch(c, prog, [THREADS, ROUNDS], [
            (prog, [{"line": line, "condition": "i >= 0"}])])
        bp = bodies[prog]["breakpoints"][0]
        counts = collections.Counter()
        who = {}             # threadId -> n (the worker's number)
        sampled = 0
        total = THREADS * ROUNDS
        for k in range(total):
            ev = p.stop(TIMEOUT)
            self.assertEqual(ev["reason"], "breakpoint", ev)
            self.assertEqual(ev.get("hitBreakpointIds"), [bp["id"]], ev)
            tid = ev["threadId"]
            seen = counts[tid]
            counts[tid] += 1
            if seen % 50 == 0 or seen == ROUNDS - 1:
                # The iteration number in the frame is this thread's count of
                # stops so far: every hit reported once, in order.
                frame = p.request(self, "stackTrace", {
                    "threadId": tid, "levels": 1})["stackFrames"][0]
                self.assertEqual(frame["line"], line, frame)
                got = p.request(self, "evaluate", {
                    "expression": "(n, i)", "frameId": frame["id"],
                    "context": "watch"})["result"]
                n, i = eval(got)
                self.assertEqual(i, seen, "thread %d (worker %d) stopped with "
                                 "i=%d after %d stops" % (tid, n, i, seen))
                self.assertEqual(who.setdefault(tid, n), n)
                sampled += 1
            p.request(self, "continue", {"threadId": tid})
        elapsed = time.monotonic() - started
        self.assertEqual(self.finish(c, 15.0), 0)
        p.settle()
        self.assertEqual(len(p.stops), 0, "stops after the last: %r"
                         % list(p.stops)[:5])
        self.assertEqual(len(counts), THREADS, counts)
        self.assertEqual(sorted(counts.values()), [ROUNDS] * THREADS, counts)
        self.assertEqual(sorted(who.values()), list(range(THREADS)))
        self.assertIn("done %d" % total, c.output("stdout"))
        log("%d threads x %d hits = %d stops (%d sampled with evaluate) in "
            "%.1fs (%.0f stops/s)" % (THREADS, ROUNDS, total, sampled, elapsed,
                                      total / elapsed))

    # ---- 3. stop/continue cycles: flat memory --------------------------------
    def test_stop_continue_cycles_memory_flat(self):
        prog = os.path.join(LOAD, "cycles.py")
        line = markers(prog)["stop"]
        c = self.client()
        apid = c.proc.pid
        started = time.monotonic()
        p, pid, bodies = self.launch(c, prog, [CYCLES], [
            (prog, [{"line": line}])])
        rss = {}
        for k in range(1, CYCLES + 1):
            ev = p.stop(TIMEOUT)
            self.assertEqual(ev["reason"], "breakpoint", ev)
            if k == 1 or k == RSS_MARK or k == CYCLES:
                # Stopped: both processes are quiet.
                frame = p.request(self, "stackTrace", {
                    "threadId": ev["threadId"], "levels": 1})["stackFrames"][0]
                self.assertEqual(frame["line"], line)
                rss[k] = (status_kb(apid, "VmRSS"), status_kb(pid, "VmRSS"))
            p.request(self, "continue", {"threadId": ev["threadId"]})
        elapsed = time.monotonic() - started
        self.assertEqual(self.finish(c, 15.0), 0)
        self.assertIn("done %d" % CYCLES, c.output("stdout"))
        log("%d stop/continue cycles in %.1fs (%.0f/s); RSS kB adapter "
            "%d (cycle 1) %d (cycle %d) %d (cycle %d); debuggee %d %d %d" % (
                CYCLES, elapsed, CYCLES / elapsed, rss[1][0], rss[RSS_MARK][0],
                RSS_MARK, rss[CYCLES][0], CYCLES, rss[1][1], rss[RSS_MARK][1],
                rss[CYCLES][1]))
        for who, idx in (("adapter", 0), ("debuggee", 1)):
            growth = rss[CYCLES][idx] - rss[RSS_MARK][idx]
            self.assertLess(growth, RSS_GROWTH_KB, "%s RSS grew by %d kB "
                            "from cycle %d to %d" % (who, growth, RSS_MARK,
                                                     CYCLES))

    # ---- 2. a 50 MB output burst through a slow client ------------------------
    def test_output_burst_backpressure(self):
        prog = os.path.join(LOAD, "burst.py")
        asan = is_asan(CONFIG.adapter)
        limit = HWM_LIMIT_KB + (64 * 1024 if asan else 0)
        c = self.client()
        apid = c.proc.pid
        # The client stops reading while `gate` is clear.
        gate = threading.Event()
        gate.set()
        read = c._read_chunk

        def slow_read(n):
            gate.wait(30.0)
            return read(n)
        c._read_chunk = slow_read
        started = time.monotonic()
        p, pid, _ = self.launch(c, prog, [BURST])
        gate.clear()
        time.sleep(1.0)
        paused = [(status_kb(apid, "VmRSS"), io_wchar(pid))]
        time.sleep(1.0)
        paused.append((status_kb(apid, "VmRSS"), io_wchar(pid)))
        gate.set()
        self.assertEqual(self.finish(c, 60.0), 0)
        elapsed = time.monotonic() - started
        hwm = status_kb(apid, "VmHWM")
        data = c.output("stdout").encode("utf-8")
        err = c.output("stderr")
        want = "burst %d %s\n" % (len(data), hashlib.sha256(data).hexdigest())
        log("%d bytes of stdout in %.1fs; adapter VmRSS %d kB / %d kB while "
            "the client did not read (debuggee wrote %s / %s bytes), VmHWM "
            "%d kB%s" % (len(data), elapsed, paused[0][0], paused[1][0],
                         paused[0][1], paused[1][1], hwm,
                         " (asan)" if asan else ""))
        self.assertEqual(len(data), BURST)
        self.assertIn(want, err)
        if paused[0][1] is not None:
            self.assertEqual(paused[0][1], paused[1][1],
                             "the program kept writing while the client "
                             "did not read (no backpressure)")
        self.assertLess(hwm, limit, "adapter VmHWM %d kB" % hwm)

    # ---- 4. 1,000 breakpoints across 100 modules --------------------------------
    def test_thousand_breakpoints_in_hundred_modules(self):
        files, funcs = 100, 10
        pkg = os.path.join(self.tmp, "loadmods")
        os.makedirs(pkg)
        lines = {}      # (file, func) -> line of its body
        paths = []
        for i in range(files):
            path = os.path.join(pkg, "mod%03d.py" % i)
            text = ["# generated module %d" % i]
            for j in range(funcs):
                text += ["", "", "def f%d(x):" % j,
                         "    return x + %d" % (i * funcs + j)]
                lines[i, j] = len(text)
            with open(path, "w") as f:
                f.write("\n".join(text) + "\n")
            paths.append(path)
        rng = random.Random(4)
        sample = sorted(rng.sample(sorted(lines), 25))
        main = os.path.join(pkg, "main.py")
        with open(main, "w") as f:
            f.write("import importlib\n"
                    "mods = [importlib.import_module('mod%%03d' %% i) "
                    "for i in range(%d)]\n"
                    "for i, j in %r:\n"
                    "    getattr(mods[i], 'f%%d' %% j)(0)\n"
                    "print('calls', %d)\n" % (files, sample, len(sample)))
        verified = {}

        def on_breakpoint(body):
            bp = body["breakpoint"]
            if bp.get("verified"):
                verified[bp["id"]] = bp

        c = self.client()
        started = time.monotonic()
        p, pid, bodies = self.launch(c, main, [], [
            (path, [{"line": lines[i, j]} for j in range(funcs)])
            for i, path in enumerate(paths)])
        p.on_breakpoint = on_breakpoint
        ids = {}        # (file, func) -> breakpoint id
        for i, path in enumerate(paths):
            bps = bodies[path]["breakpoints"]
            self.assertEqual(len(bps), funcs)
            for j, bp in enumerate(bps):
                ids[i, j] = bp["id"]
                if bp.get("verified"):
                    verified[bp["id"]] = bp
        self.assertEqual(len(set(ids.values())), files * funcs)
        set_time = time.monotonic() - started
        for n, (i, j) in enumerate(sample):
            ev = p.stop(15.0 if n == 0 else TIMEOUT)
            self.assertEqual(ev["reason"], "breakpoint", ev)
            self.assertEqual(ev.get("hitBreakpointIds"), [ids[i, j]], ev)
            frame = p.request(self, "stackTrace", {
                "threadId": ev["threadId"], "levels": 1})["stackFrames"][0]
            self.assertEqual((frame["source"]["path"], frame["line"],
                              frame["name"]),
                             (paths[i], lines[i, j], "f%d" % j))
            if n == 0:
                # Every module is imported by now.
                p.settle()
                missing = sorted(k for k, v in ids.items()
                                 if v not in verified)
                self.assertEqual(missing, [], "not verified at the first "
                                 "stop")
                for k, v in ids.items():
                    self.assertEqual(verified[v]["line"], lines[k],
                                     verified[v])
            p.request(self, "continue", {"threadId": ev["threadId"]})
        self.assertEqual(self.finish(c, 15.0), 0)
        self.assertIn("calls %d" % len(sample), c.output("stdout"))
        log("%d breakpoints in %d modules: set in %.2fs, all verified, %d "
            "hit, session %.1fs" % (files * funcs, files, set_time,
                                    len(sample), time.monotonic() - started))


def io_wchar(pid):
    """Bytes the process wrote so far (/proc/<pid>/io), or None."""
    try:
        with open("/proc/%d/io" % pid) as f:
            for line in f:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None
