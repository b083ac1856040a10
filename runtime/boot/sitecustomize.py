"""dapper-adapter boot script, imported by `site` as `sitecustomize`.

The adapter puts this directory first on PYTHONPATH and passes the wire
descriptor in DAPPER_RUNTIME_FD; a program the client runs in a terminal
gets DAPPER_RUNTIME_SOCKET and DAPPER_RUNTIME_SECRET instead: it connects to
that Unix socket and sends the secret first (docs/security.md), then the wire
is the same. A program run by `dapper-adapter --connect HOST:PORT` gets
DAPPER_RUNTIME_CONNECT=HOST:PORT: it connects there over TCP (an adapter
waiting with attach "listen"), no secret. The boot sequence (docs/wire-protocol.md):

1. restore the user's environment (PYTHONPATH, PYTHONUNBUFFERED, without
   the DAPPER_* variables the adapter added) and take this directory off
   sys.path;
2. load `_dapper_runtime<EXT_SUFFIX>` from DAPPER_RUNTIME_DIR by absolute
   path and connect(fd); when there is no runtime for this interpreter, send
   a `hello` carrying an `error` (in pure Python) and wait for the adapter,
   which ends the process (the program runs on only if the adapter is gone);
3. import the next `sitecustomize` on sys.path, if any, with site.py's error
   handling;
   With the runtime loaded, a finder at the end of sys.meta_path finds the
   `dapper` package in DAPPER_RUNTIME_DIR (sys.path is not changed);
4. wait_for_start(): the program's first line runs after the adapter's
   `start`, or once the channel closes.

Stdlib only and cheap: no module the program would not import itself
(no importlib, no json unless an error must be sent; bench/startup.py
measures it, tests/integration/test_startup.py guards it). The syntax stays valid on old Pythons (3.6+) so that they too report a
clear error. Everything lives in functions that delete themselves: nothing is
left in this module or in __main__.

The extension loader (_dapper_find_extension, _dapper_load_extension) is the
runtime's one: `dapper.listen()` and the attach bootstrap (boot/attach.py)
exec this file under another __name__, which defines the two functions
without running the boot, and call them.
"""


def _dapper_find_extension(directory, name):
    """The path of extension module `name` in directory for this
    interpreter, or None. The import system's own suffix list (_imp, always
    loaded): importlib.machinery would import importlib and warnings, which
    the program may never import itself."""
    import _imp
    import os
    for suffix in _imp.extension_suffixes():
        path = os.path.join(directory, name + suffix)
        if os.path.isfile(path):
            return path
    return None


