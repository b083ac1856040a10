"""What the variables view shows of real values, through the adapter: the
structure of any object (slots across the MRO, C getters, class and
function variable groups, len()), renderers chosen by type name (datetime,
Decimal, collections, enum, array, memoryview, bytes, re.Match, pathlib,
exceptions, a program's own `__dapper_renderers__`; NumPy and pandas where
the interpreter has them), paging of 10**6 and 10**7 elements, and the time
budget per value (a slow __repr__ fails only its variable). Every child's
evaluateName is evaluated back and compared. Target:
programs/values_target.py.
"""

import os
import subprocess
import time
import unittest

from harness import CONFIG, TIMEOUT, DapTestCase, program

TARGET = program("values_target.py")


def has_numpy():
    """True when the debuggee interpreter has NumPy and pandas."""
    r = subprocess.run([CONFIG.python, "-c", "import numpy, pandas"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return r.returncode == 0


class ValuesTests(DapTestCase):
    transport = "stdio"

    def session(self, numpy=False, timeout=5, slow=None):
        """Stopped at BREAK-VALUES; sets self.c, self.fid, self.loc (the
        locals, whose evaluateNames are checked unless some are slow)."""
        with open(TARGET) as f:
            line = next(i for i, t in enumerate(f, 1) if "# BREAK-VALUES" in t)
        c = self.c = self.client()
        self.initialize(c)
        env = {"SLOW_SECONDS": str(slow)} if slow else {}
        if numpy:
            env["VALUES_NUMPY"] = "1"
        seq = c.send_request("launch", self.launch_args(
            program=TARGET, evaluateTimeout=timeout, env=env))
        c.wait_event("initialized", TIMEOUT)
        self.ok("setBreakpoints", {"source": {"path": TARGET},
                                   "breakpoints": [{"line": line}]})
        self.ok("configurationDone")
        self.assertTrue(c.wait_response(seq, TIMEOUT)["success"])
        tid = c.wait_event("stopped", 20)["body"]["threadId"]
        st = self.ok("stackTrace", {"threadId": tid})
        self.fid = st["stackFrames"][0]["id"]
        scopes = self.ok("scopes", {"frameId": self.fid})["scopes"]
        self.loc = self.named(scopes[0]["variablesReference"],
                              check=not slow)
        self.addCleanup(self.disconnect, c)

    def ok(self, command, args=None, timeout=TIMEOUT):
        r = self.c.request(command, args, timeout)
        self.assertTrue(r["success"], "%s %r: %r" % (command, args, r))
        return r.get("body") or {}

    def kids(self, ref, check=True, **kw):
        """The children of ref; with check, each evaluateName is evaluated
        and must give the value shown."""
        args = {"variablesReference": ref}
        args.update(kw)
        out = self.ok("variables", args)["variables"]
        if check:
            self.round_trip(out)
        return out

    def named(self, ref, **kw):
        return {v["name"]: v for v in self.kids(ref, **kw)}

    def expand(self, name, **kw):
        return self.named(self.loc[name]["variablesReference"], **kw)

    def round_trip(self, variables):
        for v in variables:
            ev = v.get("evaluateName")
            hint = v.get("presentationHint") or {}
            if not ev or hint.get("lazy"):
                continue
            got = self.ok("evaluate", {"expression": ev, "frameId": self.fid,
                                       "context": "watch"})
            self.assertEqual((got["result"], got.get("type")),
                             (v["value"], v.get("type")),
                             "%s evaluated back differently" % ev)

    def values(self, children, names):
        return [children[n]["value"] for n in names]

    def max_rss_kb(self):
        """The debuggee's peak resident size."""
        got = self.ok("evaluate", {
            "expression": "__import__('resource').getrusage("
                          "__import__('resource').RUSAGE_SELF).ru_maxrss",
            "frameId": self.fid, "context": "watch"})
        return int(got["result"])

    def group(self, children, name, **kw):
        return self.named(children[name]["variablesReference"], **kw)

    # ---- tests ---------------------------------------------------------------
    def test_structure_of_any_object(self):
        self.session()
        child = self.expand("child")
        # __slots__ of every class of the MRO, private names mangled
        self.assertEqual(self.values(child, ["b1", "c1", "_Child__c2"]),
                         ["'from base'", "11", "12"])
        methods = self.group(child, "function variables")
        self.assertIn("greet", methods)
        self.assertEqual(methods["greet"]["presentationHint"]["kind"],
                         "method")
        self.assertEqual(self.group(child, "class variables")["family"]
                         ["value"], "'child class'")
        plain = self.expand("plain")
        self.assertEqual(plain["x"]["value"], "1")
        self.assertIn("method", self.group(plain, "function variables"))
        self.assertEqual(self.group(plain, "class variables")["limit"]
                         ["value"], "3")
        # a C type: its getters (standard library: run when listed)
        when = self.expand("when")
        self.assertEqual(self.values(when, ["year", "month", "day", "hour",
                                            "isoformat()"]),
                         ["2024", "5", "6", "7", "'2024-05-06T07:08:09'"])
        self.assertIn("max", self.group(when, "class variables"))
        self.assertEqual(self.expand("span")["total_seconds()"]["value"],
                         "172805.0")
        # len() of sized containers
        self.assertEqual(self.expand("dq")["len()"]["value"], "3")
        self.assertEqual(self.expand("od")["len()"]["evaluateName"],
                         "len(od)")
        self.assertEqual(self.expand("bag")["len()"]["value"], "2")
        # a getter sees the stopped thread's context (decimal precision 5)
        third = self.expand("precise")["third"]["variablesReference"]
        self.assertEqual(self.kids(third)[0]["value"], "Decimal('0.33333')")

    def test_renderers(self):
        self.session()
        self.assertEqual(self.expand("dec")["as_tuple()"]["value"],
                         "DecimalTuple(sign=0, digits=(3, 2, 5), exponent=-2)")
        frac = self.expand("frac")
        self.assertEqual(self.values(frac, ["numerator", "denominator"]),
                         ["3", "4"])
        self.assertEqual(self.values(self.expand("comp"), ["real", "imag"]),
                         ["1.5", "-2.0"])
        dq = self.expand("dq")
        self.assertEqual(self.values(dq, ["0", "2", "maxlen"]),
                         ["1", "3", "5"])
        self.assertEqual(self.expand("dd")["default_factory"]["value"],
                         "<class 'list'>")
        self.assertEqual(self.expand("cnt")["'a'"]["value"], "2")
        self.assertEqual(self.values(self.expand("color"), ["name", "value"]),
                         ["'GREEN'", "2"])
        self.assertEqual(list(self.expand("row")), ["zeta", "alpha"])
        self.assertEqual(self.values(self.expand("pt"), ["x", "y"]),
                         ["1", "2"])
        mv = self.expand("mv")
        self.assertEqual(self.values(mv, ["0", "format", "nbytes"]),
                         ["97", "'B'", "6"])
        raw = self.expand("raw")
        self.assertEqual(raw["hex"]["value"], "'00 01 02 03 04'")
        self.assertEqual(self.expand("buf")["hex"]["value"], "'ff 00'")
        match = self.expand("match")
        self.assertEqual(self.values(match, ["group(0)", "span()",
                                             "groupdict()"]),
                         ["'world'", "(6, 11)", "{'word': 'world'}"])
        # C getters and members of a heap type of the standard library
        self.assertEqual(self.values(match, ["pos", "lastgroup", "string"]),
                         ["0", "'word'", "'hello world'"])
        path = self.expand("path")
        self.assertEqual(self.values(path, ["name", "suffix", "parent"]),
                         ["'file.txt'", "'.txt'",
                          "PurePosixPath('/tmp/data')"])
        err = self.expand("err")
        self.assertEqual(self.values(err, ["args", "__cause__"]),
                         ["('outer',)", "KeyError('inner')"])
        self.assertIn("raise ValueError", err["traceback"]["value"])
        # the program's own renderer (a module-level __dapper_renderers__)
        self.assertEqual(self.loc["temp"]["value"], "21.5 °C")
        self.assertEqual(self.expand("temp")["fahrenheit"]["value"], "70.7")

    def test_paging_ten_million_elements(self):
        self.session()
        rng = self.loc["rng"]
        self.assertEqual(rng["indexedVariables"], 10 ** 7)
        rss = self.max_rss_kb()
        started = time.monotonic()
        page = self.kids(rng["variablesReference"], filter="indexed",
                         start=10 ** 7 - 2, count=2)
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertEqual([(v["name"], v["value"], v["evaluateName"])
                          for v in page],
                         [("9999998", "9999998", "rng[9999998]"),
                          ("9999999", "9999999", "rng[9999999]")])
        # too long for len(): expandable all the same, no paging
        huge = self.expand("huge", check=False)
        self.assertEqual(self.values(huge, ["stop", "step"]),
                         [str(10 ** 20), "1"])
        self.assertIn("OverflowError", huge["len()"]["value"])
        arr = self.loc["arr"]
        self.assertEqual(arr["indexedVariables"], 10 ** 6)
        page = self.kids(arr["variablesReference"], filter="indexed",
                         start=999999, count=5)
        self.assertEqual([(v["name"], v["value"]) for v in page],
                         [("999999", "999999")])
        self.assertEqual(self.expand("arr", filter="named")["typecode"]
                         ["value"], "'i'")
        # no copy of the sequences was made
        self.assertLess(self.max_rss_kb() - rss, 10 * 1024)

    def test_a_slow_repr_fails_only_its_variable(self):
        started = time.monotonic()
        self.session(timeout=2, slow=5)
        # the scope answered (in the evaluateTimeout of 2 s) with the slow
        # values marked and every other value rendered
        self.assertLess(time.monotonic() - started, 10)
        for name in ("slow", "slow2"):
            self.assertRegex(self.loc[name]["value"],
                             r"^<repr timed out after 0\.4 s>$")
        self.assertEqual(self.loc["comp"]["value"], "(1.5-2j)")
        # a slow getter: only its lazy child
        slow = self.expand("slow", check=False)
        self.assertEqual(slow["fine"]["value"], "'fine'")
        late = self.kids(slow["late"]["variablesReference"], check=False)
        self.assertEqual(late[0]["value"], "<getter timed out after 0.4 s>")
        # the stopped thread is not busy: the next requests answer at once
        started = time.monotonic()
        got = self.ok("evaluate", {"expression": "child.c1 + 1",
                                   "frameId": self.fid, "context": "watch"})
        self.assertEqual(got["result"], "12")
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual([t["name"] for t in self.ok("threads")["threads"]],
                         ["MainThread"])
        # the program ends normally while the slow reprs still sleep
        self.ok("continue", {"threadId": 1})
        exited = self.c.wait_event("exited", TIMEOUT)
        self.assertEqual(exited["body"]["exitCode"], 0)

    def test_numpy_and_pandas(self):
        if not has_numpy():
            raise unittest.SkipTest("NumPy/pandas are not installed for %s "
                                    "(Debian's python3 has them)"
                                    % CONFIG.python)
        self.session(numpy=True)
        self.assertEqual((self.loc["scalar"]["value"],
                          self.loc["scalar"]["type"]), ("42", "int64"))
        vec = self.expand("vec")
        self.assertEqual(self.values(vec, ["shape", "size", "ndim", "min()",
                                           "max()"]),
                         ["(10000000,)", "10000000", "1", "0", "9999999"])
        self.assertEqual(vec["dtype"]["value"], "dtype('int64')")
        groups = [n for n in vec if n.startswith("[")]
        self.assertEqual(len(groups), 10)
        rss = self.max_rss_kb()
        started = time.monotonic()
        last = self.group(vec, "[9000000:10000000]", check=False)
        page = self.group(last, "[9999000:10000000]", filter="indexed",
                          start=998, count=2)
        self.assertLess(time.monotonic() - started, 3.0)
        self.assertEqual(len(last), 1000)
        self.round_trip(list(last.values())[-3:])
        self.assertEqual(page["9999999"]["evaluateName"], "vec[9999999]")
        # views, no copy of the 80 MB array
        self.assertLess(self.max_rss_kb() - rss, 20 * 1024)
        mega = self.expand("mega")
        self.assertEqual(len([n for n in mega if n.startswith("[")]), 1000)
        self.assertEqual(self.group(mega, "[999000:1000000]")["999999"]
                         ["value"], "999999.0")
        # n-d: nested by axis, one subscript: grid[1, 2]
        row = self.expand("grid")["1"]
        cell = self.named(row["variablesReference"])["2"]
        self.assertEqual((cell["value"], cell["evaluateName"]),
                         ("6", "grid[1, 2]"))
        msg = self.c.request("setVariable", {
            "variablesReference": row["variablesReference"], "name": "2",
            "value": "60"}, TIMEOUT)["message"]
        self.assertIn("use setExpression", msg)
        got = self.ok("setExpression", {"expression": "grid[1, 2]",
                                        "value": "60", "frameId": self.fid})
        self.assertEqual(got["value"], "60")
        wide = self.expand("wide")
        rows = self.group(wide, "[1000:2000]", filter="indexed", start=500,
                          count=1)
        self.assertEqual(rows["1500"]["evaluateName"], "wide[1500]")
        cell = self.named(rows["1500"]["variablesReference"])["2"]
        self.assertEqual(cell["evaluateName"], "wide[1500, 2]")
        self.assertEqual(self.expand("zero_d")["item()"]["value"], "7.5")
        rec = self.named(self.expand("rec")["1"]["variablesReference"])
        self.assertEqual(self.values(rec, ["id", "score"]), ["3", "4.5"])
        self.assertEqual(self.expand("objs")["0"]["value"], "{'a': 1}")
        # pandas: shape, dtypes, index, columns, each column a Series
        frame = self.expand("frame")
        self.assertEqual(frame["shape"]["value"], "(6, 2)")
        self.assertEqual(frame["'a'"]["evaluateName"], "frame['a']")
        self.assertIn("[6 rows x 2 columns]", self.loc["frame"]["value"])
        col = self.named(frame["'b'"]["variablesReference"])
        self.assertEqual(col["5"]["value"], "'z'")
        self.assertEqual(self.expand("series")["3"]["value"], "4")
        # an extension type: its getters are lazy, its methods grouped
        gen = self.expand("gen")
        self.assertIs(gen["bit_generator"]["presentationHint"]["lazy"], True)
        got = self.kids(gen["bit_generator"]["variablesReference"])
        self.assertEqual(got[0]["type"], "PCG64")
        self.assertIn("integers", self.group(gen, "function variables"))
        wf = self.expand("wide_frame", check=False)
        self.assertEqual(len(wf), 4 + 1000 + 1)
        self.assertEqual(wf["..."]["value"],
                         "'5 more columns: evaluate wide_frame.iloc[:, 1000:]'")
        self.round_trip([wf["999"]])
        self.assertEqual(self.expand("index")["2"]["value"], "2")
