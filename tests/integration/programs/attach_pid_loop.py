"""A program started without the debugger, for attach by processId.

argv[1]: seconds to run; argv[2] "stdin" (optional): the main thread first
waits in C for a line on stdin before counting. Prints each tick."""
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
    sys.stdin.buffer.raw.readline()
work(float(sys.argv[1]))
print("finished", count, flush=True)
