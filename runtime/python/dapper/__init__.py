"""dapper: start the dapper-adapter debugger from inside a program.

    import dapper
    dapper.listen(5678)          # or ("0.0.0.0", 5678); port 0 picks one
    dapper.wait_for_client()     # optional: block until a client attached
    dapper.breakpoint()          # stop here when a client is attached
    dapper.get_integration_statistics()  # the runtime's statistics, a dict

listen() loads the debugger runtime into this process, starts
`dapper-adapter` for it (found next to this package, or DAPPER_ADAPTER, or
the `adapter` argument) and returns the (host, port) it listens on; a client
then sends `attach` with `"connect": {"host": ..., "port": ...}`. Clients may
detach and attach again; the adapter ends with this process. The package
lives in the runtime directory: `PYTHONPATH=$(dapper-adapter
--print-runtime-dir)` makes it importable.

In a program the adapter runs, `import dapper` works without PYTHONPATH
(the boot script adds a finder for this one name at the end of
sys.meta_path, so a program's own `dapper` wins); docs/runtime.md
("Statistics") defines every statistics field.

Standard library only. Importing it costs nothing beyond the import.
"""

import os
import sys
import threading

from dapper.statistics import get_integration_statistics

__all__ = ["listen", "wait_for_client", "is_client_connected", "breakpoint",
           "get_integration_statistics"]

_RUNTIME = "_dapper_runtime"
_lock = threading.Lock()
_listening = None  # (adapter process, (host, port)) once listen() worked


def _runtime_dir():
    """The directory this package is in: the runtime's."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _find_adapter(adapter):
    """The dapper-adapter to start: `adapter`, else $DAPPER_ADAPTER, else
    the one this runtime belongs to (build tree: <build>/adapter/, install:
    <prefix>/bin/ with the runtime in <prefix>/lib/dapper-adapter/runtime)."""
    if adapter is not None:
        candidates = [(os.fspath(adapter), "the adapter= argument")]
    elif os.environ.get("DAPPER_ADAPTER"):
        candidates = [(os.environ["DAPPER_ADAPTER"], "DAPPER_ADAPTER")]
    else:
        rt = _runtime_dir()
        candidates = [
            (os.path.join(rt, os.pardir, "adapter", "dapper-adapter"), "the build tree"),
            (os.path.join(rt, os.pardir, os.pardir, os.pardir, "bin", "dapper-adapter"),
             "the install prefix"),
        ]
    for path, _ in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return os.path.normpath(path)
    looked = ", ".join("%s (%s)" % (os.path.normpath(p), why) for p, why in candidates)
    raise RuntimeError("dapper.listen(): dapper-adapter was not found; looked for %s. "
                       "Pass dapper.listen(..., adapter=PATH) or set DAPPER_ADAPTER."
                       % looked)


def _runtime():
    """The runtime module if it is loaded (by the adapter's boot script or
    by listen()), else None."""
    return sys.modules.get(_RUNTIME)


def _extension_loader():
    """The runtime's extension loader: the boot script's two functions
    (boot/sitecustomize.py), defined by running that file under another
    name, which skips the boot itself."""
    path = os.path.join(_runtime_dir(), "boot", "sitecustomize.py")
    with open(path, "rb") as f:
        code = compile(f.read(), path, "exec")
    ns = {"__name__": "_dapper_extension_loader", "__file__": path}
    exec(code, ns)
    return ns["_dapper_find_extension"], ns["_dapper_load_extension"]


def _load_runtime():
    rt = _runtime()
    if rt is not None:
        return rt
    find_extension, load_extension = _extension_loader()
    rt_dir = _runtime_dir()
    path = find_extension(rt_dir, _RUNTIME)
    if path is None:
        raise RuntimeError("dapper.listen(): the debugger runtime for Python %d.%d (%s) is not "
                           "built: no %s module in %s"
                           % (sys.version_info[0], sys.version_info[1], sys.executable,
                              _RUNTIME, rt_dir))
    return load_extension(_RUNTIME, path)


def _address(address):
    if isinstance(address, int) and not isinstance(address, bool):
        host, port = "127.0.0.1", address
    elif isinstance(address, (tuple, list)) and len(address) == 2:
        host, port = address
    else:
        raise TypeError("dapper.listen() takes a port or (host, port), not %r" % (address,))
    if not isinstance(host, str) or not host:
        raise TypeError("dapper.listen(): the host must be a non-empty string, not %r" % (host,))
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError("dapper.listen(): the port must be 0-65535, not %r" % (port,))
    return host, port


def listen(address, *, adapter=None):
    """Starts the debugger for this process, listening on address (a port,
    or (host, port); host defaults to 127.0.0.1). Returns the (host, port)
    bound. The program runs on; a client attaches with "connect"."""
    global _listening
    import socket
    import subprocess
    host, port = _address(address)
    with _lock:
        if _listening is not None:
            raise RuntimeError("dapper.listen() was called already: listening on %s:%d"
                               % _listening[1])
        rt = _runtime()
        if rt is not None and rt.is_connected():
            raise RuntimeError("dapper.listen(): this program runs under the debugger already")
        exe = _find_adapter(adapter)
        rt = _load_runtime()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server = socket.socket(family, socket.SOCK_STREAM)
        ours = theirs = None
        try:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind((host, port))
            server.listen(16)
            bound = server.getsockname()[:2]
            if not (host.startswith("127.") or host in ("::1", "localhost")):
                sys.stderr.write("dapper: WARNING: listening on %s: anyone who can connect to "
                                 "this address can run code on this machine as this user\n"
                                 % host)
            ours, theirs = socket.socketpair()
            # Its own session: Ctrl-C in the terminal is the program's alone.
            proc = subprocess.Popen(
                [exe, "--listen-fd", str(server.fileno()),
                 "--runtime-fd", str(theirs.fileno())],
                pass_fds=(server.fileno(), theirs.fileno()), stdin=subprocess.DEVNULL,
                start_new_session=True)
        finally:
            server.close()
            if theirs is not None:
                theirs.close()
        try:
            rt.connect(ours.fileno())
        except BaseException:
            ours.close()
            proc.kill()
            proc.wait()
            raise
        ours.detach()  # the runtime owns the descriptor now
        _listening = (proc, (bound[0], bound[1]))
        return _listening[1]


def is_client_connected():
    """True while a client is attached to this program."""
    rt = _runtime()
    return rt is not None and rt.has_client()


def wait_for_client(timeout=None):
    """Blocks until a client attached (and finished configuring: its
    breakpoints are set); returns True, or False after timeout seconds or
    when the debugger went away."""
    rt = _runtime()
    if rt is None or not rt.is_connected():
        raise RuntimeError("dapper.wait_for_client(): call dapper.listen() first")
    return rt.wait_for_client(timeout)


def breakpoint():
    """Stops on the caller's next line when a client is attached, as a
    breakpoint there would; does nothing otherwise."""
    rt = _runtime()
    if rt is not None and rt.has_client(): rt.break_here()  # noqa: E701 (one line: the stop is the caller's next)
