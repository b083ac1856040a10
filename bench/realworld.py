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
import ast
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

DEBIAN_PACKAGES = ["python3-django", "python3-numpy", "python3-scipy",
                   "python3-pandas", "python3-pytest"]
NEEDS = {"django": ["django"], "sci": ["numpy", "scipy", "pandas"],
         "pytest": ["pytest"]}
SECTION = "realworld"
DEBUGPY_ADAPTER = ["/usr/bin/python3", "-m", "debugpy.adapter"]

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

PROBE = r'''
import json, runpy, sys, threading
called = set()
def prof(frame, event, arg):
    if event == "call":
        c = frame.f_code
        called.add((c.co_filename, c.co_firstlineno))
sys.setprofile(prof)
threading.setprofile(prof)
sys.argv = [sys.argv[2]]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit:
    pass
finally:
    sys.setprofile(None)
    with open(sys.argv_out, "w") as f:
        json.dump(sorted(called), f)
'''


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def missing_modules(python, program):
    code = ("import importlib.util,sys;"
            "print(' '.join(m for m in sys.argv[1:] "
            "if importlib.util.find_spec(m) is None))")
    p = subprocess.run([python, "-c", code] + NEEDS[program],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       timeout=60)
    return p.stdout.decode().split()


# Debian's pure-Python packages the Django and pytest programs import (some
# only optionally); given to another interpreter (pyenv 3.12/3.13, no PyPI
# here) by debian_pure_path (copied, byte-compiled). NumPy/SciPy/pandas are C extensions built for
# Debian's 3.11 only.
DEBIAN_DIST = "/usr/lib/python3/dist-packages"
DEBIAN_PURE = {
    "django": ["django", "asgiref", "sqlparse", "pytz", "jinja2",
               "markupsafe", "yaml"],
    "pytest": ["pytest", "_pytest", "pluggy", "iniconfig", "py", "attr",
               "packaging"],
}
# Imported to check that the copies work there (Debian's Django 3.2 imports
# `cgi`, which Python 3.13 no longer has, from django.http).
DEBIAN_CHECK = {"django": ["django", "django.http", "django.test"]}
# What Debian's debugpy (its adapter runs on /usr/bin/python3) needs in the
# debuggee besides itself: its pydevd imports the unbundled `bytecode`.
DEBIAN_DEBUGPY = ["bytecode"]


