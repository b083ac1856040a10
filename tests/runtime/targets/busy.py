import os
import sys
import time

flag = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "loop"


def gen():
    yield 1
    resumed = 2  # BREAK: gen_resumed
    yield resumed


g = gen()
next(g)
print("ready", flush=True)
n = 0
deadline = time.monotonic() + 20
while not os.path.exists(flag) and time.monotonic() < deadline:
    n += 1  # BREAK: spin
    if mode == "sleep":
        time.sleep(0.05)
    elif mode == "spin":  # pure Python for a while: the GIL is rarely free
        for k in range(200000):
            n += k
print("resumed", next(g))