def _dapper_load_extension(name, path):
    """Loads the extension by absolute path (no sys.path change) and
    registers it in sys.modules; returns the module, or raises (nothing is
    left in sys.modules then). Same steps as importlib.util's
    spec_from_file_location/module_from_spec/exec_module, through the import
    system's own modules (no file to read), without importing importlib."""
    import sys
    bootstrap = sys.modules.get("_frozen_importlib")
    external = sys.modules.get("_frozen_importlib_external")
    if bootstrap is not None and external is not None:
        ExtensionFileLoader = external.ExtensionFileLoader
        ModuleSpec = bootstrap.ModuleSpec
    else:  # an unusual import system: the public names
        from importlib.machinery import ExtensionFileLoader, ModuleSpec
    loader = ExtensionFileLoader(name, path)
    spec = ModuleSpec(name, loader, origin=path)
    spec.has_location = True
    module = loader.create_module(spec)
    module.__spec__ = spec
    module.__loader__ = loader
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _dapper_boot():
    import os
    import sys

    # Keep in sync with DAPPER_SUPPORTED_PYTHON_MINORS (runtime/CMakeLists.txt).
    supported = "3.11-3.13"
    wire_version = 1  # WIRE_VERSION of protocol/include/dapper/wire.h
    name = "_dapper_runtime"

    env = os.environ
    # Exactly what the adapter adds (adapter/launch.c, inject_runtime) and the
    # runtime's own log switch; a user's other DAPPER_* variables stay.
    added = ("DAPPER_RUNTIME_FD", "DAPPER_RUNTIME_DIR", "DAPPER_RUNTIME_LOG",
             "DAPPER_ORIG_PYTHONPATH", "DAPPER_ORIG_PYTHONUNBUFFERED",
             "DAPPER_RUNTIME_SOCKET", "DAPPER_RUNTIME_SECRET",
             "DAPPER_RUNTIME_CONNECT",
             "DAPPER_CHILD_SOCKET", "DAPPER_CHILD_SECRET", "DAPPER_CHILD_UNBUFFERED")
    fd_text = env.get("DAPPER_RUNTIME_FD")
    socket_path = env.get("DAPPER_RUNTIME_SOCKET")
    tcp_target = env.get("DAPPER_RUNTIME_CONNECT")
    secret = env.get("DAPPER_RUNTIME_SECRET", "")
    # Child processes (subProcess): where new Python processes announce
    # themselves; without fd or socket, this process is such a child.
    child_socket = env.get("DAPPER_CHILD_SOCKET")
    child_secret = env.get("DAPPER_CHILD_SECRET", "")
    is_child = (fd_text is None and socket_path is None and tcp_target is None
                and child_socket is not None)
    unbuffered = fd_text is not None or (
        is_child and env.get("DAPPER_CHILD_UNBUFFERED") is not None)
    runtime_dir = env.get("DAPPER_RUNTIME_DIR", "")
    log_level = env.get("DAPPER_RUNTIME_LOG")
    boot_dir = os.path.dirname(os.path.abspath(__file__))
    version = sys.version.split()[0]
    executable = sys.executable or "python"

    # -- 1. the environment the user asked for ------------------------------
    def restore_environment():
        # In a terminal the adapter leaves PYTHONUNBUFFERED alone.
        for var in ("PYTHONPATH", "PYTHONUNBUFFERED") if unbuffered else ("PYTHONPATH",):
            orig = env.get("DAPPER_ORIG_" + var)
            if orig is not None:
                env[var] = orig
            elif var in env:
                del env[var]
        for var in added:
            env.pop(var, None)

    def is_boot_dir(entry):
        if not isinstance(entry, str) or not entry:
            return False
        try:
            return (os.path.abspath(entry) == boot_dir
                    or os.path.realpath(entry) == boot_real)
        except (OSError, ValueError):
            return False

    boot_real = os.path.realpath(boot_dir)
    if fd_text is not None or socket_path is not None or tcp_target is not None or is_child:
        restore_environment()
    sys.path[:] = [p for p in sys.path if not is_boot_dir(p)]
    for key in [k for k in sys.path_importer_cache if is_boot_dir(k)]:
        del sys.path_importer_cache[key]

    # -- 2. the runtime -----------------------------------------------------
    def send_error_hello(fd, message):
        """Writes a framed `hello` with `error` to fd, waits for the adapter
        to close its end (it fails the launch and ends this process, so the
        program does not run), then closes fd."""
        try:
            import json
            body = {
                "error": message,
                "wireVersion": wire_version,
                "pythonVersion": version,
                "pythonImplementation": sys.implementation.name,
                "executable": executable,
                "pid": os.getpid(),
            }
            data = json.dumps({"seq": 1, "type": "event", "event": "hello",
                               "body": body}).encode("utf-8")
            frame = ("Content-Length: %d\r\n\r\n" % len(data)).encode("ascii")
            frame += data
            while frame:
                frame = frame[os.write(fd, frame):]
            while os.read(fd, 4096):
                pass
        except Exception:  # the adapter is gone: nothing more to tell
            pass
        try:
            os.close(fd)
        except OSError:
            pass

    # The import system's own module (always loaded, no file to read):
    # importlib.machinery would import importlib and warnings, which the
    # program may never import itself.
    external = sys.modules.get("_frozen_importlib_external")
    find_extension = _dapper_find_extension
    load_extension = _dapper_load_extension

    def find_module():
        """Returns the runtime's path, or None."""
        return find_extension(runtime_dir, name)

    def connect_socket():
        """Connects to the adapter waiting for a program run in a terminal;
        returns the descriptor, or None (the program then runs without the
        debugger, as when the adapter is gone)."""
        import _socket
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            sock.settimeout(10.0)
            sock.connect(socket_path)
            sock.sendall((secret + "\n").encode("ascii"))
            sock.settimeout(None)
            return sock.detach()
        except (OSError, UnicodeError) as err:
            sock.close()
            sys.stderr.write("dapper: could not connect to the debugger at %s (%s);"
                             " running without it\n" % (socket_path, err))
            return None

    def connect_tcp():
        """Connects to the adapter waiting on HOST:PORT (attach "listen");
        returns the descriptor, or None (the program then runs without
        the debugger)."""
        import _socket
        host, _, port = tcp_target.rpartition(":")
        host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        family = _socket.AF_INET6 if ":" in host else _socket.AF_INET
        sock = _socket.socket(family, _socket.SOCK_STREAM)
        try:
            sock.settimeout(10.0)
            sock.connect((host, int(port)))
            sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            sock.settimeout(None)
            return sock.detach()
        except (OSError, ValueError) as err:
            sock.close()
            sys.stderr.write("dapper: could not connect to the debugger at %s (%s);"
                             " running without it\n" % (tcp_target, err))
            return None

    def load_children():
        """The child-process support (_dapper_children.py), or None."""
        path = os.path.join(runtime_dir, "_dapper_children.py")
        try:
            # Through its byte code (__pycache__, built with the runtime):
            # compiling costs ~10 ms in every process. The import system's
            # own loader: importlib.machinery would import more modules.
            if external is not None:
                SourceFileLoader = external.SourceFileLoader
            else:  # an unusual import system: the public name
                from importlib.machinery import SourceFileLoader
            code = SourceFileLoader("_dapper_children", path).get_code(
                "_dapper_children")
            module = type(sys)("_dapper_children")
            module.__file__ = path
            exec(code, module.__dict__)
            return module
        except Exception as err:
            sys.stderr.write("dapper: child processes run without the debugger:"
                             " %s could not be loaded: %s\n" % (path, err))
            return None

    def claim_child():
        """A child: announce it, wait for its session; the descriptor or
        None (it then runs without the debugger)."""
        if sys.version_info < (3, 11) or not runtime_dir or find_module() is None:
            sys.stderr.write("dapper: process %d (Python %s, %s) runs without the"
                             " debugger: there is no runtime for it (dapper-adapter"
                             " supports Python %s)\n"
                             % (os.getpid(), version, executable, supported))
            return None
        if children is None:
            return None
        return children.claim(child_socket, child_secret, children.process_name())

    def connect():
        """Returns the connected runtime module, or None."""
        try:
            if fd_text is not None:
                fd = int(fd_text)
            elif socket_path is not None:
                fd = connect_socket()
            elif tcp_target is not None:
                fd = connect_tcp()
            else:
                fd = claim_child()
        except ValueError:
            return None
        if fd is None:
            return None
        where = "%s (%s)" % (version, executable)
        if sys.version_info < (3, 11):
            send_error_hello(fd, "dapper-adapter has no runtime for Python %s:"
                             " it supports Python %s" % (where, supported))
            return None
        path = find_module() if runtime_dir else None
        if path is None:
            minor = "%d.%d" % sys.version_info[:2]
            message = ("the dapper-adapter runtime for Python %s is not built"
                       " (no %s module for %s in %s)"
                       % (minor, name, where, runtime_dir or "?"))
            if sys.version_info[:2] > (3, 13):
                message += "; dapper-adapter supports Python %s" % supported
            else:
                message += ("; rebuild dapper-adapter with cmake"
                            " -DDAPPER_PYTHONS=%s" % executable)
            send_error_hello(fd, message)
            return None
        try:
            runtime = load_extension(name, path)
        except Exception as err:
            send_error_hello(fd, "the dapper-adapter runtime for Python %s"
                             " failed to load from %s: %s: %s"
                             % (where, path, err.__class__.__name__, err))
            return None
        try:
            if log_level:
                runtime._set_log_level(int(log_level))
            # no program code runs before `start` (step 4)
            runtime._hold_for_start()
            runtime.connect(fd)
        except Exception as err:
            send_error_hello(fd, "the dapper-adapter runtime for Python %s"
                             " could not connect: %s: %s"
                             % (where, err.__class__.__name__, err))
            return None
        return runtime

    children = load_children() if child_socket is not None and runtime_dir else None
    runtime = connect() if fd_text is not None or socket_path or tcp_target or is_child else None
    if runtime is not None and children is not None:
        children.install(runtime, {
            "socket": child_socket, "secret": child_secret,
            "runtime_dir": runtime_dir, "boot_dir": boot_dir,
            "log_level": log_level, "unbuffered": unbuffered})
    # `import dapper` (dapper.get_integration_statistics()): a finder for
    # that one name at the end of sys.meta_path, so sys.path stays the
    # program's and a `dapper` of its own on sys.path wins.
    if runtime is not None and os.path.isdir(os.path.join(runtime_dir, "dapper")):
        lib = runtime_dir

        class DapperPackageFinder:
            @staticmethod
            def find_spec(fullname, path=None, target=None):
                if fullname != "dapper" or path is not None:
                    return None
                from importlib.machinery import PathFinder
                return PathFinder.find_spec(fullname, [lib])

        sys.meta_path.append(DapperPackageFinder)

    # -- 3. the next sitecustomize (site.execsitecustomize's handling) ------
    ours = sys.modules.pop("sitecustomize", None)
    try:
        try:
            import sitecustomize  # noqa: F401  (the next one on sys.path)
        except ImportError as exc:
            if exc.name != "sitecustomize":
                raise
    except Exception as err:
        if sys.flags.verbose:
            sys.excepthook(*sys.exc_info())
        else:
            sys.stderr.write(
                "Error in sitecustomize; set PYTHONVERBOSE for traceback:\n"
                "%s: %s\n" % (err.__class__.__name__, err))
    finally:
        # The import system re-reads sys.modules["sitecustomize"] once this
        # module finishes: leave ours there when there is no other.
        if "sitecustomize" not in sys.modules and ours is not None:
            sys.modules["sitecustomize"] = ours

    # -- 4. wait for the adapter's `start` ----------------------------------
    if runtime is not None:
        # A child waits for its session's configurationDone, bounded.
        runtime.wait_for_start(children.START_TIMEOUT if is_child else None)


if __name__ == "sitecustomize":
    try:
        _dapper_boot()
    finally:
        del _dapper_boot, _dapper_find_extension, _dapper_load_extension
