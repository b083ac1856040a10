"""Values of many kinds for tests/integration/test_values.py, which stops at
the BREAK-VALUES line. NumPy and pandas arrays exist only when
VALUES_NUMPY=1 (they are imported only then)."""
import array
import collections
import dataclasses
import datetime
import decimal
import enum
import fractions
import os
import pathlib
import re
import time


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Base:
    __slots__ = ("b1",)


class Child(Base):
    __slots__ = ("c1", "__c2")
    family = "child class"

    def __init__(self):
        self.b1 = "from base"
        self.c1 = 11
        self.__c2 = 12

    def greet(self):
        return "hi"


class Plain:
    limit = 3

    def __init__(self):
        self.x = 1

    def method(self):
        return self.x


class Bag:
    """A sized container of the program's own."""

    def __init__(self, *items):
        self.items = list(items)

    def __len__(self):
        return len(self.items)


class Precise:
    """Its property depends on the thread's decimal context."""

    @property
    def third(self):
        return decimal.Decimal(1) / decimal.Decimal(3)


class SlowRepr:
    def __init__(self):
        self.fine = "fine"

    def __repr__(self):
        time.sleep(float(os.environ["SLOW_SECONDS"]))
        return "slow"

    @property
    def late(self):
        time.sleep(float(os.environ["SLOW_SECONDS"]))
        return "late"


class Temperature:
    def __init__(self, celsius):
        self.celsius = celsius


__dapper_renderers__ = {
    "Temperature": lambda t: {
        "value": "%.1f °C" % t.celsius,
        "children": [("fahrenheit", t.celsius * 9 / 5 + 32,
                      ".celsius * 9 / 5 + 32")]},
}


@dataclasses.dataclass
class Row:
    zeta: int
    alpha: str = "a"


def main():
    Point = collections.namedtuple("Point", "x y")
    child = Child()
    plain = Plain()
    when = datetime.datetime(2024, 5, 6, 7, 8, 9)
    day = datetime.date(2024, 5, 6)
    span = datetime.timedelta(days=2, seconds=5)
    dec = decimal.Decimal("3.25")
    frac = fractions.Fraction(3, 4)
    comp = complex(1.5, -2)
    rng = range(0, 10 ** 7, 1)
    huge = range(10 ** 20)
    dq = collections.deque([1, 2, 3], maxlen=5)
    dd = collections.defaultdict(list, {"k": [1]})
    cnt = collections.Counter("abca")
    od = collections.OrderedDict([("one", 1), ("two", 2)])
    pt = Point(1, 2)
    color = Color.GREEN
    row = Row(5)
    arr = array.array("i", range(10 ** 6))
    mv = memoryview(b"abcdef")
    raw = bytes(range(5))
    buf = bytearray(b"\xff\x00")
    match = re.search(r"(?P<word>w\w+)", "hello world")
    path = pathlib.PurePosixPath("/tmp/data/file.txt")
    temp = Temperature(21.5)
    bag = Bag(1, 2)
    precise = Precise()
    decimal.getcontext().prec = 5
    try:
        try:
            raise KeyError("inner")
        except KeyError as e:
            raise ValueError("outer") from e
    except ValueError as e:
        err = e
    if os.environ.get("SLOW_SECONDS"):
        slow = SlowRepr()
        slow2 = SlowRepr()
    if os.environ.get("VALUES_NUMPY") == "1":
        import numpy as np
        import pandas as pd
        vec = np.arange(10 ** 7, dtype=np.int64)
        mega = np.arange(10 ** 6, dtype=np.float64)
        grid = np.arange(12).reshape(3, 4)
        wide = np.zeros((2000, 3))
        zero_d = np.array(7.5)
        rec = np.array([(1, 2.5), (3, 4.5)],
                       dtype=[("id", "i4"), ("score", "f8")])
        objs = np.array([{"a": 1}, None], dtype=object)
        scalar = np.int64(42)
        frame = pd.DataFrame({"a": [1, 2, 3, 4, 5, 6], "b": list("uvwxyz")})
        series = frame["a"]
        wide_frame = pd.DataFrame(np.zeros((2, 1005)))
        gen = np.random.default_rng(0)
        index = frame.index
    print("values ready")  # BREAK-VALUES
    return child


if __name__ == "__main__":
    main()
