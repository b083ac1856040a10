"""Execution control through the adapter, over stdio, with a real debuggee
interpreter: stepping (in/over/out, over a return, off the end; more in
bp_stepping.py),
stopOnEntry and stackTrace paging, pause, threads (the same breakpoint at
once, all stop, singleThread continue), the VS Code and nvim-dap request
orders, an unsupported interpreter failing the launch.

The ExecutionTests mixin: test_breakpoints.py runs it together with its
BreakpointTests in its one TestCase per backend (the @subset tests here run
for every backend too), so this module registers no test case of its own.
Helpers: bp_common.py.
"""

import os
import time

from bp_common import (BreakpointSession, Debuggee, bp_program, markers,
                       python310, subset)
from harness import TIMEOUT, error_text


class ExecutionTests(BreakpointSession):
    """Mixed into one TestCase per backend by test_breakpoints.py."""

    # ==== execution ==============================================================
    @subset
    def test_stepping(self):
        d = self.debug("stepping.py", bps={"stepping.py": ["main_call"]})
        bp_id = d.bp_responses[d.path]["breakpoints"][0]["id"]
        d.stopped("breakpoint", "main_call", "<module>", 1, [bp_id])
        d.step("stepIn")
        ev, _ = d.stopped("step", "call", "caller", 1)
        self.assertNotIn("hitBreakpointIds", ev)
        d.step("next")  # over callee(1)
        d.stopped("step", "call2", "caller", 1)
        d.step("stepIn")
        d.stopped("step", "callee_first", "callee", 1)
        self.assertEqual(d.frames(1), [
            ("callee", d.m["callee_first"]), ("caller", d.m["call2"]),
            ("<module>", d.m["main_call"])])
        d.step("next")
        d.stopped("step", "callee_return", "callee", 1)
        d.step("next")  # over the return: the caller, on the call's line
        d.stopped("step", "call2", "caller", 1)
        d.step("next")
        d.stopped("step", "caller_return", "caller", 1)
        d.step("stepOut")  # out of caller: the module, on the call's line
        d.stopped("step", "main_call", "<module>", 1)
        d.step("next")
        d.stopped("step", "after_main_call", "<module>", 1)
        d.step("next")
        d.stopped("step", "last", "<module>", 1)
        d.step("next")  # off the end: the program ends
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "stepped 6\n")
        self.assertEqual(len(d.stops()), 10)

    def test_step_out_of_callee_and_continue(self):
        d = self.debug("stepping.py", bps={"stepping.py": ["callee_first",
                                                           "last"]})
        d.stopped("breakpoint", "callee_first", "callee", 1)
        d.step("stepOut")  # lands in the caller, on the call's line
        d.stopped("step", "call", "caller", 1)
        d.cont()  # the second call stops again
        d.stopped("breakpoint", "callee_first", "callee", 1)
        d.cont()
        d.stopped("breakpoint", "last", "<module>", 1)
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)

    def test_stop_on_entry_and_stack_trace(self):
        d = self.debug("stepping.py", stop_on_entry=True,
                       bps={"stepping.py": ["callee_first"]})
        ev, top = d.stopped("entry", None, "<module>", 1)
        with open(d.path) as f:
            first_code = next(i for i, text in enumerate(f, 1)
                              if text.strip() and not text.startswith("#"))
        self.assertEqual(top["line"], first_code)
        st = d.stack(1)
        self.assertEqual(st["totalFrames"], 1, "boot/runpy frames shown")
        d.cont()
        d.stopped("breakpoint", "callee_first", "callee", 1)
        st = d.stack(1)
        self.assertEqual(st["totalFrames"], 3)
        self.assertEqual([(f["name"], f["line"]) for f in st["stackFrames"]],
                         [("callee", d.m["callee_first"]),
                          ("caller", d.m["call"]),
                          ("<module>", d.m["main_call"])])
        for f in st["stackFrames"]:
            self.assertEqual(f["source"]["path"], d.path)
            self.assertTrue(os.path.isabs(f["source"]["path"]))
            self.assertEqual(f["column"], 1)
            self.assertIsInstance(f["id"], int)
        part = d.stack(1, startFrame=1, levels=1)
        self.assertEqual(part["totalFrames"], 3)
        self.assertEqual([(f["name"], f["line"]) for f in part["stackFrames"]],
                         [("caller", d.m["call"])])
        part = d.stack(1, startFrame=2, levels=5)
        self.assertEqual([f["name"] for f in part["stackFrames"]],
                         ["<module>"])
        part = d.stack(1, startFrame=3)
        self.assertEqual(part["stackFrames"], [])
        d.cont()
        d.stopped("breakpoint", "callee_first", "callee", 1)
        d.cont()
        self.assertEqual(d.finish()[0], 0)

    def _busy(self, mode, **kw):
        flag = os.path.join(self.tmp, "flag")
        d = self.debug("busy.py", args=[flag, mode], **kw)
        d.c.wait_output("ready\n", "stdout", TIMEOUT)
        time.sleep(0.1)
        return d, flag

    @subset
    def test_pause_busy_loop_and_sleep(self):
        for mode in ("loop", "sleep"):
            d, flag = self._busy(mode)
            resp = d.request("pause", {"threadId": 1})
            self.assertTrue(resp["success"])
            ev, top = d.stopped("pause", None, None, 1)
            # At the next Python line: in the loop, or in a function the
            # loop calls (os.path.exists is Python code).
            frames = d.frames(1)
            self.assertEqual(frames[-1][0], "<module>", frames)
            self.assertIn(frames[-1][1], range(d.m["loop_head"],
                                               d.m["sleep"] + 1), frames)
            self.assertLessEqual(len(frames), 2, frames)
            open(flag, "w").close()
            d.cont()
            code, out = d.finish()
            self.assertEqual(code, 0, mode)
            self.assertIn("resumed 2\ncoroutine 3\n", out.get("stdout"))
            os.unlink(flag)

    @subset
    def test_breakpoints_in_running_loop_and_suspended_code(self):
        d, flag = self._busy("loop")
        res = d.set_breakpoints(d.path, ["spin"])
        self.assert_verified(res, [d.m["spin"]])
        d.stopped("breakpoint", "spin", "<module>", 1, [res[0]["id"]])
        # Replace: the loop's breakpoint goes; the suspended generator and
        # coroutine get theirs.
        res = d.set_breakpoints(d.path, ["gen_resumed", "coro_resumed"])
        self.assert_verified(res)
        open(flag, "w").close()
        d.cont()
        d.stopped("breakpoint", "gen_resumed", "gen", 1, [res[0]["id"]])
        d.cont()
        d.stopped("breakpoint", "coro_resumed", "coro", 1, [res[1]["id"]])
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(len(d.stops()), 3)

    @subset
    def test_threads_hit_the_same_breakpoint(self):
        d = self.debug("threads.py", bps={"threads.py": ["worker", "joined"]})
        ids = [r["id"] for r in d.bp_responses[d.path]["breakpoints"]]
        seen = {}
        for _ in range(4):
            ev, top = d.stopped("breakpoint", "worker", "worker", None,
                                [ids[0]])
            tid = ev["threadId"]
            self.assertNotIn(tid, seen, "thread reported twice")
            threads = d.request("threads")["body"]["threads"]
            self.assertEqual(threads[0], {"id": 1, "name": "MainThread"},
                             threads)
            names = {t["id"]: t["name"] for t in threads}
            self.assertRegex(names.get(tid, ""), r"^worker-\d$", threads)
            seen[tid] = names[tid]
            names_frames = [n for n, _ in d.frames(tid)]
            self.assertEqual(names_frames[0], "worker")
            self.assertNotIn("_bootstrap_inner", names_frames[1:2])
            d.cont(tid)
        self.assertEqual(sorted(seen.values()),
                         ["worker-%d" % i for i in range(4)])
        self.assertNotIn(1, seen)
        d.stopped("breakpoint", "joined", "<module>", 1, [ids[1]])
        started = [e["body"]["threadId"] for e in d.c.events("thread")
                   if e["body"]["reason"] == "started"]
        exited = [e["body"]["threadId"] for e in d.c.events("thread")
                  if e["body"]["reason"] == "exited"]
        self.assertEqual(sorted(started), sorted(seen), d.c.events("thread"))
        self.assertEqual(sorted(exited), sorted(seen), d.c.events("thread"))
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "joined\n")

    def _wait_parked(self, d, tid):
        """stackTrace of thread tid once it is parked (it parks at its next
        line, so right after the stop it may still be running)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            resp = d.request("stackTrace", {"threadId": tid}, ok=False)
            if resp["success"] or time.monotonic() > deadline:
                return resp
            time.sleep(0.02)

    def test_all_threads_stop_and_single_thread_continue(self):
        d = self.debug("allstop.py", bps={"allstop.py": ["main_stop",
                                                         "main_again"]})
        ids = [r["id"] for r in d.bp_responses[d.path]["breakpoints"]]
        d.stopped("breakpoint", "main_stop", "<module>", 1, [ids[0]])
        threads = d.request("threads")["body"]["threads"]
        spinner = [t["id"] for t in threads if t["name"] == "spinner"]
        self.assertEqual(len(spinner), 1, threads)
        tid = spinner[0]
        started = [e["body"] for e in d.c.events("thread")]
        self.assertIn({"reason": "started", "threadId": tid}, started)
        resp = self._wait_parked(d, tid)
        self.assertTrue(resp["success"], "the other thread did not stop: %r"
                        % (resp,))
        frames = resp["body"]["stackFrames"]
        self.assertEqual(frames[0]["name"], "spin")
        self.assertIn(frames[0]["line"], (d.m["spin"], d.m["spin"] - 1))
        # Only the main thread runs on (for 0.3 s), then stops again.
        body = d.cont(1, single=True)
        self.assertIsNot(body.get("allThreadsContinued"), True, body)
        d.stopped("breakpoint", "main_again", "<module>", 1, [ids[1]])
        self.assertTrue(self._wait_parked(d, tid)["success"])
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"),
                         "spinner advanced while main ran alone: 0\n")
        exited = [e["body"] for e in d.c.events("thread")
                  if e["body"]["reason"] == "exited"]
        self.assertEqual(exited, [{"reason": "exited", "threadId": tid}])

    # ==== editors' orders, interpreters ======================================
    def _editor_order(self, order):
        path = bp_program("stepping.py")
        m = markers(path)
        c = self.client()
        self.initialize(c)
        launch = self.launch_config(path)
        bps = {"source": {"path": path},
               "breakpoints": [{"line": m["callee_first"]}]}
        # Both: launch right after the initialize response, breakpoints once
        # `initialized` came. VS Code does not await the launch response;
        # nvim-dap awaits each request and sends setExceptionBreakpoints
        # before configurationDone.
        launch_seq = c.send_request("launch", launch)
        c.wait_event("initialized", TIMEOUT)
        resp = c.request("setBreakpoints", bps, TIMEOUT)
        if order == "nvim":
            self.assertTrue(c.request("setExceptionBreakpoints",
                                      {"filters": ["uncaught"]},
                                      TIMEOUT)["success"])
        done_seq = c.send_request("configurationDone")
        self.assertTrue(c.wait_response(launch_seq, TIMEOUT)["success"])
        self.assertTrue(c.wait_response(done_seq, TIMEOUT)["success"])
        self.assertTrue(resp["success"], resp)
        bp = resp["body"]["breakpoints"][0]
        # Verified by the runtime in the response, at its line.
        self.assertIs(bp["verified"], True, bp)
        self.assertEqual(bp["line"], m["callee_first"], bp)
        d = Debuggee(self, c, path)
        d.stopped("breakpoint", "callee_first", "callee", 1, [bp["id"]])
        d.cont()  # callee runs twice
        d.stopped("breakpoint", "callee_first", "callee", 1, [bp["id"]])
        # Nothing changed later: no `breakpoint` event.
        self.assertEqual(c.events("breakpoint"), [])
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "stepped 6\n")

    @subset
    def test_vscode_order_breakpoints_verified(self):
        self._editor_order("vscode")

    def test_nvim_order_breakpoints_verified(self):
        self._editor_order("nvim")

    def test_unsupported_python_fails_launch(self):
        py = python310()
        if py is None:
            self.skipTest("no pyenv Python 3.10 found")
        c = self.client()
        resp = self.start(c, {"python": py, "program": bp_program("kinds.py")})
        self.assertFalse(resp["success"], "launch with Python 3.10 succeeded")
        text = error_text(resp)
        self.assertIn("3.10", text, "the error does not name the version")
        self.disconnect(c)
