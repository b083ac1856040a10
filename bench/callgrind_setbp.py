#!/usr/bin/env python3
"""Instructions the debuggee spends per setBreakpoints of the configuration
phase, under callgrind: the same session (`bench/workloads/empty.py`,
launched through each adapter, VS Code's order: every setBreakpoints sent
at once, then configurationDone) with one breakpoint in each of --files
generated files (bench/seed/gencode.py's code base, byte-compiled first)
and with none; (Ir(files) - Ir(0)) / files. Counts every thread of the
debuggee (the channel thread answers the requests). Load-independent.

    python3 bench/callgrind_setbp.py --adapter OLD [--adapter NEW] \\
        --python PATH [--python PATH ...] [--files 1000]

Standard library and valgrind."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "seed"))

import dap_bench  # noqa: E402
import gencode  # noqa: E402


def instructions(adapter, python, bps, out_dir, tag):
    out = os.path.join(out_dir, "cg.%s.out" % tag)
    argv = [shutil.which("valgrind"), "--tool=callgrind", "-q",
            "--callgrind-out-file=" + out, python]
    s = dap_bench.Session("dapper", [adapter], python,
                          os.path.join(dap_bench.WORKLOADS, "empty.py"), [],
                          bps=bps, deadline=1800)
    s.python_argv = argv
    s.set_breakpoints_timeout = 600.0
    s.run()
    if s.error or not all(s.verified.values()):
        sys.exit("%s %s: %s" % (adapter, python, s.error))
    with open(out) as f:
        for line in f:
            m = re.match(r"(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    sys.exit("no totals in " + out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--adapter", action="append", required=True)
    ap.add_argument("--python", action="append", required=True)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--workdir", default=os.path.join(
        tempfile.gettempdir(), "dapper-callgrind-setbp"))
    o = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed")
    never, _total = gencode.codebase(o.workdir, o.files * 1000)
    files = sorted(never)[:o.files]
    bps = {f: [{"line": never[f][0]}] for f in files}
    out_dir = tempfile.mkdtemp(prefix="cg-setbp-")
    try:
        for py in o.python:
            subprocess.run([py, "-m", "compileall", "-q", "-j", "2",
                            os.path.dirname(files[0])], check=True,
                           stdout=subprocess.DEVNULL)
            for a in o.adapter:
                a = os.path.abspath(a)
                base = instructions(a, py, {}, out_dir, "base")
                full = instructions(a, py, bps, out_dir, "full")
                print("%s %s: %d setBreakpoints: %.0f instructions each "
                      "(%d - %d)" % (os.path.basename(py), a, len(files),
                                     (full - base) / len(files), full, base),
                      flush=True)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
