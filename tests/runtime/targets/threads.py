import threading
import time

barrier = threading.Barrier(3)


def worker(n):
    barrier.wait()
    x = n * 10  # BREAK: worker
    return x


threads = [threading.Thread(target=worker, args=(i,), name="worker-%d" % i)
           for i in range(3)]
for th in threads:
    th.start()
for th in threads:
    th.join()
print("joined")  # BREAK: joined
