# The main thread blocks in C while a worker thread runs Python until the
# flag file (argv[1]) exists. argv[2]:
#   join   main waits in Thread.join()
#   queue  main waits in queue.Queue.get() for the worker's result
#   read   main waits reading the FIFO argv[1] + ".fifo" (a blocking read)
#   sleep  no worker: main sleeps argv[3] seconds
import os
import queue
import sys
import threading
import time

flag = sys.argv[1]
mode = sys.argv[2]
results = queue.Queue()


def work(limit):
    n = 0
    deadline = time.monotonic() + limit
    while not os.path.exists(flag) and time.monotonic() < deadline:  # BREAK: loop
        n += 1  # BREAK: spin
    results.put(n)
    return n


def wait_for(worker, label):
    count = -1
    data = b""
    if mode == "join":
        worker.join()  # BREAK: join
    elif mode == "queue":
        count = results.get()  # BREAK: get
    else:
        with open(flag + ".fifo", "rb") as f:  # BREAK: open
            data = f.read(5)  # BREAK: read
    print("main waited for", label, count > 0, data.decode(), flush=True)  # BREAK: after_wait


def main():
    if mode == "sleep":
        seconds = float(sys.argv[3])
        print("ready", flush=True)
        time.sleep(seconds)  # BREAK: sleep
        print("slept", flush=True)  # BREAK: after_sleep
        return 3
    worker = threading.Thread(target=work, args=(20,), name="worker")
    worker.start()
    print("ready", flush=True)
    wait_for(worker, "worker")
    worker.join()
    return 4


sys.exit(main())
