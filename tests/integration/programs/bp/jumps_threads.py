# A jump in a thread parked while another thread stopped.
import threading
import time

steps = []
ready = threading.Event()
go = False


def work():
    ready.set()
    n = 0
    while not go:  # BREAK: work_loop
        n += 1  # BREAK: work_add
    steps.append("before")  # BREAK: work_before
    steps.append("after")  # BREAK: work_after


worker = threading.Thread(target=work, name="worker")
worker.start()
ready.wait()
time.sleep(0.05)
stop = 1  # BREAK: main_stop
go = True
worker.join()
print("worker", steps)
