# `next` over calls whose callees run below the step frame: where the
# steps land, a breakpoint and a pause inside such a call, a generator
# the step frame resumes, a recursive step frame.
FLAG = []


def g(x):
    return x + 1  # BREAK: in_g


def work(n):
    total = 0
    for i in range(n):
        total = g(total)
    return total


def spin():
    i = 0
    while not FLAG:
        i = g(i)
    return i


def gen(n):
    for i in range(n):
        yield g(i)


def rec(n):
    if n == 0:
        return 0
    r = rec(n - 1)  # BREAK: rec_call
    return r + 1  # BREAK: rec_after


def main():
    a = work(100000)  # BREAK: first
    b = work(100000)  # BREAK: second
    c = 0  # BREAK: third
    for v in gen(3):  # BREAK: gen_for
        c += v  # BREAK: gen_body
    d = rec(4)  # BREAK: rec_line
    e = spin()  # BREAK: spin_line
    print("done", a, b, c, d, e > 0)


main()
