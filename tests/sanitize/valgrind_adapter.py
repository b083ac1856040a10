"""The adapter under valgrind memcheck (label `sanitize`).

    valgrind_adapter.py --adapter build/dev/adapter/dapper-adapter \
        --python python3.12 [--valgrind valgrind]

Two runs of the adapter, each under
`valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
--error-exitcode=99`:

1. stdio: a scripted session (initialize, launch with a breakpoint, stopped,
   stackTrace, scopes, variables, evaluate, continue, exited, terminated,
   disconnect), then stdin closed: the adapter exits by itself.
2. TCP (`--port 0`): two clients one after the other, the first with a
   session like the one above, the second disconnecting while stopped (the
   adapter ends the program), then SIGTERM: the server shuts down cleanly
   (exit status 128 + 15).

Fails when a session goes wrong, the adapter does not exit by itself, or
memcheck reports an error or a definite/indirect leak (exit status 99); the
valgrind log is printed then. Exits 77 (skipped) when valgrind is missing.
Standard library only.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from dap_client import DapClient, _StreamDrain  # noqa: E402

TARGET = os.path.join(HERE, "programs", "target.py")
# Everything is ~20-50x slower under memcheck.
T = 60.0
LISTEN_RE = r"dapper-adapter: listening on 127\.0\.0\.1:([0-9]+)\r?\n"


def marker_line(path, name):
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.rstrip().endswith("# BREAK: " + name):
                return number
    raise AssertionError("no marker " + name)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def session(client, python, tag, end="continue"):
    """One debug session; raises AssertionError when a step goes wrong.
    end="continue" runs the program to its end; "disconnect" disconnects
    while stopped (the adapter ends the program)."""
    init = client.request("initialize", {"adapterID": "dapper", "clientID": tag,
                                         "linesStartAt1": True,
                                         "columnsStartAt1": True}, timeout=T)
    check(init["success"], "%s: initialize failed: %r" % (tag, init))
    launch_seq = client.send_request("launch", {
        "program": TARGET, "args": ["4"], "python": python,
        "cwd": os.path.dirname(TARGET)})
    client.wait_event("initialized", timeout=T)
    line = marker_line(TARGET, "loop")
    bps = client.request("setBreakpoints", {
        "source": {"path": TARGET},
        "breakpoints": [{"line": line, "hitCondition": "2"}]}, timeout=T)
    check(bps["success"] and len(bps["body"]["breakpoints"]) == 1,
          "%s: setBreakpoints: %r" % (tag, bps))
    client.request("configurationDone", timeout=T)
    launch = client.wait_response(launch_seq, timeout=T)
    check(launch["success"], "%s: launch failed: %r" % (tag, launch))
    stopped = client.wait_event("stopped", timeout=T)
    thread = stopped["body"]["threadId"]
    stack = client.request("stackTrace", {"threadId": thread}, timeout=T)
    frames = stack["body"]["stackFrames"]
    check(frames and frames[0]["name"] == "work" and frames[0]["line"] == line,
          "%s: stackTrace: %r" % (tag, frames))
    scopes = client.request("scopes", {"frameId": frames[0]["id"]}, timeout=T)
    check(scopes["success"], "%s: scopes: %r" % (tag, scopes))
    ref = scopes["body"]["scopes"][0]["variablesReference"]
    variables = client.request("variables", {"variablesReference": ref}, timeout=T)
    names = {v["name"]: v for v in variables["body"]["variables"]}
    check("items" in names and "total" in names,
          "%s: variables: %r" % (tag, sorted(names)))
    if names["items"].get("variablesReference"):
        inner = client.request("variables", {
            "variablesReference": names["items"]["variablesReference"]}, timeout=T)
        check(inner["success"], "%s: nested variables: %r" % (tag, inner))
    ev = client.request("evaluate", {"expression": "total + 100",  # total is 0 at the second hit
                                     "frameId": frames[0]["id"],
                                     "context": "repl"}, timeout=T)
    check(ev["success"] and ev["body"]["result"] == "100",
          "%s: evaluate: %r" % (tag, ev))
    bad = client.request("evaluate", {"expression": "no_such_name",
                                      "frameId": frames[0]["id"],
                                      "context": "repl"}, timeout=T)
    check(not bad["success"], "%s: evaluate of an unknown name: %r" % (tag, bad))
    if end == "disconnect":
        resp = client.request("disconnect", {"terminateDebuggee": True}, timeout=T)
        check(resp["success"], "%s: disconnect while stopped: %r" % (tag, resp))
        return
    client.request("continue", {"threadId": thread}, timeout=T)
    exited = client.wait_event("exited", timeout=T)
    check(exited["body"]["exitCode"] == 0, "%s: exited: %r" % (tag, exited))
    client.wait_event("terminated", timeout=T)
    client.request("disconnect", timeout=T)
    problems = client.protocol_problems()
    check(not problems, "%s: protocol problems: %r" % (tag, problems))


def valgrind_argv(valgrind, log):
    return [valgrind, "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect", "--error-exitcode=99",
            "--log-file=" + log]


def wait_exit(proc, timeout):
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise AssertionError("the adapter did not exit within %.0fs" % timeout)


def report(name, status, log, expected=0):
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if status != expected:
        print("---- valgrind log (%s) ----\n%s" % (name, text))
    else:
        summary = [ln for ln in text.splitlines()
                   if re.search(r"(definitely|indirectly) lost:|ERROR SUMMARY"
                                r"|All heap blocks were freed", ln)]
        print("%s:\n%s" % (name, "\n".join(summary)))
    if status == 99:
        raise AssertionError("%s: memcheck reported errors or leaks" % name)
    check(status == expected, "%s: the adapter exited with status %r, not %r"
          % (name, status, expected))
    print("%s: memcheck clean" % name)


def run_stdio(opts, tmp):
    log = os.path.join(tmp, "stdio.log")
    client = DapClient.spawn_stdio(valgrind_argv(opts.valgrind, log)[0],
                                   valgrind_argv(opts.valgrind, log)[1:]
                                   + [opts.adapter])
    try:
        session(client, opts.python, "stdio")
        client.close_input()
        status = wait_exit(client.proc, T)
    except BaseException:
        print("adapter stderr:\n" + client.stderr.text())
        client.close()
        raise
    client.close()
    report("stdio session", status, log)


def run_tcp(opts, tmp):
    log = os.path.join(tmp, "tcp.log")
    proc = subprocess.Popen(valgrind_argv(opts.valgrind, log)
                            + [opts.adapter, "--port", "0"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=0)
    stderr = _StreamDrain(proc.stderr, "tcp-stderr")
    _StreamDrain(proc.stdout, "tcp-stdout")
    try:
        port = int(stderr.wait_for(LISTEN_RE, T).group(1))
        for i in (1, 2):
            client = DapClient.connect_tcp(port)
            try:
                # the second one disconnects while stopped
                session(client, opts.python, "tcp client %d" % i,
                        "continue" if i == 1 else "disconnect")
            finally:
                client.close()
            # the server forgets the client before it accepts the next one
            time.sleep(0.5)
        check(proc.poll() is None, "the TCP adapter ended after its clients")
        proc.send_signal(signal.SIGTERM)
        status = wait_exit(proc, T)
    except BaseException:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        print("adapter stderr:\n" + stderr.text())
        raise
    # a clean shutdown on a signal exits with 128 + signum
    report("TCP server, two clients", status, log, 128 + signal.SIGTERM)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--python", required=True)
    ap.add_argument("--valgrind", default=shutil.which("valgrind"))
    opts = ap.parse_args()
    if not opts.valgrind:
        print("SKIPPED: valgrind not found")
        return 77
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dapper-vg-") as tmp:
        run_stdio(opts, tmp)
        run_tcp(opts, tmp)
    print("valgrind sessions: OK in %.1fs" % (time.monotonic() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
