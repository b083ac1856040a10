#!/usr/bin/env python3
"""Instructions of one real program's process under callgrind: plain,
through dapper-adapter without breakpoints, and with realworld.py's
breakpoints (set, verified, never hit), with the per-function difference.

    python3 bench/realworld_callgrind.py --adapter build/release/adapter/dapper-adapter \\
        [--runtime-dir DIR] [--python PATH ...] [--program django|pytest] \\
        [--configs plain,nobp,bps] [--bps 50] [--top 25] [--keep DIR]

The programs, the Debian packages given to pyenv interpreters and the
breakpoint lines are bench/realworld.py's (imported). Each configuration
runs once as `valgrind --tool=callgrind` (through the adapter: the launch's
`python` is that command line, as bench/perstop.py does); the counts are the
whole debuggee process (start-up, the runtime's boot, the program). The
per-function table is `callgrind_annotate --inclusive=yes` of the runs,
one configuration minus another, for the functions whose difference is the
largest (C functions: the interpreter's and the runtime's; Python code
shows as the interpreter's eval loop).

Under valgrind the runtime's start-up can take longer than the adapter's
15 s deadline for the runtime's hello (HELLO_DEADLINE_MS in
adapter/lifecycle.c): use an adapter built with a larger one and give this
build's runtime with --runtime-dir.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import realworld as rw  # noqa: E402  (puts bench/realworld on sys.path)
import dap_bench as db  # noqa: E402,I100
import callgrind_calls as cc  # noqa: E402

CONFIGS = ("plain", "nobp", "bps")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def total(path):
    return cc.total(path)


def inclusive(path):
    """{function: inclusive Ir} from callgrind_annotate."""
    return cc.per_function(path, inclusive=True)


def run_config(o, python, config, runner, bps, out):
    vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
          python]
    cwd = os.path.dirname(runner)
    t0 = time.monotonic()
    if config == "plain":
        b, err = db.run_plain(vg, runner, [], timeout=o.timeout, cwd=cwd)
        backend = None
    else:
        s = db.Session("dapper", o.adapter_cmd, python, runner, [],
                       bps=bps if config == "bps" else None,
                       backend=o.backend, deadline=o.timeout, cwd=cwd,
                       python_argv=vg)
        s.set_breakpoints_timeout = 600.0
        s.run()
        b, err = s.bench, s.launch_error or s.error
        backend = s.backend_used
        if b is not None and config == "bps" and s.all_verified() is False:
            err = "breakpoints not verified"
            b = None
        if s.unexpected_stops:
            err = "stopped %d times" % s.unexpected_stops
            b = None
    if b is None:
        raise RuntimeError("%s: %s" % (config, err or "no BENCH line"))
    if b.get("failures") or b.get("rc"):
        raise RuntimeError("%s: the program's tests failed: %s" % (config, b))
    ir = total(out)
    log("  %-5s Ir %s (%.0f s)%s" % (
        config, format(ir, ","), time.monotonic() - t0,
        "" if not backend else ", backend " + backend))
    return ir


def measure(o, python):
    version = subprocess.run(
        [python, "-c", "import platform;print(platform.python_version())"],
        stdout=subprocess.PIPE, timeout=60).stdout.decode().strip()
    root = o.workdir or os.path.join(tempfile.gettempdir(),
                                     "dapper-realworld")
    runners = rw.gen.generate(root)
    runner = runners[o.program]
    env_path = os.environ.get("PYTHONPATH", "")
    if rw.missing_modules(python, o.program) and python != "/usr/bin/python3":
        d = rw.debian_pure_path(python, o.program, version)
        if d is not None:
            os.environ["PYTHONPATH"] = os.pathsep.join(
                p for p in [env_path, d] if p)
    try:
        miss = rw.missing_modules(python, o.program)
        if miss:
            raise RuntimeError("%s has no %s" % (python, ", ".join(miss)))
        bps = None
        if "bps" in o.configs:
            log("  finding %d breakpoint lines" % o.bps)
            bps = rw.breakpoints(python, o.program, runner, o.bps)
            log("  %d breakpoints in %d files" % (
                sum(len(v) for v in bps.values()), len(bps)))
        tmp = o.keep or tempfile.mkdtemp(prefix="dapper-rw-cg-")
        os.makedirs(tmp, exist_ok=True)
        files, irs = {}, {}
        try:
            for config in o.configs:
                files[config] = os.path.join(tmp, "cg.%s.%s.%s" % (
                    version, o.program, config))
                irs[config] = run_config(o, python, config, runner, bps,
                                         files[config])
            fns = {c: inclusive(f) for c, f in files.items()}
        finally:
            if not o.keep:
                shutil.rmtree(tmp, ignore_errors=True)
        return {"version": version, "irs": irs, "fns": fns}
    finally:
        os.environ["PYTHONPATH"] = env_path
        if not env_path:
            del os.environ["PYTHONPATH"]


def diff_rows(fns, a, b, top):
    fa, fb = fns.get(a), fns.get(b)
    if fa is None or fb is None:
        return []
    d = {k: fb.get(k, 0) - fa.get(k, 0) for k in set(fa) | set(fb)}
    return sorted(d.items(), key=lambda kv: -abs(kv[1]))[:top]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--runtime-dir",
                    help="the adapter's --runtime-dir (another build's runtime)")
    ap.add_argument("--python", action="append")
    ap.add_argument("--program", default="django", choices=("django", "pytest"))
    ap.add_argument("--configs", default="plain,nobp,bps",
                    help="comma-separated: plain (no debugger), nobp "
                    "(dapper, no breakpoint), bps (dapper, --bps breakpoints)")
    ap.add_argument("--bps", type=int, default=50)
    ap.add_argument("--backend", help="frameEval backend (default: the "
                    "runtime's choice)")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--timeout", type=float, default=3600.0)
    ap.add_argument("--workdir")
    ap.add_argument("--keep", metavar="DIR",
                    help="keep the callgrind output files in DIR")
    o = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    o.configs = [c for c in o.configs.split(",") if c]
    bad = [c for c in o.configs if c not in CONFIGS]
    if bad:
        ap.error("unknown configuration(s) %s (choose from %s)" % (
            ", ".join(bad), ", ".join(CONFIGS)))
    o.adapter_cmd = [os.path.abspath(o.adapter)]
    if o.runtime_dir:
        o.adapter_cmd += ["--runtime-dir", os.path.abspath(o.runtime_dir)]
    if o.keep:
        o.keep = os.path.abspath(o.keep)
    pythons = o.python or ["/usr/bin/python3"]
    for python in pythons:
        log("== %s %s" % (python, o.program))
        try:
            r = measure(o, python)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            log("  failed: %s" % e)
            print("%s: n/a: %s" % (python, e))
            continue
        irs = r["irs"]
        print("### Python %s, %s" % (r["version"], o.program))
        print()
        print("| config | Ir | × plain |")
        print("|---|---|---|")
        for c in o.configs:
            ratio = ("%.4f" % (irs[c] / irs["plain"])) if "plain" in irs \
                else "n/a"
            print("| %s | %s | %s |" % (c, format(irs[c], ","), ratio))
        print()
        pairs = [(a, b) for a, b in (("nobp", "bps"), ("plain", "nobp"))
                 if a in irs and b in irs]
        for a, b in pairs:
            print("Inclusive Ir, %s − %s (largest %d):" % (b, a, o.top))
            print()
            for name, v in diff_rows(r["fns"], a, b, o.top):
                print("- `%s` %+s" % (name, format(v, ",")))
            print()
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
