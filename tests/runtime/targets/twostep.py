# Two threads stepping over a blocking call in the same function: the
# first to step sleeps briefly, the second long enough to wake up after
# the first one's step has ended and it was continued.
import threading
import time

barrier = threading.Barrier(2)
durations = iter([0.2, 1.0])


def worker():
    barrier.wait()
    time.sleep(next(durations))  # BREAK: sleep
    done = 1  # BREAK: after
    return done


threads = [threading.Thread(target=worker, name="w%d" % i) for i in range(2)]
for th in threads:
    th.start()
for th in threads:
    th.join()
print("joined")
