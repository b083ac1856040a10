"""Calls every function of generated modules (bench/seed/gencode.py).

    python loops.py density DIR ROUNDS      dens_mod: all functions, ROUNDS times
    python loops.py memory DIR ROUNDS       mempkg: every module's functions
    python loops.py codebase DIR PACKAGE [--no-import]
                                            import every module of PACKAGE
                                            (--no-import: only start)

Prints BENCH {"ns": ..., "calls": ...}: for density and memory the calls
(ns per call = ns / calls); for codebase the time to import the code base.
"""
import importlib
import json
import os
import sys
import time


def main():
    kind, workdir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, workdir)
    if kind == "codebase":
        pkg = sys.argv[3]
        if sys.argv[4:] == ["--no-import"]:
            print("BENCH " + json.dumps({"ns": 0, "calls": 0, "modules": 0}),
                  flush=True)
            return
        with open(os.path.join(workdir, pkg, "_files.json")) as f:
            names = json.load(f)
        t0 = time.perf_counter_ns()
        mods = [importlib.import_module("%s.%s" % (pkg, n)) for n in names]
        calls = 0
        for m in mods:  # each module's code runs once
            m.FUNCTIONS[0](1)
            calls += 1
        ns = time.perf_counter_ns() - t0
        print("BENCH " + json.dumps({"ns": ns, "calls": calls,
                                     "modules": len(mods)}), flush=True)
        return
    rounds = int(sys.argv[3])
    if kind == "density":
        import dens_mod
        funcs = list(dens_mod.FUNCTIONS)
    elif kind == "memory":
        with open(os.path.join(workdir, "mempkg", "_files.json")) as f:
            names = json.load(f)
        funcs = []
        for n in names:
            funcs += importlib.import_module("mempkg." + n).FUNCTIONS
    else:
        raise SystemExit("unknown kind %r" % kind)
    for fn in funcs:  # warm-up
        fn(1)
    t0 = time.perf_counter_ns()
    for r in range(rounds):
        for fn in funcs:
            fn(r)
    ns = time.perf_counter_ns() - t0
    print("BENCH " + json.dumps({"ns": ns, "calls": rounds * len(funcs)}),
          flush=True)


if __name__ == "__main__":
    main()
