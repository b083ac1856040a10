"""A program started without the debugger, for attach by processId.

argv[1]: seconds to run; argv[2] (optional): seconds the main thread first
spends blocked in C (time.sleep) before counting. Prints each tick."""
import sys
import time

count = 0


def work(seconds):
    global count
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        count += 1
        value = count * 10  # BREAK
        print("tick", count, value, flush=True)
        time.sleep(0.02)


if len(sys.argv) > 2:
    print("blocking", flush=True)
    time.sleep(float(sys.argv[2]))
work(float(sys.argv[1]))
print("finished", count, flush=True)
