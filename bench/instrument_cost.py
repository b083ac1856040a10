#!/usr/bin/env python3
"""What the 3.11 `instrumented` backend's Python side costs when a module
with breakpoints is imported: runtime/python/_dapper_instrument.py's
`instrument_code` on each file's loaded code (its .pyc), outside the
adapter, for one or more versions of that file in one process
(interleaved rounds), or one version under callgrind.

    python3 bench/instrument_cost.py --version LABEL=PATH [--version ...] \\
        [--rounds 7] [--case django|sci] [--per-file N]
    python3 bench/instrument_cost.py --version after=PATH --case django \\
        --callgrind
    python3 bench/instrument_cost.py --version now=PATH --disk-cache warm

--disk-cache (a version that has the instrumentation cache on disk; the
others ignore it): `off` (default: compiled every pass), `cold` (on, the
cache directory emptied before each pass: compiling plus writing the
entries) or `warm` (on, filled by an untimed pass first: what a second
session with the same breakpoints pays). The directory is a temporary one
($DAPPER_CACHE_DIR), never the user's.

PATH is a _dapper_instrument.py (e.g. the current one and
`git show <base>:runtime/python/_dapper_instrument.py > /tmp/before.py`).
Breakpoints: the first statement (after a docstring, not a loop header) of
the first N functions of each file (--per-file, default 3 for Django's 19
files, 2 for the 5 NumPy/SciPy/pandas files of bench/realworld.py).

Output: per version, the median (min-max) wall time of one pass over all
files with cold caches, and the version's `stats` counters when it has
them (functions/files instrumented, source lines compiled). --callgrind
runs `valgrind --tool=callgrind` twice per version (with and without the
pass) and prints the difference in instructions (load-independent).
"""
import argparse
import ast
import importlib.util
import os
import re
import statistics
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import realworld  # noqa: E402  (the library files that get breakpoints)


def package_dir(name):
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        sys.exit("%s is not installed for %s" % (name, sys.executable))
    return os.path.dirname(spec.origin)


def case_files(case):
    if case == "django":
        d = package_dir("django")
        return [os.path.join(d, f) for f in realworld.DJANGO_FILES]
    return [os.path.join(package_dir(p), f) for p, f in realworld.SCI_FILES]


def first_statements(path, n):
    with open(path, "rb") as f:
        tree = ast.parse(f.read())
    out = []
    for node in ast.walk(tree):
        if len(out) >= n:
            break
        if isinstance(node, ast.FunctionDef) and len(node.body) > 1:
            body = node.body[1] if isinstance(node.body[0], ast.Expr) \
                else node.body[0]
            if not isinstance(body, (ast.For, ast.While)):
                out.append(body.lineno)
    return sorted(out)


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.init(lambda *a: None, os.path.realpath)
    if hasattr(mod, "disk_allowed"):
        mod.disk_allowed = DISK_MODE != "off"
    return mod


DISK_MODE = "off"


def empty_cache_dir():
    d = os.environ["DAPPER_CACHE_DIR"]
    for sub in os.listdir(d):
        for name in os.listdir(os.path.join(d, sub)):
            os.unlink(os.path.join(d, sub, name))


def jobs_for(case, per_file):
    return [(f, [(i, line, None) for i, line in
                 enumerate(first_statements(f, per_file), 1)])
            for f in case_files(case)]


def loaded_codes(mod, jobs):
    out = []
    for f, _bps in jobs:
        code = mod._cached_code(f, mod._source(f)[0])
        if code is None:
            with open(f, "rb") as fh:
                code = compile(fh.read(), f, "exec", dont_inherit=True)
        out.append(code)
    return out


def one_pass(mod, jobs, codes):
    for (f, bps), code in zip(jobs, codes):
        res = mod.instrument_code(os.path.realpath(f), code, bps)
        if res[0] is None or res[2]:
            raise SystemExit("%s: not instrumented as expected (%d "
                             "fallback codes)" % (f, len(res[2])))


def clear(mod):
    for name in ("_instr_cache", "_trees", "_orig", "_seg_cache", "_loaded"):
        getattr(mod, name, {}).clear()
    for name in ("stats", "disk_stats"):
        for k in getattr(mod, name, {}):
            getattr(mod, name)[k] = 0
    getattr(mod, "_disk", {}).pop("bytes", None)


