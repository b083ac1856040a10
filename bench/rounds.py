"""What bench/realworld.py and bench/seed_tables.py share: interleaved
rounds in a rotating order, median (min-max) formatting, debugpy's
presence, Debian's pure-Python packages copied for another interpreter, and
the lines of library functions a program never calls (breakpoints that are
set, verified and never hit). Standard library only."""

import ast
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

SYSTEM_PYTHON = "/usr/bin/python3"
DEBUGPY_ADAPTER = [SYSTEM_PYTHON, "-m", "debugpy.adapter"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def med(xs):
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------------------
# Rounds
# ---------------------------------------------------------------------------

def rotation(items, k):
    """`items` rotated left by k (mod its length)."""
    items = list(items)
    if not items:
        return items
    k %= len(items)
    return items[k:] + items[:k]


def interleaved(rounds, cases, configs_of, run, rounds_of=None,
                on_round=None):
    """Every round runs each case's configurations once, in an order that
    rotates with the round and the case, so that no configuration always
    runs first, last or after the same other one. `configs_of(case)`: its
    configurations (none: the case is left out); `run(r, case, config)`:
    a result, or None when the run failed; `rounds_of(case)`: its number
    of rounds when fewer than `rounds`. Yields (round, case, {config:
    result}) after each case of each round (ratios pair the results of
    one round). `on_round(r)` is called as each round starts."""
    for r in range(rounds):
        if on_round is not None:
            on_round(r)
        for ci, case in enumerate(cases):
            if rounds_of is not None and r >= (rounds_of(case) or rounds):
                continue
            configs = configs_of(case)
            if not configs:
                continue
            got = {}
            for config in rotation(configs, r + ci):
                result = run(r, case, config)
                if result is not None:
                    got[config] = result
            yield r, case, got


def spread_text(xs, f="%.1f", scale=1.0, prefix=""):
    """median (min-max) of xs; one value alone; "n/a" without any."""
    if not xs:
        return "n/a"
    xs = [x * scale for x in xs]
    if len(xs) == 1:
        return prefix + f % xs[0]
    return prefix + (f + " (" + f + "-" + f + ")") % (
        med(xs), min(xs), max(xs))


def replace_section(path, section, block, insert=None):
    """Replaces the `<!-- section:begin -->` ... `<!-- section:end -->`
    part of the file at `path` with `block`; without those markers,
    `insert(text, block)` gives the new text (default: appended)."""
    begin, end = "<!-- %s:begin -->" % section, "<!-- %s:end -->" % section
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end)
        text = text[:a] + block.rstrip("\n") + text[b:]
    elif insert is not None:
        text = insert(text, block)
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


# ---------------------------------------------------------------------------
# debugpy and Debian's packages
# ---------------------------------------------------------------------------

