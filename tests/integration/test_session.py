"""Debug sessions against the real adapter and a real debuggee interpreter,
over stdio and over TCP. Each test asserts what a user would see: output
text, exit codes, argv, paths, environment, error messages.
"""

import json
import os
import shlex
import subprocess
import time

from harness import (CONFIG, PROCESS_GONE, TIMEOUT, DapTestCase, adapter_env,
                     error_text, parse_json_line, program, run_direct,
                     wait_processes_gone)

# Arguments that a shell would mangle; the program must get them verbatim.
TRICKY_ARGS = ["plain", "with space", 'double"quote', "single'quote",
               "$HOME", "*", "ünïcödé ✓ 日本", "", "--flag=a b", "back\\slash",
               "tab\there", "new\nline"]


def direct_env(base, changes):
    """The environment a user's launch.json `env` describes: base updated,
    None values removed."""
    env = dict(base)
    for k, v in changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


class SessionTests:
    """Mixed into one TestCase per transport (see the end of the file)."""

    # ---- handshake ----------------------------------------------------------
    def test_handshake(self):
        c = self.client()
        caps = self.initialize(c)
        self.assertIs(caps.get("supportsConfigurationDoneRequest"), True,
                      "capabilities: %r" % (caps,))
        self.assertIs(caps.get("supportsTerminateRequest"), True,
                      "capabilities: %r" % (caps,))
        # `initialized` comes once the launched program's runtime can answer
        # breakpoint requests: after the launch response, not before.
        time.sleep(0.3)
        self.assertEqual(c.events("initialized"), [],
                         "`initialized` before any launch")
        launch = c.send_request("launch", self.launch_args(
            program=program("hello.py")))
        c.wait_event("initialized", TIMEOUT)
        launch_resp = c.index_of(lambda m: m.get("type") == "response"
                                 and m.get("request_seq") == launch)
        init_evt = c.index_of(lambda m: m.get("event") == "initialized")
        self.assertIsNotNone(launch_resp, "`initialized` came, the launch "
                             "response did not")
        self.assertLess(launch_resp, init_evt,
                        "`initialized` arrived before the launch response")
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        c.collect_output("terminated", TIMEOUT)
        self.disconnect(c)
        seqs = [m.get("seq") for m in c.messages]
        self.assertEqual(seqs, list(range(1, len(seqs) + 1)),
                         "adapter seqs must be 1, 2, 3, ...")

    # ---- running programs ------------------------------------------------------
    def test_hello_world(self):
        r = self.run_program(self.launch_args(program=program("hello.py")))
        self.assertEqual(r.out("stdout"), "hello world\n")
        self.assertEqual(r.out("stderr"), "", "unexpected stderr output")
        self.assertEqual(r.exit_code, 0)
        c = r.client
        pid = c.events("process")[0]["body"]["systemProcessId"]
        self.assertGreater(pid, 0)
        left = wait_processes_gone([pid], c.proc.pid if c.proc else None)
        self.assertEqual(left, {}, "debuggee still there after terminated")

    def test_vscode_order_starts_program_only_after_configuration_done(self):
        marker = os.path.join(self.tmp, "started marker")
        c = self.client()
        self.initialize(c)
        launch = c.request("launch", self.launch_args(
            program=program("marker.py"), args=[marker]), TIMEOUT)
        self.assertTrue(launch["success"], "launch failed: %r" % (launch,))
        c.wait_event("initialized", TIMEOUT)
        time.sleep(0.3)
        self.assertFalse(os.path.exists(marker),
                         "the program ran before configurationDone")
        self.assertEqual(c.output("stdout"), "")
        done = c.request("configurationDone", None, TIMEOUT)
        self.assertTrue(done["success"], "configurationDone: %r" % (done,))
        out = c.collect_output("terminated", TIMEOUT)
        self.assertTrue(os.path.exists(marker), "the program never ran")
        self.assertEqual(out.get("stdout", ""), "started\n")
        self.assertEqual(c.events("exited")[0]["body"]["exitCode"], 0)
        self.check_end_of_session(c)
        self.disconnect(c)

    def test_nvim_order(self):
        marker = os.path.join(self.tmp, "started marker")
        r = self.run_program(self.launch_args(program=program("marker.py"),
                                              args=[marker]), order="nvim")
        self.assertTrue(os.path.exists(marker), "the program never ran")
        self.assertEqual(r.out("stdout"), "started\n")
        self.assertEqual(r.exit_code, 0)

    def test_sys_exit_code(self):
        r = self.run_program(self.launch_args(program=program("exit_code.py"),
                                              args=["3"]))
        self.assertEqual(r.out("stdout"), "exiting with 3\n")
        self.assertEqual(r.exit_code, 3)

    def test_uncaught_exception(self):
        path = program("uncaught.py")
        r = self.run_program(self.launch_args(program=path))
        err = r.out("stderr")
        self.assertIn("Traceback (most recent call last)", err)
        self.assertIn("ValueError: boom from the dapper test", err)
        self.assertEqual(r.exit_code, 1)
        # The user sees the traceback plain Python prints: no runtime frames.
        direct = run_direct([CONFIG.python, path], env=adapter_env())
        self.assertEqual(err, direct.stderr.decode("utf-8"),
                         "traceback differs from the plain interpreter's")

    def test_segfault(self):
        r = self.run_program(self.launch_args(program=program("segfault.py")))
        self.assertEqual(r.out("stdout"), "about to crash\n")
        self.assertEqual(r.exit_code, -11,
                         "a SIGSEGV death is exitCode -11 (like subprocess)")
        self.assertIn("SIGSEGV", r.out("console"),
                      "no console output naming the signal")

    def test_os_exit(self):
        r = self.run_program(self.launch_args(program=program("os_exit.py")))
        self.assertEqual(r.out("stdout"), "bye\n")
        self.assertEqual(r.exit_code, 7)

    # ---- launch semantics: same as the plain interpreter -----------------------
    def _compare_probe(self, launch, direct_argv, cwd, env_changes):
        r = self.run_program(self.launch_args(
            cwd=cwd, env=env_changes, **launch))
        self.assertEqual(r.exit_code, 0, "probe failed: %r" % (r.output,))
        seen = parse_json_line(r.out("stdout"))
        d = run_direct(direct_argv, cwd=cwd,
                       env=direct_env(adapter_env(), env_changes))
        self.assertEqual(d.returncode, 0, d.stderr.decode("utf-8", "replace"))
        expected = parse_json_line(d.stdout.decode("utf-8"))
        self.assertEqual(seen, expected,
                         "the program sees a different start under the "
                         "adapter than under `%s`" % shlex.join(direct_argv))
        self.assertEqual(seen["dapper_vars"], [])
        self.assertEqual(r.out("stderr"), "")
        return seen

    def test_launch_program_like_plain_python(self):
        prog = self.copy_program("probe.py", self.odd_dir("prog dir ü ✓"),
                                 "probe ü.py")
        cwd = self.odd_dir("cwd with spaces é 日本")
        env = {"FOO": "bar baz", "REMOVED": None}
        seen = self._compare_probe(
            {"program": prog, "args": TRICKY_ARGS},
            [CONFIG.python, prog] + TRICKY_ARGS, cwd, env)
        self.assertEqual(seen["argv"], [prog] + TRICKY_ARGS)
        self.assertEqual(seen["cwd"], os.path.realpath(cwd))
        self.assertEqual(seen["FOO"], "bar baz")
        self.assertIsNone(seen["REMOVED"])
        self.assertEqual(seen["name"], "__main__")

    def test_launch_module_like_plain_python(self):
        root = self.odd_dir("mod root ü")
        os.makedirs(os.path.join(root, "pkg"))
        open(os.path.join(root, "pkg", "__init__.py"), "w").close()
        self.copy_program("probe.py", os.path.join(root, "pkg"), "mod.py")
        env = {"FOO": "bar baz", "REMOVED": None}
        seen = self._compare_probe(
            {"module": "pkg.mod", "args": TRICKY_ARGS},
            [CONFIG.python, "-m", "pkg.mod"] + TRICKY_ARGS, root, env)
        self.assertEqual(seen["argv"][1:], TRICKY_ARGS)
        self.assertEqual(seen["spec"], "pkg.mod")
        self.assertEqual(seen["name"], "__main__")

    def test_launch_package_main_like_plain_python(self):
        root = self.odd_dir("pkg root ✓")
        os.makedirs(os.path.join(root, "pkg"))
        open(os.path.join(root, "pkg", "__init__.py"), "w").close()
        self.copy_program("probe.py", os.path.join(root, "pkg"), "__main__.py")
        seen = self._compare_probe(
            {"module": "pkg", "args": ["x y"]},
            [CONFIG.python, "-m", "pkg", "x y"], root, {})
        self.assertEqual(seen["spec"], "pkg.__main__")

    def test_launch_code_like_plain_python(self):
        code = "import sys, json; print(json.dumps(sys.argv))"
        cwd = self.odd_dir()
        r = self.run_program(self.launch_args(code=code, args=TRICKY_ARGS,
                                              cwd=cwd))
        self.assertEqual(r.exit_code, 0, "code failed: %r" % (r.output,))
        self.assertEqual(json.loads(r.out("stdout")), ["-c"] + TRICKY_ARGS)
        d = run_direct([CONFIG.python, "-c", code] + TRICKY_ARGS, cwd=cwd,
                       env=adapter_env())
        self.assertEqual(r.out("stdout"), d.stdout.decode("utf-8"))

    def test_python_as_argv_list(self):
        prog = program("probe.py")
        r = self.run_program({"python": [CONFIG.python, "-X", "utf8"],
                              "program": prog, "args": ["a"]})
        seen = parse_json_line(r.out("stdout"))
        self.assertEqual(seen["utf8_mode"], 1, "-X utf8 was not applied")
        self.assertEqual(seen["argv"], [prog, "a"])
        d = run_direct([CONFIG.python, "-X", "utf8", prog, "a"],
                       env=adapter_env())
        self.assertEqual(seen, parse_json_line(d.stdout.decode("utf-8")))

    # ---- launch errors ----------------------------------------------------------
    def test_launch_without_target_fails(self):
        c = self.client()
        resp = self.start(c, self.launch_args())
        self.assertFalse(resp["success"],
                         "launch with no program/module/code succeeded")
        self.assertTrue(error_text(resp), "launch failure without a message")
        self.disconnect(c)

    def test_launch_with_two_targets_fails(self):
        c = self.client()
        resp = self.start(c, self.launch_args(program=program("hello.py"),
                                              module="pkg"))
        self.assertFalse(resp["success"],
                         "launch with both program and module succeeded")
        self.assertTrue(error_text(resp), "launch failure without a message")
        self.disconnect(c)

    def test_launch_missing_program(self):
        missing = os.path.join(self.tmp, "no such dir", "missing ü.py")
        c = self.client()
        resp = self.start(c, self.launch_args(program=missing))
        c.wait_event("terminated", TIMEOUT)
        if resp["success"]:
            # Like the plain interpreter: its own message, exit status 2.
            self.assertIn("can't open file", c.output("stderr"))
            self.assertEqual(c.events("exited")[0]["body"]["exitCode"], 2)
            self.check_end_of_session(c)
        else:
            self.assertTrue(error_text(resp), "launch failure without message")
        self.disconnect(c)

    def test_launch_missing_python(self):
        missing = os.path.join(self.tmp, "no such python ü", "python3")
        c = self.client()
        resp = self.start(c, {"python": missing,
                              "program": program("hello.py")})
        self.assertFalse(resp["success"],
                         "launch with a missing interpreter succeeded")
        self.assertIn(missing, error_text(resp),
                      "the error does not name the interpreter path")
        self.disconnect(c)

    # ---- protocol robustness ---------------------------------------------------
    def test_unknown_command(self):
        c = self.client()
        self.initialize(c)
        resp = c.request("fooBar", {"x": 1}, TIMEOUT)
        self.assertFalse(resp["success"])
        self.assertIn("fooBar", error_text(resp))
        # The session goes on.
        launch = c.send_request("launch", self.launch_args(
            program=program("hello.py")))
        c.wait_event("initialized", TIMEOUT)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        self.assertTrue(c.wait_response(launch, TIMEOUT)["success"])
        out = c.collect_output("terminated", TIMEOUT)
        self.assertEqual(out.get("stdout", ""), "hello world\n")
        self.disconnect(c)

    def test_malformed_messages(self):
        c = self.client()
        body = b"this is { not json"
        c.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        body = json.dumps({"seq": 5, "type": "request"}).encode()
        c.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        resp = c.wait_message(lambda m: m.get("type") == "response"
                              and m.get("request_seq") == 5, TIMEOUT,
                              "error response to the request without command")
        self.assertFalse(resp["success"])
        c.seq = 10  # our next requests do not reuse seq 5
        self.assertFalse(c.closed, "the adapter closed the connection")
        r_init = self.initialize(c)
        self.assertIsInstance(r_init, dict)
        launch = c.send_request("launch", self.launch_args(
            program=program("hello.py")))
        c.wait_event("initialized", TIMEOUT)
        self.assertTrue(c.request("configurationDone", None, TIMEOUT)["success"])
        self.assertTrue(c.wait_response(launch, TIMEOUT)["success"])
        out = c.collect_output("terminated", TIMEOUT)
        self.assertEqual(out.get("stdout", ""), "hello world\n")
        self.disconnect(c)

    def test_broken_framing_closes_connection(self):
        c = self.client()
        self.initialize(c)
        c.send_raw(b"Content-Length: abc\r\n\r\n")
        c.wait_closed(5.0)
        if c.proc is not None:
            try:
                status = c.proc.wait(5.0)
            except subprocess.TimeoutExpired:
                self.fail("the adapter still runs 5 s after broken framing")
            self.assertGreaterEqual(status, 0,
                                    "the adapter died of a signal")
        else:
            # The server goes on: a new connection gets a whole session.
            r = self.run_program(self.launch_args(program=program("hello.py")))
            self.assertEqual(r.out("stdout"), "hello world\n")

    # ---- ending a session ------------------------------------------------------
    def _start_sleeper(self):
        c = self.client()
        resp = self.start(c, self.launch_args(program=program("sleeper.py")))
        self.assertTrue(resp["success"], "launch failed: %r" % (resp,))
        c.wait_output("}\n", "stdout", TIMEOUT)
        pids = json.loads(c.output("stdout"))
        self.pids += [pids["pid"], pids["child"]]
        process = c.events("process")[0]["body"]["systemProcessId"]
        self.assertEqual(process, pids["pid"],
                         "process event pid is not the program's pid")
        return c, [pids["pid"], pids["child"]]

    def _adapter_pid(self, c):
        return (c.proc or c.server.proc).pid

    def test_disconnect_terminates_debuggee(self):
        c, pids = self._start_sleeper()
        resp = c.request("disconnect", {}, TIMEOUT)
        self.assertTrue(resp["success"], "disconnect failed: %r" % (resp,))
        left = wait_processes_gone(pids, self._adapter_pid(c))
        self.assertEqual(left, {}, "processes left after disconnect "
                         "(program %d, its child %d)" % tuple(pids))

    def test_terminate_request(self):
        c, pids = self._start_sleeper()
        resp = c.request("terminate", {}, TIMEOUT)
        self.assertTrue(resp["success"], "terminate failed: %r" % (resp,))
        c.wait_event("exited", PROCESS_GONE)
        c.wait_event("terminated", TIMEOUT)
        self.check_end_of_session(c)
        # The program is gone; its child may outlive a polite terminate
        # (as in a terminal after SIGTERM), but disconnect ends everything.
        self.assertEqual(wait_processes_gone(pids[:1], self._adapter_pid(c)),
                         {}, "the program survived terminate")
        self.disconnect(c)
        self.assertEqual(wait_processes_gone(pids, self._adapter_pid(c)), {},
                         "processes left after terminate + disconnect")

    def test_client_vanishes(self):
        c, pids = self._start_sleeper()
        if c.proc is not None:
            c.close_input()  # editor gone: stdin closed, no disconnect
            try:
                c.proc.wait(5.0)
            except subprocess.TimeoutExpired:
                self.fail("the adapter still runs 5 s after stdin closed")
            left = wait_processes_gone(pids)
        else:
            c.close()  # connection dropped, no disconnect
            left = wait_processes_gone(pids, self._adapter_pid(c))
        self.assertEqual(left, {}, "processes left after the client vanished")
        if c.proc is None:
            r = self.run_program(self.launch_args(program=program("hello.py")))
            self.assertEqual(r.out("stdout"), "hello world\n")

    def test_disconnect_without_terminating_debuggee(self):
        c, pids = self._start_sleeper()
        resp = c.request("disconnect", {"terminateDebuggee": False}, TIMEOUT)
        self.assertTrue(resp["success"], "disconnect failed: %r" % (resp,))
        time.sleep(0.5)
        left = wait_processes_gone(pids, timeout=0)
        self.assertEqual(sorted(left), sorted(pids),
                         "terminateDebuggee: false still ended the program")

    # ---- output -------------------------------------------------------------------
    def test_output_without_final_newline(self):
        r = self.run_program(self.launch_args(
            code="import sys; sys.stdout.write('no newline'); "
                 "sys.stderr.write('err no newline')"))
        self.assertEqual(r.out("stdout"), "no newline")
        self.assertEqual(r.out("stderr"), "err no newline")

    def test_program_reading_stdin_does_not_eat_the_protocol(self):
        c = self.client()
        resp = self.start(c, self.launch_args(
            code="import sys; data = sys.stdin.read() if sys.stdin else ''; "
                 "print(len(data), 'Content-Length' in data)"))
        self.assertTrue(resp["success"], "launch failed: %r" % (resp,))
        # While the program reads, the protocol must go on.
        out = c.collect_output("terminated", TIMEOUT)
        self.assertEqual(out.get("stdout", ""), "0 False\n",
                         "the program read something on stdin")
        self.disconnect(c)

    def test_no_descriptor_leaks_into_children(self):
        path = program("fd_probe.py")
        r = self.run_program(self.launch_args(program=path))
        self.assertEqual(r.exit_code, 0, r.output)
        d = run_direct([CONFIG.python, path], env=adapter_env())
        self.assertEqual(r.out("stdout"), d.stdout.decode(),
                         "a child of the program inherits descriptors it "
                         "would not have under the plain interpreter")

    def test_big_output_is_complete(self):
        path = program("bigout.py")
        r = self.run_program(self.launch_args(program=path), timeout=60)
        self.assertEqual(r.exit_code, 0)
        expected = run_direct([CONFIG.python, path], timeout=60).stdout
        got = r.out("stdout").encode("utf-8")
        if got != expected:
            n = next((i for i, (a, b) in enumerate(zip(got, expected))
                      if a != b), min(len(got), len(expected)))
            self.fail("stdout differs from the program's at byte %d "
                      "(got %d bytes, expected %d): got %r, expected %r" % (
                          n, len(got), len(expected), got[n - 20:n + 40],
                          expected[n - 20:n + 40]))
        self.assertNotIn("\ufffd", r.out("stdout"))

    def test_stdout_stderr_keep_their_order(self):
        r = self.run_program(self.launch_args(program=program("mixed.py")))
        self.assertEqual(r.exit_code, 0)
        n = 300
        self.assertEqual(r.out("stdout"),
                         "".join("out %d\n" % i for i in range(n)))
        self.assertEqual(r.out("stderr"),
                         "".join("err %d\n" % i for i in range(n)))

    def test_child_process_output(self):
        r = self.run_program(self.launch_args(
            program=program("child_output.py")))
        self.assertEqual(r.exit_code, 0)
        self.assertEqual(r.out("stdout"),
                         "parent start\nfrom the child\nparent done\n")


class StdioSessionTests(SessionTests, DapTestCase):
    transport = "stdio"


class TcpSessionTests(SessionTests, DapTestCase):
    transport = "tcp"

    def test_serves_clients_one_after_another(self):
        for _ in range(3):
            r = self.run_program(self.launch_args(program=program("hello.py")))
            self.assertEqual(r.out("stdout"), "hello world\n")
