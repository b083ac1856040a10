"""An audited builtin in a loop: what an audit hook costs the events it
does not handle.

    python audited.py N [--warm W]

Runs `id(obj)` N times (CPython raises the `builtins.id` audit event on
each call once any audit hook is installed) after W warm-up calls and
prints one line BENCH {"workload": "audited", "n": N, "ns": ...}.
"""
import json
import sys
import time

import other  # noqa: F401  (the file with the "breakpoint elsewhere")


def loop(n, obj):
    for _ in range(n):
        id(obj)


def main(argv):
    n = int(argv[0])
    warm = int(argv[2]) if len(argv) > 2 and argv[1] == "--warm" else 1000
    obj = object()
    loop(warm, obj)
    t0 = time.perf_counter_ns()
    loop(n, obj)
    ns = time.perf_counter_ns() - t0
    print("BENCH " + json.dumps({"workload": "audited", "n": n, "ns": ns}))


if __name__ == "__main__":
    main(sys.argv[1:])
