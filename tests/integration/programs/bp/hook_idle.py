"""Breakpoints in a module that is imported but whose functions never run:
the calls below must not go through the runtime (hook_lib.py)."""
import sys

import hook_lib  # noqa: F401  (breakpoints in functions never called)


def work(i):
    return i + 1


def main(n):
    total = 0
    for i in range(n):
        total = work(total)
    return total


n = int(sys.argv[1])  # BREAK: start
total = main(n)
print("total", total)  # BREAK: done
