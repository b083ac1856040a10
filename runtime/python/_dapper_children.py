"""Child processes of a debugged program (`subProcess`, docs/architecture.md).

Loaded by the boot script by absolute path, only when the adapter gave the
program DAPPER_CHILD_SOCKET/DAPPER_CHILD_SECRET: the address where the
adapter of the first session learns of new Python processes.

- claim(): a new Python process (an exec'd child at boot, or a forked child
  in os.register_at_fork's after_in_child) listens on its own Unix socket in
  a private directory with a fresh secret, announces both to the adapter,
  and waits (at most CLAIM_TIMEOUT seconds) for the adapter session the
  client starts for it (startDebugging) to connect and send that secret.
  Returns the connected descriptor for `_dapper_runtime.connect`, or None:
  the process then runs on without the debugger.
- install(): wraps the ways a process starts another program
  (_posixsubprocess.fork_exec, which subprocess and multiprocessing use;
  os.execv/os.execve, which os.exec*/os.spawn* end in; os.posix_spawn and
  os.posix_spawnp) so that a Python interpreter gets the runtime's variables
  in its environment and any other program gets the environment unchanged
  (the boot took the variables out of os.environ); and registers the
  after-fork hook.

Stdlib only, no imports beyond what the interpreter has loaded at startup
(os, sys, _socket, select, _thread): it runs before the program.
"""

import os
import sys

# How long a new process waits for its debug session to connect.
CLAIM_TIMEOUT = 5.0
# How long it then waits for that session's configurationDone.
START_TIMEOUT = 15.0

_settings = None    # dict: what children get (install())
_rt = None          # the _dapper_runtime module
_spawning = set()   # thread ids inside a fork+exec wrapper (no claim there)
_connected_at_fork = [False]


# ---------------------------------------------------------------------------
# claim: the new process's side of the handshake

def _json_str(text):
    out = ['"']
    for ch in text:
        o = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif o < 0x20 or o >= 0x7f:
            if o > 0xffff:
                o -= 0x10000
                out.append("\\u%04x\\u%04x" % (0xd800 + (o >> 10), 0xdc00 + (o & 0x3ff)))
            else:
                out.append("\\u%04x" % o)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _private_dir():
    for base in (os.environ.get("XDG_RUNTIME_DIR"), os.environ.get("TMPDIR"), "/tmp"):
        if not base or not base.startswith("/"):
            continue
        path = os.path.join(base, "dapper-child-" + os.urandom(6).hex())
        if len(path) > 80:
            continue
        try:
            os.mkdir(path, 0o700)
            return path
        except OSError:
            continue
    return None


def _peer_uid(sock):
    import _socket
    raw = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, 12)
    return int.from_bytes(raw[4:8], sys.byteorder)


def _same(a, b):
    if len(a) != len(b):
        return False
    diff = 0
    for x, y in zip(a, b):
        diff |= x ^ y
    return diff == 0


def _read_line(sock, limit, timeout):
    sock.settimeout(timeout)
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        chunk = sock.recv(limit - len(data))
        if not chunk:
            break
        data += chunk
    return data


def process_name():
    """What the client shows for this process: the script, the module, or
    what multiprocessing runs."""
    argv = list(getattr(sys, "orig_argv", None) or sys.argv or [])
    if "--multiprocessing-fork" in argv:
        return "multiprocessing worker"
    args = argv[1:]
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-m" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("-m") and len(a) > 2:
            return a[2:]
        if a == "-c" or a.startswith("-c"):
            code = args[i + 1] if a == "-c" and i + 1 < len(args) else a[2:]
            if "multiprocessing" in code:
                if "forkserver" in code:
                    return "multiprocessing forkserver"
                if "resource_tracker" in code:
                    return "multiprocessing resource tracker"
            return "-c"
        if a in ("-W", "-X", "-Q"):
            i += 2
            continue
        if a.startswith("-"):
            i += 1
            continue
        return os.path.basename(a)
    return os.path.basename(argv[0]) if argv else "python"


