"""Runs one seed-table program (bench/seed_tables.py) and reports what the
process cost: the time its first line ran, peak and current RSS from the
kernel, malloc's bytes in use, CPU time from rusage.

    python wrap.py [--bdb BREAKPOINTS.json] PROGRAM [ARGS...]

The program runs as __main__ (runpy), with sys.argv = [PROGRAM, ARGS...] and
its directory first on sys.path; it prints its own `BENCH {...}` line. After
it, this prints

    SEEDMEM {"first_ns": ..., "VmHWM": ..., "VmRSS": ..., "malloc": ...,
             "pyblocks": ..., "cpu_s": ..., "rc": ..., "bdb_stops": ...}
    SEEDEND

and, when DAPPER_SEED_HOLD names a file, waits (up to 60 s) until that file
exists, so that the harness can ask the debugger for its statistics while the
process is still alive.

--bdb: the standard library's bdb runs the program with the breakpoints of
the JSON file ({path: [line, ...]}) set, tracing every thread
(sys.settrace and threading.settrace): traditional tracing as pdb does it.
A breakpoint hit is counted in `bdb_stops` and continued.
"""
import time

FIRST_NS = time.monotonic_ns()

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import runpy  # noqa: E402
import sys  # noqa: E402


def memory():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) * 1024
    try:
        import ctypes

        class MallInfo2(ctypes.Structure):
            _fields_ = [(n, ctypes.c_size_t) for n in (
                "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                "fsmblks", "uordblks", "fordblks", "keepcost")]
        libc = ctypes.CDLL(None)
        libc.mallinfo2.restype = MallInfo2
        mi = libc.mallinfo2()
        out["malloc"] = mi.uordblks + mi.hblkhd
    except (OSError, AttributeError):
        out["malloc"] = None
    out["pyblocks"] = sys.getallocatedblocks()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_s"] = ru.ru_utime + ru.ru_stime
    return out


def run_program(program):
    try:
        runpy.run_path(program, run_name="__main__")
        return 0
    except SystemExit as e:
        code = e.code
        return code if isinstance(code, int) else (0 if code is None else 1)


def run_bdb(bp_file, program):
    import bdb
    import threading

    with open(bp_file) as f:
        bps = json.load(f)

    class SeedBdb(bdb.Bdb):
        stops = 0

        def user_call(self, frame, argument_list):
            self.set_continue()

        def user_line(self, frame):
            # The first stop (nothing to continue from yet, as pdb's stop
            # on the first line) is not a breakpoint.
            if self.stopframe is not None:
                self.stops += 1
            self.set_continue()

    dbg = SeedBdb()
    for path, lines in bps.items():
        for line in lines:
            err = dbg.set_break(os.path.abspath(path), line)
            if err:
                raise SystemExit("bdb: %s:%d: %s" % (path, line, err))
    threading.settrace(dbg.trace_dispatch)
    rc = 0
    try:
        dbg.runcall(run_program, program)
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    finally:
        threading.settrace(None)
        sys.settrace(None)
    return rc, dbg.stops


def main():
    args = sys.argv[1:]
    bp_file = None
    if args[:1] == ["--bdb"]:
        bp_file = args[1]
        args = args[2:]
    program = os.path.abspath(args[0])
    sys.argv = [program] + args[1:]
    sys.path[0] = os.path.dirname(program)
    stops = None
    if bp_file is not None:
        rc, stops = run_bdb(bp_file, program)
    else:
        rc = run_program(program)
    info = memory()
    info.update(first_ns=FIRST_NS, rc=rc, bdb_stops=stops)
    sys.stdout.write("SEEDMEM " + json.dumps(info) + "\n")
    sys.stdout.write("SEEDEND\n")
    sys.stdout.flush()
    hold = os.environ.get("DAPPER_SEED_HOLD")
    if hold:
        end = time.monotonic() + 60
        while not os.path.exists(hold) and time.monotonic() < end:
            time.sleep(0.005)
    return rc


if __name__ == "__main__":
    sys.exit(main())
