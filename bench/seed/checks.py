"""10,000 breakpoint checks: a loop of N iterations (default 10,000) in a
function whose code holds a breakpoint on a line that never runs, so every
line event of the loop is checked against it by a line-tracing debugger.
The loop runs R times (default 50) after a warm-up; prints the median time
of one loop.

    python checks.py [N] [R]
"""
import json
import statistics
import sys
import time


def work(n):
    total = 0
    for i in range(n):
        total += i & 7
        if total < 0:
            total = 0  # BENCH:check (never runs)
    return total


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    work(n)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        work(n)
        times.append(time.perf_counter_ns() - t0)
    print("BENCH " + json.dumps({"ns": statistics.median(times), "n": n,
                                 "reps": reps, "min_ns": min(times)}),
          flush=True)


if __name__ == "__main__":
    main()