def claim(parent_socket, parent_secret, name, timeout=CLAIM_TIMEOUT):
    """Announces this process to the adapter at parent_socket and waits for
    its debug session. Returns the connected descriptor or None."""
    import _socket
    import select

    directory = _private_dir()
    if directory is None:
        return None
    path = os.path.join(directory, "child.sock")
    secret = os.urandom(32).hex()
    listener = notify = None
    try:
        listener = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(4)
        notify = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        notify.settimeout(2.0)
        try:
            notify.connect(parent_socket)
            announce = '{"pid": %d, "socket": %s, "secret": "%s", "name": %s, "python": "%s"}' % (
                os.getpid(), _json_str(path), secret, _json_str(name),
                sys.version.split()[0])
            notify.sendall((parent_secret + "\n" + announce + "\n").encode("utf-8"))
        except (OSError, UnicodeError):
            return None  # the debugging session is over
        import time
        deadline = time.monotonic() + timeout
        watch = [listener, notify]
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                sys.stderr.write(
                    "dapper: no debug session took process %d (%s) within %g s;"
                    " it runs without the debugger\n" % (os.getpid(), name, timeout))
                return None
            try:
                ready = select.select(watch, [], [], left)[0]
            except InterruptedError:
                continue
            if notify in ready:
                # "no\n": the client will not debug it; EOF: asked, wait on.
                try:
                    word = notify.recv(16)
                except OSError:
                    word = b""
                watch.remove(notify)
                if word.startswith(b"no"):
                    return None
            if listener in ready:
                fd, _ = listener._accept()
                conn = _socket.socket(fileno=fd)
                try:
                    if _peer_uid(conn) != os.geteuid():
                        raise OSError("a peer of another user")
                    line = _read_line(conn, len(secret) + 1, 2.0)
                    if not _same(line, (secret + "\n").encode("ascii")):
                        raise OSError("a wrong secret")
                    conn.settimeout(None)
                    return conn.detach()
                except OSError:
                    conn.close()
    finally:
        for sock in (listener, notify):
            if sock is not None:
                sock.close()
        for target, remove in ((path, os.unlink), (directory, os.rmdir)):
            try:
                remove(target)
            except OSError:
                pass


# ---------------------------------------------------------------------------
# the environment of a Python child

def _python_name(name):
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    if not name.startswith("python"):
        return False
    rest = name[6:]
    return all(c.isdigit() or c == "." for c in rest)


def is_python(path):
    """Whether path runs a Python interpreter: this interpreter, a file
    named python/pythonX/pythonX.Y, or a script whose #! line names one."""
    try:
        path = os.fsdecode(os.fspath(path))
    except TypeError:
        return False  # a descriptor (fexecve)
    try:
        real = os.path.realpath(path)
        if real == _settings["executable"]:
            return True
        if _python_name(os.path.basename(path)) or _python_name(os.path.basename(real)):
            return True
        with open(real, "rb") as f:
            head = f.read(256)
    except (OSError, ValueError):
        return False
    if not head.startswith(b"#!"):
        return False
    words = head[2:].split(b"\n", 1)[0].split()
    if not words:
        return False
    prog = os.path.basename(words[0])
    if prog == b"env":
        rest = [w for w in words[1:] if not w.startswith(b"-") and b"=" not in w]
        prog = os.path.basename(rest[0]) if rest else b""
    return _python_name(prog)


def child_env(env):
    """A copy of env (a mapping of str or of bytes) with what the runtime
    of a Python child needs (docs/wire-protocol.md)."""
    s = _settings
    out = dict(os.environ if env is None else env)
    as_bytes = any(isinstance(k, bytes) for k in out)

    def key(k):
        return os.fsencode(k) if as_bytes else k

    def val(v):
        if isinstance(v, bytes):
            v = os.fsdecode(v)
        return os.fsencode(v) if as_bytes else v

    orig_pp = out.get(key("PYTHONPATH"))
    orig_pp = None if orig_pp is None else val(orig_pp)
    boot = val(s["boot_dir"])
    if orig_pp is not None and len(orig_pp):
        out[key("PYTHONPATH")] = boot + val(os.pathsep) + orig_pp
    else:
        out[key("PYTHONPATH")] = boot
    if orig_pp is not None:
        out[key("DAPPER_ORIG_PYTHONPATH")] = orig_pp
    else:
        out.pop(key("DAPPER_ORIG_PYTHONPATH"), None)
    if s["unbuffered"]:
        orig_ub = out.get(key("PYTHONUNBUFFERED"))
        if orig_ub is not None:
            out[key("DAPPER_ORIG_PYTHONUNBUFFERED")] = val(orig_ub)
        else:
            out.pop(key("DAPPER_ORIG_PYTHONUNBUFFERED"), None)
        out[key("PYTHONUNBUFFERED")] = val("1")
        out[key("DAPPER_CHILD_UNBUFFERED")] = val("1")
    out[key("DAPPER_RUNTIME_DIR")] = val(s["runtime_dir"])
    out[key("DAPPER_CHILD_SOCKET")] = val(s["socket"])
    out[key("DAPPER_CHILD_SECRET")] = val(s["secret"])
    if s["log_level"]:
        out[key("DAPPER_RUNTIME_LOG")] = val(s["log_level"])
    return out


