"""Lazy verification through the adapter (docs/runtime.md, "Breakpoint
lines"): a breakpoint set before the program starts in a file nothing has
loaded yet is answered from a stat (verified at the requested line), then
checked against the module's code when it loads; each change reaches the
client as a `breakpoint` event (reason "changed", same id). A file already
loaded gets the exact answer in the response. Mixed into the per-backend
classes of test_breakpoints.py."""

from bp_common import bp_program, markers, subset
from harness import TIMEOUT

MOD = bp_program("lazy_mod.py")
MAIN = "lazy_main.py"


class LazyTests:
    """Needs BreakpointSession (debug, assert_verified)."""

    def changed_events(self, c, n):
        """The first n `breakpoint` events, each reason "changed"."""
        out = []
        for _ in range(n):
            ev = c.wait_event("breakpoint", TIMEOUT)["body"]
            self.assertEqual(ev.get("reason"), "changed", ev)
            out.append(ev["breakpoint"])
        return out

    @subset
    def test_lazy_breakpoint_moves_when_module_loads(self):
        m = markers(MOD)
        seen = {}

        def setup(d):
            res = d.set_breakpoints(MOD, ["before_value", "in_func_comment"])
            # answered from a stat: verified at the requested lines
            self.assert_verified(res, [m["before_value"], m["in_func_comment"]])
            seen["res"] = res
            st = d.request("dapper/statistics")["body"]["cache"]
            self.assertGreaterEqual(st["lazy"], 1, st)
            self.assertEqual(st["compiles"] + st["pyc_reads"], 0,
                             "the file was read before it loaded: %r" % st)

        d = self.debug(MAIN, setup=setup)
        res = seen["res"]
        d.stopped("breakpoint", m["value"], ids=[res[0]["id"]])
        events = {b["id"]: b for b in self.changed_events(d.c, 2)}
        self.assertEqual(set(events), {r["id"] for r in res}, events)
        first, second = events[res[0]["id"]], events[res[1]["id"]]
        self.assertEqual((first["verified"], first["line"]), (True, m["value"]))
        self.assertEqual((second["verified"], second["line"]),
                         (True, m["in_func_code"]))
        self.assertEqual({first["source"]["path"], second["source"]["path"]},
                         {MOD})
        d.cont()
        d.stopped("breakpoint", m["in_func_code"], name="work",
                  ids=[res[1]["id"]])
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "start\nwork 21\n")

    @subset
    def test_lazy_breakpoint_past_last_code_becomes_unverified(self):
        m = markers(MOD)
        seen = {}

        def setup(d):
            res = d.set_breakpoints(MOD, ["past_end", "value"])
            self.assert_verified(res, [m["past_end"], m["value"]])
            seen["res"] = res

        d = self.debug(MAIN, setup=setup)
        res = seen["res"]
        ev = self.changed_events(d.c, 1)[0]
        self.assertEqual(ev["id"], res[0]["id"], ev)
        self.assertIs(ev["verified"], False, ev)
        self.assertEqual(ev["line"], m["past_end"], ev)
        self.assertEqual(ev.get("message"),
                         "no code at or after line %d" % m["past_end"], ev)
        # the other one was right: no event for it, and it fires
        d.stopped("breakpoint", m["value"], ids=[res[1]["id"]])
        d.cont()
        code, out = d.finish()
        self.assertEqual(code, 0)
        self.assertEqual(out.get("stdout"), "start\nwork 21\n")
        self.assertEqual([e["body"]["breakpoint"]["id"]
                          for e in d.c.events("breakpoint")], [res[0]["id"]])

    def test_loaded_module_gets_exact_answer(self):
        m = markers(MOD)
        main = bp_program(MAIN)
        d = self.debug(MAIN, bps={main: ["main_call"]})
        d.stopped("breakpoint", "main_call")
        before = d.request("dapper/statistics")["body"]["cache"]
        res = d.set_breakpoints(MOD, ["in_func_comment", "past_end"])
        # lazy_mod is in sys.modules now: exact, in the response
        self.assertEqual((res[0]["verified"], res[0]["line"]),
                         (True, m["in_func_code"]), res)
        self.assertIs(res[1]["verified"], False, res)
        self.assertEqual(res[1].get("message"),
                         "no code at or after line %d" % m["past_end"], res)
        after = d.request("dapper/statistics")["body"]["cache"]
        self.assertEqual(after["lazy"], before["lazy"], (before, after))
        self.assertEqual(after["compiles"] + after["pyc_reads"],
                         before["compiles"] + before["pyc_reads"] + 1,
                         (before, after))
        d.cont()
        d.stopped("breakpoint", m["in_func_code"], name="work",
                  ids=[res[0]["id"]])
        d.cont()
        code, _out = d.finish()
        self.assertEqual(code, 0)
        ids = [e["body"]["breakpoint"]["id"] for e in d.c.events("breakpoint")]
        self.assertNotIn(res[0]["id"], ids)
        self.assertNotIn(res[1]["id"], ids)

    def test_missing_file_unverified_in_response(self):
        missing = bp_program("no_such_module.py")

        def setup(d):
            res = d.set_breakpoints(missing, [3])
            self.assertIs(res[0]["verified"], False, res)
            self.assertIn("No such file or directory", res[0].get("message", ""))

        d = self.debug(MAIN, setup=setup)
        code, _out = d.finish()
        self.assertEqual(code, 0)
