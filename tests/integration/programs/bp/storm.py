# Four threads run through the same breakpoint line 25 times each, at the
# same time, while the main thread also passes it.
import threading

N, ROUNDS = 4, 25
barrier = threading.Barrier(N + 1)
hits = []


def body(who, i):
    hits.append((who, i))  # BREAK: hot
    return i


def worker(n):
    barrier.wait()
    for i in range(ROUNDS):
        body(n, i)


threads = [threading.Thread(target=worker, args=(i,), name="storm-%d" % i)
           for i in range(N)]
for th in threads:
    th.start()
barrier.wait()
for i in range(ROUNDS):
    body("main", i)
for th in threads:
    th.join()
print("hits", len(hits))
