#!/usr/bin/env python3
"""Per-stop and per-step cost of dapper-adapter (docs/performance.md,
"Per-stop and per-step work").

    python3 bench/perstop.py --adapter build/release/adapter/dapper-adapter \
        [--python PATH ...] [--rounds N] [--callgrind]

Measures, per interpreter and backend (3.11: instrumented, evalframe;
3.12+: monitoring):
- stop→continue: `stops.py K` (workload 3), a breakpoint hit K times, the
  client answering each `stopped` with `continue`; round trip = one
  `stopped` to the next, as the client sees them;
- per step: `steps.py K`, stopped on a line, K `next` requests over trivial
  lines; round trip = `next` sent to `stopped` received;
- step over exceptions: `step.py N --raise` (workload 4 with a KeyError
  raised and caught in the stepped-over call and in a nested call), the
  `next` time over plain Python's time for the same call;
- with --callgrind: instructions per stop/continue and per step, in the
  debuggee process (valgrind as the launch's `python`): (Ir(K2) - Ir(K1)) /
  (K2 - K1).

Prints Markdown on stdout, progress on stderr. Standard library only.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# bench/run.py first: dap_bench puts tests/integration (with its own run.py)
# at the front of sys.path
from run import default_pythons, probe_python, read_callgrind_total  # noqa: E402,I100
import dap_bench as db  # noqa: E402

STOPS = 201
STEPS = 201
STEP_N = 1000000
CG_LOW, CG_HIGH = 1, 101
WORKLOAD_ARGS = []  # ["--imports"] with --imports


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def backends(minor):
    return ["instrumented", "evalframe"] if minor == (3, 11) else ["monitoring"]


class StepsSession(db.Session):
    """driver "stops" on steps.py: stop once, then `next` self.stops times,
    timing each `next` -> `stopped`; then continue to the end."""

    def _drive_stops(self, rem):
        m = self._wait_stop_or_end(rem, 60)
        if m.get("event") != "stopped":
            self._wait_end(rem)
            return
        self.stop_count = 1
        tid = (m.get("body") or {}).get("threadId", 1)
        for _ in range(self.stops):
            t0 = time.perf_counter()
            self.client.send_request("next", {"threadId": tid})
            m = self._wait_stop_or_end(rem, 20)
            if m.get("event") != "stopped":
                self._wait_end(rem)
                return
            self.stop_count += 1
            self.round_trips.append(m["_t"] - t0)
        self._continue(m, rem)
        self._wait_end(rem)


def session(cls, adapter, interp, backend, program, args, bp_tag, driver,
            count, python_argv=None, deadline=300.0):
    bps = {program: [{"line": db.tagged_line(program, bp_tag)}]}
    s = cls("dapper", adapter, interp.path, program, args, bps=bps,
            backend=backend, driver=driver, stops=count, deadline=deadline,
            python_argv=python_argv)
    s.run()
    if s.launch_error or s.error:
        raise RuntimeError(s.launch_error or s.error)
    if s.backend_used is not None and s.backend_used != backend:
        raise RuntimeError("the runtime used %s" % s.backend_used)
    return s


def stop_session(adapter, interp, backend, k, python_argv=None):
    return session(db.Session, adapter, interp, backend, db.workload("stops.py"),
                   [k] + WORKLOAD_ARGS, "stop", "stops", k, python_argv)


def steps_session(adapter, interp, backend, k, python_argv=None):
    return session(StepsSession, adapter, interp, backend,
                   db.workload("steps.py"), [k] + WORKLOAD_ARGS, "first",
                   "stops", k, python_argv)


def ms(v):
    return "%.3f" % (v * 1e3)


def measure(o, interp, backend, rows):
    stops, steps, ratios, calls, plain = [], [], [], [], []
    if o.callgrind_only:
        row = {"interp": interp.short, "backend": backend}
        row.update(callgrind(o, interp, backend))
        rows.append(row)
        return
    for r in range(o.rounds):
        s = stop_session(o.adapter, interp, backend, STOPS)
        stops.extend(s.round_trips[1:])
        s = steps_session(o.adapter, interp, backend, STEPS)
        steps.extend(s.round_trips[1:])
        b, err = db.run_plain([interp.path], db.workload("step.py"),
                              [STEP_N, "--raise"])
        if b is None:
            raise RuntimeError(err)
        plain.append(b["ns"] / 1e9)
        s = session(db.Session, o.adapter, interp, backend,
                    db.workload("step.py"), [STEP_N, "--raise"], "step",
                    "step", 0)
        if s.step_s is None:
            raise RuntimeError("no step")
        ratios.append(s.step_s)
        calls.append(s.bench["ns"] / 1e9 if s.bench else float("nan"))
        log("  %s %s round %d: stop %.3f ms, step %.3f ms, step over "
            "exceptions %.1f ms (plain %.1f ms)" % (
                interp.short, backend, r + 1,
                statistics.median(stops) * 1e3,
                statistics.median(steps) * 1e3, ratios[-1] * 1e3,
                plain[-1] * 1e3))
    row = {"interp": interp.short, "backend": backend,
           "stop_med": statistics.median(stops),
           "stop_p90": sorted(stops)[int(len(stops) * 0.9)],
           "stop_min": min(stops), "n_stops": len(stops),
           "step_med": statistics.median(steps),
           "step_p90": sorted(steps)[int(len(steps) * 0.9)],
           "step_min": min(steps), "n_steps": len(steps),
           "plain": min(plain), "stepexc": min(ratios),
           "stepexc_med": statistics.median(ratios),
           "call": min(calls)}
    if o.callgrind:
        row.update(callgrind(o, interp, backend))
    rows.append(row)


def callgrind(o, interp, backend):
    out = {}
    tmp = tempfile.mkdtemp(prefix="dapper-perstop-cg-")
    try:
        for kind, fn in (("stop", stop_session), ("step", steps_session)):
            irs = {}
            for k in (CG_LOW, CG_HIGH):
                f = os.path.join(tmp, "cg.%s.%d" % (kind, k))
                vg = ["valgrind", "--tool=callgrind",
                      "--callgrind-out-file=" + f, interp.path]
                fn(o.adapter, interp, backend, k, python_argv=vg)
                irs[k] = read_callgrind_total(f)
                if o.keep_callgrind:
                    shutil.copy(f, os.path.join(o.keep_callgrind, "%s.%s.%s.%d" % (
                        interp.short, backend, kind, k)))
            out["ir_" + kind] = (irs[CG_HIGH] - irs[CG_LOW]) / (CG_HIGH - CG_LOW)
            log("  callgrind %s %s: %.0f instructions per %s" % (
                interp.short, backend, out["ir_" + kind], kind))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def report(o, rows):
    if o.callgrind_only:
        return "\n".join(["| interpreter | backend | Ir per stop | Ir per step |",
                          "|---|---|---|---|"] + [
            "| %s | %s | {:,.0f} | {:,.0f} |".format(
                r.get("ir_stop", 0), r.get("ir_step", 0)) % (
                    r["interp"], r["backend"]) for r in rows])
    L = ["| interpreter | backend | stop→continue median ms (p90, min) | "
         "next→stopped median ms (p90, min) | step over exceptions: plain "
         "call ms | step ms | step / plain |"
         + (" Ir per stop | Ir per step |" if o.callgrind else ""),
         "|---|---|---|---|---|---|---|" + ("---|---|" if o.callgrind else "")]
    for r in rows:
        line = "| %s | %s | %s (%s, %s) | %s (%s, %s) | %.1f | %.1f (%.1f) | ×%.2f |" % (
            r["interp"], r["backend"], ms(r["stop_med"]), ms(r["stop_p90"]),
            ms(r["stop_min"]), ms(r["step_med"]), ms(r["step_p90"]),
            ms(r["step_min"]), r["plain"] * 1e3, r["stepexc"] * 1e3,
            r["stepexc_med"] * 1e3, r["stepexc"] / r["plain"])
        if o.callgrind:
            line += " {:,.0f} | {:,.0f} |".format(r.get("ir_stop", 0),
                                                   r.get("ir_step", 0))
        L.append(line)
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--python", action="append")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--backends", help="only these backends (comma-separated)")
    ap.add_argument("--imports", action="store_true",
                    help="stops.py/steps.py import a few hundred modules first")
    ap.add_argument("--runtime-dir",
                    help="the adapter's --runtime-dir (another build's runtime)")
    ap.add_argument("--callgrind-only", action="store_true",
                    help="only the instruction counts (no wall times)")
    ap.add_argument("--keep-callgrind", metavar="DIR",
                    help="copy the callgrind output files into DIR")
    o = ap.parse_args()
    o.adapter = [os.path.abspath(o.adapter)]
    if o.runtime_dir:
        o.adapter += ["--runtime-dir", os.path.abspath(o.runtime_dir)]
    o.callgrind = o.callgrind or o.callgrind_only
    if o.imports:
        WORKLOAD_ARGS.append("--imports")
    if o.callgrind and shutil.which("valgrind") is None:
        ap.error("--callgrind needs valgrind")
    if o.callgrind:
        db.valgrind_startup_timeout()
    rows = []
    for path in (o.python or default_pythons()):
        interp, err = probe_python(path)
        if interp is None:
            log("skipping %s: %s" % (path, err))
            continue
        for backend in backends(interp.minor):
            if o.backends and backend not in o.backends.split(","):
                continue
            log("== %s %s" % (interp.short, backend))
            try:
                measure(o, interp, backend, rows)
            except (RuntimeError, subprocess.SubprocessError) as e:
                log("  failed: %s" % e)
    print(report(o, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
