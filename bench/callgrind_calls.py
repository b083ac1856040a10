#!/usr/bin/env python3
"""Instructions per call of the workload-1 loop under callgrind, plain
interpreter against the same loop through dapper-adapter with a breakpoint
in another file (what a program pays for the runtime being there), with
the per-function difference.

    python3 bench/callgrind_calls.py --adapter build/release/adapter/dapper-adapter \\
        [--python PATH ...] [--n 1000000] [--backend auto] [--write docs/performance.md]

For each interpreter: `valgrind --tool=callgrind` over `hot.py N --warm
1000` with N = 0 and N = --n, plain and through the adapter (the launch's
`python` is the valgrind command line, breakpoint on `other.py`'s
`elsewhere`, never called); instructions per call = (Ir(N) - Ir(0)) / N.
The per-function table is the same difference per function
(`callgrind_annotate --inclusive=no`), dapper minus plain, for functions
that differ by at least 0.5 instructions per call.

--program audited.py measures `id()` calls instead (the `builtins.id`
audit event: what the runtime's `exec` audit hook costs events it does not
handle).

--write replaces the block between `<!-- callgrind-calls:begin -->` and
`<!-- callgrind-calls:end -->` (audited.py: `callgrind-audit`) in that
file (appended when missing); bench/run.py keeps such blocks when it
rewrites the page.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dap_bench as db  # noqa: E402
import rounds  # noqa: E402

PROGRAM = "hot.py"  # --program
TITLES = {
    "hot.py": ("callgrind-calls", "what the runtime's presence costs per call",
               "The workload-1 loop (`hot.py N --warm 1000`, `f(i)` with "
               "`def f(x): return x + 1`)"),
    "audited.py": ("callgrind-audit", "the exec audit hook's cost on other "
                   "audited events",
                   "`audited.py N --warm 1000`: `id(obj)` in a loop, which "
                   "raises the `builtins.id` audit event once any audit hook "
                   "is installed"),
}
FN_LINE = re.compile(r"^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*?)\s*(?:\[.*\])?$")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def default_pythons():
    out = ["/usr/bin/python3.11"]
    try:
        root = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, timeout=10,
                              stdin=subprocess.DEVNULL).stdout.decode().strip()
    except (OSError, subprocess.TimeoutExpired):
        root = os.path.expanduser("~/.pyenv")
    for v, exe in (("3.12.1", "python3.12"), ("3.13.0", "python3.13")):
        out.append(os.path.join(root, "versions", v, "bin", exe))
    return [p for p in out if os.path.exists(p)]


def version(python):
    return subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
        timeout=30).stdout.decode().strip()


def total(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise RuntimeError("no totals in %s" % path)


def per_function(path, inclusive=False):
    """{function: Ir} from callgrind_annotate: self Ir summed over a
    function's entries, or (inclusive=True) its largest inclusive Ir."""
    text = subprocess.run(
        ["callgrind_annotate", "--inclusive=%s" % ("yes" if inclusive else "no"),
         "--threshold=%s" % ("99.9" if inclusive else "100"), path],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, timeout=600).stdout.decode("utf-8",
                                                              "replace")
    out = {}
    started = False
    for line in text.splitlines():
        if not started:
            started = line.startswith("Ir") and "file:function" in line
            continue
        m = FN_LINE.match(line)
        if m and not line.lstrip().startswith("-"):
            name = m.group(2).split(":", 1)[-1]
            ir = int(m.group(1).replace(",", ""))
            out[name] = max(out.get(name, 0), ir) if inclusive else \
                out.get(name, 0) + ir
    return out


def run_plain(vg, prog, args):
    """The program alone under valgrind (vg: the valgrind command line
    ending with the interpreter)."""
    p = subprocess.run(vg + [prog] + args, cwd=db.WORKLOADS,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=1200)
    if p.returncode != 0:
        raise RuntimeError("valgrind exit %d: %s" % (
            p.returncode, p.stderr.decode("utf-8", "replace")[-300:]))


def run_session(adapter, python, prog, args, bps, backend, vg, **kw):
    """A dapper session of the program under valgrind (vg: the valgrind
    command line ending with the interpreter); retried when the runtime
    did not start in time. Returns the finished db.Session."""
    for _attempt in range(3):  # under load valgrind may miss the
        s = db.Session(           # adapter's start-up deadline
            "dapper", [adapter], python, prog, args, bps=bps,
            backend=None if backend == "auto" else backend,
            deadline=1200, python_argv=vg, **kw).run()
        err = s.launch_error or s.error
        if not err or "did not start" not in err:
            break
        log("  (runtime start-up timed out under valgrind, again)")
    if err:
        raise RuntimeError(err)
    return s


