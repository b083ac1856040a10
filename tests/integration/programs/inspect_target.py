"""Holds one of each kind of value for the inspection tests
(tests/integration/test_inspect.py finds its lines by the markers)."""
import collections
import dataclasses
import os
import sys
import time

GLOBAL_LIMIT = 7


class Point:
    kind = "class attribute"

    def __init__(self):
        self.x = 1
        self.y = [1, 2]
        self._hidden = "private"
        self.__mangled = 3

    @property
    def area(self):
        return self.x * 10

    @property
    def broken(self):
        raise ValueError("getter failed")


class Slotted:
    __slots__ = ("a", "b", "__c")

    def __init__(self):
        self.a = 1
        self.b = "two"
        self.__c = 3


class Blocking:
    def __init__(self, delay):
        self.delay = delay

    @property
    def slow(self):
        time.sleep(self.delay)
        return "finally"


class BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr for you")


@dataclasses.dataclass
class Config:
    zeta: int
    alpha: str = "a"
    items: list = dataclasses.field(default_factory=lambda: [1])


Pair = collections.namedtuple("Pair", "zeta alpha")


def compute(a, b):
    result = a * b
    return result + 1  # BREAK-COMPUTE


def boom_in_exec():
    ns = {}
    exec(compile("def boom():\n    raise KeyError('from exec')\n",
                 "<string>", "exec"), ns)
    try:
        ns["boom"]()
    except KeyError:
        pass


def main():
    counter = 41
    text = "x" * 5000
    d = {"key": 1, 2: "two", (1, "t"): [3], None: None}
    lst = [1, "two", 3.0, None]
    tup = (1, 2)
    st = {5}
    fst = frozenset({"f"})
    raw = b"\x00AB"
    pt = Point()
    sl = Slotted()
    cfg = Config(3)
    pair = Pair(1, "b")
    big = list(range(1_000_000))
    big_dict = {i: str(i) for i in range(3000)}
    bad = BadRepr()
    blocker = Blocking(float(os.environ.get("BLOCK_SECONDS", "2")))
    mod = os
    cls = Point
    n = compute(3, 4)
    print("counter is", counter)  # BREAK-MAIN
    print("pt.x is", pt.x, "d[key] is", d["key"])
    boom_in_exec()
    print("n is", n)
    return counter


if __name__ == "__main__":
    main()
    sys.stdout.flush()
