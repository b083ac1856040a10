"""multiprocessing with the start method in argv[1]: a Pool(4) whose workers
each run work() (a BREAK line) once, and one Process that exits with 4."""
import multiprocessing
import os
import sys


def work(n):
    value = n * n  # BREAK
    return value


def single():
    print("process in", os.getpid(), flush=True)
    sys.exit(4)


if __name__ == "__main__":
    method = sys.argv[1]
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(4) as pool:
        # chunksize 1 and a barrier-free task per worker: each worker takes one.
        results = pool.map(work, range(4), chunksize=1)
    print("pool results", sorted(results), flush=True)
    p = ctx.Process(target=single)
    p.start()
    p.join()
    print("process exit", p.exitcode, flush=True)
