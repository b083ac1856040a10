"""The built _dapper_runtime in this interpreter: constants, hello, start,
unknown and invalid requests, broken framing, channel close, fork.

usage: python test_module.py <runtime build dir>"""
import fcntl
import os
import platform
import socket
import sys
import sysconfig
import threading
import warnings

from wire_helpers import DEADLINE, Reader, check, frame, load_runtime, wait_until


def connect_pair(rt):
    """Connects the runtime to one end of a socketpair; returns the other end
    and the runtime's fd (owned by the runtime now)."""
    ours, theirs = socket.socketpair()
    fd = theirs.detach()
    rt.connect(fd)
    return ours, fd


def request(sock, seq, command, **extra):
    msg = {"seq": seq, "type": "request", "command": command}
    msg.update(extra)
    sock.sendall(frame(msg))


def test_constants(rt):
    check(rt.VERSION == "0.1.0", "VERSION %r" % rt.VERSION)
    check(rt.WIRE_VERSION == 1, "WIRE_VERSION %r" % rt.WIRE_VERSION)
    check(rt.is_connected() is False, "connected before connect()")
    check(rt.wait_for_start(0) is False, "started before connect()")
    check(rt.wait_for_client(0) is False, "a client before connect()")
    for wait in (rt.wait_for_start, rt.wait_for_client):
        for bad, exc, words in ((float("nan"), ValueError, "NaN"), ("3", TypeError, "real number"),
                                (None, None, None)):
            try:
                ok = wait(timeout=bad if bad is not None else -5.0) is False
            except Exception as e:  # noqa: BLE001: the type is the check
                check(exc is not None and isinstance(e, exc) and words in str(e),
                      "%s(%r) raised %r" % (wait.__name__, bad, e))
            else:
                check(exc is None and ok, "%s(%r) did not raise %s" % (wait.__name__, bad, exc))
    try:
        rt.wait_for_client(1, 2)
    except TypeError as e:
        check("wait_for_client" in str(e), "the error names the function: %s" % e)
    else:
        raise AssertionError("wait_for_client(1, 2) did not raise")
    for bad, exc in ((-1, ValueError), ("3", TypeError)):
        try:
            rt.connect(bad)
        except exc:
            pass
        else:
            raise AssertionError("connect(%r) did not raise %s" % (bad, exc))
    r, w = os.pipe()
    os.close(r)
    os.close(w)
    try:
        rt.connect(w)  # closed descriptor
    except OSError:
        pass
    else:
        raise AssertionError("connect(closed fd) did not raise OSError")
    check(rt.is_connected() is False, "connected after a failed connect()")


def test_session(rt):
    sock, fd = connect_pair(rt)
    reader = Reader(sock)
    check(fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC, "fd not CLOEXEC")
    check(rt.is_connected() is True, "not connected after connect()")

    hello = reader.read()
    body = hello.get("body", {})
    abi = sysconfig.get_config_var("EXT_SUFFIX")[1:-len(".so")]
    check(hello.get("seq") == 1 and hello.get("type") == "event"
          and hello.get("event") == "hello", "hello envelope %r" % hello)
    expected = {
        "runtimeVersion": rt.VERSION,
        "wireVersion": 1,
        "pythonVersion": platform.python_version(),
        "pythonImplementation": sys.implementation.name,
        "executable": sys.executable,
        "pid": os.getpid(),
        "abi": abi,
    }
    for key, value in expected.items():
        check(body.get(key) == value,
              "hello %s: %r, expected %r" % (key, body.get(key), value))
    check("error" not in body, "hello has an error: %r" % body)

    spare = os.dup(sock.fileno())
    try:
        rt.connect(spare)
    except RuntimeError:
        pass
    else:
        raise AssertionError("a second connect() did not raise")
    finally:
        os.close(spare)

    check(rt.wait_for_start(0.05) is False, "started before start")

    # A waiter released by `start`.
    result = []
    waiter = threading.Thread(target=lambda: result.append(rt.wait_for_start(DEADLINE)))
    waiter.start()
    request(sock, 1, "start")
    resp = reader.read()
    waiter.join(DEADLINE)
    check(result == [True], "wait_for_start -> %r" % result)
    check(resp.get("type") == "response" and resp.get("request_seq") == 1
          and resp.get("success") is True and resp.get("command") == "start"
          and resp.get("seq") == 2, "start response %r" % resp)
    check(rt.wait_for_start() is True, "wait_for_start after start")

    request(sock, 2, "start")  # a second start: success, nothing changes
    resp = reader.read()
    check(resp.get("success") is True and resp.get("request_seq") == 2,
          "second start %r" % resp)

    request(sock, 3, "frobnicate", arguments={"x": 1})
    resp = reader.read()
    check(resp.get("success") is False and resp.get("request_seq") == 3
          and resp.get("command") == "frobnicate"
          and "unknown command 'frobnicate'" in resp.get("message", ""),
          "unknown command response %r" % resp)

    # Invalid messages: answered when they have a seq, dropped otherwise.
    sock.sendall(frame({"seq": 4, "type": "request"}))
    resp = reader.read()
    check(resp.get("success") is False and resp.get("request_seq") == 4,
          "invalid request response %r" % resp)
    sock.sendall(b"Content-Length: 5\r\n\r\n{{{{{")
    sock.sendall(frame({"seq": 5, "type": "event", "event": "whatever"}))
    request(sock, 6, "start")
    resp = reader.read()
    check(resp.get("request_seq") == 6 and resp.get("success") is True,
          "channel still usable after bad JSON: %r" % resp)

    # Broken framing closes the channel: the thread ends, the fd is closed.
    sock.sendall(b"Not-A-Header\r\n\r\n")
    rest = reader.expect_eof()
    check(rest == b"", "bytes after broken framing: %r" % rest)
    wait_until(lambda: not rt.is_connected(), what="is_connected() False")
    sock.close()


