#!/usr/bin/env python3
"""Real programs, plain and through the debuggers: a generated Django
project's test suite, a NumPy/SciPy/pandas script and a generated pytest
suite (bench/realworld/), with and without breakpoints that are never hit.

    python3 bench/realworld.py --adapter build/release/adapter/dapper-adapter \\
        [--python /usr/bin/python3] [--rounds 3] [--programs django,sci,pytest] \\
        [--no-debugpy] [--install-realworld] [--write docs/performance.md] \\
        [--disk-cache warm|cold]

Each round runs every configuration (plain, dapper with the default backend,
debugpy) once per case, in an order that rotates between rounds. Per case:
the median wall time of the whole run (process start to exit; through a
debugger, launch request to `terminated`) and of the program's own timed
part (its BENCH line), and the ratio to plain of the same round: median and
min-max over rounds.

Breakpoints go into functions of the libraries that the program never calls
(found by one profiled plain run: `sys.setprofile` call events), on the first
statement of the function body: set, verified, never hit.

The 3.11 `instrumented` backend's instrumentation cache on disk
(docs/runtime.md) lives in a temporary $DAPPER_CACHE_DIR of this run (never
the user's): with --disk-cache warm (default) the first round fills it and
later rounds read it, as a second debugging session would; cold empties it
before every dapper run (each one compiles and writes).

--install-realworld runs `apt-get install -y python3-django python3-numpy
python3-scipy python3-pandas python3-pytest` (refused when CI is set).
--write replaces the `<!-- realworld:begin -->` ... `<!-- realworld:end -->`
section of that file (appended when missing); bench/run.py keeps it.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "realworld"))
import dap_bench as db  # noqa: E402
import gen  # noqa: E402
import rounds  # noqa: E402
from rounds import (DEBIAN_DIST, DEBIAN_PURE, DEBUGPY_ADAPTER,  # noqa
                    add_pythonpath, called_functions, debian_pure_path,
                    debugpy_version, log,
                    package_dir, uncalled_lines)

DEBIAN_PACKAGES = ["python3-django", "python3-numpy", "python3-scipy",
                   "python3-pandas", "python3-pytest"]
NEEDS = {"django": ["django"], "sci": ["numpy", "scipy", "pandas"],
         "pytest": ["pytest"]}
SECTION = "realworld"

# Library files that get breakpoints, relative to the package's directory.
DJANGO_FILES = [
    "db/models/base.py", "db/models/query.py", "db/models/manager.py",
    "db/models/fields/__init__.py", "db/models/fields/related.py",
    "db/models/sql/query.py", "db/models/sql/compiler.py",
    "db/models/expressions.py", "db/models/lookups.py",
    "db/models/aggregates.py", "db/models/query_utils.py",
    "db/models/deletion.py", "db/models/options.py",
    "test/testcases.py", "test/client.py", "http/request.py",
    "http/response.py", "urls/resolvers.py", "core/handlers/base.py",
]
SCI_FILES = [
    ("numpy", "core/fromnumeric.py"), ("numpy", "lib/function_base.py"),
    ("scipy", "optimize/_minimize.py"), ("pandas", "core/frame.py"),
    ("pandas", "core/reshape/merge.py"),
]

# (program, case title, breakpoint count)
CASES = [
    ("django", "Django test suite (100 tests), no breakpoint", 0),
    ("django", "Django test suite, 50 breakpoints in 19 Django files "
     "(not hit)", 50),
    ("sci", "NumPy/SciPy/pandas script, no breakpoint", 0),
    ("sci", "NumPy/SciPy/pandas script, 10 breakpoints in 5 library files "
     "(not hit)", 10),
    ("pytest", "pytest suite (610 tests), no breakpoint", 0),
]

def missing_modules(python, program):
    return rounds.missing_modules(python, NEEDS[program])


def install_realworld():
    rounds.apt_install(DEBIAN_PACKAGES, "--install-realworld")


def breakpoints(python, program, runner, count):
    """{path: [{"line": n}]} with `count` breakpoints never hit."""
    if program == "django":
        base = package_dir(python, "django")
        files = [os.path.join(base, f) for f in DJANGO_FILES]
    else:
        files = [os.path.join(package_dir(python, pkg), f)
                 for pkg, f in SCI_FILES]
    files = [f for f in files if os.path.exists(f)]
    called = called_functions(python, runner)
    bps = {}
    left = count
    for i, f in enumerate(files):
        want = -(-left // (len(files) - i))  # spread the rest evenly
        lines = uncalled_lines(f, called, want)
        if lines:
            bps[f] = [{"line": n} for n in lines]
            left -= len(lines)
    return bps


def run_one(config, adapter, python, runner, bps):
    """(whole-run seconds, program's own seconds, its set-up seconds) or
    raises RuntimeError."""
    cwd = os.path.dirname(runner)
    if config == "dapper" and DISK_COLD:
        shutil.rmtree(os.environ["DAPPER_CACHE_DIR"], ignore_errors=True)
    t0 = time.monotonic()
    if config == "plain":
        b, err = db.run_plain([python], runner, [], timeout=900, cwd=cwd)
        unexpected = 0
    else:
        cmd = ([os.path.abspath(adapter)] if config == "dapper"
               else DEBUGPY_ADAPTER)
        s = db.Session(config, cmd, python, runner, [], bps=bps,
                       deadline=900, cwd=cwd).run()
        b, err = s.bench, s.launch_error or s.error
        unexpected = s.unexpected_stops
        if b is not None and bps and s.all_verified() is False:
            err = "breakpoints not verified: %s" % sorted(
                k for k, v in s.verified.items() if not v)[:5]
            b = None
    wall = time.monotonic() - t0
    if b is None:
        raise RuntimeError(err or "no BENCH line")
    if unexpected:
        raise RuntimeError("stopped %d times (breakpoints should not be hit)"
                           % unexpected)
    if b.get("failures") or b.get("rc"):
        raise RuntimeError("the program's tests failed: %s" % b)
    setup = b.get("setup_ns", b.get("imports_ns", 0))
    return wall, b["ns"] / 1e9, setup / 1e9


def ratio_text(xs):
    return rounds.spread_text(xs, "%.2f", prefix="×")


def report(o, version, configs, cases, samples, errors, bp_files, unavail,
           load):
    L = ["<!-- %s:begin -->" % SECTION, "## Real programs" + (
        "" if o.python == "/usr/bin/python3" else
        ", Python " + ".".join(version.split(".")[:2])), "",
         "Generated by `bench/realworld.py` (kept when `bench/run.py` "
         "rewrites this page). Command: `python3 bench/realworld.py "
         "--adapter %s%s --rounds %d --write docs/performance.md`." % (
             o.adapter, "" if o.python == "/usr/bin/python3"
             else " --python " + o.python, o.rounds), "",
         "Python %s (`%s`), %s; dapper with its default backend, debugpy %s "
         "(`/usr/bin/python3 -m debugpy.adapter`, `justMyCode: false`). "
         "%d interleaved rounds. *whole run*: process start to exit "
         "(through a debugger: `launch` request to `terminated`); *program*: "
         "the part the program times itself (the test run, or the script "
         "after its imports); *set-up*: what it times before that part "
         "(imports, `django.setup()`; the runtime's own start-up, which runs "
         "in `sitecustomize` before the program, is in neither). Ratios: median over rounds of debugger / plain "
         "in the same round, (min-max)." % (
             version, o.python, platform.machine(), o.debugpy or "n/a",
             o.rounds), "",
         "Machine load: %s. The machine (2 cores) was shared with other "
         "work during the run, so the wall times carry its noise; the "
         "ratios' spread shows how much." % load, ""]
    L += ["| case | config | whole run, median s | × plain | program, "
          "median s | × plain | set-up, median s |",
          "|---|---|---|---|---|---|---|"]
    for key, title, _n in cases:
        for config in configs:
            s = samples.get((key, config))
            if not s or not s["wall"]:
                why = "; ".join(errors.get((key, config), [])) or "not run"
                L.append("| %s | %s | n/a: %s | | | | |" % (
                    title, config, why))
                continue
            if config == "plain":
                rw = rp = "1"
            else:
                rw = ratio_text(s["rwall"])
                rp = ratio_text(s["rprog"])
            L.append("| %s | %s | %.2f | %s | %.2f | %s | %.2f |" % (
                title, config, statistics.median(s["wall"]), rw,
                statistics.median(s["prog"]), rp,
                statistics.median(s["setup"])))
    L.append("")
    for key, files in bp_files.items():
        L.append("Breakpoints of \"%s\" (first statement of functions the "
                 "program never calls): %s." % (key, ", ".join(
                     "`%s` (%d)" % (f, n) for f, n in files)))
        L.append("")
    for program, why in unavail.items():
        L.append("- %s: not run: %s" % (program, why))
    if getattr(o, "debian_paths", None):
        L.append("- %s has no Django or pytest of its own (a pyenv build, no "
                 "PyPI access here): its runs import Debian's pure-Python "
                 "packages from `%s`, copied and byte-compiled for it by "
                 "the bench, through `PYTHONPATH=%s`, plain and debugged "
                 "alike." % (
                     version, DEBIAN_DIST, ", ".join(o.debian_paths)))
    elif o.python == "/usr/bin/python3":
        L.append("- 3.12 and 3.13 (pyenv builds, no PyPI access here): "
                 "`--python` with their interpreter runs the Django and "
                 "pytest programs with Debian's pure-Python packages; "
                 "NumPy, SciPy and pandas are C extensions built for "
                 "Debian's 3.11 only.")
    probs = [(k, v) for k, v in errors.items() if v]
    if probs:
        L.append("")
        L.append("Problems seen during the run:")
        for (key, config), texts in probs:
            for t in texts:
                L.append("- %s / %s: %s" % (key, config, t))
    L.append("<!-- %s:end -->" % SECTION)
    return "\n".join(L) + "\n"


def write(path, block):
    rounds.replace_section(path, SECTION, block)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--python", default="/usr/bin/python3")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--programs", default="django,sci,pytest")
    ap.add_argument("--no-debugpy", action="store_true")
    ap.add_argument("--install-realworld", action="store_true",
                    help="apt-get install Debian's python3-django, -numpy, "
                    "-scipy, -pandas, -pytest first (never in CI)")
    ap.add_argument("--workdir", help="where to generate the programs "
                    "(default: a directory under $TMPDIR)")
    ap.add_argument("--write", metavar="PATH")
    ap.add_argument("--disk-cache", choices=("warm", "cold"), default="warm")
    o = ap.parse_args()
    global DISK_COLD
    DISK_COLD = o.disk_cache == "cold"
    os.environ["DAPPER_CACHE_DIR"] = tempfile.mkdtemp(prefix="realworld-cache.")
    try:
        run(o)
    finally:
        shutil.rmtree(os.environ["DAPPER_CACHE_DIR"], ignore_errors=True)


DISK_COLD = False


def run(o):
    if o.install_realworld:
        install_realworld()
    o.debugpy = None if o.no_debugpy else debugpy_version()
    configs = ["plain", "dapper"] + (["debugpy"] if o.debugpy else [])
    version = subprocess.run(
        [o.python, "-c", "import platform;print(platform.python_version())"],
        stdout=subprocess.PIPE, timeout=60).stdout.decode().strip()
    global SECTION
    if o.python != "/usr/bin/python3":  # its own section of the page
        SECTION = "realworld-py" + ".".join(version.split(".")[:2])
    root = o.workdir or os.path.join(tempfile.gettempdir(),
                                     "dapper-realworld")
    runners = gen.generate(root)
    runners["sci"] = os.path.join(HERE, "realworld", "sci.py")
    wanted = o.programs.split(",")
    unavail = {}
    debian_paths = []
    cases = []
    for key, title, n in CASES:
        if key not in wanted:
            continue
        if key not in unavail:
            miss = missing_modules(o.python, key)
            if miss and o.python != "/usr/bin/python3" and key in DEBIAN_PURE:
                try:
                    d = debian_pure_path(o.python, key, version)
                except RuntimeError as e:
                    unavail[key] = str(e)
                    continue
                if d is not None:
                    add_pythonpath(d)
                    if d not in debian_paths:
                        debian_paths.append(d)
                    miss = missing_modules(o.python, key)
            if miss and key == "sci" and o.python != "/usr/bin/python3":
                unavail[key] = "%s has no %s: %s" % (
                    o.python, ", ".join(miss), rounds.C_EXTENSIONS_REASON)
            elif miss:
                unavail[key] = "%s has no %s (--install-realworld installs " \
                    "Debian's packages for /usr/bin/python3)" % (
                        o.python, ", ".join(miss))
        if key not in unavail:
            cases.append((key, title, n))
    bps, bp_files = {}, {}
    for key, title, n in cases:
        if n:
            log("finding %d breakpoint lines for %s" % (n, key))
            bps[(key, n)] = breakpoints(o.python, key, runners[key], n)
            bp_files[title] = [(re.split(r"[ds][ei][st][te]-packages/|"
                                         r"dapper-realworld-debian-py[0-9.]+/",
                                         f)[-1],
                                len(v)) for f, v in bps[(key, n)].items()]
            total = sum(len(v) for v in bps[(key, n)].values())
            log("  %d breakpoints in %d files" % (total, len(bps[(key, n)])))
    samples, errors = {}, {}

    def run(r, case, config):
        key, title, n = case
        try:
            got = run_one(config, o.adapter, o.python, runners[key],
                          bps.get((key, n)))
        except RuntimeError as e:
            lst = errors.setdefault(((key, n), config), [])
            if str(e) not in lst:
                lst.append(str(e))
            log("round %d %s %s: %s" % (r, key, config, e))
            return None
        log("round %d %-8s %-7s bps=%-2d whole %.2f s, program %.2f s, "
            "set-up %.2f s" % (r, key, config, n, *got))
        return got

    for _r, (key, title, n), got in rounds.interleaved(
            o.rounds, cases, lambda case: configs, run):
        for config, (w, p, su) in got.items():
            s = samples.setdefault((title, config), {
                "wall": [], "prog": [], "setup": [], "rwall": [],
                "rprog": []})
            s["wall"].append(w)
            s["prog"].append(p)
            s["setup"].append(su)
            if config != "plain" and "plain" in got:
                s["rwall"].append(w / got["plain"][0])
                s["rprog"].append(p / got["plain"][1])
    load = "load average %s at the end" % " ".join(
        "%.1f" % x for x in os.getloadavg())
    errs = {}
    for ((key, n), config), v in errors.items():
        title = next(t for k, t, m in cases if k == key and m == n)
        errs[(title, config)] = v
    o.debian_paths = debian_paths
    text = report(o, version, configs, [(t, t, n) for _k, t, n in cases],
                  samples, errs, bp_files, unavail, load)
    print(text)
    if o.write:
        write(o.write, text)
    with open(os.path.join(tempfile.gettempdir(),
                           "dapper-realworld-last.json"), "w") as f:
        json.dump({"%s|%s" % k: v for k, v in samples.items()}, f)


if __name__ == "__main__":
    main()
