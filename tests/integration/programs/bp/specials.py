# Lines CPython compiles specially: a one-line function, a lambda, two
# breakpoints that move onto the same line, a list comprehension.
def one(x): return x + 1  # BREAK: one_line


twice = lambda y: y * 2  # noqa: E731  # BREAK: lambda_line


def moved():
    # BREAK: comment_a
    # BREAK: comment_b
    value = 5  # BREAK: moved_target
    return value


def comp(n):
    squares = [x * x for x in range(n)]  # BREAK: comp
    return squares


for i in range(3):
    one(i)
    twice(i)
print("moved", moved())
print("comp", comp(3))