def _which(name, env):
    if not isinstance(name, (str, bytes)):
        return name
    sep = b"/" if isinstance(name, bytes) else "/"
    if sep in name:
        return name
    path = None
    for key in ("PATH", b"PATH") if env is not None else ():
        try:
            path = env.get(key)
        except TypeError:  # os.environ takes str keys only
            continue
        if path is not None:
            break
    for d in os.get_exec_path({"PATH": os.fsdecode(path)} if path is not None else None):
        cand = os.path.join(d, os.fsdecode(name))
        if os.access(cand, os.X_OK) and not os.path.isdir(cand):
            return cand
    return name


# ---------------------------------------------------------------------------
# the wrappers

def _wrap_fork_exec(orig):
    def fork_exec(*args, **kwargs):
        # (args, executable_list, close_fds, pass_fds, cwd, env_list, ...):
        # the same leading parameters on 3.11-3.13.
        me = _thread_id()
        _spawning.add(me)
        try:
            if len(args) > 5:
                target = None
                for exe in args[1] or ():
                    if os.access(exe, os.X_OK) and not os.path.isdir(exe):
                        target = exe
                        break
                if target is not None and is_python(target):
                    env_list = args[5]
                    if env_list is None:
                        env = dict(os.environb)
                    else:
                        env = {}
                        for item in env_list:
                            item = os.fsencode(item)
                            k, _, v = item.partition(b"=")
                            env[k] = v
                    env = child_env(env)
                    args = args[:5] + ([k + b"=" + v for k, v in env.items()],) + args[6:]
            return orig(*args, **kwargs)
        finally:
            _spawning.discard(me)
    fork_exec.__wrapped__ = orig
    return fork_exec


def _thread_id():
    import _thread
    return _thread.get_ident()


def install(rt, settings):
    """Wraps the process-starting functions and registers the fork hook.
    settings: socket, secret, runtime_dir, boot_dir, log_level, unbuffered."""
    global _settings, _rt
    if _settings is not None:
        return
    _rt = rt
    settings = dict(settings)
    settings["executable"] = os.path.realpath(sys.executable) if sys.executable else ""
    _settings = settings

    import _posixsubprocess
    _posixsubprocess.fork_exec = _wrap_fork_exec(_posixsubprocess.fork_exec)
    sub = sys.modules.get("subprocess")
    if sub is not None and hasattr(sub, "_fork_exec"):
        sub._fork_exec = _wrap_fork_exec(sub._fork_exec)

    orig_execv, orig_execve = os.execv, os.execve

    def execv(path, argv):
        if is_python(path):
            return orig_execve(path, argv, child_env(os.environ))
        return orig_execv(path, argv)

    def execve(path, argv, env):
        if is_python(path):
            env = child_env(env)
        return orig_execve(path, argv, env)

    os.execv, os.execve = execv, execve

    if hasattr(os, "posix_spawn"):
        orig_spawn, orig_spawnp = os.posix_spawn, os.posix_spawnp

        def posix_spawn(path, argv, env, *args, **kwargs):
            if is_python(path):
                env = child_env(env)
            return orig_spawn(path, argv, env, *args, **kwargs)

        def posix_spawnp(path, argv, env, *args, **kwargs):
            if is_python(_which(path, env)):
                env = child_env(env)
            return orig_spawnp(path, argv, env, *args, **kwargs)

        os.posix_spawn, os.posix_spawnp = posix_spawn, posix_spawnp

    # os.spawn*: fork then exec (the wrappers above); the fork is not a
    # new Python process to debug.
    orig_spawnvef = getattr(os, "_spawnvef", None)
    if orig_spawnvef is not None:
        def _spawnvef(*args, **kwargs):
            me = _thread_id()
            _spawning.add(me)
            try:
                return orig_spawnvef(*args, **kwargs)
            finally:
                _spawning.discard(me)
        os._spawnvef = _spawnvef

    # os._exit (multiprocessing's fork and forkserver children end this
    # way) skips the runtime's exit hook: report the status first.
    orig_exit = os._exit

    def _exit(status):
        try:
            if _rt.is_connected():
                _rt._send_event("exit", '{"exitCode": %d}' % (int(status) & 0xff))
        except Exception:
            pass
        orig_exit(status)

    os._exit = _exit
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


def _before_fork():
    _connected_at_fork[0] = _rt.is_connected()


def _after_fork_in_child():
    """A forked child is a new process to debug: drop the inherited wire
    (the runtime did at fork) and connect as itself."""
    if not _connected_at_fork[0] or _thread_id() in _spawning:
        return
    _spawning.clear()
    fd = claim(_settings["socket"], _settings["secret"],
               "fork of " + process_name())
    if fd is None:
        return
    try:
        _rt.connect(fd)
    except Exception as err:
        os.close(fd)
        sys.stderr.write("dapper: process %d could not connect to the debugger: %s\n"
                         % (os.getpid(), err))
        return
    _rt.wait_for_start(START_TIMEOUT)
