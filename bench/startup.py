#!/usr/bin/env python3
"""What the debugger adds to an empty program's start-up, per interpreter.

    python3 bench/startup.py --adapter LABEL=build/release/adapter/dapper-adapter \\
        [--adapter LABEL2=PATH ...] [--runtime-dir LABEL2=DIR ...] \\
        [--python PATH ...] [--rounds 15] [--callgrind]

bench/workloads/empty.py, plain and through each adapter build (default
backend, no breakpoint), in interleaved rounds. The program reports the CPU
time of its whole process at its first line (all threads:
CLOCK_PROCESS_CPUTIME_ID), which is the interpreter's start-up plus, under
the debugger, the runtime's (boot script, extension, support modules,
the `configure`/`setBreakpoints` work of the configuration phase) and
nothing of the time the debuggee spends waiting for the client. Reported:
min and median CPU ms, the added CPU ms (median over rounds of debugger
minus plain of the same round, with min-max), the whole run's wall time
(plain: process start to exit; debugger: `launch` to `terminated`), and the
modules present at the first line that the plain interpreter does not have.

--runtime-dir LABEL=DIR: that configuration's adapter runs with
`--runtime-dir DIR` (another build's runtime under the same adapter).

--callgrind: one run per configuration under `valgrind --tool=callgrind`
instead: instructions of the whole debuggee process (load-independent);
the adapters get DAPPER_STARTUP_TIMEOUT=600 (valgrind is slow to start).
Use PYTHONHASHSEED=0 (hash randomisation moves the count by about 1 %).
"""
import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dap_bench as db  # noqa: E402
from callgrind_calls import default_pythons, version  # noqa: E402

PROGRAM = db.workload("empty.py")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


RUNTIME_DIRS = {}  # label -> --runtime-dir


def run_once(label, adapter, python, python_argv=None):
    """(bench dict, wall seconds) or (None, error)."""
    t0 = time.monotonic()
    if adapter is None:
        b, err = db.run_plain(python_argv or [python], PROGRAM, [],
                              timeout=1800)
    else:
        err = None
        for _attempt in range(3):  # valgrind under load may miss the
            cmd = [os.path.abspath(adapter)]
            if label in RUNTIME_DIRS:
                cmd += ["--runtime-dir", os.path.abspath(RUNTIME_DIRS[label])]
            s = db.Session(        # adapter's start-up deadline
                "dapper", cmd, python, PROGRAM, [],
                deadline=1800, python_argv=python_argv).run()
            b, err = s.bench, s.launch_error or s.error
            if b is not None or not err or "did not start" not in err:
                break
        if b is None and err is None:
            err = "no BENCH line; console: %s" % s.console[-500:]
    if b is None:
        return None, "%s: %s" % (label, err)
    return b, time.monotonic() - t0


def wall_rounds(o, python, adapters):
    labels = ["plain"] + [a[0] for a in adapters]
    paths = dict(adapters)
    cpu = {k: [] for k in labels}
    wall = {k: [] for k in labels}
    added = {k: [] for k in labels[1:]}
    mods = {}
    for r in range(o.rounds):
        order = labels[r % len(labels):] + labels[:r % len(labels)]
        got = {}
        for label in order:
            b, w = run_once(label, paths.get(label), python)
            if b is None:
                log(w)
                continue
            got[label] = b["cpu_ns"] / 1e6
            cpu[label].append(got[label])
            wall[label].append(w * 1e3)
            mods[label] = set(b["modules"])
        for label in labels[1:]:
            if label in got and "plain" in got:
                added[label].append(got[label] - got["plain"])
        log("round %d: %s" % (r, ", ".join(
            "%s %.1f ms" % (k, v) for k, v in sorted(got.items()))))
    rows = []
    for label in labels:
        if not cpu[label]:
            continue
        extra = sorted(mods[label] - mods.get("plain", set()))
        d = added.get(label)
        rows.append("| %s | %.1f (%.1f) | %s | %.0f (%.0f) | %d: %s |" % (
            label, min(cpu[label]), statistics.median(cpu[label]),
            "%+.1f (%+.1f to %+.1f)" % (statistics.median(d), min(d), max(d))
            if d else "",
            min(wall[label]), statistics.median(wall[label]),
            len(extra), ", ".join(extra) if extra else "none"))
    return rows


def callgrind_rows(o, python, adapters):
    db.valgrind_startup_timeout()
    tmp = tempfile.mkdtemp(prefix="dapper-startup-cg-")
    rows = []
    base = None
    for label, path in [("plain", None)] + adapters:
        f = os.path.join(tmp, "cg." + label)
        vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + f,
              python]
        b, err = run_once(label, path, python, python_argv=vg)
        if b is None:
            log(err)
            continue
        with open(f, encoding="utf-8", errors="replace") as fh:
            ir = next(int(line.split()[1]) for line in fh
                      if line.startswith(("totals:", "summary:")))
        if base is None:
            base = ir
        rows.append("| %s | %s | %s |" % (
            label, format(ir, ","),
            "+%.1f M" % ((ir - base) / 1e6) if label != "plain" else ""))
        log("%s: %d Ir (%s)" % (label, ir, f))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--adapter", action="append", required=True,
                    help="LABEL=PATH of a dapper-adapter binary (repeatable)")
    ap.add_argument("--runtime-dir", action="append", default=[],
                    help="LABEL=DIR: --runtime-dir for that adapter")
    ap.add_argument("--python", action="append",
                    help="interpreter (repeatable; default 3.11, 3.12, 3.13)")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--callgrind", action="store_true")
    o = ap.parse_args()
    adapters = [tuple(a.split("=", 1)) for a in o.adapter]
    RUNTIME_DIRS.update(tuple(a.split("=", 1)) for a in o.runtime_dir)
    for python in o.python or default_pythons():
        print("\n%s (%s)\n" % (version(python), python))
        if o.callgrind:
            print("| configuration | Ir, whole debuggee process | added |")
            print("|---|---|---|")
            rows = callgrind_rows(o, python, adapters)
        else:
            print("| configuration | CPU ms at the first line, min (median) "
                  "| added CPU ms, median (min to max) | whole run ms, min "
                  "(median) | modules added at the first line |")
            print("|---|---|---|---|---|")
            rows = wall_rounds(o, python, adapters)
        print("\n".join(rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
