# Stepping off a frame: stepOut, and next/stepIn on a return or a yield,
# stop in the caller on the line of the call, before the rest of it runs.
def g(y):
    return y * 2  # BREAK: g_return


def f(v):
    print("f ran")  # BREAK: f_first
    return v + 1  # BREAK: f_return


def main(y):
    x = f(g(y))  # BREAK: call_line
    print("x", x)  # BREAK: after_call
    return x  # BREAK: main_return


def gen():
    yield 1  # BREAK: yield1
    yield 2  # BREAK: yield2


def consume():
    it = gen()
    a = next(it)  # BREAK: resume1
    b = next(it)  # BREAK: resume2
    return a + b  # BREAK: consume_return


def bad():
    raise ValueError("no")  # BREAK: bad_raise


def catcher():
    try:
        bad()
    except ValueError:  # BREAK: except_line
        caught = True  # BREAK: caught
    return caught


main(3)  # BREAK: main_call
total = consume()  # BREAK: consume_call
catcher()
print("total", total)  # BREAK: end
