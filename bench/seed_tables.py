#!/usr/bin/env python3
"""The frame-evaluation model's tables, measured (`bench/run.py
--seed-tables`): 1,000,000 calls; 10,000 breakpoint checks; memory with 100
breakpoints; a Django site with 50 breakpoints over 20 files; NumPy/SciPy
with 10; a pandas pipeline with 25; overhead by breakpoint density per file;
threads 1-16; memory at 10-1,000 breakpoints; start-up and memory for code
bases of 1k-1M lines. Each row: plain, bdb, this runtime's `tracing`
(`selective_tracing: false`), the default backend (`auto`), every other
backend, and debugpy where it runs; the runtime's statistics for the run.

    python3 bench/run.py --seed-tables --adapter build/release/adapter/dapper-adapter \\
        [--quick] [--python PATH ...] [--rounds N] [--only a,b] [--callgrind] \\
        [--install-packages] [--write docs/performance.md]

See bench/README.md ("Seed tables"). Standard library (+ matplotlib for the
plots, Django/NumPy/SciPy/pandas for those three scenarios, when present).
"""

import argparse
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEED = os.path.join(HERE, "seed")
sys.path.insert(0, HERE)
sys.path.insert(0, SEED)

import dap_bench as db  # noqa: E402
import gencode  # noqa: E402
import rounds  # noqa: E402
from rounds import (DEBUGPY_ADAPTER, SYSTEM_PYTHON, debugpy_version,  # noqa
                    log, med, spread)
WRAP = os.path.join(SEED, "wrap.py")
SECTION = "seed-tables"
NOISE_MARGIN = 0.03
CG_SECTION = "seed-callgrind"
PACKAGES = ["python3-django", "python3-numpy", "python3-scipy",
            "python3-pandas", "python3-debugpy", "python3-matplotlib"]

# The published numbers of the frame-evaluation model (the seed).
SEED_NUMBERS = {
    "overhead": "20-100 % slowdown",
    "calls": "890 ns per call",
    "memory": "+10 MB",
    "density": "degrades above 100 breakpoints per file",
}

FAMILIES = ("calls", "checks", "django", "numeric", "pandas", "density",
            "threads", "memory", "codebase")
DENSITY = (10, 50, 100, 250, 500)
THREADS = (1, 2, 4, 8, 16)
MEMORY_BPS = (0, 10, 50, 100, 500, 1000)
CODEBASES = (1000, 10000, 100000, 1000000)
# Rounds per case or family (the --rounds default, 3, elsewhere): what the
# targets compare gets 3 rounds, the other sweep levels 2, the memory levels
# besides 100 one (their number is the RSS). bdb and debugpy run in the
# first round only (SLOW_CONFIGS), so a later round costs the dapper
# configurations' runs alone: about 9 minutes for the whole run on 2 idle
# cores (the CPU seconds of a run at load 12, bench/README.md "Time").
ROUNDS = {"density": 2, "density10": 3, "density500": 3,
          "threads": 2, "threads1": 3, "threads16": 3,
          "memory": 1, "memory100": 2, "codebase": 1}
# 1M lines: the program does not import the code base (importing it took
# 173 s on 3.11 `instrumented`), it only starts; debugpy is left out.
BIG_CODEBASE_SKIP = {
    "debugpy": "not run at 1M lines: its setBreakpoints of 1,000 files "
               "took 65 s per session (at load 10-16)"}
# --quick: bdb under Django, NumPy/SciPy and pandas (their imports and
# set-up traced by a Python trace function) took half of the smoke test;
# the loop scenarios check the bdb runs.
QUICK_LIBRARY_SKIP = {"bdb": "not run with --quick (the loop scenarios "
                             "check bdb)"}
# Configurations 10-400 times slower than plain on the loops (a trace
# function in Python): they run in the first SLOW_ROUNDS rounds of a case
# only (one sample: their ratios need no 3 % precision), which halves the
# run's time.
SLOW_CONFIGS = ("bdb", "debugpy")
# Seconds for the runs (--budget): the first round always runs whole; a
# later round of a case that took longer than what is left is skipped and
# reported, so that the whole run stays under 20 minutes.
BUDGET = 1020
SLOW_ROUNDS = 1
# ... and with 1/10 (density 1/50, memory 1/20) of the calls of the loops
# (`slow_args`: 1,000,000 calls, checks, density, threads, memory): their
# number is per call (or per loop of the checks), the same at either size,
# and 1,000,000 calls under bdb take 8-25 s on a loaded machine.


# ---------------------------------------------------------------------------
# Sizes
# ---------------------------------------------------------------------------

class Sizes:
    def __init__(self, quick):
        self.quick = quick
        if quick:
            self.calls = 100000
            self.checks_reps = 5
            self.django_requests = 12
            self.numeric_scale = 0.05
            self.pandas_rows = 5000
            self.density_rounds = 20
            self.density = (500,)
            self.threads = (2,)
            self.thread_calls = 40000
            self.memory_bps = (0, 100)
            self.memory_rounds = 2
            self.codebases = (1000, 10000)
        else:
            self.calls = 1000000
            self.checks_reps = 50
            self.django_requests = 120
            self.numeric_scale = 0.3
            self.pandas_rows = 200000
            self.density_rounds = 2000
            self.density = DENSITY
            self.threads = THREADS
            self.thread_calls = 1000000
            self.memory_bps = MEMORY_BPS
            self.memory_rounds = 100
            self.codebases = CODEBASES

    def text(self):
        return ("1,000,000-calls table: N = {:,} calls (`hot.py`); checks: "
                "10,000-iteration loop, median of {} repetitions; Django: {} "
                "requests; NumPy/SciPy: scale {} (matrices {}², FFT 2^19·scale "
                "points, Lorenz ODE over 20·scale time units); pandas: {:,} "
                "CSV rows; density: 520 functions called {} times; threads: "
                "{:,} calls in total; memory: 1,200 functions called {} times; "
                "code bases: {} lines{}".format(
                    self.calls, self.checks_reps, self.django_requests,
                    self.numeric_scale, max(32, int(300 * self.numeric_scale)),
                    self.pandas_rows, self.density_rounds, self.thread_calls,
                    self.memory_rounds,
                    ", ".join("{:,}".format(x) for x in self.codebases),
                    "" if self.quick else
                    ". {} (10-400 times slower than plain in the loops): "
                    "1/10 of the loops' calls (1,000,000 calls, checks' "
                    "repetitions, threads; density 1/50, memory 1/20: their "
                    "numbers are per call, or per loop, so the same at "
                    "either size; their CPU s is of the smaller run) and in "
                    "the first {} round{} of each case only".format(
                        " and ".join(SLOW_CONFIGS),
                        SLOW_ROUNDS, "" if SLOW_ROUNDS == 1 else "s")))


# ---------------------------------------------------------------------------
# Interpreters and configurations
# ---------------------------------------------------------------------------

class Interp:
    def __init__(self, path, version, minor):
        self.path, self.version, self.minor = path, version, minor
        self.configs = []
        self.auto_backend = None
        self.missing = {}   # module -> True when not importable
        self.unavailable = {}  # module -> why the interpreter has none
        self.env = {}       # case family -> environment of its runs
        self.debian = {}    # case family -> copy of Debian's packages

    def is_system(self):
        try:
            return os.path.realpath(self.path) == os.path.realpath(
                SYSTEM_PYTHON)
        except OSError:
            return False


def debian_django(interps, setup_seconds):
    """Django for the interpreters that lack it (pyenv 3.12/3.13): Debian's
    pure-Python Django copied and byte-compiled for them
    (rounds.debian_pure_path), on PYTHONPATH of their Django runs; when it
    does not import there (3.13: Debian's Django 3.2 imports `cgi`), the
    reason is printed and the scenario reported skipped with it."""
    t0 = time.monotonic()
    for it in interps:
        if "django" not in it.missing or it.is_system():
            continue
        try:
            d = rounds.debian_pure_path(it.path, "django", it.version)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            why = " ".join(str(e).split())
            if why.startswith("Debian's packages do not import on"):
                why = why.split(": ", 1)[-1]
            it.unavailable["django"] = (
                "%s has no Django, and Debian's pure-Python Django does not "
                "import there: %s" % (it.path, why))
            log("Django on %s: %s" % (it.version, it.unavailable["django"]))
            continue
        if d is None:
            continue
        log("Django on %s: Debian's pure-Python copy in %s" % (it.version, d))
        it.missing.pop("django", None)
        it.env["django"] = {"PYTHONPATH": d}
        it.debian["django"] = d
    add_seconds(setup_seconds, "django", time.monotonic() - t0)


def case_bps(it, case):
    """The case's breakpoints for `it`: found on /usr/bin/python3's
    packages; for a copy of Debian's packages (debian_django), the same
    lines of the same files in the copy."""
    d = it.debian.get(case["family"])
    if not d:
        return case["bps"]
    base = rounds.DEBIAN_DIST + os.sep
    return {(os.path.join(d, f[len(base):]) if f.startswith(base) else f): v
            for f, v in case["bps"].items()}


