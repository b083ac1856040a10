"""setBreakpoints before the program starts, on a generated code base: the
time from the first setBreakpoints to the last answer (one request per
file, one breakpoint each, on a line that never runs; all sent at once
and then awaited, as VS Code does, or one by one with --serial) and of
the whole session
(`bench/workloads/empty.py`), for one or more adapters side by side
(rounds alternate their order), on each interpreter given.

The code base is bench/seed/gencode.py's (files of ~1,000 lines),
byte-compiled by each interpreter first, as seed_tables.py's code-base
table has it. Prints one line per adapter and interpreter: the median
(min-max) over rounds. Every breakpoint must be verified.

    python3 bench/setbp_startup.py --adapter A [--adapter B] \\
        --python /usr/bin/python3.11 [--files 100] [--rounds 4] [--serial]

Standard library only."""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "seed"))

import dap_bench  # noqa: E402
import gencode  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--adapter", action="append", required=True)
    ap.add_argument("--python", action="append", required=True)
    ap.add_argument("--files", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--serial", action="store_true",
                    help="send each setBreakpoints after the previous "
                    "answer (default: all at once, then wait for every "
                    "answer, as VS Code does)")
    ap.add_argument("--workdir", default=os.path.join(
        tempfile.gettempdir(), "dapper-setbp-startup"))
    o = ap.parse_args()
    o.adapter = [os.path.abspath(a) for a in o.adapter]
    never, _total = gencode.codebase(o.workdir, o.files * 1000)
    files = sorted(never)
    for py in o.python:
        subprocess.run([py, "-m", "compileall", "-q", "-j", "2",
                        os.path.dirname(files[0])], check=True,
                       stdout=subprocess.DEVNULL)
    bps = {f: [{"line": never[f][0]}] for f in files}

    program = os.path.join(dap_bench.WORKLOADS, "empty.py")
    for py in o.python:
        res = {a: ([], []) for a in o.adapter}
        for r in range(o.rounds):
            for a in (o.adapter if r % 2 == 0 else o.adapter[::-1]):
                s = dap_bench.Session("dapper", [a], py, program, [],
                                      bps=bps, deadline=600)
                s.pipeline = not o.serial
                t = time.perf_counter()
                s.run()
                whole = time.perf_counter() - t
                if s.error or len(s.verified) != len(files) or \
                        not all(s.verified.values()):
                    sys.exit("%s %s: %s (%d of %d verified)" % (
                        a, py, s.error, sum(s.verified.values()), len(files)))
                res[a][0].append(s.setbp_s)
                res[a][1].append(whole)
        for a in o.adapter:
            sb, whole = res[a]
            print("%s %s: %d setBreakpoints %.3f s (%.3f-%.3f), session "
                  "%.3f s (%.3f-%.3f)" % (
                      os.path.basename(py), a, len(files),
                      statistics.median(sb), min(sb), max(sb),
                      statistics.median(whole), min(whole), max(whole)))


if __name__ == "__main__":
    main()
