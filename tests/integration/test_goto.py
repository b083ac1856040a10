"""Jump to a line (gotoTargets, goto) and step into one call of a line
(stepInTargets, stepIn with a targetId) through the adapter, over stdio,
with a real debuggee interpreter, for every backend the runtime uses on
that interpreter (one class per backend, as test_breakpoints.py does).

What a user sees: the line the thread stops at (reason `goto`, or `step`
in the chosen callee), the values showing that skipped lines did not run
and re-run lines ran twice, the calls of a line in source order, and the
messages of the jumps Python refuses. The target program is
programs/bp/jumps.py (lines found by their `# BREAK:` markers).
"""

import linecache
import time

from bp_common import BreakpointCase, BreakpointSession, bp_program
from harness import TIMEOUT

PROG = bp_program("jumps.py")


class JumpTests(BreakpointSession):
    """Mixed into one TestCase per backend (the end of this file)."""

    def start(self, marker):
        d = self.debug("jumps.py", bps={"jumps.py": [marker]})
        d.stopped("breakpoint", marker)
        return d

    def top(self, d):
        return d.stack(1, levels=1)["stackFrames"][0]

    def value(self, d, expr):
        return d.request("evaluate", {"expression": expr, "context": "watch",
                                      "frameId": self.top(d)["id"]}
                         )["body"]["result"]

    def targets(self, d, marker_or_line):
        line = d.m.get(marker_or_line, marker_or_line)
        return d.request("gotoTargets", {"source": {"path": PROG},
                                         "line": line})["body"]["targets"]

    def goto(self, d, marker, ok=True):
        (target,) = self.targets(d, marker)
        self.assertEqual(target, {"id": target["id"], "line": d.m[marker],
                                  "label": "line %d" % d.m[marker]})
        return d.request("goto", {"threadId": 1, "targetId": target["id"]},
                         ok=ok)

    def end(self, d, expected):
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertIn(expected, out.get("stdout", ""))
        return out

    # ==== goto ===================================================================
    def test_goto_forward_skips_a_line(self):
        d = self.start("skip_assign")
        self.goto(d, "skip_after")
        ev, top = d.stopped("goto", "skip_after", "skip_one", 1)
        self.assertNotIn("hitBreakpointIds", ev)
        self.assertEqual(self.value(d, "value"), "'initial'")
        self.end(d, "skip_one initial\n")
        self.assertEqual(len(d.stops()), 2)

    def test_goto_onto_a_breakpoint_line(self):
        # The goto stop is that line's stop: continue runs on from there.
        d = self.debug("jumps.py", bps={"jumps.py": ["skip_assign",
                                                     "skip_after"]})
        d.stopped("breakpoint", "skip_assign")
        self.goto(d, "skip_after")
        d.stopped("goto", "skip_after", "skip_one", 1)
        self.end(d, "skip_one initial\n")
        self.assertEqual([e["body"]["reason"] for e in d.stops()],
                         ["breakpoint", "goto"])

    def test_goto_past_an_assignment(self):
        # The variable is never assigned: 3.11 leaves it unbound, 3.12+
        # bind None (said on the debug console, not on the program's
        # stderr); a jump back runs the assignments.
        d = self.start("skip_start")
        self.goto(d, "skip_after")
        d.stopped("goto", "skip_after", "skip_one", 1)
        if self.value(d, "__import__('sys').version_info >= (3, 12)") == \
                "True":
            self.assertEqual(self.value(d, "value"), "None")
            d.c.wait_output("dapper: after the jump to line %d, value is None"
                            % d.m["skip_after"], "console", 6.0)
        else:
            resp = d.request("evaluate", {
                "expression": "value", "frameId": self.top(d)["id"]}, ok=False)
            self.assertFalse(resp["success"], resp)
        self.goto(d, "skip_start")
        d.stopped("goto", "skip_start", "skip_one", 1)
        out = self.end(d, "skip_one assigned\n")
        self.assertNotIn("RuntimeWarning", out.get("stderr", ""))

    def test_capabilities(self):
        c = self.client()
        caps = self.initialize(c)
        self.assertIs(caps.get("supportsGotoTargetsRequest"), True, caps)
        self.assertIs(caps.get("supportsStepInTargetsRequest"), True, caps)
        self.disconnect(c)

    def test_goto_backward_reruns_a_line(self):
        d = self.start("rerun_after")
        self.assertEqual(self.value(d, "counter"), "1")
        self.goto(d, "rerun_add")
        d.stopped("goto", "rerun_add", "rerun", 1)
        d.step("next")  # onto the line of the breakpoint it stopped at
        d.stopped(None, "rerun_after", "rerun", 1)
        self.assertEqual(self.value(d, "counter"), "2")
        self.end(d, "rerun 2\n")

    def test_goto_twice_then_step(self):
        # A second jump from the goto stop, then a step from there.
        d = self.start("skip_start")
        self.goto(d, "skip_after")
        d.stopped("goto", "skip_after", "skip_one", 1)
        self.goto(d, "skip_assign")
        d.stopped("goto", "skip_assign", "skip_one", 1)
        d.step("next")
        d.stopped("step", "skip_after", "skip_one", 1)
        self.assertEqual(self.value(d, "value"), "'assigned'")
        self.end(d, "skip_one assigned\n")

    def test_goto_into_for_loop_body_refused(self):
        d = self.start("loop_start")
        resp = self.goto(d, "loop_body", ok=False)
        self.assertFalse(resp["success"], resp)
        msg = resp["message"]
        self.assertIn("Cannot jump from line %d to line %d in `loop`"
                      % (d.m["loop_start"], d.m["loop_body"]), msg)
        self.assertIn("inside a `for` block", msg)
        self.assertIn("jump to the `for` line (%d) instead" % d.m["loop_for"],
                      msg)
        # Nothing moved: still stopped where it was, and the loop runs.
        self.assertEqual(self.top(d)["line"], d.m["loop_start"])
        self.assertEqual(len(d.stops()), 1)
        self.end(d, "loop 3\n")

    def test_goto_into_with_and_except_refused(self):
        d = self.start("blocks_with")
        m = d.m
        for target, words in (
                ("blocks_with_body",
                 "inside a `with` block that line %d is not in: Python "
                 "cannot jump into it (the context manager is entered only "
                 "by the `with` line (%d))" % (m["blocks_with"],
                                               m["blocks_with"])),
                ("blocks_except_body",
                 "inside an `except` block that line %d is not in: Python "
                 "cannot jump into it (an `except` block (line %d) runs "
                 "only when it handles an exception)" % (
                     m["blocks_with"], m["blocks_except_body"] - 1))):
            resp = self.goto(d, target, ok=False)
            self.assertFalse(resp["success"], resp)
            self.assertIn("Cannot jump from line %d to line %d in `blocks` "
                          "(lines %d-%d): line %d is %s" % (
                              m["blocks_with"], m[target],
                              m["blocks_start"] - 1, m["blocks_end"],
                              m[target], words), resp["message"])
        # Into a `try` body is allowed: the with block is skipped.
        self.goto(d, "blocks_try_body")
        d.stopped("goto", "blocks_try_body", "blocks", 1)
        self.end(d, "blocks [1]\n")

    def test_goto_from_an_exception_stop_refused(self):
        d = self.debug("jumps.py", args=["raises"],
                       exc={"filters": ["raised"]})
        d.stopped("exception", "raise_line", "raises", 1)
        resp = self.goto(d, "caught", ok=False)
        self.assertFalse(resp["success"], resp)
        self.assertIn("thread 1 did not stop at the start of a line (it "
                      "stopped on an exception or a call), and Python jumps "
                      "only from a line; step once, then jump",
                      resp["message"])
        self.end(d, "raises caught\n")

    def test_goto_other_function_refused(self):
        d = self.start("loop_start")
        # Lines of another function, and lines without code, are no target.
        self.assertEqual(self.targets(d, "other_body"), [])
        self.assertEqual(self.targets(d, 1), [])
        self.assertEqual(d.request("gotoTargets", {
            "source": {"path": bp_program("stepping.py")},
            "line": d.m["loop_body"]})["body"]["targets"], [])
        resp = d.request("goto", {"threadId": 1,
                                  "targetId": d.m["other_body"]}, ok=False)
        self.assertFalse(resp["success"], resp)
        self.assertIn("Cannot jump to line %d: it is not a line with code of "
                      "`loop` (lines %d-%d)" % (d.m["other_body"],
                                                d.m["loop_start"] - 1,
                                                d.m["loop_end"]),
                      resp["message"])
        self.assertEqual(self.top(d)["line"], d.m["loop_start"])
        self.end(d, "loop 3\n")

    def test_goto_in_a_parked_thread(self):
        # The worker parked in its loop while the main thread stopped: a
        # jump out of the loop skips `before`; it stays parked until
        # continue, and is reported at its new line.
        path = bp_program("jumps_threads.py")
        d = self.debug("jumps_threads.py", prog=path,
                       bps={path: ["main_stop"]})
        d.stopped("breakpoint", "main_stop", "<module>", 1)
        (worker,) = [t["id"] for t in d.request("threads")["body"]["threads"]
                     if t["name"] == "worker"]
        deadline = time.monotonic() + TIMEOUT
        while True:  # parked at its next line
            resp = d.c.request("stackTrace", {"threadId": worker}, TIMEOUT)
            if resp["success"] or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        self.assertTrue(resp["success"], resp)
        self.assertIn(resp["body"]["stackFrames"][0]["line"],
                      (d.m["work_loop"], d.m["work_add"]))
        (target,) = d.request("gotoTargets", {
            "source": {"path": path}, "line": d.m["work_after"]}
        )["body"]["targets"]
        d.request("goto", {"threadId": worker, "targetId": target["id"]})
        d.stopped("goto", "work_after", "work", worker)
        # The main thread is still the one stopped at its breakpoint.
        self.assertEqual(d.frames(1)[0], ("<module>", d.m["main_stop"]))
        self.end(d, "worker ['after']\n")

    # ==== step-in targets =========================================================
    def step_targets(self, d):
        return d.request("stepInTargets", {"frameId": self.top(d)["id"]}
                         )["body"]["targets"]

    def test_step_in_targets_in_source_order(self):
        d = self.start("calls_line")
        targets = self.step_targets(d)
        self.assertEqual([t["label"] for t in targets],
                         ["f", "g", "h", "box.method", "len"])
        text = linecache.getline(PROG, d.m["calls_line"])
        for t, call in zip(targets, ["f(g(1), h(2))", "g(1)", "h(2)",
                                     'box.method(len("ab"))', 'len("ab")']):
            col = text.index(call) + 1
            self.assertEqual((t["line"], t["column"], t["endLine"],
                              t["endColumn"]),
                             (d.m["calls_line"], col, d.m["calls_line"],
                              col + len(call)), t)
        self.assertEqual(len({t["id"] for t in targets}), 5)
        # An outer frame has no targets: stepIn steps the top frame.
        outer = d.stack(1)["stackFrames"][1]
        self.assertEqual(d.request("stepInTargets", {"frameId": outer["id"]}
                                   )["body"]["targets"], [])
        self.end(d, "calls 24\n")

    def step_into(self, d, label):
        (target,) = [t for t in self.step_targets(d) if t["label"] == label]
        d.request("stepIn", {"threadId": 1, "targetId": target["id"]})

    def test_step_in_target_second_call(self):
        d = self.start("calls_line")
        self.step_into(d, "h")  # g runs without a stop
        d.stopped("step", "h_first", "h", 1)
        self.assertEqual([n for n, _ in d.frames(1)], ["h", "calls", "<module>"])
        self.assertEqual(self.value(d, "trail[-1]"), "'g'")
        self.end(d, "calls 24\n")

    def test_step_in_target_outer_call_after_its_arguments(self):
        d = self.start("calls_line")
        self.step_into(d, "f")
        d.stopped("step", "f_first", "f", 1)
        self.assertEqual(self.value(d, "trail[-2:]"), "['g', 'h']")
        self.assertEqual(self.value(d, "(a, b)"), "(2, 20)")
        self.end(d, "calls 24\n")

    def test_step_in_target_method(self):
        d = self.start("calls_line")
        self.step_into(d, "box.method")
        d.stopped("step", "method_first", "Box.method", 1)
        self.assertEqual(self.value(d, "trail[-3:]"), "['g', 'h', 'f']")
        self.end(d, "calls 24\n")

    def test_step_in_target_without_python_code(self):
        # len() runs no Python code: the step ends at the line after, and
        # the calls after it on the line (box.method) do not stop.
        d = self.start("calls_line")
        self.step_into(d, "len")
        d.stopped("step", "calls_after", "calls", 1)
        self.assertEqual(self.value(d, "trail[-1]"), "'method'")
        self.end(d, "calls 24\n")

    def test_step_in_unknown_target_refused(self):
        d = self.start("calls_line")
        resp = d.request("stepIn", {"threadId": 1, "targetId": 7}, ok=False)
        self.assertFalse(resp["success"], resp)
        self.assertIn("thread 1 has no step-in targets", resp["message"])
        self.assertEqual(len(self.step_targets(d)), 5)
        resp = d.request("stepIn", {"threadId": 1, "targetId": 6}, ok=False)
        self.assertIn("targetId 6 is not one of the 5 step-in targets",
                      resp["message"])
        self.assertEqual(self.top(d)["line"], d.m["calls_line"])
        self.end(d, "calls 24\n")


# ---- one class per backend ------------------------------------------------------
for _backend in ("auto", "tracing", "monitoring", "instrumented", "evalframe"):
    _cls = type("Jumps_%s" % _backend, (JumpTests, BreakpointCase),
                {"backend": _backend})
    globals()[_cls.__name__] = _cls
del _backend, _cls
