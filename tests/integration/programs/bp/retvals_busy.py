# `next` over a line whose callee makes many calls of its own: on the
# backends that watch every return during a `next` (sys.monitoring), the
# step stops collecting return values instead of paying for each one.
def leaf(v):
    return v + 1


def busy(n):
    total = 0
    for i in range(n):
        total += leaf(i)
    return total


def main():
    a = busy(10) + leaf(0)  # BREAK: few
    b = busy(1000) + leaf(0)  # BREAK: busy
    print(a, b)  # BREAK: done


main()
