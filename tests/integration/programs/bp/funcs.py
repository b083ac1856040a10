# Function breakpoints: a function, module.function (imported later), a
# method with a condition and a hit count.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def top(v):
    return v + 1  # BREAK: top_body


class Shape:
    def area(self, k):
        print("area", k)  # BREAK: area_body
        return k * k


for k in range(1, 6):
    Shape().area(k)
top(1)
import helpermod  # noqa: E402
print("computed", helpermod.compute(3))
