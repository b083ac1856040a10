"""Start-up and import cost: imports a stack of modules and times it.

    python imports.py [MODULE ...]

Default modules: numpy, scipy.stats, pandas (Debian's python3-numpy,
-scipy, -pandas on the system Python); a missing one is reported in the
BENCH line's "missing" list. Prints BENCH {"workload": "imports",
"ns": ..., "modules": N} where ns is the time of the imports and N the
number of modules in sys.modules afterwards.
"""
import importlib
import json
import sys
import time


def main(argv):
    names = argv or ["numpy", "scipy.stats", "pandas"]
    missing = []
    t0 = time.perf_counter_ns()
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    ns = time.perf_counter_ns() - t0
    print("BENCH " + json.dumps({"workload": "imports", "ns": ns,
                                 "modules": len(sys.modules),
                                 "missing": missing}))


if __name__ == "__main__":
    main(sys.argv[1:])
