"""Bad input and faults (hardening items 2, 3 and part of 6): what the
adapter answers to broken framing, malformed messages, requests out of
order and arguments of the wrong type (table-driven over the DAP schema),
odd paths; and what happens when the debuggee crashes, exits, forks,
closes the runtime's descriptor or is killed, when the client vanishes, and
when the adapter itself is killed. Every case asserts the exact answer,
that the adapter keeps serving, and that no process is left behind.

Run by `run.py --module test_faults` (one CTest test per interpreter);
stdio mostly, the TCP-only cases in TcpFaultTests.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time

from bp_common import markers
from dap_client import TcpAdapter
from harness import (CONFIG, HERE, PROCESS_GONE, PROGRAMS, TIMEOUT,
                     DapTestCase, adapter_env, program,
                     wait_processes_gone)

TARGET = os.path.join(PROGRAMS, "faults", "target.py")
SCHEMA = os.path.join(HERE, "..", "data", "debugAdapterProtocol.json")
DISPATCH = os.path.join(HERE, "..", "..", "adapter", "dispatch.c")
ENV = {"PYTHONDONTWRITEBYTECODE": "1"}


def invalid(seq, command, reason):
    """The adapter's answer to a malformed request that has a seq."""
    return {"type": "response", "request_seq": seq, "success": False,
            "command": command, "message": "invalid message: " + reason}


def handled_commands():
    """The requests the adapter dispatches (adapter/dispatch.c)."""
    with open(DISPATCH) as f:
        return re.findall(r'^\s*\{"([A-Za-z/]+)", dap_handle_', f.read(), re.M)


def wrong_value(prop):
    """A JSON value of a type the schema property does not allow."""
    kind = prop.get("type")
    if "$ref" in prop or kind == "object":
        return "not an object"
    if kind == "array":
        return {"not": "an array"}
    if kind in ("integer", "number"):
        return "not a number"
    if kind == "boolean":
        return "not a boolean"
    return 12345  # string (or anything else)


# The exact error message for each (request, wrong-typed required argument)
# of test_schema_wrong_types_for_every_request; "arguments" is the whole
# `arguments` a string.
NOT_AN_OBJECT = 'invalid message: "arguments" must be an object'
WRONG_TYPE_ANSWERS = {
    "setBreakpoints source": 'setBreakpoints needs a "source" object',
    "setFunctionBreakpoints breakpoints":
        'setFunctionBreakpoints: "breakpoints" must be an array',
    "setExceptionBreakpoints filters":
        'setExceptionBreakpoints needs "filters", an array of filter ids',
    "breakpointLocations source": 'breakpointLocations needs "source.path"',
    "breakpointLocations line":
        'breakpointLocations needs a "line" of 1 or more',
    "stackTrace threadId": "threadId must be an integer",
    "continue threadId": "threadId must be an integer",
    "next threadId": "threadId must be an integer",
    "stepIn threadId": "threadId must be an integer",
    "stepOut threadId": "threadId must be an integer",
    "pause threadId": "threadId must be an integer",
    "scopes frameId": "frameId must be an integer",
    "variables variablesReference": "variablesReference must be an integer",
    "evaluate expression": 'evaluate: "expression" must be a string',
    "setVariable variablesReference":
        "variablesReference must be an integer",
    "setVariable name": 'setVariable: "name" must be a string',
    "setVariable value": 'setVariable: "value" must be a string',
    "setExpression expression":
        'setExpression: "expression" must be a string',
    "setExpression value": 'setExpression: "value" must be a string',
    "completions text": 'completions: "text" must be a string',
    "completions column": 'completions: "column" must be an integer',
    "exceptionInfo threadId": "threadId must be an integer",
    "source sourceReference":
        'source: "sourceReference" must be an integer',
    "gotoTargets source": 'gotoTargets: "source" must be an object',
    "gotoTargets line": 'gotoTargets: "line" must be an integer',
    "goto threadId": "threadId must be an integer",
    "goto targetId": "targetId must be an integer",
    "stepInTargets frameId": "frameId must be an integer",
}
WRONG_TYPE_ANSWERS.update({
    "%s arguments" % k.split()[0]: NOT_AN_OBJECT
    for k in list(WRONG_TYPE_ANSWERS)})


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def fd_listing(pid):
    out = []
    for fd in sorted(os.listdir("/proc/%d/fd" % pid), key=int):
        try:
            out.append("%s -> %s" % (fd, os.readlink("/proc/%d/fd/%s"
                                                     % (pid, fd))))
        except OSError:
            pass
    return out


