"""Stepping off a frame and stepping in coroutines, through the adapter:
stepOut (and next/stepIn on a `return` or a generator's `yield`) stops in
the caller on the line of the call, after the return and before the rest
of that line runs, with the "Return value" scope (an exception: the
handler); in a 5,000-deep
recursion each step out goes up one frame; `next` over an `await` lands on
the next line of the same coroutine while the event loop runs other
tasks; stepIn enters an awaited coroutine and stepOut returns to its
awaiter; stepping off a task's coroutine skips the event loop.

The SteppingTests mixin: test_breakpoints.py runs it in its one TestCase
per backend (every test here is @subset: it runs for every backend).
Programs: programs/bp/stepoff.py, asyncstep.py, deep.py.
"""

import subprocess

from bp_common import BreakpointSession, subset
from harness import CONFIG

_minor = []


def python_minor():
    """The minor version of the interpreter under test."""
    if not _minor:
        _minor.append(int(subprocess.check_output(
            [CONFIG.python, "-c", "import sys; print(sys.version_info[1])"],
            text=True)))
    return _minor[0]


class SteppingTests(BreakpointSession):
    """Mixed into one TestCase per backend by test_breakpoints.py."""

    def return_value(self, d, thread=1):
        """[(name, value)] of the top frame's "Return value" scope, or None
        when it has none."""
        top = d.stack(thread, levels=1)["stackFrames"][0]
        scopes = d.request("scopes", {"frameId": top["id"]})["body"]["scopes"]
        ret = [s for s in scopes if s.get("presentationHint") == "returnValue"]
        if not ret:
            return None
        self.assertEqual(ret[0]["name"], "Return value")
        body = d.request("variables", {
            "variablesReference": ret[0]["variablesReference"]})["body"]
        return [(v["name"], v["value"]) for v in body["variables"]]

    def walk(self, d, kind, line, name):
        """Steps thread 1 (kind: next, stepIn, stepOut); the step stops at
        line (a marker or number) in the frame named name."""
        d.step(kind)
        d.stopped("step", line, name, 1)

    def run_to_end(self, d, stdout=None):
        """Continues; the program ends with exit code 0 (and that stdout)."""
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        if stdout is not None:
            self.assertEqual(out.get("stdout"), stdout)

    def evaluate(self, d, expr, thread=1):
        top = d.stack(thread, levels=1)["stackFrames"][0]
        return d.request("evaluate", {"expression": expr, "frameId": top["id"],
                                      "context": "watch"})["body"]["result"]

    @subset
    def test_step_out_stops_on_the_call_line(self):
        d = self.debug("stepoff.py", bps={"stepoff.py": ["g_return",
                                                         "bad_raise"]})
        d.stopped("breakpoint", "g_return", "g", 1)
        # out of g in `x = f(g(y))`: that line, f not called yet
        self.walk(d, "stepOut", "call_line", "main")
        self.assertEqual(self.return_value(d), [("(return) g", "6")])
        self.assertNotIn("f ran", d.c.output("stdout"))
        self.assertEqual(d.frames(1), [("main", d.m["call_line"]),
                                       ("<module>", d.m["main_call"])])
        self.walk(d, "stepIn", "f_first", "f")  # the rest of the line: into f
        self.assertIsNone(self.return_value(d))
        self.walk(d, "next", "f_return", "f")
        # over the return: the call's line again
        self.walk(d, "next", "call_line", "main")
        self.assertEqual(self.return_value(d), [("(return) f", "7")])
        self.assertEqual(self.evaluate(d, "'x' in locals()"), "False")
        self.walk(d, "next", "after_call", "main")
        self.assertEqual(self.evaluate(d, "x"), "7")
        self.walk(d, "next", "main_return", "main")
        # stepIn on a return: the caller, on the call
        self.walk(d, "stepIn", "main_call", "<module>")
        self.assertEqual(self.return_value(d), [("(return) main", "7")])
        d.cont()
        d.stopped("breakpoint", "bad_raise", "bad", 1)
        # an exception, not a return: the handler
        self.walk(d, "stepOut", "except_line", "catcher")
        self.assertIsNone(self.return_value(d))
        self.walk(d, "next", "caught", "catcher")
        self.run_to_end(d, "f ran\nx 7\ntotal 3\n")

    @subset
    def test_step_out_of_a_generator_lands_where_it_was_resumed(self):
        d = self.debug("stepoff.py", bps={"stepoff.py": ["yield1"]})
        d.stopped("breakpoint", "yield1", "gen", 1)
        # back in next(it), before `a` is assigned
        self.walk(d, "stepOut", "resume1", "consume")
        self.assertEqual(self.evaluate(d, "'a' in locals()"), "False")
        self.walk(d, "next", "resume2", "consume")
        # next(it) resumes the generator
        self.walk(d, "stepIn", "yield2", "gen")
        # over the yield: where it was resumed
        self.walk(d, "next", "resume2", "consume")
        self.assertEqual(self.evaluate(d, "a"), "1")
        self.walk(d, "next", "consume_return", "consume")
        self.assertEqual(self.evaluate(d, "b"), "2")
        self.walk(d, "next", "consume_call", "<module>")  # over the return
        self.assertEqual(self.return_value(d), [("(return) consume", "3")])
        self.run_to_end(d)
        self.assertEqual(len(d.stops()), 7)

    @subset
    def test_step_out_of_5000_deep_recursion(self):
        if self.backend == "evalframe" and python_minor() >= 12:
            self.skipTest("evalframe on 3.12+: with a PEP 523 hook every "
                          "Python call counts against the C recursion limit "
                          "(RecursionError at ~750 frames on 3.12.1, ~4,950 "
                          "on 3.13.0; this program recurses 5,000 deep)")
        d = self.debug("deep.py", bps={"deep.py": ["bottom"]})
        d.stopped("breakpoint", "bottom", "rec", 1)
        self.assertEqual(d.stack(1, levels=1)["totalFrames"], 5001 + 1)
        call = d.m["bottom"] + 1  # return rec(n - 1) + 1
        # one frame up, on the line of the call
        self.walk(d, "stepOut", call, "rec")
        self.assertEqual(d.stack(1, levels=1)["totalFrames"], 5000 + 1)
        self.assertEqual(self.return_value(d), [("(return) rec", "0")])
        self.walk(d, "next", call, "rec")  # over the return: one more frame up
        self.assertEqual(d.stack(1, levels=1)["totalFrames"], 4999 + 1)
        self.assertEqual(self.return_value(d), [("(return) rec", "1")])
        self.walk(d, "stepOut", call, "rec")
        self.assertEqual(d.stack(1, levels=1)["totalFrames"], 4998 + 1)
        self.assertEqual(self.return_value(d), [("(return) rec", "2")])
        self.run_to_end(d, "depth 5000\n")

    # ==== coroutines ========================================================
    @subset
    def test_next_over_await_stays_in_the_coroutine(self):
        d = self.debug("asyncstep.py", bps={"asyncstep.py": ["main_start"]})
        d.stopped("breakpoint", "main_start", "main", 1)
        self.assertEqual(self.evaluate(d, "log"), "[]")
        self.walk(d, "next", "await_sleep", "main")
        # main suspends: ticker runs one round meanwhile
        self.walk(d, "next", "await_other", "main")
        self.assertEqual(self.evaluate(d, "log"), "[0]")
        # over `await other()`, which suspends once
        self.walk(d, "next", "after_other", "main")
        self.assertEqual(self.evaluate(d, "(b, log)"), "(5, [0, 1])")
        self.run_to_end(d, "result 6 [0, 1, 2, 3]\n")
        self.assertEqual(len(d.stops()), 4)

    @subset
    def test_step_into_awaited_coroutine_and_out_to_its_awaiter(self):
        d = self.debug("asyncstep.py", bps={"asyncstep.py": ["await_other"]})
        d.stopped("breakpoint", "await_other", "main", 1)
        # `other()` is created and awaited: into it
        self.walk(d, "stepIn", "other_first", "other")
        self.assertEqual([n for n, _ in d.frames(1)[:2]], ["other", "main"])
        self.walk(d, "next", "other_return", "other")  # over its own await
        # stepIn on the return: the awaiter, on the await
        self.walk(d, "stepIn", "await_other", "main")
        self.assertEqual(self.return_value(d), [("(return) other", "5")])
        self.walk(d, "stepIn", "after_other", "main")
        self.run_to_end(d)

        # stepOut while the coroutine is suspended at its await: the
        # awaiter, once it has returned
        d = self.debug("asyncstep.py", bps={"asyncstep.py": ["other_first"]})
        d.stopped("breakpoint", "other_first", "other", 1)
        self.walk(d, "stepOut", "await_other", "main")
        self.assertEqual(self.return_value(d), [("(return) other", "5")])
        self.assertEqual(self.evaluate(d, "log"), "[0, 1]")
        self.walk(d, "next", "after_other", "main")
        self.run_to_end(d, "result 6 [0, 1, 2, 3]\n")

    @subset
    def test_step_off_the_main_coroutine_skips_the_event_loop(self):
        d = self.debug("asyncstep.py", bps={"asyncstep.py": ["main_return"]})
        d.stopped("breakpoint", "main_return", "main", 1)
        # main's caller is the event loop: the step goes on to the user
        # code asyncio.run returns into, on the line of the call
        self.walk(d, "next", "end", "<module>")
        self.assertEqual(self.return_value(d), [("(return) run", "6")])
        self.assertEqual(len(d.frames(1)), 1)
        self.assertNotIn("result", d.c.output("stdout"))
        d.step("next")  # off the end
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "result 6 [0, 1, 2, 3]\n")
        self.assertEqual(len(d.stops()), 2)

    @subset
    def test_next_shows_the_return_values_of_the_calls_it_stepped_over(self):
        if python_minor() == 11 and self.backend != "tracing":
            self.skipTest("instrumented and evalframe on 3.11 run the callees "
                          "of a stepping frame untraced: no return event "
                          "(docs/runtime.md, \"Threads, stops, stepping\")")
        d = self.debug("retvals.py", bps={"retvals.py": ["two_calls"]})
        d.stopped("breakpoint", "two_calls", "main", 1)
        self.assertIsNone(self.return_value(d))
        self.walk(d, "next", "no_calls", "main")
        self.assertEqual(self.return_value(d), [("(return) f", "10"),
                                                ("(return) g", "200")])
        self.walk(d, "next", "nested_call", "main")  # a line without calls
        self.assertIsNone(self.return_value(d))
        # direct callees only (not nested's call of f), methods by qualname
        self.walk(d, "next", "through_c", "main")
        self.assertEqual(self.return_value(d), [("(return) nested", "31"),
                                                ("(return) Box.get", "5")])
        # called through C (map): still called by this line
        self.walk(d, "next", "many", "main")
        self.assertEqual(self.return_value(d), [("(return) f", "10"),
                                                ("(return) f", "20")])
        # 20 calls: the last 16, in call order
        self.walk(d, "next", "after", "main")
        self.assertEqual(self.return_value(d),
                         [("(return) f", str(i * 10)) for i in range(4, 20)])
        self.run_to_end(d, "210 211 36 [10, 20] 20\n")

    @subset
    def test_next_over_a_callee_making_many_calls(self):
        if python_minor() == 11 and self.backend != "tracing":
            self.skipTest("instrumented and evalframe on 3.11 do not show "
                          "the return values of a next's calls")
        d = self.debug("retvals_busy.py", bps={"retvals_busy.py": ["few"]})
        d.stopped("breakpoint", "few", "main", 1)
        self.walk(d, "next", "busy", "main")  # busy(10): 10 nested returns
        self.assertEqual(self.return_value(d), [("(return) busy", "55"),
                                                ("(return) leaf", "1")])
        self.walk(d, "next", "done", "main")  # busy(1000): 1,000 of them
        if self.backend == "tracing":  # sees every return anyway
            self.assertEqual(self.return_value(d),
                             [("(return) busy", "500500"), ("(return) leaf", "1")])
        else:  # sys.monitoring: more than 64 nested returns, none collected
            self.assertIsNone(self.return_value(d))
        self.run_to_end(d, "56 500501\n")

    @subset
    def test_a_next_stopped_in_a_callee_shows_no_return_values_there(self):
        if python_minor() == 11 and self.backend != "tracing":
            self.skipTest("instrumented and evalframe on 3.11 do not show "
                          "the return values of a next's calls")
        d = self.debug("retvals.py", bps={"retvals.py": ["nested_call",
                                                         "get_return"]})
        d.stopped("breakpoint", "nested_call", "main", 1)
        # nested() returned, then the breakpoint in Box.get stops the step:
        # nested's return value belongs to main's scopes, not to get's
        d.step("next")
        d.stopped("breakpoint", "get_return", "Box.get", 1)
        self.assertIsNone(self.return_value(d))
        self.walk(d, "stepOut", "nested_call", "main")
        self.assertEqual(self.return_value(d), [("(return) Box.get", "5")])
        self.walk(d, "next", "through_c", "main")
        self.assertIsNone(self.return_value(d))  # nothing left of the line
        self.run_to_end(d, "210 211 36 [10, 20] 20\n")

    @subset
    def test_show_return_value_false_shows_no_return_values(self):
        launch_config = self.launch_config
        self.launch_config = lambda *a, **k: dict(launch_config(*a, **k),
                                                  showReturnValue=False)
        d = self.debug("retvals.py", bps={"retvals.py": ["two_calls"]})
        d.stopped("breakpoint", "two_calls", "main", 1)
        self.walk(d, "next", "no_calls", "main")
        self.assertIsNone(self.return_value(d))
        self.walk(d, "next", "nested_call", "main")
        self.walk(d, "stepIn", "nested_return", "nested")
        self.walk(d, "stepOut", "nested_call", "main")  # leaving a function
        self.assertIsNone(self.return_value(d))
        self.walk(d, "next", "through_c", "main")
        self.assertIsNone(self.return_value(d))
        self.run_to_end(d, "210 211 36 [10, 20] 20\n")
