# `next` over a line that calls functions: each call's return value, in
# call order, in the "Return value" scope of the stop that follows.
class Box:
    def get(self):
        return 5  # BREAK: get_return


def f(v):
    return v * 10


def g(v):
    return v * 100


def nested(v):
    return f(v) + 1  # BREAK: nested_return


def main():
    x = f(1) + g(2)  # BREAK: two_calls
    y = x + 1  # BREAK: no_calls
    z = nested(3) + Box().get()  # BREAK: nested_call
    w = list(map(f, [1, 2]))  # BREAK: through_c
    many = list(map(f, range(20)))  # BREAK: many
    print(x, y, z, w, len(many))  # BREAK: after
    return w


main()
