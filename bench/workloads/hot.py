"""Workloads 1, 2 and 5: calls of a small function.

    python hot.py N [--warm W] [--threads T]

Runs `f(i)` for i in range(N) after a warm-up of W calls, timing the hot
section with time.perf_counter_ns, and prints one line

    BENCH {"workload": "hot", "n": N, "threads": T, "ns": ...}

With --threads T (T >= 1) the N calls are split across T worker threads
that start together; the time is from their common start to the last one's
end. Without it the loop runs on the main thread.

The harness finds the lines it sets breakpoints on by their `BENCH:` tags.
"""
import json
import sys
import threading
import time

import other  # noqa: F401  (the file with the "breakpoint elsewhere")


def f(x):
    return x + 1  # BENCH:hot


def never_called(x):
    y = x * 2  # BENCH:never
    return y


def loop(n):
    for i in range(n):
        f(i)


def run_threads(n, threads):
    barrier = threading.Barrier(threads + 1)
    share = n // threads

    def worker():
        barrier.wait()
        loop(share)

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    barrier.wait()
    t0 = time.perf_counter_ns()
    for t in ts:
        t.join()
    return time.perf_counter_ns() - t0, share * threads


def main(argv):
    n = int(argv[0])
    warm = None
    threads = 0
    i = 1
    while i < len(argv):
        if argv[i] == "--warm":
            warm = int(argv[i + 1])
            i += 2
        elif argv[i] == "--threads":
            threads = int(argv[i + 1])
            i += 2
        else:
            raise SystemExit("unknown argument %r" % argv[i])
    if warm is None:
        warm = max(1000, n // 10)
    loop(warm)
    if threads > 0:
        ns, calls = run_threads(n, threads)
    else:
        t0 = time.perf_counter_ns()
        loop(n)
        ns = time.perf_counter_ns() - t0
        calls = n
    print("BENCH " + json.dumps({"workload": "hot", "n": calls, "warm": warm,
                                 "threads": threads, "ns": ns}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
