#!/usr/bin/env python3
"""Instructions per callee call of a `next` over a heavy call, under
callgrind: plain interpreter against the same program stepped through
dapper-adapter, with the per-function difference.

    python3 bench/callgrind_step.py --adapter build/release/adapter/dapper-adapter \\
        [--python PATH ...] [--backend instrumented --backend evalframe] \\
        [--n 10000 --n 110000] [--no-raise]

The program is `workloads/step.py N --once --raise` (heavy(N) calls g()
N times and raises and catches a KeyError itself and in a nested call;
the stepped-over heavy(N) is the only part whose size depends on N). Plain:
`valgrind --tool=callgrind python step.py N ...`. Through the adapter: the
launch's `python` is the valgrind command line, a breakpoint on the line
calling heavy(N), one `next` over it, `continue`. Instructions per call =
(Ir(N2) - Ir(N1)) / (N2 - N1); the per-function table is the same
difference per function (`callgrind_annotate --inclusive=no`), dapper
minus plain, for functions that differ by at least 0.5 per call.

valgrind makes the runtime start slowly: on a loaded machine the
adapter's start-up deadline may pass (the run is tried three times).
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dap_bench as db  # noqa: E402
import callgrind_calls as cc  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_one(python, mode, n, tmp, adapter, backend, extra):
    f = os.path.join(tmp, "cg.%s.%s.%d" % (mode, backend, n))
    vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + f, python]
    prog = db.workload("step.py")
    args = [str(n), "--once"] + extra
    t0 = time.monotonic()
    if mode == "plain":
        cc.run_plain(vg, prog, args)
        used = None
    else:
        bps = {prog: [{"line": db.tagged_line(prog, "step")}]}
        s = cc.run_session(adapter, python, prog, args, bps, backend, vg,
                           driver="step")
        if s.step_reason != "step":
            raise RuntimeError("the `next` ended with %r" % s.step_reason)
        used = s.backend_used
    log("  %s %-6s %-12s N=%-8d %6.1fs" % (os.path.basename(python), mode,
                                           backend, n, time.monotonic() - t0))
    return f, used


def per_call(files, key, n1, n2):
    return (cc.total(files[key, n2]) - cc.total(files[key, n1])) / (n2 - n1)


def per_fn(files, key, n1, n2):
    a, b = cc.per_function(files[key, n1]), cc.per_function(files[key, n2])
    return {k: (b.get(k, 0) - a.get(k, 0)) / (n2 - n1) for k in set(a) | set(b)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--python", action="append",
                    help="an interpreter (repeatable; default /usr/bin/python3.11)")
    ap.add_argument("--backend", action="append",
                    help="repeatable; default instrumented and evalframe")
    ap.add_argument("--n", type=int, action="append",
                    help="two sizes (default 10000 and 110000)")
    ap.add_argument("--no-raise", action="store_true",
                    help="heavy() without the raised and caught KeyErrors")
    o = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    n1, n2 = sorted(o.n or [10000, 110000])[:2]
    extra = [] if o.no_raise else ["--raise"]
    adapter = os.path.abspath(o.adapter)
    for python in o.python or ["/usr/bin/python3.11"]:
        tmp = tempfile.mkdtemp(prefix="dapper-cg-step-")
        try:
            files = {}
            for n in (n1, n2):
                files[("plain", n)], _ = run_one(python, "plain", n, tmp,
                                                 adapter, "-", extra)
            backends = o.backend or ["instrumented", "evalframe"]
            for b in backends:
                for n in (n1, n2):
                    files[(b, n)], used = run_one(python, "dapper", n, tmp,
                                                  adapter, b, extra)
            plain = per_call(files, "plain", n1, n2)
            pf = per_fn(files, "plain", n1, n2)
            print("%s, N = %d and %d%s: plain %.1f instructions per call" % (
                cc.version(python), n1, n2, "" if o.no_raise else " (--raise)",
                plain))
            for b in backends:
                d = per_call(files, b, n1, n2)
                df = per_fn(files, b, n1, n2)
                print("  %-12s %.1f (x%.3f)" % (b, d, d / plain))
                diff = {k: df.get(k, 0) - pf.get(k, 0) for k in set(df) | set(pf)}
                rows = sorted(((v, k) for k, v in diff.items() if abs(v) >= 0.5),
                              key=lambda x: -abs(x[0]))
                for v, k in rows[:16]:
                    print("      %+8.1f  %s" % (v, k))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
