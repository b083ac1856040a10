# N threads run through one conditional breakpoint ROUNDS times each (the
# condition `i >= 0` is true every time): test_load.py, item 1.
import sys
import threading

N, ROUNDS = int(sys.argv[1]), int(sys.argv[2])
barrier = threading.Barrier(N)


def hit(n, i):
    return n + i  # BREAK: hot


def worker(n):
    barrier.wait()
    for i in range(ROUNDS):
        hit(n, i)


threads = [threading.Thread(target=worker, args=(k,), name="load-%d" % k)
           for k in range(N)]
for th in threads:
    th.start()
for th in threads:
    th.join()
print("done", N * ROUNDS)
