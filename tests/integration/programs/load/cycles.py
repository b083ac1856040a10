# One thread stops CYCLES times on one breakpoint: test_load.py, item 3.
import sys

CYCLES = int(sys.argv[1])


def step(i):
    return i  # BREAK: stop


for i in range(CYCLES):
    step(i)
print("done", CYCLES)
