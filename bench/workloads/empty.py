"""An empty program for start-up measurements (bench/startup.py).

Imports nothing the interpreter has not loaded already; prints, as its
first and only work, BENCH {"workload": "empty", "cpu_ns": ..., "modules":
[...]}: the CPU time of the whole process so far (all threads, what the
interpreter's and the debugger runtime's start-up cost, without any time
spent waiting for the client) and the names in sys.modules at its first
line. Written without json (importing it would hide its cost).
"""
import sys
import time

print('BENCH {"workload": "empty", "cpu_ns": %d, "modules": [%s]}' % (
    time.clock_gettime_ns(time.CLOCK_PROCESS_CPUTIME_ID),
    ", ".join('"%s"' % m for m in sorted(sys.modules))))