def test_close_releases_waiter(rt):
    # Reconnecting is allowed once the previous channel thread has ended.
    wait_until(lambda: not rt.is_connected(), what="the old channel to end")
    sock = None
    for _ in range(int(DEADLINE / 0.01)):
        ours, theirs = socket.socketpair()
        try:
            rt.connect(theirs.fileno())
            theirs.detach()
            sock = ours
            break
        except RuntimeError:  # the old thread is still on its way out
            ours.close()
            theirs.close()
            threading.Event().wait(0.01)
    check(sock is not None, "could not reconnect")
    reader = Reader(sock)
    check(reader.read().get("seq") == 1, "hello of a new channel is seq 1")
    result = []
    waiter = threading.Thread(target=lambda: result.append(rt.wait_for_start()))
    waiter.start()
    sock.close()  # the adapter goes away
    waiter.join(DEADLINE)
    check(not waiter.is_alive(), "waiter not released by the close")
    check(result == [False], "wait_for_start after close -> %r" % result)
    wait_until(lambda: not rt.is_connected(), what="disconnect on EOF")


def test_fork(rt):
    if not hasattr(os, "fork"):
        return
    sock, fd = connect_pair(rt)
    Reader(sock).read()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: threads
        pid = os.fork()
    if pid == 0:
        ok = not rt.is_connected() and rt.wait_for_start(0) is False
        try:
            fcntl.fcntl(fd, fcntl.F_GETFD)
            ok = False  # the child's copy must be closed
        except OSError:
            pass
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    check(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
          "child after fork: status %r" % status)
    check(rt.is_connected(), "parent lost its channel after fork")
    sock.close()
    wait_until(lambda: not rt.is_connected(), what="disconnect on EOF")


def _all_codes(code):
    todo = [code]
    while todo:
        c = todo.pop()
        yield c
        todo.extend(k for k in c.co_consts if hasattr(k, "co_lines"))


CODE_LINES_SOURCE = """
import os
@staticmethod
def deco(f):
    return f
class A:
    x = [i for i in range(3)
         if i]
    @deco
    def m(self, a,
          b=lambda: 1):
        try:
            return (a +
                    b)
        except Exception:
            pass
        finally:
            pass
    async def g(self):
        async with self as z:
            yield z
        await z
def f():
    return 1; pass
""" + "\n" * 300 + """
def far():
    return [
        x for x in ()]
"""


def test_code_lines(rt):
    """The runtime's reading of code objects' location tables (the lines
    breakpoints arm on) gives co_lines()'s lines, for every code object of
    every module loaded here and a program of lines CPython compiles
    specially."""
    codes = [compile(CODE_LINES_SOURCE, "<code-lines>", "exec")]
    for mod in list(sys.modules.values()):
        for v in list(vars(mod).values()):
            c = getattr(v, "__code__", None)
            if c is not None and hasattr(c, "co_lines"):
                codes.append(c)
    n = 0
    for top in codes:
        for c in _all_codes(top):
            want = {l for _s, _e, l in c.co_lines() if l is not None}
            got = rt._code_lines(c)
            check(got == want, "%s:%s: runtime lines %s, co_lines %s" % (
                c.co_filename, c.co_name, sorted(got ^ want)[:10],
                sorted(want)[:10]))
            n += 1
    check(n > 500, "only %d code objects compared" % n)
    try:
        rt._code_lines(1)
    except TypeError:
        pass
    else:
        raise AssertionError("_code_lines(1) did not raise TypeError")


def main():
    rt = load_runtime(sys.argv[1])
    test_constants(rt)
    test_code_lines(rt)
    test_session(rt)
    test_close_releases_waiter(rt)
    test_fork(rt)
    print("ok: runtime module on Python %s" % platform.python_version())


if __name__ == "__main__":
    main()
