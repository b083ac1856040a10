"""The debuggee of the sanitizer sessions: a loop with a breakpoint marker."""
import sys


def work(n):
    total = 0
    items = {"n": n, "squares": [i * i for i in range(n)]}
    for i in range(n):
        total += i  # BREAK: loop
    return total, items


if __name__ == "__main__":
    result = work(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
    print("total", result[0])
