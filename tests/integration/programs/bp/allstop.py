# A thread spins while the main thread stops: it must stop too, and stay
# stopped while the main thread alone is continued.
import threading
import time

count = 0
done = False


def spin():
    global count
    while not done:
        count += 1  # BREAK: spin


worker = threading.Thread(target=spin, name="spinner")
worker.start()
while count == 0:
    time.sleep(0.01)
stop_here = 1  # BREAK: main_stop
before = count
time.sleep(0.3)
advanced = count - before
again = 2  # BREAK: main_again
done = True
worker.join()
print("spinner advanced while main ran alone:", advanced)
