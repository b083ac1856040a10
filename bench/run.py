#!/usr/bin/env python3
"""dapper-adapter benchmark suite (DESIGN.md section 6, workloads 1-5).

    python3 bench/run.py --adapter build/release/adapter/dapper-adapter \
        [--python PATH ...] [--workloads 1,2,3,4,5] [--rounds N] [--quick] \
        [--callgrind] [--install-debugpy] [--write docs/performance.md]
    python3 bench/run.py --seed-tables --adapter ... [--quick] [--write ...]

Runs each workload under plain Python, under dapper-adapter with each
breakpoint backend, and under debugpy (system Python, when installed),
interleaving the configurations over several rounds; prints the tables and,
with --write, rewrites docs/performance.md. See bench/README.md.

Run on demand only: not part of CI (it takes minutes and its numbers depend
on the machine's load). Standard library only.
"""

import argparse
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import dap_bench as db  # noqa: E402
from dap_bench import CALLGRIND_N, THREADS, WORKLOAD_TITLES  # noqa: E402
from report import Report, write as write_report  # noqa: E402

SYSTEM_PYTHON = "/usr/bin/python3"
DEBUGPY_ADAPTER = [SYSTEM_PYTHON, "-m", "debugpy.adapter"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Interpreters and configurations
# ---------------------------------------------------------------------------

class Interp:
    def __init__(self, path, version, minor):
        self.path = path
        self.version = version
        self.minor = minor  # (3, 12)
        self.label = "%s (%s)" % (version, path)
        self.short = version
        self.configs = []   # names: plain, dapper:<backend>, debugpy

    def is_system(self):
        try:
            return os.path.realpath(self.path) == os.path.realpath(
                SYSTEM_PYTHON)
        except OSError:
            return False


def pyenv_root():
    try:
        p = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=10)
        root = p.stdout.decode().strip()
        if p.returncode == 0 and root:
            return root
    except (OSError, subprocess.TimeoutExpired):
        pass
    return os.path.expanduser("~/.pyenv")


def default_pythons():
    root = pyenv_root()
    return ["/usr/bin/python3.11",
            os.path.join(root, "versions", "3.12.1", "bin", "python3.12"),
            os.path.join(root, "versions", "3.13.0", "bin", "python3.13")]


