"""Counts, printing each step, until argv[1] steps; exits with code 5."""
import sys
import time

limit = int(sys.argv[1])
count = 0
while count < limit:
    count += 1
    value = count * 10  # BREAK
    print("tick", count, flush=True)
    time.sleep(0.02)
print("finished", count, flush=True)
sys.exit(5)
