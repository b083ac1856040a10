"""Inspection through the adapter: scopes, variables (every kind of value,
paging, formatting, lazy properties), evaluate (contexts, statements,
errors), setVariable / setExpression (the program then uses the new value),
completions, exceptionInfo, source for code without a file, modules and
loadedSources, and the time budget (a blocking getter times out while the
next request still answers; cancel). Target: programs/inspect_target.py.
"""

import time

from harness import CONFIG, TIMEOUT, DapTestCase, program

TARGET = program("inspect_target.py")


def marker_line(marker):
    with open(TARGET) as f:
        for i, line in enumerate(f, 1):
            if marker in line:
                return i
    raise AssertionError("no %s in %s" % (marker, TARGET))


class InspectTests(DapTestCase):
    transport = "stdio"

    # ---- helpers ------------------------------------------------------------
    def stop_at(self, marker, launch_extra=None, caps=None, exceptions=None,
                env=None):
        """A session stopped at the line of `marker`; returns (client,
        thread id, top frame id)."""
        c = self.client()
        init = {"adapterID": "dapper", "clientID": "dapper-inspect-tests",
                "linesStartAt1": True, "columnsStartAt1": True,
                "supportsInvalidatedEvent": True}
        init.update(caps or {})
        resp = c.request("initialize", init, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        self.caps = resp["body"]
        launch = self.launch_args(program=TARGET, evaluateTimeout=1)
        if env:
            launch["env"] = env
        launch.update(launch_extra or {})
        seq = c.send_request("launch", launch)
        c.wait_event("initialized", TIMEOUT)
        lines = [{"line": marker_line(m)} for m in
                 (marker if isinstance(marker, (list, tuple)) else [marker])]
        r = c.request("setBreakpoints", {"source": {"path": TARGET},
                                         "breakpoints": lines}, TIMEOUT)
        self.assertTrue(r["success"], r)
        if exceptions:
            r = c.request("setExceptionBreakpoints", {"filters": exceptions},
                          TIMEOUT)
            self.assertTrue(r["success"], r)
        c.request("configurationDone", None, TIMEOUT)
        self.assertTrue(c.wait_response(seq, TIMEOUT)["success"])
        ev = c.wait_event("stopped", 15)
        tid = ev["body"]["threadId"]
        return c, tid, self.top_frame(c, tid)

    def top_frame(self, c, tid):
        st = self.ok(c, "stackTrace", {"threadId": tid})
        return st["stackFrames"][0]["id"]

    def ok(self, c, command, args=None):
        r = c.request(command, args, TIMEOUT)
        self.assertTrue(r["success"], "%s %r failed: %r" % (command, args, r))
        return r.get("body") or {}

    def fail_msg(self, c, command, args=None):
        r = c.request(command, args, TIMEOUT)
        self.assertFalse(r["success"], "%s %r succeeded: %r" % (command, args, r))
        return r.get("message") or ""

    def scope(self, c, fid, name):
        scopes = self.ok(c, "scopes", {"frameId": fid})["scopes"]
        return next(s for s in scopes if s["name"] == name)

    def children(self, c, ref, **kw):
        args = {"variablesReference": ref}
        args.update(kw)
        return self.ok(c, "variables", args)["variables"]

    def by_name(self, variables):
        return {v["name"]: v for v in variables}

    def evaluate(self, c, fid, expr, context="watch", **kw):
        args = {"expression": expr, "frameId": fid, "context": context}
        args.update(kw)
        return self.ok(c, "evaluate", args)

    def check_evaluate_names(self, c, fid, variables):
        """Every evaluateName evaluates back to the same value."""
        for v in variables:
            name = v.get("evaluateName")
            if not name or (v.get("presentationHint") or {}).get("lazy"):
                continue
            got = self.evaluate(c, fid, name)
            self.assertEqual(got["result"], v["value"],
                             "%s evaluated back to %r, shown %r"
                             % (name, got["result"], v["value"]))

    def finish(self, c):
        self.ok(c, "continue", {"threadId": 1})
        c.wait_event("terminated", TIMEOUT)
        self.disconnect(c)

    # ---- tests ----------------------------------------------------------------
    def test_capabilities(self):
        c = self.client()
        caps = self.initialize(c)
        for cap in ("supportsEvaluateForHovers", "supportsSetVariable",
                    "supportsSetExpression", "supportsCompletionsRequest",
                    "supportsExceptionInfoRequest",
                    "supportsLoadedSourcesRequest", "supportsModulesRequest",
                    "supportsValueFormattingOptions",
                    "supportsClipboardContext", "supportsCancelRequest",
                    "supportsDelayedStackTraceLoading"):
            self.assertIs(caps.get(cap), True, cap)
        self.disconnect(c)

    def test_scopes_and_locals(self):
        c, tid, fid = self.stop_at("BREAK-MAIN")
        scopes = self.ok(c, "scopes", {"frameId": fid})["scopes"]
        self.assertEqual([s["name"] for s in scopes], ["Locals", "Globals"])
        self.assertEqual(scopes[0]["presentationHint"], "locals")
        self.assertIs(scopes[0]["expensive"], False)
        self.assertIs(scopes[1]["expensive"], True)
        loc = self.by_name(self.children(c, scopes[0]["variablesReference"]))
        expect = {"counter": ("41", "int"), "lst": ("[1, 'two', 3.0, None]",
                                                    "list"),
                  "tup": ("(1, 2)", "tuple"), "st": ("{5}", "set"),
                  "fst": ("frozenset({'f'})", "frozenset"),
                  "raw": ("b'\\x00AB'", "bytes"),
                  "pair": ("Pair(zeta=1, alpha='b')", "Pair"),
                  "cfg": ("Config(zeta=3, alpha='a', items=[1])", "Config"),
                  "n": ("13", "int")}
        for name, (value, typ) in expect.items():
            self.assertEqual((loc[name]["value"], loc[name]["type"]),
                             (value, typ), name)
            self.assertEqual(loc[name]["evaluateName"], name)
        for name in ("lst", "tup", "st", "fst", "raw", "d", "pt", "sl",
                     "cfg", "pair", "mod", "cls", "big"):
            self.assertGreater(loc[name]["variablesReference"], 0, name)
        self.assertEqual(loc["counter"]["variablesReference"], 0)
        self.assertEqual(loc["big"]["indexedVariables"], 1000000)
        self.assertLessEqual(len(loc["big"]["value"]), 1010)
        self.assertLessEqual(len(loc["text"]["value"]), 1010)
        self.assertIn("__repr__ raised RuntimeError: no repr for you",
                      loc["bad"]["value"])
        # Globals: public first, dunders in a group after them.
        glob = self.children(c, scopes[1]["variablesReference"])
        names = [v["name"] for v in glob]
        self.assertIn("GLOBAL_LIMIT", names)
        self.assertEqual(names[-1], "special variables")
        special = self.by_name(self.children(c, glob[-1]["variablesReference"]))
        self.assertIn("__name__", special)
        self.assertEqual(special["__name__"]["value"], "'__main__'")
        self.check_evaluate_names(c, fid, [v for v in loc.values()
                                           if v["name"] not in ("bad",)])
        self.finish(c)

    def test_containers_and_objects(self):
        c, tid, fid = self.stop_at("BREAK-MAIN")
        loc = self.by_name(self.children(
            c, self.scope(c, fid, "Locals")["variablesReference"]))

        def kids(name):
            out = self.children(c, loc[name]["variablesReference"])
            self.check_evaluate_names(c, fid, out)
            # len() and hex: test_values.py
            return [v for v in out if v["name"] not in ("len()", "hex")]

        d = kids("d")
        self.assertEqual([v["name"] for v in d],
                         ["'key'", "2", "(1, 't')", "None"])
        self.assertEqual(d[0]["evaluateName"], "d['key']")
        self.assertEqual([v["value"] for v in kids("lst")],
                         ["1", "'two'", "3.0", "None"])
        tup = kids("tup")
        self.assertIn("readOnly", tup[0]["presentationHint"]["attributes"])
        self.assertEqual([v["value"] for v in kids("st")], ["5"])
        self.assertEqual([v["value"] for v in kids("fst")], ["'f'"])
        self.assertEqual([v["value"] for v in kids("raw")], ["0", "65", "66"])
        self.assertEqual([(v["name"], v["value"]) for v in kids("cfg")][:2],
                         [("zeta", "3"), ("alpha", "'a'")])
        self.assertEqual([(v["name"], v["value"]) for v in kids("pair")],
                         [("zeta", "1"), ("alpha", "'b'")])
        pt = kids("pt")
        names = [v["name"] for v in pt]
        # public names first, then private ones
        self.assertLess(names.index("x"), names.index("_hidden"))
        self.assertIn("_Point__mangled", names)
        pt = self.by_name(pt)
        self.assertEqual(pt["y"]["value"], "[1, 2]")
        self.assertEqual(pt["_hidden"]["presentationHint"]["visibility"],
                         "private")
        # properties are lazy: the getter runs only when expanded
        area = pt["area"]
        self.assertIs(area["presentationHint"]["lazy"], True)
        self.assertEqual(area["presentationHint"]["kind"], "property")
        got = self.children(c, area["variablesReference"])
        self.assertEqual(got[0]["value"], "10")
        got = self.children(c, pt["broken"]["variablesReference"])
        self.assertEqual(got[0]["value"], "ValueError: getter failed")
        sl = self.by_name(kids("sl"))
        self.assertEqual((sl["a"]["value"], sl["b"]["value"],
                          sl["_Slotted__c"]["value"]), ("1", "'two'", "3"))
        cls = self.by_name(kids("cls"))
        self.assertEqual(cls["kind"]["value"], "'class attribute'")
        mod = self.by_name(self.children(c, loc["mod"]["variablesReference"]))
        self.assertIn("getcwd", mod)
        self.assertEqual(mod["getcwd"]["evaluateName"], "mod.getcwd")
        self.finish(c)

    def test_paging_a_million_items_and_hex(self):
        c, tid, fid = self.stop_at("BREAK-MAIN")
        loc = self.by_name(self.children(
            c, self.scope(c, fid, "Locals")["variablesReference"]))
        ref = loc["big"]["variablesReference"]
        started = time.monotonic()
        page = self.children(c, ref, filter="indexed", start=999990, count=5)
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertEqual([(v["name"], v["value"]) for v in page],
                         [(str(i), str(i)) for i in range(999990, 999995)])
        self.assertEqual(page[0]["evaluateName"], "big[999990]")
        page = self.children(c, ref, filter="indexed", start=255, count=2,
                             format={"hex": True})
        self.assertEqual([v["value"] for v in page], ["0xff", "0x100"])
        self.assertEqual([v["name"] for v in
                          self.children(c, ref, filter="named")], ["len()"])
        # without paging: a bounded number of items and a note
        everything = self.children(c, ref)
        self.assertLessEqual(len(everything), 1002)  # + note, len()
        got = self.evaluate(c, fid, "255", format={"hex": True})
        self.assertEqual(got["result"], "0xff")
        dref = loc["big_dict"]["variablesReference"]
        self.assertEqual(loc["big_dict"]["indexedVariables"], 3000)
        page = self.children(c, dref, filter="indexed", start=2000, count=2)
        self.assertEqual([(v["name"], v["value"]) for v in page],
                         [("2000", "'2000'"), ("2001", "'2001'")])
        self.finish(c)

    def test_evaluate_contexts(self):
        c, tid, fid = self.stop_at("BREAK-MAIN")
        self.assertEqual(self.evaluate(c, fid, "counter + 1")["result"], "42")
        self.assertIn("NameError", self.fail_msg(
            c, "evaluate", {"expression": "nope", "frameId": fid,
                            "context": "watch"}))
        self.assertIn("SyntaxError", self.fail_msg(
            c, "evaluate", {"expression": "x = ", "frameId": fid,
                            "context": "repl"}))
        self.assertIn("ValueError: getter failed", self.fail_msg(
            c, "evaluate", {"expression": "pt.broken", "frameId": fid,
                            "context": "hover"}))
        # a statement in watch context is refused, in the repl it runs
        self.assertFalse(c.request("evaluate", {
            "expression": "zz = 5", "frameId": fid, "context": "watch"},
            TIMEOUT)["success"])
        self.evaluate(c, fid, "zz = 5", "repl")
        self.assertEqual(self.evaluate(c, fid, "zz * 2", "repl")["result"],
                         "10")
        self.evaluate(c, fid, "import os as os2", "repl")
        self.assertEqual(self.evaluate(c, fid, "os2.sep")["result"], "'/'")
        self.evaluate(c, fid, "print('printed', 6 * 7)", "repl")
        c.wait_output("printed 42\n", timeout=TIMEOUT)
        c.wait_event("invalidated", TIMEOUT)
        # hover is bounded; clipboard is the whole value
        self.assertLessEqual(len(self.evaluate(c, fid, "text", "hover")
                                 ["result"]), 1010)
        self.assertEqual(len(self.evaluate(c, fid, "text", "clipboard")
                             ["result"]), 5002)
        # a container result is expandable
        got = self.evaluate(c, fid, "d", "repl")
        self.assertGreater(got["variablesReference"], 0)
        self.assertEqual(got["indexedVariables"], 4)
        kids = self.children(c, got["variablesReference"])
        self.assertEqual(kids[0]["evaluateName"], "(d)['key']")
        self.assertEqual(self.evaluate(c, fid, kids[0]["evaluateName"])
                         ["result"], "1")
        # without a frame: __main__'s globals
        r = self.ok(c, "evaluate", {"expression": "GLOBAL_LIMIT * 2",
                                    "context": "repl"})
        self.assertEqual(r["result"], "14")
        self.finish(c)

    def test_set_variable_is_used_by_the_program(self):
        c, tid, fid = self.stop_at("BREAK-MAIN")
        loc_ref = self.scope(c, fid, "Locals")["variablesReference"]
        r = self.ok(c, "setVariable", {"variablesReference": loc_ref,
                                       "name": "counter", "value": "99 + 1"})
        self.assertEqual(r["value"], "100")
        c.wait_event("invalidated", TIMEOUT)
        loc = self.by_name(self.children(c, loc_ref))
        self.assertEqual(loc["counter"]["value"], "100")
        # attribute, dict entry, list item, global
        pt = loc["pt"]["variablesReference"]
        self.assertEqual(self.ok(c, "setVariable", {
            "variablesReference": pt, "name": "x", "value": "7"})["value"], "7")
        self.assertEqual(self.ok(c, "setVariable", {
            "variablesReference": loc["d"]["variablesReference"],
            "name": "'key'", "value": "'new'"})["value"], "'new'")
        self.assertEqual(self.ok(c, "setVariable", {
            "variablesReference": loc["lst"]["variablesReference"],
            "name": "1", "value": "[2]"})["value"], "[2]")
        self.assertEqual(self.evaluate(c, fid, "lst")["result"],
                         "[1, [2], 3.0, None]")
        glob = self.scope(c, fid, "Globals")["variablesReference"]
        self.ok(c, "setVariable", {"variablesReference": glob,
                                   "name": "GLOBAL_LIMIT", "value": "8"})
        self.assertEqual(self.evaluate(c, fid, "GLOBAL_LIMIT")["result"], "8")
        self.assertIn("immutable", self.fail_msg(c, "setVariable", {
            "variablesReference": loc["tup"]["variablesReference"],
            "name": "0", "value": "5"}))
        # setExpression
        r = self.ok(c, "setExpression", {"expression": "pt.x",
                                         "value": "pt.x + 1", "frameId": fid})
        self.assertEqual(r["value"], "8")
        self.ok(c, "setExpression", {"expression": "d['key']",
                                     "value": "'expr'", "frameId": fid})
        self.ok(c, "continue", {"threadId": tid})
        c.wait_event("terminated", TIMEOUT)
        out = c.output("stdout")
        self.assertIn("counter is 100\n", out)
        self.assertIn("pt.x is 8 d[key] is expr\n", out)
        self.disconnect(c)

    def test_return_value_after_step_out(self):
        c, tid, fid = self.stop_at("BREAK-COMPUTE")
        self.ok(c, "stepOut", {"threadId": tid})
        c.wait_event("stopped", TIMEOUT,
                     lambda m: m["body"]["reason"] == "step")
        fid = self.top_frame(c, tid)
        scopes = self.ok(c, "scopes", {"frameId": fid})["scopes"]
        self.assertEqual(scopes[0]["name"], "Return value")
        self.assertEqual(scopes[0]["presentationHint"], "returnValue")
        ret = self.children(c, scopes[0]["variablesReference"])
        self.assertEqual([(v["name"], v["value"]) for v in ret],
                         [("(return) compute", "13")])
        self.finish(c)

    def test_stale_reference_completions_and_modules(self):
        c, tid, fid = self.stop_at(["BREAK-COMPUTE", "BREAK-MAIN"])
        loc_ref = self.scope(c, fid, "Locals")["variablesReference"]
        # completions
        labels = [t["label"] for t in self.ok(c, "completions", {
            "text": "res", "column": 4, "frameId": fid})["targets"]]
        self.assertIn("result", labels)
        labels = [t["label"] for t in self.ok(c, "completions", {
            "text": "GLOBAL_L", "column": 9, "frameId": fid})["targets"]]
        self.assertIn("GLOBAL_LIMIT", labels)
        # modules (paged) and loaded sources
        mods = self.ok(c, "modules", {"startModule": 0, "moduleCount": 5})
        self.assertEqual(len(mods["modules"]), 5)
        self.assertGreater(mods["totalModules"], 5)
        self.assertTrue(c.events("module"))
        sources = self.ok(c, "loadedSources")["sources"]
        self.assertIn(TARGET, [s.get("path") for s in sources])
        # resume: the old references are refused with a clear message
        self.ok(c, "continue", {"threadId": tid})
        c.wait_event("stopped", TIMEOUT)
        msg = self.fail_msg(c, "variables", {"variablesReference": loc_ref})
        self.assertIn("not valid any more", msg)
        fid = self.top_frame(c, tid)
        labels = [t["label"] for t in self.ok(c, "completions", {
            "text": "pt.a", "column": 5, "frameId": fid})["targets"]]
        self.assertIn("area", labels)
        labels = [t["label"] for t in self.ok(c, "completions", {
            "text": "d['k", "column": 5, "frameId": fid})["targets"]]
        self.assertIn("'key'", labels)
        self.finish(c)

    def test_exception_info_and_source_without_file(self):
        c, tid, fid = self.stop_at("BREAK-MAIN", exceptions=["raised"])
        self.ok(c, "continue", {"threadId": tid})
        ev = c.wait_event("stopped", TIMEOUT,
                          lambda m: m["body"]["reason"] == "exception")
        info = self.ok(c, "exceptionInfo", {"threadId": tid})
        self.assertEqual(info["exceptionId"], "KeyError")
        self.assertEqual(info["breakMode"], "always")
        self.assertIn("from exec", info["description"])
        self.assertIn("Traceback", info["details"]["stackTrace"])
        frames = self.ok(c, "stackTrace", {"threadId": tid})["stackFrames"]
        src = frames[0]["source"]
        self.assertEqual(src["name"], "<string>")
        self.assertGreater(src.get("sourceReference", 0), 0)
        text = self.ok(c, "source", {"source": src,
                                     "sourceReference":
                                     src["sourceReference"]})["content"]
        lines = text.splitlines()
        self.assertIn("KeyError", lines[frames[0]["line"] - 1])
        # paged stack traces (supportsDelayedStackTraceLoading)
        page = self.ok(c, "stackTrace", {"threadId": tid, "startFrame": 1,
                                         "levels": 1})
        self.assertEqual(len(page["stackFrames"]), 1)
        self.assertEqual(page["stackFrames"][0]["name"], "boom_in_exec")
        self.assertEqual(page["totalFrames"], len(frames))
        self.finish(c)

    def test_blocking_getter_times_out_and_session_stays_usable(self):
        c, tid, fid = self.stop_at("BREAK-MAIN",
                                   env={"BLOCK_SECONDS": "2.5"})
        started = time.monotonic()
        msg = self.fail_msg(c, "evaluate", {"expression": "blocker.slow",
                                            "frameId": fid,
                                            "context": "hover"})
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertIn("timed out", msg)
        # the thread is busy running the getter: said at once
        msg = self.fail_msg(c, "evaluate", {"expression": "1 + 1",
                                            "frameId": fid})
        self.assertIn("busy", msg)
        self.assertEqual(self.ok(c, "threads")["threads"][0]["id"], tid)
        # once the getter returns, the thread answers again
        deadline = time.monotonic() + 6
        while True:
            r = c.request("evaluate", {"expression": "1 + 1", "frameId": fid,
                                       "context": "watch"}, TIMEOUT)
            if r["success"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertTrue(r["success"], r)
        self.assertEqual(r["body"]["result"], "2")
        # cancel: the adapter answers "cancelled" at once
        seq = c.send_request("evaluate", {"expression": "blocker.slow",
                                          "frameId": fid, "context": "repl"})
        time.sleep(0.1)
        self.ok(c, "cancel", {"requestId": seq})
        r = c.wait_response(seq, TIMEOUT)
        self.assertFalse(r["success"])
        self.assertEqual(r["message"], "cancelled")
        self.finish(c)
