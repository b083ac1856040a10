# Leaves with os._exit(7): no cleanup, no atexit, no flushing by Python.
import os
import sys

sys.stdout.write("bye\n")
sys.stdout.flush()
os._exit(7)
