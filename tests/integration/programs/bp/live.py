# Breakpoints set while stopped, in code that exists already: a function
# of a module imported before (helpermod), a suspended generator, a
# closure made later from a function defined before.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helpermod  # noqa: E402


def gen():
    yield 1
    after = 2  # BREAK: gen_after
    yield after


def make(k):
    def inner(v):
        return v + k  # BREAK: inner
    return inner


g = gen()
next(g)
stop_here = 0  # BREAK: set_here
print("compute", helpermod.compute(3))
print("gen", next(g))
print("inner", make(5)(1))
