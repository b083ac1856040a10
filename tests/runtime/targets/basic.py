import sys

x = 1  # BREAK: module


def add(a, b):
    total = a + b  # BREAK: add
    return total


class Greeter:
    def hello(self, name):
        text = "hello " + name  # BREAK: method
        return text


def outer(n):
    def inner(k):
        return k * n  # BREAK: inner
    return inner(2)


def gen(n):
    for i in range(n):  # BREAK: gen_first
        yield i * 2  # BREAK: gen


sq = lambda v: v * v  # BREAK: lambda


async def coro(v):
    w = v + 1  # BREAK: coro
    return w


y = add(x, 2)
z = Greeter().hello("you")
o = outer(3)
g = list(gen(2))
s = sq(4)
import asyncio
c = asyncio.run(coro(5))
print("done", y, z, o, g, s, c)  # BREAK: end
sys.exit(3)