def debian_pure_path(python, program, version):
    """A directory with copies of Debian's pure-Python packages `program`
    needs, byte-compiled for `python` (an interpreter that lacks them), or
    None (nothing to copy); RuntimeError when they do not import there. Copies rather than
    links: the byte code goes into their own `__pycache__` (Debian ships
    3.11's only; without it every run would compile Django or pytest from
    source, and PYTHONPYCACHEPREFIX would hide the runtime's own byte code
    too). Put on PYTHONPATH of every run, plain and debugged alike."""
    names = DEBIAN_PURE.get(program)
    if not names or not os.path.isdir(DEBIAN_DIST):
        return None
    d = os.path.join(tempfile.gettempdir(),
                     "dapper-realworld-debian-py%s" % version)
    os.makedirs(d, exist_ok=True)
    made = []
    for name in names + DEBIAN_DEBUGPY:
        for entry in (name, name + ".py"):
            src = os.path.join(DEBIAN_DIST, entry)
            dst = os.path.join(d, entry)
            if not os.path.exists(src) or os.path.lexists(dst):
                continue
            if os.path.isdir(src):
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns(
                    "__pycache__"))
            else:
                shutil.copy2(src, dst)
            made.append(dst)
    if made:
        log("copied %s into %s; compiling them for %s" % (
            ", ".join(os.path.basename(m) for m in made), d, python))
        subprocess.run([python, "-m", "compileall", "-q", "-j0"] + made,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=1800)
    env = dict(os.environ, PYTHONPATH=d)
    p = subprocess.run([python, "-c", "import " + ", ".join(
        DEBIAN_CHECK.get(program, NEEDS[program]))], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        lines = p.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError("Debian's packages do not import on %s: %s" % (
            python, lines[-1] if lines else "exit %d" % p.returncode))
    return d


def install_realworld():
    if os.environ.get("CI"):
        log("--install-realworld: refused under CI (CI is set)")
        return
    cmd = ["apt-get", "install", "-y"] + DEBIAN_PACKAGES
    if os.geteuid() != 0 and shutil.which("sudo"):
        cmd = ["sudo"] + cmd
    log("running: " + " ".join(cmd))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(cmd, env=env, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as e:
        log("apt-get failed: %s" % e)


def package_dir(python, name):
    p = subprocess.run([python, "-c", "import %s, os; print(os.path.dirname("
                        "%s.__file__))" % (name, name)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       timeout=120)
    return p.stdout.decode().strip() or None


def called_functions(python, program, cwd):
    """(filename, first line) of every code object the program calls."""
    fd, out = tempfile.mkstemp(suffix=".json", prefix="dapper-rw-probe-")
    os.close(fd)
    try:
        code = PROBE.replace("sys.argv_out", repr(out))
        subprocess.run([python, "-c", code, "probe", program], cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=900)
        with open(out) as f:
            return {(a, b) for a, b in json.load(f)}
    finally:
        os.unlink(out)


def uncalled_lines(path, called, want):
    """Up to `want` lines: the first statement of functions in `path` that
    were never called, spread over the file."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        if (path, first) in called or (path, node.lineno) in called:
            continue
        body = node.body
        if (body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            body = body[1:]
        if body:
            found.append(body[0].lineno)
    found.sort()
    if len(found) <= want:
        return found
    step = len(found) / want
    return [found[int(i * step)] for i in range(want)]


def breakpoints(python, program, runner, count):
    """{path: [{"line": n}]} with `count` breakpoints never hit."""
    if program == "django":
        base = package_dir(python, "django")
        files = [os.path.join(base, f) for f in DJANGO_FILES]
    else:
        files = [os.path.join(package_dir(python, pkg), f)
                 for pkg, f in SCI_FILES]
    files = [f for f in files if os.path.exists(f)]
    called = called_functions(python, runner, os.path.dirname(runner))
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


def debugpy_version():
    try:
        p = subprocess.run(["/usr/bin/python3", "-m", "debugpy", "--version"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=60,
                           env=dict(os.environ,
                                    PYDEVD_DISABLE_FILE_VALIDATION="1"))
        return p.stdout.decode().strip() if p.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def ratio_text(xs):
    if not xs:
        return "n/a"
    return "%.2f× (%.2f-%.2f)" % (statistics.median(xs), min(xs), max(xs))


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
    begin, end = "<!-- %s:begin -->" % SECTION, "<!-- %s:end -->" % SECTION
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end)
        text = text[:a] + block.rstrip("\n") + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


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
                    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
                    if d not in paths:
                        os.environ["PYTHONPATH"] = os.pathsep.join(
                            [p for p in paths + [d] if p])
                    if d not in debian_paths:
                        debian_paths.append(d)
                    miss = missing_modules(o.python, key)
            if miss and key == "sci" and o.python != "/usr/bin/python3":
                unavail[key] = "%s has no %s: Debian's are C extensions " \
                    "built for its Python 3.11 (no PyPI here)" % (
                        o.python, ", ".join(miss))
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
    for r in range(o.rounds):
        for ci, (key, title, n) in enumerate(cases):
            order = configs[(r + ci) % len(configs):] + \
                configs[:(r + ci) % len(configs)]
            got = {}
            for config in order:
                try:
                    got[config] = run_one(config, o.adapter, o.python,
                                          runners[key], bps.get((key, n)))
                    log("round %d %-8s %-7s bps=%-2d whole %.2f s, "
                        "program %.2f s, set-up %.2f s" % (
                            r, key, config, n, *got[config]))
                except RuntimeError as e:
                    errors.setdefault(((key, n), config), [])
                    if str(e) not in errors[((key, n), config)]:
                        errors[((key, n), config)].append(str(e))
                    log("round %d %s %s: %s" % (r, key, config, e))
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
