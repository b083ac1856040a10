"""os.fork(): the child runs work() (a BREAK line) and exits with 5."""
import os
import sys


def work(n):
    value = n + 1  # BREAK
    return value


pid = os.fork()
if pid == 0:
    print("forked child says", work(41), flush=True)
    sys.exit(5)
_, status = os.waitpid(pid, 0)
print("parent saw fork exit", os.waitstatus_to_exitcode(status), flush=True)
