#!/usr/bin/env python3
"""dapper-adapter benchmark suite (DESIGN.md section 6, workloads 1-5).

    python3 bench/run.py --adapter build/release/adapter/dapper-adapter \
        [--python PATH ...] [--workloads 1,2,3,4,5] [--rounds N] [--quick] \
        [--callgrind] [--install-debugpy] [--write docs/performance.md]

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
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import dap_bench as db  # noqa: E402

SYSTEM_PYTHON = "/usr/bin/python3"
DEBUGPY_ADAPTER = [SYSTEM_PYTHON, "-m", "debugpy.adapter"]
CALLGRIND_N = 200000

WORKLOAD_TITLES = {
    1: "1. 1,000,000 calls of a small function, breakpoints not in the hot path",
    2: "2. A false conditional breakpoint (`x < 0`) in the hot function",
    3: "3. Breakpoint stops, continue each time (stop→continue round trip)",
    4: "4. Step over a line that calls a function doing a million calls",
    5: "5. Threads running the workload-1 loop, breakpoint in another file",
}
THREADS = (1, 2, 4, 8, 16)


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


def stat(values):
    if not values:
        return None, None
    return min(values), statistics.median(values)


def percentile(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


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
# Report
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


class Report:
    def __init__(self, bench, res, opts, interps, facts, cg, command):
        self.b = bench
        self.r = res
        self.o = opts
        self.interps = interps
        self.facts = facts
        self.cg = cg
        self.command = command
        self.targets = []  # (target, interp, config, measured, verdict)

    # -- helpers ---------------------------------------------------------------
    def na(self, interp, config, case=None):
        ik = (interp.label, config)
        if ik in self.r.unavailable:
            return "n/a"
        if case is not None:
            errs = self.r.errors.get((interp.label, config, case))
            if errs:
                return "n/a¹"
        return "n/a"

    def plain_ns(self, interp, case):
        return stat(self.r.get((interp.label, "plain", case)))[0]

    def dbg_configs(self, interp):
        return [c for c in interp.configs if c != "plain"]

    def verified_note(self, interp, config, case):
        v = self.r.verified.get((interp.label, config, case))
        if v is None:
            return ""
        return "" if v else " †"

    def cell_ns(self, interp, config, case, base):
        mn, md = stat(self.r.get((interp.label, config, case)))
        if mn is None:
            return self.na(interp, config, case)
        text = "%.1f (%.1f)" % (mn, md)
        if base and config != "plain":
            text += " ×%.2f" % (mn / base)
        return text + self.verified_note(interp, config, case)

    def targets_ok(self, interp, config, cases):
        """A target is checkable only when the breakpoints were verified
        and the backend is the one asked for."""
        for c in cases:
            if self.r.verified.get((interp.label, config, c)) is not True:
                return False, "breakpoints not verified"
        return True, ""

    def add_target(self, target, interp, config, measured, limit, value,
                   checkable, why):
        if (interp.label, config) in self.r.unavailable:
            return  # listed once under "Configurations and backends"
        if value is None:
            verdict = "n/a"
        elif not checkable:
            verdict = "not checkable (%s)" % why
        else:
            verdict = "met" if value <= limit else "missed"
        self.targets.append((target, interp.short, config, measured, verdict))

    # -- sections --------------------------------------------------------------
    def render(self):
        L = []
        L.append("# Performance")
        L.append("")
        L.append("Generated by `bench/run.py` (see `bench/README.md`); do not edit "
                 "by hand: rerun the benchmark and let it rewrite this page.")
        L.append("")
        L.append("Command: `%s`" % self.command)
        L.append("")
        L.append("| fact | value |")
        L.append("|---|---|")
        for k, v in self.facts:
            L.append("| %s | %s |" % (k, v.replace("|", "\\|")))
        L.append("")
        L.append("**The machine is shared with other jobs and noisy**: wall "
                 "times move by several percent between runs (the research "
                 "measured ±2-3 ns per call here). Each configuration ran %d "
                 "round(s), interleaved with the others; tables give the "
                 "minimum and, in parentheses, the median over rounds; ratios "
                 "are minimum over plain Python's minimum on the same "
                 "interpreter in the same run. Callgrind instruction counts "
                 "(when present) do not depend on the load." % self.o.rounds)
        L.append("")
        if self.o.rounds == 1:
            L.append("**This was a single-round run (`--quick` or `--rounds 1`)**: "
                     "each wall-clock cell is one sample, so on this machine "
                     "ratios can be off by tens of percent; rerun without "
                     "`--quick` for numbers to quote.")
            L.append("")
        L.append("Configurations: `plain` is the interpreter without any "
                 "debugger; `dapper:<backend>` is dapper-adapter launched with "
                 "`\"frameEval\": {\"backend\": \"<backend>\"}`; `debugpy` is "
                 "Debian's python3-debugpy on the system Python (its adapter "
                 "`python3 -m debugpy.adapter` over stdio, `justMyCode: false`).")
        L.append("")
        L.append("Marks: † the breakpoints were never verified in that "
                 "configuration (the runtime did not accept them), so the "
                 "number only measures the debugger being present; n/a¹ the "
                 "sessions ran but gave no number (see Problems); n/a: the "
                 "configuration is not available.")
        L.append("")
        L += self.availability()
        w = self.o.workloads
        if 1 in w:
            L += self.w1()
        if 2 in w:
            L += self.w2()
        if 3 in w:
            L += self.w3()
        if 4 in w:
            L += self.w4()
        if 5 in w:
            L += self.w5()
        if self.cg is not None:
            L += self.callgrind()
        L += self.target_table()
        L += self.problems()
        return "\n".join(L) + "\n"

    def availability(self):
        L = ["## Configurations and backends", "",
             "| interpreter | configuration | status | runtime's backend message |",
             "|---|---|---|---|"]
        for i in self.interps:
            for c in self.dbg_configs(i):
                ik = (i.label, c)
                status = self.r.unavailable.get(ik, "ran")
                text = self.r.backend_text.get(ik)
                if c == "debugpy":
                    text = "—"
                elif text is None:
                    text = "(none received)"
                L.append("| %s | %s | %s | %s |" % (
                    i.short, c, status.replace("|", "\\|"),
                    text.replace("|", "\\|")))
        L.append("")
        return L

    def w1(self):
        L = ["## " + WORKLOAD_TITLES[1], "",
             "`bench/workloads/hot.py`: `for i in range(N): f(i)` with "
             "`def f(x): return x + 1`, N = %s, after a warm-up of N/10 calls. "
             "ns per call, minimum (median) over rounds, × ratio to plain." % (
                 "{:,}".format(self.o.n)),
             "", "| interpreter | configuration | no breakpoints | breakpoint "
             "in another file | breakpoint in the same file, function never "
             "called |", "|---|---|---|---|---|"]
        for i in self.interps:
            base = self.plain_ns(i, "hot")
            L.append("| %s | plain | %s | — | — |" % (
                i.short, self.cell_ns(i, "plain", "hot", None)))
            for c in self.dbg_configs(i):
                L.append("| %s | %s | %s | %s | %s |" % (
                    i.short, c, self.cell_ns(i, c, "none", base),
                    self.cell_ns(i, c, "other", base),
                    self.cell_ns(i, c, "same", base)))
                if c.startswith("dapper:"):
                    vals = [stat(self.r.get((i.label, c, k)))[0]
                            for k in ("other", "same")]
                    limit = 1.03 if i.minor < (3, 12) else 1.02
                    if base and all(v is not None for v in vals):
                        ratio = max(vals) / base
                        ok, why = self.targets_ok(i, c, ("other", "same"))
                        self.add_target(
                            "bp not in hot path ≤ ×%.2f" % limit, i, c,
                            "×%.3f" % ratio, limit, ratio, ok, why)
                    else:
                        self.add_target("bp not in hot path ≤ ×%.2f" % limit,
                                        i, c, "—", limit, None, False, "")
        L.append("")
        return L

    def w2(self):
        L = ["## " + WORKLOAD_TITLES[2], "",
             "The workload-1 loop with a breakpoint on `return x + 1` under "
             "the condition `x < 0` (never true). ns per evaluation = "
             "(ns per call − plain ns per call), one evaluation per call; "
             "minimum-based, with the time per call and ratio to plain.", "",
             "| interpreter | configuration | ns per call | ns per evaluation |",
             "|---|---|---|---|"]
        for i in self.interps:
            base = self.plain_ns(i, "hot")
            L.append("| %s | plain | %s | — |" % (
                i.short, self.cell_ns(i, "plain", "hot", None)))
            for c in self.dbg_configs(i):
                mn = stat(self.r.get((i.label, c, "cond")))[0]
                per = "%.1f" % (mn - base) if (mn is not None and base) else "n/a"
                L.append("| %s | %s | %s | %s |" % (
                    i.short, c, self.cell_ns(i, c, "cond", base), per))
                if c.startswith("dapper:"):
                    limit = 15 if i.minor < (3, 12) else 60
                    ok, why = self.targets_ok(i, c, ("cond",))
                    val = (mn - base) if (mn is not None and base) else None
                    self.add_target("false conditional bp ≤ %d ns/eval" % limit,
                                    i, c, per + " ns", limit, val, ok, why)
        L.append("")
        return L

    def w3(self):
        L = ["## " + WORKLOAD_TITLES[3], "",
             "`bench/workloads/stops.py`: a breakpoint in `hit(i)`, called "
             "%s times; the client answers every `stopped` with `continue`. "
             "Round trip = arrival of one `stopped` event to the arrival of "
             "the next, measured by the client (it includes sending "
             "`continue`, the program running one loop iteration and the "
             "next stop). All round trips of all rounds pooled." % (
                 "{:,}".format(self.o.stops)), "",
             "| interpreter | configuration | stops | median ms | p90 ms | min ms |",
             "|---|---|---|---|---|---|"]
        for i in self.interps:
            for c in self.dbg_configs(i):
                v = self.r.get((i.label, c, "stops"))
                stops = self.r.stops_seen.get((i.label, c, "stops"), 0)
                if v:
                    med = statistics.median(v) * 1e3
                    L.append("| %s | %s | %d | %.3f | %.3f | %.3f |" % (
                        i.short, c, stops, med, percentile(v, 0.9) * 1e3,
                        min(v) * 1e3))
                else:
                    med = None
                    na = self.na(i, c, "stops")
                    L.append("| %s | %s | %s | %s | %s | %s |" % (
                        i.short, c, stops if (i.label, c) not in
                        self.r.unavailable else "—", na, na, na))
                if c.startswith("dapper:"):
                    self.add_target("stop→continue median ≤ 0.5 ms", i, c,
                                    "%.3f ms" % med if med is not None else "—",
                                    0.5, med, True, "")
        L.append("")
        return L

    def w4(self):
        L = ["## " + WORKLOAD_TITLES[4], "",
             "`bench/workloads/step.py`: stopped on the line "
             "`t0 = perf_counter_ns(); heavy(N); ns = perf_counter_ns() - t0` "
             "(N = %s calls of a small function), the client sends `next` and "
             "waits for `stopped` (reason `step`). *step* is that time, "
             "measured by the client; *call under step* is heavy(N) as the "
             "program timed it during the step; *plain call* is heavy(N) "
             "in the same program without a debugger. Ratio = step / plain "
             "call (minimums)." % "{:,}".format(self.o.step_n), "",
             "| interpreter | configuration | plain call ms | step ms | "
             "call under step ms | step / plain |", "|---|---|---|---|---|---|"]
        for i in self.interps:
            base = self.plain_ns(i, "step")
            L.append("| %s | plain | %s | — | — | — |" % (
                i.short, "%.2f" % (base / 1e6) if base else "n/a¹"))
            for c in self.dbg_configs(i):
                key = (i.label, c, "step")
                v = self.r.get(key)
                ratio = None
                if v:
                    mn, md = stat(v)
                    calls = [e["call_ns"] for e in self.r.extra.get(key, [])
                             if e.get("call_ns")]
                    reasons = sorted({str(e.get("reason"))
                                      for e in self.r.extra.get(key, [])})
                    cmn, cmd = stat(calls)
                    ratio = mn / base if base else None
                    L.append("| %s | %s | %s | %.2f (%.2f)%s | %s | %s |" % (
                        i.short, c, "%.2f" % (base / 1e6) if base else "n/a",
                        mn / 1e6, md / 1e6,
                        "" if reasons == ["step"] else
                        " (reason %s)" % ",".join(reasons),
                        "%.2f (%.2f)" % (cmn / 1e6, cmd / 1e6) if cmn else "n/a",
                        "×%.2f" % ratio if ratio else "n/a"))
                else:
                    na = self.na(i, c, "step")
                    L.append("| %s | %s | %s | %s | %s | %s |" % (
                        i.short, c, "%.2f" % (base / 1e6) if base else "n/a",
                        na, na, na))
                if c.startswith("dapper:"):
                    limit = 1.3 if i.minor < (3, 12) else 1.05
                    self.add_target("step over heavy call ≤ ×%.2f" % limit,
                                    i, c, "×%.2f" % ratio if ratio else "—",
                                    limit, ratio, True, "")
        L.append("")
        return L

    def w5(self):
        L = ["## " + WORKLOAD_TITLES[5], "",
             "`hot.py --threads T`: the N = %s calls split evenly over T "
             "worker threads started together (so every column does the same "
             "work); breakpoint in `other.py`. ns per call (wall time / N), "
             "minimum (median), × ratio to plain with the same T." % (
                 "{:,}".format(self.o.n)), "",
             "| interpreter | configuration | " + " | ".join(
                 "T=%d" % t for t in THREADS) + " |",
             "|---|---|" + "---|" * len(THREADS)]
        for i in self.interps:
            for c in i.configs:
                cells = []
                for t in THREADS:
                    base = self.plain_ns(i, "thr%d" % t)
                    cells.append(self.cell_ns(i, c, "thr%d" % t,
                                              base if c != "plain" else None))
                L.append("| %s | %s | %s |" % (i.short, c, " | ".join(cells)))
                if c.startswith("dapper:"):
                    r1 = r16 = None
                    b1, b16 = self.plain_ns(i, "thr1"), self.plain_ns(i, "thr16")
                    m1 = stat(self.r.get((i.label, c, "thr1")))[0]
                    m16 = stat(self.r.get((i.label, c, "thr16")))[0]
                    if b1 and b16 and m1 and m16:
                        r1, r16 = m1 / b1, m16 / b16
                    ok, why = self.targets_ok(i, c, ("thr1", "thr16"))
                    excess = (r16 - max(r1, 1.0)) if r1 else None
                    self.add_target(
                        "16 threads no worse than 1 (±0.02)", i, c,
                        "×%.3f vs ×%.3f" % (r16, r1) if r1 else "—",
                        0.02, excess, ok, why)
        L.append("")
        return L

    def callgrind(self):
        L = ["## Callgrind: instructions per call, breakpoint in another file"
             " (and a false conditional breakpoint in the hot function)",
             "", "`valgrind --tool=callgrind` over the whole debuggee process "
             "(all threads), run with N = 0 and N = %s (both with a 1,000-call "
             "warm-up); instructions per call = (Ir(N) − Ir(0)) / N. For the "
             "dapper configurations the `python` launch argument is "
             "`[\"valgrind\", \"--tool=callgrind\", …, interpreter]`." % (
                 "{:,}".format(CALLGRIND_N)), ""]
        if self.cg == "skipped":
            L.append("Skipped: valgrind is not installed.")
            L.append("")
            return L
        L += ["| interpreter | configuration | Ir per call | Δ vs plain |",
              "|---|---|---|---|"]
        for i in self.interps:
            base = (self.cg.get((i.label, "plain")) or {}).get("per_call")
            for c in i.configs:
                if c == "debugpy":
                    continue
                rows = [(c, self.cg.get((i.label, c)))]
                if c != "plain" and (i.label, c, "cond") in self.cg:
                    rows.append((c + " (cond. bp `x < 0` in f)",
                                 self.cg[(i.label, c, "cond")]))
                for name, e in rows:
                    e = e or {"error": "not run"}
                    if "per_call" in e:
                        delta = ("%+.1f" % (e["per_call"] - base)
                                 if base is not None and c != "plain" else "—")
                        L.append("| %s | %s | %.1f | %s |" % (
                            i.short, name, e["per_call"], delta))
                    else:
                        L.append("| %s | %s | n/a: %s | |" % (
                            i.short, name, e["error"][:160].replace("|", "\\|")
                            .replace("\n", " ")))
        L.append("")
        return L

    def target_table(self):
        L = ["## DESIGN §6 targets", "",
             "Targets are ratios to plain Python on the same interpreter in "
             "this run. They are aimed at the fast backends (`monitoring` on "
             "3.12+, `instrumented` on 3.11); `tracing` is the baseline the "
             "others are compared with and is not expected to meet them. "
             "A target is *not checkable* when the breakpoints it needs were "
             "not verified (the number then says nothing about the breakpoint "
             "engine); *n/a* when there is no measurement. \"16 threads no "
             "worse than 1\" is met when the 16-thread overhead exceeds the "
             "1-thread overhead by at most 0.02 (noise allowance). Configurations "
             "that are not available are left out here.", "",
             "| target | interpreter | configuration | measured | verdict |",
             "|---|---|---|---|---|"]
        for t in self.targets:
            L.append("| %s | %s | %s | %s | %s |" % t)
        L.append("")
        return L

    def problems(self):
        L = ["## Problems seen during the run", ""]
        any_ = False
        for (il, c), why in sorted(self.r.unavailable.items()):
            L.append("- %s, %s: %s" % (il, c, why.replace("\n", " ")))
            any_ = True
        for (il, c, case), errs in sorted(self.r.errors.items()):
            for e in errs[:3]:
                L.append("- %s, %s, case `%s`: %s" % (
                    il, c, case, e.replace("\n", " ")[:300]))
                any_ = True
        if not any_:
            L.append("None.")
        L.append("")
        return L


# ---------------------------------------------------------------------------

def main():
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
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
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
