import sys

sys.setrecursionlimit(20000)


def rec(n):
    if n == 0:
        return 0  # BREAK: bottom
    return rec(n - 1) + 1


depth = rec(5000)
print("depth", depth)  # BREAK: after