def probe(path):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return None
    p = subprocess.run(
        [path, "-c", "import platform,sys,importlib.util as u;"
         "print(platform.python_version());print(*sys.version_info[:2]);"
         "print(*[m for m in ('django','numpy','scipy','pandas') "
         "if u.find_spec(m) is None])"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        return None
    lines = p.stdout.decode().split("\n")
    it = Interp(path, lines[0].strip(),
                tuple(int(x) for x in lines[1].split()))
    it.missing = {m: True for m in lines[2].split()}
    return it


def default_pythons():
    """Debian's 3.11 and the newest pyenv 3.12 and 3.13 (`pyenv root`); a
    version not found is reported and left out."""
    try:
        root = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL,
                              timeout=10).stdout.decode().strip()
    except (OSError, subprocess.TimeoutExpired):
        root = ""
    found = ["/usr/bin/python3.11"]
    for minor in ("3.12", "3.13"):
        best = None
        if root:
            versions = os.path.join(root, "versions")
            for name in os.listdir(versions) if os.path.isdir(versions) else []:
                exe = os.path.join(versions, name, "bin", "python" + minor)
                parts = name.split(".")
                if (".".join(parts[:2]) == minor and len(parts) == 3
                        and parts[2].isdigit() and os.access(exe, os.X_OK)):
                    if best is None or int(parts[2]) > best[0]:
                        best = (int(parts[2]), exe)
        if best is None:
            log("Python %s: no pyenv %s.x found (pyenv root: %s); left out"
                % (minor, minor, root or "pyenv not found"))
        else:
            found.append(best[1])
    return found


def other_backends(minor):
    """Backends besides `tracing` and what `auto` picks."""
    return ["evalframe"]


def auto_pick(minor):
    return "monitoring" if minor >= (3, 12) else "instrumented"


def config_title(interp, config):
    if config == "dapper:auto":
        return "dapper:auto (%s)" % (interp.auto_backend or
                                     auto_pick(interp.minor))
    if config == "dapper:tracing":
        return "dapper:tracing, selective_tracing false"
    if config == "bdb":
        return "bdb (stdlib)"
    return config


# ---------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------

class SeedSession(db.Session):
    """A db.Session that launches wrap.py with frameEval settings, holds the
    debuggee at its end to ask `dapper/statistics`, and keeps any
    `dapper/statistics` events."""

    def __init__(self, *a, frame_eval=None, hold=None, env=None, **kw):
        super().__init__(*a, **kw)
        self.frame_eval = frame_eval
        self.hold = hold
        self.env = env or {}
        self.set_breakpoints_timeout = 120.0
        self.statistics = None
        self.statistics_events = []

    def launch_args(self):
        a = super().launch_args()
        if self.kind == "dapper":
            a.pop("frameEval", None)
            if self.frame_eval:
                a["frameEval"] = dict(self.frame_eval)
        env = dict(self.env)
        if self.hold and self.kind == "dapper":
            env["DAPPER_SEED_HOLD"] = self.hold
        if env:
            a["env"] = env
        return a

    def _drive_run(self, rem):
        c = self.client
        while True:
            m = c.wait_message(
                lambda m: m.get("type") == "event" and (
                    m.get("event") in ("stopped", "terminated", "exited")
                    or (m.get("event") == "output" and "SEEDEND" in (
                        (m.get("body") or {}).get("output") or ""))),
                rem.left(), "`SEEDEND`, `stopped` or `terminated`")
            ev = m.get("event")
            if ev == "output":
                if self.kind == "dapper":
                    try:
                        r = c.request("dapper/statistics", {}, rem.left(10))
                        if r.get("success"):
                            self.statistics = r.get("body")
                    except db.DapTimeout:
                        pass
                if self.hold:
                    with open(self.hold, "w"):
                        pass
                continue
            if ev != "stopped":
                break
            self.unexpected_stops += 1
            if self.unexpected_stops > 3:
                raise db.SessionError("the program stops where it should not")
            self._continue(m, rem)
        self._wait_end(rem)

    def _finish(self):
        if self.client is not None:
            self.statistics_events = [
                e.get("body") for e in self.client.events("dapper/statistics")]
        super()._finish()


def parse_tagged(text, tag):
    for line in reversed((text or "").splitlines()):
        if line.startswith(tag + " "):
            try:
                return json.loads(line[len(tag) + 1:])
            except ValueError:
                return None
    return None


class Sample:
    def __init__(self):
        self.bench = None
        self.mem = None
        self.startup_ms = None
        self.wall_s = None
        self.stats = None
        self.backend = None
        self.error = None
        self.round = None


def run_config(o, interp, config, case, workdir):
    """One run of `case` under `config`; returns a Sample."""
    s = Sample()
    program, args = case["program"], [str(a) for a in (
        case["slow_args"] if case.get("slow_args") and config in SLOW_CONFIGS
        else case["args"])]
    bps = case_bps(interp, case)
    env = interp.env.get(case["family"]) or {}
    cwd = os.path.dirname(program)
    t0 = time.monotonic_ns()
    if config in ("plain", "bdb"):
        argv = [interp.path, WRAP]
        if config == "bdb":
            bpf = os.path.join(workdir, "bps-%s.json" % case["key"])
            with open(bpf, "w") as f:
                json.dump({p: [b["line"] for b in v] for p, v in bps.items()},
                          f)
            argv += ["--bdb", bpf]
        try:
            p = subprocess.run(argv + [program] + args, cwd=cwd,
                               env=dict(os.environ, **env),
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=case["deadline"])
        except subprocess.TimeoutExpired:
            s.error = "timed out after %.0f s" % case["deadline"]
            return s
        out = p.stdout.decode("utf-8", "replace")
        s.bench = db.parse_bench(out)
        s.mem = parse_tagged(out, "SEEDMEM")
        if s.bench is None or s.mem is None:
            s.error = "exit %d, no BENCH/SEEDMEM line: %s" % (
                p.returncode, p.stderr.decode("utf-8", "replace")[-400:])
        elif s.mem.get("bdb_stops"):
            s.error = "bdb stopped %d times" % s.mem["bdb_stops"]
    else:
        hold = None
        if config == "debugpy":
            sess = SeedSession("debugpy", DEBUGPY_ADAPTER, interp.path, WRAP,
                               [program] + args, bps=bps, cwd=cwd,
                               deadline=case["deadline"], env=env)
        else:
            backend = config.split(":", 1)[1]
            fe = {}
            if backend != "auto":
                fe["backend"] = backend
            if backend == "tracing":
                fe["selective_tracing"] = False
            hold = os.path.join(workdir, "hold-%d" % time.monotonic_ns())
            sess = SeedSession("dapper", [o.adapter], interp.path, WRAP,
                               [program] + args, bps=bps, cwd=cwd,
                               deadline=case["deadline"], frame_eval=fe,
                               hold=hold, env=env)
        sess.run()
        if hold and os.path.exists(hold):
            os.unlink(hold)
        out = sess.stdout
        s.bench = sess.bench
        s.mem = parse_tagged(out, "SEEDMEM")
        s.backend = sess.backend_used
        s.stats = (sess.statistics_events[-1] if sess.statistics_events
                   else sess.statistics)
        if sess.launch_error or sess.error:
            s.error = sess.launch_error or sess.error
        elif sess.unexpected_stops:
            s.error = "stopped %d times (breakpoints must not be hit)" % (
                sess.unexpected_stops)
        elif bps and sess.all_verified() is False:
            s.error = "breakpoints not verified"
        elif s.bench is None or s.mem is None:
            s.error = "no BENCH/SEEDMEM line; stderr: %s" % (
                sess.stderr_tail[-300:])
        if config.startswith("dapper:") and s.backend:
            want = config.split(":", 1)[1]
            if want == "auto":
                interp.auto_backend = s.backend
            elif s.backend != want:
                s.error = "the runtime used %s instead" % s.backend
    s.wall_s = (time.monotonic_ns() - t0) / 1e9
    if s.mem and s.mem.get("first_ns"):
        s.startup_ms = (s.mem["first_ns"] - t0) / 1e6
    if s.bench and (s.bench.get("failures") or (s.mem or {}).get("rc")):
        s.error = "the program failed: %s rc=%s" % (
            s.bench.get("failures"), (s.mem or {}).get("rc"))
    return s


# ---------------------------------------------------------------------------
# Breakpoints on lines the programs never run
# ---------------------------------------------------------------------------

def library_breakpoints(python, program, args, packages, count, nfiles,
                        cache=None):
    """{path: [{"line": n}]}: `count` breakpoints on the first statement of
    functions the program never calls, in the `nfiles` files of `packages`
    where it calls the most functions (files it really executes). `cache`:
    a JSON file keeping the answer for the same question."""
    question = [python, program, [str(a) for a in args], packages, count,
                nfiles]
    if cache and os.path.exists(cache):
        with open(cache) as f:
            c = json.load(f)
        if c.get("question") == question:
            return c["bps"]
    bps = _library_breakpoints(python, program, args, packages, count,
                               nfiles)
    if cache:
        with open(cache, "w") as f:
            json.dump({"question": question, "bps": bps}, f)
    return bps


def _library_breakpoints(python, program, args, packages, count, nfiles):
    called = rounds.called_functions(python, program, args)
    dirs = [(rounds.package_dir(python, pkg) or "?") + os.sep
            for pkg in packages]
    per_file = {}
    for fn, _line in called:
        if any(fn.startswith(d) for d in dirs) and fn.endswith(".py"):
            per_file[fn] = per_file.get(fn, 0) + 1
    ranked = sorted(per_file, key=lambda f: (-per_file[f], f))
    cands = {}
    for f in ranked:
        if len(cands) >= nfiles:
            break
        try:
            lines = rounds.uncalled_lines(f, called, 10 ** 6)
        except (SyntaxError, OSError, UnicodeDecodeError):
            continue
        if lines:
            cands[f] = lines
    # round-robin over the files, as evenly as their candidates allow
    take = {f: 0 for f in cands}
    left = count
    while left > 0:
        progress = False
        for f in cands:
            if left > 0 and take[f] < len(cands[f]):
                take[f] += 1
                left -= 1
                progress = True
        if not progress:
            break
    return {f: [{"line": n} for n in spread(cands[f], take[f])]
            for f in cands if take[f]}


def spread_over_files(files_never, n):
    files = sorted(files_never)
    out, left = {}, n
    for i, f in enumerate(files):
        k = -(-left // (len(files) - i))
        if k <= 0:
            continue
        out[f] = [{"line": x} for x in spread(files_never[f], k)]
        left -= len(out[f])
    return out


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------

def cache(workdir, name):
    return os.path.join(workdir, "libbps-%s.json" % name)


def build_cases(o, sz, workdir, interps, setup_seconds=None):
    """Every case: key, family, level, program, args, bps, needs.
    `setup_seconds`: family -> seconds its set-up took (added to)."""
    cases = []
    setup_seconds = {} if setup_seconds is None else setup_seconds
    clock = [time.monotonic()]

    def setup_done(family):
        now = time.monotonic()
        add_seconds(setup_seconds, family, now - clock[0])
        clock[0] = now
    hot = db.workload("hot.py")
    never = db.tagged_line(hot, "never")
    other = db.workload("other.py")
    checks = os.path.join(SEED, "checks.py")

    def add(key, family, level, program, args, bps, needs=(), rounds=None,
            deadline=300, not_run=None, slow_args=None):
        if rounds is None and not sz.quick:
            rounds = ROUNDS.get(key, ROUNDS.get(family))
        cases.append({"key": key, "family": family, "level": level,
                      "program": program, "args": args, "bps": bps,
                      "needs": list(needs), "rounds": rounds,
                      "deadline": deadline, "not_run": not_run or {},
                      "slow_args": None if sz.quick else slow_args})

    want = o.only
    clock[0] = time.monotonic()
    if not want or "calls" in want:
        add("calls", "calls", None, hot, [sz.calls],
            {hot: [{"line": never}]},
            slow_args=[sz.calls // 10])
        setup_done("calls")
    clock[0] = time.monotonic()
    if not want or "checks" in want:
        add("checks", "checks", None, checks, [10000, sz.checks_reps],
            {checks: [{"line": db.tagged_line(checks, "check")}]},
            slow_args=[10000, max(3, sz.checks_reps // 10)])
        setup_done("checks")
    # the breakpoint lines come from /usr/bin/python3's packages (the
    # copies of debian_django have the same files)
    sysint = next((i for i in interps if i.is_system()), None)
    if sysint is None and any(f in (want or FAMILIES) for f in (
            "django", "numeric", "pandas")):
        sysint = probe(SYSTEM_PYTHON)
    if sysint is not None and sysint.missing:
        sysint = None

    def runs_somewhere(needs):
        """Some interpreter of the run has the modules (else the scenario
        is skipped everywhere, and its breakpoint lines are not needed)."""
        return sysint is not None and any(
            not [m for m in needs if m in it.missing] for it in interps)
    clock[0] = time.monotonic()
    if not want or "django" in want:
        prog = os.path.join(SEED, "djsite", "djrun.py")
        args = [os.path.join(workdir, "seed-django.sqlite3"),
                sz.django_requests]
        bps = {}
        if runs_somewhere(["django"]):
            log("finding 50 breakpoint lines in Django's files")
            bps = library_breakpoints(sysint.path, prog, args, ["django"],
                                      50, 20, cache(workdir, "django"))
        add("django", "django", None, prog, args, bps, ["django"],
            deadline=600, not_run=QUICK_LIBRARY_SKIP if sz.quick else None)
        setup_done("django")
    clock[0] = time.monotonic()
    if not want or "numeric" in want:
        prog = os.path.join(SEED, "numeric.py")
        args = [sz.numeric_scale]
        bps = {}
        if runs_somewhere(["numpy", "scipy"]):
            log("finding 10 breakpoint lines in NumPy/SciPy files")
            bps = library_breakpoints(sysint.path, prog, args,
                                      ["numpy", "scipy"], 10, 5,
                                      cache(workdir, "numeric"))
        add("numeric", "numeric", None, prog, args, bps,
            ["numpy", "scipy"], deadline=600,
            not_run=QUICK_LIBRARY_SKIP if sz.quick else None)
        setup_done("numeric")
    clock[0] = time.monotonic()
    if not want or "pandas" in want:
        prog = os.path.join(SEED, "pipeline.py")
        bps, args = {}, []
        if runs_somewhere(["pandas"]):
            args = [gencode.write_pipeline_data(workdir, sz.pandas_rows)]
            log("finding 25 breakpoint lines in pandas files")
            bps = library_breakpoints(sysint.path, prog, args, ["pandas"],
                                      25, 10, cache(workdir, "pandas"))
        add("pandas", "pandas", None, prog, args, bps, ["pandas"],
            deadline=600, not_run=QUICK_LIBRARY_SKIP if sz.quick else None)
        setup_done("pandas")
    loops = os.path.join(SEED, "loops.py")
    clock[0] = time.monotonic()
    if not want or "density" in want:
        path, nv = gencode.density_module(workdir)
        for d in sz.density:
            add("density%d" % d, "density", d, loops,
                ["density", workdir, sz.density_rounds],
                {path: [{"line": x} for x in spread(nv, d)]},
                slow_args=["density", workdir,
                           max(1, sz.density_rounds // 50)])
        setup_done("density")
    clock[0] = time.monotonic()
    if not want or "threads" in want:
        for t in sz.threads:
            add("threads%d" % t, "threads", t, hot,
                [sz.thread_calls, "--threads", t],
                {other: [{"line": db.tagged_line(other, "other")}]},
                slow_args=[sz.thread_calls // 10, "--threads", t])
        setup_done("threads")
    clock[0] = time.monotonic()
    if not want or "memory" in want:
        files, _ = gencode.memory_package(workdir)
        for n in sz.memory_bps:
            add("memory%d" % n, "memory", n, loops,
                ["memory", workdir, sz.memory_rounds],
                spread_over_files(files, n) if n else {},
                slow_args=["memory", workdir,
                           max(2, sz.memory_rounds // 20)])
        setup_done("memory")
    clock[0] = time.monotonic()
    if not want or "codebase" in want:
        for lines in sz.codebases:
            files, total = gencode.codebase(workdir, lines)
            n = max(1, lines // 1000)
            big = lines >= 1000000
            add("codebase%d" % lines, "codebase", lines, loops,
                ["codebase", workdir, "cb%d" % lines] +
                (["--no-import"] if big else []),
                spread_over_files(files, n), deadline=900,
                not_run=BIG_CODEBASE_SKIP if big else None)
            cases[-1]["lines"] = total
            cases[-1]["root"] = os.path.join(workdir, "cb%d" % lines)
        setup_done("codebase")
    return cases


def compile_codebases(interps, cases, setup_seconds=None):
    """Byte-compiles the generated code bases once per interpreter (what a
    code base on disk has after its first run), so every measured run
    imports from .pyc."""
    t0 = time.monotonic()
    for c in cases:
        if c["family"] != "codebase":
            continue
        for it in interps:
            subprocess.run([it.path, "-m", "compileall", "-q", "-j", "2",
                            c["root"]], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=900)
    if setup_seconds is not None and any(c["family"] == "codebase"
                                         for c in cases):
        add_seconds(setup_seconds, "codebase", time.monotonic() - t0)


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.samples = {}   # (version, config, key) -> [Sample]
        self.plain_of = {}  # id(sample) -> the plain Sample of its round
        self.errors = {}    # (version, config, key) -> [text]
        self.skipped = {}   # (version, key) -> reason
        self.seconds = {}   # family -> seconds of its runs (wall)
        self.cpu_seconds = {}  # family -> CPU seconds of the processes
        self.budget_skipped = []  # (round, case key, version)
        self.config_seconds = {}  # (family, config) -> seconds
        self.setup_seconds = {}   # family -> seconds of its set-up


def children_cpu():
    """User + system CPU seconds of the ended child processes (the
    adapter's include its debuggee's): on an idle machine a run takes about
    this long, so it estimates the run's time there from a loaded one."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def add_seconds(d, key, dt):
    d[key] = d.get(key, 0.0) + dt


def timing_text(res):
    """The seconds each family took: its runs (the CPU seconds of their
    processes), plus its set-up (generated code, library breakpoint lines,
    byte-compiling), or that it did not run."""
    out = []
    for f in FAMILIES:
        if f not in res.seconds and f not in res.setup_seconds:
            continue
        if not res.seconds.get(f):
            out.append("%s not run" % f)
            continue
        setup = res.setup_seconds.get(f, 0.0)
        out.append("%s %.0f s (CPU %.0f s)%s" % (
            f, res.seconds[f], res.cpu_seconds.get(f, 0.0),
            " + %.0f s set-up" % setup if setup >= 1 else ""))
    return ", ".join(out)


def log_timing(res):
    log("== seconds per family (runs; CPU of their processes; set-up):")
    for f in FAMILIES:
        if f not in res.seconds and f not in res.setup_seconds:
            continue
        per = ", ".join("%s %.0f" % (c, t) for (fam, c), t in sorted(
            res.config_seconds.items(), key=lambda kv: -kv[1]) if fam == f)
        log("  %-9s %6.0f s; CPU %5.0f s; %4.0f s   [%s]" % (
            f, res.seconds.get(f, 0.0), res.cpu_seconds.get(f, 0.0),
            res.setup_seconds.get(f, 0.0), per))


def case_skip(case, it):
    """Why `case` does not run on `it`, or None."""
    miss = [m for m in case["needs"] if m in it.missing]
    if miss:
        for m in miss:
            if m in it.unavailable:
                return it.unavailable[m]
        if not it.is_system() and set(miss) & {"numpy", "scipy", "pandas"}:
            return "%s has no %s: %s" % (it.path, ", ".join(miss),
                                         rounds.C_EXTENSIONS_REASON)
        return "%s has no %s" % (it.path, ", ".join(miss))
    if case["needs"] and not case["bps"]:
        return "no breakpoint lines found"
    return None


def run_all(o, interps, cases, res, workdir):
    """Interleaved rounds (rounds.interleaved) over every (case,
    interpreter); a configuration of SLOW_CONFIGS runs in the first
    SLOW_ROUNDS rounds of a case only. With a time budget, a case whose
    previous round would not fit in what is left is skipped (reported)."""
    start = time.monotonic()
    groups = []
    for case in cases:
        for it in interps:
            why = case_skip(case, it)
            if why:
                res.skipped[(it.version, case["key"])] = why
                continue
            groups.append((case, it))
    took = {}  # (case key, version) -> seconds of its last round

    def configs_of(group, r):
        case, it = group
        configs = [c for c in it.configs
                   if c not in case["not_run"]]
        if not o.quick:
            configs = [c for c in configs if c not in SLOW_CONFIGS
                       or r < SLOW_ROUNDS]
        return configs

    def run(r, group, config):
        case, it = group
        t, cpu = time.monotonic(), children_cpu()
        s = run_config(o, it, config, case, workdir)
        s.round = r
        key = (it.version, config, case["key"])
        dt = time.monotonic() - t
        add_seconds(res.seconds, case["family"], dt)
        add_seconds(res.cpu_seconds, case["family"], children_cpu() - cpu)
        add_seconds(res.config_seconds, (case["family"], config), dt)
        log("  %-12s %-7s %-17s %6.1fs%s" % (
            case["key"], it.version, config, dt,
            "  ERROR " + s.error[:150] if s.error else ""))
        if s.error:
            s.error = " ".join(s.error.replace("|", "/").split())
            lst = res.errors.setdefault(key, [])
            if s.error not in lst:
                lst.append(s.error)
            return None
        res.samples.setdefault(key, []).append(s)
        return s

    def rounds_of(group):
        return group[0]["rounds"] or o.rounds

    round_no = [0]
    cur = [None]

    def new_round(r):
        round_no[0] = r
        log("== round %d of %d" % (r + 1, o.rounds))

    def gated_configs(group):
        # called once per (round, group) by rounds.interleaved, just
        # before the group runs: the budget decides here
        r = round_no[0]
        case, it = group
        gk = (case["key"], it.version)
        if o.budget and r > 0 and gk in took:
            left = o.budget - (time.monotonic() - start)
            if took[gk] > left:
                res.budget_skipped.append((r, case["key"], it.version))
                log("  %-12s %-7s skipped: its last round took %.0f s, "
                    "%.0f s of the budget left" % (case["key"], it.version,
                                                   took[gk], max(0, left)))
                return []
        cur[0] = (gk, time.monotonic())
        return configs_of(group, r)

    for r, group, got in rounds.interleaved(
            o.rounds, groups, gated_configs, run, rounds_of,
            on_round=new_round):
        case, it = group
        if cur[0] is not None and cur[0][0] == (case["key"], it.version):
            took[cur[0][0]] = time.monotonic() - cur[0][1]
            cur[0] = None
        plain = got.get("plain")
        if plain is not None:
            for s in got.values():
                res.plain_of[id(s)] = plain


# ---------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------

def metric(case_key, s):
    """The case's main number: ns per call, or the timed part in ns."""
    b = s.bench
    if case_key.startswith(("calls", "threads")):
        return b["ns"] / b["n"]
    if case_key.startswith(("density", "memory")):
        return b["ns"] / b["calls"]
    return b["ns"]


def ratios(res, key, fn):
    out = []
    for s in res.samples.get(key, []):
        p = res.plain_of.get(id(s))
        if p is not None:
            a, b = fn(s), fn(p)
            if a is not None and b:
                out.append(a / b)
    return out


def fmt_spread(xs, f="%.1f", scale=1.0):
    return rounds.spread_text(xs, f, scale)


def fmt_ratio(xs):
    return rounds.spread_text(xs, "%.3f", prefix="×")


def stats_text(samples):
    """Efficiency and trace calls saved of the last sample with statistics."""
    st = next((s.stats for s in reversed(samples) if s.stats), None)
    if not st:
        return "—"
    integ = st.get("integration_stats") or {}
    perf = st.get("performance_data") or {}
    saved = integ.get("trace_calls_saved", st.get("trace_calls_saved"))
    tcalls = perf.get("trace_function_calls", st.get("trace_function_calls"))
    eff = st.get("efficiency")
    if isinstance(eff, dict):
        eff = eff.get("value", eff.get("efficiency"))
    computed = ""
    if eff is None and saved is not None and tcalls is not None:
        total = saved + tcalls
        eff = saved / total if total else None
        computed = "¹"
    mon = perf.get("monitoring_callbacks", st.get("monitoring_callbacks"))
    parts = []
    if eff is not None and not computed and not saved and not tcalls \
            and not mon:
        # nothing saved and nothing delivered: the runtime's efficiency
        # (saved / (saved + delivered)) is 0 by convention, not a measure
        eff = None
    if eff is not None:
        parts.append("eff. %.3f%s" % (eff, computed))
    if saved is not None:
        parts.append("saved %s" % human(saved))
    if tcalls is not None:
        parts.append("trace calls %s" % human(tcalls))
    return ", ".join(parts) or "—"


def human(n):
    n = float(n)
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= div:
            return "%.1f%s" % (n / div, unit)
    return "%d" % n


def mb(x):
    return x / 1048576.0


def slope(points):
    """Least-squares slope of [(x, y)]."""
    if len(points) < 2:
        return None
    mx = sum(p[0] for p in points) / len(points)
    my = sum(p[1] for p in points) / len(points)
    den = sum((p[0] - mx) ** 2 for p in points)
    if not den:
        return None
    return sum((p[0] - mx) * (p[1] - my) for p in points) / den


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

TITLES = {
    "calls": ("1,000,000 calls",
              "`bench/workloads/hot.py`: `f(i)` for i in range(N), a "
              "breakpoint in a function of the same file that is never "
              "called. ns per call.", "ns/call", 1.0, "%.1f"),
    "checks": ("10,000 breakpoint checks",
               "`bench/seed/checks.py`: a 10,000-iteration loop inside a "
               "function whose code holds a breakpoint on a line that never "
               "runs (every line event of the loop is checked against it by "
               "a line-tracing debugger); median time of one loop, µs.",
               "µs/10,000", 1e-3, "%.1f"),
    "django": ("Django site, 50 breakpoints over 20 Django files",
               "`bench/seed/djsite/djrun.py`: Django's test client requests "
               "through URL routing and middleware to views that query "
               "SQLite through the ORM and render templates (inheritance, "
               "include, loops, filters, a form), a JSON view and a form "
               "POST. Time of the request loop, ms per request.",
               "ms/request", None, "%.2f"),
    "numeric": ("NumPy/SciPy, 10 breakpoints",
                "`bench/seed/numeric.py`: `scipy.linalg` solve, LU, "
                "eigenvalues, SVD; `scipy.fft` rfft, fft2/ifft2; "
                "`solve_ivp` on the Lorenz system (right-hand side in "
                "Python). Time after the imports, ms.", "ms", 1e-6, "%.0f"),
    "pandas": ("pandas pipeline, 25 breakpoints",
               "`bench/seed/pipeline.py`: `read_csv` of generated sales and "
               "product files, filter, merge, groupby/agg, pivot_table, "
               "to_csv. Time after the imports, ms.", "ms", 1e-6, "%.0f"),
}


def render(o, sz, interps, cases, res, facts, plots, cg):
    L = ["<!-- %s:begin -->" % SECTION,
         "## Seed tables: the frame-evaluation model's tables, measured", "",
         "Generated by `bench/seed_tables.py` (kept when `bench/run.py` "
         "rewrites this page). Command: `%s`." % o.command, "",
         "| fact | value |", "|---|---|"]
    L += ["| %s | %s |" % kv for kv in facts]
    L += ["", load_text(facts) + " Every configuration ran in each "
          "round (bdb and debugpy in the first only, see below), "
          "interleaved with the others in an order that rotates between "
          "rounds and cases, and each ratio is the run over the plain run "
          "*of the same round*; numbers are the median over rounds with "
          "(min-max). The callgrind instruction counts (their own section) "
          "do not depend on the load.", "",
          "Sizes (scaled so that the whole run takes < 20 minutes on 2 "
          "cores): %s." % sz.text(), "",
          "Configurations: `plain` (the interpreter alone); `bdb (stdlib)`: "
          "the standard library's `bdb.Bdb` with the same breakpoints set "
          "(`set_break`), tracing every thread (`sys.settrace` + "
          "`threading.settrace`), i.e. traditional tracing as pdb does it; "
          "`dapper:tracing, selective_tracing false`: this runtime's C "
          "trace function with a line event on every line of every frame "
          "(the backend's default, `selective_tracing` true, gives line "
          "events only to frames of code that can stop); `dapper:auto (…)`: the default "
          "backend (no `frameEval` key; the backend it picked in "
          "parentheses); `dapper:evalframe`: the PEP 523 backend; "
          "`debugpy`: Debian's python3-debugpy (3.11 only, "
          "`python3 -m debugpy.adapter`, `justMyCode: false`). Every program "
          "runs under `bench/seed/wrap.py`, which reports the peak RSS "
          "(`VmHWM` from `/proc/self/status`), the CPU time (`getrusage`, "
          "user + system, of the debuggee process) and the time its first "
          "line ran. Breakpoints are set before the program starts, on lines "
          "the program never runs, in files it does run: all verified, never "
          "hit (a run that stops, or whose breakpoints are not verified, is a "
          "problem below, not a number).", "",
          "Statistics: the runtime's `dapper/statistics` at the end of the "
          "run (the debuggee is held after its last line until the answer "
          "arrives; a `dapper/statistics` event is used instead when the "
          "adapter sends one). *eff.* is the `efficiency` field when the "
          "runtime reports it; ¹ marks it computed here as "
          "trace_calls_saved / (trace_calls_saved + trace_function_calls). "
          "*saved*: trace_calls_saved; *trace calls*: trace_function_calls.",
          "",
          "Published numbers of the frame-evaluation model (the seed), given "
          "beside: %s; %s; %s; %s." % (
              SEED_NUMBERS["overhead"], SEED_NUMBERS["calls"],
              SEED_NUMBERS["memory"], SEED_NUMBERS["density"]), ""]

    by_key = {c["key"]: c for c in cases}
    # -- the overhead scenarios -------------------------------------------
    for fam in ("calls", "checks", "django", "numeric", "pandas"):
        if fam not in by_key:
            continue
        title, desc, unit, scale, f = TITLES[fam]
        c = by_key[fam]
        L += ["### %s" % title, "", desc]
        if c["bps"]:
            L.append("")
            L.append("Breakpoints: %s." % bp_files_text(c["bps"]))
            for it in interps:
                if it.debian.get(fam):
                    L += ["", "Python %s has no %s of its own (a pyenv "
                          "build, no PyPI here): its runs import Debian's "
                          "pure-Python packages copied and byte-compiled for "
                          "it into `%s` (on `PYTHONPATH`, plain and debugged "
                          "alike), with the breakpoints on the same lines of "
                          "the same files there." % (
                              it.version, fam.capitalize(),
                              it.debian[fam])]
        seed = (SEED_NUMBERS["calls"] + "; " + SEED_NUMBERS["overhead"]
                if fam == "calls" else SEED_NUMBERS["overhead"])
        L += ["", "| interpreter | configuration | %s | × plain | peak RSS "
              "MB | CPU s | statistics | seed |" % unit,
              "|---|---|---|---|---|---|---|---|"]
        for it in interps:
            sk = res.skipped.get((it.version, fam))
            if sk:
                L.append("| %s | all | skipped: %s | | | | | |" % (
                    it.version, sk))
                continue
            for config in it.configs:
                key = (it.version, config, fam)
                ss = res.samples.get(key, [])
                if not ss:
                    L.append("| %s | %s | n/a: %s | | | | | |" % (
                        it.version, config_title(it, config),
                        "; ".join(res.errors.get(key, [c["not_run"].get(
                            config, "not run")]))[:200]))
                    continue
                if fam == "django":
                    vals = [s.bench["ns"] / s.bench["requests"] / 1e6
                            for s in ss]
                    val = fmt_spread(vals, f)
                else:
                    vals = [metric(fam, s) for s in ss]
                    val = fmt_spread(vals, f, scale)
                r = ("—" if config == "plain" else
                     fmt_ratio(ratios(res, key, lambda s: metric(fam, s))))
                L.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    it.version, config_title(it, config), val, r,
                    fmt_spread([mb(s.mem["VmHWM"]) for s in ss], "%.0f"),
                    fmt_spread([s.mem["cpu_s"] for s in ss], "%.2f"),
                    stats_text(ss) if config.startswith("dapper") else "—",
                    seed if config == "dapper:auto" else ""))
        L.append("")
        if fam == "calls" and "memory100" in by_key:
            L += memory100_table(interps, res)

    # -- sweeps -------------------------------------------------------------
    for fam, levels, title, desc, lev_name in (
            ("density", sz.density, "Overhead by breakpoint density per file",
             "`bench/seed/loops.py density`: one generated file of 520 "
             "four-line functions, all called in turn (%d rounds); d "
             "breakpoints on lines of that file that never run (one per "
             "function, spread). Density buckets 0-10, 11-50, 51-100, 100+ "
             "are measured at their top (10, 50, 100) and at 250 and 500. "
             "× plain, median (min-max) over rounds; in parentheses under "
             "it the ns per call." % sz.density_rounds,
             "bps/file"),
            ("threads", sz.threads, "Threads",
             "`bench/workloads/hot.py N --threads T`: %s calls in total "
             "split over T threads started together, a breakpoint in "
             "another file (`other.py`, imported, never called). × plain "
             "of the same T." % "{:,}".format(sz.thread_calls), "threads")):
        if not any(c["family"] == fam for c in cases):
            continue
        L += ["### %s" % title, "", desc, "",
              "| interpreter | configuration | %s | seed |" % " | ".join(
                  "%d %s" % (lv, lev_name) for lv in levels),
              "|---|---|%s---|" % ("---|" * len(levels))]
        for it in interps:
            for config in it.configs:
                if config == "plain":
                    cells = []
                    for lv in levels:
                        ss = res.samples.get((it.version, config,
                                              "%s%d" % (fam, lv)), [])
                        cells.append(fmt_spread(
                            [metric(fam, s) for s in ss], "%.1f") + " ns")
                else:
                    cells = []
                    for lv in levels:
                        key = (it.version, config, "%s%d" % (fam, lv))
                        rs = ratios(res, key, lambda s: metric(fam, s))
                        cells.append(fmt_ratio(rs) if rs else "n/a" + (
                            ": " + res.errors[key][0][:80]
                            if key in res.errors else ""))
                seed = (SEED_NUMBERS["density"] if fam == "density" and
                        config == "dapper:auto" else "")
                L.append("| %s | %s | %s | %s |" % (
                    it.version, config_title(it, config), " | ".join(cells),
                    seed))
        L.append("")
        if fam in plots:
            L += ["![%s](%s)" % (title, plots[fam]), ""]

    if any(c["family"] == "memory" for c in cases):
        L += memory_table(sz, interps, res)
        if "memory" in plots:
            L += ["![memory and overhead by breakpoints](%s)" % plots["memory"],
                  ""]
    if any(c["family"] == "codebase" for c in cases):
        L += codebase_table(sz, interps, cases, res)
    if cg:
        L += cg
    L += targets(sz, interps, res, by_key)
    probs = [(k, v) for k, v in sorted(res.errors.items()) if v]
    L += ["### Problems seen during the run", ""]
    if res.budget_skipped:
        L.append("- time budget (`--budget %.0f` s) spent: not run: %s" % (
            o.budget, ", ".join("round %d of %s on %s" % (r + 1, k, v)
                                for r, k, v in res.budget_skipped)))
    if probs:
        for (ver, config, key), texts in probs:
            for t in texts:
                L.append("- %s %s %s: %s" % (ver, config, key, t[:300]))
    elif not res.budget_skipped:
        L.append("None.")
    skipped = sorted(set((v, r) for (v, _k), r in res.skipped.items()))
    for ver, reason in skipped:
        L.append("- %s: skipped scenarios: %s (%s)" % (
            ver, ", ".join(sorted(k for (v, k), r in res.skipped.items()
                                  if v == ver and r == reason)), reason))
    L.append("<!-- %s:end -->" % SECTION)
    return "\n".join(L) + "\n"


def load_text(facts):
    """What the load averages of the facts say about the machine."""
    loads = []
    for k, v in facts:
        if k.startswith("load average"):
            try:
                loads.append(max(float(x) for x in v.split()))
            except ValueError:
                pass
    cores = os.cpu_count() or 1
    if loads and max(loads) < cores:
        return ("**Measured on a %d-core machine without other heavy "
                "jobs** (load averages below the number of cores, the "
                "bench's own processes included)." % cores)
    return ("**Measured on a shared, loaded %d-core machine** (other jobs "
            "ran at the same time; see the load averages): differences of a "
            "few %% are inside that noise." % cores)


def bp_files_text(bps):
    import re
    parts = []
    for f, v in bps.items():
        short = re.split(r"(?:dist|site)-packages/", f)[-1]
        if short == f:
            short = os.path.relpath(f, ROOT) if f.startswith(ROOT) else \
                os.path.basename(f)
        parts.append("`%s` (%d)" % (short, len(v)))
    return "%d in %d files: %s" % (sum(len(v) for v in bps.values()),
                                   len(bps), ", ".join(parts))


def mem_delta(res, it, config, n):
    """Median peak-RSS difference (bytes) to plain of the same round."""
    key = (it.version, config, "memory%d" % n)
    ds = []
    for s in res.samples.get(key, []):
        p = res.plain_of.get(id(s))
        if p is not None:
            ds.append(s.mem["VmHWM"] - p.mem["VmHWM"])
    return ds


def memory100_table(interps, res):
    L = ["### Memory with 100 breakpoints", "",
         "`bench/seed/loops.py memory` (10 generated modules, 1,200 "
         "functions, all called) with 100 breakpoints on lines that never "
         "run, spread over the 10 files. Peak RSS of the debuggee "
         "(`VmHWM`) and its difference to plain in the same round.", "",
         "| interpreter | configuration | peak RSS MB | Δ plain MB | seed |",
         "|---|---|---|---|---|"]
    for it in interps:
        for config in it.configs:
            ss = res.samples.get((it.version, config, "memory100"), [])
            if not ss:
                continue
            d = mem_delta(res, it, config, 100)
            L.append("| %s | %s | %s | %s | %s |" % (
                it.version, config_title(it, config),
                fmt_spread([mb(s.mem["VmHWM"]) for s in ss], "%.1f"),
                "—" if config == "plain" else fmt_spread(d, "%+.2f",
                                                         1 / 1048576.0),
                SEED_NUMBERS["memory"] if config == "dapper:auto" else ""))
    L.append("")
    return L


def per_bp(res, it, config, levels, field="VmRSS"):
    """Bytes per breakpoint: least-squares slope of the debuggee's `field`
    over the breakpoint counts (0 included), medians per level."""
    pts = []
    for n in levels:
        ss = res.samples.get((it.version, config, "memory%d" % n), [])
        vals = [s.mem.get(field) for s in ss if s.mem.get(field) is not None]
        if vals:
            pts.append((n, med(vals)))
    return slope(pts)


def memory_table(sz, interps, res):
    levels = [n for n in sz.memory_bps if n]
    L = ["### Memory by number of breakpoints", "",
         "`bench/seed/loops.py memory`: 10 generated modules of 120 "
         "functions, all imported and called (%d rounds); n breakpoints on "
         "never-run lines spread over the 10 files. Peak RSS difference to "
         "plain in the same round (MB, median); *bytes/bp*: the slope of "
         "the debuggee's final RSS over the breakpoint counts 0-%d (least "
         "squares over the per-count medians), and the same for malloc's "
         "bytes in use (`mallinfo2`: uordblks + hblkhd; the runtime's own "
         "allocations are malloc'ed). *× plain*: time of the calls at the "
         "largest count." % (sz.memory_rounds, max(sz.memory_bps)), "",
         "| interpreter | configuration | %s | bytes/bp (RSS) | bytes/bp "
         "(malloc) | × plain at %d |" % (
             " | ".join("Δ MB at %d" % n for n in levels), max(levels)),
         "|---|---|%s---|---|---|" % ("---|" * len(levels))]
    for it in interps:
        for config in it.configs:
            if config == "plain":
                continue
            cells = []
            for n in levels:
                d = mem_delta(res, it, config, n)
                cells.append("%+.2f" % mb(med(d)) if d else "n/a")
            rss = per_bp(res, it, config, sz.memory_bps)
            mal = per_bp(res, it, config, sz.memory_bps, "malloc")
            rs = ratios(res, (it.version, config, "memory%d" % max(levels)),
                        lambda s: metric("memory", s))
            L.append("| %s | %s | %s | %s | %s | %s |" % (
                it.version, config_title(it, config), " | ".join(cells),
                "%.0f" % rss if rss is not None else "n/a",
                "%.0f" % mal if mal is not None else "n/a",
                fmt_ratio(rs)))
    L.append("")
    return L


def codebase_table(sz, interps, cases, res):
    L = ["### Start-up and memory by code-base size", "",
         "A generated package of files of ~1,000 lines (99 ten-line "
         "functions each), byte-compiled beforehand; one breakpoint per "
         "file (per 1,000 lines: 1,000 breakpoints for 1M lines) on a line "
         "that never runs. `bench/seed/loops.py codebase` imports every "
         "module and calls one function of each (1M lines: the program "
         "only starts, so its import column is 0; importing it took 173 s "
         "on 3.11 `instrumented`). *start-up*: from spawning "
         "the process (plain, bdb) or the adapter (dapper, debugpy: then "
         "initialize, launch, setBreakpoints (all sent at once, then every "
         "answer awaited, as VS Code does), configurationDone) to the "
         "program's first line; *import*: importing the whole code base "
         "(the runtime places breakpoints as modules load); Δ: difference "
         "to plain in the same round, median.", "",
         "| lines | interpreter | configuration | start-up ms | Δ start-up "
         "ms | import ms | Δ import ms | peak RSS MB | Δ RSS MB |",
         "|---|---|---|---|---|---|---|---|---|"]
    for c in cases:
        if c["family"] != "codebase":
            continue
        for it in interps:
            for config in it.configs:
                key = (it.version, config, c["key"])
                if config in c["not_run"]:
                    L.append("| %s | %s | %s | %s | | | | | |" % (
                        "{:,}".format(c["lines"]), it.version,
                        config_title(it, config), c["not_run"][config]))
                    continue
                ss = res.samples.get(key, [])
                if not ss:
                    L.append("| %s | %s | %s | n/a: %s | | | | | |" % (
                        "{:,}".format(c["lines"]), it.version,
                        config_title(it, config),
                        "; ".join(res.errors.get(key, ["not run"]))[:150]))
                    continue
                ds, di, dr = [], [], []
                for s in ss:
                    p = res.plain_of.get(id(s))
                    if p is not None and config != "plain":
                        ds.append(s.startup_ms - p.startup_ms)
                        di.append((s.bench["ns"] - p.bench["ns"]) / 1e6)
                        dr.append(mb(s.mem["VmHWM"] - p.mem["VmHWM"]))
                L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    "{:,}".format(c["lines"]), it.version,
                    config_title(it, config),
                    fmt_spread([s.startup_ms for s in ss], "%.0f"),
                    fmt_spread(ds, "%+.0f") if ds else "—",
                    fmt_spread([s.bench["ns"] / 1e6 for s in ss], "%.0f"),
                    fmt_spread(di, "%+.0f") if di else "—",
                    fmt_spread([mb(s.mem["VmHWM"]) for s in ss], "%.1f"),
                    fmt_spread(dr, "%+.1f") if dr else "—"))
    L.append("")
    return L


def targets(sz, interps, res, by_key):
    L = ["### Targets", "",
         "Each target for the default backend (`dapper:auto`). *≤ 3 % wall*: "
         "the median over rounds of the run/plain ratio of the same round "
         "≤ 1.03 (the min-max shows how far the load moved it). *No "
         "degradation with density*: the ratio at 500 breakpoints per file "
         "within 0.03 of the ratio at 10. *≤ 1 KB per breakpoint*: the RSS "
         "slope of the memory table. *Start-up*: first line with 1M lines "
         "and 1,000 breakpoints ≤ plain + 50 ms (median of the per-round "
         "differences). *16 threads no worse than 1*: the 16-thread ratio "
         "≤ the 1-thread ratio + 0.03. A wall-time verdict is *not "
         "resolved* when the rounds' ratios, or plain Python's own times "
         "over the rounds, spread by more than 0.06 (twice the margin): "
         "the load, not the debugger, decides it then (the median's "
         "verdict is given in the cell, for what it is worth).",
         "",
         "| target | interpreter | measured | verdict |", "|---|---|---|---|"]
    for it in interps:
        cfg = "dapper:auto"
        if cfg not in it.configs:
            continue
        for fam in ("calls", "checks", "django", "numeric", "pandas"):
            if fam not in by_key:
                continue
            if (it.version, fam) in res.skipped:
                L.append("| ≤ 3 %% wall: %s | %s | skipped: %s | not "
                         "measured |" % (fam, it.version,
                                         res.skipped[(it.version, fam)]))
                continue
            rs = ratios(res, (it.version, cfg, fam),
                        lambda s, f=fam: metric(f, s))
            L.append(verdict_row("≤ 3 %% wall: %s" % fam, it, rs,
                                 lambda m: m <= 1.03,
                                 plain_values(res, it, fam)))
        for fam, levels in (("density", sz.density), ("threads",
                                                      sz.threads)):
            for lv in levels:
                rs = ratios(res, (it.version, cfg, "%s%d" % (fam, lv)),
                            lambda s, f=fam: metric(f, s))
                if rs:
                    L.append(verdict_row(
                        "≤ 3 %% wall: %s %d" % (fam, lv), it, rs,
                        lambda m: m <= 1.03,
                        plain_values(res, it, "%s%d" % (fam, lv))))
        if sz.density and len(sz.density) > 1:
            lo = ratios(res, (it.version, cfg, "density%d" % sz.density[0]),
                        lambda s: metric("density", s))
            hi = ratios(res, (it.version, cfg, "density%d" % sz.density[-1]),
                        lambda s: metric("density", s))
            if lo and hi:
                ok = med(hi) <= med(lo) + 0.03
                L.append("| no degradation up to %d bps/file | %s | ×%.3f "
                         "at %d vs ×%.3f at %d | %s |" % (
                             sz.density[-1], it.version, med(hi),
                             sz.density[-1], med(lo), sz.density[0],
                             noisy_verdict(ok, [lo, hi], [plain_values(
                                 res, it, "density%d" % d)
                                 for d in (sz.density[0],
                                           sz.density[-1])])))
        rss = per_bp(res, it, cfg, sz.memory_bps)
        if rss is not None:
            L.append("| ≤ 1 KB debuggee memory per breakpoint | %s | %.0f "
                     "bytes/bp | %s |" % (it.version, rss,
                                          "met" if rss <= 1024 else "missed"))
        big = max(sz.codebases)
        ds = []
        for s in res.samples.get((it.version, cfg, "codebase%d" % big), []):
            p = res.plain_of.get(id(s))
            if p is not None:
                ds.append(s.startup_ms - p.startup_ms)
        if ds:
            L.append("| start-up, %s lines, %s breakpoints ≤ plain + 50 ms "
                     "| %s | %s ms | %s |" % (
                         "{:,}".format(big), "{:,}".format(max(1, big // 1000)),
                         it.version, fmt_spread(ds, "%+.0f"),
                         "met" if med(ds) <= 50 else "missed"))
        if 1 in sz.threads and 16 in sz.threads:
            one = ratios(res, (it.version, cfg, "threads1"),
                         lambda s: metric("threads", s))
            six = ratios(res, (it.version, cfg, "threads16"),
                         lambda s: metric("threads", s))
            if one and six:
                L.append("| 16 threads no worse than 1 | %s | ×%.3f vs ×%.3f "
                         "| %s |" % (it.version, med(six), med(one),
                                     noisy_verdict(
                                         med(six) <= med(one) + 0.03,
                                         [one, six],
                                         [plain_values(res, it, "threads1"),
                                          plain_values(res, it,
                                                       "threads16")])))
    L.append("")
    return L


def noisy_verdict(ok, ratio_lists, plain_lists):
    spread = 0.0
    for rs in ratio_lists:
        if len(rs) > 1:
            spread = max(spread, max(rs) - min(rs))
    for pv in plain_lists:
        if len(pv) > 1 and min(pv) > 0:
            spread = max(spread, max(pv) / min(pv) - 1)
    if spread > 2 * NOISE_MARGIN:
        return ("not resolved: %s (noise %.2f between rounds)" % (
            "met" if ok else "missed", spread))
    return "met" if ok else "missed"


def plain_values(res, it, key):
    return [metric(key, s) for s in res.samples.get(
        (it.version, "plain", key), [])]


def verdict_row(name, it, rs, ok, plain=None):
    """`plain`: plain Python's values of the case over the rounds; their
    spread is the load's noise as well."""
    if not rs:
        return "| %s | %s | n/a | not measured |" % (name, it.version)
    m = med(rs)
    spread = max(rs) - min(rs)
    if plain and len(plain) > 1 and min(plain) > 0:
        spread = max(spread, max(plain) / min(plain) - 1)
    if len(rs) > 1 and spread > 2 * NOISE_MARGIN:
        v = ("not resolved: %s (noise %.2f between rounds, more than twice "
             "the 3 %% margin)" % ("met" if ok(m) else "missed", spread))
    elif len(rs) == 1:
        v = ("%s in one round (no spread known)" % (
            "met" if ok(m) else "missed"))
    elif ok(m):
        v = "met"
    else:
        v = "missed"
    return "| %s | %s | %s | %s |" % (name, it.version, fmt_ratio(rs), v)


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------

def plot_data(sz, interps, res):
    """The plotted series: {name: {"xlabel", "ylabel", "panels": [{"title",
    "lines": [{"label", "x", "y"}]}]}}, medians of the per-round ratios."""
    def short(it, config):
        return config_title(it, config).replace(
            ", selective_tracing false", "")

    out = {}
    for fam, levels, xlabel in (("threads", sz.threads, "threads"),
                                ("density", sz.density,
                                 "breakpoints per file")):
        if len(levels) < 2:
            continue
        panels = []
        for it in interps:
            lines = []
            for config in it.configs:
                if config == "plain":
                    continue
                xs, ys = [], []
                for lv in levels:
                    rs = ratios(res, (it.version, config, "%s%d" % (fam, lv)),
                                lambda s, f=fam: metric(f, s))
                    if rs:
                        xs.append(lv)
                        ys.append(med(rs))
                if xs:
                    lines.append({"label": short(it, config), "x": xs,
                                  "y": ys})
            panels.append({"title": "Python %s" % it.version,
                           "lines": lines, "ylabel": "× plain (median)",
                           "logy": True})
        out[fam] = {"xlabel": xlabel, "panels": panels}
    levels = [n for n in sz.memory_bps if n]
    if len(levels) > 1:
        mem_lines, time_lines = [], []
        for it in interps:
            for config in it.configs:
                if config == "plain":
                    continue
                xs, ys, ts = [], [], []
                for n in levels:
                    d = mem_delta(res, it, config, n)
                    rs = ratios(res, (it.version, config, "memory%d" % n),
                                lambda s: metric("memory", s))
                    if d and rs:
                        xs.append(n)
                        ys.append(mb(med(d)))
                        ts.append(med(rs))
                if xs:
                    lab = "%s %s" % (it.version, short(it, config))
                    mem_lines.append({"label": lab, "x": xs, "y": ys})
                    time_lines.append({"label": lab, "x": xs, "y": ts})
        out["memory"] = {"xlabel": "breakpoints", "panels": [
            {"title": "debuggee peak RSS − plain", "lines": mem_lines,
             "ylabel": "MB", "logy": False},
            {"title": "time of the calls", "lines": time_lines,
             "ylabel": "× plain (median)", "logy": True}]}
    return out


PLOT_FILES = {"threads": "perf-threads.png", "density": "perf-density.png",
              "memory": "perf-breakpoints.png"}


def make_plots(sz, interps, res, outdir):
    """PNGs of overhead vs threads, vs density, and memory/overhead vs
    breakpoints, drawn by bench/seed/plots.py with matplotlib: this
    interpreter's when it has it, else /usr/bin/python3's (Debian's
    python3-matplotlib)."""
    data = plot_data(sz, interps, res)
    if not data:
        return {}
    os.makedirs(outdir, exist_ok=True)
    fd, path = tempfile.mkstemp(suffix=".json", prefix="dapper-seed-plots-")
    with os.fdopen(fd, "w") as f:
        json.dump({"plots": data, "files": {
            k: os.path.join(outdir, PLOT_FILES[k]) for k in data}}, f)
    try:
        for py in (sys.executable, SYSTEM_PYTHON):
            p = subprocess.run([py, os.path.join(SEED, "plots.py"), path],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=300)
            if p.returncode == 0:
                return {k: os.path.join(outdir, PLOT_FILES[k]) for k in data}
            if p.returncode != 3:  # 3: no matplotlib in that interpreter
                log("plots: %s failed: %s" % (py, p.stderr.decode()[-400:]))
                return {}
        log("plots: no interpreter with matplotlib (Debian's "
            "python3-matplotlib; --install-packages installs it): no plots")
        return {}
    finally:
        os.unlink(path)


# ---------------------------------------------------------------------------
# Callgrind: instructions of the whole debuggee process
# ---------------------------------------------------------------------------

def callgrind(o, interps, cases, workdir):
    """Instructions of the debuggee process (valgrind as the launch's
    `python`): plain vs dapper:auto, for the small-difference cases."""
    import run as runmod
    db.valgrind_startup_timeout()
    want = [c for c in cases if c["key"] in ("calls", "checks", "density500",
                                             "threads16", "memory1000")]
    rows = []
    for it in interps:
        for c in want:
            irs = {}
            for config in ("plain", "dapper:auto"):
                f = os.path.join(workdir, "cg.%s.%s.%s" % (
                    it.version, c["key"], config.replace(":", "_")))
                vg = ["valgrind", "--tool=callgrind",
                      "--callgrind-out-file=" + f, it.path]
                args = list(c["args"])
                if c["family"] in ("density", "memory"):
                    args[-1] = 20
                elif c["key"] == "calls":
                    args = [100000]
                elif c["family"] == "threads":
                    args[0] = 20000
                elif c["key"] == "checks":
                    args = [10000, 3]
                t = time.monotonic()
                if config == "plain":
                    subprocess.run(vg + [WRAP, c["program"]] + [
                        str(a) for a in args], cwd=os.path.dirname(
                            c["program"]), stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL, timeout=900)
                else:
                    sess = SeedSession("dapper", [o.adapter], it.path, WRAP,
                                       [c["program"]] + [str(a) for a in args],
                                       bps=c["bps"], deadline=900,
                                       cwd=os.path.dirname(c["program"]),
                                       python_argv=vg, frame_eval={})
                    sess.run()
                irs[config] = runmod.read_callgrind_total(f)
                log("  callgrind %s %s %s %.0fs Ir=%s" % (
                    it.version, c["key"], config, time.monotonic() - t,
                    irs[config]))
            rows.append((it.version, c["key"], args, irs))
    L = ["### Callgrind: instructions of the debuggee process", "",
         "Small differences measured without the load's noise: "
         "`valgrind --tool=callgrind` as the interpreter (for dapper, the "
         "launch's `python`), whole process (start-up included), plain "
         "vs the default backend, with reduced sizes given per row.", "",
         "| interpreter | case (arguments) | plain Ir | dapper:auto Ir | "
         "difference |", "|---|---|---|---|---|"]
    for ver, key, args, irs in rows:
        p, d = irs.get("plain"), irs.get("dapper:auto")
        L.append("| %s | %s (%s) | %s | %s | %s |" % (
            ver, key, " ".join(str(a) for a in args if not str(a).startswith(
                "/")), human(p) if p else "n/a", human(d) if d else "n/a",
            "%+.2f %%" % (100.0 * (d - p) / p) if p and d else "n/a"))
    L.append("")
    return L


# ---------------------------------------------------------------------------

def machine_facts(o, interps, dpv, t0, sz, res):
    facts = [("date", time.strftime("%Y-%m-%d %H:%M %Z")),
             ("nproc", str(os.cpu_count())),
             ("load average at start", o.load_start),
             ("load average at end", " ".join(
                 "%.2f" % x for x in os.getloadavg())),
             ("duration", "%.0f s" % (time.monotonic() - t0)),
             ("duration per family", timing_text(res) or "—"),
             ("rounds", str(o.rounds))]
    for it in interps:
        facts.append(("interpreter", "%s (%s)" % (it.version, it.path)))
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL,
                                timeout=10).stdout.decode().strip()
    except (OSError, subprocess.TimeoutExpired):
        commit = ""
    facts.append(("adapter commit", commit or "unknown"))
    facts.append(("debugpy", dpv or "not installed"))
    return facts


def dump(path, res, interps, facts):
    """Everything the report needs besides the cases: `--rerender PATH`
    redraws the tables and plots from it."""
    with open(path, "w") as f:
        json.dump({
            "samples": {"|".join(k): [{
                "round": s.round, "bench": s.bench, "mem": s.mem,
                "startup_ms": s.startup_ms, "stats": s.stats}
                for s in v] for k, v in res.samples.items()},
            "errors": {"|".join(k): v for k, v in res.errors.items()},
            "skipped": {"|".join(k): v for k, v in res.skipped.items()},
            "auto": {it.version: it.auto_backend for it in interps},
            "facts": facts}, f)


def load_dump(path, interps, doc):
    """Results (and facts) from a dump. A dump without rounds (older runs
    that had no failed sample) pairs the samples by position."""
    with open(path) as f:
        d = json.load(f)
    if "samples" not in d:  # the first dumps: the samples alone
        d = {"samples": d}
    res = Results()
    for k, v in d["samples"].items():
        key = tuple(k.split("|"))
        lst = []
        for i, e in enumerate(v):
            s = Sample()
            s.bench, s.mem = e["bench"], e["mem"]
            s.startup_ms, s.stats = e["startup_ms"], e["stats"]
            s.round = e.get("round", i)
            lst.append(s)
        res.samples[key] = lst
    for key, v in res.samples.items():
        plain = {s.round: s for s in res.samples.get(
            (key[0], "plain", key[2]), [])}
        for s in v:
            if s.round in plain:
                res.plain_of[id(s)] = plain[s.round]
    res.errors = {tuple(k.split("|")): v
                  for k, v in d.get("errors", {}).items()}
    res.skipped = {tuple(k.split("|")): v
                   for k, v in d.get("skipped", {}).items()}
    for it in interps:
        it.auto_backend = (d.get("auto") or {}).get(it.version)
    facts = d.get("facts")
    if not facts and doc and os.path.exists(doc):
        # facts of the section the run wrote
        with open(doc, encoding="utf-8") as f:
            text = f.read()
        a = text.find("<!-- %s:begin -->" % SECTION)
        facts = []
        if a >= 0:
            for line in text[a:].split("| fact | value |", 1)[1].splitlines(
                    )[2:]:
                if not line.startswith("|"):
                    break
                k, v = [x.strip() for x in line.strip("|").split("|", 1)]
                facts.append((k, v))
    return res, [tuple(x) for x in facts]


def write_section(path, block, section=SECTION):
    def insert(text, block):
        # after the seed tables, else before the hand-maintained sections
        # (run.py's KEEP_MARK), else at the end
        for mark, after in (("<!-- %s:end -->" % SECTION, True),
                            ("<!-- sections below:", False)):
            at = text.find(mark)
            if at < 0 or (after and section == SECTION):
                continue
            if after:
                at += len(mark)
                return text[:at] + "\n\n" + block.rstrip("\n") + text[at:]
            return text[:at] + block + "\n" + text[at:]
        return text.rstrip("\n") + "\n\n" + block

    rounds.replace_section(path, section, block, insert)


def install_packages():
    rounds.apt_install(PACKAGES, "--install-packages")


def check_report(text, cases, interps, res):
    """--quick: every scenario produced a number for plain and the default
    backend on every interpreter that can run it; the Markdown parses
    (tables have consistent columns). Returns a list of problems."""
    problems = []
    for c in cases:
        for it in interps:
            if (it.version, c["key"]) in res.skipped:
                continue
            for config in it.configs:
                if config in c["not_run"]:
                    continue
                if not res.samples.get((it.version, config, c["key"])):
                    problems.append("%s %s %s: no sample (%s)" % (
                        it.version, config, c["key"], "; ".join(
                            res.errors.get((it.version, config, c["key"]),
                                           ["not run"]))[:300]))
    cols = None
    for line in text.splitlines():
        if line.startswith("|"):
            n = line.count("|")
            if cols is not None and n != cols:
                problems.append("table row with %d cells after %d: %s" % (
                    n, cols, line[:120]))
            cols = n
        else:
            cols = None
    if "<!-- %s:end -->" % SECTION not in text:
        problems.append("no end marker")
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--python", action="append")
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--quick", action="store_true",
                    help="tiny sizes, one round, one level per sweep: "
                    "checks that every scenario runs and the report parses")
    ap.add_argument("--only", help="comma-separated scenario families: "
                    "calls,checks,django,numeric,pandas,density,threads,"
                    "memory,codebase")
    ap.add_argument("--configs", help="only these configurations "
                    "(plain always runs)")
    ap.add_argument("--no-debugpy", action="store_true")
    ap.add_argument("--callgrind", action="store_true",
                    help="add instruction counts (valgrind) for checks, "
                    "density 500 and 16 threads")
    ap.add_argument("--callgrind-only", action="store_true",
                    help="only the callgrind counts, written to their own "
                    "section (seed-callgrind) with --write")
    ap.add_argument("--rerender", metavar="DUMP",
                    help="no runs: the report and plots from a dump "
                    "($TMPDIR/dapper-seed-tables-last.json) of a run with "
                    "the same options")
    ap.add_argument("--install-packages", action="store_true",
                    help="apt-get install " + " ".join(PACKAGES) +
                    " first (never in CI)")
    ap.add_argument("--budget", type=float, metavar="SECONDS",
                    help="time for the runs (default %d; 0: none): a "
                    "case's later round that would not fit in what is left "
                    "is skipped and reported" % BUDGET)
    ap.add_argument("--workdir")
    ap.add_argument("--plots-dir", default=os.path.join(ROOT, "docs"))
    ap.add_argument("--write", metavar="PATH")
    o = ap.parse_args(argv)
    o.command = "python3 bench/run.py --seed-tables " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
        if a != "--seed-tables")
    o.only = set(o.only.split(",")) if o.only else None
    if o.rounds is None:
        o.rounds = 1 if o.quick else 3
    if o.budget is None:
        o.budget = 0 if o.quick else BUDGET
    o.adapter = os.path.abspath(o.adapter)
    if not os.access(o.adapter, os.X_OK):
        ap.error("adapter %s is not an executable" % o.adapter)
    if o.install_packages:
        install_packages()
    o.load_start = " ".join("%.2f" % x for x in os.getloadavg())
    t0 = time.monotonic()
    sz = Sizes(o.quick)
    dpv = None if o.no_debugpy else debugpy_version()
    interps = []
    for path in (o.python or default_pythons()):
        it = probe(path)
        if it is None:
            log("skipping interpreter %s: not found or not working" % path)
            continue
        it.configs = (["plain", "bdb", "dapper:tracing", "dapper:auto"] +
                      ["dapper:" + b for b in other_backends(it.minor)])
        if dpv and it.is_system():
            it.configs.append("debugpy")
        if o.quick and not o.configs:
            # every scenario, the configurations that check the harness's
            # three kinds of run (plain, bdb, a dapper session)
            o.configs = "plain,bdb,dapper:auto"
        if o.configs:
            keep = set(o.configs.split(","))
            it.configs = [c for c in it.configs if c in keep or c == "plain"]
        interps.append(it)
    if not interps:
        log("no interpreter")
        return 2
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    own_workdir = o.workdir is None
    workdir = o.workdir or os.path.join(tempfile.gettempdir(),
                                        "dapper-seed-tables")
    os.makedirs(workdir, exist_ok=True)
    res = Results()
    if not o.only or "django" in o.only:
        debian_django(interps, res.setup_seconds)
    cases = build_cases(o, sz, workdir, interps, res.setup_seconds)
    compile_codebases(interps, cases, res.setup_seconds)
    log("set-up took %.0f s" % (time.monotonic() - t0))
    if o.callgrind_only:
        if not shutil.which("valgrind"):
            log("callgrind: valgrind is not installed")
            return 2
        lines = callgrind(o, interps, cases, workdir)
        block = ["<!-- %s:begin -->" % CG_SECTION] + lines + [
            "Command: `%s` (its adapters get `DAPPER_STARTUP_TIMEOUT=%s`: under "
            "valgrind on a loaded machine the runtime can take longer than the "
            "default 15 s to start). Whole-process counts include one-time "
            "work (the runtime's start-up and handshake, placing and arming "
            "breakpoints) as well as the per-call cost; the sizes are in the "
            "case column." % (o.command, db.VALGRIND_STARTUP_TIMEOUT),
            "<!-- %s:end -->" % CG_SECTION]
        text = "\n".join(block) + "\n"
        print(text)
        if o.write:
            write_section(o.write, text, CG_SECTION)
        return 0
    if o.rerender:
        res, facts = load_dump(o.rerender, interps, o.write)
        for c in cases:
            for it in interps:
                miss = [m for m in c["needs"] if m in it.missing]
                if miss:
                    res.skipped.setdefault((it.version, c["key"]), (
                        "%s has no %s" % (it.path, ", ".join(miss))))
        o.command = o.command.split(" --rerender")[0]
        plots = make_plots(sz, interps, res, o.plots_dir) if not o.quick \
            else {}
        base = os.path.dirname(os.path.abspath(o.write)) if o.write else ROOT
        plots = {k: os.path.relpath(v, base) for k, v in plots.items()}
        text = render(o, sz, interps, cases, res, facts, plots, None)
        print(text)
        if o.write:
            write_section(o.write, text)
        return 0
    run_all(o, interps, cases, res, workdir)
    log_timing(res)
    cg = None
    if o.callgrind:
        if shutil.which("valgrind"):
            log("== callgrind")
            cg = callgrind(o, interps, cases, workdir)
        else:
            log("callgrind: valgrind is not installed, skipped")
    plots = {}
    if not o.quick:
        plots = make_plots(sz, interps, res, o.plots_dir)
        base = os.path.dirname(os.path.abspath(o.write)) if o.write else ROOT
        plots = {k: os.path.relpath(v, base) for k, v in plots.items()}
    facts = machine_facts(o, interps, dpv, t0, sz, res)
    text = render(o, sz, interps, cases, res, facts, plots, cg)
    print(text)
    if o.write:
        write_section(o.write, text)
        log("wrote %s" % o.write)
    dump(os.path.join(tempfile.gettempdir(), "dapper-seed-tables-last.json"),
         res, interps, facts)
    log("total %.0f s" % (time.monotonic() - t0))
    if o.quick:
        problems = check_report(text, cases, interps, res)
        for p in problems:
            log("PROBLEM: " + p)
        if problems:
            return 1
        log("quick: every scenario ran and the report parses")
    del own_workdir
    return 0


if __name__ == "__main__":
    sys.exit(main())
