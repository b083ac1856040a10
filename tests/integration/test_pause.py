"""`pause` while the thread asked for is blocked in C code (docs/runtime.md,
"Pause and threads blocked in C"): the main thread in Thread.join(),
queue.Queue.get(), a blocking read or time.sleep(), with or without another
thread running Python. The stop comes promptly (in a thread that runs
Python, or, when none does, for the blocked thread itself), the blocked
thread's real stack and variables can be read, its frames are read-only, it
parks when it returns to Python before `continue`, and `continue` lets
everything run on to the right exit code.

One TestCase per backend (a backend that is not available with the
interpreter, or is what `auto` uses, is skipped as in test_breakpoints.py).
Programs: programs/pause/.
"""

import os
import time

from bp_common import BreakpointCase, BreakpointSession, markers
from harness import PROGRAMS, TIMEOUT, error_text

BLOCKED = os.path.join(PROGRAMS, "pause", "blocked.py")
# How soon the stop must come after the pause request. The runtime waits
# 0.1 s for the thread asked for before another thread reports the stop
# (0.5 s when no thread runs Python); generous for a loaded machine.
STOP_DEADLINE = 3.0


class PauseTests(BreakpointSession):
    """Mixed into one TestCase per backend below."""

    def _start(self, mode, *extra):
        flag = os.path.join(self.tmp, "flag")
        if mode == "read":
            os.mkfifo(flag + ".fifo")
        d = self.debug(None, args=[flag, mode] + list(extra), prog=BLOCKED)
        d.c.wait_output("ready\n", "stdout", TIMEOUT)
        time.sleep(0.3)  # main is in its blocking call by now
        return d, flag

    def _pause(self, d, thread=1):
        t0 = time.monotonic()
        self.assertTrue(d.request("pause", {"threadId": thread})["success"])
        ev = d.c.wait_event("stopped", TIMEOUT)["body"]
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, STOP_DEADLINE, "stop after %.2f s" % elapsed)
        self.assertEqual(ev["reason"], "pause", ev)
        self.assertIs(ev.get("allThreadsStopped"), True, ev)
        return ev

    def _threads(self, d):
        return {t["name"]: t["id"]
                for t in d.request("threads")["body"]["threads"]}

    def _frame(self, d, thread, name):
        """The frame of `name` on thread's stack (the user's file)."""
        frames = d.stack(thread)["stackFrames"]
        for f in frames:
            if f["name"] == name and f["source"].get("path") == BLOCKED:
                return f
        self.fail("no frame %s in %r" % (name, [(f["name"], f["line"])
                                                for f in frames]))

    def _locals(self, d, frame):
        scopes = d.request("scopes", {"frameId": frame["id"]})["body"]
        loc = [s for s in scopes["scopes"] if s["name"] == "Locals"][0]
        vs = d.request("variables", {
            "variablesReference": loc["variablesReference"]})["body"]
        return {v["name"]: v["value"] for v in vs["variables"]}

    def _check_waiting_main(self, d, marker):
        """Thread 1 sits in wait_for on `marker`'s line, under main and
        <module>; its locals and an expression in its frame read right,
        and writing is refused with a reason."""
        m = markers(BLOCKED)
        wait = self._frame(d, 1, "wait_for")
        self.assertEqual(wait["line"], m[marker], wait)
        self._frame(d, 1, "main")
        self._frame(d, 1, "<module>")
        names = [f["name"] for f in d.stack(1)["stackFrames"]]
        self.assertLess(names.index("wait_for"), names.index("main"), names)
        loc = self._locals(d, wait)
        self.assertEqual(loc.get("label"), "'worker'", loc)
        self.assertEqual(loc.get("count"), "-1", loc)
        self.assertIn("worker", loc.get("worker", ""), loc)
        ev = d.request("evaluate", {"expression": "label.upper() + str(count)",
                                    "frameId": wait["id"],
                                    "context": "watch"})["body"]
        self.assertEqual(ev["result"], "'WORKER-1'", ev)
        scopes = d.request("scopes", {"frameId": wait["id"]})["body"]
        ref = [s for s in scopes["scopes"]
               if s["name"] == "Locals"][0]["variablesReference"]
        resp = d.request("setVariable", {"variablesReference": ref,
                                         "name": "count", "value": "7"},
                         ok=False)
        self.assertFalse(resp["success"], resp)
        self.assertIn("blocked in C", error_text(resp))
        resp = d.request("evaluate", {"expression": "count = 7",
                                      "frameId": wait["id"],
                                      "context": "repl"}, ok=False)
        self.assertFalse(resp["success"], resp)
        self.assertIn("blocked in C", error_text(resp))
        self.assertEqual(self._locals(d, wait).get("count"), "-1")

    def _finish(self, d, flag, code, text):
        open(flag, "w").close()
        body = d.cont(1)
        self.assertIs(body.get("allThreadsContinued"), True, body)
        got, out = d.finish()
        self.assertEqual(got, code, out)
        self.assertIn(text, out.get("stdout", ""))

    def test_pause_main_in_join_stops_the_running_worker(self):
        d, flag = self._start("join")
        ev = self._pause(d)
        ids = self._threads(d)
        # The stop is reported by a thread that runs Python: the worker.
        self.assertEqual(ev["threadId"], ids["worker"], ev)
        spin = self._frame(d, ids["worker"], "work")
        m = markers(BLOCKED)
        self.assertIn(spin["line"], (m["loop"], m["spin"]), spin)
        self.assertEqual(self._locals(d, spin).get("limit"), "20")
        self._check_waiting_main(d, "join")
        # Continue resumes the worker (parked) and main (never parked).
        self._finish(d, flag, 4, "main waited for worker False \n")

    def test_breakpoint_in_worker_while_main_joins(self):
        """Not only a pause: any all-thread stop shows the blocked main
        thread's stack and variables."""
        d, flag = self._start("join")
        res = d.set_breakpoints(BLOCKED, ["spin"])
        ev, _ = d.stopped("breakpoint", "spin", "work", None,
                          [res[0]["id"]])
        self.assertEqual(ev["threadId"], self._threads(d)["worker"], ev)
        self._check_waiting_main(d, "join")
        d.set_breakpoints(BLOCKED, [])
        self._finish(d, flag, 4, "main waited for worker False \n")

    def test_pause_main_in_queue_get(self):
        d, flag = self._start("queue")
        ev = self._pause(d)
        self.assertEqual(ev["threadId"], self._threads(d)["worker"], ev)
        self._check_waiting_main(d, "get")
        self._finish(d, flag, 4, "main waited for worker True \n")

    def test_blocked_thread_parks_when_its_call_returns(self):
        d, flag = self._start("read")
        ev = self._pause(d)
        self.assertEqual(ev["threadId"], self._threads(d)["worker"], ev)
        m = markers(BLOCKED)
        self.assertEqual(self._frame(d, 1, "wait_for")["line"], m["open"])
        # Unblock main while everything is stopped: it must park at its
        # next line, not run on.
        with open(flag + ".fifo", "wb") as f:
            f.write(b"hello")
        deadline = time.monotonic() + TIMEOUT
        line = None
        while time.monotonic() < deadline:
            line = self._frame(d, 1, "wait_for")["line"]
            if line != m["open"]:
                break
            time.sleep(0.05)
        self.assertEqual(line, m["read"])
        time.sleep(0.3)
        self.assertEqual(self._frame(d, 1, "wait_for")["line"], m["read"])
        self.assertNotIn("main waited", d.c.output("stdout"))
        # Parked in Python now: its frames are writable again.
        wait = self._frame(d, 1, "wait_for")
        scopes = d.request("scopes", {"frameId": wait["id"]})["body"]
        ref = [s for s in scopes["scopes"]
               if s["name"] == "Locals"][0]["variablesReference"]
        d.request("setVariable", {"variablesReference": ref,
                                  "name": "count", "value": "7"})
        self._finish(d, flag, 4, "main waited for worker True hello\n")

    def test_pause_with_no_thread_in_python(self):
        d, flag = self._start("sleep", "4")
        t0 = time.monotonic()
        ev = self._pause(d)
        # Nothing runs Python: the stop is reported for the thread asked
        # for, which says where it waits.
        self.assertEqual(ev["threadId"], 1, ev)
        self.assertIn("blocked in C", ev.get("description", ""), ev)
        m = markers(BLOCKED)
        main = self._frame(d, 1, "main")
        self.assertEqual(main["line"], m["sleep"], main)
        self.assertEqual(self._locals(d, main).get("seconds"), "4.0")
        # A step cannot start in C: refused with the reason.
        resp = d.request("next", {"threadId": 1}, ok=False)
        self.assertFalse(resp["success"], resp)
        self.assertIn("blocked in C", error_text(resp))
        # The sleep ends while the program is paused: main parks at its
        # next line.
        deadline = t0 + 4 + TIMEOUT
        line = main["line"]
        while time.monotonic() < deadline and line == m["sleep"]:
            time.sleep(0.1)
            line = self._frame(d, 1, "main")["line"]
        self.assertEqual(line, m["after_sleep"])
        self.assertNotIn("slept", d.c.output("stdout"))
        self._finish(d, flag, 3, "slept\n")


# All of them run with every backend (each is one requirement).
for _backend in ("auto", "tracing", "monitoring", "instrumented", "evalframe"):
    _cls = type("Pause_%s" % _backend, (PauseTests, BreakpointCase),
                {"backend": _backend})
    globals()[_cls.__name__] = _cls
del _backend, _cls
