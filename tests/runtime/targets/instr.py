import sys


def loop_header(n):
    total = 0
    for i in range(n):  # BREAK: for_header
        total += i
    return total


def closure_cond():
    k = 5
    def inner(v):
        w = v + 1  # BREAK: closure_line
        return w
    return inner(1) + k


def stepto(v):
    a = v + 1  # BREAK: step_from
    b = a + 1  # BREAK: step_to
    return b


def hot(n):
    s = 0
    for i in range(n):
        s += i  # BREAK: hot
    return s


r1 = loop_header(3)
r2 = closure_cond()
r3 = stepto(1)
r4 = hot(1000)
print("done", r1, r2, r3, r4)
