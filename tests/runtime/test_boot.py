"""The boot script end to end: a child interpreter started the way the
adapter starts it (docs/wire-protocol.md: environment variables, the wire on
fd 3), answered with `start`, and what the program then sees.

usage: python test_boot.py <runtime build dir>"""
import fcntl
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

from wire_helpers import DEADLINE, Reader, check, frame

# What the debugged program prints about itself.
CHILD_CODE = r"""
import json, os, sys
import __main__
print(json.dumps({
    "dapper_env": sorted(k for k in os.environ if k.startswith("DAPPER_")),
    "PYTHONPATH": os.environ.get("PYTHONPATH"),
    "PYTHONUNBUFFERED": os.environ.get("PYTHONUNBUFFERED"),
    "sys_path": sys.path,
    "runtime_loaded": "_dapper_runtime" in sys.modules,
    "connected": "_dapper_runtime" in sys.modules
                 and sys.modules["_dapper_runtime"].is_connected(),
    "user_sitecustomize": getattr(sys, "_dapper_test_user_sc", False),
    "sitecustomize_file": getattr(sys.modules.get("sitecustomize"), "__file__", None),
    "sitecustomize_names": sorted(n for n in vars(sys.modules["sitecustomize"])
                                  if not n.startswith("__"))
                           if "sitecustomize" in sys.modules else None,
    "main_names": sorted(n for n in vars(__main__) if not n.startswith("__")
                         and n not in ("json", "os", "sys")),
    "argv": sys.argv,
}))
raise SystemExit(7)
"""

USER_SITECUSTOMIZE = "import sys\nsys._dapper_test_user_sc = True\n"


def spawn(build_dir, runtime_dir=None, orig_pythonpath=None,
          orig_unbuffered=None):
    """Starts the child with the wire on fd 3; returns (proc, our socket)."""
    ours, theirs = socket.socketpair()
    if ours.fileno() == 3:  # keep ours off fd 3, which the child gets
        moved = ours.dup()
        ours.close()
        ours = moved
    # Put the child's end on fd 3 exactly, as the adapter does.
    high = fcntl.fcntl(theirs.fileno(), fcntl.F_DUPFD_CLOEXEC, 10)
    theirs.close()
    os.dup2(high, 3, inheritable=True)
    os.close(high)
    env = dict(os.environ)
    for key in [k for k in env if k.startswith("DAPPER_")]:
        del env[key]
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONUNBUFFERED", None)
    boot = os.path.join(build_dir, "boot")
    env["PYTHONPATH"] = boot + (os.pathsep + orig_pythonpath
                                if orig_pythonpath else "")
    # The user's own DAPPER_* variables are theirs: the boot keeps them.
    env["DAPPER_MODE"] = "1"
    env["DAPPER_RUNTIME_FD"] = "3"
    env["DAPPER_RUNTIME_DIR"] = runtime_dir or build_dir
    if orig_pythonpath is not None:
        env["DAPPER_ORIG_PYTHONPATH"] = orig_pythonpath
    env["PYTHONUNBUFFERED"] = "1"
    if orig_unbuffered is not None:
        env["DAPPER_ORIG_PYTHONUNBUFFERED"] = orig_unbuffered
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD_CODE, "arg1"], env=env,
            pass_fds=(3,), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    finally:
        os.close(3)
    return proc, ours


def finish(proc):
    out, err = proc.communicate(timeout=DEADLINE)
    return out.decode(), err.decode(), proc.returncode


def check_program_view(build_dir, report, expect_pythonpath, expect_unbuf):
    boot = os.path.join(build_dir, "boot")
    boot_real = os.path.realpath(boot)
    check(report["dapper_env"] == ["DAPPER_MODE"],
          "DAPPER_* variables: %r (only the user's DAPPER_MODE must be left)"
          % report["dapper_env"])
    check(report["PYTHONPATH"] == expect_pythonpath,
          "PYTHONPATH %r, expected %r" % (report["PYTHONPATH"], expect_pythonpath))
    check(report["PYTHONUNBUFFERED"] == expect_unbuf,
          "PYTHONUNBUFFERED %r, expected %r" % (report["PYTHONUNBUFFERED"], expect_unbuf))
    for entry in report["sys_path"]:
        check(not entry or os.path.realpath(entry) != boot_real,
              "boot dir still on sys.path: %r" % report["sys_path"])
    check(report["main_names"] == [], "names in __main__: %r" % report["main_names"])
    check(report["argv"] == ["-c", "arg1"], "argv %r" % report["argv"])