def probe_python(path):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return None, "not found"
    try:
        p = subprocess.run(
            [path, "-c", "import platform, sys; print(platform.python_version());"
             " print(sys.version_info[0], sys.version_info[1])"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, str(e)
    if p.returncode != 0:
        return None, p.stderr.decode("utf-8", "replace")[-300:]
    lines = p.stdout.decode().split("\n")
    major, minor = (int(x) for x in lines[1].split())
    return Interp(path, lines[0].strip(), (major, minor)), None


def backends_for(minor):
    if minor >= (3, 12):
        return ["monitoring", "tracing", "evalframe"]
    return ["instrumented", "tracing", "evalframe"]


def debugpy_works():
    try:
        env = dict(os.environ, PYDEVD_DISABLE_FILE_VALIDATION="1")
        p = subprocess.run([SYSTEM_PYTHON, "-m", "debugpy", "--version"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60, env=env)
        if p.returncode == 0:
            return p.stdout.decode().strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired):
        pass
    return None


def install_debugpy():
    if os.environ.get("CI"):
        log("--install-debugpy: refused under CI (CI is set)")
        return
    cmd = ["apt-get", "install", "-y", "python3-debugpy"]
    if os.geteuid() != 0 and shutil.which("sudo"):
        cmd = ["sudo"] + cmd
    log("running: " + " ".join(cmd))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        subprocess.run(cmd, env=env, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as e:
        log("apt-get failed: %s" % e)


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.samples = {}      # (interp, config, case) -> [value]
        self.extra = {}        # (interp, config, case) -> [dict]
        self.verified = {}     # (interp, config, case) -> bool/None
        self.errors = {}       # (interp, config, case) -> [text]
        self.unavailable = {}  # (interp, config) -> reason
        self.backend_text = {} # (interp, config) -> text
        self.stops_seen = {}   # (interp, config, case) -> max stops

    def add(self, key, value, extra=None):
        self.samples.setdefault(key, []).append(value)
        if extra is not None:
            self.extra.setdefault(key, []).append(extra)

    def error(self, key, text):
        lst = self.errors.setdefault(key, [])
        if text not in lst:
            lst.append(text)

    def get(self, key):
        return self.samples.get(key) or []



# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

class Bench:
    def __init__(self, opts, interps, res):
        self.o = opts
        self.interps = interps
        self.res = res
        self.hot = db.workload("hot.py")
        self.other = db.workload("other.py")
        self.stops = db.workload("stops.py")
        self.step = db.workload("step.py")
        self.lines = {
            "hot": db.tagged_line(self.hot, "hot"),
            "never": db.tagged_line(self.hot, "never"),
            "other": db.tagged_line(self.other, "other"),
            "stop": db.tagged_line(self.stops, "stop"),
            "step": db.tagged_line(self.step, "step"),
        }

    # -- one measurement ---------------------------------------------------
    def session(self, interp, config, program, args, bps, driver="run",
                deadline=120.0, python_argv=None):
        if config == "debugpy":
            s = db.Session("debugpy", DEBUGPY_ADAPTER, interp.path, program,
                           args, bps=bps, driver=driver, deadline=deadline,
                           python_argv=python_argv)
        else:
            backend = config.split(":", 1)[1]
            s = db.Session("dapper", [self.o.adapter], interp.path, program,
                           args, bps=bps, backend=backend, driver=driver,
                           deadline=deadline, python_argv=python_argv)
        return s.run()

    def check_backend(self, interp, config, s):
        """Records the backend message; marks the configuration not
        available when the runtime used another backend or the launch
        failed. Returns False when the sample must be dropped."""
        ik = (interp.label, config)
        if config == "debugpy":
            if s.launch_error:
                self.res.unavailable[ik] = "launch failed: " + s.launch_error
                return False
            return True
        wanted = config.split(":", 1)[1]
        if s.backend_text and ik not in self.res.backend_text:
            self.res.backend_text[ik] = s.backend_text
        if s.launch_error:
            self.res.unavailable[ik] = "launch failed: " + s.launch_error
            return False
        if s.backend_used is not None and s.backend_used != wanted:
            self.res.unavailable[ik] = (
                "not available (the runtime fell back to %s)" % s.backend_used)
            return False
        return True

    def measure(self, interp, config, case):
        """Runs one session of `case` for (interp, config) and records it."""
        o = self.o
        key = (interp.label, config, case)
        if (interp.label, config) in self.res.unavailable:
            return
        n_hot = o.n
        hot_deadline = 60 + n_hot * 25e-6
        if config == "plain":
            argv = [interp.path]
            if case == "hot":
                b, err = db.run_plain(argv, self.hot, [n_hot])
            elif case.startswith("thr"):
                b, err = db.run_plain(argv, self.hot,
                                      [o.n, "--threads", case[3:]])
            elif case == "step":
                b, err = db.run_plain(argv, self.step, [o.step_n])
            else:
                return
            if b is None:
                self.res.error(key, err)
            else:
                self.res.add(key, b["ns"] / b["n"] if case != "step" else b["ns"])
            return

        bp_other = {self.other: [{"line": self.lines["other"]}]}
        if case == "none":
            s = self.session(interp, config, self.hot, [n_hot], {},
                             deadline=hot_deadline)
        elif case == "other":
            s = self.session(interp, config, self.hot, [n_hot], bp_other,
                             deadline=hot_deadline)
        elif case == "same":
            s = self.session(interp, config, self.hot, [n_hot],
                             {self.hot: [{"line": self.lines["never"]}]},
                             deadline=hot_deadline)
        elif case == "cond":
            s = self.session(interp, config, self.hot, [n_hot],
                             {self.hot: [{"line": self.lines["hot"],
                                          "condition": "x < 0"}]},
                             deadline=60 + n_hot * 40e-6)
        elif case.startswith("thr"):
            s = self.session(interp, config, self.hot,
                             [o.n, "--threads", case[3:]], bp_other,
                             deadline=hot_deadline + 30)
        elif case == "stops":
            s = self.session(interp, config, self.stops, [o.stops],
                             {self.stops: [{"line": self.lines["stop"]}]},
                             driver="stops", deadline=60 + o.stops * 0.3)
        elif case == "step":
            s = self.session(interp, config, self.step, [o.step_n],
                             {self.step: [{"line": self.lines["step"]}]},
                             driver="step", deadline=180)
        else:
            raise ValueError(case)
        if not self.check_backend(interp, config, s):
            return
        if s.error:
            self.res.error(key, s.error)
        if s.bps:
            v = s.all_verified()
            prev = self.res.verified.get(key)
            self.res.verified[key] = v if prev is None else (prev and v)
        self.res.stops_seen[key] = max(self.res.stops_seen.get(key, 0),
                                       s.stop_count)
        if case == "stops":
            if s.round_trips:
                self.res.samples.setdefault(key, []).extend(s.round_trips)
            elif not s.error:
                self.res.error(key, "no stop (%d stops)" % s.stop_count)
            return
        if case == "step":
            if s.step_s is not None:
                self.res.add(key, s.step_s * 1e9, {
                    "call_ns": s.bench["ns"] if s.bench else None,
                    "reason": s.step_reason})
            elif not s.error:
                self.res.error(key, "no stop at the line to step over")
            return
        if s.unexpected_stops:
            self.res.error(key, "%d unexpected stop(s)" % s.unexpected_stops)
        if s.bench is None:
            if not s.error:
                self.res.error(key, "no BENCH line in the program output")
            return
        self.res.add(key, s.bench["ns"] / s.bench["n"])

    # -- the plan ------------------------------------------------------------
    def cases(self):
        w = self.o.workloads
        out = []  # (case, applies to plain?, applies to debuggers?)
        if 1 in w or 2 in w:
            out.append(("hot", True, False))
        if 1 in w:
            out += [("none", False, True), ("other", False, True),
                    ("same", False, True)]
        if 2 in w:
            out.append(("cond", False, True))
        if 3 in w:
            out.append(("stops", False, True))
        if 4 in w:
            out.append(("step", True, True))
        if 5 in w:
            out += [("thr%d" % t, True, True) for t in THREADS]
        return out

    def run(self):
        cases = self.cases()
        total = sum(len(i.configs) for i in self.interps) * len(cases)
        for r in range(self.o.rounds):
            log("== round %d of %d" % (r + 1, self.o.rounds))
            t_round = time.monotonic()
            for case, on_plain, on_dbg in cases:
                for interp in self.interps:
                    configs = interp.configs[:]
                    k = r % len(configs)
                    configs = configs[k:] + configs[:k]  # interleave
                    for config in configs:
                        if config == "plain" and not on_plain:
                            continue
                        if config != "plain" and not on_dbg:
                            continue
                        if (interp.label, config) in self.res.unavailable:
                            continue
                        t0 = time.monotonic()
                        self.measure(interp, config, case)
                        log("  %-6s %-8s %-20s %5.1fs%s" % (
                            case, interp.short, config,
                            time.monotonic() - t0,
                            self._last_note(interp, config, case)))
            log("   round took %.0fs (%d cells)" % (
                time.monotonic() - t_round, total))

    def _last_note(self, interp, config, case):
        ik = (interp.label, config)
        if ik in self.res.unavailable:
            return "  n/a: " + self.res.unavailable[ik][:100]
        errs = self.res.errors.get((interp.label, config, case))
        return ("  (" + errs[-1][:100] + ")") if errs else ""

    # -- callgrind -------------------------------------------------------------
    def callgrind(self):
        """Ir per call = (Ir(N) - Ir(0)) / N: breakpoint in another file
        (key (interp, config)) and, with workload 2, the false conditional
        breakpoint in the hot function (key (interp, config, "cond"))."""
        out = {}
        cg_cases = ["other"] + (["cond"] if 2 in self.o.workloads else [])
        tmp = tempfile.mkdtemp(prefix="dapper-bench-cg-")
        try:
            for interp, config, case in [
                    (i, c, k) for i in self.interps for c in i.configs
                    for k in cg_cases]:
                okey = ((interp.label, config) if case == "other"
                        else (interp.label, config, case))
                if config == "debugpy" or (config == "plain" and
                                           case != "other"):
                    continue
                if (interp.label, config) in self.res.unavailable:
                    out[okey] = {
                        "error": self.res.unavailable[(interp.label, config)]}
                    continue
                irs = {}
                err = None
                for n in (0, CALLGRIND_N):
                    f = os.path.join(tmp, "cg.%s.%s.%s.%d" % (
                        interp.short, config.replace(":", "_"), case, n))
                    vg = ["valgrind", "--tool=callgrind",
                          "--callgrind-out-file=" + f, interp.path]
                    t0 = time.monotonic()
                    if config == "plain":
                        p = None
                        try:
                            p = subprocess.run(
                                vg + [self.hot, str(n), "--warm", "1000"],
                                cwd=db.WORKLOADS, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=600)
                        except subprocess.TimeoutExpired:
                            err = "valgrind timed out"
                        if p is not None and p.returncode != 0:
                            err = "valgrind exit %d: %s" % (
                                p.returncode,
                                p.stderr.decode("utf-8", "replace")[-300:])
                    else:
                        if case == "cond":
                            bps = {self.hot: [{"line": self.lines["hot"],
                                               "condition": "x < 0"}]}
                        else:
                            bps = {self.other: [{"line": self.lines["other"]}]}
                        s = self.session(interp, config, self.hot,
                                         [n, "--warm", "1000"], bps,
                                         deadline=600, python_argv=vg)
                        if s.launch_error or s.error:
                            err = s.launch_error or s.error
                        elif (s.backend_used is not None and
                              s.backend_used != config.split(":")[1]):
                            err = "not available (used %s)" % s.backend_used
                    log("  callgrind %-8s %-20s %-5s N=%-7d %5.1fs%s" % (
                        interp.short, config, case, n, time.monotonic() - t0,
                        "  " + err[:120] if err else ""))
                    if err:
                        break
                    ir = read_callgrind_total(f)
                    if ir is None:
                        err = "no totals in %s" % f
                        break
                    irs[n] = ir
                if err:
                    out[okey] = {"error": err}
                else:
                    out[okey] = {
                        "ir0": irs[0], "irN": irs[CALLGRIND_N],
                        "per_call": (irs[CALLGRIND_N] - irs[0]) / CALLGRIND_N}
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return out


def read_callgrind_total(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("totals:") or line.startswith("summary:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


# ---------------------------------------------------------------------------
# Machine facts (the report itself is report.py)
# ---------------------------------------------------------------------------

def sh(cmd, cwd=None):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=20)
        return p.stdout.decode().strip() if p.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def machine_facts(interps, adapter, debugpy_version):
    facts = []
    facts.append(("date", time.strftime("%Y-%m-%d %H:%M %Z")))
    facts.append(("nproc", str(os.cpu_count())))
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    facts.append(("CPU", model or "?"))
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    kb = int(line.split()[1])
                    facts.append(("memory", "%.1f GiB" % (kb / 1048576)))
                    break
    except OSError:
        pass
    facts.append(("kernel", platform.release()))
    try:
        with open("/proc/loadavg") as f:
            facts.append(("load average at start", " ".join(f.read().split()[:3])))
    except OSError:
        pass
    for i in interps:
        facts.append(("interpreter", i.label))
    commit = sh(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT)
    if commit:
        dirty = subprocess.run(["git", "diff-index", "--quiet", "HEAD", "--"],
                               cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL).returncode != 0
        commit += " (plus uncommitted changes)" if dirty else ""
    facts.append(("adapter commit", commit or "unknown (no git)"))
    facts.append(("adapter", adapter))
    facts.append(("debugpy", debugpy_version or "not installed for "
                  + SYSTEM_PYTHON))
    return facts


# ---------------------------------------------------------------------------

def main():
    if "--seed-tables" in sys.argv[1:]:
        # The frame-evaluation model's tables (bench/seed_tables.py).
        import seed_tables
        return seed_tables.main(
            [a for a in sys.argv[1:] if a != "--seed-tables"])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--adapter", required=True,
                    help="the dapper-adapter binary (a release build)")
    ap.add_argument("--python", action="append",
                    help="interpreter to measure (repeatable); default: "
                    "/usr/bin/python3.11 and pyenv 3.12.1, 3.13.0")
    ap.add_argument("--workloads", default="1,2,3,4,5",
                    help="comma-separated workload numbers (default all)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="interleaved rounds (default 5, 1 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="1 round and smaller N")
    ap.add_argument("--configs", default=None,
                    help="only these configurations, comma-separated "
                    "(e.g. plain,dapper:monitoring,debugpy)")
    ap.add_argument("--callgrind", action="store_true",
                    help="also count instructions per call with callgrind")
    ap.add_argument("--install-debugpy", action="store_true",
                    help="apt-get install -y python3-debugpy first "
                    "(never in CI)")
    ap.add_argument("--no-debugpy", action="store_true")
    ap.add_argument("--write", metavar="PATH",
                    help="rewrite this Markdown file with the results")
    o = ap.parse_args()
    o.workloads = sorted({int(x) for x in o.workloads.split(",") if x.strip()})
    if any(w not in WORKLOAD_TITLES for w in o.workloads):
        ap.error("workloads are 1 to 5")
    if o.rounds is None:
        o.rounds = 1 if o.quick else 5
    o.n = 300000 if o.quick else 1000000
    o.stops = 201 if o.quick else 1001
    o.step_n = 1000000
    o.adapter = os.path.abspath(o.adapter)
    if not os.access(o.adapter, os.X_OK):
        ap.error("adapter %s is not an executable" % o.adapter)

    if o.install_debugpy:
        install_debugpy()
    dpv = None if o.no_debugpy else debugpy_works()
    if dpv is None and not o.no_debugpy:
        log("debugpy: `%s -m debugpy --version` fails: debugpy rows skipped "
            "(--install-debugpy installs Debian's python3-debugpy)" % SYSTEM_PYTHON)

    interps = []
    for path in (o.python or default_pythons()):
        it, err = probe_python(path)
        if it is None:
            log("skipping interpreter %s: %s" % (path, err))
            continue
        it.configs = ["plain"] + ["dapper:" + b for b in backends_for(it.minor)]
        if dpv and it.is_system():
            it.configs.append("debugpy")
        if o.configs:
            keep = set(o.configs.split(","))
            it.configs = [c for c in it.configs if c in keep]
            if "plain" not in it.configs:
                it.configs.insert(0, "plain")  # ratios need it
        interps.append(it)
    if not interps:
        log("no interpreter to measure")
        return 2

    facts = machine_facts(interps, os.path.relpath(o.adapter, ROOT), dpv)
    command = "python3 bench/run.py " + " ".join(
        shlex.quote(a) for a in sys.argv[1:])
    for k, v in facts:
        log("%s: %s" % (k, v))
    os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"

    res = Results()
    bench = Bench(o, interps, res)
    t0 = time.monotonic()
    bench.run()
    cg = None
    if o.callgrind:
        if shutil.which("valgrind") is None:
            log("callgrind: valgrind is not installed, skipped")
            cg = "skipped"
        else:
            log("== callgrind")
            cg = bench.callgrind()
    log("total %.0fs" % (time.monotonic() - t0))
    try:
        with open("/proc/loadavg") as f:
            facts.append(("load average at end",
                          " ".join(f.read().split()[:3])))
    except OSError:
        pass
    facts.append(("benchmark duration", "%.0f s" % (time.monotonic() - t0)))
    text = Report(bench, res, o, interps, facts, cg, command).render()
    print(text)
    if o.write:
        path = o.write if os.path.isabs(o.write) else os.path.join(os.getcwd(), o.write)
        write_report(path, text)
        log("wrote %s" % path)
    with open(os.path.join(tempfile.gettempdir(), "dapper-bench-last.json"),
              "w") as f:
        json.dump({"samples": {"|".join(k): v for k, v in res.samples.items()},
                   "errors": {"|".join(k): v for k, v in res.errors.items()},
                   "unavailable": {"|".join(k): v
                                   for k, v in res.unavailable.items()}},
                  f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
