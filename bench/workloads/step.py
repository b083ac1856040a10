"""Workload 4: step over a line that calls a function doing N calls.

    python step.py N [--raise] [--once]

The tagged line times heavy(N) itself with perf_counter_ns; the harness
stops on it and sends `next`, which must run heavy(N) (and its N calls of g)
before stopping on the following line. With --raise, heavy() also raises
and catches a KeyError itself and in a nested call (before and after the
loop), as real code does: on 3.11 an exception event must not leave the
frames of the step traced. Prints
BENCH {"workload": "step", "n": N, "ns": <heavy's time on the stepped line>}.
With --once the stepped heavy(N) is the program's only part whose size
depends on N (warm-up heavy(1000), no second heavy(N)): what
bench/callgrind_step.py counts.
"""
import json
import sys
import time


def g(x):
    return x + 1


def lookup(d):
    try:
        return d["missing"]
    except KeyError:
        return None


def heavy(n):
    for i in range(n):
        g(i)


def heavy_raising(n):
    try:
        {}["here"]
    except KeyError:
        pass
    lookup({})
    for i in range(n):
        g(i)
    lookup({})


def main(argv):
    n = int(argv[0])
    if "--raise" in argv[1:]:
        global heavy
        heavy = heavy_raising
    if "--once" in argv[1:]:
        heavy(1000)  # warm-up
    else:
        heavy(max(1000, n // 10))  # warm-up
        heavy(n)
    t0 = time.perf_counter_ns(); heavy(n); ns = time.perf_counter_ns() - t0  # BENCH:step  # noqa: E702,E501
    print("BENCH " + json.dumps({"workload": "step", "n": n, "ns": ns}),  # BENCH:after
          flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