def run_one(python, mode, n, tmp, adapter, backend):
    f = os.path.join(tmp, "cg.%s.%d" % (mode, n))
    vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + f, python]
    hot = db.workload(PROGRAM)
    args = [str(n), "--warm", "1000"]
    t0 = time.monotonic()
    if mode == "plain":
        run_plain(vg, hot, args)
        used = None
    else:
        other = db.workload("other.py")
        bps = {other: [{"line": db.tagged_line(other, "other")}]}
        used = run_session(adapter, python, hot, args, bps, backend,
                           vg).backend_used
    log("  %s %-6s N=%-8d %6.1fs" % (os.path.basename(python), mode, n,
                                     time.monotonic() - t0))
    return f, used


def measure(python, n, adapter, backend):
    tmp = tempfile.mkdtemp(prefix="dapper-cg-calls-")
    try:
        files = {}
        used = None
        for mode in ("plain", "dapper"):
            for k in (0, n):
                files[mode, k], u = run_one(python, mode, k, tmp, adapter,
                                            backend)
                used = used or u
        per_call = {m: (total(files[m, n]) - total(files[m, 0])) / n
                    for m in ("plain", "dapper")}
        fn = {}
        for m in ("plain", "dapper"):
            a, b = per_function(files[m, 0]), per_function(files[m, n])
            fn[m] = {k: (b.get(k, 0) - a.get(k, 0)) / n
                     for k in set(a) | set(b)}
        diff = {k: fn["dapper"].get(k, 0) - fn["plain"].get(k, 0)
                for k in set(fn["plain"]) | set(fn["dapper"])}
        return {"version": version(python), "backend": used,
                "per_call": per_call, "diff": diff}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def markers(program):
    key = TITLES[program][0]
    return "<!-- %s:begin -->" % key, "<!-- %s:end -->" % key


def report(results, n, command):
    begin, end = markers(PROGRAM)
    _key, title, what = TITLES[PROGRAM]
    L = [begin, "## Callgrind: %s" % title, "",
         "Generated by `bench/callgrind_calls.py` (kept when `bench/run.py` "
         "rewrites this page). Command: `%s`" % command, "",
         "%s, N = %s, plain and through dapper-adapter "
         "with a breakpoint in `other.py` (never called). Instructions per "
         "call = (Ir(N) − Ir(0)) / N over the whole process." % (
             what, format(n, ",")),
         "", "| interpreter | backend | plain Ir/call | dapper Ir/call | Δ | ratio |",
         "|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            L.append("| %s | n/a: %s | | | | |" % (r["version"], r["error"]))
            continue
        p, d = r["per_call"]["plain"], r["per_call"]["dapper"]
        L.append("| %s | %s | %.1f | %.1f | %+.1f | %.4f |" % (
            r["version"], r["backend"], p, d, d - p, d / p))
    L += ["", "Per function (self Ir per call, dapper − plain, |Δ| ≥ 0.5):",
          ""]
    for r in results:
        if "error" in r:
            continue
        rows = sorted(((v, k) for k, v in r["diff"].items() if abs(v) >= 0.5),
                      key=lambda x: -abs(x[0]))
        L.append("- %s: %s" % (r["version"], "; ".join(
            "`%s` %+.1f" % (k, v) for v, k in rows[:12]) or "none"))
    L += ["", end]
    return "\n".join(L) + "\n"


def write(path, block):
    rounds.replace_section(path, TITLES[PROGRAM][0], block)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--python", action="append",
                    help="an interpreter (repeatable; default 3.11, 3.12.1, "
                    "3.13.0)")
    ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--program", default="hot.py",
                    help="the workload: hot.py (calls of f) or audited.py "
                    "(id() calls: the audit hook's cost on other events)")
    ap.add_argument("--write")
    o = ap.parse_args()
    global PROGRAM
    PROGRAM = o.program
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    db.valgrind_startup_timeout()
    results = []
    for python in o.python or default_pythons():
        log("== %s" % python)
        try:
            results.append(measure(python, o.n, os.path.abspath(o.adapter),
                                   o.backend))
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            log("  %s: %s" % (python, e))
            results.append({"version": python, "error": str(e)[:200]})
    command = "python3 bench/callgrind_calls.py " + " ".join(sys.argv[1:])
    block = report(results, o.n, command)
    sys.stdout.write(block)
    if o.write:
        write(o.write, block)


if __name__ == "__main__":
    main()
