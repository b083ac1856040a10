"""A Debug Adapter Protocol client for the integration tests.

Two transports:

    c = DapClient.spawn_stdio(adapter_path, env=...)   # adapter on our pipes
    server = TcpAdapter.start(adapter_path, env=...)    # `--port 0`
    c = DapClient.connect_tcp(server.port)

A reader thread parses Content-Length frames into `messages` (every message
received, in order). Every byte the adapter writes must belong to a frame
and every message must validate against the DAP JSON schema; anything else
is appended to `violations`, which the tests assert empty at the end.

Every wait takes a timeout and raises DapTimeout (an AssertionError, so a
hang fails the test) when it passes.

Standard library only.
"""

import json
import os
import re
import socket
import subprocess
import threading
import time

from dap_schema import DapSchema

DEFAULT_TIMEOUT = 10.0
MAX_HEADER = 4096


class DapTimeout(AssertionError):
    pass


class DapClosed(AssertionError):
    pass


class _StreamDrain:
    """Reads a byte stream on a thread and keeps everything (for stderr)."""

    def __init__(self, fileobj, name):
        self.data = bytearray()
        self.cond = threading.Condition()
        self.eof = False
        self._fd = fileobj.fileno()
        self.thread = threading.Thread(target=self._run, name=name,
                                       daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while True:
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    break
                with self.cond:
                    self.data += chunk
                    self.cond.notify_all()
        except (OSError, ValueError):
            pass
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def text(self):
        with self.cond:
            return self.data.decode("utf-8", "replace")

    def wait_for(self, regex, timeout):
        """Waits until the text matches regex; returns the match object."""
        deadline = time.monotonic() + timeout
        pattern = re.compile(regex)
        with self.cond:
            while True:
                m = pattern.search(self.data.decode("utf-8", "replace"))
                if m:
                    return m
                remaining = deadline - time.monotonic()
                if self.eof or remaining <= 0:
                    raise DapTimeout(
                        "no match for %r on %s within %.1fs (eof=%s); got:\n%s"
                        % (regex, self.thread.name, timeout, self.eof,
                           self.data.decode("utf-8", "replace")[-2000:]))
                self.cond.wait(remaining)


class DapClient:
    def __init__(self, name, read_chunk, write_bytes, close_write, close_all):
        self.name = name
        self.schema = DapSchema.load()
        self.messages = []        # every message received, in order
        self.sent = []            # every request sent (parsed), in order
        self.violations = []      # framing / JSON / schema problems
        self.closed = False       # the adapter closed its side
        self.seq = 1
        self.proc = None          # stdio: the adapter process
        self.stderr = None        # stdio: _StreamDrain of the adapter stderr
        self._consumed = set()    # indexes returned by wait_* already
        self._cond = threading.Condition()
        self._read_chunk = read_chunk
        self._write_bytes = write_bytes
        self._close_write = close_write
        self._close_all = close_all
        self._write_lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_loop,
                                        name="dap-reader-" + name,
                                        daemon=True)
        self._reader.start()

    # ---- construction -----------------------------------------------------
    @classmethod
    def spawn_stdio(cls, adapter, args=(), env=None, cwd=None):
        proc = subprocess.Popen([adapter] + list(args),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=cwd,
                                bufsize=0)
        stdin = proc.stdin
        out_fd = proc.stdout.fileno()

        def write(data):
            view = memoryview(data)
            while view:
                n = os.write(stdin.fileno(), view)
                view = view[n:]

        def read_chunk(n):
            return os.read(out_fd, n)

        def close_write():
            try:
                stdin.close()
            except OSError:
                pass

        def close_all():
            close_write()
            terminate_process(proc)
            for f in (proc.stdout, proc.stderr):
                try:
                    f.close()
                except OSError:
                    pass

        stderr = _StreamDrain(proc.stderr, "adapter-stderr-%d" % proc.pid)
        c = cls("stdio", read_chunk, write, close_write, close_all)
        c.proc = proc
        c.stderr = stderr
        return c

    @classmethod
    def connect_tcp(cls, port, host="127.0.0.1", timeout=5.0):
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.settimeout(None)

        def read_chunk(n):
            return sock.recv(n)

        def close_write():
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass

        def close_all():
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

        c = cls("tcp:%d" % port, read_chunk, sock.sendall, close_write,
                close_all)
        c.sock = sock
        return c

    # ---- reading ----------------------------------------------------------
    def _violation(self, text):
        with self._cond:
            self.violations.append(text)
            self._cond.notify_all()

    def _read_loop(self):
        buf = bytearray()
        try:
            while True:
                # Header: lines up to an empty line.
                while b"\r\n\r\n" not in buf:
                    if len(buf) > MAX_HEADER:
                        self._violation("unframed bytes from the adapter: %r"
                                        % bytes(buf[:200]))
                        return
                    chunk = self._read_chunk(65536)
                    if not chunk:
                        if buf:
                            self._violation(
                                "connection ended inside a header: %r"
                                % bytes(buf[:200]))
                        return
                    buf += chunk
                head, _, rest = bytes(buf).partition(b"\r\n\r\n")
                length = None
                for line in head.split(b"\r\n"):
                    m = re.fullmatch(rb"Content-Length: *([0-9]+)", line)
                    if m:
                        length = int(m.group(1))
                    elif not re.fullmatch(rb"[A-Za-z-]+: *[^\r\n]*", line):
                        self._violation("not a DAP header line: %r" % line[:200])
                        return
                if length is None:
                    self._violation("header without Content-Length: %r"
                                    % head[:200])
                    return
                buf = bytearray(rest)
                while len(buf) < length:
                    chunk = self._read_chunk(max(65536, length - len(buf)))
                    if not chunk:
                        self._violation("connection ended inside a body "
                                        "(%d of %d bytes)" % (len(buf), length))
                        return
                    buf += chunk
                body = bytes(buf[:length])
                del buf[:length]
                self._on_body(body)
        except (OSError, ValueError):
            pass  # closed under us by close()
        finally:
            with self._cond:
                self.closed = True
                self._cond.notify_all()

    def _on_body(self, body):
        try:
            msg = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            self._violation("body is not UTF-8 JSON (%s): %r" % (e, body[:200]))
            return
        errors = self.schema.validate_message(msg)
        with self._cond:
            for e in errors:
                self.violations.append("schema: %s in %s" % (
                    e, _short(msg)))
            self.messages.append(msg)
            self._cond.notify_all()

    # ---- writing ----------------------------------------------------------
    def send_raw(self, data):
        """Writes bytes to the adapter as they are (no framing added)."""
        with self._write_lock:
            self._write_bytes(data)

    def send_message(self, msg):
        body = json.dumps(msg).encode("utf-8")
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def send_request(self, command, arguments=None):
        """Sends a request without waiting; returns its seq."""
        with self._write_lock:
            seq = self.seq
            self.seq += 1
        msg = {"seq": seq, "type": "request", "command": command}
        if arguments is not None:
            msg["arguments"] = arguments
        self.sent.append(msg)
        self.send_message(msg)
        return seq

    def request(self, command, arguments=None, timeout=DEFAULT_TIMEOUT):
        """Sends a request and returns its response (success or not)."""
        seq = self.send_request(command, arguments)
        return self.wait_response(seq, timeout)

    # ---- waiting ----------------------------------------------------------
    def wait_message(self, predicate, timeout=DEFAULT_TIMEOUT, what="message",
                     consume=True):
        """Returns the first message for which predicate(msg) is true,
        skipping those a consuming wait returned already (when consume is
        false, any message counts and none is marked)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            start = 0
            while True:
                for i in range(start, len(self.messages)):
                    if (not consume or i not in self._consumed) \
                            and predicate(self.messages[i]):
                        if consume:
                            self._consumed.add(i)
                        return self.messages[i]
                start = len(self.messages)
                if self.closed:
                    raise DapClosed("%s: the adapter closed the connection "
                                    "before %s arrived" % (self.name, what))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DapTimeout("%s: no %s within %.1fs" % (
                        self.name, what, timeout))
                self._cond.wait(remaining)

    def wait_response(self, request_seq, timeout=DEFAULT_TIMEOUT):
        return self.wait_message(
            lambda m: m.get("type") == "response"
            and m.get("request_seq") == request_seq,
            timeout, "response to request %d" % request_seq)

    def wait_event(self, name, timeout=DEFAULT_TIMEOUT, predicate=None):
        return self.wait_message(
            lambda m: m.get("type") == "event" and m.get("event") == name
            and (predicate is None or predicate(m)),
            timeout, "%r event" % name)

    def wait_output(self, text, category=None, timeout=DEFAULT_TIMEOUT):
        """Waits until the output of category (all when None) so far
        contains text; returns that output."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                out = "".join(self._outputs(category))
                if text in out:
                    return out
                if self.closed:
                    raise DapClosed("%s: closed before output %r (got %r)" % (
                        self.name, text, out[-500:]))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DapTimeout("%s: no output %r within %.1fs (got %r)"
                                     % (self.name, text, timeout, out[-500:]))
                self._cond.wait(remaining)

    def wait_closed(self, timeout=5.0):
        """Waits until the adapter closes its side of the connection."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DapTimeout("%s: the adapter kept the connection "
                                     "open for %.1fs" % (self.name, timeout))
                self._cond.wait(remaining)

    def _outputs(self, category=None, messages=None):
        for m in self.messages if messages is None else messages:
            if m.get("type") == "event" and m.get("event") == "output":
                body = m.get("body") or {}
                cat = body.get("category", "console")
                if category is None or cat == category:
                    yield body.get("output", "")

    def output(self, category=None):
        """All output so far of a category ("stdout", "stderr", "console";
        all categories when None), concatenated."""
        with self._cond:
            return "".join(self._outputs(category))

    def collect_output(self, until="terminated", timeout=DEFAULT_TIMEOUT):
        """Waits for the event `until`, then returns {category: text} of
        every output event received before it."""
        end = self.wait_message(
            lambda m: m.get("type") == "event" and m.get("event") == until,
            timeout, "%r event" % until, consume=False)
        with self._cond:
            idx = next(i for i, m in enumerate(self.messages) if m is end)
            out = {}
            for m in self.messages[:idx]:
                if m.get("type") == "event" and m.get("event") == "output":
                    body = m.get("body") or {}
                    cat = body.get("category", "console")
                    out[cat] = out.get(cat, "") + body.get("output", "")
            return out

    def events(self, name=None):
        with self._cond:
            return [m for m in self.messages if m.get("type") == "event"
                    and (name is None or m.get("event") == name)]

    def index_of(self, predicate):
        """Index in `messages` of the first message matching predicate,
        or None."""
        with self._cond:
            for i, m in enumerate(self.messages):
                if predicate(m):
                    return i
        return None

    # ---- checks -------------------------------------------------------------
    def protocol_problems(self):
        """Everything wrong with the session as a whole: framing and schema
        violations, seq not 1, 2, 3..., responses that match no request
        or more than one response to a request."""
        with self._cond:
            problems = list(self.violations)
            messages = list(self.messages)
        for i, m in enumerate(messages):
            if m.get("seq") != i + 1:
                problems.append("message #%d has seq %r, expected %d: %s" % (
                    i + 1, m.get("seq"), i + 1, _short(m)))
                break
        for m in messages:
            if m.get("type") not in ("response", "event", "request"):
                problems.append("message of unknown type: %s" % _short(m))
        by_seq = {r["seq"]: r for r in self.sent}
        answered = {}
        for m in messages:
            if m.get("type") != "response":
                continue
            rs = m.get("request_seq")
            if rs in answered:
                problems.append("second response to request %r: %s" % (
                    rs, _short(m)))
            answered[rs] = m
            req = by_seq.get(rs)
            if req is not None and m.get("command") != req["command"]:
                problems.append("response to %r has command %r" % (
                    req["command"], m.get("command")))
        return problems

    def transcript(self, limit=60):
        """The session as text, for failure reports."""
        lines = ["--- %s: sent %d requests, received %d messages%s" % (
            self.name, len(self.sent), len(self.messages),
            ", adapter closed" if self.closed else "")]
        for r in self.sent[-limit:]:
            lines.append("  -> %s" % _short(r, 300))
        msgs = self.messages
        if len(msgs) > limit:
            lines.append("  <- ... %d earlier messages" % (len(msgs) - limit))
        for m in msgs[-limit:]:
            lines.append("  <- %s" % _short(m, 300))
        for v in self.violations[:20]:
            lines.append("  !! %s" % v)
        if self.stderr is not None:
            err = self.stderr.text()
            if err:
                lines.append("  adapter stderr (tail):")
                lines.extend("    " + l for l in err[-3000:].splitlines())
        if self.proc is not None and self.proc.poll() is not None:
            lines.append("  adapter exit status: %r" % self.proc.returncode)
        return "\n".join(lines)

    # ---- shutdown -----------------------------------------------------------
    def close_input(self):
        """Closes our writing side only (stdin of the adapter / TCP
        half-close); the reader keeps reading."""
        self._close_write()

    def close(self):
        self._close_all()
        self._reader.join(5.0)


def terminate_process(proc, grace=3.0):
    """Ends proc if it still runs: waits `grace` seconds after SIGTERM,
    then SIGKILL. Returns the exit status."""
    if proc.poll() is None:
        try:
            proc.terminate()
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5.0)
    return proc.returncode


class TcpAdapter:
    """An adapter started with `--port 0`, serving clients one after
    another."""

    LISTEN_RE = r"dapper-adapter: listening on 127\.0\.0\.1:([0-9]+)\r?\n"

    def __init__(self, proc, stderr, port):
        self.proc = proc
        self.stderr = stderr
        self.port = port

    @classmethod
    def start(cls, adapter, env=None, timeout=5.0):
        proc = subprocess.Popen([adapter, "--port", "0"],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, bufsize=0)
        stderr = _StreamDrain(proc.stderr, "tcp-adapter-stderr-%d" % proc.pid)
        stdout = _StreamDrain(proc.stdout, "tcp-adapter-stdout-%d" % proc.pid)
        try:
            m = stderr.wait_for(cls.LISTEN_RE, timeout)
        except AssertionError:
            terminate_process(proc)
            raise
        server = cls(proc, stderr, int(m.group(1)))
        server.stdout = stdout
        return server

    def connect(self):
        c = DapClient.connect_tcp(self.port)
        c.server = self
        return c

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        status = terminate_process(self.proc)
        for f in (self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass
        return status


def _short(msg, limit=400):
    text = json.dumps(msg, ensure_ascii=False)
    if len(text) > limit:
        text = text[:limit] + "...(%d chars)" % len(text)
    return text
