"""The adapter's command line."""

import os
import socket
import subprocess
import tempfile
import time
import unittest

from dap_client import DapClient, TcpAdapter
from harness import CONFIG, TIMEOUT, adapter_env, error_text, program


def run_adapter(*args, timeout=5.0, env=None):
    return subprocess.run([CONFIG.adapter] + list(args),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout,
                          env=dict(adapter_env(), **(env or {})))


class CliTests(unittest.TestCase):
    def test_version(self):
        r = run_adapter("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.decode(), r"\b\d+\.\d+\.\d+\b",
                         "--version printed no version on stdout")

    def test_help(self):
        r = run_adapter("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--port", r.stdout.decode(),
                      "--help does not document --port")

    def test_unknown_option(self):
        r = run_adapter("--bogus")
        self.assertEqual(r.returncode, 2, "--bogus: %r" % (r,))
        self.assertIn("--bogus", r.stderr.decode(),
                      "the error does not name the option")
        self.assertEqual(r.stdout, b"", "usage errors belong on stderr")

    def test_port_zero_prints_listening_line(self):
        server = TcpAdapter.start(CONFIG.adapter, env=adapter_env())
        try:
            self.assertRegex(server.stderr.text(), r"(?m)^" +
                             TcpAdapter.LISTEN_RE)
            self.assertGreater(server.port, 0)
            socket.create_connection(("127.0.0.1", server.port), 5).close()
        finally:
            status = server.stop()
        self.assertIn(status, (0, -15, 143),
                      "the adapter did not end cleanly on SIGTERM")

    def _listen_stderr(self, *args):
        """Starts `--port 0 ARGS`, waits for the listening line, stops the
        adapter and returns everything it wrote to stderr."""
        proc = subprocess.Popen([CONFIG.adapter, "--port", "0"] + list(args),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=adapter_env())
        try:
            seen = b""
            while b"listening on" not in seen:
                line = proc.stderr.readline()
                self.assertTrue(line, "the adapter exited: %r" % seen)
                seen += line
        finally:
            proc.terminate()
            _, rest = proc.communicate(timeout=5)
        return (seen + rest).decode()

    def test_loopback_host_has_no_warning(self):
        err = self._listen_stderr("--host", "127.0.0.1")
        self.assertIn("listening on 127.0.0.1:", err)
        self.assertNotIn("WARNING", err)

    def test_other_host_warns_that_anyone_can_run_code(self):
        err = self._listen_stderr("--host", "0.0.0.0")
        self.assertIn("WARNING: listening on 0.0.0.0", err)
        self.assertIn("can run code on this machine", err)

    def test_bad_startup_timeout_is_refused(self):
        for bad in ("abc", "0", "-2", "3601", "nan", "5s"):
            r = run_adapter(env={"DAPPER_STARTUP_TIMEOUT": bad})
            self.assertEqual(r.returncode, 2, "DAPPER_STARTUP_TIMEOUT=%s: %r" % (bad, r))
            err = r.stderr.decode()
            self.assertIn("DAPPER_STARTUP_TIMEOUT must be a number of seconds", err)
            self.assertIn("'%s'" % bad, err)
            self.assertEqual(r.stdout, b"", "errors belong on stderr")

    def test_startup_timeout_is_how_long_the_adapter_waits_for_the_runtime(self):
        # An "interpreter" that never starts the runtime: the launch fails
        # after DAPPER_STARTUP_TIMEOUT (1.5 s), not the default 15 s.
        with tempfile.TemporaryDirectory() as tmp:
            fake = os.path.join(tmp, "python3")
            with open(fake, "w") as f:
                f.write("#!/bin/sh\nexec sleep 30\n")
            os.chmod(fake, 0o755)
            c = DapClient.spawn_stdio(CONFIG.adapter, env=dict(
                adapter_env(), DAPPER_STARTUP_TIMEOUT="1.5"))
            try:
                resp = c.request("initialize", {"adapterID": "dapper",
                                                "linesStartAt1": True}, TIMEOUT)
                self.assertTrue(resp["success"], resp)
                t0 = time.monotonic()
                resp = c.request("launch", {"program": program("hello.py"),
                                            "python": fake}, TIMEOUT + 2)
                elapsed = time.monotonic() - t0
                self.assertFalse(resp["success"], resp)
                self.assertIn("did not start in", error_text(resp))
                self.assertIn("within 1.5 s", error_text(resp))
                self.assertLess(elapsed, 10.0)
                self.assertGreater(elapsed, 1.0)
            finally:
                c.close()

    def test_host_without_port_is_a_usage_error(self):
        r = run_adapter("--host", "127.0.0.1")
        self.assertEqual(r.returncode, 2, "--host alone: %r" % (r,))
        self.assertIn("--port", r.stderr.decode())
