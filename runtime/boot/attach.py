"""dapper-adapter attach bootstrap: what runs inside an already running
program when a client attaches by `processId` (docs/runtime.md, "Attach to
a running process").

The adapter has gdb queue this with Py_AddPendingCall, so it runs in the
program's main thread between two bytecodes, with the GIL, as a
PyRun_SimpleString in __main__ that execs this file with ARGS in a fresh
globals dict: "socket\\0secret\\0runtime_dir\\0log_level". It

1. connects to the adapter's private Unix socket and sends the one-time
   secret (docs/security.md); when that fails (the adapter gave up waiting,
   or is gone) it returns at once and leaves no trace;
2. takes the runtime already loaded by an earlier attach (a new channel:
   the runtime left nothing behind when the last client detached), or loads
   `_dapper_runtime<EXT_SUFFIX>` from runtime_dir by absolute path;
3. connects the runtime, which says `hello` and runs its channel thread;
   the program goes on at once (the adapter sets the breakpoints on the
   live code).

A problem is sent to the adapter as a `hello` carrying `error`, which the
client sees as the attach's error. Nothing may escape into the program:
every exception is caught, and nothing is left in __main__ or sys.path.
"""


def _dapper_attach(args):
    import os
    import sys
    import time

    supported = "3.11-3.13"  # DAPPER_SUPPORTED_PYTHON_MINORS
    wire_version = 1  # WIRE_VERSION of protocol/include/dapper/wire.h
    name = "_dapper_runtime"
    socket_path, secret, runtime_dir, log_level = (args.split("\0") + [""] * 4)[:4]
    version = sys.version.split()[0]
    where = "%s (%s)" % (version, sys.executable or "python")

    def connect_socket():
        import _socket
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(5.0)
            sock.connect(socket_path)
            sock.sendall((secret + "\n").encode("ascii"))
            sock.setblocking(True)
            return sock.detach()
        except (OSError, UnicodeError):
            sock.close()
            return None

    def send_error_hello(fd, message):
        try:
            import json
            body = {"error": message, "wireVersion": wire_version,
                    "pythonVersion": version,
                    "pythonImplementation": sys.implementation.name,
                    "executable": sys.executable, "pid": os.getpid()}
            data = json.dumps({"seq": 1, "type": "event", "event": "hello",
                               "body": body}).encode("utf-8")
            frame = b"Content-Length: %d\r\n\r\n" % len(data) + data
            while frame:
                frame = frame[os.write(fd, frame):]
        except Exception:
            pass
        try:
            os.close(fd)
        except OSError:
            pass

    def load_module():
        """The runtime module, or an error message. The extension loader is
        the boot script's (sitecustomize.py next to this file, run under
        another __name__: that defines its loader without booting)."""
        boot = os.path.join(runtime_dir, "boot", "sitecustomize.py")
        try:
            with open(boot, "rb") as f:
                code = compile(f.read(), boot, "exec")
            loader = {"__name__": "_dapper_extension_loader", "__file__": boot}
            exec(code, loader)
        except Exception as err:
            return ("the dapper-adapter runtime for Python %s could not read"
                    " %s: %s: %s" % (where, boot, err.__class__.__name__, err))
        path = loader["_dapper_find_extension"](runtime_dir, name)
        if path is None:
            minor = "%d.%d" % sys.version_info[:2]
            return ("the dapper-adapter runtime for Python %s is not built (no %s"
                    " module for %s in %s); dapper-adapter supports Python %s"
                    % (minor, name, where, runtime_dir, supported))
        try:
            return loader["_dapper_load_extension"](name, path)
        except Exception as err:
            return ("the dapper-adapter runtime for Python %s failed to load"
                    " from %s: %s: %s" % (where, path, err.__class__.__name__, err))

    fd = connect_socket()
    if fd is None:
        return
    if sys.version_info < (3, 11) or sys.version_info >= (3, 14):
        send_error_hello(fd, "dapper-adapter cannot attach to Python %s: it"
                         " supports Python %s" % (where, supported))
        return
    runtime = sys.modules.get(name)
    if runtime is None:
        runtime = load_module()
        if isinstance(runtime, str):
            send_error_hello(fd, runtime)
            return
    elif runtime.is_connected():
        send_error_hello(fd, "process %d is being debugged already (another"
                         " dapper-adapter session is attached): detach it"
                         " first" % os.getpid())
        return
    try:
        if log_level:
            runtime._set_log_level(int(log_level))
    except Exception:
        pass
    # The channel of a client that just detached may still be closing.
    deadline = time.monotonic() + 3.0
    while True:
        try:
            runtime.connect(fd)
            return
        except Exception as err:
            if ("already connected" not in str(err)
                    or time.monotonic() > deadline):
                send_error_hello(fd, "the dapper-adapter runtime for Python %s"
                                 " could not connect: %s: %s"
                                 % (where, err.__class__.__name__, err))
                return
            time.sleep(0.02)


try:
    _dapper_attach(ARGS)  # noqa: F821  (given by the adapter)
finally:
    del _dapper_attach