def debugpy_version():
    """Debian's debugpy for SYSTEM_PYTHON, or None."""
    try:
        p = subprocess.run([SYSTEM_PYTHON, "-m", "debugpy", "--version"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=60, env=dict(
                               os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1"))
        return p.stdout.decode().strip() if p.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def apt_install(packages, option):
    """`apt-get install -y packages` (with sudo when not root), for the
    command-line option `option`; refused when CI is set."""
    if os.environ.get("CI"):
        log("%s: refused under CI (CI is set)" % option)
        return
    cmd = ["apt-get", "install", "-y"] + list(packages)
    if os.geteuid() != 0 and shutil.which("sudo"):
        cmd = ["sudo"] + cmd
    log("running: " + " ".join(cmd))
    try:
        subprocess.run(cmd, env=dict(os.environ,
                                     DEBIAN_FRONTEND="noninteractive"),
                       timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as e:
        log("apt-get failed: %s" % e)


def missing_modules(python, modules):
    """The modules of `modules` that `python` cannot import (found by
    importlib.util.find_spec, with the current environment)."""
    code = ("import importlib.util,sys;"
            "print(' '.join(m for m in sys.argv[1:] "
            "if importlib.util.find_spec(m) is None))")
    p = subprocess.run([python, "-c", code] + list(modules),
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       timeout=60)
    return p.stdout.decode().split()


# Debian's pure-Python packages the Django and pytest programs import (some
# only optionally); given to another interpreter (pyenv 3.12/3.13, no PyPI
# here) by debian_pure_path (copied, byte-compiled). NumPy/SciPy/pandas are
# C extensions built for Debian's 3.11 only.
DEBIAN_DIST = "/usr/lib/python3/dist-packages"
DEBIAN_PURE = {
    "django": ["django", "asgiref", "sqlparse", "pytz", "jinja2",
               "markupsafe", "yaml"],
    "pytest": ["pytest", "_pytest", "pluggy", "iniconfig", "py", "attr",
               "packaging"],
}
# Imported to check that the copies work there (Debian's Django 3.2 imports
# `cgi`, which Python 3.13 no longer has, from django.http).
DEBIAN_CHECK = {"django": ["django", "django.http", "django.test"],
                "pytest": ["pytest"]}
# What Debian's debugpy (its adapter runs on /usr/bin/python3) needs in the
# debuggee besides itself: its pydevd imports the unbundled `bytecode`.
DEBIAN_DEBUGPY = ["bytecode"]
# NumPy, SciPy and pandas: why another interpreter has none.
C_EXTENSIONS_REASON = ("Debian's are C extensions built for its Python 3.11 "
                       "(no PyPI here)")


def debian_pure_path(python, program, version):
    """A directory with copies of Debian's pure-Python packages `program`
    ("django", "pytest") needs, byte-compiled for `python` (an interpreter
    that lacks them), or None (nothing to copy); RuntimeError when they do
    not import there. Copies rather than links: the byte code goes into
    their own `__pycache__` (Debian ships 3.11's only; without it every run
    would compile Django or pytest from source, and PYTHONPYCACHEPREFIX
    would hide the runtime's own byte code too). Put on PYTHONPATH of every
    run, plain and debugged alike."""
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
        DEBIAN_CHECK.get(program, [program]))], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        lines = p.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError("Debian's packages do not import on %s: %s" % (
            python, lines[-1] if lines else "exit %d" % p.returncode))
    return d


def add_pythonpath(d):
    """Appends `d` to this process's PYTHONPATH (inherited by every run)."""
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if d not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [p for p in paths + [d] if p])


def package_dir(python, name):
    p = subprocess.run([python, "-c", "import %s, os; print(os.path.dirname("
                        "%s.__file__))" % (name, name)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       timeout=120)
    return p.stdout.decode().strip() or None


# ---------------------------------------------------------------------------
# Lines a program never runs
# ---------------------------------------------------------------------------

PROBE = r'''
import json, os, runpy, sys, threading
out, program = sys.argv[1], sys.argv[2]
called = set()
def prof(frame, event, arg):
    if event == "call":
        c = frame.f_code
        called.add((c.co_filename, c.co_firstlineno))
sys.argv = [program] + sys.argv[3:]
sys.path[0] = os.path.dirname(program)
sys.setprofile(prof)
threading.setprofile(prof)
try:
    runpy.run_path(program, run_name="__main__")
except SystemExit:
    pass
finally:
    sys.setprofile(None)
    with open(out, "w") as f:
        json.dump(sorted(called), f)
'''


def called_functions(python, program, args=(), cwd=None):
    """(filename, first line) of every code object the program calls (one
    run under sys.setprofile/threading.setprofile)."""
    fd, out = tempfile.mkstemp(suffix=".json", prefix="dapper-bench-probe-")
    os.close(fd)
    try:
        subprocess.run([python, "-c", PROBE, out, program] +
                       [str(a) for a in args],
                       cwd=cwd or os.path.dirname(program),
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
    return spread(found, want)


def spread(lines, n):
    """n of `lines`, evenly spread (all of them when there are no more)."""
    if n >= len(lines):
        return list(lines)
    step = len(lines) / n
    return [lines[int(i * step)] for i in range(n)]
