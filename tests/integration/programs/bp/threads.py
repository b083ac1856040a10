# Several threads reach the same breakpoint at the same moment.
import threading

N = 4
barrier = threading.Barrier(N)


def worker(n):
    barrier.wait()
    x = n * 10  # BREAK: worker
    return x


threads = [threading.Thread(target=worker, args=(i,), name="worker-%d" % i)
           for i in range(N)]
for th in threads:
    th.start()
for th in threads:
    th.join()
print("joined")  # BREAK: joined
