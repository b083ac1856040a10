# Breakpoints in every kind of code; each marked line runs once (the
# generator's twice), in the order the tests expect.
import asyncio
import sys

first = 1  # BREAK: module


def plain(a, b):
    total = a + b  # BREAK: function
    return total


class Greeter:
    def hello(self, name):
        text = "hello " + name  # BREAK: method
        return text

    @staticmethod
    def shout(text):
        return text.upper()  # BREAK: static


def outer(n):
    def nested(k):
        return k * n  # BREAK: nested
    return nested(2)


def make_counter():
    count = 0

    def bump():
        nonlocal count
        count += 1  # BREAK: closure
        return count
    return bump


def gen(n):
    for i in range(n):
        yield i * 2  # BREAK: generator


square = (
    lambda v:
    v * v  # BREAK: lambda
)


async def coro(v):
    await asyncio.sleep(0)
    w = v + 1  # BREAK: coroutine
    return w


r1 = plain(first, 2)
r2 = Greeter().hello("you")
r3 = Greeter.shout("hey")
r4 = outer(3)
r5 = make_counter()()
r6 = list(gen(2))
r7 = square(4)
r8 = asyncio.run(coro(5))

print("results", r1, r2, r3, r4, r5, r6, r7, r8)  # BREAK: end
sys.exit(4)