def settled_fd_count(pid, timeout=2.0):
    """The adapter's descriptor count once the last session is closed
    (it closes asynchronously): stable for 0.3 s."""
    deadline = time.monotonic() + timeout
    last, since = fd_count(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        n = fd_count(pid)
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= 0.3:
            break
    return last


def read_file(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def write_file(path, text=""):
    with open(path, "w") as f:
        f.write(text)


def wait_file(path, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            time.sleep(0.02)
            return read_file(path)
        time.sleep(0.02)
    return None


class FaultSession:
    """Mixed into the test classes: the fault target under a session."""

    def target(self, c, mode, bps=(), initialize=True):
        """Launches target.py in `mode` with breakpoints at markers `bps`;
        returns its pid. The launch response has arrived."""
        if initialize:
            self.initialize(c)
        seq = c.send_request("launch", self.launch_args(
            program=TARGET, args=[self.tmp, mode], env=dict(ENV)))
        c.wait_event("initialized", TIMEOUT)
        resp = c.wait_response(seq, TIMEOUT)
        self.assertTrue(resp["success"], "launch failed: %r" % (resp,))
        if bps:
            m = markers(TARGET)
            r = c.request("setBreakpoints", {
                "source": {"path": TARGET},
                "breakpoints": [{"line": m[b]} for b in bps]}, TIMEOUT)
            self.assertTrue(r["success"], r)
            self.assertTrue(all(b["verified"] for b in
                                r["body"]["breakpoints"]), r)
        self.assertTrue(c.request("configurationDone", None,
                                  TIMEOUT)["success"])
        pid = c.events("process")[0]["body"]["systemProcessId"]
        self.pids.append(pid)
        return pid

    def stop_at(self, c, marker):
        ev = c.wait_event("stopped", TIMEOUT)["body"]
        top = c.request("stackTrace", {"threadId": ev["threadId"],
                                       "levels": 1}, TIMEOUT)
        self.assertTrue(top["success"], top)
        frame = top["body"]["stackFrames"][0]
        self.assertEqual(frame["line"], markers(TARGET)[marker], frame)
        return ev["threadId"], frame

    def adapter_pid(self, c):
        return (c.proc or c.server.proc).pid

    def assert_gone(self, pids, c=None, what="processes left"):
        left = wait_processes_gone(pids, self.adapter_pid(c) if c else None)
        self.assertEqual(left, {}, what)


# ---- stdio ------------------------------------------------------------------
class StdioFaultTests(FaultSession, DapTestCase):
    transport = "stdio"

    # ---- framing: broken framing closes the connection --------------------
    def _framing_closes(self, raw, initialize_first=True):
        c = self.client()
        if initialize_first:
            self.initialize(c)
        n = len(c.messages)
        c.send_raw(raw)
        c.wait_closed(5.0)
        try:
            status = c.proc.wait(5.0)
        except subprocess.TimeoutExpired:
            self.fail("the adapter still runs 5 s after broken framing")
        self.assertEqual(status, 0, "adapter exit status")
        self.assertEqual(c.messages[n:], [], "answers to broken framing")
        self.assertEqual(c.violations, [])
        return c

    def test_content_length_not_numeric(self):
        self._framing_closes(b"Content-Length: abc\r\n\r\n{}")

    def test_content_length_negative(self):
        self._framing_closes(b"Content-Length: -5\r\n\r\n{}")

    def test_content_length_missing(self):
        self._framing_closes(b"Content-Type: application/json\r\n\r\n{}")

    def test_content_length_empty(self):
        self._framing_closes(b"Content-Length: \r\n\r\n{}")

    def test_content_length_huge(self):
        # Above the 16 MiB limit: refused before any body is read.
        c = self._framing_closes(b"Content-Length: 17000000\r\n\r\n")
        c.stderr.wait_for("exceeds the limit", 2.0)

    def test_content_length_out_of_range(self):
        c = self._framing_closes(
            b"Content-Length: 99999999999999999999999999\r\n\r\n")
        c.stderr.wait_for("Content-Length out of range", 2.0)

    def test_content_length_conflicting(self):
        self._framing_closes(b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}")

    def test_header_without_colon(self):
        self._framing_closes(b"hello\r\n\r\n", initialize_first=False)

    def test_content_length_too_short(self):
        # The body is cut: its head is not JSON (skipped, no seq), its
        # tail is read as a header line without ':' -> broken framing.
        body = json.dumps({"seq": 9, "type": "request",
                           "command": "threads"}).encode()
        self._framing_closes(b"Content-Length: %d\r\n\r\n%s\r\n\r\n"
                             % (len(body) - 10, body))

    def test_content_length_too_long_swallows_next_message(self):
        # The declared length takes in the next message too: one body that
        # is not JSON (no answer); the connection goes on framed.
        c = self.client()
        self.initialize(c)
        first = json.dumps({"seq": 20, "type": "request",
                            "command": "threads"}).encode()
        second = b"Content-Length: 2\r\n\r\n{}"
        n = len(c.messages)
        c.send_raw(b"Content-Length: %d\r\n\r\n%s%s"
                   % (len(first) + len(second), first, second))
        c.seq = 30
        resp = c.request("threads", None, TIMEOUT)
        self.assertEqual(c.messages[n:], [resp], "answers to the bad body")
        self.assertTrue(resp["success"], resp)
        self.disconnect(c)

    # ---- messages: malformed but framed -----------------------------------
    def test_malformed_messages_catalogue(self):
        c = self.client()
        cases = [
            # (body, expected answer or None when there is no seq to answer)
            (b"this is { not json", None),
            (b"", None),
            (b"[1, 2, 3]", None),
            (b"\"a string\"", None),
            (b"42", None),
            (b"{} {}", None),
            (json.dumps({"type": "request", "command": "threads"}), None),
            (json.dumps({"seq": "7", "type": "request",
                         "command": "threads"}), None),
            (json.dumps({"seq": -7, "type": "request",
                         "command": "threads"}), None),
            (json.dumps({"seq": 7.5, "type": "request",
                         "command": "threads"}), None),
            (json.dumps({"seq": 101, "command": "threads"}),
             invalid(101, "threads", 'missing or invalid "type"')),
            (json.dumps({"seq": 102, "type": 3, "command": "threads"}),
             invalid(102, "threads", 'missing or invalid "type"')),
            (json.dumps({"seq": 103, "type": "bogus", "command": "threads"}),
             invalid(103, "threads", 'missing or invalid "type"')),
            (json.dumps({"seq": 104, "type": "request"}),
             invalid(104, "", 'request has no "command"')),
            (json.dumps({"seq": 105, "type": "request", "command": 42}),
             invalid(105, "", 'request has no "command"')),
            (json.dumps({"seq": 106, "type": "request", "command": None}),
             invalid(106, "", 'request has no "command"')),
            # A client's event or response is ignored.
            (json.dumps({"seq": 107, "type": "event", "event": "x"}), None),
        ]
        expected = []
        for body, answer in cases:
            if isinstance(body, str):
                body = body.encode()
            c.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            if answer is not None:
                expected.append(answer)
        c.seq = 200
        self.initialize(c)  # the adapter still serves
        got = [dict(m) for m in c.messages if m.get("type") == "response"
               and m.get("command") != "initialize"]
        for m in got:
            self.assertIsInstance(m.pop("seq", None), int)
            body = m.pop("body", None)
            self.assertEqual(body["error"]["format"], m["message"], body)
        self.assertEqual(got, expected)
        self.assertFalse(c.closed)
        self.disconnect(c)

    def test_arguments_of_the_wrong_type(self):
        c = self.client()
        for args in ("x", [1], 5):
            resp = c.request("initialize", args, TIMEOUT)
            self.assertFalse(resp["success"], resp)
            self.assertEqual(resp["message"], NOT_AN_OBJECT)
        self.initialize(c)
        for args in ("x", [1], 5, True):
            resp = c.request("launch", args, TIMEOUT)
            self.assertFalse(resp["success"], "launch %r: %r" % (args, resp))
            self.assertEqual(resp["message"], NOT_AN_OBJECT)
        self.assertEqual(c.events("process"), [])
        self.disconnect(c)

    # ---- requests out of order ---------------------------------------------
    def test_requests_before_initialize(self):
        c = self.client()
        for command, args in (("launch", self.launch_args(
                program=program("hello.py"))), ("configurationDone", None),
                ("threads", None), ("stackTrace", {"threadId": 1})):
            resp = c.request(command, args, TIMEOUT)
            self.assertFalse(resp["success"], resp)
            self.assertEqual(resp["message"], "'%s' before 'initialize': "
                             "send 'initialize' first" % command)
        self.assertEqual(c.events(), [], "events before initialize")
        r = self.run_program(self.launch_args(program=program("hello.py")))
        self.assertEqual(r.out("stdout"), "hello world\n")
        self.disconnect(c)

    def test_second_initialize_and_second_launch(self):
        c = self.client()
        self.initialize(c)
        again = c.request("initialize", {"adapterID": "dapper"}, TIMEOUT)
        self.assertFalse(again["success"], again)
        self.assertEqual(again["message"], "'initialize' was already received")
        pid = self.target(c, "plain", bps=["main"], initialize=False)
        self.stop_at(c, "main")
        second = c.request("launch", self.launch_args(
            program=program("hello.py")), TIMEOUT)
        self.assertFalse(second["success"], second)
        self.assertEqual(second["message"],
                         "this session already launched a program")
        self.assertEqual(len(c.events("process")), 1)
        self.assertTrue(c.request("continue", {"threadId": 1},
                                  TIMEOUT)["success"])
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], 0)
        self.assertEqual(read_file(os.path.join(self.tmp, "done")), "yes")
        self.check_end_of_session(c)
        self.disconnect(c)
        self.assert_gone([pid], c)

    def test_inspection_while_running_and_stale_references(self):
        c = self.client()
        pid = self.target(c, "loop", bps=["loop"])
        thread, frame = self.stop_at(c, "loop")
        scopes = c.request("scopes", {"frameId": frame["id"]}, TIMEOUT)
        self.assertTrue(scopes["success"], scopes)
        ref = scopes["body"]["scopes"][0]["variablesReference"]
        self.assertTrue(c.request("variables", {"variablesReference": ref},
                                  TIMEOUT)["success"])
        for bogus in (987654321, -1, 0):
            resp = c.request("variables", {"variablesReference": bogus},
                             TIMEOUT)
            self.assertFalse(resp["success"], "invented reference %d: %r"
                             % (bogus, resp))
            self.assertEqual(resp["message"], "variablesReference %d is not "
                             "valid any more: references last until the "
                             "program resumes" % bogus)
        # Clear the breakpoint and run: references of the stop are stale.
        self.assertTrue(c.request("setBreakpoints", {
            "source": {"path": TARGET}, "breakpoints": []},
            TIMEOUT)["success"])
        self.assertTrue(c.request("continue", {"threadId": thread},
                                  TIMEOUT)["success"])
        stale = " is not valid any more: references last until the " \
            "program resumes"
        for command, args, message in (
                ("variables", {"variablesReference": ref},
                 "variablesReference %d%s" % (ref, stale)),
                ("scopes", {"frameId": frame["id"]},
                 "frame %d%s" % (frame["id"], stale)),
                ("stackTrace", {"threadId": thread},
                 "thread %d is not stopped" % thread),
                ("evaluate", {"expression": "n", "frameId": frame["id"]},
                 "frame %d%s" % (frame["id"], stale))):
            resp = c.request(command, args, TIMEOUT)
            self.assertFalse(resp["success"], "%s while running: %r"
                             % (command, resp))
            # Right after continue the thread may still be on its way out
            # of the stop: the request reaches it and it says so.
            self.assertIn(resp["message"], (
                message, "thread %d is not stopped any more" % thread,
                "thread %d is not stopped" % thread))
        open(os.path.join(self.tmp, "go"), "w").close()
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], 0)
        # After the end: no program to ask.
        for command, args in (("stackTrace", {"threadId": thread}),
                              ("continue", {"threadId": thread})):
            resp = c.request(command, args, TIMEOUT)
            self.assertFalse(resp["success"], resp)
            self.assertEqual(resp["message"],
                             "'%s' needs a running program" % command)
        self.disconnect(c)
        self.assert_gone([pid], c)

    # ---- every request, each required argument of the wrong type -----------
    def test_schema_wrong_types_for_every_request(self):
        with open(SCHEMA) as f:
            defs = json.load(f)["definitions"]
        c = self.client()
        pid = self.target(c, "plain", bps=["main"])
        thread, frame = self.stop_at(c, "main")
        scopes = c.request("scopes", {"frameId": frame["id"]}, TIMEOUT)
        ref = scopes["body"]["scopes"][0]["variablesReference"]
        good = {"threadId": thread, "frameId": frame["id"],
                "variablesReference": ref, "line": 1, "column": 1,
                "sourceReference": 0, "source": {"path": TARGET},
                "breakpoints": [], "filters": [], "expression": "n",
                "name": "n", "value": "3", "text": "n", "targetId": 1}
        skip = {"initialize", "launch", "disconnect", "terminate",
                "configurationDone"}  # no required argument, or tested above
        cases = []
        for command in handled_commands():
            req = defs.get(command[0].upper() + command[1:] + "Request")
            if command in skip or req is None:
                continue
            args_ref = (req["allOf"][1]["properties"].get("arguments") or {}
                        ).get("$ref")
            if args_ref is None:
                continue
            adef = defs[args_ref.split("/")[-1]]
            required = adef.get("required", [])
            props = adef.get("properties", {})
            base = {k: good[k] for k in required}
            for field in required:
                args = dict(base)
                args[field] = wrong_value(props[field])
                cases.append((command, field, args))
            if required:
                cases.append((command, "arguments", "not an object"))
        self.assertGreater(len(cases), 20, cases)
        got = {}
        for command, field, args in cases:
            resp = c.request(command, args, TIMEOUT)
            got["%s %s" % (command, field)] = (
                "ok" if resp["success"] else resp.get("message"))
        expected = dict(WRONG_TYPE_ANSWERS)
        for key in got:  # a request the adapter learnt since: must fail
            if key not in expected and got[key] not in ("ok", None, ""):
                expected[key] = got[key]
        self.assertEqual(got, {k: expected.get(k) for k in got},
                         "answers to requests with a wrong-typed argument")
        # Still stopped where it was, still serving: run to the end.
        self.assertEqual(self.stop_at_again(c, thread), markers(TARGET)["main"])
        self.assertTrue(c.request("continue", {"threadId": thread},
                                  TIMEOUT)["success"])
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], 0)
        self.disconnect(c)
        self.assert_gone([pid], c)

    def stop_at_again(self, c, thread):
        top = c.request("stackTrace", {"threadId": thread, "levels": 1},
                        TIMEOUT)
        self.assertTrue(top["success"], top)
        return top["body"]["stackFrames"][0]["line"]

    # ---- optional arguments of the wrong type, required ones missing ------
    def test_wrong_types_of_optional_arguments(self):
        c = self.client()
        pid = self.target(c, "plain", bps=["main"])
        thread, frame = self.stop_at(c, "main")
        scopes = c.request("scopes", {"frameId": frame["id"]}, TIMEOUT)
        ref = scopes["body"]["scopes"][0]["variablesReference"]
        fid = frame["id"]
        cases = [
            ("stackTrace", {}, "threadId is required"),
            ("pause", {}, "threadId is required"),
            ("exceptionInfo", {}, "threadId is required"),
            ("scopes", {}, "frameId is required"),
            ("variables", {}, "variablesReference is required"),
            ("stackTrace", {"threadId": thread, "levels": "x"},
             'stackTrace: "levels" must be an integer'),
            ("stackTrace", {"threadId": thread, "startFrame": [1]},
             'stackTrace: "startFrame" must be an integer'),
            ("variables", {"variablesReference": ref, "start": "x"},
             'variables: "start" must be an integer'),
            ("variables", {"variablesReference": ref, "count": "x"},
             'variables: "count" must be an integer'),
            ("variables", {"variablesReference": ref, "filter": 1},
             'variables: "filter" must be a string'),
            ("variables", {"variablesReference": ref, "format": "hex"},
             'variables: "format" must be an object'),
            ("variables", {"variablesReference": ref,
                           "format": {"hex": "yes"}},
             'variables: "format.hex" must be a boolean'),
            ("evaluate", {"expression": "n", "frameId": "x"},
             "frameId must be an integer"),
            ("evaluate", {"expression": "n", "frameId": fid, "context": 1},
             'evaluate: "context" must be a string'),
            ("evaluate", {"expression": "n", "frameId": fid, "format": 1},
             'evaluate: "format" must be an object'),
            ("setExpression", {"expression": "n", "value": "3",
                               "frameId": fid, "format": []},
             'setExpression: "format" must be an object'),
            ("setVariable", {"variablesReference": ref, "name": "n",
                             "value": "3", "format": "x"},
             'setVariable: "format" must be an object'),
            ("completions", {"text": "n", "column": 2, "line": "x",
                             "frameId": fid},
             'completions: "line" must be an integer'),
            ("completions", {"text": "n", "column": 2, "frameId": "x"},
             "frameId must be an integer"),
            ("source", {"sourceReference": 0, "source": "x"},
             'source: "source" must be an object'),
            ("source", {"source": {"sourceReference": "x"}},
             'source: "source.sourceReference" must be an integer'),
            ("source", {"source": {"path": 1}},
             'source: "source.path" must be a string'),
            ("source", {}, "sourceReference is required"),
            ("modules", {"startModule": "x"},
             'modules: "startModule" must be an integer'),
            ("modules", {"moduleCount": {}},
             'modules: "moduleCount" must be an integer'),
            ("gotoTargets", {"source": {"path": 1}, "line": 1},
             'gotoTargets: "source.path" must be a string'),
            ("gotoTargets", {"source": {"path": TARGET}},
             'gotoTargets needs a "line"'),
            ("goto", {"threadId": thread}, "targetId is required"),
            ("stepInTargets", {}, "frameId is required"),
            ("stepIn", {"threadId": thread, "targetId": "x"},
             "targetId must be an integer"),
        ]
        got = {}
        for command, args, _message in cases:
            resp = c.request(command, args, TIMEOUT)
            got["%s %s" % (command, json.dumps(args, sort_keys=True))] = (
                "ok" if resp["success"] else resp.get("message"))
        self.assertEqual(got, {"%s %s" % (command, json.dumps(
            args, sort_keys=True)): message
            for command, args, message in cases})
        # The well-typed forms still work.
        for command, args in (
                ("variables", {"variablesReference": ref, "start": 0,
                               "count": 1, "format": {"hex": True}}),
                ("completions", {"text": "n", "column": 2, "line": 1,
                                 "frameId": fid}),
                ("modules", {"startModule": 0, "moduleCount": 2})):
            resp = c.request(command, args, TIMEOUT)
            self.assertTrue(resp["success"], (command, resp))
        self.assertEqual(self.stop_at_again(c, thread), markers(TARGET)["main"])
        self.assertTrue(c.request("continue", {"threadId": thread},
                                  TIMEOUT)["success"])
        c.wait_event("terminated", TIMEOUT)
        self.disconnect(c)
        self.assert_gone([pid], c)

    # ---- paths --------------------------------------------------------------
    def test_odd_paths_and_dotdot(self):
        d = self.odd_dir("dir with spaces 'quote\" ünï ✓")
        os.makedirs(os.path.join(d, "sub"))
        prog = os.path.join(d, "tárget 'q\" x.py")
        shutil.copyfile(TARGET, prog)
        via_dotdot = os.path.join(d, "sub", "..", os.path.basename(prog))
        c = self.client()
        self.initialize(c)
        seq = c.send_request("launch", self.launch_args(
            program=via_dotdot, args=[self.tmp, "plain"], env=dict(ENV)))
        c.wait_event("initialized", TIMEOUT)
        self.assertTrue(c.wait_response(seq, TIMEOUT)["success"])
        r = c.request("setBreakpoints", {
            "source": {"path": via_dotdot},
            "breakpoints": [{"line": markers(TARGET)["main"]}]}, TIMEOUT)
        self.assertTrue(r["success"], r)
        self.assertIs(r["body"]["breakpoints"][0]["verified"], True, r)
        missing = os.path.join(d, "does not exist ü.py")
        r = c.request("setBreakpoints", {
            "source": {"path": missing}, "breakpoints": [{"line": 3}]},
            TIMEOUT)
        self.assertTrue(r["success"], r)
        bp = r["body"]["breakpoints"][0]
        self.assertIs(bp["verified"], False, bp)
        self.assertEqual(bp.get("message"),
                         "no breakpoint in %s: No such file or directory"
                         % missing)
        self.assertTrue(c.request("configurationDone", None,
                                  TIMEOUT)["success"])
        self.pids.append(c.events("process")[0]["body"]["systemProcessId"])
        ev = c.wait_event("stopped", TIMEOUT)["body"]
        top = c.request("stackTrace", {"threadId": ev["threadId"]},
                        TIMEOUT)["body"]["stackFrames"][0]
        self.assertEqual(top["line"], markers(TARGET)["main"])
        self.assertEqual(os.path.realpath(top["source"]["path"]),
                         os.path.realpath(prog))
        self.assertTrue(c.request("continue", {"threadId": ev["threadId"]},
                                  TIMEOUT)["success"])
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], 0)
        self.assertEqual(len(c.events("stopped")), 1)
        self.disconnect(c)

    # ---- faults of the debuggee --------------------------------------------
    def test_debuggee_killed_while_stopped(self):
        c = self.client()
        pid = self.target(c, "plain", bps=["main"])
        self.stop_at(c, "main")
        os.kill(pid, signal.SIGKILL)
        c.wait_event("terminated", PROCESS_GONE)
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], -9)
        self.assertIn("The program was terminated by signal SIGKILL (9).\n",
                      c.output("console"))
        self.check_end_of_session(c)
        resp = c.request("threads", None, TIMEOUT)
        self.assertEqual((resp["success"], resp.get("body")),
                         (True, {"threads": []}))
        self.disconnect(c)
        self.assert_gone([pid], c)

    def _dies_after_stop(self, mode, marker, code, console):
        c = self.client()
        pid = self.target(c, mode, bps=[marker, "main"])
        thread, _ = self.stop_at(c, marker)
        self.assertTrue(c.request("continue", {"threadId": thread},
                                  TIMEOUT)["success"])
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], code)
        self.assertEqual(len(c.events("stopped")), 1)
        self.assertIsNone(read_file(os.path.join(self.tmp, "done")))
        lines = [l for l in c.output("console").splitlines(True)
                 if not l.startswith("dapper: breakpoints use")]
        self.assertEqual("".join(lines), console)
        self.check_end_of_session(c)
        self.disconnect(c)
        self.assert_gone([pid], c)

    def test_debuggee_segfaults_after_a_stop(self):
        self._dies_after_stop("segv", "crash", -11, "The program was "
                              "terminated by signal SIGSEGV (11).\n")

    def test_debuggee_os_exit_after_a_stop(self):
        self._dies_after_stop("osexit", "exit", 7, "")

    # A request the runtime answers with Python while the program exits:
    # in an atexit handler of the program's it is answered; once the
    # runtime's own atexit hook has run (here: while a __del__ runs as the
    # interpreter finalizes) it gets an error that says why, and no thread
    # of the runtime takes the GIL (docs/runtime.md, "Exit").
    def test_requests_while_the_debuggee_exits(self):
        c = self.client()
        pid = self.target(c, "atexit")
        self.assertIsNotNone(wait_file(os.path.join(self.tmp, "in-atexit")),
                             "the program did not reach its atexit handler")
        r = c.request("threads", None, TIMEOUT)
        self.assertTrue(r["success"], r)
        self.assertIn("MainThread", [t["name"] for t in r["body"]["threads"]])
        write_file(os.path.join(self.tmp, "go-atexit"))
        self.assertIsNotNone(wait_file(os.path.join(self.tmp, "finalizing")),
                             "the program did not reach its __del__")
        for command, args in (("threads", None),
                              ("loadedSources", None),
                              ("evaluate", {"expression": "1 + 1",
                                            "context": "repl"})):
            r = c.request(command, args, TIMEOUT)
            self.assertEqual((r["success"], r.get("message")),
                             (False, "the program is exiting: the debugger "
                                     "no longer runs Python in it"), r)
        write_file(os.path.join(self.tmp, "go-final"))
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], 3)
        self.assertEqual(read_file(os.path.join(self.tmp, "done")), "yes")
        self.check_end_of_session(c)
        self.disconnect(c)
        self.assert_gone([pid], c)

    def test_debuggee_forks(self):
        c = self.client()
        pid = self.target(c, "fork", bps=["child", "main"])
        _, frame = self.stop_at(c, "main")  # the child did not stop
        self.assertEqual(read_file(os.path.join(self.tmp, "child-status")),
                         "0", "the child did not end well")
        children = [f for f in os.listdir(self.tmp)
                    if re.fullmatch(r"child-[0-9]+", f)]
        self.assertEqual(len(children), 1, "the child did not run")
        self.assertEqual(len(c.events("stopped")), 1)
        self.assertTrue(c.request("continue", {"threadId": 1},
                                  TIMEOUT)["success"])
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], 0)
        self.assertEqual(read_file(os.path.join(self.tmp, "done")), "yes")
        self.check_end_of_session(c)
        self.disconnect(c)
        self.assert_gone([pid, int(children[0].split("-")[1])], c)

    # The runtime's channel thread used to stay blocked in read() on the
    # closed descriptor (the in-flight read kept the socket open, so the
    # adapter never saw EOF) and the program hung at the breakpoint; now
    # rt_channel.c checks the descriptor's identity and ends the channel
    # as on end-of-file.
    def test_debuggee_closes_runtime_descriptor(self):
        c = self.client()
        pid = self.target(c, "closefd", bps=["main"])
        c.wait_event("terminated", TIMEOUT)
        self.assertEqual(read_file(os.path.join(self.tmp, "closed")), "yes")
        # The channel is gone, so the breakpoint no longer stops it; the
        # program runs on to its end.
        self.assertEqual(read_file(os.path.join(self.tmp, "done")), "yes")
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], 0)
        self.assertEqual(c.events("stopped"), [])
        self.check_end_of_session(c)
        self.disconnect(c)
        self.assert_gone([pid], c)

    # ---- the client goes ------------------------------------------------------
    def test_disconnect_while_stopped_terminates(self):
        c = self.client()
        pid = self.target(c, "plain", bps=["main"])
        self.stop_at(c, "main")
        resp = c.request("disconnect", {}, TIMEOUT)
        self.assertTrue(resp["success"], resp)
        self.assert_gone([pid], c, "the program survived disconnect")
        self.assertIsNone(read_file(os.path.join(self.tmp, "done")),
                          "the program ran on after disconnect")

    def test_stdin_closed_while_stopped_terminates(self):
        c = self.client()
        pid = self.target(c, "plain", bps=["main"])
        self.stop_at(c, "main")
        c.close_input()
        try:
            self.assertEqual(c.proc.wait(PROCESS_GONE), 0)
        except subprocess.TimeoutExpired:
            self.fail("the adapter still runs after stdin closed")
        self.assert_gone([pid], None, "the program survived its client")
        self.assertIsNone(read_file(os.path.join(self.tmp, "done")))

    # ---- the adapter is killed -----------------------------------------------
    def _kill_adapter(self, c, pid):
        c.proc.kill()
        c.proc.wait(PROCESS_GONE)
        c.hung_up = True
        done = wait_file(os.path.join(self.tmp, "done"), PROCESS_GONE + 5)
        self.assertEqual(done, "yes", "the program did not run on to its "
                         "end after the adapter died")
        self.assert_gone([pid], None, "the program is left after the "
                         "adapter died")

    def test_adapter_killed_while_stopped(self):
        c = self.client()
        pid = self.target(c, "plain", bps=["main"])
        self.stop_at(c, "main")
        self._kill_adapter(c, pid)

    def test_adapter_killed_while_running(self):
        c = self.client()
        # A breakpoint after the loop: with the hooks removed the program
        # passes it without waiting for anyone.
        pid = self.target(c, "loop", bps=["main"])
        wait_file(os.path.join(self.tmp, "pid"))
        time.sleep(0.2)
        c.proc.kill()
        c.proc.wait(PROCESS_GONE)
        c.hung_up = True
        time.sleep(0.3)
        open(os.path.join(self.tmp, "go"), "w").close()
        done = wait_file(os.path.join(self.tmp, "done"), PROCESS_GONE + 5)
        self.assertEqual(done, "yes", "the program did not finish")
        self.assert_gone([pid], None, "the program is left")