def child(o):
    """--run-one (under callgrind): one version, with or without the pass."""
    label, path = o.version[0].split("=", 1)
    mod = load(path, "dapper_instrument_" + label)
    jobs = jobs_for(o.case, o.per_file)
    codes = loaded_codes(mod, jobs)
    if o.run_one == "pass":
        one_pass(mod, jobs, codes)


def callgrind(o):
    for spec in o.version:
        counts = {}
        empty_cache_dir()
        if o.disk_cache == "warm":  # filled by one untimed pass
            subprocess.run([sys.executable, os.path.abspath(__file__),
                            "--version", spec, "--case", o.case,
                            "--per-file", str(o.per_file), "--disk-cache",
                            "warm", "--run-one", "pass"], check=True)
        for what in ("none", "pass"):
            if o.disk_cache == "cold":
                empty_cache_dir()
            out = "/tmp/instrument_cost.%d.%s.cg" % (os.getpid(), what)
            cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                   sys.executable, os.path.abspath(__file__), "--version", spec,
                   "--case", o.case, "--per-file", str(o.per_file),
                   "--disk-cache", o.disk_cache, "--run-one", what]
            res = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True,
                                 env=dict(os.environ, PYTHONHASHSEED="0"))
            m = re.search(r"Collected : (\d+)", res.stderr)
            if res.returncode != 0 or m is None:
                sys.exit("callgrind failed: %s" % res.stderr[-2000:])
            counts[what] = int(m.group(1))
            os.unlink(out)
        print("%s: %s instructions (%s with the pass, %s without)" % (
            spec.split("=", 1)[0], format(counts["pass"] - counts["none"], ","),
            format(counts["pass"], ","), format(counts["none"], ",")))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--version", action="append", required=True,
                    metavar="LABEL=PATH")
    ap.add_argument("--case", choices=("django", "sci"), default="django")
    ap.add_argument("--per-file", type=int)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--disk-cache", choices=("off", "cold", "warm"),
                    default="off")
    ap.add_argument("--run-one", choices=("none", "pass"),
                    help=argparse.SUPPRESS)
    o = ap.parse_args()
    if o.per_file is None:
        o.per_file = 3 if o.case == "django" else 2
    global DISK_MODE
    DISK_MODE = o.disk_cache
    if o.run_one:  # the parent's temporary cache directory
        if "DAPPER_CACHE_DIR" not in os.environ:
            sys.exit("--run-one needs DAPPER_CACHE_DIR")
        return child(o)
    os.environ["DAPPER_CACHE_DIR"] = tempfile.mkdtemp(prefix="instrument_cost.")
    try:
        run(o)
    finally:
        shutil.rmtree(os.environ["DAPPER_CACHE_DIR"], ignore_errors=True)


def run(o):
    if o.callgrind:
        return callgrind(o)
    mods = {}
    for spec in o.version:
        label, path = spec.split("=", 1)
        mods[label] = load(path, "dapper_instrument_" + label)
    jobs = jobs_for(o.case, o.per_file)
    times = {label: [] for label in mods}
    labels = list(mods)
    for r in range(o.rounds):
        order = labels[r % len(labels):] + labels[:r % len(labels)]
        for label in order:
            mod = mods[label]
            empty_cache_dir()
            if o.disk_cache == "warm":
                clear(mod)
                one_pass(mod, jobs, loaded_codes(mod, jobs))
            clear(mod)
            codes = loaded_codes(mod, jobs)
            t = time.perf_counter()
            one_pass(mod, jobs, codes)
            times[label].append(time.perf_counter() - t)
    nbps = sum(len(b) for _f, b in jobs)
    lines = 0
    for f, _b in jobs:
        with open(f, "rb") as fh:
            lines += fh.read().count(b"\n")
    print("%s: %d files (%d lines), %d breakpoints, %d rounds, disk cache "
          "%s, load %s" % (
        o.case, len(jobs), lines, nbps, o.rounds, o.disk_cache,
        " ".join(open("/proc/loadavg").read().split()[:3])))
    for label in labels:
        v = times[label]
        print("%s: median %.1f ms (%.1f-%.1f)%s" % (
            label, 1000 * statistics.median(v), 1000 * min(v), 1000 * max(v),
            "; one pass: %s" % dict(mods[label].stats,
                                    **{"disk_" + k: v for k, v in getattr(
                                        mods[label], "disk_stats", {}).items()})
            if hasattr(mods[label], "stats") else ""))


if __name__ == "__main__":
    main()
