"""Workload 3: K breakpoint stops.

    python stops.py K [--imports]

Calls hit(i) K times; the harness sets a breakpoint on the tagged line and
continues after each stop, timing stop -> continue -> next stop on its side.
Prints BENCH {"workload": "stops", "k": K, "ns": ...} at the end (the whole
loop's time, for information).
"""
import json
import sys
import time


def hit(i):
    return i  # BENCH:stop


def main(argv):
    k = int(argv[0])
    if "--imports" in argv[1:]:
        import _imports  # noqa: F401  (a few hundred modules loaded)
    t0 = time.perf_counter_ns()
    for i in range(k):
        hit(i)
    ns = time.perf_counter_ns() - t0
    print("BENCH " + json.dumps({"workload": "stops", "k": k, "ns": ns}),
          flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