# ---- TCP ------------------------------------------------------------------------
class TcpFaultTests(FaultSession, DapTestCase):
    transport = "tcp"

    def test_broken_framing_then_next_client(self):
        for raw in (b"Content-Length: abc\r\n\r\n",
                    b"Content-Length: -1\r\n\r\n",
                    b"Content-Length: 17000000\r\n\r\n",
                    b"no colon\r\n\r\n"):
            c = self.client()
            self.initialize(c)
            n = len(c.messages)
            c.send_raw(raw)
            c.wait_closed(5.0)
            self.assertEqual(c.messages[n:], [])
            self.assertTrue(self.server.alive())
        r = self.run_program(self.launch_args(program=program("hello.py")))
        self.assertEqual(r.out("stdout"), "hello world\n")

    def test_client_vanishes_while_stopped(self):
        c = self.client()
        pid = self.target(c, "plain", bps=["main"])
        self.stop_at(c, "main")
        c.close()
        c.hung_up = True
        self.assert_gone([pid], c, "the program survived its client")
        self.assertIsNone(read_file(os.path.join(self.tmp, "done")))
        r = self.run_program(self.launch_args(program=program("hello.py")))
        self.assertEqual(r.out("stdout"), "hello world\n")

    def test_no_descriptor_leak_over_sessions(self):
        apid = self.server.proc.pid
        r = self.run_program(self.launch_args(program=program("hello.py")))
        self.assertEqual(r.exit_code, 0)
        before = settled_fd_count(apid)
        listing = fd_listing(apid)
        for mode in ("plain", "stopped-disconnect", "vanish", "kill"):
            c = self.client()
            pid = self.target(c, "plain", bps=[] if mode == "plain"
                              else ["main"])
            if mode == "plain":
                c.wait_event("terminated", TIMEOUT)
                self.disconnect(c)
            else:
                self.stop_at(c, "main")
                if mode == "stopped-disconnect":
                    self.disconnect(c)
                elif mode == "vanish":
                    c.close()
                    c.hung_up = True
                else:
                    os.kill(pid, signal.SIGKILL)
                    c.wait_event("terminated", TIMEOUT)
                    self.disconnect(c)
            self.assert_gone([pid], c)
            self.hang_up(c)
        self.assertEqual(settled_fd_count(apid), before,
                         "descriptors of the adapter before: %r, after: %r"
                         % (listing, fd_listing(apid)))

    def test_adapter_killed_while_stopped(self):
        c = self.client()
        pid = self.target(c, "plain", bps=["main"])
        self.stop_at(c, "main")
        self.server.proc.kill()
        self.server.proc.wait(PROCESS_GONE)
        c.close()
        c.hung_up = True
        type(self).server = TcpAdapter.start(CONFIG.adapter,
                                             env=adapter_env())
        self.server_replaced = True
        done = wait_file(os.path.join(self.tmp, "done"), PROCESS_GONE + 5)
        self.assertEqual(done, "yes", "the program did not run on")
        self.assert_gone([pid], None, "the program is left")
