"""Helpers shared by the runtime tests: load the built module, frame and
read wire messages with deadlines (docs/wire-protocol.md)."""
import importlib.util
import json
import os
import socket
import sys
import sysconfig
import time

DEADLINE = 10.0  # seconds for any single wait


def module_path(build_dir):
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    return os.path.join(build_dir, "_dapper_runtime" + suffix)


def load_runtime(build_dir):
    """Imports _dapper_runtime from build_dir by absolute path."""
    path = module_path(build_dir)
    if not os.path.isfile(path):
        sys.exit("FAIL: no runtime module at %s" % path)
    spec = importlib.util.spec_from_file_location("_dapper_runtime", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["_dapper_runtime"] = module
    spec.loader.exec_module(module)
    return module


def frame(obj):
    data = json.dumps(obj).encode("utf-8")
    return b"Content-Length: %d\r\n\r\n" % len(data) + data


class Reader:
    """Reads framed messages from a socket, every read under a deadline."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no message before the deadline")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("channel closed")
        self.buf += chunk

    def read(self, timeout=DEADLINE):
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            self._fill(deadline)
        header, _, rest = self.buf.partition(b"\r\n\r\n")
        length = None
        for line in header.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        assert length is not None, "no Content-Length in %r" % header
        self.buf = rest
        while len(self.buf) < length:
            self._fill(deadline)
        body, self.buf = self.buf[:length], self.buf[length:]
        return json.loads(body.decode("utf-8"))

    def expect_eof(self, timeout=DEADLINE):
        """Waits until the peer closes; returns the bytes that came first."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(deadline)
        except EOFError:
            data, self.buf = self.buf, b""
            return data


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def wait_until(predicate, timeout=DEADLINE, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.01)
