# Stepping in recursive code: the same code object runs in every frame.
def rec(n):
    if n == 0:  # BREAK: rec_if
        return 0
    sub = rec(n - 1)  # BREAK: rec_call
    return sub + 1  # BREAK: rec_after


def gen():
    yield 1  # BREAK: y1
    yield 2  # BREAK: y2


x = rec(3)  # BREAK: rec_main
total = 0  # BREAK: total0
for v in gen():  # BREAK: for
    total += v  # BREAK: body
print("rec", x, "gen", total)  # BREAK: end
