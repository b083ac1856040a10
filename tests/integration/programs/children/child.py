"""A child process: prints, stops at the BREAK line, exits with code 3."""
import os
import sys


def work(n):
    total = n * 2  # BREAK
    return total


print("child %d got %s" % (os.getpid(), sys.argv[1:]), flush=True)
print("child result", work(int(sys.argv[1]) if len(sys.argv) > 1 else 1), flush=True)
sys.exit(3)
