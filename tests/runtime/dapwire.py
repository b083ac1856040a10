"""A tiny wire client for the runtime tests: launches a target program the
way the adapter does (boot directory on PYTHONPATH, the wire on fd 3),
answers as the adapter, and collects responses and events, every wait
under a deadline (docs/wire-protocol.md)."""
import fcntl
import os
import socket
import subprocess
import sys
import time

from wire_helpers import Reader, frame

DEADLINE = 10.0
HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "targets")


def markers(path):
    """{name: line} from `# BREAK: name` comments."""
    out = {}
    with open(path) as f:
        for i, text in enumerate(f, 1):
            if "# BREAK:" in text:
                out[text.split("# BREAK:")[1].strip()] = i
    return out


def target(name):
    return os.path.join(TARGETS, name)


def backends():
    """The backends this interpreter offers."""
    if sys.version_info >= (3, 12):
        return ["tracing", "monitoring", "evalframe"]
    return ["tracing", "instrumented", "evalframe"]


_cache = []


def cache_dir():
    """A temporary instrumentation cache directory for this test process
    (docs/runtime.md, "The instrumentation cache on disk"), removed at
    exit."""
    if not _cache:
        import atexit
        import shutil
        import tempfile
        d = tempfile.mkdtemp(prefix="dapper-test-cache.")
        atexit.register(shutil.rmtree, d, True)
        _cache.append(d)
    return _cache[0]


class Session:
    def __init__(self, build_dir, argv, env=None, cwd=None):
        ours, theirs = socket.socketpair()
        high = fcntl.fcntl(theirs.fileno(), fcntl.F_DUPFD_CLOEXEC, 10)
        theirs.close()
        if ours.fileno() == 3:
            moved = ours.dup()
            ours.close()
            ours = moved
        saved3 = None
        try:
            saved3 = os.dup(3)
        except OSError:
            saved3 = None
        os.dup2(high, 3, inheritable=True)
        os.close(high)
        e = dict(os.environ)
        for key in [k for k in e if k.startswith("DAPPER_")]:
            del e[key]
        e.pop("PYTHONPATH", None)
        e["PYTHONPATH"] = os.path.join(build_dir, "boot")
        e["DAPPER_CACHE_DIR"] = cache_dir()  # never the user's
        e["DAPPER_RUNTIME_FD"] = "3"
        e["DAPPER_RUNTIME_DIR"] = build_dir
        e["PYTHONUNBUFFERED"] = "1"
        if env:
            e.update(env)
        try:
            self.proc = subprocess.Popen(
                [sys.executable] + list(argv), env=e, cwd=cwd, pass_fds=(3,),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        finally:
            if saved3 is not None:
                os.dup2(saved3, 3)
                os.close(saved3)
            else:
                os.close(3)
        self.sock = ours
        self.reader = Reader(ours)
        self.seq = 0
        self.events = []
        self.responses = {}
        hello = self.reader.read()
        assert hello.get("event") == "hello", hello
        assert "error" not in hello["body"], hello
        self.hello = hello

    # -- messages -----------------------------------------------------------
    def _pump(self, deadline):
        try:
            msg = self.reader.read(max(0.01, deadline - time.monotonic()))
        except EOFError:
            try:
                _, err = self.proc.communicate(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                err = b"(still running)"
            raise AssertionError("channel closed; rc %r; stderr: %s"
                                 % (self.proc.returncode, err.decode()))
        if msg.get("type") == "response":
            self.responses[msg["request_seq"]] = msg
        else:
            self.events.append(msg)

    def send(self, command, arguments=None):
        self.seq += 1
        msg = {"seq": self.seq, "type": "request", "command": command}
        if arguments is not None:
            msg["arguments"] = arguments
        self.sock.sendall(frame(msg))
        return self.seq

    def response(self, seq, timeout=DEADLINE):
        deadline = time.monotonic() + timeout
        while seq not in self.responses:
            if time.monotonic() > deadline:
                raise TimeoutError("no response to request %d" % seq)
            self._pump(deadline)
        return self.responses.pop(seq)

    def request(self, command, arguments=None, ok=True, timeout=DEADLINE):
        resp = self.response(self.send(command, arguments), timeout)
        if ok is True:
            assert resp["success"], "%s failed: %r" % (command, resp)
        elif ok is False:
            assert not resp["success"], "%s succeeded: %r" % (command, resp)
        return resp

    def event(self, name, pred=None, timeout=DEADLINE):
        """Returns (and removes) the first event `name` matching pred."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("event") == name and (pred is None or pred(ev["body"])):
                    del self.events[i]
                    return ev["body"]
            if time.monotonic() > deadline:
                raise TimeoutError("no %s event; have %r" % (
                    name, [(e["event"], e.get("body")) for e in self.events]))
            try:
                self._pump(deadline)
            except (TimeoutError, socket.timeout):
                pass
            except EOFError:
                try:
                    _, err = self.proc.communicate(timeout=DEADLINE)
                except subprocess.TimeoutExpired:
                    err = b"(still running)"
                raise AssertionError("channel closed waiting for %s; rc %r; stderr: %s"
                                     % (name, self.proc.returncode, err.decode()))

    def outputs(self):
        return [e["body"]["output"] for e in self.events if e.get("event") == "output"]

    # -- helpers -------------------------------------------------------------
    def configure(self, backend="tracing", stop_on_entry=False, **fe):
        frame_eval = {"enabled": True, "backend": backend}
        frame_eval.update(fe)
        return self.request("configure", {"stopOnEntry": stop_on_entry,
                                          "frameEval": frame_eval})

    def set_breakpoints(self, path, bps):
        """bps: [(id, line)] or [dict]."""
        items = []
        for bp in bps:
            if isinstance(bp, dict):
                items.append(bp)
            else:
                items.append({"id": bp[0], "line": bp[1]})
        return self.request("setBreakpoints", {"source": {"path": path},
                                               "breakpoints": items})["body"]["breakpoints"]

    def start(self):
        return self.request("start")

    def stopped(self, timeout=DEADLINE):
        return self.event("stopped", timeout=timeout)

    def stack(self, thread_id, **args):
        args["threadId"] = thread_id
        return self.request("stackTrace", args)["body"]

    def top(self, thread_id):
        frame0 = self.stack(thread_id, levels=1)["stackFrames"][0]
        return frame0["name"], frame0["line"]

    def cont(self, thread_id=1, **args):
        args["threadId"] = thread_id
        return self.request("continue", args)["body"]

    def step(self, kind, thread_id):
        return self.request(kind, {"threadId": thread_id})

    def finish(self, timeout=DEADLINE):
        """Waits for the program to end; returns (rc, stdout, stderr)."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError("the program did not end; stderr: %s" % err.decode())
        return self.proc.returncode, out.decode(), err.decode()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()
