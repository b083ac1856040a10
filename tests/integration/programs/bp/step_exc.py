# `next` over a call that makes N small calls while something inside
# raises and catches exceptions (in the callee itself, in a nested callee)
# and imports a module for the first time.
import sys


def g(x):
    return x + 1


def lookup(d):
    try:
        return d["missing"]
    except KeyError:
        return None


def heavy(n):
    try:
        {}["here"]
    except KeyError:
        pass
    lookup({})
    import colorsys  # a first import
    total = 0
    for i in range(n):
        total = g(total)
    lookup({})
    return total + int(colorsys.rgb_to_hsv(0, 0, 0)[2])


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    total = heavy(n)  # BREAK: step_line
    print("total", total)  # BREAK: after
    return total


main()
