#!/usr/bin/env python3
"""What the debugger adds to imports and start-up (no breakpoint hit):
bench/workloads/imports.py timed plain and through one or more builds of
dapper-adapter, interleaved rounds, minimum and median.

    python3 bench/import_cost.py --adapter LABEL=build/release/adapter/dapper-adapter \\
        [--adapter LABEL2=PATH ...] [--python PATH] [--rounds 7] \\
        [--bp FILE:LINE ...] [-- MODULE ...]

Each adapter session launches with the default backend; --bp sets line
breakpoints (in files the imports load, never hit) so the runtime has
breakpoints to find. Besides the imports' own time (the BENCH line), the
whole session's wall time (launch request to `terminated`, including the
interpreter's and the runtime's start-up) is reported.

--callgrind: one run per configuration under `valgrind --tool=callgrind`
instead, reporting the instructions of the whole debuggee process (start-up,
runtime, imports; load-independent). Run with PYTHONHASHSEED=0: hash
randomisation alone moves the count by about 1-2 %.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dap_bench as db  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--adapter", action="append", required=True,
                    help="LABEL=PATH of a dapper-adapter binary (repeatable)")
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--bp", action="append", default=[],
                    help="FILE:LINE breakpoint (repeatable)")
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--keep", help="--callgrind: keep the callgrind files "
                    "in this directory (for callgrind_annotate)")
    ap.add_argument("modules", nargs="*")
    o = ap.parse_args()
    if o.callgrind:
        return callgrind(o)
    prog = db.workload("imports.py")
    bps = {}
    for spec in o.bp:
        path, line = spec.rsplit(":", 1)
        bps.setdefault(path, []).append({"line": int(line)})
    adapters = [a.split("=", 1) for a in o.adapter]
    samples = {"plain": ([], [])}
    for label, _ in adapters:
        samples[label] = ([], [])
    for r in range(o.rounds):
        order = ["plain"] + [a[0] for a in adapters]
        order = order[r % len(order):] + order[:r % len(order)]
        for label in order:
            t0 = time.monotonic()
            if label == "plain":
                b, err = db.run_plain([o.python], prog, o.modules)
            else:
                path = dict(adapters)[label]
                s = db.Session("dapper", [os.path.abspath(path)], o.python,
                               prog, o.modules, bps=bps, deadline=300).run()
                b, err = s.bench, s.launch_error or s.error
            wall = time.monotonic() - t0
            if b is None:
                print("%s: %s" % (label, err), file=sys.stderr)
                continue
            samples[label][0].append(b["ns"] / 1e6)
            samples[label][1].append(wall * 1e3)
            print("round %d %-10s imports %.1f ms, session %.0f ms" % (
                r, label, b["ns"] / 1e6, wall * 1e3), file=sys.stderr)
    base = min(samples["plain"][0])
    print("| configuration | imports min (median) ms | × plain | whole run min (median) ms |")
    print("|---|---|---|---|")
    for label, (imp, wall) in samples.items():
        if not imp:
            continue
        print("| %s | %.1f (%.1f) | %.3f | %.0f (%.0f) |" % (
            label, min(imp), statistics.median(imp), min(imp) / base,
            min(wall), statistics.median(wall)))


def callgrind(o):
    import tempfile
    prog = db.workload("imports.py")
    bps = {}
    for spec in o.bp:
        path, line = spec.rsplit(":", 1)
        bps.setdefault(path, []).append({"line": int(line)})
    tmp = o.keep or tempfile.mkdtemp(prefix="dapper-import-cg-")
    os.makedirs(tmp, exist_ok=True)
    rows = []
    for label, path in [("plain", None)] + [a.split("=", 1) for a in o.adapter]:
        f = os.path.join(tmp, "cg." + label)
        vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + f,
              o.python]
        if path is None:
            b, err = db.run_plain(vg, prog, o.modules, timeout=1800)
        else:
            for _attempt in range(3):  # valgrind under load may miss the
                s = db.Session(        # adapter's 15 s start-up deadline
                    "dapper", [os.path.abspath(path)], o.python, prog,
                    o.modules, bps=bps, deadline=1800, python_argv=vg).run()
                b, err = s.bench, s.launch_error or s.error
                if not err or "did not start" not in err:
                    break
        if b is None:
            print("%s: %s" % (label, err), file=sys.stderr)
            continue
        with open(f, encoding="utf-8", errors="replace") as fh:
            ir = next(int(line.split()[1]) for line in fh
                      if line.startswith(("totals:", "summary:")))
        rows.append((label, ir, b.get("modules")))
        print("%s: %d Ir" % (label, ir), file=sys.stderr)
    base = rows[0][1] if rows and rows[0][0] == "plain" else None
    print("| configuration | Ir, whole process | × plain | modules |")
    print("|---|---|---|---|")
    for label, ir, mods in rows:
        print("| %s | %s | %s | %s |" % (
            label, format(ir, ","), "%.3f" % (ir / base) if base else "?",
            mods))


if __name__ == "__main__":
    main()
