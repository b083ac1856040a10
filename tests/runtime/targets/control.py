import os
import sys


def callee(v):
    w = v * 2  # BREAK: callee_first
    return w  # BREAK: callee_return


def caller():
    a = callee(1)  # BREAK: call
    b = a + 1  # BREAK: after_call
    return b


def rec(n):
    if n == 0:
        return 0  # BREAK: rec_bottom
    return rec(n - 1) + 1


def work():
    total = 0
    for i in range(5):
        total += i  # BREAK: loop
    return total


def boom(kind):
    if kind == "caught":
        try:
            raise KeyError("inner")  # BREAK: raise_caught
        except KeyError:
            pass
    raise ValueError("bad " + kind)  # BREAK: raise_uncaught


r = caller()
after_caller = 1  # BREAK: after_caller
sys.setrecursionlimit(20000)
depth = rec(int(os.environ.get("REC_DEPTH", "10")))
t = work()
print("result", r, depth, t)  # BREAK: end
mode = os.environ.get("BOOM")
if mode:
    boom(mode)