def test_started(build_dir):
    with tempfile.TemporaryDirectory() as user_dir:
        with open(os.path.join(user_dir, "sitecustomize.py"), "w") as f:
            f.write(USER_SITECUSTOMIZE)
        proc, sock = spawn(build_dir, orig_pythonpath=user_dir)
        try:
            reader = Reader(sock)
            hello = reader.read()
            body = hello.get("body", {})
            check(hello.get("event") == "hello" and "error" not in body,
                  "hello %r" % hello)
            check(body.get("pid") == proc.pid, "hello pid %r" % body.get("pid"))
            # The program must not start before `start`.
            time.sleep(0.3)
            check(proc.poll() is None, "the program ran before start")
            sock.sendall(frame({"seq": 1, "type": "request", "command": "start"}))
            resp = reader.read()
            check(resp.get("success") is True and resp.get("request_seq") == 1,
                  "start response %r" % resp)
            out, err, rc = finish(proc)
        finally:
            sock.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    check(rc == 7, "exit code %r\nstdout: %s\nstderr: %s" % (rc, out, err))
    check(err == "", "stderr: %s" % err)
    report = json.loads(out)
    check_program_view(build_dir, report, user_dir, None)
    check(report["runtime_loaded"] and report["connected"],
          "runtime not loaded/connected: %r" % report)
    check(report["user_sitecustomize"], "the user's sitecustomize did not run")


def test_channel_closed(build_dir):
    # No PYTHONPATH of the user's; the adapter goes away instead of `start`.
    proc, sock = spawn(build_dir, orig_unbuffered="x")
    try:
        hello = Reader(sock).read()
        check("error" not in hello.get("body", {}), "hello %r" % hello)
        sock.close()
        out, err, rc = finish(proc)
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    check(rc == 7, "exit code %r\nstdout: %s\nstderr: %s" % (rc, out, err))
    report = json.loads(out)
    check_program_view(build_dir, report, None, "x")
    check(report["runtime_loaded"] and not report["connected"],
          "runtime should be loaded and disconnected: %r" % report)
    # Ours stays in sys.modules when there is no other sitecustomize (the
    # interpreter may have its own, e.g. Debian's).
    sc_file = report["sitecustomize_file"]
    if sc_file and os.path.dirname(os.path.realpath(sc_file)) == \
            os.path.realpath(os.path.join(build_dir, "boot")):
        check(report["sitecustomize_names"] == [],
              "boot left names: %r" % report["sitecustomize_names"])


def test_not_built(build_dir):
    # Also: a failing user sitecustomize is reported the way site.py does.
    with tempfile.TemporaryDirectory() as empty:
        with open(os.path.join(empty, "sitecustomize.py"), "w") as f:
            f.write("raise ValueError('boom')\n")
        proc, sock = spawn(build_dir, runtime_dir=empty, orig_pythonpath=empty)
        try:
            reader = Reader(sock)
            hello = reader.read()
            # The program waits for the adapter (which would end it) and runs
            # on only once the channel closes.
            time.sleep(0.3)
            check(proc.poll() is None, "the program ran after an error hello")
            sock.shutdown(socket.SHUT_WR)
            rest = reader.expect_eof()
            out, err, rc = finish(proc)
        finally:
            sock.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    body = hello.get("body", {})
    minor = "%d.%d" % sys.version_info[:2]
    check(hello.get("event") == "hello" and hello.get("seq") == 1,
          "error hello envelope %r" % hello)
    check("runtimeVersion" not in body and body.get("wireVersion") == 1
          and body.get("pid") == proc.pid
          and body.get("executable") == sys.executable
          and body.get("pythonVersion") == sys.version.split()[0],
          "error hello body %r" % body)
    check(("Python %s is not built" % minor) in body.get("error", "")
          and "-DDAPPER_PYTHONS=" in body["error"], "error text %r" % body)
    check(rest == b"", "bytes after the error hello: %r" % rest)
    check(rc == 7, "exit code %r\nstderr: %s" % (rc, err))
    check(err == "Error in sitecustomize; set PYTHONVERBOSE for traceback:\n"
          "ValueError: boom\n", "stderr: %r" % err)
    report = json.loads(out)
    check_program_view(build_dir, report, empty, None)
    check(not report["runtime_loaded"], "runtime loaded from an empty dir")


def main():
    build_dir = os.path.abspath(sys.argv[1])
    test_started(build_dir)
    test_channel_closed(build_dir)
    test_not_built(build_dir)
    print("ok: boot sequence on Python %s" % sys.version.split()[0])


if __name__ == "__main__":
    main()
