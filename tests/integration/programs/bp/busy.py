# Runs until the flag file (argv[1]) exists: a loop already running when
# the test sets breakpoints, a generator and a coroutine suspended before
# that. argv[2] "sleep" makes the loop mostly sleep.
import os
import sys
import time
import types

flag = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "loop"


def gen():
    yield 1
    resumed = 2  # BREAK: gen_resumed
    yield resumed


@types.coroutine
def suspend():
    yield "suspended"


async def coro():
    await suspend()
    after = 3  # BREAK: coro_resumed
    return after


g = gen()
next(g)
c = coro()
c.send(None)
print("ready", flush=True)
n = 0
deadline = time.monotonic() + 20
while not os.path.exists(flag) and time.monotonic() < deadline:  # BREAK: loop_head
    n += 1  # BREAK: spin
    if mode == "sleep":
        time.sleep(0.05)  # BREAK: sleep
print("resumed", next(g))
try:
    c.send(None)
except StopIteration as e:
    print("coroutine", e.value)
