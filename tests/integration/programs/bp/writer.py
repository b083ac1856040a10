# Writes argv[1] after its breakpoint, so a test can tell the program ran on.
import sys
import time

stop = 1  # BREAK: stop
time.sleep(0.2)
with open(sys.argv[1], "w") as f:
    f.write("ran to the end\n")
